"""Dialdesk's own dispatch engine for MyOperator OBD and OCA (issue #5).

The jobs that start and restart runners are in jobs.py; this module is the runner: its
loop, pace, dials and what a vendor's answer means. Its claims are in claims.py, its idle
words and waits (and when the campaign completes) in idle.py.

A runner holds a lease on its campaign (runner_token/runner_seen_at, taken by a
conditional UPDATE), so one runner dials a campaign at a time; a killed runner's lease
goes stale and the watchdog starts another. Each loop it:
- reads outcomes of placed calls (OCA call status, MyOperator logs by reference id);
- claims due targets atomically (UPDATE ... WHERE status IN (pending, retry)) inside the
  window, inside each contact's calling hours, under the daily cap and not on a DND
  list, and creates each attempt row (with its derived reference id) in the same
  transaction, before any request;
- dials at calls_per_minute (pace.py: a token bucket on the engine's clock seam whose
  count is exact), in a thread pool when the rate needs more than one request in flight;
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
CAMPAIGN_OUTCOME_POLL_SECONDS (2), CAMPAIGN_NATIVE_SYNC_SECONDS (30: how often a native
campaign's runner syncs it), CAMPAIGN_DIALING_STALE_SECONDS (request timeouts + 30 s),
CAMPAIGN_OUTCOME_GIVE_UP_SECONDS (6 h), CAMPAIGN_DAILY_CAP (3), CAMPAIGN_RECORD_BATCH (True:
the calls a loop placed are recorded together, outcomes.mark_placed_many; False: each in
its own transaction, as before, for comparing the two in bench/campaign_bench.py)."""

import logging
import math
import threading
import uuid
from datetime import timedelta

from django.utils import timezone

from campaigns import clock
from telephony.vendors.base import (
    Fault,
    InvalidRequest,
    RateLimited,
    Rejected,
    VendorError,
)
from telephony.vendors.myoperator.errors import DuplicateReference

from .claims import Claims
from .dialers import DialPool, NotSent, campaign_problem, dialer_for, lost_answer
from .idle import Idle, hold_seconds, knob
from .outcomes import (
    defer_to_next_day,
    give_up_on_silent_calls,
    mark_lost,
    mark_placed,
    mark_placed_many,
    mark_rejected,
    poll_outcomes,
    put_back,
    read_outcomes,
    recover_stale_dialing,
    requeue_attempt,
    waiting_attempts,
)
from .pace import Pace
from .targets import build_targets

logger = logging.getLogger("campaigns.engine")

RATE_LIMIT_BACKOFF_SECONDS = 15
SERVER_ERROR_BACKOFF_SECONDS = 5


def sync_mode() -> bool:
    from django_q.conf import Conf

    return bool(Conf.SYNC)


def _campaign(campaign_id):
    from campaigns.models import Campaign

    return Campaign.objects.select_related("account").filter(pk=campaign_id).first()


# --- the runner ------------------------------------------------------------------------------


class Runner(Claims, Idle):
    """Dials one campaign. `run(budget)` is the job; `step()` is one loop, callable on its
    own (it takes the lease first) so tests drive the engine without a cluster."""

    def __init__(self, campaign, *, token: str | None = None):
        self.campaign = _campaign(campaign.pk)
        self.token = token or str(uuid.uuid4())
        self.dialer = dialer_for(self.campaign)
        self.schedule = self.campaign.schedule()
        last = self.campaign.last_dial_at
        since = None if last is None else (timezone.now() - last).total_seconds()
        self.pace = Pace(self.campaign.calls_per_minute, since_last_dial=since)
        self.rate = self.pace.rate  # calls per second
        self.burst = self.pace.burst
        latency = float(knob("CAMPAIGN_DIAL_LATENCY", 0.3))
        cap = int(knob("CAMPAIGN_DIAL_THREADS", 32))
        self.threads = max(1, min(cap, math.ceil(self.rate * latency * 1.5)))
        self.pool = None
        self.poll_pool = None
        # Calls the vendor accepted, recorded together once a loop (mark_placed_many).
        self.accepted = []
        self.accepted_lock = threading.Lock()
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
        deadline = clock.monotonic() + budget
        hold = hold_seconds()
        try:
            while True:
                started = self.step()
                if self.finished or self.stopped or clock.monotonic() >= deadline:
                    break
                if not started:
                    wait = self.waiting_for()
                    if wait is not None and wait > hold:
                        # Nothing to do for a while: give the worker back (jobs.py
                        # schedules the next runner for then).
                        self.wake_at = timezone.now() + timedelta(seconds=wait)
                        break
                clock.sleep(self.pause_seconds())
        finally:
            self.close()
        words = f"dialed {self.dialed}" + (", finished" if self.finished else "")
        if self.wake_at is not None:
            words += f", nothing due before {self.wake_at:%Y-%m-%d %H:%M:%S} UTC"
        return words

    def pause_seconds(self) -> float:
        """Sleep until the next call is due (at most a second, at least 50 ms)."""
        return min(1.0, max(0.05, self.pace.wait()))

    @property
    def tokens(self) -> float:
        """Calls that may go now (with the fraction)."""
        return self.pace.available()

    def close(self):
        if self.pool is not None:
            self.pool.shutdown()  # every call sent is recorded before the lease goes
            self.pool = None
        self.record_accepted()
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
        self.record_accepted()
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
            self.pace.spend(len(jobs))
            self.dispatch(jobs)
            self.dialed += len(jobs)
            self.note_dialing()
            return len(jobs)
        if not self.finish_when_quiet() and self.explain_due():
            self.explain_idle(now)
        return 0

    def explain_due(self) -> bool:
        """Work out the idle words at most every few seconds (they scan the targets)."""
        moment = clock.monotonic()
        if self.last_explained is not None and moment - self.last_explained < 5:
            return False
        self.last_explained = moment
        return True

    def capacity(self) -> int:
        room = self.pace.room()
        if self.threads > 1:
            in_flight = self.pool.in_flight if self.pool else 0
            room = min(room, self.threads * 2 - in_flight)
        return room

    def read_outcomes(self, force: bool = False) -> int:
        """Read outcomes every CAMPAIGN_OUTCOME_POLL_SECONDS: inline at low rates; at
        high rates in a pool of its own, so the dialing loop never waits on it."""
        moment = clock.monotonic()
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

    # -- dialing

    def dispatch(self, jobs):
        if self.threads == 1:
            for attempt, target in jobs:
                self.dial(attempt, target)
            self.record_accepted()
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
            placed = self.dialer.dial(target, attempt.reference_id, caller_id=attempt.caller_id)
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
        if note or not knob("CAMPAIGN_RECORD_BATCH", True):
            mark_placed(attempt, vendor_call_id, note)  # a repeat reference id: rare
            return
        with self.accepted_lock:
            self.accepted.append((attempt, vendor_call_id, note))

    def record_accepted(self):
        """Record the calls accepted since the last loop, in a few statements."""
        with self.accepted_lock:
            accepted, self.accepted = self.accepted, []
        mark_placed_many(accepted)

    def reject(self, attempt, words: str):
        mark_rejected(attempt, words)

    def requeue(self, attempt, words: str, seconds: float):
        requeue_attempt(attempt, words, seconds)

    def lost(self, attempt, words: str):
        mark_lost(attempt, words, resend=self.dialer.resends_lost_requests)
