"""The engine's django-q2 jobs and their queueing: launch a started campaign, run it
(the runner in dispatch.py, or native.follow for CPaaS), and the watchdog every minute.

The model's lifecycle calls `launch_enqueue` and `runner_enqueue`; django-q2 runs
`campaigns.tasks.launch_campaign`, `run_campaign` and, every minute, `engine_watchdog`.
Each takes an id and is safe to run twice."""

import logging
from collections import defaultdict
from datetime import timedelta

from django.utils import timezone

from . import native
from .dialers import dialer_for
from .dispatch import Runner, _campaign, hold_seconds, knob, sync_mode
from .outcomes import poll_outcomes, recover_stale_dialing
from .targets import build_targets

logger = logging.getLogger("campaigns.engine")


# --- entry points -------------------------------------------------------------------------


def launch_enqueue(campaign):
    """Queue the launch job (campaigns.tasks.launch_campaign) for `campaign`."""
    from django_q.tasks import async_task

    return async_task(
        "campaigns.tasks.launch_campaign", campaign.pk, task_name=f"campaign-{campaign.pk}-launch"
    )


def runner_enqueue(campaign):
    """Queue the runner (campaigns.tasks.run_campaign) for `campaign`."""
    from django_q.tasks import async_task

    return async_task(
        "campaigns.tasks.run_campaign", campaign.pk, task_name=f"campaign-{campaign.pk}-runner"
    )


def launch_campaign(campaign_id) -> str:
    """Build the targets (once), then hand the campaign to the vendor (CPaaS) or start
    the engine now (or leave it scheduled for the watchdog). Safe to run twice."""
    from campaigns.models import Campaign

    campaign = _campaign(campaign_id)
    if campaign is None:
        return "campaign gone"
    if campaign.state not in Campaign.ACTIVE_STATES:
        return f"campaign is {campaign.state}"
    added = build_targets(campaign)
    if campaign.is_native:
        native.launch(campaign)
        return f"{added} targets; launched at the vendor"
    promote(campaign)
    return f"{added} targets; {campaign.state}"


def promote(campaign) -> bool:
    """SCHEDULED -> RUNNING once the start time has come, then queue a runner."""
    from campaigns.models import Campaign

    now = timezone.now()
    if campaign.state != Campaign.State.SCHEDULED or campaign.is_native:
        return False
    if campaign.starts_at and campaign.starts_at > now:
        return False
    if not campaign._move((Campaign.State.SCHEDULED,), state=Campaign.State.RUNNING):
        return False
    runner_enqueue(campaign)
    return True


def run_campaign(campaign_id, *, budget: float | None = None) -> str:
    """The runner job: dial for a time budget, then queue the next runner if the campaign
    is still running. A runner with nothing due for a while ends at once instead and
    leaves a wake-up for when work is due (wake_runner_at), so it never holds a worker
    while it waits. Under django-q2's sync mode (tests) there is no worker to hand the
    rest to, so it runs one loop and leaves the rest to the watchdog and to callers."""
    campaign = _campaign(campaign_id)
    if campaign is None:
        return "campaign gone"
    if campaign.state != campaign.State.RUNNING:
        return f"campaign is {campaign.state}"
    sync = sync_mode()
    if budget is None:
        budget = 0.0 if sync else float(knob("CAMPAIGN_RUNNER_SECONDS", 50))
    if campaign.is_native:
        result, carry_on = native.follow(campaign, budget)
        interval = native.sync_seconds()
        if carry_on and interval > hold_seconds():
            wake_runner_at(campaign, timezone.now() + timedelta(seconds=interval))
        elif carry_on and not sync:
            runner_enqueue(campaign)
        return result
    runner = Runner(campaign)
    result = runner.run(budget)
    if runner.wake_at is not None:
        wake_runner_at(campaign, runner.wake_at)
    elif runner.should_continue and not sync:
        runner_enqueue(campaign)
    return result


def wake_name(campaign_id) -> str:
    return f"campaign-{campaign_id}-wake"


def wake_runner_at(campaign, due):
    """A runner with nothing due gave its worker back: a django-q2 Schedule (ONCE, one per
    campaign, deleted once it ran) queues the next runner for `due`. The scheduler looks
    every 30 s, so it is set hold_seconds() early; a runner that comes early waits the
    rest in the worker. Setting it again moves it."""
    from django_q.models import Schedule

    next_run = max(timezone.now(), due - timedelta(seconds=hold_seconds()))
    name = wake_name(campaign.pk)
    moved = Schedule.objects.filter(name=name).update(next_run=next_run, repeats=-1)
    if not moved:
        Schedule.objects.create(
            name=name,
            func="campaigns.tasks.run_campaign",
            args=repr(campaign.pk),
            schedule_type=Schedule.ONCE,
            repeats=-1,
            next_run=next_run,
        )
    return next_run


def waking(now) -> set[int]:
    """The campaigns whose runner gave its worker back and has a wake-up still to come."""
    from django_q.models import Schedule

    names = Schedule.objects.filter(
        name__startswith="campaign-", name__endswith="-wake", next_run__gt=now
    ).values_list("name", flat=True)
    return {int(name.split("-")[1]) for name in names}


def engine_watchdog() -> str:
    """Every minute: relaunch a campaign whose launch job was lost, promote due scheduled
    campaigns, restart runners whose lease went stale (a killed worker) or that gave
    their worker back with no wake-up to come, sync native
    campaigns (native.sync_due), and keep reading the outcomes of calls placed by paused
    or stopped campaigns. Safe to run twice."""
    from campaigns.models import Campaign, CampaignAttempt

    now = timezone.now()
    notes = defaultdict(int)
    handled = set()  # launched or promoted now: their runner is queued already
    for campaign in Campaign.objects.select_related("account").filter(
        state=Campaign.State.SCHEDULED
    ):
        unlaunched = campaign.targets_built_at is None or (
            campaign.is_native and not campaign.vendor_campaign_id
        )
        if unlaunched:
            # The launch job was lost (a worker died before or while it ran): queue it
            # again; it is safe to run twice.
            if campaign.updated_at < now - timedelta(minutes=2):
                launch_enqueue(campaign)
                handled.add(campaign.pk)
                notes["relaunched"] += 1
            continue
        if promote(campaign):
            handled.add(campaign.pk)
            notes["promoted"] += 1
    running = (
        Campaign.objects.select_related("account")
        .filter(state=Campaign.State.RUNNING)
        .exclude(pk__in=handled)
    )
    asleep = waking(now)
    followed = set()  # native campaigns whose runner (native.follow) syncs them
    for campaign in running:
        if campaign.lease_is_stale(now):
            if not campaign.runner_token and campaign.pk in asleep:
                # Its runner gave the worker back; the wake-up queues the next one.
                notes["waiting"] += 1
                continue
            runner_enqueue(campaign)
            notes["restarted"] += 1
        elif campaign.is_native:
            followed.add(campaign.pk)
    for campaign in native.sync_due(now):
        if campaign.pk in followed:
            continue
        try:
            native.sync(campaign)
            notes["synced"] += 1
        except Exception:
            logger.exception("Watchdog could not sync campaign %s", campaign.pk)
    halted = (
        Campaign.objects.select_related("account")
        .filter(
            state__in=[Campaign.State.PAUSED, Campaign.State.STOPPED],
            attempts__status__in=[CampaignAttempt.Status.DIALING, CampaignAttempt.Status.PLACED],
        )
        .distinct()
    )
    for campaign in halted:
        if campaign.is_native:
            continue
        dialer = dialer_for(campaign)
        try:
            recover_stale_dialing(campaign, dialer, resend=campaign.state == Campaign.State.PAUSED)
            notes["outcomes"] += poll_outcomes(campaign, dialer, min_age_seconds=0)
        except Exception:
            logger.exception("Watchdog could not read outcomes of campaign %s", campaign.pk)
        finally:
            dialer.close()
    return ", ".join(f"{name} {count}" for name, count in notes.items()) or "nothing to do"
