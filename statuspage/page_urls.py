"""What answers under /p/<slug>/: a page's public routes and its subscription routes, nothing else."""

from __future__ import annotations

from django.urls import include, path

urlpatterns = [
    path("", include("notifications.signup.routes")),
    path("", include("incidents.public.routes")),
]

handler500 = "statuspage.urls.server_error"
