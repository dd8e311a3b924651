"""Outbound webhook HTTP: only public addresses, the checked one, no redirects, bounded in time and size."""

from __future__ import annotations

import ipaddress
import socket
import time

import pytest
import urllib3.util.connection

from notifications.delivery.safe_http import (
    MAX_BODY_BYTES,
    OutboundError,
    UnsafeDestination,
    check_url,
    post_json,
    refusal,
)
from notifications.delivery.webhook_payload import DELIVERY_HEADER, encode, signed_headers
from tests.fakes.webhook_receiver import WebhookReceiver, tls_for

SECRET = "whsec-test-secret"

# Addresses by why they are refused (None: public, allowed). IPv4 wrapped in IPv6 (mapped, NAT64
# 64:ff9b::/96, 6to4 2002::/16, Teredo 2001::/32 with its client XOR-ed) is judged by what it wraps.
BY_REASON = {
    None: "8.8.8.8 1.1.1.1 172.32.0.1 100.128.0.1 2606:4700:4700::1111 ::ffff:8.8.8.8 64:ff9b::808:808 "
    "2002:808:808::1",
    "loopback": "127.0.0.1 127.8.9.1 ::1 ::ffff:127.0.0.1 64:ff9b::7f00:1 2002:7f00:1::1 "
    "2001:0:4136:e378:8000:63bf:80ff:fffe",
    "private": "10.1.2.3 172.16.0.1 172.31.255.255 192.168.1.1 fd00::1 fec0::1 ::ffff:10.0.0.1",
    "link-local": "169.254.169.254 fe80::1 fe80::1%eth0 ::ffff:169.254.169.254 2002:a9fe:a9fe::1",
    "multicast": "224.0.0.1 239.255.255.250 ff02::1",
    "unspecified": "0.0.0.0 0.1.2.3 ::",
    "shared (carrier-grade NAT)": "100.64.0.1 100.127.255.254",
    # ::7f00:1 is IPv4-compatible (deprecated); 5f00::1 is outside global unicast 2000::/3; the last
    # is Teredo wrapping the public 8.8.8.8, refused all the same.
    "reserved": "192.0.0.8 192.0.2.1 198.18.0.1 203.0.113.7 240.0.0.1 255.255.255.255 2001:db8::1 3fff::1 "
    "100::1 ::7f00:1 5f00::1 2001:0:4136:e378:8000:63bf:f7f7:f7f7",
}
RANGES = [
    (address, "", reason) for reason, addresses in BY_REASON.items() for address in addresses.split()
] + [
    # Allowed on purpose by WEBHOOK_ALLOWED_NETWORKS.
    ("127.0.0.1", "127.0.0.0/8", None),
    ("::ffff:127.0.0.1", "127.0.0.0/8", None),
    ("10.0.3.4", "10.0.0.0/16", None),
    ("10.1.3.4", "10.0.0.0/16", "private"),
    ("::1", "127.0.0.0/8", "loopback"),
    ("fd00::5", "fd00::/64", None),
]


@pytest.mark.parametrize(("address", "allowed", "reason"), RANGES)
def test_address_ranges(address, allowed, reason):
    assert refusal(address, [ipaddress.ip_network(net) for net in allowed.split()]) == reason


@pytest.fixture
def receiver():
    server = WebhookReceiver(secret=SECRET).start()
    yield server
    server.stop()


@pytest.fixture
def loopback_allowed(settings):
    settings.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.0/8"]


class FakeDns(dict):
    """Answers for *.example.test from a table (a list answers in turn, like a rebinding server)."""

    asked: list[str]
    real = staticmethod(socket.getaddrinfo)

    def getaddrinfo(self, host, port, family=0, type=0, proto=0, flags=0):  # noqa: A002 - socket's names
        if host not in self:
            return self.real(host, port, family, type, proto, flags)
        self.asked.append(host)
        answers = self[host]
        address = answers.pop(0) if len(answers) > 1 else answers[0]
        if address == "NXDOMAIN":
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        return [(family, socket.SOCK_STREAM, 6, "", (address, port))]


@pytest.fixture
def fake_dns(monkeypatch) -> FakeDns:
    dns = FakeDns()
    dns.asked = []
    monkeypatch.setattr(socket, "getaddrinfo", dns.getaddrinfo)
    return dns


def signed(payload: dict, delivery_id: str = "d-1") -> tuple[bytes, dict]:
    body = encode(payload)
    return body, signed_headers(SECRET, delivery_id, "incident.created", body)


def test_a_post_to_an_allowed_loopback_receiver_is_delivered_signed(receiver, loopback_allowed):
    body, headers = signed({"hello": "world"}, "delivery-7")

    response = post_json(receiver.url("/hook/abc"), body, headers)

    assert response.status == 200 and response.body_prefix == b"thanks" and response.elapsed < 5
    (delivery,) = receiver.deliveries
    assert delivery.payload == {"hello": "world"} and delivery.signature_ok
    assert delivery.headers["Host"] == f"127.0.0.1:{receiver.bound_port}"
    assert receiver.delivery_ids() == ["delivery-7"] and receiver.duplicates() == 0


def test_loopback_is_refused_without_the_setting_and_nothing_is_sent(receiver, settings):
    settings.WEBHOOK_ALLOWED_NETWORKS = []
    body, headers = signed({"hello": "world"})

    with pytest.raises(UnsafeDestination) as refused:
        post_json(receiver.url(), body, headers)

    assert not refused.value.transient
    assert receiver.deliveries == [] and receiver.faulted == [] and receiver.rejected == []


def test_a_name_with_any_private_address_is_refused_at_sign_up(fake_dns, settings):
    settings.WEBHOOK_ALLOWED_NETWORKS = []
    fake_dns["mixed.example.test"] = ["93.184.215.14"]
    check_url("https://mixed.example.test/hook")  # public: fine

    fake_dns["split.example.test"] = ["10.0.0.5"]
    with pytest.raises(UnsafeDestination, match="That address is on a private network"):
        check_url("https://split.example.test/hook")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("file:///etc/passwd", "starts with https://"),
        ("gopher://example.com/", "starts with https://"),
        ("https:///nohost", "starts with https://"),
        ("https://user:pw@example.com/", "user name and password"),
        ("https://example.com:99999/", "not a valid URL"),
        ("https://gone.example.test/", "couldn't find that host name"),
        ("http://169.254.169.254/latest/meta-data/", "private network"),
        ("http://[::ffff:127.0.0.1]/", "private network"),
    ],
)
def test_check_url_explains_what_is_wrong(url, message, fake_dns):
    fake_dns["gone.example.test"] = ["NXDOMAIN"]
    with pytest.raises(UnsafeDestination, match=message):
        check_url(url)


def test_a_redirect_is_a_failure_and_is_not_followed(receiver, loopback_allowed):
    receiver.fail_next(status=302, location=receiver.url("/hook/elsewhere"))
    body, headers = signed({"n": 1})

    with pytest.raises(OutboundError) as failed:
        post_json(receiver.url("/hook/here"), body, headers)

    assert failed.value.status == 302 and not failed.value.transient and "redirect" in failed.value.message
    assert [d.path for d in receiver.faulted] == ["/hook/here"]
    assert receiver.deliveries == []


@pytest.mark.parametrize(
    ("status", "transient"), [(500, True), (503, True), (429, True), (408, True), (400, False), (410, False)]
)
def test_error_answers_say_whether_to_retry(receiver, loopback_allowed, status, transient):
    receiver.fail_next(status=status, headers={"Retry-After": "7"}, body_size=10)

    with pytest.raises(OutboundError) as failed:
        post_json(receiver.url(), *signed({"n": 1}))

    assert (failed.value.status, failed.value.transient) == (status, transient)
    assert failed.value.retry_after == 7 and failed.value.body_prefix == b"x" * 10


def test_a_slow_server_times_out(receiver, loopback_allowed, settings):
    settings.WEBHOOK_TIMEOUT_SECONDS = 0.5
    receiver.fail_next(status=200, delay=3)
    started = time.monotonic()

    with pytest.raises(OutboundError, match="no answer within 0.5 s") as failed:
        post_json(receiver.url(), *signed({"n": 1}))

    assert failed.value.transient and time.monotonic() - started < 2


def test_a_server_dripping_its_answer_is_cut_at_the_deadline(receiver, loopback_allowed, settings):
    """Each byte comes sooner than the timeout, so only the overall deadline can stop it."""
    settings.WEBHOOK_TIMEOUT_SECONDS = 0.6
    receiver.fail_next(status=200, body_size=100, drip=0.1)
    started = time.monotonic()

    with pytest.raises(OutboundError, match="no answer within"):
        post_json(receiver.url(), *signed({"n": 1}))

    assert time.monotonic() - started < 2


def test_a_huge_answer_is_read_only_to_64_kb(receiver, loopback_allowed):
    receiver.fail_next(status=200, body_size=5_000_000)

    response = post_json(receiver.url(), *signed({"n": 1}))

    assert response.status == 200 and len(response.body_prefix) == MAX_BODY_BYTES == 65536


def test_dns_rebinding_cannot_move_the_connection_to_another_address(settings, fake_dns):
    """The name answers an allowed address to the check, then an internal one: the POST goes to the first."""
    settings.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    public = WebhookReceiver(secret=SECRET, host="127.0.0.1").start()
    internal = WebhookReceiver(secret=SECRET, host="127.0.0.3", port=public.bound_port).start()
    fake_dns["rebind.example.test"] = ["127.0.0.1", "127.0.0.3"]
    try:
        post_json(f"http://rebind.example.test:{public.bound_port}/hook/x", *signed({"n": 1}))
    finally:
        public.stop()
        internal.stop()

    assert len(public.deliveries) == 1 and internal.deliveries == [] and internal.faulted == []
    assert public.deliveries[0].headers["Host"] == f"rebind.example.test:{public.bound_port}"
    assert fake_dns.asked == ["rebind.example.test"]  # resolved once


def test_the_connection_goes_to_the_checked_public_address_not_a_second_answer(fake_dns, monkeypatch):
    fake_dns["rebind.example.test"] = ["93.184.215.14", "127.0.0.1"]
    dialled = []

    def create_connection(address, *args, **kwargs):
        dialled.append(address)
        raise ConnectionRefusedError("not in this sandbox")

    monkeypatch.setattr(urllib3.util.connection, "create_connection", create_connection)

    with pytest.raises(OutboundError) as failed:
        post_json("https://rebind.example.test/hook", *signed({"n": 1}))

    assert failed.value.transient
    assert dialled == [("93.184.215.14", 443)]
    assert fake_dns.asked == ["rebind.example.test"]


def test_https_verifies_the_certificate_for_the_url_host_while_dialling_the_checked_address(
    tmp_path, fake_dns, loopback_allowed
):
    ca_file, context = tls_for("hooks.example.test", tmp_path)
    server = WebhookReceiver(secret=SECRET, tls=context).start()
    fake_dns["hooks.example.test"] = ["127.0.0.1"]
    fake_dns["other.example.test"] = ["127.0.0.1"]
    try:
        response = post_json(
            f"https://hooks.example.test:{server.bound_port}/hook/tls", *signed({"n": 1}), ca_certs=ca_file
        )
        with pytest.raises(OutboundError, match="certificate|hostname|match"):
            post_json(
                f"https://other.example.test:{server.bound_port}/hook/tls",
                *signed({"n": 2}),
                ca_certs=ca_file,
            )
    finally:
        server.stop()

    assert response.status == 200 and [d.payload for d in server.deliveries] == [{"n": 1}]
    assert server.server_names[:2] == ["hooks.example.test", "other.example.test"]
    assert server.deliveries[0].headers[DELIVERY_HEADER] == "d-1"


ADAPTIVE = {"contentType": "application/vnd.microsoft.card.adaptive", "content": {"type": "AdaptiveCard"}}
SLACK_BLOCKS = [{"type": "section", "text": {"type": "mrkdwn", "text": "*Queue*"}}]
CHAT_MESSAGES = [
    ("slack", {"text": "Queue delays: identified"}, (200, b"ok")),
    ("slack", {"blocks": SLACK_BLOCKS}, (200, b"ok")),
    ("discord", {"content": "Queue delays"}, (204, b"")),
    ("discord", {"embeds": [{"title": "Queue delays"}]}, (204, b"")),
    ("teams", {"@type": "MessageCard", "text": "Queue delays"}, (200, b"1")),
    ("teams", {"type": "message", "attachments": [ADAPTIVE]}, (200, b"1")),
]


@pytest.mark.parametrize(("app", "message", "answer"), CHAT_MESSAGES)
def test_chat_endpoints_answer_as_each_app_does(receiver, loopback_allowed, app, message, answer):
    response = post_json(
        receiver.url(f"/{app}/T000/B000"), encode(message), {"Content-Type": "application/json"}
    )

    assert (response.status, response.body_prefix) == answer
    assert receiver.chat[app] == [message]


@pytest.mark.parametrize("app", ["slack", "discord", "teams"])
def test_chat_endpoints_refuse_a_body_the_app_would_refuse(receiver, loopback_allowed, app):
    with pytest.raises(OutboundError) as refused:
        post_json(receiver.url(f"/{app}/T000/B000"), encode({"title": "no text"}), {})

    assert refused.value.status == 400 and not refused.value.transient
    assert receiver.chat[app] == [] and len(receiver.rejected) == 1
