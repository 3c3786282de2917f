"""The runner's pace: calls_per_minute as a token bucket whose count is exact (issue 15,
section 2).

Over any stretch of a run, the calls sent are the rate times its length (within one
call): the opening may send up to a second of calls at once, but that second is
borrowed, not given. The bucket used to open full (a second of calls) *and* refill from
the same instant, so the opening second was sent twice: every window measured from the
start held rate x W + (rate - 1) calls, +3.0% over 30 s at 600 a minute (309 for 300),
+6.6% over 15 s at 6,000, and exactly the target at 60 (one call: the fencepost).
Now the refill starts only once the opening is paid for.

A runner hands over every budget (CAMPAIGN_RUNNER_SECONDS): the next one carries on the
same schedule from the campaign's last dial (the calls the time since it earned, made
up at most a burst per loop) instead of restarting it, so the gap between two runners
(a queue's poll, a second or two) is made up, not lost. It used to start with nothing
when the last dial was under 2 s old, losing up to 2 s of calls at every hand-over. A
runner that comes more than HANDOVER_SECONDS after the last dial (a resume, a wake-up)
makes a new opening, unless the time has not yet earned its next call.

Time comes from campaigns.clock.monotonic, the engine's clock seam, so tests run the
pace on a simulated clock."""

import math

from campaigns import clock

# A runner that starts within this many seconds of the campaign's last dial is a
# hand-over: it makes up the gap.
HANDOVER_SECONDS = 5.0


class Pace:
    def __init__(self, calls_per_minute: int, *, since_last_dial: float | None = None):
        self.rate = max(calls_per_minute, 1) / 60.0  # calls per second
        # Up to a second of calls may go at once, so a loop that wakes a little late
        # catches up instead of losing the time; below 60 a minute, one call at a time.
        # Half a call of slack below that keeps a late wake-up's time without ever
        # letting two calls go together.
        self.burst = max(1.5, self.rate)
        # The opening: a second of calls at once (one below 60 a minute: a slow campaign
        # must not ring two people in the same second).
        self.opening = max(1, math.floor(self.rate))
        now = clock.monotonic()
        earned = None if since_last_dial is None else max(0.0, since_last_dial) * self.rate
        if earned is None or (earned >= self.opening and since_last_dial > HANDOVER_SECONDS):
            # A fresh start: the opening goes now and the refill waits until it is
            # paid for, (opening - 1) calls' time from now.
            self.tokens = float(self.opening)
            self.refilled = now + (self.opening - 1) / self.rate
        else:
            # The runner before this one dialed a moment ago: carry on its schedule (a
            # runner woken a little early for its next call waits for the rest; one
            # that came after a hand-over's gap makes up the calls it missed).
            self.tokens = earned
            self.refilled = now

    def _refill(self, moment: float) -> float:
        if moment <= self.refilled:
            return self.tokens
        # Never above a burst, but a hand-over's credit above it is kept until spent.
        ceiling = max(self.burst, self.tokens)
        return min(ceiling, self.tokens + (moment - self.refilled) * self.rate)

    def room(self) -> int:
        """Whole calls that may go now (at most a burst in one loop)."""
        moment = clock.monotonic()
        self.tokens = self._refill(moment)
        self.refilled = max(self.refilled, moment)
        return min(int(self.tokens), max(1, int(self.burst)))

    def spend(self, calls: int):
        self.tokens -= calls

    def available(self) -> float:
        """Calls (with the fraction) that may go now, without spending."""
        return self._refill(clock.monotonic())

    def wait(self) -> float:
        """Seconds until a whole call may go."""
        moment = clock.monotonic()
        tokens = self._refill(moment)
        if tokens >= 1.0:
            return 0.0
        ahead = max(0.0, self.refilled - moment)  # the opening still being paid for
        return ahead + (1.0 - tokens) / self.rate
