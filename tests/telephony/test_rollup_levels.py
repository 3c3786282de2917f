"""The day rollup level (CallRollupDay) is always exact: every row (and its calls per
hour) equals the sum of the 15-minute rows it spans, whether the level was kept by the
ingest through random inserts and moves, built afterwards by its job, or rebuilt by
`rebuild_rollups`; and report totals read from it equal SQL over raw CallRecords in
random zones (+05:30, +05:45, DST zones)."""

import random
import zoneinfo
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from telephony.models import CallRecord, CallRollup
from telephony.models.cdr import (
    COARSE_MEASURES,
    COARSE_ROLLUPS,
    ROLLUP_MEASURES,
    CallRollupDay,
    RollupPhase,
)
from telephony.reports import queries
from telephony.reports.periods import Period
from telephony.sync import rollups
from telephony.sync.ingest import ingest
from telephony.vendors.base import CallStatus, NormalizedCDR
from tests.factories import ProviderAccountFactory

from .test_rollups import START, ZONES, make_random_calls, sql_figures

pytestmark = pytest.mark.django_db


def register_and_build(zones):
    rollups.register_zones(zones, build=False)
    for phase_id in RollupPhase.objects.values_list("pk", flat=True):
        rollups.build_phase(phase_id)


def coarse_table(level: str) -> dict:
    names = ("phase", "bucket", "account_id", "campaign_id", "caller_id", "status")
    return {
        row[:6]: list(row[6:])
        for row in COARSE_ROLLUPS[level].objects.values_list(*names, *COARSE_MEASURES[level])
    }


def expected_from_quarters() -> dict:
    """Each registered level and phase recomputed from CallRollup in Python."""
    deltas = {
        (bucket, account, campaign, caller, status): list(values)
        for bucket, account, campaign, caller, status, *values in CallRollup.objects.values_list(
            "bucket", "account_id", "campaign_id", "caller_id", "status", *ROLLUP_MEASURES
        )
    }
    phases = list(RollupPhase.objects.values_list("level", "minutes"))
    by_level = rollups.coarse_deltas(deltas, phases)
    return {
        level: {key: values for key, values in rows.items() if values[0]}
        for level, rows in by_level.items()
    }


@pytest.fixture
def kept_by_ingest():
    """Phases of every test zone registered and built while empty, then random calls
    and moves go in: only the ingest keeps the levels."""
    register_and_build(ZONES + ["Europe/London", "Australia/Lord_Howe"])
    return make_random_calls()


def test_every_day_row_is_the_sum_of_its_quarter_hours(kept_by_ingest):
    expected = expected_from_quarters()
    assert RollupPhase.objects.count() >= len(ZONES)  # London and Chatham: two each
    assert coarse_table("day") == expected["day"]
    assert sum(len(rows) for rows in expected.values()) > 1000
    assert not CallRollupDay.objects.filter(calls=0).exists()


def test_the_build_job_and_rebuild_rollups_give_the_tables_the_ingest_kept(kept_by_ingest):
    kept = {level: coarse_table(level) for level in COARSE_ROLLUPS}
    for model in COARSE_ROLLUPS.values():
        model.objects.all().delete()
    for phase_id in RollupPhase.objects.values_list("pk", flat=True):
        rollups.build_phase(phase_id, batch_size=37)
    assert {level: coarse_table(level) for level in COARSE_ROLLUPS} == kept
    CallRollup.objects.all().delete()
    for model in COARSE_ROLLUPS.values():
        model.objects.all().delete()
    call_command("rebuild_rollups", "--batch-size", "50", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert {level: coarse_table(level) for level in COARSE_ROLLUPS} == kept


def test_a_zone_seen_after_the_calls_is_built_by_its_job(
    django_capture_on_commit_callbacks,
):
    make_random_calls()
    assert not RollupPhase.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        new = rollups.register_zones(["Asia/Kathmandu"])
    assert len(new) == 1  # days starting at 18:15 UTC
    assert {
        (phase.level, phase.minutes, phase.built_at is not None)
        for phase in RollupPhase.objects.all()
    } == {("day", 18 * 60 + 15, True)}
    expected = expected_from_quarters()
    assert coarse_table("day") == expected["day"] != {}


def test_totals_of_local_days_read_from_the_levels_equal_sql_in_random_zones(kept_by_ingest):
    accounts, rng = kept_by_ingest
    built = rollups.built_phases()
    for zone_name in ZONES:
        zone = zoneinfo.ZoneInfo(zone_name)
        first = START.astimezone(zone).date()
        for offset in range(0, 6, 2):
            period = Period(
                first + timedelta(days=offset), first + timedelta(days=offset + 1), zone
            )
            raw = CallRecord.objects.filter(started_at__gte=period.start, started_at__lt=period.end)
            runs = queries.plan(period.first, period.last, zone, "day", built)
            assert {run.level for run in runs} == {"day"}, (zone_name, runs)
            assert queries.totals(period, {}, built) == sql_figures(raw), (zone_name, period)
            account = rng.choice(accounts)
            assert queries.totals(period, {"account": account.pk}, built) == sql_figures(
                raw.filter(account=account)
            )


def test_an_ingest_writes_each_level_with_one_statement_per_batch():
    account = ProviderAccountFactory(kind="cpaas")
    register_and_build(["Asia/Kolkata", "UTC", "Asia/Kathmandu"])
    rng = random.Random(3)
    cdrs = [
        NormalizedCDR(
            vendor_call_id=f"n{n}",
            status=rng.choice([CallStatus.ANSWERED, CallStatus.BUSY]),
            started_at=START + timedelta(minutes=rng.randrange(3 * 1440)),
            caller_id=rng.choice(["+1", "+2"]),
        )
        for n in range(300)
    ]
    with CaptureQueriesContext(connection) as captured:
        ingest(account, cdrs)
    writes = [q["sql"] for q in captured.captured_queries if "rollup" in q["sql"].lower()]
    table = "telephony_callrollupday"
    assert len([sql for sql in writes if f"INSERT INTO {table}" in sql]) == 1, writes
    # A move of every call: one UPDATE, one INSERT and one DELETE per level at most.
    for cdr in cdrs:
        cdr.status = CallStatus.NO_ANSWER
    with CaptureQueriesContext(connection) as captured:
        ingest(account, cdrs)
    mine = [q["sql"] for q in captured.captured_queries if table in q["sql"]]
    assert len(mine) <= 3, mine
    assert coarse_table("day") == expected_from_quarters()["day"]


@pytest.mark.parametrize(
    ("zone_name", "day", "levels"),
    [
        ("Asia/Kolkata", date(2026, 11, 30), {"day"}),
        # 25 hours long: quarter hours, not a day row (which would be 24 hours).
        ("Europe/London", date(2026, 10, 25), {"quarter"}),
        # 24.5 hours: quarter hours.
        ("Australia/Lord_Howe", date(2026, 4, 5), {"quarter"}),
    ],
)
def test_a_day_is_read_whole_unless_its_length_or_phase_says_otherwise(zone_name, day, levels):
    zone = zoneinfo.ZoneInfo(zone_name)
    register_and_build([zone_name])
    built = rollups.built_phases()
    runs = queries.plan(day, day, zone, "day", built)
    assert {run.level for run in runs} == levels
    # The runs cover the local day exactly, bucket by bucket.
    size = {"day": 86400, "quarter": 900}
    covered = []
    for run in runs:
        moment = run.first
        while moment <= run.last:
            covered.append((moment, moment + timedelta(seconds=size[run.level])))
            moment += timedelta(seconds=size[run.level])
    start = datetime.combine(day, datetime.min.time(), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=zone)
    assert covered[0][0] == start and covered[-1][1] == end.astimezone(UTC)
    assert all(a[1] == b[0] for a, b in zip(covered, covered[1:], strict=False))


def test_a_phase_not_built_is_read_from_quarter_hours_until_its_job_ran():
    zone = zoneinfo.ZoneInfo("Asia/Kolkata")
    first, last = date(2026, 11, 30), date(2026, 12, 1)
    rollups.register_zones(["Asia/Kolkata"], build=False)
    runs = queries.plan(first, last, zone, "day", rollups.built_phases())
    assert {run.level for run in runs} == {"quarter"}
    rollups.build_phase(RollupPhase.objects.get().pk)
    runs = queries.plan(first, last, zone, "day", rollups.built_phases())
    assert [(run.level, run.phase, run.first, run.last) for run in runs] == [
        (
            "day",
            18 * 60 + 30,
            datetime(2026, 11, 29, 18, 30, tzinfo=UTC),
            datetime(2026, 11, 30, 18, 30, tzinfo=UTC),
        )
    ]


def test_the_offsets_of_a_zone_with_dst_give_both_phases():
    assert rollups.zone_phases("Europe/London") == {("day", 0), ("day", 23 * 60)}
    assert rollups.zone_phases("Asia/Kolkata") == {("day", 18 * 60 + 30)}
    assert rollups.register_zones(["Not/AZone"], build=False) == []


def test_moves_while_a_phase_awaits_its_build_never_fail_and_the_build_makes_it_exact():
    """Calls stored before a phase was registered, then moved (negative deltas on day
    rows that lack their history): the ingest clamps instead of tripping the >= 0
    checks, and the build job then gives the exact table."""
    account = ProviderAccountFactory(kind="cpaas")
    cdrs = [
        NormalizedCDR(
            vendor_call_id=f"m{n}",
            status=CallStatus.ANSWERED,
            started_at=START + timedelta(minutes=37 * n),
            billable_seconds=30,
        )
        for n in range(60)
    ]
    ingest(account, cdrs[:40])
    rollups.register_zones(["Asia/Kolkata"], build=False)
    ingest(account, cdrs[40:])
    for cdr in cdrs:
        cdr.status, cdr.billable_seconds = CallStatus.BUSY, 0
    ingest(account, cdrs)
    assert not CallRollupDay.objects.filter(calls__lt=0).exists()
    rollups.build_phase(RollupPhase.objects.get().pk)
    assert coarse_table("day") == expected_from_quarters()["day"]
