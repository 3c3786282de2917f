"""Launching and stopping CPaaS native campaigns against the CPaaS sandbox over real
HTTP: what is pushed, the create body per kind (read from the sandbox's stored campaign),
a lost create answer, a vendor refusal, and stopping at the vendor."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import requests
from django.utils import timezone

from campaigns.engine import native
from campaigns.models import Campaign, CampaignTarget, VendorPush
from telephony.models import ProviderAccount, ProviderRequest, SandboxRecord
from telephony.vendors.cpaas import sandbox_base as cpaas_sandbox
from tests.campaigns.native_helpers import (
    add_target,
    cpaas_account,
    digits,
    dnd_list,
    make_campaign,
    quicken,
    sandbox_speed,
    vendor_calls,
    vendor_campaign,
    vendor_members,
)

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture(autouse=True)
def quick(monkeypatch):
    quicken(monkeypatch)


@pytest.fixture
def account(live_server):
    return cpaas_account(live_server)


def vendor_campaigns():
    return SandboxRecord.objects.filter(vendor="cpaas", kind="campaign")


def test_launch_pushes_exactly_the_pending_targets_and_the_merged_dnd_lists(account):
    campaign = make_campaign(account, targets=7)
    add_target(campaign, 50, status=CampaignTarget.Status.DND)
    add_target(campaign, 51, status=CampaignTarget.Status.INVALID)
    chosen = dnd_list("Complaints", ["+919800300001", "+919800300002"])
    dnd_list("Regulator", ["+919800300003"], is_global=True)
    dnd_list("Some other campaign's list", ["+919800300009"])
    campaign.dnd_lists.set([chosen])

    outcome = native.launch(campaign)

    campaign.refresh_from_db()
    assert campaign.state == "running", outcome
    assert campaign.vendor_campaign_id.startswith("CM")
    record = vendor_campaign(campaign)
    pending = campaign.targets.filter(status="pending")
    members = vendor_members(record.data["list_id"])
    assert set(members) == {digits(target.number) for target in pending}
    assert len(members) == 7
    # The vendor fills {placeholders} from contact fields: ours, renamed to \w+ names,
    # and the built-in name and number.
    assert members["919800200003"] == {
        "name": "Customer 3",
        "number": "919800200003",
        "fields": {
            "first_name": "Name3",
            "amount": "103",
            "name": "Customer 3",
            "number": "+919800200003",
        },
    }
    dnd = vendor_members(record.data["dnd_list_id"], kind="dnd_contact")
    assert set(dnd) == {"919800300001", "919800300002", "919800300003"}
    pushes = VendorPush.objects.filter(campaign=campaign)
    assert {(push.campaign_dnd, push.status, push.pushed_count) for push in pushes} == {
        (False, "done", 7),
        (True, "done", 3),
    }


@pytest.mark.parametrize(
    ("kind", "fields", "expected"),
    [
        (
            "tts",
            {"tts_voice": "Matthew", "tts_volume": "soft", "tts_engine": "neural"},
            {
                "campaign_type": "0",
                "dynamic_announcement": "1",
                "announcement_text": "Hello {first_name}, you owe {amount} rupees.",
                "recorded_filename": "",
                # Ours, and the vendor's defaults for what we left blank.
                "tts": {
                    "voice": "Matthew",
                    "volume": "soft",
                    "tts_engine_type": "neural",
                    "rate": "medium",
                    "pitch": "medium",
                    "language_code": "en-US",
                },
            },
        ),
        (
            "audio",
            {"audio_file": "quality_training-8khz.wav", "announcement_text": ""},
            {
                "campaign_type": "0",
                "dynamic_announcement": "0",
                "announcement_text": "",
                "recorded_filename": "quality_training-8khz.wav",
            },
        ),
        (
            "ivr",
            {"ivr_id": "", "announcement_text": "Connecting you to our IVR."},
            {
                "campaign_type": "1",
                "dynamic_announcement": "1",
                "announcement_text": "Connecting you to our IVR.",
            },
        ),
    ],
)
def test_the_vendor_campaign_is_created_with_the_body_of_its_kind(account, kind, fields, expected):
    campaign = make_campaign(
        account,
        kind=kind,
        calls_per_minute=45,
        repeat_count=2,
        max_retries=3,
        retry_interval=300,
        retry_statuses=["busy", "no_answer", "unavailable", "congestion"],
        **fields,
    )

    native.launch(campaign)

    campaign.refresh_from_db()
    assert campaign.state == "running", campaign.state_reason
    data = vendor_campaign(campaign).data
    for key, value in expected.items():
        assert data[key] == value, key
    kolkata = ZoneInfo("Asia/Kolkata")
    assert data["campaign_name"] == f"{campaign.name} (Dialdesk #{campaign.pk}.1)"
    assert data["campaign_caller_id"] == "15168148111"
    assert data["time_zone"] == "Asia/Kolkata"
    assert data["start_local"] == campaign.starts_at.astimezone(kolkata).strftime(
        "%Y-%m-%d %H:%M:%S"
    )
    assert data["end_local"] == campaign.ends_at.astimezone(kolkata).strftime("%Y-%m-%d %H:%M:%S")
    assert (data["calls_per_minute"], data["repeat"]) == (45, 2)
    assert (data["max_retries"], data["retry_time"]) == (3, 300)
    assert data["retry_on_statuses"] == ["BUSY", "NOANSWER", "CHANUNAVAIL", "CONGESTION"]
    assert campaign.vendor_status == "pending"
    assert campaign.idle_reason.startswith("CPaaS starts dialing at ")


def test_a_start_in_the_past_is_sent_as_now_in_the_campaign_time_zone(account):
    campaign = make_campaign(account, starts_in=-timedelta(hours=2))
    before = timezone.now().replace(microsecond=0)

    native.launch(campaign)

    campaign.refresh_from_db()
    data = vendor_campaign(campaign).data
    sent = datetime.strptime(data["start_local"], "%Y-%m-%d %H:%M:%S")
    sent = sent.replace(tzinfo=ZoneInfo("Asia/Kolkata"))
    assert before <= sent <= timezone.now()


def test_no_status_to_retry_on_sends_no_retries(account):
    campaign = make_campaign(account, max_retries=2, retry_statuses=[])

    native.launch(campaign)

    data = vendor_campaign(campaign).data
    assert data["max_retries"] == 0


def test_failed_as_a_retry_status_is_the_vendor_s_two_failure_dial_statuses(account):
    campaign = make_campaign(account, retry_statuses=["failed"])

    native.launch(campaign)

    assert vendor_campaign(campaign).data["retry_on_statuses"] == ["CHANUNAVAIL", "CONGESTION"]


def test_a_create_whose_answer_was_lost_is_found_by_name_and_not_created_twice(
    account, monkeypatch
):
    campaign = make_campaign(account)
    client = account.client()
    lost = []

    def lose_the_create_answer(response, *args, **kwargs):
        if response.url.endswith("/create_campaign") and not lost:
            lost.append(response)
            raise requests.Timeout("read timed out")

    client.http.session.hooks["response"].append(lose_the_create_answer)
    monkeypatch.setattr(ProviderAccount, "client", lambda self: client)

    native.launch(campaign)

    campaign.refresh_from_db()
    assert lost, "the hook never saw the create"
    assert campaign.state == "running"
    assert vendor_campaigns().count() == 1
    assert vendor_campaigns().get().key == campaign.vendor_campaign_id
    creates = ProviderRequest.objects.filter(account=account, endpoint="create_campaign")
    assert creates.count() == 1


def test_a_launch_killed_after_the_create_adopts_the_vendor_campaign_on_its_rerun(account):
    campaign = make_campaign(account)
    native.launch(campaign)
    campaign.refresh_from_db()
    created = campaign.vendor_campaign_id
    # The worker died before storing the vendor's id: the row is as it was.
    Campaign.objects.filter(pk=campaign.pk).update(state="scheduled", vendor_campaign_id="")

    native.launch(campaign)

    campaign.refresh_from_db()
    assert campaign.state == "running"
    assert campaign.vendor_campaign_id == created
    assert vendor_campaigns().count() == 1


def test_launch_run_twice_does_nothing_the_second_time(account):
    campaign = make_campaign(account)
    native.launch(campaign)

    assert native.launch(campaign) == "not launched: the campaign is running"
    assert vendor_campaigns().count() == 1
    assert ProviderRequest.objects.filter(endpoint="create_campaign").count() == 1


def test_a_vendor_refusal_fails_the_campaign_with_the_vendor_s_words(account):
    campaign = make_campaign(
        account, kind="audio", audio_file="not-uploaded.wav", announcement_text=""
    )

    native.launch(campaign)

    campaign.refresh_from_db()
    assert campaign.state == "failed"
    assert campaign.state_reason == "CPaaS refused the campaign: recorded_filename not found"
    assert campaign.vendor_campaign_id == ""
    assert vendor_campaigns().count() == 0


def test_rejected_credentials_pause_the_campaign_by_the_vendor_and_resume_launches_it(
    account, monkeypatch
):
    account.set_secrets({"auth": "wrong"})
    account.save()
    campaign = make_campaign(account)

    native.launch(campaign)

    campaign.refresh_from_db()
    assert campaign.state == "paused" and campaign.paused_by_vendor
    assert campaign.vendor_error == "Invalid account or auth"
    assert "account id and auth token" in campaign.vendor_hint
    # Nothing consumed: the contacts still wait.
    assert not campaign.targets.exclude(status="pending").exists()

    account.set_secrets({"auth": cpaas_sandbox.SANDBOX_CREDENTIALS["account_1"]})
    account.save()
    launched = []
    monkeypatch.setattr("campaigns.engine.launch_enqueue", launched.append)
    assert campaign.resume()[0] and launched == [campaign]
    assert campaign.state == "scheduled"
    native.launch(campaign)
    campaign.refresh_from_db()
    assert campaign.state == "running" and campaign.vendor_campaign_id


def test_a_cpaas_ivr_campaign_with_nothing_to_play_fails_before_calling_the_vendor(account):
    campaign = make_campaign(account, kind="ivr", announcement_text="", audio_file="")

    native.launch(campaign)

    campaign.refresh_from_db()
    assert campaign.state == "failed"
    assert "needs an announcement text or a recorded file" in campaign.state_reason
    assert not ProviderRequest.objects.filter(account=account).exists()


def test_a_campaign_without_an_end_fails_with_the_reason(account):
    campaign = make_campaign(account, ends_at=None)

    native.launch(campaign)

    campaign.refresh_from_db()
    assert campaign.state == "failed"
    assert campaign.state_reason == (
        "CPaaS campaigns need an end date and time: the vendor requires one."
    )


def test_a_campaign_with_no_pending_target_fails_without_calling_the_vendor(account):
    campaign = make_campaign(account, targets=0)
    add_target(campaign, 1, status=CampaignTarget.Status.DND)

    native.launch(campaign)

    campaign.refresh_from_db()
    assert campaign.state == "failed"
    assert campaign.state_reason.startswith("No contact left to call")
    assert not ProviderRequest.objects.filter(account=account).exists()


def test_stop_stops_the_campaign_at_the_vendor(account):
    sandbox_speed(1)
    campaign = make_campaign(account, targets=5, starts_in=timedelta(0), calls_per_minute=1)
    native.launch(campaign)
    campaign.refresh_from_db()

    stopped, message = campaign.stop()

    assert (stopped, message) == (True, "Stopped: no new calls start.")
    assert campaign.state == "stopped"
    assert vendor_campaign(campaign).data["state"] == "stopped"
    native.sync(campaign)
    assert campaign.vendor_status == "stopped"
    # At one call a minute the vendor had dialed the first contact only; the others
    # are closed as not dialed (the funnel shows nothing pending), and no call is
    # placed after the stop.
    calls = vendor_calls(campaign)
    assert [call.to_number for call in calls] == ["919800200000"]
    others = campaign.targets.exclude(number="+919800200000")
    assert set(others.values_list("status", "last_status")) == {("failed", "not_dialed")}
    assert others.count() == 4


def test_stopping_a_campaign_the_vendor_completed_returns_the_vendor_s_words(account):
    campaign = make_campaign(account, targets=1)
    native.launch(campaign)
    campaign.refresh_from_db()
    record = vendor_campaign(campaign)
    record.data = {**record.data, "state": "completed"}
    record.save()

    assert native.stop_at_vendor(campaign) == "CPaaS: campaign already completed"
    stopped, message = campaign.stop()
    assert (stopped, message) == (False, "CPaaS: campaign already completed")
    campaign.refresh_from_db()
    assert campaign.state == "running"


def test_a_create_answered_with_a_server_error_is_sent_again_and_makes_one_campaign(
    account, monkeypatch
):
    campaign = make_campaign(account)
    client = account.client()
    create = client.create_campaign

    def create_through_a_fault(**kwargs):
        # The sandbox answers the first create 500 without creating anything.
        client.http.session.headers["X-Sandbox-Fault"] = "error;count=1;key=native-create"
        try:
            return create(**kwargs)
        finally:
            del client.http.session.headers["X-Sandbox-Fault"]

    monkeypatch.setattr(client, "create_campaign", create_through_a_fault)
    monkeypatch.setattr(ProviderAccount, "client", lambda self: client)

    native.launch(campaign)

    campaign.refresh_from_db()
    assert campaign.state == "running", campaign.state_reason
    creates = ProviderRequest.objects.filter(account=account, endpoint="create_campaign")
    assert [row.ok for row in creates.order_by("pk")] == [False, True]
    assert vendor_campaigns().count() == 1
    assert vendor_campaigns().get().key == campaign.vendor_campaign_id


def test_a_campaign_stopped_while_its_vendor_campaign_was_being_created_is_stopped_there(
    account, monkeypatch
):
    campaign = make_campaign(account, starts_in=timedelta(0))
    client = account.client()
    create = client.create_campaign

    def stop_meanwhile(**kwargs):
        campaign_id = create(**kwargs)
        stopped, _ = Campaign.objects.get(pk=campaign.pk).stop()
        assert stopped
        return campaign_id

    monkeypatch.setattr(client, "create_campaign", stop_meanwhile)
    monkeypatch.setattr(ProviderAccount, "client", lambda self: client)

    native.launch(campaign)

    campaign.refresh_from_db()
    assert campaign.state == "stopped"
    assert campaign.vendor_campaign_id
    assert vendor_campaign(campaign).data["state"] == "stopped"
