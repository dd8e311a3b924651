from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, HttpResponseServerError
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import include, path

from incidents.console.security_pages import PasskeyRegistration

admin.site.site_header = "Status page administration"


def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers and crawlers that ask /favicon.ico get the SVG favicon."""
    return HttpResponseRedirect(static("favicon.svg"))


def server_error(request: HttpRequest) -> HttpResponse:
    """The product's 500 page, rendered without the request's context: no database, no session."""
    return HttpResponseServerError(render_to_string("500.html", {"site_name": settings.SITE_NAME}))


handler500 = server_error

urlpatterns = [
    path("favicon.ico", favicon),
    path("admin/", admin.site.urls),
    # Passkeys (django-otp-webauthn): registering one (its last step audited), and using one as the
    # second factor.
    path(
        "console/passkeys/registration/complete/",
        PasskeyRegistration.as_view(),
        name="console-passkey-registered",
    ),
    path("console/passkeys/", include("django_otp_webauthn.urls", namespace="otp_webauthn")),
    path("console/", include("incidents.console.routes")),
    path("console/", include("notifications.console.routes")),
    path("api/v1/", include("incidents.api.routes")),
    path("", include("notifications.urls")),
    path("", include("incidents.urls")),
]
