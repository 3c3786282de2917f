"""The day rollup level beyond CallRollup, and rebuilding them all (`manage.py
rebuild_rollups`).

CallRollup (15 minutes) is the exact base. Reports over weeks would read every 15-minute
row of the range, so each row is also summed into a day table (CallRollupDay), kept for
the *phases* in use (RollupPhase): the minute of the UTC clock at which a zone's local
days start. A +05:30 viewer needs days starting at 18:30 UTC, a UTC one at 00:00; a
zone with DST needs both of its offsets. A day row also counts its calls per local hour
(the heatmap).

- Maintenance, in the ingest's transaction: its new records are summed into CallRollup
  and into every registered phase by one INSERT ... SELECT per table (add_inserted, all
  phases in one statement); a changed record's 15-minute deltas are carried to the day
  level by apply_coarse_deltas (one statement per kind of write, never one per key).
- A newly seen phase is registered (`register_zones`) and from then on maintained by
  every ingest; a job (`build_phase`) fills its history from CallRollup account by
  account under each account's ingest lock, then marks it built. Reports read only
  built phases and fall back to CallRollup for the rest (telephony.reports.queries).
- `rebuild` recomputes CallRollup and every registered phase, set-based.
"""

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from telephony.models import CallRecord, CallRollup, ProviderAccount
from telephony.models.cdr import (
    BUCKET_SECONDS,
    COARSE_MEASURES,
    COARSE_ROLLUPS,
    HOURLY_CALLS,
    LEVEL_SECONDS,
    ROLLUP_MEASURES,
    SHORT_CALL_SECONDS,
    RollupPhase,
)

from .ingest import _lock_account, _utc

BUILD_BATCH = 20_000


# --- phases ---------------------------------------------------------------------------


@lru_cache(maxsize=256)
def zone_offsets(zone_name: str, year: int) -> frozenset[int]:
    """Every UTC offset (minutes) `zone_name` uses from the year before `year` to the
    year after: both sides of its DST, if it has one."""
    zone = ZoneInfo(zone_name)
    moment = datetime(year - 1, 1, 1, tzinfo=UTC)
    offsets = set()
    while moment.year <= year + 1:
        offsets.add(int(moment.astimezone(zone).utcoffset().total_seconds()) // 60)
        moment += timedelta(days=7)
    return frozenset(offsets)


def phases_of_offset(minutes: int) -> set[tuple[str, int]]:
    """The (level, phase) pairs that serve local days at UTC offset `minutes`: local
    midnight is at -offset on the UTC clock."""
    return {("day", -minutes % 1440)}


def zone_phases(zone_name: str) -> set[tuple[str, int]]:
    phases = set()
    for offset in zone_offsets(zone_name, timezone.now().year):
        phases |= phases_of_offset(offset)
    return phases


def zones_in_use() -> set[str]:
    from telephony.models import UserProfile

    return {settings.TIME_ZONE, *UserProfile.objects.values_list("time_zone", flat=True)}


def built_phases() -> set[tuple[str, int]]:
    """The (level, phase) pairs reports may read."""
    return set(RollupPhase.objects.filter(built_at__isnull=False).values_list("level", "minutes"))


def register_zones(zone_names, *, build: bool = True) -> list[int]:
    """Register the phases `zone_names` need that are not registered yet; with `build`,
    queue a build_phase job for each. Returns the new phases' ids. Safe to repeat and
    to race: the unique key keeps one row per phase."""
    wanted = set()
    for name in zone_names:
        try:
            wanted |= zone_phases(name)
        except (KeyError, ValueError):  # not a zone name: nothing to serve
            continue
    known = set(RollupPhase.objects.values_list("level", "minutes"))
    missing = sorted(wanted - known)
    if not missing:
        return []
    RollupPhase.objects.bulk_create(
        [RollupPhase(level=level, minutes=minutes) for level, minutes in missing],
        ignore_conflicts=True,
    )
    ids = list(RollupPhase.objects.filter(built_at__isnull=True).values_list("pk", flat=True))
    if build:
        from django_q.tasks import async_task

        for phase_id in ids:
            # After the registration commits, so every ingest from then on maintains the
            # phase before the job reads CallRollup under each account's lock.
            transaction.on_commit(
                lambda phase_id=phase_id: async_task(
                    "telephony.sync.rollups.build_phase", phase_id, group="Rollups"
                )
            )
    return ids


# --- maintenance ----------------------------------------------------------------------


def coarse_bucket(bucket: datetime, level: str, minutes: int) -> datetime:
    """The UTC start of the `level` period at phase `minutes` that `bucket` falls in."""
    seconds = int(bucket.timestamp())
    size = LEVEL_SECONDS[level]
    return datetime.fromtimestamp(seconds - (seconds - minutes * 60) % size, UTC)


def coarse_deltas(deltas: dict, phases) -> dict:
    """{level: {(phase, bucket, account, campaign, caller id, status): values}} from
    15-minute deltas {(bucket, account, campaign, caller id, status): measures}. A day's
    values are its measures then its calls per hour of the day (COARSE_MEASURES)."""
    day_size = len(COARSE_MEASURES["day"])
    out = {"day": defaultdict(lambda: [0] * day_size)}
    starts: dict = {}
    for key, values in deltas.items():
        bucket, *rest = key
        for level, minutes in phases:
            start = starts.get((bucket, level, minutes))
            if start is None:
                start = starts[(bucket, level, minutes)] = coarse_bucket(bucket, level, minutes)
            total = out[level][(minutes, start, *rest)]
            for index, value in enumerate(values):
                total[index] += value
            if level == "day":
                hour = int((bucket - start).total_seconds()) // 3600
                total[len(ROLLUP_MEASURES) + hour] += values[0]
    return out


def apply_coarse_deltas(deltas: dict, phases=None) -> int:
    """Add 15-minute deltas to every registered coarse level; the ingest calls this from
    apply_rollup_deltas, in its transaction. One UPDATE executemany (keys something
    left), one INSERT ... ON CONFLICT executemany and one DELETE executemany (emptied
    rows) per level at most. Returns the coarse keys changed."""
    if not deltas:
        return 0
    if phases is None:
        phases = list(
            RollupPhase.objects.filter(level__in=COARSE_ROLLUPS).values_list("level", "minutes")
        )
    if not phases:
        return 0
    changed = 0
    for level, keyed in coarse_deltas(deltas, phases).items():
        changed += _apply_level(level, keyed)
    return changed


def _apply_level(level: str, deltas: dict) -> int:
    """One level's deltas, all phases in one set of statements (upserts.add_measures:
    one INSERT ... ON CONFLICT, one UPDATE, one DELETE at most; over one JSON parameter
    on PostgreSQL). Clamped at zero: a phase still being built may lack a row's history
    (its build job replaces it under the account lock); on a built phase the sum never
    goes below zero, so the clamp changes nothing there."""
    from .upserts import add_measures

    keys = ("phase", "bucket", "account_id", "campaign_id", "caller_id", "status")
    return add_measures(COARSE_ROLLUPS[level], keys, COARSE_MEASURES[level], deltas, clamp=True)


# --- building a phase -----------------------------------------------------------------


def build_phase(phase_id: int, *, batch_size: int = BUILD_BATCH) -> int:
    """Fill one registered phase from CallRollup, account by account (each under its
    ingest lock, so no ingest of that account interleaves), then mark it built. A job:
    safe to run twice (each account's rows are deleted and recomputed). Returns the
    coarse rows written."""
    phase = RollupPhase.objects.filter(pk=phase_id).first()
    if phase is None:
        return 0
    model = COARSE_ROLLUPS[phase.level]
    pairs = [(phase.level, phase.minutes)]
    written = 0
    for account_id in ProviderAccount.objects.order_by("id").values_list("id", flat=True):
        with transaction.atomic():
            _lock_account(account_id)
            model.objects.filter(phase=phase.minutes, account_id=account_id).delete()
            for rows in _rollup_batches(account_id, batch_size):
                written += apply_coarse_deltas(rows, pairs)
    RollupPhase.objects.filter(pk=phase_id).update(built_at=timezone.now())
    return written


def _rollup_batches(account_id: int, batch_size: int):
    """One account's CallRollup rows as {key: measures}, `batch_size` rows at a time."""
    last_id = 0
    names = ("id", "bucket", "campaign_id", "caller_id", "status", *ROLLUP_MEASURES)
    while True:
        rows = list(
            CallRollup.objects.filter(account_id=account_id, id__gt=last_id)
            .order_by("id")
            .values_list(*names)[:batch_size]
        )
        if not rows:
            return
        last_id = rows[-1][0]
        yield {(_utc(row[1]), account_id, row[2], row[3], row[4]): list(row[5:]) for row in rows}


# --- the rules in SQL -----------------------------------------------------------------
# The ingest's own rules (rollup_key, measures_of) written in SQL, used set-based by the
# rebuild (an account's records at once) and by every ingest for the records it has just
# inserted (`add_inserted`): no per-record Python, one statement per table. The property
# tests check that a rebuild gives exactly the tables the ingest keeps.


def _epoch(column: str) -> str:
    """Whole seconds since 1970 of a datetime column, as an integer."""
    if connection.vendor == "sqlite":
        return f"CAST(strftime('%%s', {column}) AS INTEGER)"
    return f"CAST(FLOOR(EXTRACT(EPOCH FROM {column})) AS BIGINT)"


def _moment(seconds: str) -> str:
    """A datetime column value from seconds since 1970, as Django stores it."""
    if connection.vendor == "sqlite":
        return f"datetime({seconds}, 'unixepoch')"
    return f"TO_TIMESTAMP({seconds})"


def _record_measures() -> list[str]:
    """ROLLUP_MEASURES as aggregates over CallRecord rows (measures_of in SQL)."""
    answered = "status = 'answered'"

    def count(condition):
        return f"SUM(CASE WHEN {condition} THEN 1 ELSE 0 END)"

    measures = {
        "calls": "COUNT(*)",
        "answered": count(answered),
        "busy": count("status = 'busy'"),
        "no_answer": count("status = 'no_answer'"),
        "failed": count("status = 'failed'"),
        "billable_seconds": "SUM(billable_seconds)",
        "short_calls": count(f"{answered} AND billable_seconds < {SHORT_CALL_SECONDS}"),
    }
    assert tuple(measures) == ROLLUP_MEASURES
    return list(measures.values())


KEY_COLUMNS = ("account_id", "campaign_id", "caller_id", "status")
# The records one statement reads: an account's (rebuild), or those an ingest has just
# inserted (an id range; the account lock makes that account's rows in it its own).
# "+account_id" keeps the planner on the primary key range: with an index on the account
# SQLite (and PostgreSQL before it has statistics) read every record of the account.
ALL_RECORDS = "account_id = %s AND started_at IS NOT NULL"
NEW_RECORDS = "id BETWEEN %s AND %s AND +account_id = %s AND started_at IS NOT NULL"


def _upsert(model, measures) -> str:
    """The ON CONFLICT clause adding a grouped SELECT's measures to existing rows."""
    from .upserts import on_conflict_add

    keys = ("bucket", *KEY_COLUMNS) if model is CallRollup else ("phase", "bucket", *KEY_COLUMNS)
    return on_conflict_add(model, [model._meta.get_field(name) for name in keys], measures)


def _quarters_sql(where: str, upsert: bool) -> str:
    """The CallRollup rows of the records `where` selects, as one INSERT ... SELECT."""
    epoch = _epoch("started_at")
    columns = ("bucket", *KEY_COLUMNS, *ROLLUP_MEASURES)
    sql = (
        f"INSERT INTO {CallRollup._meta.db_table} ({', '.join(columns)}) "  # noqa: S608
        f"SELECT {_moment(f'{epoch} - {epoch} %% {BUCKET_SECONDS}')}, {', '.join(KEY_COLUMNS)}, "
        f"{', '.join(_record_measures())} FROM {CallRecord._meta.db_table} WHERE {where} "
        f"GROUP BY 1, {', '.join(KEY_COLUMNS)}"
    )
    return sql + _upsert(CallRollup, ROLLUP_MEASURES) if upsert else sql


def _with_hours(level: str, offset: str, counted: str, sums: list) -> tuple[list, list]:
    """A level's column names and aggregates: the measures, then for a day the calls per
    local hour (`offset`: seconds since the day's start; `counted`: a row's calls)."""
    names = list(ROLLUP_MEASURES)
    if level == "day":
        names += HOURLY_CALLS
        sums = sums + [
            f"SUM(CASE WHEN {offset} / 3600 = {hour} THEN {counted} ELSE 0 END)"
            for hour in range(len(HOURLY_CALLS))
        ]
    return names, sums


def _coarse_from_records_sql(level: str, phases: list[int]) -> str:
    """The `level` rows at each phase (minutes) of the records an ingest has just
    inserted, added to existing rows: one statement for every phase. Each record's start
    is turned into seconds once (a MATERIALIZED CTE: inlined, the day's hour expression
    would parse it 25 times per phase)."""
    model, size = COARSE_ROLLUPS[level], LEVEL_SECONDS[level]
    offset = f"(e - p.m * 60) %% {size}"
    names, sums = _with_hours(level, offset, "1", _record_measures())
    columns = ("phase", "bucket", *KEY_COLUMNS, *names)
    each = " UNION ALL ".join(f"SELECT {int(minutes)} AS m" for minutes in phases)
    return (
        f"WITH r AS MATERIALIZED (SELECT {', '.join(KEY_COLUMNS)}, billable_seconds, "  # noqa: S608
        f"{_epoch('started_at')} AS e FROM {CallRecord._meta.db_table} WHERE {NEW_RECORDS}) "
        f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) "
        f"SELECT p.m, {_moment(f'e - {offset}')}, {', '.join(KEY_COLUMNS)}, "
        f"{', '.join(sums)} FROM r CROSS JOIN ({each}) AS p WHERE true "
        f"GROUP BY 1, 2, {', '.join(KEY_COLUMNS)}" + _upsert(model, names)
    )


def add_inserted(account_id: int, first_id: int, last_id: int, phases=None) -> int:
    """Add the records of `account_id` with ids first_id..last_id (those an ingest has
    just inserted) to CallRollup and to every registered coarse level: one INSERT ...
    SELECT ... ON CONFLICT per table. The ingest calls this in its transaction, under
    the account lock, right after its insert. Returns the rollup rows written."""
    if phases is None:
        phases = list(
            RollupPhase.objects.filter(level__in=COARSE_ROLLUPS).values_list("level", "minutes")
        )
    params = [first_id, last_id, account_id]
    written = 0
    with connection.cursor() as cursor:
        cursor.execute(_quarters_sql(NEW_RECORDS, upsert=True), params)
        written += _rowcount(cursor)
        for level in COARSE_ROLLUPS:
            minutes = sorted(m for phase_level, m in phases if phase_level == level)
            if minutes:
                cursor.execute(_coarse_from_records_sql(level, minutes), params)
                written += _rowcount(cursor)
    return written


def _rowcount(cursor) -> int:
    """Rows the last statement wrote (Python's sqlite3 gives -1 for one that starts
    with WITH)."""
    if cursor.rowcount >= 0:
        return cursor.rowcount
    cursor.execute("SELECT changes()")
    return cursor.fetchone()[0]


# --- rebuilding everything ------------------------------------------------------------


def _rebuild_quarters_sql(account_id: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(_quarters_sql(ALL_RECORDS, upsert=False), [account_id])


def _build_coarse_sql(account_id: int, level: str, minutes: int) -> None:
    """One account's rows of one level and phase, from its CallRollup rows."""
    model, size = COARSE_ROLLUPS[level], LEVEL_SECONDS[level]
    bucket_epoch = _epoch("bucket")
    offset = f"({bucket_epoch} - {minutes * 60}) %% {size}"  # %% : a params query
    names, sums = _with_hours(level, offset, "calls", [f"SUM({n})" for n in ROLLUP_MEASURES])
    columns = ("phase", "bucket", *KEY_COLUMNS, *names)
    sql = (
        f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) "  # noqa: S608
        f"SELECT %s, {_moment(f'{bucket_epoch} - {offset}')}, {', '.join(KEY_COLUMNS)}, "
        f"{', '.join(sums)} FROM {CallRollup._meta.db_table} "
        f"WHERE account_id = %s GROUP BY 2, {', '.join(KEY_COLUMNS)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [minutes, account_id])


def rebuild_account(account_id: int, *, batch_size: int = 5000) -> int:
    """Recompute one account's rollups, every registered level included, in one
    transaction holding its ingest lock; returns the number of CallRollup rows.
    (`batch_size` is kept for callers; the rebuild is set-based SQL.)"""
    with transaction.atomic():
        _lock_account(account_id)
        CallRollup.objects.filter(account_id=account_id).delete()
        for model in COARSE_ROLLUPS.values():
            model.objects.filter(account_id=account_id).delete()
        _rebuild_quarters_sql(account_id)
        phases = RollupPhase.objects.filter(level__in=COARSE_ROLLUPS)
        for level, minutes in phases.values_list("level", "minutes"):
            _build_coarse_sql(account_id, level, minutes)
        return CallRollup.objects.filter(account_id=account_id).count()


def rebuild(account_ids=None, *, batch_size: int = 5000, progress=None) -> int:
    """Rebuild the rollups of the given accounts (all when None); returns row count.
    Registers the phases of the zones in use first (settings.TIME_ZONE and every
    user's); a rebuild of every account leaves every phase registered before it built.
    Rollups of accounts that no longer exist go with their account (CASCADE)."""
    # A partial rebuild leaves new phases to their build job; a whole one builds them.
    register_zones(zones_in_use(), build=bool(account_ids))
    phases = list(RollupPhase.objects.values_list("pk", flat=True))
    ids = list(account_ids or ProviderAccount.objects.order_by("id").values_list("id", flat=True))
    total = 0
    for account_id in ids:
        rows = rebuild_account(account_id, batch_size=batch_size)
        total += rows
        if progress:
            progress(account_id, rows)
    if not account_ids:
        RollupPhase.objects.filter(pk__in=phases, built_at__isnull=True).update(
            built_at=timezone.now()
        )
    return total
