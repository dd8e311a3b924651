"""The demo's pages besides the default one: a branded public page and a private staff page."""

from __future__ import annotations

import os

from incidents.models import Component, PageAccess, PageComponent, PageHost, StatusPage
from incidents.public.page_routing import page_url
from incidents.timeline.page_setup import ensure_default_page

PAYMENTS_COMPONENTS = ["Public API", "Webhooks", "Worker backend"]
PAYMENTS_LOGO = b"""<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 240 40" width="240" height="40">
<rect x="1" y="4" width="32" height="32" rx="8" fill="#6b46c1"/>
<path d="M11 28V12h7a5 5 0 0 1 0 10h-7" fill="none" stroke="#fff" stroke-width="3.2" stroke-linejoin="round"/>
<text x="42" y="27" font-family="system-ui,-apple-system,Segoe UI,Roboto,sans-serif" font-size="19"
 font-weight="700" fill="#1a202c" textLength="194" lengthAdjust="spacingAndGlyphs">Example Payments</text>
</svg>"""
PAYMENTS_FAVICON = b"""<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">
<rect width="32" height="32" rx="8" fill="#6b46c1"/>
<path d="M10 25V8h7a5.5 5.5 0 0 1 0 11h-7" fill="none" stroke="#fff" stroke-width="3.4"
 stroke-linejoin="round"/>
</svg>"""


def ensure_demo_pages() -> list[tuple[StatusPage, str]]:
    """The default page, "Example Payments" (/p/payments/) and "Internal" (staff only), with their URLs.

    Made once: a later run adds what is missing and leaves what staff changed since.
    """
    default = ensure_default_page()
    components = list(Component.objects.order_by("position", "pk"))
    payments, created = StatusPage.objects.get_or_create(
        slug="payments",
        defaults={
            "name": "Example Payments",
            "position": 1,
            "accent_colour": "#6b46c1",
            "logo": PAYMENTS_LOGO,
            "logo_type": "image/svg+xml",
            "favicon": PAYMENTS_FAVICON,
            "favicon_type": "image/svg+xml",
            "footer_links": "Example Payments | https://payments.example.com/\n"
            "API reference | https://docs.example.com/payments/",
            "support_url": "https://support.example.com/payments/",
            "time_zone": "America/New_York",
        },
    )
    if created:
        _place(payments, [c for c in components if c.name in PAYMENTS_COMPONENTS])
    # Optional: also answer at a host of its own (it must be in ALLOWED_HOSTS), e.g.
    # payments.localhost:8000 for `make run`.
    if host := os.environ.get("DEMO_PAYMENTS_HOST", "").strip().lower():
        PageHost.objects.get_or_create(host=host, defaults={"page": payments})
    internal, created = StatusPage.objects.get_or_create(
        slug="internal",
        defaults={
            "name": "Internal",
            "position": 2,
            "access": PageAccess.STAFF,
            "adds_new_components": True,
            "accent_colour": "#4a5568",
        },
    )
    _place(internal, components)
    return [(page, page_url(page)) for page in (default, payments, internal)]


def _place(page: StatusPage, components: list[Component]) -> None:
    PageComponent.objects.bulk_create(
        [PageComponent(page=page, component=c, group_id=c.group_id, position=c.position) for c in components],
        ignore_conflicts=True,
    )
