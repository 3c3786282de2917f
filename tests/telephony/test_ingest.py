"""The one ingest of CDRs: idempotent bulk upserts, links to campaign, attempt, contact
and call, hostile vendor values bounded, a constant number of queries per batch, and
CallRecord.upsert (the campaign engine's per-call path) keeping the rollups too."""

from datetime import UTC, datetime, timedelta

import pytest

from campaigns.models import CampaignAttempt, CampaignTarget, Contact, ContactList
from telephony.models import Call, CallRecord, CallRollup
from telephony.sync.ingest import ingest
from telephony.vendors.base import CallStatus, NormalizedCDR
from tests.factories import CampaignFactory, ProviderAccountFactory

pytestmark = pytest.mark.django_db

START = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


def cdr(n: int, **fields) -> NormalizedCDR:
    values = {
        "vendor_call_id": f"v-{n}",
        "status": CallStatus.ANSWERED,
        "customer_number": f"+9198765{n:05d}",
        "caller_id": "+919876500000",
        "started_at": START + timedelta(minutes=n),
        "billable_seconds": 30,
        "raw": {"n": n},
    }
    return NormalizedCDR(**{**values, **fields})


@pytest.fixture
def account():
    return ProviderAccountFactory(kind="myoperator")


@pytest.fixture
def attempt(account):
    campaign = CampaignFactory(account=account)
    contact = Contact.objects.create(
        contact_list=ContactList.objects.create(name="Ingest list"), number="+919876512345"
    )
    target = CampaignTarget.objects.create(
        campaign=campaign, contact=contact, number=contact.number
    )
    return CampaignAttempt.objects.create(
        campaign=campaign,
        target=target,
        number=target.number,
        attempt=1,
        reference_id=f"dd-{campaign.pk}-1-{target.pk}-1",
        status="placed",
    )


def test_a_batch_is_inserted_once_and_a_repeat_changes_nothing(account):
    batch = [cdr(n) for n in range(50)]
    first = ingest(account, batch)
    assert (first.created, first.updated, first.unchanged) == (50, 0, 0)
    again = ingest(account, batch)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 50)
    assert CallRecord.objects.count() == 50
    assert CallRollup.objects.totals()["calls"] == 50


def test_a_changed_record_is_updated_in_place(account):
    ingest(account, [cdr(1, status=CallStatus.IN_PROGRESS, billable_seconds=0)])
    record = CallRecord.objects.get()
    result = ingest(account, [cdr(1, status=CallStatus.BUSY, billable_seconds=0)])
    assert (result.created, result.updated) == (0, 1)
    assert CallRecord.objects.get().pk == record.pk
    assert CallRecord.objects.get().status == "busy"
    assert list(CallRollup.objects.values_list("status", "calls", "busy")) == [("busy", 1, 1)]


def test_the_last_copy_of_a_repeated_id_in_one_batch_wins(account):
    result = ingest(account, [cdr(1, status=CallStatus.BUSY), cdr(1, status=CallStatus.ANSWERED)])
    assert result.created == 1
    assert CallRecord.objects.get().status == "answered"
    assert CallRollup.objects.totals()["calls"] == 1


def test_a_campaign_call_links_to_its_attempt_campaign_and_contact(account, attempt):
    ingest(account, [cdr(1, reference_id=attempt.reference_id, customer_number=attempt.number)])
    record = CallRecord.objects.get()
    assert record.attempt_id == attempt.pk
    assert record.campaign_id == attempt.campaign_id
    assert record.contact_id == attempt.target.contact_id
    assert CallRollup.objects.get().campaign_id == attempt.campaign_id


def test_an_attempt_is_also_found_by_the_vendors_call_id(account, attempt):
    CampaignAttempt.objects.filter(pk=attempt.pk).update(vendor_call_id="v-7")
    ingest(account, [cdr(7)])
    assert CallRecord.objects.get().attempt_id == attempt.pk


def test_a_link_found_before_is_kept_when_a_later_copy_lacks_it(account, attempt):
    ingest(account, [cdr(1, reference_id=attempt.reference_id)])
    ingest(account, [cdr(1, status=CallStatus.BUSY)])  # e.g. a by-date read without _cri
    record = CallRecord.objects.get()
    assert (record.attempt_id, record.status) == (attempt.pk, "busy")


def test_a_single_call_links_to_its_call_row(account):
    call = Call.objects.create(
        account=account, kind="p2p", to_number="+919876500001", reference_id="dd-single-1"
    )
    ingest(account, [cdr(1, reference_id="dd-single-1")])
    assert CallRecord.objects.get().call_id == call.pk


def test_hostile_vendor_values_are_bounded_not_refused(account):
    ingest(
        account,
        [
            cdr(
                1,
                vendor_status="x" * 500,
                agent="a\x00b" * 100,
                duration_seconds=-5,
                billable_seconds=10**12,
                customer_number="919876543210",  # CPaaS spelling: country code, no +
                raw={"note": "nul\x00here", "nested": ["\x00"]},
            )
        ],
    )
    record = CallRecord.objects.get()
    assert len(record.vendor_status) == 50
    assert "\x00" not in record.agent and len(record.agent) == 100
    assert record.duration_seconds == 0
    assert record.billable_seconds == 2**31 - 1
    assert record.customer_number == "+919876543210"
    assert record.customer_number_reversed == "012345678919"
    assert record.raw == {"note": "nulhere", "nested": [""]}


def test_a_batch_costs_a_constant_number_of_queries(
    account, attempt, django_assert_max_num_queries
):
    batch = [cdr(n, reference_id=f"dd-none-{n}") for n in range(400)]
    with django_assert_max_num_queries(14):
        ingest(account, batch)
    for item in batch[::2]:
        item.status = CallStatus.NO_ANSWER
    with django_assert_max_num_queries(16):
        result = ingest(account, batch)
    assert (result.created, result.updated, result.unchanged) == (0, 200, 200)


def test_call_record_upsert_keeps_working_for_the_engine(account, attempt):
    record = CallRecord.upsert(account, cdr(3, reference_id=attempt.reference_id))
    assert record.attempt_id == attempt.pk
    assert CallRecord.upsert(account, cdr(3, status=CallStatus.BUSY)).status == "busy"
    assert list(CallRollup.objects.values_list("status", "calls")) == [("busy", 1)]


def test_a_batch_is_inserted_in_start_order(account):
    batch = [cdr(n) for n in (5, 1, 4, 2, 3)]
    ingest(account, batch)
    by_id = CallRecord.objects.order_by("id").values_list("vendor_call_id", flat=True)
    assert list(by_id) == ["v-1", "v-2", "v-3", "v-4", "v-5"]


def test_new_records_reach_the_rollups_by_their_id_range_on_the_primary_key(account):
    """The rollup statements read the batch's records by id, never the whole account."""
    from django.db import connection

    from telephony.sync.rollups import NEW_RECORDS, _quarters_sql

    ingest(account, [cdr(n) for n in range(30)])
    sql = _quarters_sql(NEW_RECORDS, upsert=False)
    plan = explain(connection, sql, [1, 10, account.pk])
    if connection.vendor == "sqlite":
        assert "USING INTEGER PRIMARY KEY" in plan, plan
    else:
        assert "telephony_callrecord_pkey" in plan, plan
    assert "cdr_account_started" not in plan and "unique_cdr_per_account" not in plan, plan


def test_the_existing_row_lookup_probes_the_unique_key(account):
    """Before the table's first ANALYZE (a large account's first sync), the lookup of a
    batch's ids probes the unique key rather than reading every record of the account.
    (On a table of a few thousand rows the two cost the same to PostgreSQL's planner.)"""
    from django.db import connection

    from telephony.sync import ingest as ingest_module

    if connection.vendor == "postgresql":
        fill(connection, account, 20_000)
        sql = ingest_module.EXISTING_POSTGRES.format(table=CallRecord._meta.db_table)
        plan = explain(connection, sql, [account.pk, '["v-1", "v-2"]'])
    else:
        ingest(account, [cdr(n) for n in range(30)])
        sql = (
            f"SELECT id FROM {CallRecord._meta.db_table} "  # noqa: S608
            "WHERE account_id = %s AND vendor_call_id IN (%s, %s)"
        )
        plan = explain(connection, sql, [account.pk, "v-1", "v-2"])
    assert "unique_cdr_per_account" in plan or "sqlite_autoindex_telephony_callrecord" in plan, plan
    assert "cdr_account_started" not in plan, plan


def explain(connection, sql: str, params: list) -> str:
    prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN "
    with connection.cursor() as cursor:
        cursor.execute(prefix + sql, params)
        return "\n".join(str(row) for row in cursor.fetchall())


def fill(connection, account, rows: int) -> None:
    """`rows` records of `account`, written by the server (an ingest of as many would
    cost the test seconds); no ANALYZE, as after a first large sync."""
    columns = (
        "account_id, vendor_call_id, direction, status, vendor_status, caller_id, "
        "customer_number, customer_number_reversed, agent, duration_seconds, "
        "billable_seconds, recording_ref, reference_id, vendor_campaign_id, dtmf, raw, "
        "started_at, synced_at"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {CallRecord._meta.db_table} ({columns}) "  # noqa: S608
            "SELECT %s, 'v-' || n, 'outbound', 'answered', '', '', '', '', '', 0, 0, '', '', "
            "'', '', '{}', now(), now() FROM generate_series(1, %s) AS n",
            [account.pk, rows],
        )
