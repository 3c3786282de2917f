"""CDR search: number matches (exact, begins, ends with through the reversed digits,
contains), filters, keyset pages that walk every match once, the count from the rollups
or bounded, and the MyOperator filter builder over stored records."""

import zoneinfo
from datetime import datetime

import pytest
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext

from telephony.models import CallRecord, LogFilter
from telephony.reports import search as cdr_search

from .support import START, random_calls

pytestmark = pytest.mark.django_db

RANGE = {"range": "custom", "start": "2026-11-19", "end": "2026-12-03"}


@pytest.fixture
def calls(db):
    return random_calls(count=120)


def listed(client, **query) -> list[int]:
    """Every call id the search lists, walking its pages with the "Older" cursor."""
    ids, older = [], None
    while True:
        params = {**RANGE, **query, **({"older": older} if older else {})}
        page = client.get("/reports/calls/", params).context["page"]
        ids += [row.pk for row in page.rows]
        if not page.has_next:
            return ids
        older = page.last_id


def newest_first(rows) -> list[int]:
    return list(rows.order_by("-started_at", "-id").values_list("pk", flat=True))


def test_pages_walk_every_match_once_newest_first(calls, viewer_client):
    assert listed(viewer_client) == newest_first(CallRecord.objects.all())


def test_newer_goes_back_to_the_page_before(calls, viewer_client):
    first = viewer_client.get("/reports/calls/", RANGE).context["page"]
    second = viewer_client.get("/reports/calls/", {**RANGE, "older": first.last_id}).context["page"]
    back = viewer_client.get("/reports/calls/", {**RANGE, "newer": second.first_id}).context["page"]
    assert [r.pk for r in back.rows] == [r.pk for r in first.rows]
    assert not back.has_previous and second.has_previous


@pytest.mark.parametrize(
    "match, text, lookup",
    [
        ("exact", "+91 98765 00042", {"customer_number": "+919876500042"}),
        ("begins", "91987650004", {"customer_number__startswith": "+91987650004"}),
        ("ends", "42", {"customer_number__endswith": "42"}),
        ("contains", "8765000", {"customer_number__contains": "8765000"}),
    ],
)
def test_number_matches(calls, viewer_client, match, text, lookup):
    # The numbers are random: one call with a known number makes each match find something.
    from telephony.sync.ingest import ingest
    from telephony.vendors.base import CallStatus, NormalizedCDR

    ingest(
        calls[0][0],
        [
            NormalizedCDR(
                vendor_call_id="known",
                status=CallStatus.ANSWERED,
                customer_number="+919876500042",
                started_at=START,
            )
        ],
    )
    expected = newest_first(CallRecord.objects.filter(**lookup))
    assert expected
    assert listed(viewer_client, number=text, match=match) == expected


def test_ends_with_is_a_range_on_the_reversed_digits(calls):
    """The index on customer_number_reversed serves "ends with": the query is a range
    on it, not a LIKE the index cannot use."""
    from telephony.reports.periods import Period

    period = Period(START.date(), START.date(), START.tzinfo)
    rows = cdr_search.records(period, {"number": "3210", "match": "ends"})
    sql = str(rows.query)
    assert '"customer_number_reversed" >= 0123' in sql or 'customer_number_reversed" >=' in sql
    assert "LIKE" not in sql.upper()
    if connection.vendor == "sqlite":
        # The plan of the page's own query: the number's index, not the month's.
        query, params = rows.order_by("-started_at", "-id")[:51].query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN QUERY PLAN {query}", params)
            plan = " ".join(str(row) for row in cursor.fetchall())
        assert "customer_number_reversed" in plan and "INDEX" in plan.upper()


def test_filters_and_durations(calls, viewer_client):
    account, campaign = calls[0][1], calls[1][2]
    query = {"status": "answered", "min_duration": 10, "max_duration": 40, "account": account.pk}
    expected = CallRecord.objects.filter(
        status="answered", duration_seconds__gte=10, duration_seconds__lte=40, account=account
    )
    assert listed(viewer_client, **query) == newest_first(expected)
    in_campaign = newest_first(CallRecord.objects.filter(campaign=campaign))
    assert listed(viewer_client, campaign=campaign.pk) == in_campaign
    no_campaign = newest_first(CallRecord.objects.filter(campaign__isnull=True))
    assert listed(viewer_client, campaign="none") == no_campaign


def test_the_count_comes_from_the_rollups_without_a_count_over_records(calls, viewer_client):
    with CaptureQueriesContext(connection) as queries:
        response = viewer_client.get("/reports/calls/", {**RANGE, "status": "busy"})
    assert response.context["count"].value == CallRecord.objects.filter(status="busy").count()
    counts = [q["sql"] for q in queries if "COUNT(" in q["sql"].upper()]
    assert not [sql for sql in counts if "telephony_callrecord" in sql], counts


def test_a_number_search_count_is_bounded(calls, viewer_client, monkeypatch):
    monkeypatch.setattr(cdr_search, "COUNT_BOUND", 5)
    query = {**RANGE, "number": "98765", "match": "contains"}
    response = viewer_client.get("/reports/calls/", query)
    assert response.context["count"].bounded
    assert "more than 5" in response.content.decode()


def test_the_myoperator_filter_builder_filters_stored_records(calls, viewer_client):
    account = calls[0][1]  # the MyOperator one
    category = LogFilter.objects.create(account=account, vendor_id="4", name="Event of logs")
    LogFilter.objects.create(account=account, vendor_id="5", name="Incoming", parent=category)
    status = LogFilter.objects.create(account=account, vendor_id="11", name="Status of logs")
    LogFilter.objects.create(account=account, vendor_id="12", name="Connected", parent=status)
    LogFilter.objects.create(account=account, vendor_id="22", name="Noted", parent=status)
    mine = CallRecord.objects.filter(account=account)
    both = [r for r in mine if r.raw.get("event") == 1 and r.raw.get("status") == 1]
    either = [r for r in mine if r.raw.get("event") == 1 or r.raw.get("status") == 1]
    base = {"account": account.pk, "lf": ["5", "12"]}
    anded = listed(viewer_client, **base, join="and")
    ored = listed(viewer_client, **base, join="or")
    assert sorted(anded) == sorted(r.pk for r in both) and both
    assert sorted(ored) == sorted(r.pk for r in either) and len(either) > len(both)
    page = viewer_client.get("/reports/calls/", {**RANGE, "account": account.pk, "lf": "22"})
    assert page.context["builder"]["live_only"] == ["Noted"]
    assert not page.context["page"].rows
    assert "only the vendor can answer" in page.content.decode()


def page_plan(rows) -> str:
    """The plan of a page's own query (newest first, LIMIT page + 1). PostgreSQL is told
    to avoid sequential and bitmap scans: on a test-sized table they are cheapest, which
    says nothing about the order the index gives at 10M rows."""
    query, params = rows.order_by("-started_at", "-id")[
        : cdr_search.PAGE_SIZE + 1
    ].query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"EXPLAIN QUERY PLAN {query}", params)
        else:
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_bitmapscan = off")
            cursor.execute(f"EXPLAIN {query}", params)
        return "\n".join(str(row) for row in cursor.fetchall())


def test_page_one_and_a_deep_page_read_the_keyset_index_in_order_without_sorting(calls):
    """Keyset pages walk the (started_at, id) index backwards from the cursor and stop
    after a page: no sort of the range, and a deep page starts its index range at the
    cursor rather than filtering every newer row."""
    from telephony.reports.periods import Period

    period = Period(START.date(), START.date().replace(day=30), START.tzinfo)
    newest = CallRecord.objects.order_by("-started_at", "-id")[10]
    moment, pk = newest.started_at, newest.pk
    deep = cdr_search.records(period, {}).filter(started_at__lte=moment)
    deep = deep.filter(Q(started_at__lt=moment) | Q(started_at=moment, id__lt=pk))
    for rows in (cdr_search.records(period, {}), deep):
        plan = page_plan(rows)
        if connection.vendor == "sqlite":
            assert "cdr_started_id" in plan, plan
            assert "TEMP B-TREE" not in plan, plan
        else:
            assert "Index Scan Backward using cdr_started_id" in plan, plan
            assert "Limit" in plan.splitlines()[0], plan
            assert "Sort" not in plan, plan
        if rows is deep:  # the cursor bounds the index range itself
            assert "<=" in plan or "started_at<?" in plan.replace(" ", ""), plan


def test_the_count_reads_whole_days_from_the_day_level(calls, viewer_client, viewer_user):
    from telephony.models import UserProfile
    from telephony.models.cdr import RollupPhase
    from telephony.sync import rollups

    profile = UserProfile.for_user(viewer_user)
    profile.time_zone = "Asia/Kolkata"
    profile.save()
    rollups.rebuild()  # registers the zones in use and builds them
    assert RollupPhase.objects.filter(built_at__isnull=False).count() == 2  # UTC and +05:30
    with CaptureQueriesContext(connection) as queries:
        response = viewer_client.get("/reports/calls/", {**RANGE, "status": "busy"})
    read = [q["sql"] for q in queries if "rollup" in q["sql"] and "rollupphase" not in q["sql"]]
    assert len(read) == 1 and "telephony_callrollupday" in read[0], read
    assert '"telephony_callrollup"' not in read[0]
    zone = zoneinfo.ZoneInfo("Asia/Kolkata")
    first, last = datetime(2026, 11, 19, tzinfo=zone), datetime(2026, 12, 4, tzinfo=zone)
    expected = CallRecord.objects.filter(
        status="busy", started_at__gte=first, started_at__lt=last
    ).count()
    assert response.context["count"].value == expected
