"""Status pages in the Django admin (Admins): hosts, components, brand and access, every change audited."""

from __future__ import annotations

import re

from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.http.request import split_domain_port, validate_host

from incidents.models import PageComponent, PageHost, StatusPage
from incidents.models.pages import IMAGE_LIMIT, PageAccess, new_share_key
from incidents.public import access_keys
from incidents.timeline.audit import audit
from statuspage.staff import AuditedAdmin, _changed_credentials, fields_of

IMAGE_KINDS = "PNG, JPEG, SVG or ICO"
PASSWORD_MIN_LENGTH = 8
_SVG = re.compile(r"^\s*(<\?xml[^>]*>\s*)?(<!--.*?-->\s*)*(<!doctype svg[^>]*>\s*)?<svg[\s>]", re.I | re.S)
# What can run or fetch inside an SVG: refused, since a logo is served from the page's own origin.
_SVG_ACTIVE = re.compile(r"<script|<foreignobject|<!entity|javascript:|\bon[a-z]+\s*=", re.I)


def image_type(data: bytes) -> str:
    """The content type of a logo or favicon, judged by its bytes (its name and stated type say nothing)."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x00\x00\x01\x00"):
        return "image/x-icon"
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = ""
    if _SVG.match(text):
        if _SVG_ACTIVE.search(text):
            raise ValidationError("This SVG holds a script, an event handler or an entity: save it without.")
        return "image/svg+xml"
    raise ValidationError(f"Upload a {IMAGE_KINDS} image; this file is none of these.")


def read_image(upload) -> tuple[bytes, str]:
    if upload.size > IMAGE_LIMIT:
        raise ValidationError(f"At most {IMAGE_LIMIT:,} bytes; this file has {upload.size:,}.")
    data = upload.read(IMAGE_LIMIT + 1)
    if len(data) > IMAGE_LIMIT:
        raise ValidationError(f"At most {IMAGE_LIMIT:,} bytes.")
    return data, image_type(data)


class StatusPageForm(forms.ModelForm):
    logo_upload = forms.FileField(
        required=False, label="Logo", help_text=f"{IMAGE_KINDS}, at most {IMAGE_LIMIT:,} bytes."
    )
    remove_logo = forms.BooleanField(required=False, label="Remove the logo")
    favicon_upload = forms.FileField(
        required=False, label="Favicon", help_text=f"{IMAGE_KINDS}, at most {IMAGE_LIMIT:,} bytes."
    )
    remove_favicon = forms.BooleanField(required=False, label="Remove the favicon")
    new_password = forms.CharField(
        required=False,
        strip=False,
        min_length=PASSWORD_MIN_LENGTH,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="For a password page. Left blank, the current password stays.",
    )
    support_url = forms.URLField(required=False, max_length=200, assume_scheme="https")
    rotate_share_key = forms.BooleanField(
        required=False,
        label="Rotate the share key",
        help_text="Every share link given out so far stops working, and every visitor signed in by the "
        "password or a share link is signed out.",
    )

    class Meta:
        model = StatusPage
        fields = [
            "name",
            "slug",
            "is_default",
            "adds_new_components",
            "position",
            "accent_colour",
            "footer_links",
            "custom_css",
            "time_zone",
            "support_url",
            "access",
            "allowed_email_domains",
            "allowed_emails",
            "allowed_networks",
            "staff",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        set_ = "A password is set; left blank, it stays. A new one signs everyone out."
        unset = "No password is set. A password page needs one."
        self.fields["new_password"].help_text = set_ if self.instance.password_hash else unset

    def _get_validation_exclusions(self):
        # One default page: the admin moves the default here (save_model), so the constraint holds.
        return {*super()._get_validation_exclusions(), "is_default"}

    def clean_logo_upload(self):
        upload = self.cleaned_data.get("logo_upload")
        return read_image(upload) if upload else None

    def clean_favicon_upload(self):
        upload = self.cleaned_data.get("favicon_upload")
        return read_image(upload) if upload else None

    def clean(self):
        data = super().clean()
        page = self.instance
        if (
            data.get("access") == PageAccess.PASSWORD
            and not data.get("new_password")
            and not page.password_hash
        ):
            self.add_error("new_password", "A password page needs a password.")
        if page.pk and page.is_default and "is_default" in data and not data["is_default"]:
            self.add_error("is_default", "This is the default page: make another page the default instead.")
        return data

    def save(self, commit=True):
        page, data = self.instance, self.cleaned_data
        for name in ("logo", "favicon"):
            if data.get(f"{name}_upload"):
                content, content_type = data[f"{name}_upload"]
                setattr(page, name, content)
                setattr(page, f"{name}_type", content_type)
            elif data.get(f"remove_{name}"):
                setattr(page, name, b"")
                setattr(page, f"{name}_type", "")
        if data.get("new_password"):
            page.password_hash = make_password(data["new_password"])
        if data.get("rotate_share_key"):
            page.share_key = new_share_key()
        return super().save(commit)


class PageHostForm(forms.ModelForm):
    class Meta:
        model = PageHost
        fields = ["host"]

    def clean_host(self) -> str:
        host = self.cleaned_data["host"].strip().lower()
        domain, _ = split_domain_port(host)
        if domain and not validate_host(domain, settings.ALLOWED_HOSTS):
            raise ValidationError(
                f"{host} is not in ALLOWED_HOSTS, so Django would refuse its requests: add it to the "
                "ALLOWED_HOSTS setting (the environment variable), restart, then add it here."
            )
        return host


class PageHostInline(admin.TabularInline):
    model = PageHost
    form = PageHostForm
    extra = 1


class PageComponentInline(admin.TabularInline):
    model = PageComponent
    fields = ["component", "group", "position"]
    extra = 1


def related_picture(page: StatusPage | None) -> dict:
    """A page's hosts, components and staff for the audit log (the admin's inlines and M2M)."""
    if page is None or page.pk is None:
        return {}
    placements = PageComponent.objects.filter(page=page).select_related("component", "group")
    return {
        "hosts": sorted(page.hosts.values_list("host", flat=True)),
        "components": [
            {
                "component": p.component.name,
                "group": p.group.name if p.group else None,
                "position": p.position,
            }
            for p in placements
        ],
        "staff": sorted(page.staff.values_list("username", flat=True)),
    }


@admin.register(StatusPage)
class StatusPageAdmin(AuditedAdmin):
    form = StatusPageForm
    inlines = [PageHostInline, PageComponentInline]
    list_display = ["name", "slug", "access", "is_default", "host_names"]
    list_filter = ["access", "is_default"]
    search_fields = ["name", "slug", "hosts__host"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["staff"]
    readonly_fields = ["images", "share_link"]
    fieldsets = [
        (None, {"fields": ["name", "slug", "is_default", "adds_new_components", "position"]}),
        (
            "Branding",
            {
                "fields": [
                    "accent_colour",
                    "images",
                    ("logo_upload", "remove_logo"),
                    ("favicon_upload", "remove_favicon"),
                    "footer_links",
                    "custom_css",
                    "time_zone",
                    "support_url",
                ]
            },
        ),
        (
            "Access",
            {
                "fields": [
                    "access",
                    "new_password",
                    "share_link",
                    "rotate_share_key",
                    "allowed_email_domains",
                    "allowed_emails",
                    "allowed_networks",
                    "staff",
                ],
                "description": "Staff named here see only their pages in the console and the API.",
            },
        ),
    ]

    @admin.display(description="Hosts")
    def host_names(self, page: StatusPage) -> str:
        return ", ".join(host.host for host in page.hosts.all()) or f"/p/{page.slug}/"

    @admin.display(description="Logo and favicon")
    def images(self, page: StatusPage) -> str:
        def shown(data, content_type) -> str:
            return f"{content_type}, {len(data):,} bytes" if data else "none"

        return f"Logo: {shown(page.logo, page.logo_type)}. Favicon: {shown(page.favicon, page.favicon_type)}."

    @admin.display(description="Share link")
    def share_link(self, page: StatusPage) -> str:
        if not page.pk or page.access != PageAccess.PASSWORD:
            return "For password pages."
        return access_keys.share_link(page)

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("hosts")

    def has_delete_permission(self, request, obj=None) -> bool:
        if obj is not None and obj.is_default:
            return False  # an install always has a default page
        return super().has_delete_permission(request, obj)

    def get_deleted_objects(self, objs, request):
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        if any(page.is_default for page in objs):
            protected = [*protected, "The default page: make another page the default first."]
        return deleted, counts, perms_needed, protected

    def save_model(self, request, obj, form, change):
        # Audited once the inlines and staff are saved too (save_related), with them.
        request._page_before = (
            (fields_of(stored), related_picture(stored), stored)
            if change and (stored := StatusPage.objects.filter(pk=obj.pk).first())
            else (None, {}, None)
        )
        if obj.is_default:
            for other in StatusPage.objects.filter(is_default=True).exclude(pk=obj.pk):
                audit(
                    request.user,
                    "admin.statuspage.changed",
                    other,
                    {"is_default": True},
                    {"is_default": False},
                )
            StatusPage.objects.filter(is_default=True).exclude(pk=obj.pk).update(is_default=False)
        admin.ModelAdmin.save_model(self, request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        page = form.instance
        before, related_before, stored = getattr(request, "_page_before", (None, {}, None))
        after = fields_of(page)
        if stored is not None:
            after = _changed_credentials(stored, page, after)
        action = f"admin.statuspage.{'changed' if change else 'added'}"
        before = {**before, **related_before} if before else None
        audit(request.user, action, page, before, {**after, **related_picture(page)})
