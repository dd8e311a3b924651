"""Signing in to a private page: the password form, the emailed link, and the page shown at the gate.

`next` travels as a path from the page's root ("/incidents/5/"), so a link emailed to the page's
own address brings the visitor back to the same place whichever prefix they came by.
"""

from __future__ import annotations

import logging
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import Resolver404, get_script_prefix, resolve, reverse
from django.utils.http import url_has_allowed_host_and_scheme

from incidents.models import PageAccess, StatusPage
from incidents.public import access_keys as keys
from incidents.public.access_mail import queue_sign_in_link
from incidents.public.page_routing import PAGE_URLCONF, page_path
from statuspage.client_ip import client_ip

logger = logging.getLogger(__name__)

TEMPLATE = "incidents/access_sign_in.html"
TOO_MANY_PASSWORDS = "Too many password tries from this network. Wait 15 minutes, then try again."
TOO_MANY_LINKS = "Too many sign-in links asked for, from here or for this address. Wait 15 minutes."


def page_relative(target: str) -> str:
    """A full path of this request's page as a path from the page's root."""
    prefix = get_script_prefix()
    return "/" + target[len(prefix) :] if target.startswith(prefix) else "/"


def safe_next(request: HttpRequest, relative: str) -> str:
    """Where to go after signing in: `relative` if it is one of the page's own routes, else its root."""
    relative = relative or "/"
    ok = relative.startswith("/") and url_has_allowed_host_and_scheme(
        relative, {request.get_host()}, require_https=request.is_secure()
    )
    try:
        if not ok:
            raise Resolver404
        resolve(urlsplit(relative).path, urlconf=PAGE_URLCONF)
    except Resolver404:
        relative = "/"
    return get_script_prefix() + relative[1:]


def _next_of(request: HttpRequest) -> str:
    return request.POST.get("next") or request.GET.get("next") or "/"


def console_login_url(request: HttpRequest, target: str) -> str:
    """The staff console's sign-in on this host (it never answers under /p/<slug>/), back to `target`."""
    path = reverse("console-login", urlconf=settings.ROOT_URLCONF)
    return "/" + path[len(get_script_prefix()) :] + "?" + urlencode({"next": target})


def sign_in_page(
    request: HttpRequest, page: StatusPage, *, next_path: str, error: str = "", status: int | None = None
) -> HttpResponse:
    """The page at the gate: a form for password and email pages (401), a staff sign-in link (403)."""
    staff = page.access == PageAccess.STAFF
    context = {
        "mode": page.access,
        "next": page_relative(next_path),
        "error": error,
        "email": request.POST.get("email", "")[:254],
        "login_url": console_login_url(request, next_path) if staff else "",
        "signed_in": request.user.is_authenticated,
    }
    return render(request, TEMPLATE, context, status=status or (403 if staff else 401))


def _private_page(request: HttpRequest, *modes: str) -> StatusPage:
    page = request.status_page
    if not page.is_private or (modes and page.access not in modes):
        raise Http404("No such page.")
    return page


def sign_in(request: HttpRequest) -> HttpResponse:
    """access/: the sign-in form; a password posted here lets the session in."""
    page = _private_page(request)
    relative = _next_of(request)
    let_in = keys.staff_allowed(request, page) or (
        keys.network_allows(page, request)
        if page.access == PageAccess.NETWORK
        else keys.session_pass(request, page)
    )
    if let_in:
        return HttpResponseRedirect(safe_next(request, relative))
    if page.access == PageAccess.NETWORK:
        raise Http404("No such page.")
    target = get_script_prefix() + relative.lstrip("/")
    if request.method != "POST":
        return sign_in_page(request, page, next_path=target, status=403 if page.access == "staff" else 200)
    if page.access != PageAccess.PASSWORD:
        return sign_in_page(request, page, next_path=target, status=405)
    if not keys.allow("PAGE_ACCESS_PASSWORDS_PER_IP", client_ip(request)):
        return sign_in_page(request, page, next_path=target, error=TOO_MANY_PASSWORDS, status=429)
    if not keys.password_matches(page, request.POST.get("password", "")):
        return sign_in_page(request, page, next_path=target, error="That password is not right.")
    keys.grant(request, page)
    return HttpResponseRedirect(safe_next(request, relative))


def send_link(request: HttpRequest) -> HttpResponse:
    """access/email/: email a sign-in link to an allowed address; the same answer for any address."""
    page = _private_page(request, PageAccess.EMAIL)
    relative = _next_of(request)
    target = get_script_prefix() + relative.lstrip("/")
    if request.method != "POST":
        return HttpResponseRedirect(page_path("page-access") + "?" + urlencode({"next": relative}))
    email = request.POST.get("email", "").strip()
    try:
        validate_email(email)
    except ValidationError:
        error = "Enter an email address, such as ann@example.com."
        return sign_in_page(request, page, next_path=target, error=error, status=400)
    if not (
        keys.allow("PAGE_ACCESS_LINKS_PER_IP", client_ip(request))
        and keys.allow("PAGE_ACCESS_LINKS_PER_ADDRESS", email)
    ):
        return sign_in_page(request, page, next_path=target, error=TOO_MANY_LINKS, status=429)
    queue_sign_in_link(page, email, page_relative(target))  # the worker checks the address
    context = {"email": email, "minutes": keys.LINK_MAX_AGE // 60, "next": page_relative(target)}
    return render(request, "incidents/access_email_sent.html", context)


def open_link(request: HttpRequest, token: str) -> HttpResponse:
    """access/link/<token>/: an emailed link lets this session in, once, within 30 minutes."""
    page = _private_page(request, PageAccess.EMAIL)
    relative = _next_of(request)
    if keys.session_pass(request, page):
        return HttpResponseRedirect(safe_next(request, relative))  # this session opened it already
    email = keys.email_of_link(page, token)
    if email is None or not keys.email_allowed(page, email):
        return _refused(request, "This sign-in link is not valid, or it has expired.", 400)
    if request.method != "POST":
        # Mail scanners open links too: only the person's click on this page signs in and uses it up.
        return render(request, "incidents/access_link.html", {"email": email, "next": relative})
    if request.session.session_key is None:
        request.session.save()
    if not keys.first_use(token, request.session.session_key):
        return _refused(request, "This sign-in link has already been used.", 410)
    keys.grant(request, page, email=email)
    return HttpResponseRedirect(safe_next(request, relative))


def _refused(request: HttpRequest, reason: str, status: int) -> HttpResponse:
    context = {"reason": reason, "minutes": keys.LINK_MAX_AGE // 60}
    return render(request, "incidents/access_refused.html", context, status=status)
