"""The lifecycle buttons: start and stop confirm first, every button asks the model and
shows its answer, a CPaaS refusal to stop is shown in the vendor's own words, and a
viewer cannot act. The engine's queue functions are replaced by recorders: these tests
are about the page and the model's state, not about dialing."""

from unittest import mock

import pytest
from django.urls import reverse
from django.utils.html import escape

from campaigns.models import Campaign
from tests.factories import CampaignFactory, ProviderAccountFactory


@pytest.fixture
def launch_enqueue():
    with mock.patch("campaigns.engine.launch_enqueue") as recorder:
        yield recorder


@pytest.fixture
def runner_enqueue():
    with mock.patch("campaigns.engine.runner_enqueue") as recorder:
        yield recorder


@pytest.fixture
def startable():
    """The builder finds nothing wrong (its own checks are tested with the builder)."""
    with mock.patch.object(Campaign, "problems", return_value={}):
        yield


def cpaas_campaign(**extra):
    account = ProviderAccountFactory(kind="cpaas", name="Mumbai CPaaS")
    return CampaignFactory(account=account, kind="tts", announcement_text="Hello {name}", **extra)


def url(name, campaign):
    return reverse(f"campaigns:{name}", args=[campaign.pk])


def body_of(response) -> str:
    return response.content.decode()


# --- start ------------------------------------------------------------------------------


def test_start_asks_for_confirmation_first(supervisor_client, startable, launch_enqueue):
    campaign = CampaignFactory(name="Dues reminder", calls_per_minute=40)
    response = supervisor_client.get(url("campaign_start", campaign))
    body = body_of(response)
    assert response.status_code == 200
    assert "Start Dues reminder?" in body
    assert "40 calls per minute" in body
    assert f'action="{url("campaign_start", campaign)}"' in body
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.DRAFT
    launch_enqueue.assert_not_called()


def test_confirming_start_schedules_the_campaign_and_queues_its_launch(
    supervisor_client, supervisor_user, startable, launch_enqueue
):
    campaign = CampaignFactory(name="Dues reminder")
    response = supervisor_client.post(url("campaign_start", campaign), follow=True)
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.SCHEDULED
    assert campaign.started_at is not None
    launch_enqueue.assert_called_once()
    assert launch_enqueue.call_args.args[0].pk == campaign.pk
    assert response.redirect_chain[-1][0] == url("campaign_detail", campaign)
    assert "Starting Dues reminder." in body_of(response)


def test_start_shows_the_builders_problems_and_does_not_start(supervisor_client, launch_enqueue):
    campaign = CampaignFactory()
    problems = {
        "contact_lists": "Choose at least one contact list.",
        "announcement_text": "No list has the field {due}.",
    }
    with mock.patch.object(Campaign, "problems", return_value=problems):
        confirm = body_of(supervisor_client.get(url("campaign_start", campaign)))
        response = supervisor_client.post(url("campaign_start", campaign), follow=True)
    assert "Choose at least one contact list." in confirm
    assert "Start the campaign</button>" not in confirm
    assert "Choose at least one contact list. No list has the field {due}." in body_of(response)
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.DRAFT
    launch_enqueue.assert_not_called()


def test_the_confirmation_lists_whatever_the_builder_finds_wrong(supervisor_client):
    campaign = CampaignFactory()  # no contact list: the builder must object
    problems = campaign.problems()
    assert problems
    body = body_of(supervisor_client.get(url("campaign_start", campaign)))
    for text in problems.values():
        assert escape(text) in body
    assert "Start the campaign</button>" not in body


def test_a_running_campaign_cannot_be_started_again(supervisor_client, startable, launch_enqueue):
    campaign = CampaignFactory(state=Campaign.State.RUNNING)
    confirm = body_of(supervisor_client.get(url("campaign_start", campaign)))
    response = supervisor_client.post(url("campaign_start", campaign), follow=True)
    assert "it cannot be started" in confirm
    assert "This campaign is running, not a draft." in body_of(response)
    launch_enqueue.assert_not_called()


# --- pause and resume ---------------------------------------------------------------------


def test_pause_stops_new_calls_and_records_who_paused(supervisor_client, supervisor_user):
    campaign = CampaignFactory(state=Campaign.State.RUNNING)
    response = supervisor_client.post(url("campaign_pause", campaign), follow=True)
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.PAUSED
    assert campaign.paused_at is not None
    assert campaign.state_reason == f"Paused by {supervisor_user}."
    body = body_of(response)
    assert "Paused: no new calls start; calls in progress finish." in body
    assert f"Paused by {supervisor_user} at" in body  # why nothing is dialing


def test_pause_is_a_post_only(supervisor_client):
    campaign = CampaignFactory(state=Campaign.State.RUNNING)
    assert supervisor_client.get(url("campaign_pause", campaign)).status_code == 405
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.RUNNING


def test_a_cpaas_campaign_cannot_be_paused_and_says_why(admin_client):
    campaign = cpaas_campaign(state=Campaign.State.RUNNING, vendor_campaign_id="cmp-1")
    response = admin_client.post(url("campaign_pause", campaign), follow=True)
    assert "CPaaS campaigns cannot be paused: the vendor&#x27;s API can only stop them." in (
        body_of(response)
    )
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.RUNNING


def test_resume_runs_again_and_queues_the_runner(supervisor_client, runner_enqueue):
    campaign = CampaignFactory(state=Campaign.State.PAUSED, state_reason="Paused by asha.")
    response = supervisor_client.post(url("campaign_resume", campaign), follow=True)
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.RUNNING
    assert campaign.state_reason == ""
    assert campaign.paused_at is None
    runner_enqueue.assert_called_once()
    assert "Resumed." in body_of(response)


def test_resume_of_a_campaign_that_is_not_paused_says_so(supervisor_client, runner_enqueue):
    campaign = CampaignFactory(state=Campaign.State.COMPLETED)
    response = supervisor_client.post(url("campaign_resume", campaign), follow=True)
    assert "Only a paused campaign can be resumed." in body_of(response)
    runner_enqueue.assert_not_called()


# --- stop ---------------------------------------------------------------------------------


def test_stop_asks_for_confirmation_first(supervisor_client):
    campaign = CampaignFactory(state=Campaign.State.RUNNING, name="Dues reminder")
    body = body_of(supervisor_client.get(url("campaign_stop", campaign)))
    assert "Stop Dues reminder?" in body
    assert "cannot be resumed" in body
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.RUNNING


def test_confirming_stop_stops_for_good(supervisor_client, supervisor_user):
    campaign = CampaignFactory(state=Campaign.State.PAUSED)
    response = supervisor_client.post(url("campaign_stop", campaign), follow=True)
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.STOPPED
    assert campaign.finished_at is not None
    body = body_of(response)
    assert "Stopped: no new calls start." in body
    assert f"Stopped by {supervisor_user}." in body  # the state reason under the badge


def test_a_cpaas_refusal_to_stop_shows_the_vendors_words(admin_client):
    campaign = cpaas_campaign(state=Campaign.State.RUNNING, vendor_campaign_id="cmp-9")
    words = "Campaign cmp-9 cannot be stopped while it is being scheduled"
    with mock.patch("campaigns.engine.stop_at_vendor", return_value=words) as stop_at_vendor:
        response = admin_client.post(url("campaign_stop", campaign), follow=True)
    stop_at_vendor.assert_called_once()
    assert words in body_of(response)
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.RUNNING


def test_a_cpaas_campaign_the_vendor_stops_is_stopped(admin_client):
    campaign = cpaas_campaign(state=Campaign.State.RUNNING, vendor_campaign_id="cmp-9")
    with mock.patch("campaigns.engine.stop_at_vendor", return_value="") as stop_at_vendor:
        admin_client.post(url("campaign_stop", campaign))
    assert stop_at_vendor.call_args.args[0].vendor_campaign_id == "cmp-9"
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.STOPPED


def test_a_finished_campaign_offers_no_stop(supervisor_client):
    campaign = CampaignFactory(state=Campaign.State.COMPLETED)
    confirm = body_of(supervisor_client.get(url("campaign_stop", campaign)))
    response = supervisor_client.post(url("campaign_stop", campaign), follow=True)
    assert "it cannot be stopped" in confirm
    assert "Stop the campaign</button>" not in confirm
    assert "A completed campaign cannot be stopped." in body_of(response)


# --- viewers watch ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, state",
    [
        ("campaign_start", "draft"),
        ("campaign_pause", "running"),
        ("campaign_resume", "paused"),
        ("campaign_stop", "running"),
    ],
)
def test_a_viewer_cannot_act(viewer_client, name, state, launch_enqueue, runner_enqueue):
    campaign = CampaignFactory(state=state)
    assert viewer_client.post(url(name, campaign)).status_code == 403
    campaign.refresh_from_db()
    assert campaign.state == state
    launch_enqueue.assert_not_called()
    runner_enqueue.assert_not_called()


def test_stopping_closes_the_numbers_still_waiting_so_the_funnel_shows_none_pending(
    supervisor_user,
):
    from campaigns.models import CampaignTarget

    campaign = CampaignFactory(state="running")
    waiting = CampaignTarget.objects.create(campaign=campaign, number="+6281200000001")
    retrying = CampaignTarget.objects.create(
        campaign=campaign, number="+6281200000002", status="retry", last_status="busy"
    )
    ringing = CampaignTarget.objects.create(
        campaign=campaign, number="+6281200000003", status="in_progress"
    )

    ok, _ = campaign.stop(user=supervisor_user)

    assert ok
    waiting.refresh_from_db(), retrying.refresh_from_db(), ringing.refresh_from_db()
    assert (waiting.status, waiting.last_status) == ("failed", "not_dialed")
    assert (retrying.status, retrying.last_status) == ("failed", "busy")  # its last outcome
    assert ringing.status == "in_progress"  # a call in progress finishes and is recorded
    funnel = campaign.funnel()
    assert funnel["pending"] == funnel["retry"] == 0


def test_pausing_gives_back_the_runner_lease_so_resume_dials_at_once(db):
    from django.utils import timezone

    campaign = CampaignFactory(state="running")
    Campaign.objects.filter(pk=campaign.pk).update(
        runner_token="a-runner", runner_seen_at=timezone.now()
    )
    campaign.refresh_from_db()

    ok, _ = campaign.pause()

    assert ok
    campaign.refresh_from_db()
    assert (campaign.runner_token, campaign.runner_seen_at) == ("", None)
