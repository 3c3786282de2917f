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
