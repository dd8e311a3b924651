from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import path
from django.views.generic import TemplateView

from incidents.console import dashboard, incident_pages, maintenance_pages, security_pages, sign_in

urlpatterns = [
    path("", dashboard.dashboard, name="console"),
    path("login/", sign_in.LoginView.as_view(), name="console-login"),
    path("login/verify/", sign_in.verify, name="console-verify"),
    path("logout/", auth_views.LogoutView.as_view(), name="console-logout"),
    path("security/", security_pages.security, name="console-security"),
    path("security/app/", security_pages.totp, name="console-totp"),
    path("security/recovery-codes/", security_pages.recovery_codes, name="console-recovery-codes"),
    # A script of its own: the Content-Security-Policy allows no inline script.
    path(
        "security/passkeys.js",
        TemplateView.as_view(template_name="console/security.js", content_type="text/javascript"),
        name="console-security-script",
    ),
    path(
        "security/<str:kind>/<int:pk>/remove/",
        security_pages.remove_device,
        name="console-remove-device",
    ),
    path("audit/", dashboard.audit_log, name="console-audit"),
    path("incidents/new/", incident_pages.declare, name="console-declare"),
    path("incidents/<int:pk>/", incident_pages.incident_detail, name="console-incident"),
    path("incidents/<int:pk>/update/", incident_pages.update, name="console-update"),
    path("incidents/<int:pk>/publish/", incident_pages.publish, name="console-publish"),
    path("incidents/<int:pk>/postmortem/", incident_pages.postmortem, name="console-postmortem"),
    path("maintenance/new/", maintenance_pages.schedule, name="console-maintenance"),
    path("components/<int:pk>/status/", maintenance_pages.component_status, name="console-component-status"),
]
