"""Sign-in security: set up an authenticator app (TOTP), passkeys and recovery codes, or remove them."""

from __future__ import annotations

import secrets
from base64 import b32encode

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential
from django_otp_webauthn.views import CompleteCredentialRegistrationView

from incidents.console.sign_in import CodeForm, has_second_factor, pending, safe_next, with_next
from incidents.timeline.audit import audit
from statuspage.staff import console_view, is_admin

RECOVERY_CODES = 10
# No 0/o, 1/l/i: a code copied from paper reads back without doubt.
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
KINDS = {"totp": TOTPDevice, "passkey": WebAuthnCredential, "recovery": StaticDevice}


def _unverified(request: HttpRequest) -> bool:
    """A session that has not passed the second factor its user already has: it may not change them."""
    return not request.user.is_verified() and has_second_factor(request.user)


def _to_verify(request: HttpRequest) -> HttpResponse:
    return redirect(with_next("console-verify", request.path))


def _primary_devices(user) -> list:
    """The factors that stand alone (an app, a passkey); recovery codes only stand in for them."""
    return [
        *TOTPDevice.objects.devices_for_user(user, confirmed=True),
        *WebAuthnCredential.objects.devices_for_user(user, confirmed=True),
    ]


@never_cache
@console_view()
def security(request: HttpRequest) -> HttpResponse:
    user = request.user
    if _unverified(request):
        return _to_verify(request)
    recovery = StaticDevice.objects.filter(user=user, confirmed=True).first()
    context = {
        "required": settings.STAFF_2FA_REQUIRED and is_admin(user),
        "totp_devices": TOTPDevice.objects.devices_for_user(user, confirmed=True),
        "passkeys": WebAuthnCredential.objects.devices_for_user(user, confirmed=True).order_by("created_at"),
        "recovery": recovery,
        "recovery_left": recovery.token_set.count() if recovery else 0,
        "has_primary": bool(_primary_devices(user)),
        "next": safe_next(request) if request.GET.get("next") else "",
        "second_factor_pending": pending(user),
    }
    return render(request, "console/security.html", context)


@never_cache
@sensitive_post_parameters("code")
@console_view()
def totp(request: HttpRequest) -> HttpResponse:
    """Set up an authenticator app: scan the QR code, then prove it with a code."""
    user = request.user
    if _unverified(request):
        return _to_verify(request)
    # The same unconfirmed device across reloads, so the QR code scanned stays the one checked.
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)
    form = CodeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["code"]):
            with transaction.atomic():
                # One app per person: a new one replaces the old (a new phone).
                TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
                device.confirmed = True
                device.save(update_fields=["confirmed"])
                audit(user, "security.totp.added", user, None, {"device": device.name})
            if not user.is_verified():
                otp_login(request, device)
            if not StaticDevice.objects.filter(user=user, confirmed=True).exists():
                messages.success(
                    request,
                    "Authenticator app set up. Now make recovery codes, for when your phone is not at hand.",
                )
                return redirect("console-recovery-codes")
            messages.success(request, "Authenticator app set up.")
            return redirect(safe_next(request) if request.GET.get("next") else "console-security")
        form.add_error("code", "That code is not right. Check that your phone's clock is set automatically.")
    context = {
        "form": form,
        "qr_svg": _qr_svg(device.config_url),
        "key": " ".join(_chunks(b32encode(device.bin_key).decode(), 4)),
        "second_factor_pending": pending(user),
    }
    return render(request, "console/totp.html", context, status=400 if form.errors else 200)


@never_cache
@console_view()
def recovery_codes(request: HttpRequest) -> HttpResponse:
    """Make a fresh set of recovery codes (the old set stops working) and show them once."""
    user = request.user
    if _unverified(request):
        return _to_verify(request)
    if not _primary_devices(user):
        messages.error(
            request, "Set up an authenticator app or a passkey first; recovery codes stand in for them."
        )
        return redirect("console-security")
    device = StaticDevice.objects.filter(user=user, confirmed=True).first()
    codes: list[str] = []
    if request.method == "POST":
        codes = [_recovery_code() for _ in range(RECOVERY_CODES)]
        with transaction.atomic():
            StaticDevice.objects.filter(user=user).delete()
            device = StaticDevice.objects.create(user=user, name="Recovery codes", confirmed=True)
            StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
            audit(user, "security.recovery_codes.made", user, None, {"codes": len(codes)})
    context = {
        "codes": [f"{code[:5]}-{code[5:]}" for code in codes],
        "left": device.token_set.count() if device else 0,
    }
    response = render(request, "console/recovery_codes.html", context)
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@console_view()
def remove_device(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    user = request.user
    if _unverified(request):
        return _to_verify(request)
    model = KINDS.get(kind)
    if model is None:
        return HttpResponse("Unknown kind of device.", status=404, content_type="text/plain")
    device = get_object_or_404(model, pk=pk, user=user)
    others = [d for d in _primary_devices(user) if d.persistent_id != device.persistent_id]
    if kind != "recovery" and not others and settings.STAFF_2FA_REQUIRED and is_admin(user):
        messages.error(request, "Your role needs a second factor: add another before removing this one.")
        return redirect("console-security")
    with transaction.atomic():
        device.delete()
        if kind != "recovery" and not others:
            # Recovery codes alone would be a second factor nobody can renew: they go too.
            StaticDevice.objects.filter(user=user).delete()
        audit(user, f"security.{kind}.removed", user, {"device": device.name}, None)
    messages.success(request, "Removed.")
    return redirect("console-security")


class PasskeyRegistration(CompleteCredentialRegistrationView):
    """django-otp-webauthn's last registration step, audited like the other factors."""

    def post(self, *args, **kwargs):
        response = super().post(*args, **kwargs)
        if response.status_code == 200:
            user = self.request.user
            audit(user, "security.passkey.added", user, None, {"device": "Passkey"})
        return response


def _recovery_code() -> str:
    return "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(10))


def _chunks(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


def _qr_svg(data: str) -> str:
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    return image.to_string(encoding="unicode")
