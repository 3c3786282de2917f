"""The one way CDRs enter the database: a batch of NormalizedCDRs for one account is
upserted into CallRecord and its rollups kept exact, in one transaction.

Why by hand and not bulk_create/bulk_update: the ingest has to run at half the speed of
a raw insert of the same rows (issue 11). Existing rows are fetched by one lookup per
chunk, new rows go in with executemany (COPY on PostgreSQL), changed rows are updated
with executemany. New rows reach the rollups by one INSERT ... SELECT ... GROUP BY ...
ON CONFLICT DO UPDATE per rollup table, from the rows just inserted (rollups.add_inserted:
the rebuild's SQL rules, no per-record Python).

A changed row first takes its old contribution out of its old key and then adds the new
one to its new key (Python deltas, upserts.add_measures), so a call whose status (or
start, caller id, campaign) changes moves between buckets and the rollups stay equal to
SQL over CallRecord.
"""

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from operator import itemgetter

from django.apps import apps
from django.db import connection, transaction
from django.db.models.expressions import RawSQL
from django.utils import timezone

from telephony.models import CallRecord, CallRollup, bucket_of, reversed_digits
from telephony.models.cdr import ROLLUP_MEASURES, SHORT_CALL_SECONDS
from telephony.phone import InvalidNumber, normalize

# Columns the ingest writes, with the width each text column is cut to (a vendor answer
# is hostile: it does not get to make an INSERT fail).
TEXT_WIDTHS = {
    "vendor_call_id": 100,
    "direction": 10,
    "status": 20,
    "vendor_status": 50,
    "caller_id": 32,
    "customer_number": 32,
    "customer_number_reversed": 32,
    "agent": 100,
    "recording_ref": 300,
    "reference_id": 64,
    "vendor_campaign_id": 64,
    "dtmf": 100,
}
TIME_COLUMNS = ("started_at", "answered_at", "ended_at")
NUMBER_COLUMNS = ("duration_seconds", "billable_seconds")
LINK_COLUMNS = ("call_id", "campaign_id", "attempt_id", "contact_id")
# Compared with the stored row to tell "updated" from "unchanged".
COMPARED = (*TEXT_WIDTHS, *NUMBER_COLUMNS, *LINK_COLUMNS, "raw", *TIME_COLUMNS)
PLAIN_COMPARED = tuple(name for name in COMPARED if name != "raw")
# Datetimes last (see _db_rows).
INSERTED = ("account_id", *COMPARED, "synced_at")
UPDATED = tuple(name for name in COMPARED if name != "vendor_call_id") + ("synced_at",)
# How many vendor ids one lookup query carries (SQLite's variable limit is far above).
LOOKUP_CHUNK = 2000
MAX_INT = 2**31 - 1


@dataclass
class IngestResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rollup_keys: int = 0
    vendor_call_ids: list = field(default_factory=list)

    def __iadd__(self, other: "IngestResult"):
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.rollup_keys += other.rollup_keys
        self.vendor_call_ids += other.vendor_call_ids
        return self


def ingest(account, cdrs, *, campaign=None, now: datetime | None = None) -> IngestResult:
    """Upsert `cdrs` (NormalizedCDRs) of `account`; idempotent. `campaign` links every
    record to that campaign (a native campaign's own CDR list)."""
    from .rollups import add_inserted  # rollups imports this module

    rows = {}
    for cdr in cdrs:
        row = _row(cdr)
        if row["vendor_call_id"]:
            rows[row["vendor_call_id"]] = row  # the last copy of a repeated id wins
    result = IngestResult(vendor_call_ids=list(rows))
    if not rows:
        return result
    now = now or timezone.now()
    with transaction.atomic():
        _lock_account(account.pk)
        existing = _existing(account.pk, list(rows))
        _link(account, rows, existing, campaign)
        inserts, updates, deltas = [], [], defaultdict(lambda: [0] * len(ROLLUP_MEASURES))
        for vendor_call_id, row in rows.items():
            row["account_id"], row["synced_at"] = account.pk, now
            old = existing.get(vendor_call_id)
            if old is None:
                inserts.append(row)
            elif _same(old, row):
                result.unchanged += 1
            else:
                row["id"] = old["id"]
                updates.append(row)
                _add(deltas, account.pk, old, -1)
                _add(deltas, account.pk, row, +1)
        # In start order: the indexes on the start time (and the vendor's call ids, which
        # most vendors derive from it) then grow at one end instead of at random pages.
        inserts.sort(key=_start_order)
        new_ids = _insert(inserts)
        _update(updates)
        # A changed record moves between keys by its Python deltas; new records are
        # summed by the database itself, from the rows just inserted (no per-record
        # Python: the same SQL rules as the rebuild).
        result.rollup_keys = apply_rollup_deltas(deltas)
        if new_ids:
            result.rollup_keys += add_inserted(account.pk, *new_ids)
        result.created, result.updated = len(inserts), len(updates)
    return result


# --- rows -----------------------------------------------------------------------------


def _text(value, width: int) -> str:
    if value.__class__ is not str:
        value = str(value or "")
    if "\x00" in value:
        value = value.replace("\x00", "")
    return value if len(value) <= width else value[:width]


def _seconds(value) -> int:
    if value.__class__ is int and 0 <= value <= MAX_INT:
        return value
    try:
        return min(max(int(value or 0), 0), MAX_INT)
    except (TypeError, ValueError):
        return 0


def _utc(value):
    if not isinstance(value, datetime):
        return None
    if value.tzinfo is UTC:
        return value  # the vendors' mapping tables give UTC: nothing to convert
    if timezone.is_naive(value):
        value = timezone.make_aware(value, UTC)
    return value.astimezone(UTC)


# json.dumps(..., default=str) would build a new encoder for every record.
_RAW_ENCODER = json.JSONEncoder(default=str)


def _raw_json(value) -> str:
    """The raw record as JSON text PostgreSQL can store (no NUL), dumped once: the text
    is what is written; it is parsed again only to compare with a stored copy."""
    text = _RAW_ENCODER.encode(value if isinstance(value, dict) else {"value": value})
    if "\\u0000" in text:
        text = json.dumps(_strip_nul(json.loads(text)))
    return text


def _strip_nul(value):
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, dict):
        return {_strip_nul(key): _strip_nul(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_strip_nul(item) for item in value]
    return value


@lru_cache(maxsize=65536)
def e164(number: str) -> str:
    """A number as CallRecord stores it: E.164 when the vendor wrote a valid one with
    its country code but no "+" (CPaaS: "919876543210"); otherwise as the vendor wrote
    it (a masked or odd number is kept, never guessed)."""
    if number.isdigit() and len(number) >= 8:
        try:
            return normalize("+" + number, default_region="")
        except InvalidNumber:
            return number
    return number


# The text columns _row copies as they are (cut to width); the numbers, status and
# direction get their own rules.
PLAIN_TEXT = tuple(
    (name, width)
    for name, width in TEXT_WIDTHS.items()
    if name not in ("customer_number_reversed", "status", "caller_id", "customer_number")
)


def _reversed(number: str) -> str:
    """reversed_digits, without its per-character loop for the usual E.164 number."""
    if number[:1] == "+" and number[1:].isdigit():
        return number[:0:-1][:32]
    return reversed_digits(number)[:32]


def _row(cdr) -> dict:
    """A NormalizedCDR as the row the ingest writes (this runs for every record: plain
    attribute reads and few calls, no per-field loops over dicts)."""
    row = {name: _text(getattr(cdr, name, ""), width) for name, width in PLAIN_TEXT}
    row["status"] = _text(str(cdr.status), 20)
    row["customer_number"] = number = e164(_text(getattr(cdr, "customer_number", ""), 32))
    row["caller_id"] = e164(_text(getattr(cdr, "caller_id", ""), 32))
    row["direction"] = row["direction"] or "outbound"
    row["customer_number_reversed"] = _reversed(number)
    row["started_at"] = _utc(getattr(cdr, "started_at", None))
    row["answered_at"] = _utc(getattr(cdr, "answered_at", None))
    row["ended_at"] = _utc(getattr(cdr, "ended_at", None))
    row["duration_seconds"] = _seconds(getattr(cdr, "duration_seconds", 0))
    row["billable_seconds"] = _seconds(getattr(cdr, "billable_seconds", 0))
    row["call_id"] = row["campaign_id"] = row["attempt_id"] = row["contact_id"] = None
    row["raw"] = _raw_json(getattr(cdr, "raw", None) or {})
    return row


_NO_START = datetime.min.replace(tzinfo=UTC)


def _start_order(row: dict) -> datetime:
    return row["started_at"] or _NO_START


def _same(old: dict, new: dict) -> bool:
    """The stored row says what this copy says (raw last: the only costly comparison)."""
    return all(old[name] == new[name] for name in PLAIN_COMPARED) and old["raw"] == json.loads(
        new["raw"]
    )


# --- reads ----------------------------------------------------------------------------


def _lock_account(account_id: int):
    """Serialize ingests of one account: between the read of existing rows and the
    writes, no other ingest may insert the same ids (a row lock on PostgreSQL; SQLite's
    IMMEDIATE transactions already serialize writers)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # A row lock that writes nothing; NO KEY: inserts that reference the account
            # (its campaigns, its records) are not blocked by it.
            cursor.execute(
                "SELECT 1 FROM telephony_provideraccount WHERE id = %s FOR NO KEY UPDATE",
                [account_id],
            )
        else:
            # Takes the write lock in any transaction mode. Not "SET id = id": SQLite
            # checks a parent key's update against every child row (each CallRecord of
            # the account), which made every ingest slower as the account grew.
            cursor.execute(
                "UPDATE telephony_provideraccount SET kind = kind WHERE id = %s", [account_id]
            )


def _select(sql: str, values: list, *before) -> list:
    """Rows of `sql` (its `IN ({marks})` the list) for `values`, chunked. Plain SQL, not
    the ORM: a batch's lookups carry thousands of values, and on the ingest's hot path
    the per-parameter work costs more than the indexed lookup itself. PostgreSQL gets the
    list as one JSON text parameter (`= ANY(ARRAY(...))`): psycopg parses a query's
    placeholders on every call, and dumps a list parameter element by element in Python;
    either cost more than the lookup."""
    found = []
    postgres = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        for chunk in _chunks(values):
            if postgres:
                cursor.execute(
                    sql.replace("IN ({marks})", f"= ANY({JSON_TEXTS})"), [*before, _json(chunk)]
                )
            else:
                cursor.execute(sql.format(marks=", ".join(["%s"] * len(chunk))), [*before, *chunk])
            found += cursor.fetchall()
    return found


# A JSON array of strings as a PostgreSQL text[] (the json module dumps it in C).
JSON_TEXTS = "ARRAY(SELECT json_array_elements_text(%s::json))"
_json = json.JSONEncoder(ensure_ascii=False).encode


def _by_ids(ids: list):
    """CallRecords by primary key; on PostgreSQL as one array parameter (see _select)."""
    if connection.vendor == "postgresql":
        return CallRecord.objects.filter(pk__in=RawSQL("SELECT unnest(%s::bigint[])", [ids]))
    return CallRecord.objects.filter(pk__in=ids)


# PostgreSQL: each id looked up by its own probe of the unique key. The plain "account
# = x AND id = ANY(list)" left the choice of index to the planner, which prices each of
# a list's probes as a disk read: before the table's first ANALYZE (the first sync of a
# large account) and on a cached table up to ~200,000 records of the account, it read
# every record of the account instead, so each batch cost more than the last (9 ms ->
# 115 ms per 5,000 CDRs over 200,000). A probe of a unique key is never outpriced.
EXISTING_POSTGRES = (
    "SELECT found FROM (SELECT (SELECT id FROM {table} c WHERE c.account_id = %s "
    "AND c.vendor_call_id = v) AS found FROM json_array_elements_text(%s::json) AS v) k "
    "WHERE found IS NOT NULL"
)


def _existing(account_id: int, vendor_call_ids: list) -> dict:
    table = CallRecord._meta.db_table
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                EXISTING_POSTGRES.format(table=table), [account_id, _json(vendor_call_ids)]
            )
            ids = cursor.fetchall()
    else:
        ids = _select(
            f"SELECT id FROM {table} WHERE account_id = %s AND vendor_call_id IN ({{marks}})",  # noqa: S608
            vendor_call_ids,
            account_id,
        )
    found = {}
    for chunk in _chunks([row[0] for row in ids]):
        for old in _by_ids(chunk).values("id", *COMPARED):
            for name in TIME_COLUMNS:
                old[name] = _utc(old[name])
            found[old["vendor_call_id"]] = old
    return found


def _link(account, rows: dict, existing: dict, campaign) -> None:
    """Campaign, attempt, contact and call of each row, where one exists: by our
    reference id (a CampaignAttempt's derived id, or a single Call's), else by the
    vendor's call id on an attempt of this account, else by the vendor's campaign id.
    A link found before is kept when this copy of the record does not carry it."""
    Attempt = apps.get_model("campaigns", "CampaignAttempt")
    Campaign = apps.get_model("campaigns", "Campaign")
    Target = apps.get_model("campaigns", "CampaignTarget")
    Call = apps.get_model("telephony", "Call")
    attempts = Attempt._meta.db_table
    targets = Target._meta.db_table
    campaigns_table = Campaign._meta.db_table
    calls_table = Call._meta.db_table
    attempt_sql = (
        f"SELECT a.id, a.campaign_id, t.contact_id, a.reference_id, a.vendor_call_id "  # noqa: S608
        f"FROM {attempts} a JOIN {targets} t ON t.id = a.target_id "
    )
    references = sorted({row["reference_id"] for row in rows.values() if row["reference_id"]})
    by_reference = {
        found[3]: found
        for found in _select(attempt_sql + "WHERE a.reference_id IN ({marks})", references)
    }
    calls = dict(
        _select(
            f"SELECT reference_id, id FROM {calls_table} WHERE reference_id IN ({{marks}})",  # noqa: S608
            references,
        )
    )
    unmatched = [key[:64] for key, row in rows.items() if row["reference_id"] not in by_reference]
    by_vendor_id = {
        found[4]: found
        for found in _select(
            attempt_sql + f"JOIN {campaigns_table} c ON c.id = a.campaign_id "
            "WHERE c.account_id = %s AND a.vendor_call_id IN ({marks})",
            unmatched,
            account.pk,
        )
    }
    calls_by_vendor_id = dict(
        _select(
            f"SELECT vendor_call_id, id FROM {calls_table} "  # noqa: S608
            "WHERE account_id = %s AND vendor_call_id IN ({marks})",
            unmatched,
            account.pk,
        )
    )
    vendor_campaigns = sorted(
        {row["vendor_campaign_id"] for row in rows.values() if row["vendor_campaign_id"]}
    )
    campaigns = dict(
        Campaign.objects.filter(account_id=account.pk, vendor_campaign_id__in=vendor_campaigns)
        .exclude(vendor_campaign_id="")
        .values_list("vendor_campaign_id", "id")
    )
    campaign_id = getattr(campaign, "pk", campaign)
    for key, row in rows.items():
        attempt = by_reference.get(row["reference_id"]) or by_vendor_id.get(key[:64])
        if attempt:
            row["attempt_id"], row["campaign_id"], row["contact_id"] = attempt[:3]
        row["campaign_id"] = (
            row["campaign_id"] or campaign_id or campaigns.get(row["vendor_campaign_id"])
        )
        row["call_id"] = calls.get(row["reference_id"]) or calls_by_vendor_id.get(key[:64])
        old = existing.get(key)
        if old:
            for name in LINK_COLUMNS:
                row[name] = row[name] or old[name]
    # A campaign call without an attempt row (a native campaign's CDR read before its
    # attempts): its contact is the campaign's target with that number.
    wanted = defaultdict(set)
    for row in rows.values():
        if row["campaign_id"] and not row["contact_id"] and row["customer_number"]:
            wanted[row["campaign_id"]].add(row["customer_number"])
    contacts = {}
    for campaign_key, numbers in wanted.items():
        for chunk in _chunks(sorted(numbers)):
            for number, contact_id in Target.objects.filter(
                campaign_id=campaign_key, number__in=chunk, contact_id__isnull=False
            ).values_list("number", "contact_id"):
                contacts[campaign_key, number] = contact_id
    for row in rows.values():
        if row["campaign_id"] and not row["contact_id"]:
            row["contact_id"] = contacts.get((row["campaign_id"], row["customer_number"]))


def _chunks(items: list):
    for start in range(0, len(items), LOOKUP_CHUNK):
        yield items[start : start + LOOKUP_CHUNK]


# --- writes ---------------------------------------------------------------------------


DATETIMES = frozenset((*TIME_COLUMNS, "synced_at"))


def _sqlite_datetime(value):
    """What Django writes for an aware datetime on SQLite (UTC, naive, str()), without
    its per-value setting lookups (this runs for every time of every row)."""
    if value is None:
        return None
    if value.tzinfo is UTC:
        return value.isoformat(" ")[:-6]  # str() of the naive value, less "+00:00"
    return str(value.astimezone(UTC).replace(tzinfo=None))


def _db_value(name: str, value, sqlite: bool | None = None):
    if sqlite is None:
        sqlite = connection.vendor == "sqlite"
    if sqlite and name in DATETIMES:
        return _sqlite_datetime(value)
    return value


def _db_rows(rows: list, names: tuple, extra=()) -> list:
    """Each row's values for `names` then `extra`, as the database takes them (SQLite:
    datetimes as text, as Django writes them). `names` ends with the three call times
    and synced_at (INSERTED, UPDATED): one getter takes the rest, and a batch's rows
    share one synced_at, converted once."""
    if connection.vendor != "sqlite":
        values = itemgetter(*names, *extra)
        return [values(row) for row in rows]
    assert names[-4:] == (*TIME_COLUMNS, "synced_at"), names
    plain = itemgetter(*names[:-4])
    start, answer, end = TIME_COLUMNS
    text = _sqlite_datetime
    synced, synced_text = None, None
    prepared = []
    for row in rows:
        if row["synced_at"] is not synced:
            synced = row["synced_at"]
            synced_text = text(synced)
        times = (text(row[start]), text(row[answer]), text(row[end]), synced_text)
        prepared.append((*plain(row), *times, *[row[name] for name in extra]))
    return prepared


def _insert(rows: list) -> tuple[int, int] | None:
    """Insert `rows`; returns the first and last id they took (every id between is one
    of them or another account's). Runs under the account lock (_lock_account)."""
    if not rows:
        return None
    table = CallRecord._meta.db_table
    values = _db_rows(rows, INSERTED)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Ids taken from the sequence first, so the new rows are found again by an
            # id range the planner reads from the primary key even before the table
            # has statistics (COPY returns no ids).
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [table, len(values)],
            )
            ids = [found[0] for found in cursor.fetchall()]
            values = [(new_id, *row) for new_id, row in zip(ids, values, strict=True)]
            _copy(cursor, table, ("id", *INSERTED), values)
            return min(ids), max(ids)
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")  # noqa: S608
        before = cursor.fetchone()[0]
        columns = ", ".join(INSERTED)
        marks = ", ".join(["%s"] * len(INSERTED))
        cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", values)  # noqa: S608
        # SQLite gives rowids past the largest ever used; the write lock (IMMEDIATE
        # transactions) keeps every other writer out until the commit.
        cursor.execute(f"SELECT MAX(id) FROM {table}")  # noqa: S608
        return before + 1, cursor.fetchone()[0]


def _copy(cursor, table: str, columns, values) -> None:
    """COPY ... FROM STDIN through psycopg 3 (the fastest way rows enter PostgreSQL)."""
    raw_cursor = cursor.cursor  # Django's wrapper -> the psycopg cursor
    with raw_cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in values:
            copy.write_row(row)


def _update(rows: list) -> None:
    if not rows:
        return
    table = CallRecord._meta.db_table
    assignments = ", ".join(f"{name} = %s" for name in UPDATED)
    values = _db_rows(rows, UPDATED, extra=("id",))
    with connection.cursor() as cursor:
        cursor.executemany(f"UPDATE {table} SET {assignments} WHERE id = %s", values)  # noqa: S608


# --- rollups --------------------------------------------------------------------------


def rollup_key(account_id: int, row: dict):
    """The CallRollup key of a record (None when it has no start time: such a record
    falls in no report window, in the rollups or in SQL over CallRecord)."""
    bucket = bucket_of(row["started_at"])
    if bucket is None:
        return None
    return (bucket, account_id, row["campaign_id"], row["caller_id"] or "", row["status"])


def measures_of(row: dict) -> list:
    """One record's contribution to its key, in ROLLUP_MEASURES order."""
    status = row["status"]
    answered = status == "answered"
    billable = int(row["billable_seconds"] or 0)
    return [
        1,
        int(answered),
        int(status == "busy"),
        int(status == "no_answer"),
        int(status == "failed"),
        billable,
        int(answered and billable < SHORT_CALL_SECONDS),
    ]


def _add(deltas, account_id: int, row: dict, sign: int) -> None:
    key = rollup_key(account_id, row)
    if key is None:
        return
    total = deltas[key]
    for index, value in enumerate(measures_of(row)):
        total[index] += sign * value


def apply_rollup_deltas(deltas: dict) -> int:
    """Add each key's measures to its rollup row (creating it), then delete rows a
    move emptied (upserts.add_measures: set-based on PostgreSQL). Must run inside the
    transaction that wrote the CallRecords."""
    from .upserts import add_measures

    changed = {key: values for key, values in deltas.items() if any(values)}
    if not changed:
        return 0
    add_measures(
        CallRollup,
        ("bucket", "account_id", "campaign_id", "caller_id", "status"),
        ROLLUP_MEASURES,
        changed,
    )
    from .rollups import apply_coarse_deltas  # the day level (CallRollupDay), same deltas

    apply_coarse_deltas(changed)
    return len(changed)
