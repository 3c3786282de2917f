"""CDR search: number matches (exact, begins, ends with through the reversed digits,
contains), filters, keyset pages that walk every match once, the count from the rollups
or bounded, and the MyOperator filter builder over stored records."""

import pytest
from django.db import connection
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
