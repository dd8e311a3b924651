from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "Status page administration"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("console/", include("incidents.console.routes")),
    path("console/", include("notifications.console.routes")),
    path("api/v1/", include("incidents.api.routes")),
    path("", include("notifications.urls")),
    path("", include("incidents.urls")),
]
