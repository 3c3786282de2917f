"""What the campaign page shows while a campaign runs: the pace achieved against the
target, why a campaign that should be dialing is not, the recent attempts, and the
funnel as bar segments. Campaign inherits this mixin; every method reads, none writes."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Min, Q
from django.utils import timezone

# A campaign that dialed within this many pace intervals counts as dialing.
IDLE_AFTER_INTERVALS = 2
# ...but never less than this: the runner works in ticks, so at 6,000 calls per minute
# two intervals (20 ms) would call every page load idle.
IDLE_AFTER_MIN = timedelta(seconds=10)
NO_WORKER = "No worker is running: start one with `make run` (or manage.py qcluster)."
RECENT_ATTEMPTS = 20

# Attempt status -> Bootstrap tone of its badge.
ATTEMPT_TONES = {
    "queued": "secondary",
    "dialing": "primary",
    "placed": "primary",
    "answered": "success",
    "busy": "warning",
    "no_answer": "warning",
    "cancelled": "warning",
    "voicemail": "warning",
    "failed": "danger",
    "congestion": "danger",
    "unavailable": "danger",
    "dnd_blocked": "danger",
    "rejected": "danger",
    "unknown": "secondary",
}
STATE_TONES = {
    "draft": "secondary",
    "scheduled": "info",
    "running": "primary",
    "paused": "warning",
    "stopped": "dark",
    "completed": "success",
    "failed": "danger",
}
# Funnel segments of the progress bar, in the order they are drawn.
FUNNEL_SEGMENTS = (
    ("answered", "Answered", "bg-success"),
    ("failed", "Failed", "bg-danger"),
    ("in_progress", "In progress", "bg-primary progress-bar-striped progress-bar-animated"),
    ("retry", "Retry scheduled", "bg-warning"),
    ("dnd", "DND-skipped", "bg-secondary"),
    ("invalid", "Invalid", "bg-dark"),
)


@dataclass(frozen=True)
class Pace:
    """Calls started (attempts dialed) in the last minute and the last five minutes,
    against the target calls per minute."""

    last_minute: int
    last_five_minutes: int
    target: int

    @property
    def five_minute_rate(self) -> float:
        return round(self.last_five_minutes / 5, 1)

    @property
    def percent(self) -> int | None:
        """The last minute's calls as a percentage of the target."""
        return round(100 * self.last_minute / self.target) if self.target else None


def attempt_tone(status: str) -> str:
    return ATTEMPT_TONES.get(status, "secondary")


def with_tones(attempts) -> list:
    """The attempts, each with `tone` set for its status badge."""
    rows = list(attempts)
    for attempt in rows:
        attempt.tone = attempt_tone(attempt.status)
    return rows


def funnel_segments(funnel: dict) -> list[dict]:
    """The funnel as progress-bar segments: label, count and width in percent."""
    total = funnel.get("total") or 0
    segments = []
    for key, label, css in FUNNEL_SEGMENTS:
        count = funnel.get(key) or 0
        if total and count:
            percent = round(100 * count / total, 2)
            segments.append(
                {
                    "key": key,
                    "label": label,
                    "count": count,
                    "percent": percent,
                    "css": css,
                    "dot": css.split()[0],
                }
            )
    return segments


class CampaignProgress:
    # --- pace ------------------------------------------------------------------------

    @property
    def dial_interval(self) -> timedelta:
        """The time between two calls at the target pace."""
        return timedelta(seconds=60 / max(self.calls_per_minute or 1, 1))

    def pace(self, now: datetime | None = None) -> Pace:
        """Attempts dialed in (now - 60 s, now] and (now - 5 min, now]: one query."""
        now = now or timezone.now()
        minute_ago = now - timedelta(seconds=60)
        counts = self.attempts.filter(
            dialed_at__gt=now - timedelta(minutes=5), dialed_at__lte=now
        ).aggregate(
            five=Count("id"),
            one=Count("id", filter=Q(dialed_at__gt=minute_ago)),
        )
        return Pace(
            last_minute=counts["one"] or 0,
            last_five_minutes=counts["five"] or 0,
            target=self.calls_per_minute or 0,
        )

    def dialed_recently(self, now: datetime | None = None) -> bool:
        now = now or timezone.now()
        if not self.last_dial_at:
            return False
        quiet = max(self.dial_interval * IDLE_AFTER_INTERVALS, IDLE_AFTER_MIN)
        return self.last_dial_at >= now - quiet

    # --- why nothing is dialing --------------------------------------------------------

    def why_idle(self, now: datetime | None = None) -> str:
        """Why a campaign that should be dialing is not, in plain words; '' when it is
        dialing, or when nothing is expected of it (a draft, a finished campaign)."""
        from telephony.models import WorkerHeartbeat

        now = now or timezone.now()
        schedule = self.schedule()
        if self.state == self.State.PAUSED and self.paused_by_vendor:
            when = f" at {schedule.local(self.paused_at)}" if self.paused_at else ""
            said = (
                "The vendor refused the campaign"
                if self.paused_by == self.PausedBy.VENDOR
                else "The campaign cannot be sent"
            )
            return (
                f"{said}{when}: “{self.vendor_error}” No contact was used up: the refused "
                "call is sent again, once, when someone resumes the campaign."
            )
        if self.state == self.State.PAUSED:
            who = self.state_reason.rstrip(".") if self.state_reason else "Paused"
            when = f" at {schedule.local(self.paused_at)}" if self.paused_at else ""
            return f"{who}{when}: no new calls start until someone resumes it."
        if self.state == self.State.SCHEDULED and self.starts_at and now < self.starts_at:
            starts = f"It is scheduled to start at {schedule.local(self.starts_at)}."
            if not WorkerHeartbeat.objects.alive().exists():
                return f"{NO_WORKER} {starts}"
            return schedule.closed_reason(now) or starts
        if self.state not in (self.State.SCHEDULED, self.State.RUNNING):
            return ""
        if self.is_native:
            return self._native_reason()
        if self.dialed_recently(now):
            return ""
        if not WorkerHeartbeat.objects.alive().exists():
            return NO_WORKER
        if self.idle_reason:
            return self.idle_reason
        closed = schedule.closed_reason(now)
        if closed:
            return closed
        return self._waiting_reason(now)

    def _native_reason(self) -> str:
        """The vendor dials a CPaaS campaign, so its own pace says nothing about us;
        what can stall it is our side: no worker to launch and sync it, or the sync's
        note (rate limited, credentials, the vendor's start time). Its status and last
        sync are shown beside this."""
        from telephony.models import WorkerHeartbeat

        if not WorkerHeartbeat.objects.alive().exists():
            return NO_WORKER
        if self.idle_reason:
            return self.idle_reason
        if self.state == self.State.SCHEDULED:
            return (
                "Launching: a worker is pushing the lists to CPaaS and creating the "
                "vendor's campaign."
            )
        return ""

    def _waiting_reason(self, now: datetime) -> str:
        """The engine said nothing and the window is open: read the targets."""
        if self.state == self.State.SCHEDULED or not self.targets_built_at:
            return (
                "Launching: a worker is choosing the contacts to call (eligibility and DND scrub)."
            )
        Status = self.targets.model.Status
        counts = self.targets.aggregate(
            waiting=Count("id", filter=Q(status__in=[Status.PENDING, Status.RETRY])),
            calling=Count("id", filter=Q(status=Status.IN_PROGRESS)),
            next_due=Min("next_attempt_at", filter=Q(status__in=[Status.PENDING, Status.RETRY])),
        )
        schedule = self.schedule()
        if counts["waiting"] and counts["next_due"] and counts["next_due"] > now:
            return (
                "Every remaining contact waits for a retry or its calling hours: the next "
                f"is due at {schedule.local(counts['next_due'])}."
            )
        if not counts["waiting"] and counts["calling"]:
            calls = counts["calling"]
            return (
                f"Waiting for the outcome of {calls} call{'s' if calls != 1 else ''} in progress."
            )
        if not counts["waiting"]:
            return "No contact is left to call; the campaign completes once the engine checks."
        since = f" since {schedule.local(self.last_dial_at)}" if self.last_dial_at else " yet"
        return (
            f"No call has started{since}, and the engine has not said why. "
            "The engine looks at every running campaign each minute; if this lasts, "
            "ask an admin to check the campaign jobs on the Jobs page."
        )

    def waiting_for_vendor_day_limit(self) -> int:
        """Numbers the vendor refused today for its per-number daily limit, waiting for
        their next local day."""
        Target = self.targets.model
        return self.targets.filter(
            status__in=[Target.Status.PENDING, Target.Status.RETRY],
            wait_reason=Target.WaitReason.VENDOR_DAY_LIMIT,
        ).count()

    # --- what the page lists ------------------------------------------------------------

    def recent_attempts(self, limit: int = RECENT_ATTEMPTS) -> list:
        return with_tones(self.attempts.order_by("-pk")[:limit])

    @property
    def state_tone(self) -> str:
        if self.paused_by_vendor:
            return "danger"  # not a person's choice: something must be fixed first
        return STATE_TONES.get(self.state, "secondary")

    @property
    def polls(self) -> bool:
        """The page refreshes itself while something can still change without a click."""
        return self.state in self.ACTIVE_STATES

    @property
    def retry_interval_text(self) -> str:
        seconds = self.retry_interval or 0
        if seconds and seconds % 3600 == 0:
            hours = seconds // 3600
            return f"{hours} hour{'s' if hours != 1 else ''}"
        if seconds and seconds % 60 == 0:
            return f"{seconds // 60} min"
        return f"{seconds} s"

    def schedule_summary(self) -> str:
        """The schedule in words, in the campaign's own time zone."""
        from campaigns.clock import EVERY_DAY, WEEKDAY_NAMES

        schedule = self.schedule()
        if self.is_native:
            bounds = [
                f"from {schedule.local(self.starts_at)}" if self.starts_at else "from its start"
            ]
            if self.ends_at:
                bounds.append(f"until {schedule.local(self.ends_at)}")
            return (
                f"{' '.join(bounds)}. CPaaS dials between a start and an end only: it has no "
                "daily window, weekdays or contact-local calling hours."
            )
        days = sorted(schedule.weekdays)
        if schedule.weekdays == EVERY_DAY:
            day_text = "every day"
        elif days == [0, 1, 2, 3, 4]:
            day_text = "Monday to Friday"
        else:
            day_text = ", ".join(WEEKDAY_NAMES[day][:3] for day in days) or "no day"
        parts = [f"{self.window_start:%H:%M}–{self.window_end:%H:%M} {self.time_zone}, {day_text}"]
        if self.starts_at:
            parts.append(f"from {schedule.local(self.starts_at)}")
        if self.ends_at:
            parts.append(f"until {schedule.local(self.ends_at)}")
        parts.append(
            f"each contact called {self.contact_start:%H:%M}–{self.contact_end:%H:%M} "
            "in their own time zone"
        )
        return "; ".join(parts) + "."
