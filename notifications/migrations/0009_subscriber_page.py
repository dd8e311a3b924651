# A subscriber belongs to one page: existing ones to the default page; an address is unique per page.

import django.db.models.deletion
from django.db import migrations, models

import notifications.models


def to_default_page(apps, schema_editor):
    StatusPage = apps.get_model("incidents", "StatusPage")
    models_ = [apps.get_model("notifications", name) for name in ("Subscriber", "Verification", "ImportJob")]
    if not any(model.objects.filter(page__isnull=True).exists() for model in models_):
        return  # a new install: nothing to move, and no page is needed for it
    default = StatusPage.objects.get(is_default=True)  # made by incidents 0006
    for model in models_:
        model.objects.filter(page__isnull=True).update(page=default)


def page_field(null: bool):
    return models.ForeignKey(
        null=null,
        default=None if null else notifications.models.default_page_id,
        on_delete=django.db.models.deletion.CASCADE,
        related_name="+",
        to="incidents.statuspage",
    )


class Migration(migrations.Migration):

    dependencies = [
        ("incidents", "0006_default_page"),
        ("notifications", "0008_verification_link_key"),
    ]

    operations = [
        migrations.AddField(
            model_name="subscriber",
            name="page",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="subscribers",
                to="incidents.statuspage",
            ),
        ),
        migrations.AddField(model_name="verification", name="page", field=page_field(null=True)),
        migrations.AddField(model_name="importjob", name="page", field=page_field(null=True)),
        migrations.RunPython(to_default_page, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="subscriber",
            name="page",
            field=models.ForeignKey(
                default=notifications.models.default_page_id,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="subscribers",
                to="incidents.statuspage",
            ),
        ),
        migrations.AlterField(model_name="verification", name="page", field=page_field(null=False)),
        migrations.AlterField(model_name="importjob", name="page", field=page_field(null=False)),
        migrations.AlterField(
            model_name="subscriber",
            name="email",
            field=models.EmailField(blank=True, max_length=254, null=True),
        ),
        migrations.AlterField(
            model_name="subscriber",
            name="phone",
            field=models.CharField(blank=True, max_length=20, null=True),
        ),
        migrations.AddConstraint(
            model_name="subscriber",
            constraint=models.UniqueConstraint(fields=("email", "page"), name="subscriber_email_per_page"),
        ),
        migrations.AddConstraint(
            model_name="subscriber",
            constraint=models.UniqueConstraint(fields=("phone", "page"), name="subscriber_phone_per_page"),
        ),
    ]
