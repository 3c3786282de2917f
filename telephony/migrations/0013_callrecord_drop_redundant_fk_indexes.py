"""CallRecord's own indexes on account and campaign go: the unique (account, vendor call
id) key and cdr_account_started / cdr_campaign_started lead with those columns, so every
lookup and every cascade keeps an index, and each ingested row pays two B-trees less.

By hand: Django's AlterField copies the whole table on SQLite to drop a foreign key's
index (and on PostgreSQL it wrote no SQL at all)."""

import django.db.models.deletion
from django.db import migrations, models

INDEXES = {
    "telephony_callrecord_account_id_58ff6318": "account_id",
    "telephony_callrecord_campaign_id_542f8300": "campaign_id",
}

database_operations = [
    migrations.RunSQL(
        f'DROP INDEX IF EXISTS "{name}"',
        reverse_sql=f'CREATE INDEX IF NOT EXISTS "{name}" ON "telephony_callrecord" ("{column}")',
    )
    for name, column in INDEXES.items()
]


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0012_search_insert_trigger"),
        ("telephony", "0012_drop_hour_rollups"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=database_operations,
            state_operations=[
                migrations.AlterField(
                    model_name="callrecord",
                    name="account",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="cdrs",
                        to="telephony.provideraccount",
                    ),
                ),
                migrations.AlterField(
                    model_name="callrecord",
                    name="campaign",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="call_records",
                        to="campaigns.campaign",
                    ),
                ),
            ],
        )
    ]
