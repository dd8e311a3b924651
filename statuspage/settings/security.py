"""Security settings: HTTPS behind a proxy, the Content-Security-Policy, staff sign-in."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from statuspage.env import env_bool, env_int
from statuspage.settings.core import SITE_NAME, SITE_URL

# HTTPS in production (README "Security"); off by default so `make run` works over plain http.
if env_bool("TRUST_X_FORWARDED_PROTO", False):  # only behind a proxy that sets it (the README's nginx)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
# Scripts and styles only from this site's own files: no inline code, no other origin. The
# public pages are served from snapshots shared by everyone, so they cannot carry nonces.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        # The browser push service worker (statuspage/static/push-sw.js) comes from this site only.
        "worker-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# --- Staff sign-in (console and admin): lockout, second factor.
# After this many failed logins (wrong password or wrong second-factor code) for one username, or
# from one client address, logins for it pause for STAFF_LOGIN_LOCKOUT_MINUTES.
AXES_FAILURE_LIMIT = env_int("STAFF_LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("STAFF_LOGIN_LOCKOUT_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
# The pause counts from the last failure before it, so the time the lockout page gives is true.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "incidents.console.sign_in.locked_out"
# The same client address as the sign-up limits (NUM_PROXIES).
AXES_CLIENT_IP_CALLABLE = "statuspage.client_ip.client_ip"
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "password", "code"]
AXES_VERBOSE = False
# Admins (the role, and superusers) must pass a second factor when this is on; anyone who has set
# one up must use it either way.
STAFF_2FA_REQUIRED = env_bool("STAFF_2FA_REQUIRED", False)
OTP_TOTP_ISSUER = SITE_NAME
OTP_ADMIN_HIDE_SENSITIVE_DATA = True  # the admin never shows anyone's TOTP key or recovery codes
# Passkeys belong to the site's host name; browsers allow them over HTTPS, or http://localhost.
_site = urlsplit(SITE_URL)
OTP_WEBAUTHN_RP_ID = _site.hostname or "localhost"
OTP_WEBAUTHN_RP_NAME = SITE_NAME
OTP_WEBAUTHN_ALLOWED_ORIGINS = [f"{_site.scheme}://{_site.netloc}"]
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False  # a passkey is a second factor, after the password
SILENCED_SYSTEM_CHECKS = []
if _site.scheme != "https" and OTP_WEBAUTHN_RP_ID != "localhost":
    # A plain-HTTP SITE_URL (a LAN address in development): passkeys cannot work there, the rest can.
    SILENCED_SYSTEM_CHECKS.append("otp_webauthn.E031")
