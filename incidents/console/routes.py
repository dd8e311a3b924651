from __future__ import annotations

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.urls import path
from django.utils.functional import SimpleLazyObject

from incidents.console import dashboard, incident_pages, maintenance_pages

_product_name = {"site_name": SimpleLazyObject(lambda: settings.SITE_NAME)}

urlpatterns = [
    path("", dashboard.dashboard, name="console"),
    # LoginView would name the site after the request's host ("localhost:8000"): use the product's.
    path("login/", auth_views.LoginView.as_view(extra_context=_product_name), name="console-login"),
    path("logout/", auth_views.LogoutView.as_view(), name="console-logout"),
    path("audit/", dashboard.audit_log, name="console-audit"),
    path("incidents/new/", incident_pages.declare, name="console-declare"),
    path("incidents/<int:pk>/", incident_pages.incident_detail, name="console-incident"),
    path("incidents/<int:pk>/update/", incident_pages.update, name="console-update"),
    path("incidents/<int:pk>/publish/", incident_pages.publish, name="console-publish"),
    path("incidents/<int:pk>/postmortem/", incident_pages.postmortem, name="console-postmortem"),
    path("maintenance/new/", maintenance_pages.schedule, name="console-maintenance"),
    path("components/<int:pk>/status/", maintenance_pages.component_status, name="console-component-status"),
]
