from __future__ import annotations

from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView

from incidents.api import base, views

urlpatterns = [
    path("incidents/", views.IncidentList.as_view(), name="api-incidents"),
    path("incidents/<int:pk>/", views.IncidentDetail.as_view(), name="api-incident"),
    path("incidents/<int:pk>/updates/", views.IncidentUpdateList.as_view(), name="api-incident-updates"),
    path("incidents/<int:pk>/publish/", views.IncidentPublish.as_view(), name="api-incident-publish"),
    path("maintenances/", views.MaintenanceList.as_view(), name="api-maintenances"),
    path("maintenances/<int:pk>/", views.MaintenanceDetail.as_view(), name="api-maintenance"),
    path(
        "maintenances/<int:pk>/updates/",
        views.MaintenanceUpdateList.as_view(),
        name="api-maintenance-updates",
    ),
    path("components/", views.ComponentList.as_view(), name="api-components"),
    path("components/<int:pk>/", views.ComponentDetail.as_view(), name="api-component"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # Last: malformed ids under these resources get a JSON 404 rather than the site's HTML one.
    # Only paths ending in "/", so APPEND_SLASH still redirects the others first.
    re_path(r"^(?:incidents|maintenances|components)/[\s\S]+/$", base.not_found),
]
