# ruff: noqa: F811 (pytest fixtures are imported by name, then requested as arguments)
"""The engine's runner against the vendor sandboxes (over real HTTP on the live server):
claims, reference ids, outcomes, retries, the daily cap, DND at dial time, time zones,
and the words it shows when it dials nothing. The runner's loop is called directly."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from campaigns.engine import (
    Runner,
    attempt_reference,
    build_targets,
    engine_watchdog,
    local_day_bounds,
)
from campaigns.models import Campaign, CampaignTarget, DndEntry
from telephony.models import SandboxConfig
from tests.campaigns.engine_support import (
    fast_engine,  # noqa: F401
    global_dnd,
    make_account,
    make_campaign,
    oca_number,
    sandbox_calls,
    sandbox_url,  # noqa: F401
    settle,
)

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def oca(sandbox_url, fast_engine):
    return make_account("oca", sandbox_url)


def targets_by_number(campaign):
    return {target.number: target for target in campaign.targets.all()}


def test_a_runner_dials_every_due_target_once_and_records_each_outcome(oca):
    answered, busy, failed = oca_number("answered"), oca_number("busy"), oca_number("failed")
    campaign = make_campaign(oca, [answered, busy, failed], retry_statuses=["no_answer"])
    runner = Runner(campaign)

    assert runner.step() == 3
    assert runner.step() == 0  # nothing left to claim: all three are in progress
    settle(runner, campaign)
    runner.step()

    targets = targets_by_number(campaign)
    assert targets[answered].status == CampaignTarget.Status.ANSWERED
    assert (targets[busy].status, targets[busy].last_status) == ("failed", "busy")
    assert (targets[failed].status, targets[failed].last_status) == ("failed", "failed")
    for number in (answered, busy, failed):
        assert sandbox_calls(number, vendor="oca").count() == 1
        attempt = targets[number].dials.get()
        assert attempt.attempt == 1 and attempt.vendor_call_id
        assert attempt.dialed_at and attempt.ended_at
    answered_attempt = targets[answered].dials.get()
    assert answered_attempt.answered_at and answered_attempt.duration
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.COMPLETED
    assert campaign.last_dial_at is not None and campaign.idle_reason == ""


def test_reference_ids_are_derived_from_campaign_run_target_and_attempt(oca):
    campaign = make_campaign(oca, [oca_number("answered")])
    Campaign.objects.filter(pk=campaign.pk).update(run=3)
    Runner(campaign).step()

    attempt = campaign.attempts.get()
    assert attempt.reference_id == f"dd-{campaign.pk}-3-{attempt.target_id}-1"
    assert attempt.reference_id == attempt_reference(campaign.pk, 3, attempt.target_id, 1)


def test_a_busy_call_is_retried_after_the_interval_and_not_before(oca):
    busy = oca_number("busy")
    campaign = make_campaign(
        oca, [busy], retry_statuses=["busy"], max_retries=1, retry_interval=600
    )
    runner = Runner(campaign)
    runner.step()
    settle(runner, campaign)

    target = campaign.targets.get()
    assert target.status == CampaignTarget.Status.RETRY
    assert target.next_attempt_at > timezone.now() + timedelta(seconds=590)
    assert runner.step() == 0
    campaign.refresh_from_db()
    assert campaign.idle_reason.startswith("Retries scheduled, next at ")

    with time_machine.travel(timezone.now() + timedelta(seconds=601), tick=True):
        assert runner.step() == 1
        settle(runner, campaign)
        runner.step()

    target.refresh_from_db()
    assert (target.status, target.last_status, target.attempts) == ("failed", "busy", 2)
    assert [a.reference_id for a in target.dials.order_by("attempt")] == [
        attempt_reference(campaign.pk, 1, target.pk, 1),
        attempt_reference(campaign.pk, 1, target.pk, 2),
    ]
    assert sandbox_calls(busy, vendor="oca").count() == 2


def test_a_status_not_chosen_for_retries_fails_at_once(oca):
    campaign = make_campaign(oca, [oca_number("unavailable")], retry_statuses=["busy"])
    runner = Runner(campaign)
    runner.step()
    settle(runner, campaign)

    target = campaign.targets.get()
    assert (target.status, target.last_status) == ("failed", "unavailable")


def test_the_daily_cap_counts_attempts_to_a_number_across_campaigns(oca, settings):
    settings.CAMPAIGN_DAILY_CAP = 1
    shared, other = oca_number("answered"), oca_number("answered", skip=1)
    first = make_campaign(oca, [shared])
    Runner(first).step()
    second = make_campaign(oca, [shared, other], time_zone="Asia/Jakarta")

    assert Runner(second).step() == 1

    targets = targets_by_number(second)
    assert targets[other].status == CampaignTarget.Status.IN_PROGRESS
    capped = targets[shared]
    assert capped.status == CampaignTarget.Status.PENDING and capped.attempts == 0
    # The contact has no zone: the campaign's (Jakarta) local day decides.
    assert capped.next_attempt_at == local_day_bounds(timezone.now(), "Asia/Jakarta")[1]
    assert "daily cap of 1" in capped.last_error
    assert sandbox_calls(shared, vendor="oca").count() == 1


def test_when_every_remaining_contact_is_capped_the_campaign_says_so(oca, settings):
    settings.CAMPAIGN_DAILY_CAP = 1
    number = oca_number("answered")
    first = make_campaign(oca, [number])
    Runner(first).step()
    second = make_campaign(oca, [number])
    runner = Runner(second)
    runner.step()
    runner.step()

    second.refresh_from_db()
    assert second.idle_reason.startswith(
        "Every remaining contact is DND-blocked or capped for today; next try at "
    )
    assert second.idle_since is not None


def test_a_number_added_to_a_dnd_list_mid_run_is_never_dialed(oca):
    keep, block = oca_number("answered"), oca_number("answered", skip=1)
    campaign = make_campaign(oca, [keep, block])
    runner = Runner(campaign)
    build_targets(campaign)
    DndEntry.objects.create(dnd_list=global_dnd(), number=block)

    assert runner.step() == 1

    targets = targets_by_number(campaign)
    assert targets[block].status == CampaignTarget.Status.DND
    assert "DND" in targets[block].last_error
    assert not targets[block].dials.exists()
    assert sandbox_calls(block, vendor="oca").count() == 0
    assert sandbox_calls(keep, vendor="oca").count() == 1


def test_a_retry_due_after_its_number_joined_a_dnd_list_is_not_dialed(oca):
    busy = oca_number("busy")
    campaign = make_campaign(oca, [busy], retry_statuses=["busy"], retry_interval=60)
    runner = Runner(campaign)
    runner.step()
    settle(runner, campaign)
    DndEntry.objects.create(dnd_list=global_dnd(), number=busy)

    with time_machine.travel(timezone.now() + timedelta(seconds=61), tick=True):
        assert runner.step() == 0

    target = campaign.targets.get()
    assert target.status == CampaignTarget.Status.DND and target.attempts == 1
    assert sandbox_calls(busy, vendor="oca").count() == 1


def test_while_calls_ring_with_nothing_else_to_dial_it_says_how_many_are_in_progress(oca):
    SandboxConfig.objects.filter(vendor="oca").update(time_scale=1.0)  # calls take a while
    campaign = make_campaign(oca, [oca_number("answered"), oca_number("answered", skip=1)])
    runner = Runner(campaign)
    assert runner.step() == 2

    assert runner.step() == 0

    campaign.refresh_from_db()
    assert campaign.idle_reason == "2 calls in progress, waiting for their outcomes."
    assert campaign.state == Campaign.State.RUNNING


def test_a_second_runner_for_the_same_campaign_exits_at_once(oca):
    campaign = make_campaign(oca, [oca_number("answered"), oca_number("busy")])
    first, second = Runner(campaign), Runner(campaign)
    assert first.acquire()

    assert second.step() == 0
    assert second.stopped
    assert second.run(budget=5) == "another runner holds this campaign"
    assert not second.should_continue  # it queues no runner after itself
    assert first.step() == 2
    assert campaign.attempts.count() == 2


def test_two_claims_of_the_same_targets_never_dial_one_twice(oca):
    numbers = [oca_number("answered", skip=n) for n in range(4)]
    campaign = make_campaign(oca, numbers)
    first, second = Runner(campaign), Runner(campaign)
    build_targets(campaign)
    ids = list(campaign.targets.values_list("id", flat=True))
    now = timezone.now()

    taken = first.take(ids, now)
    again = second.take(ids, now)

    assert len(taken) == 4 and again == []
    assert campaign.attempts.count() == 4
    assert set(campaign.targets.values_list("status", flat=True)) == {"in_progress"}


def test_contacts_are_called_only_inside_their_own_calling_hours(oca):
    jakarta, new_york = oca_number("answered"), oca_number("answered", skip=1)
    # 02:30 UTC is 09:30 in Jakarta and 21:30 (the evening before) in New York.
    with time_machine.travel(datetime(2026, 11, 23, 2, 30, tzinfo=UTC), tick=True):
        campaign = make_campaign(
            oca,
            [jakarta, new_york],
            zones={jakarta: "Asia/Jakarta", new_york: "America/New_York"},
            contact_start=datetime.min.time().replace(hour=9),
            contact_end=datetime.min.time().replace(hour=21),
        )
        runner = Runner(campaign)
        assert runner.step() == 1
        settle(runner, campaign)
        runner.step()

    targets = targets_by_number(campaign)
    assert targets[jakarta].status == CampaignTarget.Status.ANSWERED
    assert targets[new_york].status == CampaignTarget.Status.PENDING
    assert sandbox_calls(new_york, vendor="oca").count() == 0
    campaign.refresh_from_db()
    # 09:00 in New York (EST, UTC-5) is 14:00 UTC; the campaign's zone is UTC.
    assert campaign.idle_reason == (
        "Every remaining contact is outside its calling hours until 2026-11-23 14:00 UTC."
    )


def test_calling_hours_follow_a_daylight_saving_change_in_the_contacts_zone(oca):
    number = oca_number("answered")
    nine = datetime.min.time().replace(hour=9)
    # US clocks spring forward on Sunday 2026-03-08: 09:00 there is 14:00 UTC the day
    # before and 13:00 UTC that day. At 13:30 UTC it is 08:30 on the 7th, 09:30 on the 8th.
    with time_machine.travel(datetime(2026, 3, 7, 13, 30, tzinfo=UTC), tick=True):
        campaign = make_campaign(
            oca, [number], zones={number: "America/New_York"}, contact_start=nine
        )
        runner = Runner(campaign)
        assert runner.step() == 0
        campaign.refresh_from_db()
        assert campaign.idle_reason.endswith("until 2026-03-07 14:00 UTC.")

    with time_machine.travel(datetime(2026, 3, 8, 13, 30, tzinfo=UTC), tick=True):
        assert runner.step() == 1


def test_outside_the_campaign_window_it_says_until_when_in_the_campaigns_zone(oca):
    with time_machine.travel(datetime(2026, 11, 23, 1, 30, tzinfo=UTC), tick=True):  # 07:00 IST
        campaign = make_campaign(
            oca,
            [oca_number("answered")],
            time_zone="Asia/Kolkata",
            window_start=datetime.min.time().replace(hour=9),
            window_end=datetime.min.time().replace(hour=18),
        )
        runner = Runner(campaign)
        assert runner.step() == 0

    campaign.refresh_from_db()
    assert campaign.idle_reason == "Outside the calling window until 09:00 Asia/Kolkata."
    assert not campaign.attempts.exists()
    with time_machine.travel(datetime(2026, 11, 23, 3, 31, tzinfo=UTC), tick=True):  # 09:01
        assert runner.step() == 1
    campaign.refresh_from_db()
    assert campaign.idle_reason == "" and campaign.idle_since is None


def test_a_paused_campaign_dials_nothing_but_its_placed_calls_are_still_recorded(oca):
    answered, busy = oca_number("answered"), oca_number("busy")
    campaign = make_campaign(oca, [answered, busy], retry_statuses=["busy"])
    Runner(campaign).step()
    campaign.refresh_from_db()
    campaign.pause()

    runner = Runner(campaign)
    assert runner.step() == 0 and runner.stopped
    deadline = timezone.now() + timedelta(seconds=10)
    while campaign.attempts.filter(status="placed").exists() and timezone.now() < deadline:
        engine_watchdog()

    assert not campaign.attempts.filter(status="placed").exists()
    targets = targets_by_number(campaign)
    assert targets[answered].status == CampaignTarget.Status.ANSWERED
    assert targets[busy].status == CampaignTarget.Status.RETRY  # dialed again on resume
    assert campaign.attempts.count() == 2
