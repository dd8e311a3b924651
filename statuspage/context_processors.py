from __future__ import annotations

from django.conf import settings


def site(request) -> dict:
    return {"site_name": settings.SITE_NAME, "time_zone": settings.TIME_ZONE}
