"""What the campaign page shows while a campaign runs: the pace achieved against the
target, why a campaign that should be dialing is not, the recent attempts, and the
funnel as bar segments. Campaign inherits this mixin; every method reads, none writes."""

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Min, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
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
# The funnel's parts: every target is in exactly one, so they add up to the total. The
# words are the page's, and say what each part means (a target the build set aside as
# "invalid" is a number this vendor cannot call, not a bad row).
FUNNEL_PARTS = {
    "pending": "Waiting to dial",
    "retry": "Retry scheduled",
    "in_progress": "In progress",
    "answered": "Answered",
    "failed": "Failed",
    "dnd": "DND-skipped",
    "invalid": "Not callable on this vendor",
}
# Parts that still need a dial, or an outcome.
TO_DIAL = ("pending", "retry")
OPEN_PARTS = ("pending", "retry", "in_progress")
# Funnel segments of the progress bar, in the order they are drawn.
FUNNEL_SEGMENTS = (
    ("answered", "bg-success"),
    ("failed", "bg-danger"),
    ("in_progress", "bg-primary progress-bar-striped progress-bar-animated"),
    ("retry", "bg-warning"),
    ("dnd", "bg-secondary"),
    ("invalid", "bg-info"),
)
# The engine writes its idle words once, with instants in the campaign's zone
# (clock.Schedule.local: "2026-11-24 17:00 Asia/Kolkata"); the page says them again in
# the viewer's zone, like every other time on it.
LOCAL_INSTANT_RE = re.compile(r"(\d{4}-\d{2}-\d{2} \d{2}:\d{2}) ([A-Za-z_]+(?:/[A-Za-z0-9_+\-]+)*)")
# The engine's note on a target it set aside for the daily cap of attempts per number.
DAILY_CAP_NOTE = "Reached the daily cap"


def viewer_local(instant: datetime) -> str:
    """An instant in the viewer's zone (the active time zone: the user's profile), with
    the zone's name, as every time on the campaign page is said."""
    return f"{timezone.localtime(instant):%Y-%m-%d %H:%M} {timezone.get_current_timezone_name()}"


def in_viewer_zone(words: str) -> str:
    """`words` with each "YYYY-MM-DD HH:MM <zone>" instant said in the viewer's zone."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    def say(match):
        try:
            zone = ZoneInfo(match.group(2))
        except (ZoneInfoNotFoundError, ValueError):
            return match.group(0)
        local = datetime.strptime(match.group(1), "%Y-%m-%d %H:%M").replace(tzinfo=zone)
        return viewer_local(local)

    return LOCAL_INSTANT_RE.sub(say, words or "")


def target_funnel(targets) -> dict:
    """The one definition of a campaign's figures, from its targets in one grouped query:
    each part (FUNNEL_PARTS) and failures by last outcome; the sums the page and the
    index show are made here from the parts, so they always add up."""
    counts = dict.fromkeys(FUNNEL_PARTS, 0)
    failed_by = {}
    rows = targets.values("status", "last_status").annotate(n=Count("id")).order_by()
    for row in rows:
        counts[row["status"]] = counts.get(row["status"], 0) + row["n"]
        if row["status"] == "failed":
            reason = row["last_status"] or "unknown"
            failed_by[reason] = failed_by.get(reason, 0) + row["n"]
    return funnel_sums(counts, failed_by)


def funnel_sums(counts: dict, failed_by: dict | None = None) -> dict:
    total = sum(counts.values())
    done = counts["answered"] + counts["failed"]
    finished = total - sum(counts[key] for key in OPEN_PARTS)
    return {
        "total": total,
        **counts,
        "failed_by": dict(sorted((failed_by or {}).items(), key=lambda item: -item[1])),
        # dialed with an outcome; the answer rate is of these
        "done": done,
        "to_dial": sum(counts[key] for key in TO_DIAL),
        "set_aside": counts["dnd"] + counts["invalid"],
        # answered, failed or set aside: nothing more will happen to it
        "finished": finished,
        "finished_percent": round(100 * finished / total) if total else 0,
        "answer_rate": round(100 * counts["answered"] / done) if done else None,
    }


def progress_annotations(target_model) -> dict:
    """The index's columns as annotations (a subquery each, so a join made by a search
    cannot multiply them): targets, finished ones, dialed ones and answered ones."""

    def count(**filters):
        rows = (
            target_model.objects.filter(campaign=OuterRef("pk"), **filters)
            .order_by()
            .values("campaign")
            .annotate(n=Count("id"))
            .values("n")
        )
        return Coalesce(Subquery(rows), Value(0))

    return {
        "target_count": count(),
        "finished_count": count(status__in=["answered", "failed", "dnd", "invalid"]),
        "done_count": count(status__in=["answered", "failed"]),
        "answered_count": count(status="answered"),
    }


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
    for key, css in FUNNEL_SEGMENTS:
        label = FUNNEL_PARTS[key]
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
        """Why a campaign that should be dialing is not, in plain words, with every time
        in the viewer's zone; '' when it is dialing, or when nothing is expected of it (a
        draft, a finished campaign)."""
        from telephony.models import WorkerHeartbeat

        now = now or timezone.now()
        if self.state == self.State.PAUSED and self.paused_by_vendor:
            when = f" at {viewer_local(self.paused_at)}" if self.paused_at else ""
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
            when = f" at {viewer_local(self.paused_at)}" if self.paused_at else ""
            return f"{who}{when}: no new calls start until someone resumes it."
        if self.state == self.State.SCHEDULED and self.starts_at and now < self.starts_at:
            starts = f"It is scheduled to start at {viewer_local(self.starts_at)}."
            if not WorkerHeartbeat.objects.alive().exists():
                return f"{NO_WORKER} {starts}"
            return self.closed_reason(now) or starts
        if self.state not in (self.State.SCHEDULED, self.State.RUNNING):
            return ""
        if self.is_native:
            return in_viewer_zone(self._native_reason())
        if self.dialed_recently(now):
            return ""
        if not WorkerHeartbeat.objects.alive().exists():
            return NO_WORKER
        closed = self.closed_reason(now)
        if closed:
            return closed
        if self.state == self.State.SCHEDULED or not self.targets_built_at:
            return (
                "Launching: a worker is choosing the contacts to call (eligibility and DND scrub)."
            )
        waits = self.waits(now)
        if waits["waiting"] and not waits["due"]:
            return self.waiting_reason(waits)
        if self.idle_reason:
            return in_viewer_zone(self.idle_reason)
        return self._idle_reason_from(waits)

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

    def closed_reason(self, now: datetime) -> str:
        """The schedule's window, closed at `now`: until when, in the viewer's zone (the
        window itself is the campaign's, in its zone, under Settings)."""
        shown_in = timezone.get_current_timezone()
        return self.schedule().closed_reason(now, shown_in=shown_in) or ""

    def waits(self, now: datetime) -> dict:
        """The targets still to dial, by what they wait for: one query."""
        Target = self.targets.model
        to_dial = Q(status__in=[Target.Status.PENDING, Target.Status.RETRY])
        later = to_dial & Q(next_attempt_at__gt=now)
        day_limit = Q(wait_reason=Target.WaitReason.VENDOR_DAY_LIMIT)
        cap = Q(last_error__startswith=DAILY_CAP_NOTE) & ~day_limit
        retry = Q(status=Target.Status.RETRY) & ~day_limit & ~cap
        resend = Q(status=Target.Status.PENDING) & ~day_limit & ~cap
        groups = {"day_limit": day_limit, "cap": cap, "retry": retry, "resend": resend}
        aggregates = {
            "waiting": Count("id", filter=to_dial),
            "due": Count("id", filter=to_dial & ~Q(next_attempt_at__gt=now)),
            "calling": Count("id", filter=Q(status=Target.Status.IN_PROGRESS)),
        }
        for key, q in groups.items():
            aggregates[key] = Count("id", filter=later & q)
            aggregates[f"{key}_next"] = Min("next_attempt_at", filter=later & q)
        return self.targets.aggregate(**aggregates)

    # Why a target that is not due yet waits, in the order the page names them.
    WAIT_WORDS = (
        ("retry", "a retry after an unanswered call"),
        ("cap", "the daily cap of attempts per number (its next local day)"),
        ("day_limit", "the vendor's daily limit of calls to one number (its next local day)"),
        ("resend", "being sent again after a vendor error"),
    )

    def waiting_reason(self, waits: dict) -> str:
        """Every remaining contact waits, none is due: each reason named, with how many
        and when the first is due, in the viewer's zone."""
        parts = []
        for key, words in self.WAIT_WORDS:
            if waits[key]:
                next_at = viewer_local(waits[f"{key}_next"])
                parts.append(f"{waits[key]:,} for {words}, next at {next_at}")
        first = min(waits[f"{key}_next"] for key, _ in self.WAIT_WORDS if waits[key])
        calling = waits["calling"]
        meanwhile = (
            f"{calling:,} call{'s are' if calling != 1 else ' is'} in progress, and "
            if calling
            else ""
        )
        words = (
            f"{meanwhile}every remaining contact waits: {'; '.join(parts)}; the next is "
            f"due at {viewer_local(first)}."
        )
        return words[0].upper() + words[1:]

    def _idle_reason_from(self, waits: dict) -> str:
        """The engine said nothing and the window is open: read the targets."""
        if not waits["waiting"] and waits["calling"]:
            calls = waits["calling"]
            return (
                f"Waiting for the outcome of {calls} call{'s' if calls != 1 else ''} in progress."
            )
        if not waits["waiting"]:
            return "No contact is left to call; the campaign completes once the engine checks."
        since = f" since {viewer_local(self.last_dial_at)}" if self.last_dial_at else " yet"
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
        """The latest attempts, newest first by the time shown beside them (when dialed,
        else when created), as the attempts page orders them."""
        return with_tones(self.attempts.in_time_order()[:limit])

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
