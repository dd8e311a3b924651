"""The keys to a private page: its password, share links, emailed sign-in links, the session's pass.

A visitor let in by the password, a share link or an emailed link carries a pass in the session,
one per page. A password pass is sealed with the page's password hash and share key, so setting a
new password or rotating the share key signs everyone out; an email pass names the address, which
must still be allowed on each request.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import time
from functools import lru_cache

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.core import signing
from django.core.cache import cache
from django.http import HttpRequest
from django.utils.crypto import constant_time_compare, salted_hmac
from django_otp import DEVICE_ID_SESSION_KEY, user_has_device

from incidents.models import PageAccess, StatusPage
from incidents.models.pages import lines, new_share_key
from incidents.public.page_routing import page_url
from statuspage.client_ip import client_ip
from statuspage.staff import is_admin

logger = logging.getLogger(__name__)

SHARE_PARAM = "access"
SHARE_SALT = "statuspage.page-access.share"
LINK_SALT = "statuspage.page-access.email-link"
SEAL_SALT = "statuspage.page-access.session"
SESSION_KEY = "page_access"
LINK_MAX_AGE = 30 * 60  # seconds an emailed sign-in link stays valid
# (count, seconds): emailed links per address and per client address; password tries per client.
# Each can be set in the settings under its name.
LIMITS = {
    "PAGE_ACCESS_LINKS_PER_ADDRESS": (3, 15 * 60),
    "PAGE_ACCESS_LINKS_PER_IP": (5, 15 * 60),
    "PAGE_ACCESS_PASSWORDS_PER_IP": (10, 15 * 60),
}


# --- Setting the keys (the admin calls these)


def set_page_password(page: StatusPage, raw: str | None) -> None:
    """Set (or, with an empty value, clear) the page's password; everyone signed in by it is out."""
    page.password_hash = make_password(raw) if raw else ""
    page.save(update_fields=["password_hash", "updated_at"])


def rotate_share_key(page: StatusPage) -> None:
    """Revoke every share link given so far (and the sessions they opened)."""
    page.share_key = new_share_key()
    page.save(update_fields=["share_key", "updated_at"])


def share_token(page: StatusPage) -> str:
    return signing.Signer(salt=SHARE_SALT).signature(f"{page.pk}:{page.share_key}")


def share_link(page: StatusPage) -> str:
    """The page's absolute address with its share token: opens it without the password."""
    return f"{page_url(page, '/')}?{SHARE_PARAM}={share_token(page)}"


def shared_in(request: HttpRequest, page: StatusPage) -> bool:
    """Whether the request carries the page's current share token."""
    token = request.GET.get(SHARE_PARAM, "")
    if not token or page.access != PageAccess.PASSWORD:
        return False
    return constant_time_compare(token, share_token(page))


def password_matches(page: StatusPage, raw: str) -> bool:
    return bool(page.password_hash) and bool(raw) and check_password(raw, page.password_hash)


# --- Emailed sign-in links


def link_token(page: StatusPage, email: str) -> str:
    return signing.TimestampSigner(salt=LINK_SALT).sign_object({"p": page.pk, "e": email.lower()})


def email_of_link(page: StatusPage, token: str) -> str | None:
    """The address a sign-in link was sent to, if it is genuine, for this page and not expired."""
    try:
        data = signing.TimestampSigner(salt=LINK_SALT).unsign_object(token, max_age=LINK_MAX_AGE)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if not isinstance(data, dict) or data.get("p") != page.pk or not isinstance(data.get("e"), str):
        return None
    return data["e"]


def first_use(token: str, session_key: str) -> bool:
    """Mark an emailed link used by this session; False if another session used it first."""
    key = "page-access-link-used:" + hashlib.sha256(token.encode()).hexdigest()[:40]
    try:
        if cache.add(key, session_key, timeout=LINK_MAX_AGE + 60):
            return True
        return cache.get(key) == session_key
    except Exception:  # noqa: BLE001 - with the cache down the link is good until it expires
        logger.warning("page access: sign-in link reuse not checked, cache unavailable")
        return True


def email_allowed(page: StatusPage, email: str) -> bool:
    email = email.strip().lower()
    if page.access != PageAccess.EMAIL or "@" not in email:
        return False
    domains = {d.lower().lstrip("@") for d in lines(page.allowed_email_domains)}
    return email.rsplit("@", 1)[1] in domains or email in {e.lower() for e in lines(page.allowed_emails)}


# --- Networks


@lru_cache(maxsize=64)
def _networks(text: str) -> tuple:
    networks = []
    for line in lines(text):
        try:
            networks.append(ipaddress.ip_network(line, strict=False))
        except ValueError:
            logger.warning("page access: %r is not a network, ignored", line)
    return tuple(networks)


def network_allows(page: StatusPage, request: HttpRequest) -> bool:
    try:
        address = ipaddress.ip_address(client_ip(request))
    except ValueError:
        return False
    return any(address in network for network in _networks(page.allowed_networks))


# --- Staff


def owes_second_factor(request: HttpRequest, user) -> bool:
    """A session that has not passed a second factor its user owes (as the console's sign-in has it)."""
    if request.session.get(DEVICE_ID_SESSION_KEY):
        return False
    return user_has_device(user, confirmed=True) or (settings.STAFF_2FA_REQUIRED and is_admin(user))


def staff_allowed(request: HttpRequest, page: StatusPage) -> bool:
    """Signed-in staff, if the page names no staff or names them; they may preview any private page."""
    user = request.user
    if not (user.is_authenticated and user.is_staff) or owes_second_factor(request, user):
        return False
    named = StatusPage.staff.through.objects.filter(statuspage_id=page.pk).values_list("user_id", flat=True)
    named = set(named)
    return not named or user.pk in named


# --- The session's pass


def _seal(page: StatusPage) -> str:
    return salted_hmac(SEAL_SALT, f"{page.pk}:{page.share_key}:{page.password_hash}").hexdigest()[:24]


def grant(request: HttpRequest, page: StatusPage, email: str = "") -> None:
    """Let this session into the page (a new session key: the pass is never given to a planted one)."""
    passes = dict(request.session.get(SESSION_KEY, {}))
    if not passes:
        request.session.cycle_key()
    if page.access == PageAccess.EMAIL:
        passes[str(page.pk)] = {"mode": "email", "email": email.lower()}
    else:
        passes[str(page.pk)] = {"mode": "password", "seal": _seal(page)}
    request.session[SESSION_KEY] = passes


def session_pass(request: HttpRequest, page: StatusPage) -> bool:
    """Whether the session holds a pass to the page that is still good."""
    if settings.SESSION_COOKIE_NAME not in request.COOKIES:
        return False
    held = request.session.get(SESSION_KEY, {}).get(str(page.pk))
    if not isinstance(held, dict):
        return False
    if page.access == PageAccess.PASSWORD:
        return held.get("mode") == "password" and constant_time_compare(held.get("seal", ""), _seal(page))
    if page.access == PageAccess.EMAIL:
        return held.get("mode") == "email" and email_allowed(page, held.get("email", ""))
    return False


# --- Rate limits (fixed windows in the cache; with the cache down they let requests through)


def allow(name: str, key: str) -> bool:
    """Count one hit for `key` under the limit `name` (LIMITS); False once it is over."""
    count, seconds = getattr(settings, name, LIMITS[name])
    scope = name.lower()
    digest = hashlib.sha256(key.lower().encode()).hexdigest()[:32]  # no addresses in cache keys
    cache_key = f"ratelimit:{scope}:{count}-{seconds}:{digest}:{int(time.time() // seconds)}"
    try:
        hits = 1 if cache.add(cache_key, 1, timeout=seconds) else cache.incr(cache_key)
    except Exception:  # noqa: BLE001 - a cache outage must not lock everyone out
        logger.warning("page access: rate limit %s not checked, cache unavailable", scope)
        return True
    return hits <= count
