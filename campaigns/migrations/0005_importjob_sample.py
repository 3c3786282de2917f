from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0004_campaign_vendor_pause"),
    ]

    operations = [
        migrations.AddField(
            model_name="importjob",
            name="sample",
            field=models.JSONField(
                blank=True,
                default=list,
                help_text="The file's first rows, header included, cells cut short: the mapping page's preview, so it never reads the file again",
            ),
        ),
    ]
