"""Pages in the staff API: the `pages` an incident is attached to, and the pages a user may name."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from incidents.api.fields import StrictCharField
from incidents.models import Incident, StatusPage
from incidents.page_limits import components_for, limited_to, pages_for

SLUG_MAX_LENGTH = StatusPage._meta.get_field("slug").max_length


def user_of(serializer: serializers.Field):
    request = serializer.context.get("request")
    return request.user if request is not None else None


class PagesField(serializers.ListField):
    """Page slugs in, StatusPage rows out: only pages the user may touch (others are unknown)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("child", StrictCharField(max_length=SLUG_MAX_LENGTH))
        kwargs.setdefault("max_length", 100)
        kwargs.setdefault(
            "help_text",
            "Slugs of pages to show the incident on besides its components' pages "
            "(how a general incident finds its pages; none: the default page only).",
        )
        super().__init__(**kwargs)

    def to_internal_value(self, data) -> list[StatusPage]:
        slugs = list(dict.fromkeys(super().to_internal_value(data)))
        pages = {page.slug: page for page in pages_for(user_of(self)).filter(slug__in=slugs)}
        unknown = [slug for slug in slugs if slug not in pages]
        if unknown:
            raise serializers.ValidationError(f"Unknown page(s): {', '.join(unknown[:20])}.")
        return [pages[slug] for slug in slugs]


@extend_schema_field(serializers.ListField(child=serializers.SlugField()))
class AttachedPagesField(serializers.Field):
    """The slugs of the pages an incident is attached to (those the reader may see)."""

    def __init__(self, **kwargs):
        kwargs.update(source="*", read_only=True)
        kwargs.setdefault("help_text", "Slugs of the pages a general incident is attached to.")
        super().__init__(**kwargs)

    def to_representation(self, incident: Incident) -> list[str]:
        limited = limited_to(user_of(self))
        mine = None if limited is None else {page.pk for page in limited}
        return [page.slug for page in incident.pages.all() if mine is None or page.pk in mine]


def refuse_other_components(user, ids) -> None:
    """Raise unless every component id is on one of the user's pages (staff limited to pages)."""
    if limited_to(user) is None:
        return
    ids = set(ids)
    outside = sorted(ids - set(components_for(user).filter(pk__in=ids).values_list("pk", flat=True)))
    if outside:
        raise serializers.ValidationError(
            f"Component(s) {', '.join(map(str, outside[:20]))} are not on your pages."
        )


class PageFilterSerializer(serializers.Serializer):
    status_page = serializers.SlugField(
        required=False, help_text="Only incidents shown on this page (its slug)."
    )

    def validate_status_page(self, slug: str) -> StatusPage:
        page = pages_for(user_of(self)).filter(slug=slug).first()
        if page is None:
            raise serializers.ValidationError(f"Unknown page: {slug}.")
        return page
