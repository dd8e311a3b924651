from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "Status page administration"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("console/", include("incidents.console_urls")),
    path("console/", include("notifications.console_urls")),
    path("api/v1/", include("incidents.api.urls")),
    path("", include("notifications.urls")),
    path("", include("incidents.urls")),
]
