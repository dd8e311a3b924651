"""Keeping an install's pages whole: a default page always exists, and new components find theirs."""

from __future__ import annotations

from django.conf import settings
from django.db import IntegrityError, transaction

from incidents.models import Component, PageComponent, StatusPage


def ensure_default_page() -> StatusPage:
    """The default page, created with every component on it if the database has none (a new one)."""
    page = StatusPage.objects.filter(is_default=True).first()
    if page is not None:
        return page
    try:
        with transaction.atomic():
            page = StatusPage.objects.create(
                name=settings.SITE_NAME,
                slug=_free_slug("main"),
                is_default=True,
                adds_new_components=True,
                time_zone=settings.TIME_ZONE,
            )
            PageComponent.objects.bulk_create(
                PageComponent(page=page, component=c, group_id=c.group_id, position=c.position)
                for c in Component.objects.all()
            )
    except IntegrityError:  # another process made it first
        return StatusPage.objects.get(is_default=True)
    return page


def _free_slug(slug: str) -> str:
    taken = set(StatusPage.objects.filter(slug__startswith=slug).values_list("slug", flat=True))
    candidate, n = slug, 1
    while candidate in taken:
        n += 1
        candidate = f"{slug}-{n}"
    return candidate


def place_new_component(sender, instance: Component, created: bool, raw: bool = False, **kwargs) -> None:
    """post_save: a new component joins every page that takes new components."""
    if not created or raw:
        return
    if not StatusPage.objects.filter(is_default=True).exists():
        ensure_default_page()  # places every component, this one included
        return
    pages = StatusPage.objects.filter(adds_new_components=True).values_list("pk", flat=True)
    PageComponent.objects.bulk_create(
        [
            PageComponent(
                page_id=pk, component=instance, group_id=instance.group_id, position=instance.position
            )
            for pk in pages
        ],
        ignore_conflicts=True,
    )
