"""What a running campaign waits for, in words and in seconds (issue #5; issue 10,
section 4).

- explain_idle/set_idle: why it dialed nothing, most specific first, for its page;
- wait_seconds: how long until the runner has something to do again, so a runner with
  nothing due soon gives its worker back (dispatch.Runner.run, jobs.wake_runner_at);
- finish_when_quiet: the campaign completes when nothing is left to dial or hear back
  from. Mixed into dispatch.Runner."""

from datetime import timedelta

from django.db.models import Count, Min
from django.utils import timezone

from campaigns import clock


def knob(name: str, default):
    from django.conf import settings

    return getattr(settings, name, default)


def hold_seconds() -> float:
    """A runner with nothing to do for longer than this gives its worker back and is woken
    when work is due (django-q2's scheduler looks every 30 s, so the wake-up is set this
    much early, and a runner woken early waits in the worker for at most this long)."""
    return float(knob("CAMPAIGN_RUNNER_HOLD_SECONDS", 15))


class Idle:
    """The runner's idle words and waits (self.campaign, self.schedule, the token bucket:
    see dispatch.Runner)."""

    def waiting_for(self) -> float | None:
        """After a step that started no call: seconds until this runner has something
        to do. The next token when it is far (cheap, every time); else the full look
        (wait_seconds), at most once a second."""
        token = self.token_wait()
        moment = clock.monotonic()
        if token <= hold_seconds() and (
            self.last_due_check is not None and moment - self.last_due_check < 1.0
        ):
            return None
        self.last_due_check = moment
        return self.wait_seconds()

    def token_wait(self) -> float:
        """Seconds until the bucket holds a whole call."""
        return self.pace.wait()

    def wait_seconds(self, now=None) -> float:
        """Seconds until this runner has something to do again, the soonest of: reading
        the outcomes of calls in flight, a token for a contact who is due, the vendor's
        rate limit lifting, the window or a contact's calling hours opening, a retry (or
        a number set aside for the day) coming due."""
        from campaigns.models import CampaignAttempt, CampaignTarget

        now = now or timezone.now()
        poll = float(knob("CAMPAIGN_OUTCOME_POLL_SECONDS", 2))
        if any(pool is not None and pool.in_flight for pool in (self.pool, self.poll_pool)):
            return poll
        open_attempts = CampaignAttempt.objects.filter(
            campaign=self.campaign,
            status__in=[CampaignAttempt.Status.DIALING, CampaignAttempt.Status.PLACED],
        )
        young = now - timedelta(seconds=float(knob("CAMPAIGN_OUTCOME_HOLD_SECONDS", 120)))
        if open_attempts.filter(dialed_at__gte=young).exists():
            return poll  # calls just placed: their outcomes come soon
        waits = []
        if open_attempts.exists():
            # Calls long in progress: look again now and then, not from a held worker.
            waits.append(float(knob("CAMPAIGN_OUTCOME_RECHECK_SECONDS", 30)))
        token = self.token_wait()
        if self.blocked_until and self.blocked_until > now:
            waits.append(max(token, (self.blocked_until - now).total_seconds()))
        elif self.schedule.closed_reason(now):
            opens = self.schedule.next_open(now)
            if opens is not None:
                waits.append(max(token, (opens - now).total_seconds()))
        else:
            targets = CampaignTarget.objects.filter(campaign=self.campaign)
            due_zones = set(targets.due(now).order_by().values_list("time_zone", flat=True))
            if due_zones:
                if self.schedule.open_zones(now, sorted(due_zones)):
                    waits.append(token)
                else:
                    opens = min(self.schedule.contact_next_open(now, n) for n in due_zones)
                    waits.append(max(token, (opens - now).total_seconds()))
            else:
                later = targets.filter(
                    status__in=[CampaignTarget.Status.PENDING, CampaignTarget.Status.RETRY]
                ).aggregate(next=Min("next_attempt_at"))["next"]
                if later is not None:
                    waits.append(max(token, (later - now).total_seconds()))
        return max(0.0, min(waits)) if waits else poll

    def note_dialing(self):
        from campaigns.models import Campaign

        now = timezone.now()
        Campaign.objects.filter(pk=self.campaign.pk).update(
            idle_reason="", idle_since=None, last_dial_at=now
        )
        self.campaign.idle_reason = ""
        self.campaign.idle_since = None

    def set_idle(self, reason: str):
        from campaigns.models import Campaign

        if reason == self.campaign.idle_reason:
            return
        now = timezone.now()
        since = self.campaign.idle_since or now
        Campaign.objects.filter(pk=self.campaign.pk).update(idle_reason=reason, idle_since=since)
        self.campaign.idle_reason = reason
        self.campaign.idle_since = since

    def explain_idle(self, now):
        """Why nothing was dialed, most specific first."""
        from campaigns.models import CampaignTarget

        schedule = self.schedule
        targets = CampaignTarget.objects.filter(campaign=self.campaign)
        due_zones = set(targets.due(now).order_by().values_list("time_zone", flat=True).distinct())
        if due_zones:
            closed = [name for name in due_zones if not schedule.contact_may_be_called(now, name)]
            if len(closed) == len(due_zones):
                opens = min(schedule.contact_next_open(now, name) for name in closed)
                self.set_idle(
                    "Every remaining contact is outside its calling hours until "
                    f"{schedule.local(opens)}."
                )
            return
        pending = targets.filter(status=CampaignTarget.Status.PENDING).aggregate(
            next=Min("next_attempt_at"), n=Count("id")
        )
        if pending["n"] and pending["next"] and pending["next"] > now + timedelta(minutes=5):
            limited = targets.filter(
                status=CampaignTarget.Status.PENDING,
                wait_reason=CampaignTarget.WaitReason.VENDOR_DAY_LIMIT,
            ).count()
            if limited == pending["n"]:
                self.set_idle(
                    "Every remaining contact reached the vendor's daily limit of calls to "
                    f"its number; next try on its next local day, at "
                    f"{schedule.local(pending['next'])}."
                )
                return
            self.set_idle(
                "Every remaining contact is DND-blocked or capped for today; next try at "
                f"{schedule.local(pending['next'])}."
            )
            return
        in_progress = targets.filter(status=CampaignTarget.Status.IN_PROGRESS).count()
        if in_progress:
            calls = "1 call" if in_progress == 1 else f"{in_progress} calls"
            their = "its outcome" if in_progress == 1 else "their outcomes"
            self.set_idle(f"{calls} in progress, waiting for {their}.")
            return
        if pending["n"] and pending["next"]:
            self.set_idle(
                f"Waiting to send {pending['n']} calls again after vendor errors, next at "
                f"{schedule.local(pending['next'])}."
            )
            return
        retry = targets.filter(status=CampaignTarget.Status.RETRY).aggregate(
            next=Min("next_attempt_at")
        )
        if retry["next"]:
            self.set_idle(f"Retries scheduled, next at {schedule.local(retry['next'])}.")

    def finish_when_quiet(self, *, ended: bool = False) -> bool:
        """Complete the campaign when nothing is left to dial or to hear back from (or,
        `ended`, when the schedule has no window left and no call is still open)."""
        from campaigns.models import Campaign, CampaignAttempt

        open_attempts = CampaignAttempt.objects.filter(
            campaign=self.campaign,
            status__in=[CampaignAttempt.Status.DIALING, CampaignAttempt.Status.PLACED],
        )
        if self.pool is not None and self.pool.in_flight:
            return False
        if open_attempts.exists():
            return False
        left = self.campaign.targets.open().count()
        if left and not ended:
            return False
        if left:
            done = self.campaign._move(
                (Campaign.State.RUNNING,),
                state=Campaign.State.COMPLETED,
                state_reason=f"The schedule ended with {left} contacts not called.",
                finished_at=timezone.now(),
                idle_reason="",
                idle_since=None,
            )
            if done:
                self.campaign.close_open_targets(
                    "The schedule ended before this number was called."
                )
        else:
            done = self.campaign.complete()
            if done:
                Campaign.objects.filter(pk=self.campaign.pk).update(idle_reason="", idle_since=None)
        self.finished = self.finished or done
        if done:
            self.stopped = True
        return done
