"""Create a staff superuser when none exists, and print how to log in."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.urls import reverse


class Command(BaseCommand):
    help = "Create an 'admin' superuser with a random password if no staff user exists."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--username", default="admin")

    def handle(self, *args, **options) -> None:
        User = get_user_model()
        login_url = f"{settings.SITE_URL}{reverse('console')}"
        existing = User.objects.filter(is_staff=True).order_by("pk").first()
        if existing:
            self.stdout.write(
                f"Staff console: {login_url} as '{existing.get_username()}' "
                f"(password unchanged; reset with: manage.py changepassword {existing.get_username()})"
            )
            return
        password = secrets.token_urlsafe(12)
        User.objects.create_superuser(options["username"], "", password)
        self.stdout.write(
            self.style.SUCCESS(
                f"Staff console: {login_url} user '{options['username']}' password '{password}'"
            )
        )
