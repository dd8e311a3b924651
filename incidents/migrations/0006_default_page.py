"""An install that had one page gets it as its default public page, holding every component."""

from django.conf import settings
from django.db import migrations


def create_default_page(apps, schema_editor):
    StatusPage = apps.get_model("incidents", "StatusPage")
    PageComponent = apps.get_model("incidents", "PageComponent")
    Component = apps.get_model("incidents", "Component")
    if StatusPage.objects.exists():
        return
    page = StatusPage.objects.create(
        name=settings.SITE_NAME, slug="main", is_default=True, adds_new_components=True, time_zone=settings.TIME_ZONE
    )
    PageComponent.objects.bulk_create(
        PageComponent(page=page, component=c, group_id=c.group_id, position=c.position)
        for c in Component.objects.all()
    )


class Migration(migrations.Migration):
    dependencies = [("incidents", "0005_status_pages")]

    operations = [migrations.RunPython(create_default_page, migrations.RunPython.noop)]
