"""Status pages: each shows some components, under its own hosts, brand and access rule."""

from __future__ import annotations

import ipaddress
import secrets
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, RegexValidator
from django.db import models
from django.db.models import Q

from incidents.models.components import Component, ComponentGroup

CUSTOM_CSS_LIMIT = 20_000  # characters: room for a brand, not for a second stylesheet
IMAGE_LIMIT = 200_000  # bytes, for the logo and the favicon


class PageAccess(models.TextChoices):
    PUBLIC = "public", "Public: anyone"
    STAFF = "staff", "Private: signed-in staff"
    PASSWORD = "password", "Private: a shared password or the share link"
    EMAIL = "email", "Private: allowed email addresses, signed in by a link emailed to them"
    NETWORK = "network", "Private: visitors from allowed networks (CIDR)"


def new_share_key() -> str:
    return secrets.token_urlsafe(18)


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not a time zone name such as Europe/Paris.")


def validate_networks(value: str) -> None:
    for line in lines(value):
        try:
            ipaddress.ip_network(line, strict=False)
        except ValueError as exc:
            raise ValidationError(f"{line!r} is not a network such as 10.0.0.0/8 or 2001:db8::/32.") from exc


def validate_footer_links(value: str) -> None:
    for line in lines(value):
        label, _, url = line.partition("|")
        if not label.strip() or not url.strip().startswith(("https://", "http://", "/", "mailto:")):
            raise ValidationError(f"{line!r}: write each link as 'Label | https://example.com/…'.")


def lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


host_name = RegexValidator(
    r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(:\d{1,5})?$",
    "A host name such as status.example.com (lower case, no scheme or path).",
)


class StatusPage(models.Model):
    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=50, unique=True, help_text="Its address under /p/<slug>/.")
    is_default = models.BooleanField(
        default=False, help_text="Answers at / on any host no other page claims."
    )
    components = models.ManyToManyField(
        Component, through="PageComponent", blank=True, related_name="status_pages"
    )
    adds_new_components = models.BooleanField(
        default=False, help_text="A component created later appears on this page too."
    )
    # Branding
    accent_colour = models.CharField(
        max_length=7,
        blank=True,
        validators=[RegexValidator(r"^#[0-9a-fA-F]{6}$", "A colour such as #1f6feb.")],
    )
    logo = models.BinaryField(blank=True, editable=False, default=b"")
    logo_type = models.CharField(max_length=40, blank=True, editable=False)
    favicon = models.BinaryField(blank=True, editable=False, default=b"")
    favicon_type = models.CharField(max_length=40, blank=True, editable=False)
    footer_links = models.TextField(
        blank=True, validators=[validate_footer_links], help_text="One per line: Label | URL"
    )
    custom_css = models.TextField(
        blank=True,
        validators=[MaxLengthValidator(CUSTOM_CSS_LIMIT)],
        help_text=f"Added after the site's stylesheet; at most {CUSTOM_CSS_LIMIT:,} characters.",
    )
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    support_url = models.URLField(blank=True)
    # Access
    access = models.CharField(max_length=10, choices=PageAccess.choices, default=PageAccess.PUBLIC)
    password_hash = models.CharField(max_length=128, blank=True, editable=False)
    # The random part of share links (password pages): a new key revokes every link shared so far.
    share_key = models.CharField(max_length=32, default=new_share_key, editable=False)
    allowed_email_domains = models.TextField(blank=True, help_text="One per line, e.g. example.com")
    allowed_emails = models.TextField(blank=True, help_text="One address per line.")
    allowed_networks = models.TextField(
        blank=True, validators=[validate_networks], help_text="One per line, e.g. 10.0.0.0/8"
    )
    # Staff named on any page see only those pages in the console and the API; others see every page.
    staff = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="status_pages")
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="one_default_page"
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_private(self) -> bool:
        return self.access != PageAccess.PUBLIC


class PageHost(models.Model):
    page = models.ForeignKey(StatusPage, on_delete=models.CASCADE, related_name="hosts")
    host = models.CharField(max_length=255, unique=True, validators=[host_name])

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.host


class PageComponent(models.Model):
    """A component's place on one page: its group and position there."""

    page = models.ForeignKey(StatusPage, on_delete=models.CASCADE, related_name="placements")
    component = models.ForeignKey(Component, on_delete=models.CASCADE, related_name="placements")
    group = models.ForeignKey(
        ComponentGroup, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["page", "component"], name="component_once_per_page")]

    def __str__(self) -> str:
        return f"{self.component} on {self.page}"
