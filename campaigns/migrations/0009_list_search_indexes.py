"""Search indexes for million-row lists (issue 15): FTS5 tables kept by triggers on
SQLite, expression indexes on PostgreSQL (campaigns/models/search.py holds the SQL)."""

from django.db import migrations

from campaigns.models import search


def create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for kind in search.TABLES:
        if vendor == "sqlite":
            statements = search.sqlite_schema(kind)
        elif vendor == "postgresql":
            statements = search.postgres_schema(kind)
        else:
            statements = []
        for sql in statements:
            schema_editor.execute(sql)


def drop(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for kind in search.TABLES:
        if vendor == "sqlite":
            statements = search.sqlite_drop(kind)
        elif vendor == "postgresql":
            statements = search.postgres_drop(kind)
        else:
            statements = []
        for sql in statements:
            schema_editor.execute(sql)
    if vendor == "sqlite":
        schema_editor.execute("DROP TABLE IF EXISTS campaigns_search_pause")


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0008_dnd_source_index")]

    operations = [migrations.RunPython(create, drop)]
