"""The project's URLs plus one view that fails, to see the 500 page."""

from __future__ import annotations

from django.urls import path

from statuspage import urls


def boom(request):
    raise RuntimeError("a bug")


urlpatterns = [path("boom/", boom), *urls.urlpatterns]
handler500 = getattr(urls, "handler500", "django.views.defaults.server_error")
