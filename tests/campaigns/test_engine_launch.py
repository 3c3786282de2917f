# ruff: noqa: F811 (pytest fixtures are imported by name, then requested as arguments)
"""Launching and looking after engine campaigns: the launch job builds the targets and
starts the runner (or leaves a future campaign scheduled), and the watchdog promotes due
campaigns, restarts runners whose worker died, and reads outcomes of halted campaigns.
Tests run django-q2 in sync mode: an enqueued runner runs one loop at once."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from django_q.models import Schedule as QSchedule

from campaigns.engine import engine_watchdog, launch_campaign, run_campaign
from campaigns.models import Campaign, CampaignAttempt
from telephony.signals import ensure_schedules
from tests.campaigns.engine_support import (
    fast_engine,  # noqa: F401
    make_account,
    make_campaign,
    oca_number,
    sandbox_url,  # noqa: F401
)

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def oca(sandbox_url, fast_engine):
    return make_account("oca", sandbox_url)


def test_launching_builds_the_targets_starts_running_and_dials(oca):
    campaign = make_campaign(
        oca, [oca_number("answered"), oca_number("busy")], state=Campaign.State.SCHEDULED
    )

    launch_campaign(campaign.pk)

    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.RUNNING
    assert campaign.targets_built_at is not None
    assert campaign.targets.count() == 2
    assert campaign.attempts.count() == 2  # the runner's first loop dialed both
    assert campaign.runner_token == ""  # and let go of its lease


def test_launching_twice_builds_and_dials_once(oca):
    campaign = make_campaign(oca, [oca_number("answered")], state=Campaign.State.SCHEDULED)

    launch_campaign(campaign.pk)
    launch_campaign(campaign.pk)

    assert campaign.targets.count() == 1
    assert campaign.attempts.count() == 1


def test_a_campaign_starting_later_stays_scheduled_until_the_watchdog_finds_it_due(oca):
    starts = timezone.now() + timedelta(hours=2)
    campaign = make_campaign(
        oca, [oca_number("answered")], state=Campaign.State.SCHEDULED, starts_at=starts
    )

    launch_campaign(campaign.pk)
    engine_watchdog()
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.SCHEDULED
    assert campaign.targets.count() == 1 and not campaign.attempts.exists()

    with time_machine.travel(starts + timedelta(seconds=5), tick=True):
        engine_watchdog()

    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.RUNNING
    assert campaign.attempts.count() == 1


def test_the_watchdog_launches_again_a_campaign_whose_launch_job_was_lost(oca):
    campaign = make_campaign(oca, [oca_number("answered")], state=Campaign.State.SCHEDULED)
    engine_watchdog()  # just started: its launch job may still be in the queue
    assert not campaign.targets.exists()
    Campaign.objects.filter(pk=campaign.pk).update(updated_at=timezone.now() - timedelta(minutes=3))

    engine_watchdog()

    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.RUNNING
    assert campaign.targets.count() == 1 and campaign.attempts.count() == 1


def test_the_watchdog_restarts_a_running_campaign_whose_worker_died(oca):
    campaign = make_campaign(oca, [oca_number("answered")])
    stale = timezone.now() - timedelta(minutes=5)
    Campaign.objects.filter(pk=campaign.pk).update(runner_token="dead-worker", runner_seen_at=stale)

    engine_watchdog()

    assert campaign.attempts.count() == 1
    campaign.refresh_from_db()
    assert campaign.runner_token == ""


def test_the_watchdog_leaves_a_campaign_whose_runner_is_alive(oca):
    campaign = make_campaign(oca, [oca_number("answered")])
    Campaign.objects.filter(pk=campaign.pk).update(
        runner_token="live-worker", runner_seen_at=timezone.now()
    )

    engine_watchdog()

    assert not campaign.attempts.exists()


def test_a_runner_job_for_a_campaign_that_is_not_running_does_nothing(oca):
    campaign = make_campaign(oca, [oca_number("answered")], state=Campaign.State.PAUSED)

    assert run_campaign(campaign.pk) == "campaign is paused"
    assert run_campaign(10**9) == "campaign gone"
    assert not CampaignAttempt.objects.exists()


def test_a_runner_ends_its_budget_and_completes_the_campaign_when_all_is_done(oca, settings):
    settings.CAMPAIGN_OUTCOME_POLL_SECONDS = 0.1
    campaign = make_campaign(oca, [oca_number("answered"), oca_number("failed")])

    result = run_campaign(campaign.pk, budget=15)

    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.COMPLETED, (result, campaign.idle_reason)
    assert result == "dialed 2, finished"
    assert campaign.funnel()["done"] == 2


def test_deployments_get_the_watchdog_schedule_every_minute():
    QSchedule.objects.filter(func="campaigns.tasks.engine_watchdog").delete()

    ensure_schedules(sender=None)
    ensure_schedules(sender=None)

    schedule = QSchedule.objects.get(func="campaigns.tasks.engine_watchdog")
    assert (schedule.schedule_type, schedule.minutes, schedule.repeats) == (
        QSchedule.MINUTES,
        1,
        -1,
    )
