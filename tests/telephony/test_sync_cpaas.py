# ruff: noqa: F811 (fixtures are imported by name, then requested as arguments)
"""CPaaS and OCA sync over real HTTP against the sandboxes: CDRs by date paged to the
end and idempotent, a native campaign's CDRs linked to its Campaign, attempts and
contacts, single calls by request id linked to their Call, OCA call status for calls
not yet final, and reconciliation against the CDR statistics."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from campaigns.models import CampaignAttempt, CampaignTarget, Contact, ContactList
from telephony.models import (
    Call,
    CallRecord,
    CallRollup,
    Reconciliation,
    SandboxCall,
    SandboxRecord,
    SyncCursor,
)
from telephony.sync.jobs import (
    sync_cpaas_call_cdrs,
    sync_cpaas_campaign_cdrs,
    sync_cpaas_cdrs,
    sync_oca_call_status,
)
from telephony.sync.reconcile import reconcile_cpaas
from telephony.vendors.cpaas import simulation as sim
from telephony.vendors.oca import sandbox as oca_sandbox
from telephony.vendors.oca.client import OcaClient
from tests.factories import CampaignFactory
from tests.telephony.vendors.conftest import (  # noqa: F401 (fixtures)
    make_account,
    sandbox_config,
    sandbox_url,
)
from tests.telephony.vendors.cpaas_helpers import account_kwargs

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

TENANT = "account_1"


@pytest.fixture(autouse=True)
def short_first_window(settings):
    settings.SYNC_INITIAL_DAYS = 1
    settings.SYNC_SLICE_HOURS = 48


@pytest.fixture
def cpaas(make_account, sandbox_url):
    return make_account("cpaas", name="CPaaS test", **account_kwargs(sandbox_url, TENANT))


def finished(index: int, *, kind="click2call", campaign_id="", minutes_ago=60, tenant=TENANT):
    call = sim.build_call(
        tenant=tenant,
        kind=kind,
        call_id=f"c-{index}",
        to_number=f"9198{index:08d}",
        from_number="918000000001",
        params={"campaign_type": "0"} if campaign_id else {},
        created_at=timezone.now() - timedelta(minutes=minutes_ago),
        reference_id="" if campaign_id else f"req-{index}",
        campaign_id=campaign_id,
        seed=0,
        time_scale=1.0,
    )
    call.save()
    return call


def test_cdrs_by_date_are_paged_to_the_end_and_a_second_run_changes_nothing(cpaas):
    for index in range(7):
        finished(index)
    finished(99, tenant="account_2")  # another tenant's call is not ours
    run = sync_cpaas_cdrs(cpaas, page_size=3)
    assert run.ok, run.errors
    assert (run.pages, run.created) == (3, 7)
    assert sorted(CallRecord.objects.values_list("reference_id", flat=True)) == [
        f"req-{n}" for n in range(7)
    ]
    assert SyncCursor.get_time(cpaas, "cdr") == run.window_end
    again = sync_cpaas_cdrs(cpaas, page_size=3)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 7)
    assert CallRollup.objects.window(None, None, account=cpaas).totals()["calls"] == 7


def test_a_native_campaigns_cdrs_link_to_the_campaign_its_attempts_and_contacts(cpaas):
    contacts = ContactList.objects.create(name="Native list")
    campaign = CampaignFactory(account=cpaas, vendor_campaign_id="77", state="running")
    SandboxRecord.objects.create(
        vendor="cpaas", kind="campaign", key="77", tenant=TENANT, data={"state": "completed"}
    )
    calls = [finished(n, kind="campaign", campaign_id="77") for n in range(3)]
    targets = []
    for call in calls:
        contact = Contact.objects.create(contact_list=contacts, number=f"+{call.to_number}")
        targets.append(
            CampaignTarget.objects.create(campaign=campaign, contact=contact, number=contact.number)
        )
    # The engine read the first call already: its attempt carries the vendor's call id.
    first_id = sim.cdr_row(calls[0], timezone.now())["uniqueid"]
    attempt = CampaignAttempt.objects.create(
        campaign=campaign,
        target=targets[0],
        number=targets[0].number,
        attempt=1,
        reference_id="dd-77-1-1-1",
        vendor_call_id=first_id,
        status="answered",
    )
    sync_cpaas_cdrs(cpaas)  # by date first: no campaign id in those rows
    assert not CallRecord.objects.filter(campaign=campaign).exclude(attempt=attempt).exists()
    run = sync_cpaas_campaign_cdrs(cpaas)
    assert run.ok, run.errors
    # Every record was stored by date; now each gains its campaign (and vendor campaign id).
    assert (run.created, run.updated) == (0, 3)
    records = CallRecord.objects.filter(account=cpaas).order_by("customer_number")
    assert [record.campaign_id for record in records] == [campaign.pk] * 3
    assert [record.contact_id for record in records] == [t.contact_id for t in targets]
    assert records[0].attempt_id == attempt.pk
    assert CallRollup.objects.window(None, None, campaign=campaign).totals()["calls"] == 3
    assert sync_cpaas_campaign_cdrs(cpaas).unchanged == 3


def test_a_single_call_is_read_by_request_id_and_linked_to_its_call(cpaas):
    sandbox_call = finished(5, minutes_ago=30)
    call = Call.objects.create(
        account=cpaas,
        kind="click2call",
        to_number="+919800000005",
        reference_id="dd-call-5",
        vendor_call_id="req-5",
    )
    run = sync_cpaas_call_cdrs(cpaas)
    assert run.ok, run.errors
    record = CallRecord.objects.get(account=cpaas)
    assert record.call_id == call.pk
    # The simulator writes its generic "failed" outcome as Asterisk's CONGESTION.
    assert record.status == {"failed": "congestion"}.get(sandbox_call.outcome, sandbox_call.outcome)
    assert sync_cpaas_call_cdrs(cpaas).pages == 0  # final now: not asked again


def test_reconciliation_compares_the_cdr_statistics_with_stored_records(cpaas, admin_client):
    for index in range(4):
        finished(index)
    reconcile_cpaas(cpaas)
    gap = Reconciliation.objects.get(account=cpaas)
    assert (gap.vendor_total, gap.stored_total, gap.gap) == (4, 0, 4)
    page = admin_client.get(reverse("telephony:account_detail", args=[cpaas.pk])).content.decode()
    assert "4 not stored yet" in page
    sync_cpaas_cdrs(cpaas)
    reconcile_cpaas(cpaas)
    assert Reconciliation.objects.order_by("-id").first().gap == 0
    page = admin_client.get(reverse("telephony:account_detail", args=[cpaas.pk])).content.decode()
    assert "not stored yet" not in page
    assert "match" in page


def test_oca_status_is_read_for_calls_not_yet_final(make_account, sandbox_url, sandbox_config):
    sandbox_config("oca", time_scale=1000)
    oca = make_account(
        "oca",
        base_url=f"{sandbox_url}/oca/api/v1",
        config={"username": oca_sandbox.SANDBOX_CREDENTIALS["username"]},
        secrets={"password": oca_sandbox.SANDBOX_CREDENTIALS["password"]},
    )
    client = OcaClient(oca)
    ivr = client.list_ivrs()[0]
    number = client.list_numbers()[0]
    placed = client.make_call(
        ivr_id=ivr.ivr_id,
        from_number=number,
        to_number="081200000001",
        variables={name: "1" for name in ivr.required_variable},
    )
    client.http.session.close()
    call = Call.objects.create(
        account=oca,
        kind="oca_ivr",
        to_number="+6281200000001",
        reference_id="dd-oca-1",
        vendor_call_id=placed.vendor_call_id,
    )
    sandbox = SandboxCall.objects.get(vendor="oca", call_id=placed.vendor_call_id)
    SandboxCall.objects.filter(pk=sandbox.pk).update(created_at=timezone.now() - timedelta(hours=1))
    run = sync_oca_call_status(oca)
    assert run.ok, run.errors
    record = CallRecord.objects.get(account=oca)
    assert (record.call_id, record.vendor_call_id) == (call.pk, placed.vendor_call_id)
    assert record.status == sandbox.outcome
    assert sync_oca_call_status(oca).pages == 0
