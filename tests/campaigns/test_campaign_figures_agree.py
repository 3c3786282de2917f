"""The campaign page agrees with itself (issue 10, section 5): for every state the engine
can reach, the funnel's parts add up to its total, the heading counts what the tiles
count, the words match the numbers, every time is in the viewer's zone, every reason to
wait is named, attempts are in time order, and the index shows the same figures."""

import re
from datetime import UTC, datetime, time, timedelta

import pytest
import time_machine
from django.urls import reverse

from campaigns.models import Campaign, CampaignAttempt, CampaignTarget
from campaigns.models.progress import FUNNEL_PARTS
from telephony.models import WorkerHeartbeat
from tests.factories import CampaignFactory

# A Tuesday, 10:00 UTC (15:30 in Asia/Kolkata).
NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
OPEN_WINDOW = {"window_start": time(0), "window_end": time(23, 59)}
STARTED = {"started_at": NOW - timedelta(hours=1), "targets_built_at": NOW - timedelta(hours=1)}

# Every state the engine can reach, with targets as the engine would leave them there.
MIXED = {
    "pending": 4,
    "in_progress": 3,
    "retry": 2,
    "answered": 5,
    "failed": 3,
    "dnd": 2,
    "invalid": 2,
}
STATES = {
    "draft": ({"state": "draft"}, {}),
    "scheduled": ({"state": "scheduled", "starts_at": NOW + timedelta(hours=2)}, {}),
    "running, every kind of target": ({"state": "running", **STARTED}, MIXED),
    "running, only calls in progress left": (
        {"state": "running", **STARTED},
        {"in_progress": 31, "answered": 10, "failed": 6},
    ),
    "paused": (
        {"state": "paused", "state_reason": "Paused by asha.", "paused_at": NOW, **STARTED},
        MIXED,
    ),
    "paused by the vendor": (
        {
            "state": "paused",
            "paused_by": "vendor",
            "vendor_error": "Your Quota Is not Enough",
            "paused_at": NOW,
            **STARTED,
        },
        MIXED,
    ),
    "stopped": (
        {"state": "stopped", "state_reason": "Stopped by asha.", **STARTED},
        {"answered": 4, "failed": 7, "dnd": 1, "invalid": 39},
    ),
    "completed": (
        {"state": "completed", **STARTED},
        {"answered": 41, "failed": 1, "dnd": 3, "invalid": 2},
    ),
    "failed": (
        {"state": "failed", "state_reason": "The vendor rejected the credentials.", **STARTED},
        {"pending": 12},
    ),
}


def make_targets(campaign, counts: dict):
    index = 0
    for status, count in counts.items():
        for _ in range(count):
            CampaignTarget.objects.create(
                campaign=campaign,
                number=f"+62812{index:07d}",
                status=status,
                last_status="busy" if status == "failed" else "",
                next_attempt_at=NOW - timedelta(minutes=1),
            )
            index += 1


def campaign_in(state: str) -> Campaign:
    fields, counts = STATES[state]
    campaign = CampaignFactory(
        **{**OPEN_WINDOW, "last_dial_at": NOW - timedelta(hours=1), **fields}
    )
    make_targets(campaign, counts)
    return campaign


def counts_shown(body: str) -> dict:
    return {
        key: int(value.replace(",", ""))
        for key, value in re.findall(r'data-count="(\w+)">([\d,]+)<', body)
    }


def page(client, campaign) -> str:
    return client.get(reverse("campaigns:campaign_detail", args=[campaign.pk])).content.decode()


@pytest.fixture
def worker(db):
    return WorkerHeartbeat.beat("test-cluster")


@pytest.mark.parametrize("state", STATES)
def test_the_funnels_parts_add_up_to_its_total_and_the_heading_counts_the_same(
    state, viewer_client, worker
):
    campaign = campaign_in(state)
    with time_machine.travel(NOW, tick=False):
        WorkerHeartbeat.beat("test-cluster")
        body = page(viewer_client, campaign)
    funnel = campaign.funnel()
    assert funnel["total"] == sum(STATES[state][1].values())
    assert sum(funnel[key] for key in FUNNEL_PARTS) == funnel["total"]
    assert funnel["finished"] == funnel["done"] + funnel["set_aside"]
    if not funnel["total"]:
        assert 'id="funnel"' not in body
        return
    shown = counts_shown(body)
    assert shown["total"] == funnel["total"]
    assert sum(shown[key] for key in FUNNEL_PARTS) == shown["total"]
    assert shown["finished"] == funnel["finished"]
    assert f"{funnel['finished']} of {funnel['total']} contacts finished" in body


@pytest.mark.parametrize("state", STATES)
def test_the_words_match_the_numbers(state, viewer_client, worker):
    campaign = campaign_in(state)
    with time_machine.travel(NOW, tick=False):
        WorkerHeartbeat.beat("test-cluster")
        body = page(viewer_client, campaign)
    funnel = campaign.funnel()
    if funnel["in_progress"]:
        assert "Nothing is dialing" not in body
    if not funnel["to_dial"]:
        assert "Pace against the target" not in body  # no red pace with nothing to dial
    # A number the vendor cannot call is called so, not "Invalid".
    assert ">Invalid<" not in body and "Invalid " not in body
    if funnel["invalid"]:
        assert "Not callable on this vendor" in body


def test_nothing_is_dialing_is_not_said_above_calls_in_progress(viewer_client, worker):
    campaign = campaign_in("running, only calls in progress left")
    with time_machine.travel(NOW, tick=False):
        WorkerHeartbeat.beat("test-cluster")
        body = page(viewer_client, campaign)
    assert 'id="why-idle"' in body
    assert "No new calls are starting" in body
    assert "Waiting for the outcome of 31 calls in progress." in body
    assert "Nothing is dialing" not in body


def test_the_pace_is_judged_against_the_target_only_while_it_should_be_dialing(
    viewer_client, worker
):
    dialing = campaign_in("running, every kind of target")
    Campaign.objects.filter(pk=dialing.pk).update(last_dial_at=NOW)
    waiting = campaign_in("running, every kind of target")  # nothing dialed for an hour
    with time_machine.travel(NOW, tick=False):
        WorkerHeartbeat.beat("test-cluster")
        assert "Pace against the target" in page(viewer_client, dialing)
        body = page(viewer_client, waiting)
    assert 'id="why-idle"' in body  # says why, so the pace is not held against it
    assert "Pace against the target" not in body


def test_a_retry_wait_is_said_in_the_viewers_zone_and_names_the_daily_cap(
    viewer_client, viewer_user, worker
):
    viewer_user.profile.time_zone = "Asia/Kolkata"
    viewer_user.profile.save()
    campaign = CampaignFactory(state="running", time_zone="UTC", **OPEN_WINDOW, **STARTED)
    CampaignTarget.objects.create(
        campaign=campaign,
        number="+6281200000001",
        status="retry",
        next_attempt_at=NOW + timedelta(minutes=20),
    )
    CampaignTarget.objects.create(
        campaign=campaign,
        number="+6281200000002",
        status="retry",
        next_attempt_at=datetime(2026, 11, 25, 0, 0, tzinfo=UTC),
        last_error="Reached the daily cap of 3 attempts for this number; tried again on "
        "the contact's next day.",
    )
    with time_machine.travel(NOW, tick=False):
        WorkerHeartbeat.beat("test-cluster")
        why = viewer_client.get(reverse("campaigns:campaign_detail", args=[campaign.pk])).context[
            "why_idle"
        ]
    assert "1 for a retry after an unanswered call, next at 2026-11-24 15:50 Asia/Kolkata" in why
    assert "1 for the daily cap of attempts per number" in why
    assert "next at 2026-11-25 05:30 Asia/Kolkata" in why
    assert why.endswith("the next is due at 2026-11-24 15:50 Asia/Kolkata.")
    assert "UTC" not in why


def test_the_engines_words_are_said_again_in_the_viewers_zone(viewer_client, viewer_user, worker):
    viewer_user.profile.time_zone = "Asia/Kolkata"
    viewer_user.profile.save()
    campaign = CampaignFactory(
        state="running",
        time_zone="UTC",
        idle_reason="The vendor is rate limiting us; next try at 2026-11-24 11:00 UTC.",
        **OPEN_WINDOW,
        **STARTED,
    )
    with time_machine.travel(NOW, tick=False):
        WorkerHeartbeat.beat("test-cluster")
        body = page(viewer_client, campaign)
    assert "next try at 2026-11-24 16:30 Asia/Kolkata." in body
    assert "Times on this page are in your time zone (Asia/Kolkata)" in body


def test_recent_attempts_are_newest_first_by_the_time_they_show(viewer_client):
    campaign = CampaignFactory(state="running", **STARTED)
    make_targets(campaign, {"in_progress": 3})
    targets = list(campaign.targets.order_by("pk"))
    # Created in this order, dialed in another: a resent attempt is dialed last.
    dialed = [NOW - timedelta(minutes=1), NOW - timedelta(minutes=30), NOW - timedelta(minutes=5)]
    for target, at in zip(targets, dialed, strict=True):
        CampaignAttempt.objects.create(
            campaign=campaign,
            target=target,
            number=target.number,
            attempt=1,
            reference_id=f"dd-{target.pk}",
            status="placed",
            dialed_at=at,
        )
    response = viewer_client.get(reverse("campaigns:campaign_detail", args=[campaign.pk]))
    shown = [attempt.dialed_at for attempt in response.context["attempts"]]
    assert shown == sorted(dialed, reverse=True)
    listed = viewer_client.get(reverse("campaigns:campaign_attempts", args=[campaign.pk]))
    assert [attempt.dialed_at for attempt in listed.context["page"].rows] == shown


def test_the_index_shows_the_same_progress_and_answer_rate_as_the_page(viewer_client, worker):
    campaign = campaign_in("completed")  # 41 answered, 1 failed, 5 set aside, of 47
    funnel = campaign.funnel()
    body = viewer_client.get(reverse("campaigns:campaign_index")).content.decode()
    assert f"{funnel['finished']} of {funnel['total']}" in body
    assert funnel["answer_rate"] == 98  # 41 of the 42 dialed
    assert "98%" in body and "41 of 42" in body


def test_the_index_figures_cost_the_same_queries_however_many_campaigns(
    viewer_client, django_assert_max_num_queries
):
    for _ in range(12):
        campaign_in("running, every kind of target")
    with django_assert_max_num_queries(12):
        viewer_client.get(reverse("campaigns:campaign_index"))
