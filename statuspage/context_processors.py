from __future__ import annotations

import zoneinfo

from django.conf import settings

from incidents.public.branding import brand_of

# Staff pages answer on every page's host but belong to the install: its time zone, no page's brand.
STAFF_PATHS = ("/console/", "/admin/", "/api/v1/")


def site(request) -> dict:
    """The name, time zone and brand of the page this request is for (PageMiddleware), else the site's.

    `time_zone` is the zone the server renders times in (base.html's {% timezone %}): the page's on
    its public pages, the install's TIME_ZONE on staff pages, whose forms read times in that zone.
    """
    page = getattr(request, "status_page", None)
    if page is None:
        return {"site_name": settings.SITE_NAME, "time_zone": settings.TIME_ZONE}
    if getattr(request, "page_access_shut", False):
        # A private page's sign-in: its name, nothing of its content, brand or links.
        return {"site_name": page.name, "time_zone": settings.TIME_ZONE, "page_shut": True}
    if request.path_info.startswith(STAFF_PATHS):
        return {"site_name": page.name, "time_zone": settings.TIME_ZONE, "status_page": page}
    zone = _zone(page.time_zone)
    return {"site_name": page.name, "time_zone": zone, "status_page": page, "brand": brand_of(page)}


def _zone(name: str) -> str:
    """The page's zone if it is one (the model validates it; a row saved around that gets TIME_ZONE)."""
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return settings.TIME_ZONE
    return name
