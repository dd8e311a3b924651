from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('notifications', '0005_delivery_retry_at'),
    ]

    operations = [
        migrations.AddField(
            model_name='delivery',
            name='maybe_sent_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
