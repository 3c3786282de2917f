"""Dialdesk's own dispatch engine for MyOperator OBD and OCA (issue #5).

The jobs that start and restart runners are in jobs.py; this module is the runner.

A runner holds a lease on its campaign (runner_token/runner_seen_at, taken by a
conditional UPDATE), so one runner dials a campaign at a time; a killed runner's lease
goes stale and the watchdog starts another. Each loop it:
- reads outcomes of placed calls (OCA call status, MyOperator logs by reference id);
- claims due targets atomically (UPDATE ... WHERE status IN (pending, retry)) inside the
  window, inside each contact's calling hours, under the daily cap and not on a DND
  list, and creates each attempt row (with its derived reference id) in the same
  transaction, before any request;
- dials at calls_per_minute (a token bucket on the monotonic clock), in a thread pool
  when the rate needs more than one request in flight;
- says in words why it dialed nothing, when it dialed nothing.

A runner never holds its worker while it waits: when nothing is due for longer than
CAMPAIGN_RUNNER_HOLD_SECONDS (15) (a retry hours away, a closed window, the next token of
a slow campaign, calls long in progress), it ends and jobs.py schedules the next runner
for when work is due.

Knobs (settings, all optional): CAMPAIGN_RUNNER_SECONDS (50: a runner's time budget,
then it re-enqueues itself), CAMPAIGN_RUNNER_HOLD_SECONDS (15),
CAMPAIGN_OUTCOME_HOLD_SECONDS (120: calls younger than this keep the runner reading their
outcomes), CAMPAIGN_OUTCOME_RECHECK_SECONDS (30: how soon older ones are read again),
CAMPAIGN_LEASE_SECONDS (90), CAMPAIGN_DIAL_THREADS (32: the pool's cap),
CAMPAIGN_DIAL_LATENCY (0.3 s: expected vendor round trip, sizes the pool),
CAMPAIGN_OUTCOME_POLL_SECONDS (2), CAMPAIGN_NATIVE_SYNC_SECONDS (5: how often a native
campaign's runner syncs it), CAMPAIGN_DIALING_STALE_SECONDS (request timeouts + 30 s),
CAMPAIGN_OUTCOME_GIVE_UP_SECONDS (6 h), CAMPAIGN_DAILY_CAP (3)."""

import logging
import math
import time
import uuid
from collections import defaultdict
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Min, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from campaigns.clock import attempt_reference, local_day_bounds
from telephony.vendors.base import (
    Fault,
    InvalidRequest,
    RateLimited,
    Rejected,
    VendorError,
)
from telephony.vendors.myoperator.errors import DuplicateReference

from .dialers import DialPool, NotSent, campaign_problem, dialer_for, lost_answer
from .outcomes import (
    defer_to_next_day,
    give_up_on_silent_calls,
    mark_lost,
    mark_placed,
    mark_rejected,
    poll_outcomes,
    put_back,
    read_outcomes,
    recover_stale_dialing,
    requeue_attempt,
    settle_target,
    waiting_attempts,
)
from .targets import build_targets

logger = logging.getLogger("campaigns.engine")

RATE_LIMIT_BACKOFF_SECONDS = 15
SERVER_ERROR_BACKOFF_SECONDS = 5
# Attempts that count against the daily cap: everything that may have rung the number.
NOT_COUNTED = ("queued", "rejected")


def knob(name: str, default):
    return getattr(settings, name, default)


def hold_seconds() -> float:
    """A runner with nothing to do for longer than this gives its worker back and is woken
    when work is due (django-q2's scheduler looks every 30 s, so the wake-up is set this
    much early, and a runner woken early waits in the worker for at most this long)."""
    return float(knob("CAMPAIGN_RUNNER_HOLD_SECONDS", 15))


def sync_mode() -> bool:
    from django_q.conf import Conf

    return bool(Conf.SYNC)


def _campaign(campaign_id):
    from campaigns.models import Campaign

    return Campaign.objects.select_related("account").filter(pk=campaign_id).first()


# --- the runner ------------------------------------------------------------------------------


class Runner:
    """Dials one campaign. `run(budget)` is the job; `step()` is one loop, callable on its
    own (it takes the lease first) so tests drive the engine without a cluster."""

    def __init__(self, campaign, *, token: str | None = None):
        self.campaign = _campaign(campaign.pk)
        self.token = token or str(uuid.uuid4())
        self.dialer = dialer_for(self.campaign)
        self.schedule = self.campaign.schedule()
        self.rate = max(self.campaign.calls_per_minute, 1) / 60.0  # calls per second
        # Up to a second of calls may go at once, so a loop that wakes a little late
        # catches up instead of losing the time; below 60 a minute, one call at a time.
        # Half a call of slack below that keeps a late wake-up's time without ever
        # letting two calls go together.
        self.burst = max(1.5, self.rate)
        # A full bucket to start (one call below 60 a minute: a slow campaign must not
        # ring two people in the same second), none if the runner before this one
        # dialed a moment ago (a runner hands over every budget), and at a slow pace
        # only what the time since the last call earned (a runner woken for its next
        # call may come a little early).
        last = self.campaign.last_dial_at
        full = max(1.0, self.rate)
        if last is None:
            self.tokens = full
        else:
            since = (timezone.now() - last).total_seconds()
            self.tokens = 0.0 if since < 2 else min(full, since * self.rate)
        self.refilled = time.monotonic()
        latency = float(knob("CAMPAIGN_DIAL_LATENCY", 0.3))
        cap = int(knob("CAMPAIGN_DIAL_THREADS", 32))
        self.threads = max(1, min(cap, math.ceil(self.rate * latency * 1.5)))
        self.pool = None
        self.poll_pool = None
        self.has_lease = False
        self.blocked_until = None
        self.block_reason = ""
        self.last_poll = None
        self.last_explained = None
        self._zones = None
        self.finished = False
        self.stopped = False
        self.halted = False  # the vendor paused the campaign: send nothing more
        self.ran = False
        self.lost_lease = False
        self.dialed = 0
        self.wake_at = None  # handed the worker back: wake a runner then
        self.last_due_check = None

    # -- lease

    def acquire(self) -> bool:
        self.has_lease = self.campaign.take_lease(self.token)
        return self.has_lease

    def renew(self) -> bool:
        """Keep the lease; False when the campaign is no longer running or another runner
        took over."""
        if self.campaign.renew_lease(self.token):
            return True
        self.stopped = True
        # Still our token, so the campaign was paused or stopped: keep the lease for
        # close() to give back once the calls in flight are recorded (holding it on
        # would make a prompt Resume wait for the lease to go stale).
        self.has_lease = self.campaign.holds_lease(self.token)
        from campaigns.models import Campaign

        self.lost_lease = Campaign.objects.filter(
            pk=self.campaign.pk, state=Campaign.State.RUNNING
        ).exists()
        return False

    def release(self):
        self.campaign.give_back_lease(self.token)
        self.has_lease = False

    @property
    def should_continue(self) -> bool:
        """Queue the next runner? Only after a budget this runner dialed through: not when
        it finished, nor when it never got (or lost) the lease to another runner."""
        from campaigns.models import Campaign

        if self.finished or not self.ran or self.lost_lease or self.wake_at is not None:
            return False
        return Campaign.objects.filter(pk=self.campaign.pk, state=Campaign.State.RUNNING).exists()

    # -- the job

    def run(self, budget: float) -> str:
        if not self.acquire():
            self.dialer.close()
            return "another runner holds this campaign"
        self.ran = True
        deadline = time.monotonic() + budget
        hold = hold_seconds()
        try:
            while True:
                started = self.step()
                if self.finished or self.stopped or time.monotonic() >= deadline:
                    break
                if not started:
                    wait = self.waiting_for()
                    if wait is not None and wait > hold:
                        # Nothing to do for a while: give the worker back (jobs.py
                        # schedules the next runner for then).
                        self.wake_at = timezone.now() + timedelta(seconds=wait)
                        break
                time.sleep(self.pause_seconds())
        finally:
            self.close()
        words = f"dialed {self.dialed}" + (", finished" if self.finished else "")
        if self.wake_at is not None:
            words += f", nothing due before {self.wake_at:%Y-%m-%d %H:%M:%S} UTC"
        return words

    def waiting_for(self) -> float | None:
        """After a step that started no call: seconds until this runner has something
        to do. The next token when it is far (cheap, every time); else the full look
        (wait_seconds), at most once a second."""
        token = self.token_wait()
        moment = time.monotonic()
        if token <= hold_seconds() and (
            self.last_due_check is not None and moment - self.last_due_check < 1.0
        ):
            return None
        self.last_due_check = moment
        return self.wait_seconds()

    def token_wait(self) -> float:
        """Seconds until the bucket holds a whole call."""
        tokens = min(self.burst, self.tokens + (time.monotonic() - self.refilled) * self.rate)
        return max(0.0, 1.0 - tokens) / self.rate

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

    def pause_seconds(self) -> float:
        """Sleep until the next call is due (at most a second, at least 50 ms)."""
        missing = max(0.0, 1.0 - self.tokens)
        return min(1.0, max(0.05, missing / self.rate))

    def close(self):
        if self.pool is not None:
            self.pool.shutdown()  # every call sent is recorded before the lease goes
            self.pool = None
        if self.poll_pool is not None:
            self.poll_pool.shutdown(wait=False)  # reads end on their own; nothing dials
            self.poll_pool = None
        self.dialer.close()
        if self.has_lease:
            self.release()

    def step(self) -> int:
        """One loop; returns how many calls it started."""
        if not self.has_lease and not self.acquire():
            self.stopped = True
            return 0
        if not self.renew():
            return 0
        campaign = self.campaign
        if campaign.targets_built_at is None:
            build_targets(campaign)
        now = timezone.now()
        recover_stale_dialing(campaign, self.dialer, now=now)
        self.read_outcomes()
        closed = self.schedule.closed_reason(now)
        if closed:
            if self.schedule.next_open(now) is None:
                self.finish_when_quiet(ended=True)
            if not self.finished:
                self.set_idle(closed)
            return 0
        if self.blocked_until and now < self.blocked_until:
            self.set_idle(self.block_reason)
            return 0
        capacity = self.capacity()
        if capacity <= 0:
            return 0
        jobs = self.claim(now, capacity)
        if jobs:
            self.last_explained = None
            self.tokens -= len(jobs)
            self.dispatch(jobs)
            self.dialed += len(jobs)
            self.note_dialing()
            return len(jobs)
        if not self.finish_when_quiet() and self.explain_due():
            self.explain_idle(now)
        return 0

    def explain_due(self) -> bool:
        """Work out the idle words at most every few seconds (they scan the targets)."""
        moment = time.monotonic()
        if self.last_explained is not None and moment - self.last_explained < 5:
            return False
        self.last_explained = moment
        return True

    def capacity(self) -> int:
        moment = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (moment - self.refilled) * self.rate)
        self.refilled = moment
        room = int(self.tokens)
        if self.threads > 1:
            in_flight = self.pool.in_flight if self.pool else 0
            room = min(room, self.threads * 2 - in_flight)
        return room

    def read_outcomes(self, force: bool = False) -> int:
        """Read outcomes every CAMPAIGN_OUTCOME_POLL_SECONDS: inline at low rates; at
        high rates in a pool of its own, so the dialing loop never waits on it."""
        moment = time.monotonic()
        every = float(knob("CAMPAIGN_OUTCOME_POLL_SECONDS", 2))
        if not force and self.last_poll is not None and moment - self.last_poll < every:
            return 0
        if self.threads == 1:
            self.last_poll = moment
            return poll_outcomes(
                self.campaign, self.dialer, min_age_seconds=min(every, 1.0), limit=50
            )
        if self.poll_pool is None:
            self.poll_pool = DialPool(min(8, self.threads))
        if self.poll_pool.in_flight:
            return 0  # the last read is still going
        self.last_poll = moment
        give_up_on_silent_calls(self.campaign)
        attempts = waiting_attempts(self.campaign, min_age_seconds=min(every, 1.0), limit=2000)
        if self.dialer.per_call_outcomes:
            chunks = [attempts[n : n + 25] for n in range(0, len(attempts), 25)]
        else:
            chunks = [attempts] if attempts else []
        for chunk in chunks:
            self.poll_pool.submit(read_outcomes, self.campaign, self.dialer, chunk)
        return 0

    # -- claims

    def zones(self) -> list[str]:
        """The distinct contact zones of this campaign's targets (a snapshot: fixed)."""
        if self._zones is None:
            from campaigns.models import CampaignTarget

            self._zones = sorted(
                set(
                    CampaignTarget.objects.filter(campaign=self.campaign)
                    .order_by()
                    .values_list("time_zone", flat=True)
                    .distinct()
                )
            )
        return self._zones

    def effective_zone(self, name: str) -> str:
        return name or self.campaign.time_zone or "UTC"

    def claim(self, now, limit: int) -> list:
        """Claim up to `limit` due targets that may be called now and create their
        attempt rows (DIALING, with their reference ids) in the same transaction."""
        from campaigns.models import CampaignAttempt, CampaignTarget

        campaign = self.campaign
        cap = int(settings.CAMPAIGN_DAILY_CAP)
        open_zones = self.schedule.open_zones(now, self.zones())
        if not open_zones:
            return []
        groups = defaultdict(list)
        for name in open_zones:
            groups[local_day_bounds(now, self.effective_zone(name))].append(name)
        due = CampaignTarget.objects.filter(campaign=campaign).due(now)
        blocked = campaign.dnd_blocking("number")
        chosen, dnd, capped = [], [], defaultdict(list)
        for (day_start, day_end), names in groups.items():
            today = (
                CampaignAttempt.objects.filter(
                    number=OuterRef("number"), dialed_at__gte=day_start, dialed_at__lt=day_end
                )
                .exclude(status__in=NOT_COUNTED)
                .order_by()
                .values("number")
                .annotate(n=Count("id"))
                .values("n")
            )
            rows = (
                due.filter(time_zone__in=names)
                .annotate(today=Coalesce(Subquery(today), 0), blocked=blocked)
                .order_by("next_attempt_at", "id")
                .values_list("id", "today", "blocked")[: limit - len(chosen)]
            )
            for target_id, attempts_today, is_blocked in rows:
                if is_blocked:
                    dnd.append(target_id)
                elif attempts_today >= cap:
                    capped[day_end].append(target_id)
                else:
                    chosen.append(target_id)
            if len(chosen) >= limit:
                break
        if dnd:
            self.skip_dnd(dnd, now)
        for day_end, ids in capped.items():
            CampaignTarget.objects.filter(pk__in=ids, status__in=["pending", "retry"]).update(
                next_attempt_at=day_end,
                last_error=f"Reached the daily cap of {cap} attempts for this number; "
                "tried again on the contact's next day.",
                updated_at=now,
            )
        if not chosen:
            return []
        return self.take(chosen, now)

    def take(self, ids, now) -> list:
        from campaigns.models import CampaignAttempt, CampaignTarget

        campaign = self.campaign
        claim = str(uuid.uuid4())
        jobs = []
        with transaction.atomic():
            CampaignTarget.objects.filter(
                pk__in=ids,
                status__in=[CampaignTarget.Status.PENDING, CampaignTarget.Status.RETRY],
                next_attempt_at__lte=now,
            ).update(
                status=CampaignTarget.Status.IN_PROGRESS,
                claim_token=claim,
                wait_reason="",
                updated_at=now,
            )
            targets = list(
                CampaignTarget.objects.filter(
                    campaign=campaign, claim_token=claim, status=CampaignTarget.Status.IN_PROGRESS
                )
            )
            if not targets:
                return []
            existing = {
                (attempt.target_id, attempt.attempt): attempt
                for attempt in CampaignAttempt.objects.filter(
                    target_id__in=[target.pk for target in targets]
                )
            }
            new, reuse = [], []
            for target in targets:
                number = target.attempts + 1
                attempt = existing.get((target.pk, number))
                if attempt is None:
                    attempt = CampaignAttempt(
                        campaign=campaign,
                        target=target,
                        number=target.number,
                        attempt=number,
                        reference_id=attempt_reference(
                            campaign.pk, campaign.run, target.pk, number
                        ),
                        status=CampaignAttempt.Status.DIALING,
                        created_at=now,
                        dialed_at=now,
                        updated_at=now,
                    )
                    new.append(attempt)
                elif attempt.status in (
                    CampaignAttempt.Status.QUEUED,
                    CampaignAttempt.Status.DIALING,
                ):
                    reuse.append(attempt.pk)
                    attempt.status = CampaignAttempt.Status.DIALING
                else:
                    self.adopt(target, attempt, now)
                    continue
                jobs.append((attempt, target))
            CampaignAttempt.objects.bulk_create(new)
            if reuse:
                CampaignAttempt.objects.filter(pk__in=reuse).update(
                    status=CampaignAttempt.Status.DIALING, dialed_at=now, updated_at=now
                )
        return jobs

    def adopt(self, target, attempt, now):
        """The attempt was already sent and answered (a crash between recording it and
        moving its target): bring the target in line instead of dialling again."""
        from campaigns.models import CampaignAttempt, CampaignTarget

        CampaignTarget.objects.filter(pk=target.pk).update(attempts=attempt.attempt)
        if attempt.status == CampaignAttempt.Status.PLACED:
            return
        if attempt.status in (CampaignAttempt.Status.REJECTED, CampaignAttempt.Status.UNKNOWN):
            CampaignTarget.objects.filter(pk=target.pk).update(
                status=CampaignTarget.Status.FAILED, last_status=attempt.status, claim_token=""
            )
            return
        settle_target(target.pk, attempt.attempt, attempt.status, campaign=self.campaign, now=now)

    def skip_dnd(self, ids, now):
        from campaigns.models import CampaignAttempt, CampaignTarget

        with transaction.atomic():
            CampaignTarget.objects.filter(
                pk__in=ids, status__in=[CampaignTarget.Status.PENDING, CampaignTarget.Status.RETRY]
            ).update(
                status=CampaignTarget.Status.DND,
                next_attempt_at=None,
                last_error="Added to a DND list during the run; not dialed again.",
                updated_at=now,
            )
            CampaignAttempt.objects.filter(
                target_id__in=ids, status=CampaignAttempt.Status.QUEUED
            ).update(
                status=CampaignAttempt.Status.CANCELLED,
                error="Not sent again: the number was added to a DND list.",
                updated_at=now,
            )

    # -- dialing

    def dispatch(self, jobs):
        if self.threads == 1:
            for attempt, target in jobs:
                self.dial(attempt, target)
            return
        if self.pool is None:
            self.pool = DialPool(self.threads)
        for attempt, target in jobs:
            self.pool.submit(self.dial, attempt, target)

    def dial(self, attempt, target):
        """Send one call and record what the vendor said (in a pool thread or inline)."""
        if self.halted:
            # Claimed before the vendor paused the campaign: never sent, so its own
            # reference id stays, and it waits for the resume like the rest.
            put_back(
                attempt,
                "Not sent: the vendor paused the campaign.",
                due_at=timezone.now(),
                refused=False,
            )
            return
        try:
            placed = self.dialer.dial(target, attempt.reference_id)
        except NotSent as exc:
            self.failed(attempt, exc.error, sent=False, target=target)
        except (VendorError, InvalidRequest) as exc:
            self.failed(attempt, exc, sent=True, target=target)
        else:
            self.placed(attempt, placed.vendor_call_id, "")

    def failed(self, attempt, exc, *, sent: bool, target=None):
        """What a vendor error means for the campaign, by whom it is about (the vendor's
        error table, telephony/vendors/<vendor>/errors.py): the account or campaign
        pauses it and consumes nothing; a contact fails (or waits for its next day);
        anything else is tried again."""
        if isinstance(exc, DuplicateReference):
            # Only this attempt ever carries this id: the vendor has it, so it was placed.
            self.placed(attempt, "", f"The vendor already had this reference id: {exc.message}")
        elif isinstance(exc, InvalidRequest):
            if campaign_problem(exc):
                self.pause(
                    attempt,
                    f"Dialdesk cannot send this campaign's calls: {exc}",
                    "Fix the campaign (or the vendor account's settings), then resume.",
                    by="setup",
                )
            else:
                self.reject(attempt, str(exc))
        elif exc.fault == Fault.ACCOUNT:
            self.pause(attempt, exc.message, exc.hint)
        elif exc.next_day and exc.fault == Fault.CONTACT:
            self.defer_to_next_day(attempt, target, exc)
        elif isinstance(exc, RateLimited):
            wait = exc.retry_after or RATE_LIMIT_BACKOFF_SECONDS
            self.block("The vendor is rate limiting us.", wait)
            self.requeue(attempt, f"Rate limited: {exc.message}", wait)
        elif isinstance(exc, Rejected) and exc.fault == Fault.CONTACT:
            self.reject(attempt, exc.message)
        elif sent and lost_answer(exc):
            self.lost(attempt, exc.message)
        else:
            self.requeue(attempt, f"The vendor failed: {exc.message}", SERVER_ERROR_BACKOFF_SECONDS)

    def pause(self, attempt, words: str, hint: str, *, by: str = "vendor"):
        """The account or the campaign is refused: the attempt goes back unconsumed and
        the campaign pauses with the vendor's words; Resume sends it again, once."""
        self.halted = True
        self.stopped = True
        refused = by == "vendor"
        put_back(
            attempt,
            f"{'Refused by the vendor' if refused else 'Not sent'}, sent again on resume: {words}",
            due_at=timezone.now(),
            refused=refused,
        )
        self.campaign.pause_for_vendor(words, hint, by=by)

    def defer_to_next_day(self, attempt, target, exc):
        """The vendor's daily limit for this number: it waits for its own next local day;
        the other numbers dial on."""
        zone_name = self.effective_zone(target.time_zone if target is not None else "")
        defer_to_next_day(attempt, zone_name, exc.message)

    def block(self, reason: str, seconds: float):
        self.block_reason = reason
        self.blocked_until = timezone.now() + timedelta(seconds=seconds)

    def placed(self, attempt, vendor_call_id: str, note: str):
        mark_placed(attempt, vendor_call_id, note)

    def reject(self, attempt, words: str):
        mark_rejected(attempt, words)

    def requeue(self, attempt, words: str, seconds: float):
        requeue_attempt(attempt, words, seconds)

    def lost(self, attempt, words: str):
        mark_lost(attempt, words, resend=self.dialer.resends_lost_requests)

    # -- words

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
