"""POST /api/v1/subscribers/webhooks: Admins add a confirmed webhook subscriber and get its secret once."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import BasePermission
from rest_framework.response import Response

from incidents.api.base import StaffView
from incidents.api.serializers import StrictSerializer
from incidents.page_limits import pages_for
from incidents.timeline.page_setup import ensure_default_page
from notifications.delivery import safe_http
from notifications.signup import webhook_signup
from notifications.signup.webhook_forms import URL_MAX_LENGTH
from statuspage.staff import is_admin


class AdminOnly(BasePermission):
    """Admins only: the answer holds a signing secret, and the contact's address is personal data."""

    def has_permission(self, request, view) -> bool:
        return is_admin(request.user)


class WebhookSubscriberCreateSerializer(StrictSerializer):
    url = serializers.CharField(
        max_length=URL_MAX_LENGTH,
        help_text="Where to POST; a public http(s) URL (private addresses refused).",
    )
    contact_email = serializers.EmailField(
        help_text="Told when the webhook is paused after repeated failures."
    )
    status_page = serializers.SlugField(
        required=False, help_text="The page it subscribes to (its slug); the default page if left out."
    )

    def validate_url(self, url: str) -> str:
        try:
            safe_http.check_url(url.strip())
        except safe_http.UnsafeDestination as exc:
            raise serializers.ValidationError(exc.message) from None
        return url.strip()

    def validate_contact_email(self, email: str) -> str:
        return email.strip().lower()

    def validate_status_page(self, slug: str):
        request = self.context.get("request")
        page = pages_for(request.user if request else None).filter(slug=slug).first()
        if page is None:
            raise serializers.ValidationError(f"Unknown page: {slug}.")
        return page


class WebhookSubscriberSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status_page = serializers.SlugField(source="page.slug")
    url = serializers.CharField(source="webhook_url")
    contact_email = serializers.EmailField(source="email")
    confirmed_at = serializers.DateTimeField(source="webhook_confirmed_at")
    secret = serializers.CharField(
        source="webhook_secret",
        help_text="Signs every POST (X-Statuspage-Signature); returned only by this call.",
    )


class WebhookSubscriberCreate(StaffView):
    permission_classes = [AdminOnly]
    serializer_class = WebhookSubscriberSerializer

    @extend_schema(
        summary="Add a webhook subscriber",
        description=(
            "Creates a confirmed webhook subscriber on a page (to every component and the default events; "
            "its manage link changes that) and returns its signing secret, shown only here. Admins only. "
            "A URL another contact already has on the page is refused."
        ),
        request=WebhookSubscriberCreateSerializer,
        responses={201: WebhookSubscriberSerializer},
    )
    def post(self, request, *args, **kwargs):
        payload = WebhookSubscriberCreateSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        page = data.get("status_page") or ensure_default_page()
        try:
            subscriber, _ = webhook_signup.create_confirmed(page, data["url"], data["contact_email"])
        except webhook_signup.WebhookRefused as refused:
            raise serializers.ValidationError({"url": [refused.message]}) from None
        return Response(WebhookSubscriberSerializer(subscriber).data, status=status.HTTP_201_CREATED)
