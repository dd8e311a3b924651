"""Outbound HTTP to URLs subscribers give us (webhooks, chat apps) that cannot reach our own network (SSRF).

The host is resolved once and refused if any address is not public (unless in `WEBHOOK_ALLOWED_NETWORKS`);
the connection goes to that checked address, never a second lookup (DNS rebinding), while TLS verifies
the certificate for the URL's host name (SNI). No redirects are followed; connect plus answer take at
most `WEBHOOK_TIMEOUT_SECONDS`; at most 64 KB of the answer is read. urllib3's bare connection pins the
address through its public API (`HTTPSConnection(ip, server_hostname=host, assert_hostname=host)`):
no pool, retries, redirects or proxy from the environment, as requests would bring.
"""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import socket
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from django.conf import settings
from requests.certs import where as default_ca_bundle
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.exceptions import HTTPError as Urllib3Error
from urllib3.exceptions import TimeoutError as Urllib3Timeout

MAX_BODY_BYTES = 64 * 1024

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# Refused ranges by what a person is told they are (IANA's special-purpose registries). An explicit
# table, not `is_private`/`is_global`: those changed meaning between Python patch releases.
_REFUSED_RANGES = {
    "unspecified": "0.0.0.0/8 ::/128",
    "loopback": "127.0.0.0/8 ::1/128",
    "private": "10.0.0.0/8 172.16.0.0/12 192.168.0.0/16 fc00::/7 fec0::/10",
    "shared (carrier-grade NAT)": "100.64.0.0/10",
    "link-local": "169.254.0.0/16 fe80::/10",  # cloud metadata services live here
    "multicast": "224.0.0.0/4 ff00::/8",
    "reserved": "192.0.0.0/24 192.0.2.0/24 192.88.99.0/24 198.18.0.0/15 198.51.100.0/24 203.0.113.0/24 "
    "240.0.0.0/4 64:ff9b:1::/48 100::/64 2001::/23 2001:db8::/32 3fff::/20",  # 2001::/23 holds Teredo
}
_REFUSED = [
    (ipaddress.ip_network(net), label) for label, nets in _REFUSED_RANGES.items() for net in nets.split()
]
_GLOBAL_UNICAST_V6 = ipaddress.ip_network("2000::/3")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")

# What a socket, TLS or an HTTP exchange can raise (ssl.SSLError and certificate errors are OSErrors).
_NETWORK_ERRORS = (OSError, http.client.HTTPException, Urllib3Error, ValueError)
# Set here whatever the caller passes: one Host, no keep-alive, no compression, the length urllib3 counts.
_OWN_HEADERS = {"host", "connection", "accept-encoding", "content-length", "transfer-encoding"}


class OutboundError(Exception):
    """A request that did not get a 2xx. `transient`: it may work later (timeouts, 429, 5xx)."""

    def __init__(
        self,
        message: str,
        *,
        transient: bool,
        status: int | None = None,
        body_prefix: bytes = b"",
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.transient = transient
        self.status = status
        self.body_prefix = body_prefix
        self.retry_after = retry_after


class UnsafeDestination(OutboundError):
    """A URL we will not call (not http(s), or not public); the message is for whoever typed it."""

    def __init__(self, message: str) -> None:
        super().__init__(message, transient=False)


@dataclass(frozen=True)
class SafeResponse:
    status: int
    body_prefix: bytes  # at most MAX_BODY_BYTES
    elapsed: float  # seconds, connect to last byte read


@dataclass(frozen=True)
class Destination:
    scheme: str
    host: str  # as in the URL, without brackets
    port: int
    target: str  # path and query
    address: str  # the checked address the connection goes to


def embedded_ipv4(address: IPAddress) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address carries: mapped, NAT64, 6to4, or Teredo (server, client)."""
    if address.version == 4:
        return []
    if address.ipv4_mapped:
        return [address.ipv4_mapped]
    if address in _NAT64:
        return [ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)]
    if address.sixtofour:
        return [address.sixtofour]
    if address.teredo:
        return list(address.teredo)
    return []


def refusal(address: str | IPAddress, allowed: Iterable[IPNetwork] = ()) -> str | None:
    """Why a webhook may not go to this address ("loopback", "private", ...), or None if it may."""
    address = ipaddress.ip_address(address.split("%")[0] if isinstance(address, str) else address)
    inner = embedded_ipv4(address)
    allowed = list(allowed)
    if any(a in net for net in allowed for a in [address, *inner] if a.version == net.version):
        return None
    for wrapped in inner:
        if reason := refusal(wrapped):
            return reason
    for network, label in _REFUSED:
        if address.version == network.version and address in network:
            return label
    if address.version == 6 and not inner and address not in _GLOBAL_UNICAST_V6:
        return "reserved"  # not assigned for use on the internet
    return None


def resolve(url: str) -> Destination:
    """Check the URL and its host's addresses; raise UnsafeDestination, or OutboundError if DNS fails."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise UnsafeDestination("That is not a valid URL.") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeDestination("Enter a URL that starts with https:// (or http://).")
    if parts.username is not None or parts.password is not None:
        raise UnsafeDestination("Leave the user name and password out of the URL.")
    try:
        host = parts.hostname.encode("idna").decode("ascii")  # the A-label: for DNS, Host and SNI
    except UnicodeError:
        raise UnsafeDestination("That is not a valid URL.") from None
    port = port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise OutboundError(f"{host} could not be resolved: {exc}", transient=True) from None
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    allowed = [ipaddress.ip_network(net, strict=False) for net in settings.WEBHOOK_ALLOWED_NETWORKS]
    for address in addresses:
        if reason := refusal(address, allowed):
            raise UnsafeDestination(
                "That address is on a private network or otherwise not on the public internet "
                f"({reason}), so we can't send to it. Use a public URL."
            )
    target = quote((parts.path or "/") + (f"?{parts.query}" if parts.query else ""), safe="/?&=%:@!$'()*+,;~")
    return Destination(parts.scheme, host, port, target, addresses[0])


def check_url(url: str) -> None:
    """Validate a URL at sign-up: raise UnsafeDestination with a message a form can show."""
    try:
        resolve(url)
    except UnsafeDestination:
        raise
    except OutboundError:
        raise UnsafeDestination("We couldn't find that host name. Check the URL.") from None


def post_json(
    url: str,
    body: bytes,
    headers: dict[str, str],
    timeout: float | None = None,
    *,
    ca_certs: str | None = None,
) -> SafeResponse:
    """POST a body to a subscriber's URL; return its 2xx answer or raise OutboundError.

    The deadline covers connect, request, answer and body; the TLS handshake in between is bounded
    per step by the same timeout (the socket is not ours to cut until it is done).
    """
    timeout = settings.WEBHOOK_TIMEOUT_SECONDS if timeout is None else timeout
    destination = resolve(url)
    started = time.monotonic()
    connection = _connection(destination, timeout, ca_certs)
    deadline = _Deadline(timeout)
    try:
        status, body_prefix, retry_after = _exchange(connection, destination, body, headers, deadline)
    except _NETWORK_ERRORS as exc:
        if deadline.expired.is_set() or isinstance(exc, TimeoutError | Urllib3Timeout):
            raise OutboundError(f"no answer within {timeout:g} s", transient=True) from None
        raise OutboundError(f"{type(exc).__name__}: {exc}", transient=True) from None
    finally:
        deadline.timer.cancel()
        connection.close()
    if deadline.expired.is_set():  # the cut ended the body early: what was read is not the whole answer
        raise OutboundError(f"no answer within {timeout:g} s", transient=True)
    if 200 <= status < 300:
        return SafeResponse(status, body_prefix, time.monotonic() - started)
    redirect = " (a redirect: not followed)" if 300 <= status < 400 else ""
    raise OutboundError(
        f"answered {status}{redirect}",
        transient=status in (408, 425, 429) or status >= 500,
        status=status,
        body_prefix=body_prefix,
        retry_after=retry_after,
    )


def _connection(destination: Destination, timeout: float, ca_certs: str | None) -> HTTPConnection:
    if destination.scheme == "https":
        return HTTPSConnection(
            destination.address,
            destination.port,
            timeout=timeout,
            server_hostname=destination.host,
            assert_hostname=destination.host,
            cert_reqs="CERT_REQUIRED",
            ca_certs=ca_certs or default_ca_bundle(),
        )
    return HTTPConnection(destination.address, destination.port, timeout=timeout)


def _exchange(
    connection: HTTPConnection,
    destination: Destination,
    body: bytes,
    headers: dict[str, str],
    deadline: _Deadline,
) -> tuple[int, bytes, float | None]:
    connection.connect()
    deadline.watch(connection.sock)
    connection.request(
        "POST",
        destination.target,
        body=body,
        headers={
            **{name: value for name, value in headers.items() if name.lower() not in _OWN_HEADERS},
            "Host": _host_header(destination),
            "Accept-Encoding": "identity",  # nothing to decompress: no zip bombs
            "Connection": "close",
        },
        preload_content=False,  # read below, at most MAX_BODY_BYTES
        decode_content=False,
    )
    response = connection.getresponse()
    chunks, size = [], 0
    try:
        while size < MAX_BODY_BYTES:
            chunk = response.read(min(16384, MAX_BODY_BYTES - size), decode_content=False)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    finally:
        response.close()  # the rest of a long answer is dropped with the connection
    retry_after = response.headers.get("Retry-After", "").strip()  # seconds; an HTTP date is ignored
    return response.status, b"".join(chunks), float(retry_after) if retry_after.isdigit() else None


def _host_header(destination: Destination) -> str:
    host = f"[{destination.host}]" if ":" in destination.host else destination.host
    default = 443 if destination.scheme == "https" else 80
    return host if destination.port == default else f"{host}:{destination.port}"


class _Deadline:
    """Shut the connection's socket at the deadline, so a read blocked on a slow server returns."""

    def __init__(self, seconds: float) -> None:
        self.expired = threading.Event()
        self.lock = threading.Lock()
        self.sock: socket.socket | None = None
        self.timer = threading.Timer(seconds, self._cut)
        self.timer.daemon = True
        self.timer.start()

    def watch(self, sock: socket.socket | None) -> None:
        """Cut this socket at the deadline; raise if it passed already (during the TLS handshake)."""
        with self.lock:
            self.sock = sock
        if self.expired.is_set():
            raise TimeoutError

    def _cut(self) -> None:
        self.expired.set()
        with self.lock, contextlib.suppress(OSError):
            if self.sock is not None:
                # socket.socket's own shutdown, not SSLSocket's: that one would also drop the TLS
                # state the reading thread is still using.
                socket.socket.shutdown(self.sock, socket.SHUT_RDWR)
