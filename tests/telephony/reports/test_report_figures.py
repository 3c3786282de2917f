"""Every figure the overview and its group-by table show equals the same figure computed
by SQL over the raw CallRecords: over random calls (put in through the sync's ingest, so
the rollups are the production ones), random viewer time zones (+05:30, +05:45, -03:30,
+12:45 ...), random ranges and random filters."""

import random
import zoneinfo
from datetime import date, datetime, time, timedelta

import pytest
from django.db import connection
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import ExtractHour, ExtractIsoWeekDay, TruncDate
from django.test.utils import CaptureQueriesContext

from telephony.models import CallRecord, UserProfile
from telephony.models.cdr import RollupPhase
from telephony.reports.metrics import derived
from telephony.sync import rollups

from .support import START, random_calls

pytestmark = pytest.mark.django_db

ZONES = [
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "America/St_Johns",
    "Australia/Eucla",
    "Pacific/Chatham",
    "America/Sao_Paulo",
    "Europe/London",
    "UTC",
]
GROUPS = ["account", "campaign", "caller_id", "status", "day", "hour"]


def measures(rows) -> dict:
    answered = Q(status="answered")
    figures = rows.aggregate(
        calls=Count("id"),
        answered=Count("id", filter=answered),
        busy=Count("id", filter=Q(status="busy")),
        no_answer=Count("id", filter=Q(status="no_answer")),
        failed=Count("id", filter=Q(status="failed")),
        billable=Sum("billable_seconds"),
        short_calls=Count("id", filter=answered & Q(billable_seconds__lt=10)),
    )
    figures["billable_seconds"] = figures.pop("billable")
    return {key: int(value or 0) for key, value in figures.items()}


def raw_in(zone, first: date, last: date, filters: dict):
    start = datetime.combine(first, time(0), tzinfo=zone)
    end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=zone)
    rows = CallRecord.objects.filter(started_at__gte=start, started_at__lt=end)
    for key, value in filters.items():
        if key == "campaign" and value == "none":
            rows = rows.filter(campaign__isnull=True)
        elif key in ("account", "campaign"):
            rows = rows.filter(**{f"{key}_id": value})
        else:
            rows = rows.filter(**{key: value})
    return rows


def raw_groups(rows, group: str, zone) -> dict:
    """{group key as the table shows it: figures}, by one GROUP BY over raw records."""
    if group == "day":
        key = TruncDate("started_at", tzinfo=zone)
    elif group == "hour":
        key = ExtractHour("started_at", tzinfo=zone)
    else:
        key = F(f"{group}_id" if group in ("account", "campaign") else group)
    answered = Q(status="answered")
    grouped = (
        rows.annotate(g=key)
        .values("g")
        .annotate(
            calls=Count("id"),
            answered=Count("id", filter=answered),
            busy=Count("id", filter=Q(status="busy")),
            no_answer=Count("id", filter=Q(status="no_answer")),
            failed=Count("id", filter=Q(status="failed")),
            billable=Sum("billable_seconds"),
            short_calls=Count("id", filter=answered & Q(billable_seconds__lt=10)),
        )
        .order_by()
    )
    out = {}
    for row in grouped:
        value = row.pop("g")
        if group == "day":
            label = value.isoformat()
        elif group == "hour":
            label = f"{value:02d}:00"
        else:
            label = str(value)
        row["billable_seconds"] = row.pop("billable")
        out[label] = derived({k: int(v or 0) for k, v in row.items()})
    return out


def close(a, b) -> bool:
    if a is None or b is None:
        return a is b
    return abs(a - b) < 1e-9


def check_figures(shown: dict, expected: dict, where: str):
    for key, value in expected.items():
        if key not in shown:
            continue  # the figure cards show no "answered"; the table does
        assert close(shown[key], value), f"{where}: {key} shows {shown[key]}, SQL gives {value}"


@pytest.fixture(params=["quarter hours only", "day level"])
def calls(db, request):
    """Random calls; in the second run the day level of every test zone is registered
    first and so kept by the ingest, and the reports read it."""
    if request.param == "day level":
        rollups.register_zones(ZONES, build=False)
        for phase_id in RollupPhase.objects.values_list("pk", flat=True):
            rollups.build_phase(phase_id)
    made = random_calls(count=900)
    if request.param == "quarter hours only":
        RollupPhase.objects.all().delete()  # nothing built: the 15-minute table serves
    return made


def test_every_figure_and_group_equals_sql_over_raw_records_in_random_zones(
    calls, viewer_user, viewer_client
):
    accounts, campaigns = calls
    rng = random.Random(11)
    tables_read = set()
    profile = UserProfile.for_user(viewer_user)
    for round_ in range(6):
        zone_name = ZONES[round_] if round_ < len(ZONES) else rng.choice(ZONES)
        zone = zoneinfo.ZoneInfo(zone_name)
        profile.time_zone = zone_name
        profile.save()
        first = START.date() + timedelta(days=rng.randrange(2, 6))
        last = first + timedelta(days=rng.randrange(0, 4))
        filters = rng.choice(
            [
                {},
                {"account": accounts[0].pk},
                {"campaign": campaigns[1].pk},
                {"campaign": "none"},
                {"status": "answered"},
                {"caller_id": "+918069000002"},
            ]
        )
        group = GROUPS[round_ % len(GROUPS)]
        query = {"range": "custom", "start": first, "end": last, "group": group, **filters}
        with CaptureQueriesContext(connection) as captured:
            response = viewer_client.get("/reports/", query)
        assert response.status_code == 200
        where = f"{zone_name} {first}..{last} {filters} by {group}"
        read = " ".join(q["sql"] for q in captured.captured_queries)
        tables_read.update(t for t in ("callrollupday",) if t in read)

        # The figures, and the previous period of the same length.
        report = response.context["report"]
        expected = derived(measures(raw_in(zone, first, last, filters)))
        check_figures({f.key: f.value for f in report.figures}, expected, where)
        days = (last - first).days + 1
        before = derived(
            measures(raw_in(zone, first - timedelta(days=days), first - timedelta(days=1), filters))
        )
        check_figures({f.key: f.previous for f in report.figures}, before, where + " previous")

        # The group-by table, row by row.
        rows = raw_in(zone, first, last, filters)
        table = {row.key: row.figures for row in response.context["rows"]}
        by_sql = raw_groups(rows, group, zone)
        assert set(table) == set(by_sql), where
        for key, figures in by_sql.items():
            check_figures(table[key], figures, f"{where} row {key}")

        # The charts: calls per slot and status, the status split, the heatmap.
        data = response.context["chart_data"]
        assert sum(sum(s["data"]) for s in data["stacked"]) == expected["calls"], where
        split = dict(rows.values_list("status").annotate(n=Count("id")).order_by())
        assert {s["status"]: s["calls"] for s in data["split"]} == split, where
        heat = rows.annotate(
            wd=ExtractIsoWeekDay("started_at", tzinfo=zone),
            h=ExtractHour("started_at", tzinfo=zone),
        )
        for (wd, hour), n in _counts(heat).items():
            assert data["heatmap"]["cells"][wd - 1][hour]["calls"] == n, f"{where} cell {wd} {hour}"
        if not data["hourly"]:
            per_day = _per_day(rows, zone)
            columns = zip(*(s["data"] for s in data["stacked"]), strict=True)
            shown = dict(zip(data["labels"], [sum(col) for col in columns], strict=True))
            for day, n in per_day.items():
                assert shown[day] == n, f"{where} day {day}"

    # The second run read the day level (ranges over two days).
    levels = RollupPhase.objects.filter(built_at__isnull=False).exists()
    assert tables_read == ({"callrollupday"} if levels else set())


def _counts(rows) -> dict:
    return {
        (row["wd"], row["h"]): row["n"]
        for row in rows.values("wd", "h").annotate(n=Count("id")).order_by()
    }


def _per_day(rows, zone) -> dict:
    return {
        day.isoformat(): n
        for day, n in rows.annotate(d=TruncDate("started_at", tzinfo=zone))
        .values_list("d")
        .annotate(n=Count("id"))
        .order_by()
    }


def test_a_day_in_kathmandu_starts_at_its_own_midnight(viewer_user, viewer_client):
    """+05:45: a call at 18:14 UTC is on the 1st there, one at 18:15 UTC on the 2nd."""
    from telephony.sync.ingest import ingest
    from telephony.vendors.base import CallStatus, NormalizedCDR
    from tests.factories import ProviderAccountFactory

    account = ProviderAccountFactory(kind="cpaas")
    zone = zoneinfo.ZoneInfo("Asia/Kathmandu")
    midnight = datetime(2026, 11, 2, 0, 0, tzinfo=zone)
    ingest(
        account,
        [
            NormalizedCDR(
                vendor_call_id="late",
                status=CallStatus.BUSY,
                started_at=midnight - timedelta(minutes=1),
            ),
            NormalizedCDR(vendor_call_id="early", status=CallStatus.ANSWERED, started_at=midnight),
        ],
    )
    profile = UserProfile.for_user(viewer_user)
    profile.time_zone = "Asia/Kathmandu"
    profile.save()
    day = {"range": "custom", "start": "2026-11-02", "end": "2026-11-02", "group": "status"}
    response = viewer_client.get("/reports/", day)
    assert [row.key for row in response.context["rows"]] == ["answered"]
    assert response.context["report"].totals["calls"] == 1


def test_each_figure_says_its_definition_on_hover(viewer_client):
    body = viewer_client.get("/reports/").content.decode()
    for words in (
        'title="ASR, Answer Seizure Ratio (ITU-T E.411)',
        'title="NER, Network Effectiveness Ratio (ITU-T E.425)',
        'title="ACD, Average Call Duration (ITU-T E.411)',
        'title="Short calls: answered calls with under 10 billable seconds',
    ):
        assert words in body
