"""The campaign page: what each persona sees, the funnel, the pace, why nothing is
dialing, and the htmx poll that refreshes the live part until the campaign finishes."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Campaign, CampaignAttempt, CampaignTarget, ContactList, DndList
from telephony.models import WorkerHeartbeat
from tests.factories import CampaignFactory, ProviderAccountFactory

# A Tuesday, 10:00 UTC (15:30 in Asia/Kolkata).
NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
KOLKATA = ZoneInfo("Asia/Kolkata")


def make_target(campaign, index, status="pending", last_status="", **extra):
    return CampaignTarget.objects.create(
        campaign=campaign,
        number=f"+6281200000{index:03d}",
        status=status,
        last_status=last_status,
        **extra,
    )


def make_attempt(target, attempt=1, status="answered", dialed_at=None, **extra):
    return CampaignAttempt.objects.create(
        campaign=target.campaign,
        target=target,
        number=target.number,
        attempt=attempt,
        reference_id=f"dd-{target.campaign_id}-1-{target.pk}-{attempt}",
        status=status,
        dialed_at=dialed_at,
        **extra,
    )


def running(**extra):
    defaults = {
        "state": Campaign.State.RUNNING,
        "started_at": NOW - timedelta(hours=1),
        "targets_built_at": NOW - timedelta(hours=1),
        "window_start": time(0),
        "window_end": time(23, 59),
    }
    return CampaignFactory(**{**defaults, **extra})


@pytest.fixture
def worker(db):
    return WorkerHeartbeat.beat("test-cluster")


# --- personas --------------------------------------------------------------------------


def test_a_viewer_watches_the_page_without_any_button(viewer_client):
    campaign = CampaignFactory(name="Dues reminder")
    response = viewer_client.get(reverse("campaigns:campaign_detail", args=[campaign.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Dues reminder" in body
    assert 'id="campaign-actions"' not in body
    assert reverse("campaigns:campaign_start", args=[campaign.pk]) not in body


def test_a_supervisor_sees_edit_start_and_clone_on_a_draft(supervisor_client):
    campaign = CampaignFactory()
    body = supervisor_client.get(
        reverse("campaigns:campaign_detail", args=[campaign.pk])
    ).content.decode()
    assert reverse("campaigns:campaign_edit", args=[campaign.pk]) in body
    assert reverse("campaigns:campaign_start", args=[campaign.pk]) in body
    assert reverse("campaigns:campaign_clone", args=[campaign.pk]) in body
    assert reverse("campaigns:campaign_pause", args=[campaign.pk]) not in body
    assert reverse("campaigns:campaign_stop", args=[campaign.pk]) not in body


def test_a_running_engine_campaign_offers_pause_and_stop_but_not_start(admin_client, worker):
    campaign = running()
    body = admin_client.get(reverse("campaigns:campaign_detail", args=[campaign.pk])).content
    body = body.decode()
    assert reverse("campaigns:campaign_pause", args=[campaign.pk]) in body
    assert reverse("campaigns:campaign_stop", args=[campaign.pk]) in body
    assert reverse("campaigns:campaign_start", args=[campaign.pk]) not in body
    assert reverse("campaigns:campaign_edit", args=[campaign.pk]) not in body


def test_a_running_cpaas_campaign_says_the_vendor_cannot_pause(admin_client, worker):
    account = ProviderAccountFactory(kind="cpaas", name="Mumbai CPaaS")
    campaign = running(
        account=account, vendor_campaign_id="cmp-77", vendor_status="Running", kind="tts"
    )
    body = admin_client.get(reverse("campaigns:campaign_detail", args=[campaign.pk])).content
    body = body.decode()
    assert reverse("campaigns:campaign_pause", args=[campaign.pk]) not in body
    assert "CPaaS cannot pause a campaign" in body
    assert "cmp-77" in body and "Running" in body  # the vendor's id and status


def test_a_paused_campaign_offers_resume(supervisor_client):
    campaign = running(state=Campaign.State.PAUSED, paused_at=NOW)
    body = supervisor_client.get(
        reverse("campaigns:campaign_detail", args=[campaign.pk])
    ).content.decode()
    assert reverse("campaigns:campaign_resume", args=[campaign.pk]) in body
    assert reverse("campaigns:campaign_pause", args=[campaign.pk]) not in body


def test_the_header_links_the_lists_and_dnd_lists_and_shows_the_schedule(viewer_client):
    contact_list = ContactList.objects.create(name="November dues")
    dnd_list = DndList.objects.create(name="Complainers")
    campaign = CampaignFactory(
        time_zone="Asia/Kolkata",
        window_start=time(9),
        window_end=time(18),
        weekdays=[0, 1, 2, 3, 4],
        calls_per_minute=45,
        starts_at=datetime(2026, 11, 24, 3, 30, tzinfo=UTC),
    )
    campaign.contact_lists.add(contact_list)
    campaign.dnd_lists.add(dnd_list)
    body = viewer_client.get(
        reverse("campaigns:campaign_detail", args=[campaign.pk])
    ).content.decode()
    assert reverse("campaigns:list_detail", args=[contact_list.pk]) in body
    assert reverse("campaigns:dnd_detail", args=[dnd_list.pk]) in body
    assert "09:00–18:00 Asia/Kolkata, Monday to Friday" in body
    assert "from 2026-11-24 09:00 Asia/Kolkata" in body
    assert "45 calls per minute" in body


def test_a_cpaas_schedule_says_it_has_only_a_start_and_an_end(viewer_client):
    campaign = CampaignFactory(
        account=ProviderAccountFactory(kind="cpaas"),
        kind="tts",
        time_zone="Asia/Kolkata",
        starts_at=datetime(2026, 11, 24, 3, 30, tzinfo=UTC),
        retry_interval=3600,
    )
    body = viewer_client.get(
        reverse("campaigns:campaign_detail", args=[campaign.pk])
    ).content.decode()
    assert "from 2026-11-24 09:00 Asia/Kolkata. CPaaS dials between a start and an end" in body
    assert "1 hour apart" in body


def test_times_show_in_the_viewers_time_zone(viewer_client, viewer_user):
    viewer_user.profile.time_zone = "Asia/Kolkata"
    viewer_user.profile.save()
    campaign = running(started_at=datetime(2026, 11, 24, 4, 0, tzinfo=UTC))
    body = viewer_client.get(
        reverse("campaigns:campaign_detail", args=[campaign.pk])
    ).content.decode()
    assert "2026-11-24 09:30:00" in body  # 04:00 UTC in Kolkata


def test_a_failed_campaign_shows_its_reason(viewer_client):
    campaign = CampaignFactory(
        state=Campaign.State.FAILED, state_reason="The vendor rejected the credentials."
    )
    body = viewer_client.get(
        reverse("campaigns:campaign_detail", args=[campaign.pk])
    ).content.decode()
    assert "The vendor rejected the credentials." in body


# --- the funnel ----------------------------------------------------------------------------


def test_the_funnel_counts_targets_by_state_and_failures_by_reason(viewer_client):
    campaign = running()
    statuses = (
        ["pending"] * 4
        + ["in_progress"] * 2
        + ["answered"] * 5
        + ["retry"] * 1
        + ["dnd"] * 3
        + ["invalid"] * 1
    )
    for index, status in enumerate(statuses):
        make_target(campaign, index, status)
    make_target(campaign, 100, "failed", "busy")
    make_target(campaign, 101, "failed", "busy")
    make_target(campaign, 102, "failed", "no_answer")

    funnel = campaign.funnel()
    assert funnel["total"] == 19
    assert (funnel["pending"], funnel["in_progress"], funnel["answered"]) == (4, 2, 5)
    assert (funnel["retry"], funnel["dnd"], funnel["invalid"], funnel["failed"]) == (1, 3, 1, 3)
    assert funnel["done"] == 8
    assert funnel["failed_by"] == {"busy": 2, "no_answer": 1}

    response = viewer_client.get(reverse("campaigns:campaign_detail", args=[campaign.pk]))
    body = response.content.decode()
    shown = {key: value for key, _, value in response.context["funnel_row"]}
    assert shown == {
        "total": 19,
        "dnd": 3,
        "invalid": 1,
        "pending": 4,
        "in_progress": 2,
        "answered": 5,
        "failed": 3,
        "retry": 1,
        "finished": 12,  # answered, failed or set aside: the heading's "12 of 19"
    }
    assert 'data-count="answered">5<' in body
    assert "Busy 2" in body and "No answer 1" in body
    # The bar: answered is 5 of 19 contacts wide.
    widths = {segment["key"]: segment["percent"] for segment in response.context["segments"]}
    assert widths["answered"] == pytest.approx(100 * 5 / 19, abs=0.01)
    assert "pending" not in widths


def test_a_campaign_without_targets_says_so_instead_of_a_funnel(viewer_client):
    campaign = CampaignFactory()
    body = viewer_client.get(
        reverse("campaigns:campaign_detail", args=[campaign.pk])
    ).content.decode()
    assert 'id="funnel"' not in body
    assert "contacts to call are chosen when the campaign starts" in body


# --- the pace --------------------------------------------------------------------------------


def test_pace_counts_calls_dialed_in_the_last_minute_and_the_last_five(db):
    campaign = running(calls_per_minute=20)
    seconds_ago = [5, 30, 59, 61, 120, 299, 301, 900]
    for index, ago in enumerate(seconds_ago):
        make_attempt(make_target(campaign, index), dialed_at=NOW - timedelta(seconds=ago))
    make_attempt(make_target(campaign, 50), status="queued", dialed_at=None)

    pace = campaign.pace(NOW)

    assert pace.last_minute == 3
    assert pace.last_five_minutes == 6
    assert pace.five_minute_rate == 1.2
    assert pace.target == 20
    assert pace.percent == 15


def test_pace_ignores_other_campaigns(db):
    campaign = running()
    other = running()
    make_attempt(make_target(other, 1), dialed_at=NOW - timedelta(seconds=10))
    assert campaign.pace(NOW).last_minute == 0


def test_the_page_shows_the_pace_against_the_target(viewer_client, worker):
    campaign = running(calls_per_minute=30)
    with time_machine.travel(NOW, tick=False):
        for index in range(12):
            make_attempt(make_target(campaign, index), dialed_at=NOW - timedelta(seconds=index))
        response = viewer_client.get(reverse("campaigns:campaign_detail", args=[campaign.pk]))
    body = response.content.decode()
    assert 'id="pace-minute">12<' in body
    assert "target 30/min" in body
    assert "2.4/min over the last 5 minutes" in body


# --- why nothing is dialing -------------------------------------------------------------------


def test_a_running_campaign_that_dialed_just_now_is_not_idle(db):
    campaign = running(last_dial_at=NOW - timedelta(seconds=1))
    assert campaign.why_idle(NOW) == ""


def test_no_worker_comes_first(db):
    WorkerHeartbeat.objects.create(name="old", last_seen=NOW - timedelta(hours=1))
    campaign = running(idle_reason="The vendor is rate limiting us.")
    with time_machine.travel(NOW, tick=False):
        reason = campaign.why_idle(NOW)
    assert reason.startswith("No worker is running")
    assert "make run" in reason


def test_the_engines_reason_comes_next(worker):
    campaign = running(
        idle_reason="Every remaining contact is DND-blocked or capped for today.",
        last_dial_at=NOW - timedelta(minutes=5),
    )
    with time_machine.travel(NOW, tick=False):
        WorkerHeartbeat.beat("test-cluster")
        assert campaign.why_idle(NOW) == (
            "Every remaining contact is DND-blocked or capped for today."
        )


def test_a_closed_window_says_until_when_in_the_viewers_zone(worker):
    # 10:00 UTC is 15:30 in Kolkata: a 09:00-12:00 window reopens tomorrow, Wednesday.
    campaign = running(time_zone="Asia/Kolkata", window_start=time(9), window_end=time(12))
    with time_machine.travel(NOW, tick=False), timezone.override(KOLKATA):
        WorkerHeartbeat.beat("test-cluster")
        reason = campaign.why_idle(NOW)
    assert reason == ("Outside the calling window until Wednesday 2026-11-25 09:00 Asia/Kolkata.")


def test_a_window_that_opens_later_today_says_the_hour(worker):
    campaign = running(time_zone="Asia/Kolkata", window_start=time(17), window_end=time(21))
    with time_machine.travel(NOW, tick=False), timezone.override(KOLKATA):
        WorkerHeartbeat.beat("test-cluster")
        assert campaign.why_idle(NOW) == "Outside the calling window until 17:00 Asia/Kolkata."


def test_a_paused_campaign_says_who_paused_it_and_when(db):
    campaign = running(
        state=Campaign.State.PAUSED,
        state_reason="Paused by asha.",
        paused_at=NOW - timedelta(minutes=10),
        time_zone="Asia/Kolkata",
    )
    with timezone.override(KOLKATA):  # the viewer's zone
        reason = campaign.why_idle(NOW)
    assert reason == (
        "Paused by asha at 2026-11-24 15:20 Asia/Kolkata: no new calls start until "
        "someone resumes it."
    )


def test_a_scheduled_campaign_says_when_it_starts(worker):
    campaign = CampaignFactory(
        state=Campaign.State.SCHEDULED,
        starts_at=NOW + timedelta(hours=2),
        time_zone="Asia/Kolkata",
        window_start=time(9),
        window_end=time(21),
    )
    with time_machine.travel(NOW, tick=False), timezone.override(KOLKATA):
        WorkerHeartbeat.beat("test-cluster")
        assert campaign.why_idle(NOW) == "The campaign starts at 2026-11-24 17:30 Asia/Kolkata."


def test_a_scheduled_campaign_without_a_worker_warns_it_will_not_start(db):
    campaign = CampaignFactory(
        state=Campaign.State.SCHEDULED, starts_at=NOW + timedelta(hours=2), time_zone="UTC"
    )
    with time_machine.travel(NOW, tick=False):
        reason = campaign.why_idle(NOW)
    assert reason.startswith("No worker is running")
    assert "scheduled to start at 2026-11-24 12:00 UTC" in reason


def test_retries_not_yet_due_say_when_the_next_is(worker):
    campaign = running()
    make_target(campaign, 1, "retry", next_attempt_at=NOW + timedelta(minutes=20))
    make_target(campaign, 2, "answered")
    with time_machine.travel(NOW, tick=False):
        WorkerHeartbeat.beat("test-cluster")
        reason = campaign.why_idle(NOW)
    assert reason.endswith("the next is due at 2026-11-24 10:20 UTC.")


def test_only_calls_in_progress_left_says_it_waits_for_their_outcome(worker):
    campaign = running()
    make_target(campaign, 1, "in_progress")
    make_target(campaign, 2, "in_progress")
    with time_machine.travel(NOW, tick=False):
        WorkerHeartbeat.beat("test-cluster")
        assert campaign.why_idle(NOW) == "Waiting for the outcome of 2 calls in progress."


def test_a_cpaas_campaign_shows_the_syncs_note_even_while_the_vendor_dials(worker):
    account = ProviderAccountFactory(kind="cpaas")
    campaign = running(
        account=account,
        kind="tts",
        last_dial_at=NOW,
        idle_reason="The vendor is rate limiting us: Too many requests",
    )
    with time_machine.travel(NOW, tick=False):
        WorkerHeartbeat.beat("test-cluster")
        assert campaign.why_idle(NOW) == "The vendor is rate limiting us: Too many requests"


def test_a_completed_campaign_shows_why_it_ended(viewer_client):
    campaign = CampaignFactory(
        state=Campaign.State.COMPLETED,
        state_reason="The schedule ended with 12 contacts not called.",
    )
    body = viewer_client.get(
        reverse("campaigns:campaign_detail", args=[campaign.pk])
    ).content.decode()
    assert "The schedule ended with 12 contacts not called." in body


def test_a_launching_cpaas_campaign_says_what_the_worker_is_doing(worker):
    account = ProviderAccountFactory(kind="cpaas")
    campaign = running(account=account, kind="tts", state=Campaign.State.SCHEDULED)
    with time_machine.travel(NOW, tick=False):
        WorkerHeartbeat.beat("test-cluster")
        assert campaign.why_idle(NOW).startswith("Launching: a worker is pushing the lists")


def test_a_running_cpaas_campaign_leaves_the_dialing_to_the_vendor(worker):
    account = ProviderAccountFactory(kind="cpaas")
    campaign = running(account=account, kind="tts", time_zone="UTC", window_end=time(1))
    with time_machine.travel(NOW, tick=False):
        WorkerHeartbeat.beat("test-cluster")
        # CPaaS has no daily window of ours to report: its status is shown instead.
        assert campaign.why_idle(NOW) == ""


def test_draft_and_finished_campaigns_have_no_idle_reason(db):
    assert CampaignFactory().why_idle(NOW) == ""
    assert CampaignFactory(state=Campaign.State.COMPLETED).why_idle(NOW) == ""


def test_the_page_shows_why_nothing_is_dialing(viewer_client):
    campaign = running()
    body = viewer_client.get(
        reverse("campaigns:campaign_detail", args=[campaign.pk])
    ).content.decode()
    assert 'id="why-idle"' in body
    assert "No worker is running" in body


# --- polling ------------------------------------------------------------------------------------


def test_the_poll_gets_the_live_fragment_only(viewer_client, worker):
    campaign = running(name="Live one")
    make_attempt(make_target(campaign, 1), dialed_at=timezone.now(), vendor_call_id="v-991")
    response = viewer_client.get(
        reverse("campaigns:campaign_detail", args=[campaign.pk]), headers={"HX-Request": "true"}
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<div id="campaign-live"')
    assert "<html" not in body and "breadcrumb" not in body
    assert 'hx-trigger="every 3s"' in body
    assert "v-991" in body  # the recent attempts are part of the fragment
    assert "HX-Request" in response["Vary"]


@pytest.mark.parametrize("state", ["completed", "stopped", "failed"])
def test_a_finished_campaign_stops_polling(viewer_client, state):
    campaign = CampaignFactory(state=state)
    for headers in ({}, {"HX-Request": "true"}):
        body = viewer_client.get(
            reverse("campaigns:campaign_detail", args=[campaign.pk]), headers=headers
        ).content.decode()
        assert 'id="campaign-live"' in body
        assert "hx-trigger" not in body.split('id="campaign-live"')[1].split(">")[0]
        assert "every 3s" not in body


def test_recent_attempts_show_the_last_twenty_with_the_vendors_words(viewer_client):
    campaign = running()
    for index in range(25):
        make_attempt(
            make_target(campaign, index),
            status="failed",
            error=f"Vendor said no #{index}",
            dialed_at=NOW - timedelta(seconds=100 - index),
            duration=index,
        )
    response = viewer_client.get(reverse("campaigns:campaign_detail", args=[campaign.pk]))
    body = response.content.decode()
    assert len(response.context["attempts"]) == 20
    assert "Vendor said no #24" in body and "Vendor said no #5" in body
    assert "Vendor said no #4<" not in body
    assert reverse("campaigns:campaign_attempts", args=[campaign.pk]) in body


def test_the_poll_costs_the_same_few_queries_however_many_attempts(
    viewer_client, django_assert_max_num_queries
):
    campaign = running()
    for index in range(20):
        make_attempt(make_target(campaign, index, "answered"), dialed_at=NOW)
    with django_assert_max_num_queries(16):
        viewer_client.get(
            reverse("campaigns:campaign_detail", args=[campaign.pk]),
            headers={"HX-Request": "true"},
        )


def test_an_unknown_campaign_is_a_404(viewer_client):
    response = viewer_client.get(reverse("campaigns:campaign_detail", args=[999999]))
    assert response.status_code == 404
