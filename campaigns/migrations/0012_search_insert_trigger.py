# ruff: noqa: S608 (every table and column name in this SQL is a constant of search.py)
"""SQLite: the FTS insert triggers no longer ask a "paused lists" table on every row (the
import now drops the trigger inside its batch's transaction instead: models/search.py),
so the triggers are created again without that WHEN, and the table goes."""

from django.db import migrations

from campaigns.models import search

# The triggers as 0009 created them, for the way back.
_PAUSED = {
    "contact": (
        "campaigns_contact",
        "campaigns_contact_search",
        "contact_list_id",
    ),
    "dnd": ("campaigns_dndentry", "campaigns_dndentry_search", "dnd_list_id"),
}


def _old_trigger(kind: str) -> str:
    table, fts, list_column = _PAUSED[kind]
    words = search.TABLES[kind][3].format(t="new.")
    return (
        f"CREATE TRIGGER IF NOT EXISTS {fts}_ai AFTER INSERT ON {table} "
        "WHEN NOT EXISTS (SELECT 1 FROM campaigns_search_pause WHERE "
        f"kind = '{kind}' AND list_id = new.{list_column}) BEGIN "
        f"INSERT INTO {fts} (rowid, words, tail) VALUES (new.id, {words}, "
        f"'e' || substr(new.number, -{search.MIN_TAIL})); END"
    )


def forward(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    for kind, (_, fts, _, _) in search.TABLES.items():
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {fts}_ai")
        schema_editor.execute(search.sqlite_triggers(kind)[0])
    schema_editor.execute("DROP TABLE IF EXISTS campaigns_search_pause")


def backward(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    schema_editor.execute(
        "CREATE TABLE IF NOT EXISTS campaigns_search_pause "
        "(kind TEXT NOT NULL, list_id INTEGER NOT NULL, PRIMARY KEY (kind, list_id))"
    )
    for kind, (_, fts, _, _) in search.TABLES.items():
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {fts}_ai")
        schema_editor.execute(_old_trigger(kind))


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0011_importjob_summary")]

    operations = [migrations.RunPython(forward, backward)]
