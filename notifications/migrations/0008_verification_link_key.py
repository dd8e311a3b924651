# Codes and links that prove an address move to Verification rows; subscriber links get a random key.

import secrets

import django.db.models.deletion
from django.db import migrations, models

import notifications.models


def give_every_subscriber_a_link_key(apps, schema_editor):
    Subscriber = apps.get_model("notifications", "Subscriber")
    pks = list(Subscriber.objects.filter(link_key__isnull=True).values_list("pk", flat=True))
    for start in range(0, len(pks), 1000):
        batch = [Subscriber(pk=pk, link_key=secrets.token_urlsafe(18)) for pk in pks[start : start + 1000]]
        Subscriber.objects.bulk_update(batch, ["link_key"])


def forget_pending_codes(apps, schema_editor):
    # A code texted before this release no longer opens anything: each proof now has its own.
    Subscriber = apps.get_model("notifications", "Subscriber")
    Subscriber.objects.exclude(phone_code_hash="").update(phone_code_hash="", phone_code_sent_at=None)
    Subscriber.objects.update(phone_code_tries=0)


class Migration(migrations.Migration):

    dependencies = [
        ("notifications", "0007_fanout_held"),
    ]

    operations = [
        migrations.AddField(
            model_name="subscriber",
            name="link_key",
            field=models.CharField(max_length=32, null=True, editable=False),
        ),
        migrations.RunPython(give_every_subscriber_a_link_key, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(
            model_name="subscriber",
            name="link_key",
            field=models.CharField(
                default=notifications.models.new_link_key, editable=False, max_length=32, unique=True
            ),
        ),
        migrations.AddField(
            model_name="subscriber",
            name="phone_code_tries_since",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(forget_pending_codes, migrations.RunPython.noop, elidable=True),
        migrations.CreateModel(
            name="Verification",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("channel", models.CharField(choices=[("email", "Email"), ("sms", "SMS")], max_length=10)),
                ("address", models.CharField(max_length=254)),
                ("token_hash", models.CharField(blank=True, max_length=64, null=True, unique=True)),
                ("code_hash", models.CharField(blank=True, max_length=64)),
                ("sent_at", models.DateTimeField(blank=True, null=True)),
                ("tries", models.PositiveSmallIntegerField(default=0)),
                ("used_at", models.DateTimeField(blank=True, null=True)),
                ("created_at", models.DateTimeField(auto_now_add=True, db_index=True)),
                (
                    "pair",
                    models.OneToOneField(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="notifications.verification",
                    ),
                ),
                (
                    "subscriber",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="verifications",
                        to="notifications.subscriber",
                    ),
                ),
            ],
        ),
    ]
