from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import path

from incidents.views.console import dashboard, incidents, maintenance

urlpatterns = [
    path("", dashboard.dashboard, name="console"),
    path("login/", auth_views.LoginView.as_view(), name="console-login"),
    path("logout/", auth_views.LogoutView.as_view(), name="console-logout"),
    path("audit/", dashboard.audit_log, name="console-audit"),
    path("incidents/new/", incidents.declare, name="console-declare"),
    path("incidents/<int:pk>/", incidents.incident_detail, name="console-incident"),
    path("incidents/<int:pk>/update/", incidents.post_update, name="console-update"),
    path("incidents/<int:pk>/publish/", incidents.publish, name="console-publish"),
    path("incidents/<int:pk>/postmortem/", incidents.postmortem, name="console-postmortem"),
    path("maintenance/new/", maintenance.schedule, name="console-maintenance"),
    path("components/<int:pk>/status/", maintenance.component_status, name="console-component-status"),
]
