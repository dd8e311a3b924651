"""Staff sign-in: the password, then a second factor when one is due; lockout after failures.

The password logs the user in (django.contrib.auth, with django-axes counting failures); a session
that owes a second factor (a TOTP code, a recovery code or a passkey) reaches only the pages that
take it, through SecondFactorMiddleware, until django-otp marks it verified.
"""

from __future__ import annotations

from urllib.parse import urlencode

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_client_ip_address, get_client_username, get_cool_off
from axes.models import AccessAttempt
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout, user_login_failed
from django.contrib.auth import views as auth_views
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.views import redirect_to_login
from django.db.models import Max, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django_otp import devices_for_user
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from statuspage.staff import is_admin

# Pages a session that owes its second factor may open: these take it, or set one up, or log out.
OPEN_WHILE_PENDING = {
    "console-login",
    "console-verify",
    "console-logout",
    "console-security",
    "console-totp",
    "console-security-script",
    "console-passkey-registered",
}


def has_second_factor(user) -> bool:
    return any(True for _ in devices_for_user(user, confirmed=True))


def second_factor_due(user) -> bool:
    """Whether this user must pass a second factor: anyone who set one up; Admins when required."""
    if settings.STAFF_2FA_REQUIRED and is_admin(user):
        return True
    return has_second_factor(user)


def pending(user) -> bool:
    """A logged-in user whose session has not yet passed a second factor it owes."""
    return user.is_authenticated and not user.is_verified() and second_factor_due(user)


class SecondFactorMiddleware:
    """Keep a session that owes a second factor out of the console, the admin and the API.

    Console and admin pages send it to the verify page. Everywhere else (the staff API's session
    authentication, for one) it is nobody: request.user becomes anonymous.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        if settings.SESSION_COOKIE_NAME not in request.COOKIES:
            return None  # nobody is logged in: the public pages' hot path stays as it was
        match = request.resolver_match
        if match.url_name in OPEN_WHILE_PENDING or match.namespace == "otp_webauthn":
            return None
        if not pending(request.user):
            return None
        if match.route.startswith(("console/", "admin/")):
            return redirect(with_next("console-verify", request.get_full_path()))
        request.user = AnonymousUser()
        return None


def safe_next(request: HttpRequest) -> str:
    """The `next` the request carries if it stays on this site, else the console."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def with_next(url_name: str, target: str) -> str:
    return f"{reverse(url_name)}?{urlencode({'next': target})}"


class LoginView(auth_views.LoginView):
    """The password step; a user who owes a second factor goes on to give it."""

    # LoginView would name the site after the request's host ("localhost:8000"): use the product's.
    extra_context = {"site_name": SimpleLazyObject(lambda: settings.SITE_NAME)}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            failure_limit=settings.AXES_FAILURE_LIMIT,
            lockout_minutes=int(get_cool_off().total_seconds() // 60),
        )
        return context

    def get_success_url(self) -> str:
        target = super().get_success_url()
        if second_factor_due(self.request.user):
            return with_next("console-verify", target)
        return target


def locked_out(request: HttpRequest, response: HttpResponse | None = None, credentials=None) -> HttpResponse:
    """The page shown instead of a login refused for too many failures (django-axes calls this)."""
    cool_off = get_cool_off(request)
    # The pause runs from the last failure that counted (failures during it do not extend it).
    who = Q(ip_address=get_client_ip_address(request))
    username = get_client_username(request, credentials)
    if username:
        who |= Q(username=username)
    last = AccessAttempt.objects.filter(who).aggregate(last=Max("attempt_time"))["last"]
    until = (last or timezone.now()) + cool_off
    context = {
        "site_name": settings.SITE_NAME,
        "lockout_minutes": int(cool_off.total_seconds() // 60),
        "until": until,
        "failure_limit": settings.AXES_FAILURE_LIMIT,
    }
    page = render(request, "registration/locked_out.html", context, status=429)
    page["Retry-After"] = str(max(1, int((until - timezone.now()).total_seconds())))
    return page


class CodeForm(forms.Form):
    code = forms.CharField(
        max_length=40,
        label="Code",
        help_text="The 6-digit code from your authenticator app, or one of your recovery codes.",
    )

    def clean_code(self) -> str:
        return "".join(ch for ch in self.cleaned_data["code"].lower() if ch.isalnum())


def check_code(user, code: str):
    """The device that accepts `code`, or None and why not.

    Six digits are a TOTP code, anything else a recovery code (each works once: django-otp
    deletes it on use). Each device throttles its own failures, doubling the wait each time.
    """
    model = TOTPDevice if code.isdigit() and len(code) == 6 else StaticDevice
    reason = "That code is not right. Check the time on your phone, or use a recovery code."
    for device in model.objects.devices_for_user(user, confirmed=True):
        allowed, details = device.verify_is_allowed()
        if not allowed:
            until = (details or {}).get("locked_until")
            wait = max(1, int((until - timezone.now()).total_seconds())) if until else 1
            reason = f"Too many wrong codes in a row: wait {wait} seconds, then try again."
            continue
        if device.verify_token(code):
            return device, ""
    return None, reason


@never_cache
@sensitive_post_parameters("code")
def verify(request: HttpRequest) -> HttpResponse:
    """The second step: a code (TOTP or recovery) or a passkey."""
    user = request.user
    if not user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    target = safe_next(request)
    if user.is_verified() or not second_factor_due(user):
        return redirect(target)
    devices = list(devices_for_user(user, confirmed=True))
    if not devices:
        messages.info(request, "Your role needs a second factor. Set one up to continue.")
        return redirect(with_next("console-security", target))
    credentials = {"username": user.get_username()}
    form = CodeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        if AxesProxyHandler.is_locked(request, credentials):
            logout(request)
            return locked_out(request, None, credentials)
        device, reason = check_code(user, form.cleaned_data["code"])
        if device:
            otp_login(request, device)
            if isinstance(device, StaticDevice):
                left = device.token_set.count()
                messages.warning(
                    request,
                    f"Recovery code used; {left} left. Make new ones on the Sign-in security page.",
                )
            return redirect(target)
        # A wrong code counts towards the lockout like a wrong password.
        user_login_failed.send(sender=__name__, credentials=credentials, request=request)
        if getattr(request, "axes_locked_out", False):
            logout(request)
            return locked_out(request, None, credentials)
        form.add_error("code", reason)
    kinds = {device.persistent_id.split("/")[0] for device in devices}
    context = {
        "form": form,
        "next": target,
        "has_totp": "otp_totp.totpdevice" in kinds,
        "has_recovery": "otp_static.staticdevice" in kinds,
        "has_passkey": any("webauthn" in kind for kind in kinds),
    }
    return render(request, "registration/second_factor.html", context, status=400 if form.errors else 200)
