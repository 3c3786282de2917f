# ruff: noqa: F811 (pytest fixtures are imported by name, then requested as arguments)
"""A running campaign never holds a worker while it waits (issue 10, section 4).

A runner with nothing due for longer than CAMPAIGN_RUNNER_HOLD_SECONDS gives its worker
back at once and leaves a django-q2 Schedule (ONCE) to queue the next runner when work is
due: a retry hours away, a window that opens tomorrow, the next token of a slow campaign.
The watchdog leaves such a campaign to its wake-up, and restarts it when it has none. The
real-cluster figure (2 workers, 10 campaigns waiting) is `bench/campaign_bench.py --only
workers`."""

import ast
import time
from datetime import time as clock
from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone
from django_q.models import Schedule as QSchedule

from campaigns.engine import Runner, build_targets, engine_watchdog, run_campaign
from campaigns.engine.jobs import wake_name
from campaigns.models import Campaign, CampaignTarget
from tests.campaigns.engine_support import (
    fast_engine,  # noqa: F401
    make_account,
    make_campaign,
    oca_number,
    sandbox_url,  # noqa: F401
)

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

HOLD = 15


@pytest.fixture
def oca(sandbox_url, fast_engine):
    fast_engine.CAMPAIGN_RUNNER_HOLD_SECONDS = HOLD
    return make_account("oca", sandbox_url)


def waiting_on_a_retry(account, hours: float = 3) -> tuple[Campaign, object]:
    """A running campaign whose every contact waits for a retry `hours` away."""
    campaign = make_campaign(account, [oca_number("busy"), oca_number("busy", 1)])
    build_targets(campaign)
    due = timezone.now() + timedelta(hours=hours)
    campaign.targets.update(status=CampaignTarget.Status.RETRY, attempts=1, next_attempt_at=due)
    return campaign, due


def wake_of(campaign):
    return QSchedule.objects.filter(name=wake_name(campaign.pk)).first()


def test_a_runner_waiting_for_a_retry_hours_away_gives_its_worker_back_at_once(oca):
    campaign, due = waiting_on_a_retry(oca)

    began = time.monotonic()
    with mock.patch("campaigns.engine.jobs.runner_enqueue") as enqueue:
        result = run_campaign(campaign.pk, budget=50)
    took = time.monotonic() - began

    assert took < 5, f"the runner held its worker {took:.1f} s: {result}"
    assert "nothing due before" in result
    enqueue.assert_not_called()  # no runner queued behind it: the wake-up is
    wake = wake_of(campaign)
    assert wake is not None
    assert wake.func == "campaigns.tasks.run_campaign"
    assert ast.literal_eval(wake.args) == campaign.pk  # how django-q2 reads the arguments
    assert wake.schedule_type == QSchedule.ONCE and wake.repeats == -1  # deleted once run
    # Set early by the hold, since django-q2's scheduler looks only every 30 s.
    assert abs((due - timedelta(seconds=HOLD) - wake.next_run).total_seconds()) < 5
    campaign.refresh_from_db()
    assert (campaign.runner_token, campaign.runner_seen_at) == ("", None)  # lease given back
    assert campaign.state == Campaign.State.RUNNING
    assert "Retries scheduled" in campaign.idle_reason  # the page still says why


def test_a_second_runner_moves_the_wake_up_instead_of_adding_one(oca):
    campaign, due = waiting_on_a_retry(oca)
    run_campaign(campaign.pk, budget=50)
    sooner = timezone.now() + timedelta(hours=1)
    campaign.targets.update(next_attempt_at=sooner)

    run_campaign(campaign.pk, budget=50)  # e.g. the wake-up and a Resume both ran

    wakes = QSchedule.objects.filter(name=wake_name(campaign.pk))
    assert wakes.count() == 1
    assert abs((sooner - timedelta(seconds=HOLD) - wakes.get().next_run).total_seconds()) < 5


def test_a_runner_outside_its_window_wakes_when_the_window_opens(oca):
    now = timezone.now()
    opens = (now + timedelta(hours=2)).replace(second=0, microsecond=0)
    campaign = make_campaign(
        oca,
        [oca_number("answered")],
        window_start=clock(opens.hour, opens.minute),
        window_end=clock((opens.hour + 1) % 24, opens.minute),
    )

    started = time.monotonic()
    run_campaign(campaign.pk, budget=50)

    assert time.monotonic() - started < 5
    assert not campaign.attempts.exists()
    wake = wake_of(campaign)
    assert abs((opens - timedelta(seconds=HOLD) - wake.next_run).total_seconds()) < 5


def test_the_watchdog_leaves_a_sleeping_runner_to_its_wake_up(oca):
    campaign, _ = waiting_on_a_retry(oca)
    run_campaign(campaign.pk, budget=50)

    with mock.patch("campaigns.engine.jobs.runner_enqueue") as enqueue:
        result = engine_watchdog()

    enqueue.assert_not_called()
    assert "waiting 1" in result


def test_the_watchdog_restarts_a_runner_whose_wake_up_is_gone_or_past(oca):
    campaign, _ = waiting_on_a_retry(oca)
    run_campaign(campaign.pk, budget=50)
    QSchedule.objects.filter(name=wake_name(campaign.pk)).update(
        next_run=timezone.now() - timedelta(minutes=1)
    )

    with mock.patch("campaigns.engine.jobs.runner_enqueue") as enqueue:
        engine_watchdog()
        QSchedule.objects.filter(name=wake_name(campaign.pk)).delete()
        engine_watchdog()

    assert enqueue.call_count == 2


def test_a_killed_runner_is_restarted_even_with_a_wake_up_to_come(oca):
    campaign, _ = waiting_on_a_retry(oca)
    run_campaign(campaign.pk, budget=50)
    stale = timezone.now() - timedelta(minutes=5)
    Campaign.objects.filter(pk=campaign.pk).update(runner_token="dead", runner_seen_at=stale)

    with mock.patch("campaigns.engine.jobs.runner_enqueue") as enqueue:
        engine_watchdog()

    enqueue.assert_called_once()


def test_a_slow_campaign_hands_its_worker_back_between_calls(oca):
    """At 1 call a minute the runner dials, then gives the worker back until the next
    token instead of sleeping a minute in it; a runner woken early does not dial early."""
    campaign = make_campaign(
        oca, [oca_number("answered"), oca_number("answered", 1)], calls_per_minute=1
    )

    started = time.monotonic()
    runner = Runner(campaign)
    result = runner.run(budget=50)

    assert time.monotonic() - started < 10, result
    assert runner.dialed == 1
    assert not runner.should_continue  # the wake-up queues the next runner, not this one
    wait = (runner.wake_at - timezone.now()).total_seconds()
    assert 40 < wait <= 60, result
    early = Runner(campaign)  # the scheduler ran the wake-up a little early
    assert early.tokens < 1
    early.step()
    early.close()
    assert campaign.attempts.count() == 1


def test_a_runner_with_work_soon_keeps_its_worker(oca):
    """At 60 calls a minute the next token is a second away: no hand-back between calls."""
    campaign = make_campaign(
        oca, [oca_number("answered", n) for n in range(3)], calls_per_minute=60
    )

    runner = Runner(campaign)
    runner.run(budget=2.5)

    assert runner.wake_at is None
    assert runner.dialed >= 2


def test_a_native_campaigns_runner_syncs_once_and_leaves_a_wake_up(live_server, monkeypatch):
    """A CPaaS campaign dials at the vendor: its runner syncs the page and gives the worker
    back (CAMPAIGN_NATIVE_SYNC_SECONDS, 30, is longer than the hold) instead of sleeping
    between syncs for its whole budget."""
    from campaigns.engine import native
    from tests.campaigns.native_helpers import cpaas_account, quicken
    from tests.campaigns.native_helpers import make_campaign as make_native

    quicken(monkeypatch)
    campaign = make_native(cpaas_account(live_server), targets=3, starts_in=timedelta(0))
    native.launch(campaign)
    Campaign.objects.filter(pk=campaign.pk).update(state=Campaign.State.RUNNING)
    synced = []
    real_sync = native.sync
    monkeypatch.setattr(native, "sync", lambda c: synced.append(1) or real_sync(c))

    started = time.monotonic()
    with mock.patch("campaigns.engine.jobs.runner_enqueue") as enqueue:
        run_campaign(campaign.pk, budget=50)

    assert time.monotonic() - started < 10
    assert len(synced) == 1
    enqueue.assert_not_called()
    wake = wake_of(campaign)
    assert wake is not None and wake.next_run <= timezone.now() + timedelta(seconds=30)
    campaign.refresh_from_db()
    assert campaign.runner_token == ""
