# ruff: noqa: S608 (every table and column name in this SQL is a constant of this module)
"""Search of a million-row contact or DND list, served by an index on each database.

What a search box finds (and its placeholder says so):
- a whole number, in any format: that E.164 number (the unique list+number index);
- "+" and the first digits: numbers starting so (a range on the same index);
- 4 or more digits: numbers ending in them ("ends with", the usual way people quote a
  number: "the one ending 3210");
- words: names and custom field values (DND: names and reasons) holding a word that
  starts with each typed word ("ra ku" finds "Ravi Kumar").
Anything else (3 digits, the middle of a number, the middle of a word) has no index and
matches nothing rather than reading the whole list.

SQLite: a contentless FTS5 table per model (unicode61, detail=none: the smallest and
cheapest to fill) holds each row's words and a token "e" + its last 4 digits; "ends
with" asks FTS for that token, then checks the full suffix on those few rows. Triggers
keep it in step with every write, raw SQL included. The import's raw batches (millions
of rows) fill it with one INSERT … SELECT a batch instead: a trigger per row cost 7x
the insert itself. The import drops the insert trigger inside the batch's transaction
and creates it again before the commit (DDL is transactional on SQLite), so no other
writer (one at a time on SQLite) ever runs without it, a crash rolls the drop back, and
the batch's rows pay nothing per row. (An earlier version kept the trigger and skipped
it with a WHEN on a "paused lists" table: that subquery, run for every row, cost more
than the insert's indexes.)

PostgreSQL: expression indexes, so no column needs filling by any write path: a GIN
index on the same words as a `simple` tsvector, and a btree on (list, reverse(number))
for "ends with"."""

import re

from django.db import connection
from django.db.models import BooleanField, Func, Q
from django.db.models.signals import post_migrate

_WORD = re.compile(r"[^\W_]+")
_DIGITS_ONLY = re.compile(r"[^0-9]")
MAX_WORDS = 8
MIN_TAIL = 4  # digits for "ends with": the FTS token holds the last 4

# model label -> (table, FTS table, list column, SQLite words expression)
TABLES = {
    "contact": (
        "campaigns_contact",
        "campaigns_contact_search",
        "contact_list_id",
        "coalesce({t}name, '') || ' ' || coalesce((SELECT group_concat(value, ' ') FROM "
        "json_each(CASE WHEN json_valid({t}fields) THEN {t}fields ELSE '{{}}' END)), '')",
    ),
    "dnd": (
        "campaigns_dndentry",
        "campaigns_dndentry_search",
        "dnd_list_id",
        "coalesce({t}name, '') || ' ' || coalesce({t}reason, '')",
    ),
}
PG_WORDS = {
    "contact": "(to_tsvector('simple'::regconfig, coalesce(name, '')) || "
    "jsonb_to_tsvector('simple'::regconfig, fields, '[\"string\", \"numeric\"]'))",
    "dnd": "to_tsvector('simple'::regconfig, coalesce(name, '') || ' ' || coalesce(reason, ''))",
}


def _words_sql(kind: str, prefix: str = "") -> str:
    return TABLES[kind][3].format(t=prefix)


def _tail_sql(prefix: str = "") -> str:
    return f"'e' || substr({prefix}number, -{MIN_TAIL})"


def _insert_trigger(kind: str) -> str:
    table, fts, _, _ = TABLES[kind]
    return (
        f"CREATE TRIGGER IF NOT EXISTS {fts}_ai AFTER INSERT ON {table} BEGIN "
        f"INSERT INTO {fts} (rowid, words, tail) "
        f"VALUES (new.id, {_words_sql(kind, 'new.')}, {_tail_sql('new.')}); END"
    )


def sqlite_triggers(kind: str) -> list[str]:
    """The triggers that keep the FTS table in step with every write."""
    table, fts, _, _ = TABLES[kind]
    new_words, old_words = _words_sql(kind, "new."), _words_sql(kind, "old.")
    new_tail, old_tail = _tail_sql("new."), _tail_sql("old.")
    insert = f"INSERT INTO {fts} (rowid, words, tail) VALUES (new.id, {new_words}, {new_tail});"
    delete = (
        f"INSERT INTO {fts} ({fts}, rowid, words, tail) "
        f"VALUES ('delete', old.id, {old_words}, {old_tail});"
    )
    return [
        _insert_trigger(kind),
        f"CREATE TRIGGER IF NOT EXISTS {fts}_ad AFTER DELETE ON {table} BEGIN {delete} END",
        f"CREATE TRIGGER IF NOT EXISTS {fts}_au AFTER UPDATE OF number, name, "
        f"{'fields' if kind == 'contact' else 'reason'} ON {table} BEGIN {delete} {insert} END",
    ]


def sqlite_schema(kind: str) -> list[str]:
    """The FTS table, its triggers, and the rows already there (migrations run these)."""
    table, fts, _, _ = TABLES[kind]
    return [
        f"CREATE VIRTUAL TABLE {fts} USING fts5(words, tail, content='', "
        "tokenize='unicode61 remove_diacritics 2', detail=none, columnsize=0)",
        *sqlite_triggers(kind),
        f"INSERT INTO {fts} (rowid, words, tail) "  # rows already there
        f"SELECT id, {_words_sql(kind)}, {_tail_sql()} FROM {table}",
    ]


def restore_sqlite_triggers(using="default", **kwargs):
    """After every migrate: Django rebuilds a SQLite table to alter it (a new table,
    the rows copied with their ids, the old one dropped), which drops its triggers. The
    FTS rows still match the ids, so putting the triggers back is enough."""
    from django.db import connections

    db = connections[using]
    if db.vendor != "sqlite":
        return
    with db.cursor() as cursor:
        tables = set(db.introspection.table_names(cursor))
        for kind, (table, fts, _, _) in TABLES.items():
            if table in tables and fts in tables:
                for sql in sqlite_triggers(kind):
                    cursor.execute(sql)


def sqlite_drop(kind: str) -> list[str]:
    _, fts, _, _ = TABLES[kind]
    return [
        f"DROP TRIGGER IF EXISTS {fts}_ai",
        f"DROP TRIGGER IF EXISTS {fts}_ad",
        f"DROP TRIGGER IF EXISTS {fts}_au",
        f"DROP TABLE IF EXISTS {fts}",
    ]


def postgres_schema(kind: str) -> list[str]:
    table, _, list_column, _ = TABLES[kind]
    return [
        f"CREATE INDEX IF NOT EXISTS {table}_words_idx ON {table} USING gin ({PG_WORDS[kind]})",
        f"CREATE INDEX IF NOT EXISTS {table}_tail_idx ON {table} "
        f"({list_column}, reverse(number) text_pattern_ops)",
    ]


def postgres_drop(kind: str) -> list[str]:
    table = TABLES[kind][0]
    return [f"DROP INDEX IF EXISTS {table}_words_idx", f"DROP INDEX IF EXISTS {table}_tail_idx"]


class BulkSearchFill:
    """The import's raw batches on SQLite: drop the per-row insert trigger inside the
    batch's transaction, then index the batch's new rows (ids above `floor`) in one
    statement and create the trigger again, before the commit. A no-op on PostgreSQL
    (expression indexes need no filling)."""

    def __init__(self, kind: str, list_id: int):
        self.kind, self.list_id = kind, list_id
        self.active = connection.vendor == "sqlite"

    def pause(self, cursor) -> int:
        """Drop the insert trigger (inside the batch's transaction: never seen outside
        it) and return the id floor (the highest id before the batch)."""
        if not self.active:
            return 0
        table, fts, _, _ = TABLES[self.kind]
        cursor.execute(f"DROP TRIGGER IF EXISTS {fts}_ai")
        cursor.execute(f"SELECT coalesce(max(id), 0) FROM {table}")  # noqa: S608
        return cursor.fetchone()[0]

    def fill(self, cursor, floor: int):
        if not self.active:
            return
        table, fts, list_column, _ = TABLES[self.kind]
        cursor.execute(
            # Table and column names are constants of this module, never user input.
            # In id order: FTS5 writes out its pending terms whenever a rowid goes back.
            f"INSERT INTO {fts} (rowid, words, tail) "  # noqa: S608
            f"SELECT id, {_words_sql(self.kind)}, {_tail_sql()} FROM {table} "
            f"WHERE {list_column} = %s AND id > %s ORDER BY id",
            [self.list_id, floor],
        )
        cursor.execute(_insert_trigger(self.kind))


def words_of(text: str) -> list[str]:
    """The words of a typed search, as both indexes split them (letters and digits)."""
    return [word.lower() for word in _WORD.findall(text or "")][:MAX_WORDS]


class WordSearch(Func):
    """True for rows with a word starting with each of `words` (in the model's words)."""

    output_field = BooleanField()
    conditional = True

    def __init__(self, kind: str, words: list[str]):
        super().__init__()
        self.kind, self.words = kind, list(words)

    def as_sqlite(self, compiler, connection, **extra):
        table, fts, _, _ = TABLES[self.kind]
        match = " AND ".join(f'"{word}"*' for word in self.words)
        return (
            f'"{table}"."id" IN (SELECT rowid FROM {fts} WHERE {fts} MATCH %s)',  # noqa: S608
            [match],
        )

    def as_postgresql(self, compiler, connection, **extra):
        query = " & ".join(f"{word}:*" for word in self.words)
        return f"({PG_WORDS[self.kind]} @@ to_tsquery('simple'::regconfig, %s))", [query]

    def as_sql(self, compiler, connection, **extra):
        raise NotImplementedError(f"no word search on {connection.vendor}")


class TailSearch(Func):
    """True for rows whose number ends with `digits` (at least MIN_TAIL of them)."""

    output_field = BooleanField()
    conditional = True

    def __init__(self, kind: str, digits: str):
        super().__init__()
        self.kind, self.digits = kind, digits

    def as_sqlite(self, compiler, connection, **extra):
        table, fts, _, _ = TABLES[self.kind]
        token = f'"e{self.digits[-MIN_TAIL:]}"'
        return (
            f'"{table}"."id" IN (SELECT rowid FROM {fts} WHERE {fts} MATCH %s) '  # noqa: S608
            f'AND "{table}"."number" LIKE %s',
            [token, f"%{self.digits}"],
        )

    def as_postgresql(self, compiler, connection, **extra):
        table = TABLES[self.kind][0]
        reversed_digits = self.digits[::-1]
        return f'(reverse("{table}"."number") LIKE %s)', [f"{reversed_digits}%"]

    def as_sql(self, compiler, connection, **extra):
        raise NotImplementedError(f"no tail search on {connection.vendor}")


def search_q(kind: str, text: str, exact_number) -> Q:
    """The filter for a typed search (see the module docstring). `exact_number` turns
    the text into an E.164 number or None."""
    text = (text or "").strip().lstrip("'")
    compact = re.sub(r"[\s().\-/]", "", text)
    if compact[:1] == "+" and compact[1:].isdigit():
        number = exact_number(text)
        if number:
            return Q(number=number)
        # "+9198…": the start of an E.164 number, a range on the list+number index.
        return Q(number__gte=compact, number__lt=compact + ":")
    if compact.isdigit():
        number = exact_number(text)
        return Q(number=number) if number else _tail_q(kind, compact)
    words = words_of(text)
    if not words:
        return Q(pk__in=[])
    if connection.vendor == "sqlite":
        ids = _few_matches(kind, words)
        if ids is not None:
            return Q(pk__in=ids)
    return Q(WordSearch(kind, words))


# Up to this many matches, SQLite gets the ids themselves (see _few_matches).
FEW = 2000


def _few_matches(kind: str, words: list[str]) -> list[int] | None:
    """The matching ids when there are few, else None. Given the FTS subquery, SQLite
    walks the list in id order (no sort for the page) and checks each contact against
    it: quick when matches are many, but a name matching nothing read all of a
    million-row list (118-147 ms). A handful of ids is looked up by primary key."""
    _, fts, _, _ = TABLES[kind]
    match = " AND ".join(f'"{word}"*' for word in words)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT rowid FROM {fts} WHERE {fts} MATCH %s LIMIT %s", [match, FEW + 1])
        ids = [row[0] for row in cursor.fetchall()]
    return ids if len(ids) <= FEW else None


def _tail_q(kind: str, digits: str) -> Q:
    if len(digits) < MIN_TAIL:
        return Q(pk__in=[])  # no index for it: nothing rather than a scan
    return Q(TailSearch(kind, digits))


def search_hint(text: str, what: str = "names or custom field values") -> str:
    """What the search box finds, said when a typed search cannot match (no index
    serves it, so it is not run); "" when it can."""
    compact = re.sub(r"[\s().\-/']", "", (text or "").strip())
    if not compact:
        return ""
    if compact[:1] == "+" or (compact.isdigit() and len(compact) >= MIN_TAIL):
        return ""
    if not compact.isdigit() and words_of(text):
        return ""
    return (
        f"The search finds a whole number, a number's last {MIN_TAIL} or more digits, "
        f'"+" and a number\'s first digits, or words that start {what}.'
    )


def digits_of(text: str) -> str:
    return _DIGITS_ONLY.sub("", text or "")


post_migrate.connect(restore_sqlite_triggers, dispatch_uid="campaigns.search.triggers")
