"""Every CpaasClient method on its success path, against the CPaaS sandbox over HTTP."""

import math
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from telephony.models import CallRecord, SandboxCall
from telephony.vendors.base import CallStatus, PlacedCall, Rejected
from telephony.vendors.cpaas.client import CampaignType, Contact, DndContact, TtsOptions
from telephony.vendors.cpaas.simulation import channel_for, put_bucket_file
from tests.telephony.vendors.cpaas_helpers import (
    account_kwargs,
    number_for,
    put_mid_call,
    put_ringing,
    wait_until,
)

CALLER_ID = "15168148111"
AGENT = "919800000900"


@pytest.fixture
def account(sandbox_url, make_account, sandbox_config):
    sandbox_config("cpaas", time_scale=1000)
    return make_account("cpaas", **account_kwargs(sandbox_url))


@pytest.fixture
def client(account):
    return account.client()


def finished_cdrs(client, request_id):
    return wait_until(lambda: client.get_cdr_by_request_id(request_id=request_id))


def test_check_connection_is_green_in_the_vendors_words(client, account):
    check = client.check_connection()
    assert check.ok
    assert check.message.startswith("success: true; live calls: 0 click2call")
    assert account.test_connection().ok


def test_click2call_places_a_call_whose_cdr_shows_its_outcome_and_recording(client):
    destination = number_for("answered")
    placed = client.click2call(
        agent_number=AGENT,
        destination_number=f"+{destination}",  # a leading + is dropped, as the doc shows
        caller_id=CALLER_ID,
        recording_option="both",
        transcript=True,
    )
    assert isinstance(placed, PlacedCall) and len(placed.vendor_call_id) == 10
    [cdr] = finished_cdrs(client, placed.vendor_call_id)
    assert cdr.vendor_call_id == placed.vendor_call_id
    assert cdr.status is CallStatus.ANSWERED
    assert cdr.customer_number == destination
    assert cdr.agent == AGENT
    assert cdr.caller_id == CALLER_ID
    assert cdr.recording_ref == f"{placed.vendor_call_id}.wav"
    assert cdr.billable_seconds > 0
    assert cdr.raw["destination_context"] == "click2call"


@pytest.mark.parametrize(
    ("outcome", "status"),
    [
        ("busy", CallStatus.BUSY),
        ("no_answer", CallStatus.NO_ANSWER),
        ("unavailable", CallStatus.UNAVAILABLE),
        ("failed", CallStatus.CONGESTION),
    ],
)
def test_unanswered_click2calls_end_with_the_mapped_status_and_no_recording(
    client, outcome, status
):
    placed = client.click2call(
        agent_number=AGENT,
        destination_number=number_for(outcome),
        caller_id=CALLER_ID,
        recording_option="both",
    )
    [cdr] = finished_cdrs(client, placed.vendor_call_id)
    assert cdr.status is status
    assert cdr.recording_ref == "" and cdr.billable_seconds == 0 and cdr.answered_at is None


def test_an_otp_call_is_announced_and_logged_as_a_local_call(client):
    placed = client.otp_call(
        customer_number=number_for("answered"),
        otp="1987",
        announce_template_id="AN2222314c96",
        caller_id=CALLER_ID,
        repeat=2,
        tts=TtsOptions(voice="Raveena", volume="soft", rate="slow", pitch="medium"),
    )
    [cdr] = finished_cdrs(client, placed.vendor_call_id)
    assert cdr.status is CallStatus.ANSWERED
    assert cdr.raw["destination_context"] == "local_call"
    assert cdr.agent == ""


def test_hanging_up_a_ringing_call_cancels_it(client, sandbox_config):
    sandbox_config("cpaas", time_scale=1)
    placed = client.click2call(
        agent_number=AGENT, destination_number=number_for("no_answer"), caller_id=CALLER_ID
    )
    call = put_ringing(placed.vendor_call_id)
    assert client.hangup(channel=channel_for(call)) == "call hangup successfully"
    [cdr] = client.get_cdr_by_request_id(request_id=placed.vendor_call_id)
    assert cdr.status is CallStatus.CANCELLED
    assert cdr.vendor_status == "NO ANSWER (CANCEL)"


def test_recording_transferring_and_hanging_up_a_live_call(client, sandbox_config):
    sandbox_config("cpaas", time_scale=1)
    placed = client.click2call(
        agent_number=AGENT, destination_number=number_for("answered"), caller_id=CALLER_ID
    )
    call = put_mid_call(placed.vendor_call_id, talk_seconds_in=3)
    channel = channel_for(call)
    assert client.get_live_call_statistics().click2call == 1
    assert client.start_recording(channel=channel) == "call recording started successfully"
    assert client.blind_transfer(channel=channel, transfer_to="102") == (
        "blind transferred successfully"
    )
    assert client.attended_transfer(channel=f" {channel} ", transfer_to="919976000001") == (
        "attended transferred successfully"
    )
    assert client.hangup(channel=channel) == "call hangup successfully"
    [cdr] = client.get_cdr_by_request_id(request_id=placed.vendor_call_id)
    assert cdr.status is CallStatus.ANSWERED
    assert cdr.recording_ref == f"{placed.vendor_call_id}.wav"
    assert 2 <= cdr.billable_seconds <= 5  # cut short by the hangup
    transfers = SandboxCall.objects.get(pk=call.pk).params["transfers"]
    assert [(t["type"], t["to"]) for t in transfers] == [("0", "102"), ("1", "919976000001")]
    assert client.get_live_call_statistics().total == 0


def test_a_callback_is_created_updated_and_deleted(client):
    later = timezone.now() + timedelta(hours=2)
    placed = client.create_callback(
        agent_number=AGENT,
        destination_number=number_for("answered"),
        caller_id=CALLER_ID,
        scheduled_at=later,
        time_zone="Asia/Kolkata",
    )
    message = client.update_callback(
        request_id=placed.vendor_call_id,
        recording_option="on",
        scheduled_at=timezone.localtime(later, timezone.get_fixed_timezone(330)).replace(
            tzinfo=None
        )
        + timedelta(minutes=30),
    )
    assert message == "callback data modified successfully"
    assert client.delete_callback(request_id=placed.vendor_call_id) == (
        "callback request deleted successfully"
    )
    with pytest.raises(Rejected, match="request_id not found"):
        client.delete_callback(request_id=placed.vendor_call_id)


def test_a_callback_dials_when_its_time_comes_and_can_no_longer_change(client):
    destination = number_for("answered")
    placed = client.create_callback(
        agent_number=AGENT,
        destination_number=destination,
        caller_id=CALLER_ID,
        scheduled_at=timezone.now() + timedelta(minutes=1),
        time_zone="US/Eastern",
        recording_option="on",
    )
    assert client.get_cdr_by_request_id(request_id=placed.vendor_call_id) == []
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        [cdr] = client.get_cdr_by_request_id(request_id=placed.vendor_call_id)
        assert cdr.status is CallStatus.ANSWERED
        assert cdr.customer_number == destination and cdr.agent == AGENT
        assert cdr.recording_ref
        assert cdr.raw["destination_context"] == "callback"
        with pytest.raises(Rejected, match="callback request already processed"):
            client.update_callback(request_id=placed.vendor_call_id, recording_option="off")


def test_contacts_are_added_in_batches_and_imported_from_csv(client, audit_rows, account):
    list_id = client.create_list(list_name="march dues")
    assert list_id.startswith("LS")
    contacts = [
        Contact(number=f"9198000011{index:02d}", name=f"c{index}", fields={"field1": str(index)})
        for index in range(7)
    ]
    contacts.append({"contact_number": "919800001199", "contact_name": "vendor shape"})
    before = len(audit_rows(account))
    assert client.add_contacts(list_id=list_id, contacts=contacts, batch_size=3) == 8
    assert len(audit_rows(account)) - before == math.ceil(8 / 3)
    assert (
        client.import_contacts_csv(list_id=list_id, csv_name="contacts_dynamic_announcement.csv")
        == 2
    )
    put_bucket_file(
        "account_1",
        "april.csv",
        "contact_name,contact_number,field1\nA,919800002201,x\nB,not-a-number,y\n",
    )
    assert client.import_contacts_csv(list_id=list_id, csv_name="april.csv") == 1


def test_dnd_contacts_are_added_and_imported_from_csv(client):
    dnd_list_id = client.create_dnd_list(dnd_list_name="do not call")
    assert dnd_list_id.startswith("DN")
    added = client.add_dnd_contacts(
        dnd_list_id=dnd_list_id,
        contacts=["919800003301", DndContact(number="919800003302", name="b")],
    )
    assert added == 2
    assert (
        client.import_dnd_contacts_csv(dnd_list_id=dnd_list_id, dnd_csv_name="dnd_contacts.csv")
        == 2
    )


def make_campaign(client, *, contacts, dnd=(), **kwargs):
    list_id = client.create_list(list_name=f"list {timezone.now().timestamp()}")
    client.add_contacts(list_id=list_id, contacts=contacts)
    dnd_list_id = ""
    if dnd:
        dnd_list_id = client.create_dnd_list(dnd_list_name=f"dnd {timezone.now().timestamp()}")
        client.add_dnd_contacts(dnd_list_id=dnd_list_id, contacts=list(dnd))
    now = timezone.localtime(timezone.now(), timezone.get_fixed_timezone(330)).replace(tzinfo=None)
    options = {
        "campaign_name": f"campaign {timezone.now().timestamp()}",
        "caller_id": CALLER_ID,
        "start": now,
        "end": now + timedelta(hours=2),
        "time_zone": "Asia/Kolkata",
        "announcement_text": "Dear {field1}, your due balance is {field3} INR",
        "calls_per_minute": 60,
        **kwargs,
    }
    return client.create_campaign(list_id=list_id, dnd_list_id=dnd_list_id, **options)


def test_a_dynamic_announcement_campaign_dials_its_list_minus_dnd_and_completes(client):
    numbers = [number_for("answered", skip=i) for i in range(3)] + [number_for("busy")]
    blocked = numbers[1]
    campaign_id = make_campaign(
        client,
        contacts=[Contact(number=n, fields={"field1": "Asha", "field3": "500"}) for n in numbers],
        dnd=[blocked],
        tts=TtsOptions(voice="Matthew", volume="soft", rate="slow", pitch="medium"),
    )
    assert campaign_id.startswith("CM")
    campaign = wait_until(
        lambda: (c := client.get_campaign(campaign_id)) and c.status == "completed" and c
    )
    assert campaign.calls_per_minute == 60 and campaign.campaign_type == 0
    cdrs = client.get_cdr_by_campaign_id(campaign_id=campaign_id)
    by_number = {cdr.customer_number: cdr for cdr in cdrs}
    assert set(by_number) == set(numbers)
    assert by_number[blocked].status is CallStatus.DND_BLOCKED
    assert by_number[numbers[3]].status is CallStatus.BUSY
    assert all(cdr.vendor_campaign_id == campaign_id for cdr in cdrs)
    stats = client.get_campaign_cdr_statistics(campaign_id=campaign_id)
    assert stats.total == len(cdrs) == 4
    assert stats[CallStatus.ANSWERED] == 2
    assert stats[CallStatus.DND_BLOCKED] == 1
    assert stats[CallStatus.BUSY] == 1
    announcement = SandboxCall.objects.get(campaign_id=campaign_id, to_number=numbers[0])
    assert announcement.params["announcement"] == "Dear Asha, your due balance is 500 INR"


def test_a_recorded_file_campaign_and_an_ivr_campaign_are_created(client):
    recorded = make_campaign(
        client,
        contacts=[Contact(number=number_for("answered"))],
        announcement_text="",
        recorded_filename="quality_training-8khz.wav",
        repeat=3,
    )
    ivr = make_campaign(
        client,
        contacts=[Contact(number=number_for("answered"))],
        campaign_type=CampaignType.IVR,
        announcement_text="Press 1 to talk to us",
        max_retries=1,
        retry_time=60,
        retry_on_statuses=["NOANSWER", "busy"],
    )
    details = {campaign.campaign_id: campaign for campaign in client.get_campaign_details()}
    assert details[recorded].repeat == 3
    assert details[ivr].campaign_type == 1
    [cdr] = wait_until(lambda: client.get_cdr_by_campaign_id(campaign_id=ivr))
    assert cdr.raw["destination_context"] == "local_call_campaign_type_1"
    assert cdr.dtmf in {"1", "2", "3"}


def test_stopping_a_campaign_stops_its_dialing(client):
    contacts = [Contact(number=number_for("answered", skip=i)) for i in range(5)]
    campaign_id = make_campaign(client, contacts=contacts, calls_per_minute=1)
    assert client.stop_campaign(campaign_id=campaign_id) == "campaign stopped successfully"
    assert client.get_campaign(campaign_id).status == "stopped"
    dialed = SandboxCall.objects.filter(campaign_id=campaign_id).count()
    assert dialed < len(contacts)  # one call per simulated minute: 60 ms of real time
    with time_machine.travel(timezone.now() + timedelta(minutes=5)):
        assert len(client.get_cdr_by_campaign_id(campaign_id=campaign_id)) == dialed
    # Stopping twice is harmless (and so safe to retry).
    assert client.stop_campaign(campaign_id=campaign_id) == "campaign stopped successfully"


def test_cdrs_by_date_walk_every_page_and_agree_with_the_statistics(client, audit_rows, account):
    placed = [
        client.click2call(
            agent_number=AGENT,
            destination_number=number_for("answered", skip=i),
            caller_id=CALLER_ID,
        )
        for i in range(4)
    ] + [
        client.otp_call(
            customer_number=number_for("busy"),
            otp="4321",
            announce_template_id="AN2222314c96",
            caller_id=CALLER_ID,
        )
    ]
    for call in placed:
        finished_cdrs(client, call.vendor_call_id)
    today = timezone.now().date()
    before = len(audit_rows(account))
    cdrs = client.all_cdr_by_date(start_date=today, end_date=today, page_size=2)
    assert len(audit_rows(account)) - before == 3  # 2 + 2 + 1
    assert {cdr.vendor_call_id for cdr in cdrs} == {call.vendor_call_id for call in placed}
    page = client.get_cdr_by_date(start_date=today, end_date=today, record_count=2, offset=4)
    assert len(page.items) == 1 and not page.has_more
    stats = client.get_cdr_statistics()
    assert stats.total == 5
    assert stats[CallStatus.ANSWERED] == 4 and stats[CallStatus.BUSY] == 1
    for cdr in cdrs:
        CallRecord.upsert(account, cdr)
        CallRecord.upsert(account, cdr)
    assert CallRecord.objects.filter(account=account).count() == 5
    yesterday = today - timedelta(days=1)
    assert client.all_cdr_by_date(start_date=yesterday, end_date=yesterday) == []


def test_live_call_statistics_count_calls_until_they_hang_up(client, sandbox_config):
    sandbox_config("cpaas", time_scale=1)
    client.click2call(
        agent_number=AGENT, destination_number=number_for("answered"), caller_id=CALLER_ID
    )
    client.otp_call(
        customer_number=number_for("answered", skip=1),
        otp="1111",
        announce_template_id="AN2222314c96",
        caller_id=CALLER_ID,
    )
    stats = client.get_live_call_statistics()
    assert (stats.click2call, stats.otp, stats.campaign, stats.inbound) == (1, 1, 0, 0)
    with time_machine.travel(timezone.now() + timedelta(minutes=10)):
        assert client.get_live_call_statistics().total == 0
        assert client.get_cdr_statistics().total == 2


def test_accounts_are_separate_tenants(client, sandbox_url, make_account):
    other = make_account("cpaas", **account_kwargs(sandbox_url, tenant="account_2")).client()
    list_id = client.create_list(list_name="shared name")
    assert other.create_list(list_name="shared name") != list_id
    campaign_id = make_campaign(client, contacts=[Contact(number=number_for("answered"))])
    assert other.get_campaign_details() == []
    with pytest.raises(Rejected, match="campaign_id not found"):
        other.get_cdr_by_campaign_id(campaign_id=campaign_id)
