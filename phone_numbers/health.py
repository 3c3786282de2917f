"""Caller-id health from the CDR rollups (never from CallRecord rows): per number over 1,
7 and 30 days, calls, ASR, ACD, short-call %, the statuses that hint at blocking, and the
trend of ASR against the number's own 30-day baseline. The rules below turn those
figures into PhoneNumber.health_flag, the one field the engine reads.

Definitions are ITU-T's, as in DESIGN.md: ASR = answered / calls, ACD = billable
seconds / answered, short-call % = short calls / answered.
"""

from dataclasses import dataclass, field
from datetime import timedelta

import phonenumbers
from django.conf import settings
from django.db.models import Case, F, Max, Q, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from telephony.models.cdr import BUCKET_SECONDS, CallRollup, bucket_of

from .models import PhoneNumber

WINDOWS = (1, 7, 30)
BLOCKING_STATUSES = ("failed", "congestion", "unavailable")
MEASURES = ("calls", "answered", "billable_seconds", "short_calls")

# The rules; settings.NUMBER_HEALTH overrides any of them.
DEFAULT_RULES = {
    # Judge only numbers with at least this many calls in the window.
    "min_calls": 20,
    # The window the rules read (days; one of WINDOWS).
    "window_days": 7,
    # Flag when ASR over the window is below this share of calls…
    "asr_below": 0.15,
    # …or below this share of the number's own 30-day ASR.
    "baseline_share": 0.5,
    # Bought or added this many days ago and never used since: listed as idle.
    "unused_days": 30,
}


def rules() -> dict:
    return {**DEFAULT_RULES, **getattr(settings, "NUMBER_HEALTH", {})}


def _ratio(part, whole):
    return part / whole if whole else None


def percent(value) -> str:
    return "—" if value is None else f"{value:.0%}"


def points(value) -> str:
    """A change of a share, in percentage points ("+4 pts", "−12 pts")."""
    if value is None:
        return "—"
    number = round(value * 100)
    return f"{'+' if number > 0 else '−' if number < 0 else '±'}{abs(number)} pts"


@dataclass
class Figures:
    calls: int = 0
    answered: int = 0
    billable_seconds: int = 0
    short_calls: int = 0
    blocking: dict = field(default_factory=lambda: dict.fromkeys(BLOCKING_STATUSES, 0))

    @property
    def asr(self):
        return _ratio(self.answered, self.calls)

    @property
    def acd(self):
        return _ratio(self.billable_seconds, self.answered)

    @property
    def short_share(self):
        return _ratio(self.short_calls, self.answered)

    @property
    def asr_text(self) -> str:
        return percent(self.asr)

    @property
    def short_text(self) -> str:
        return percent(self.short_share)

    @property
    def acd_text(self) -> str:
        acd = self.acd
        if acd is None:
            return "—"
        minutes, seconds = divmod(round(acd), 60)
        return f"{minutes}:{seconds:02d}"

    @property
    def blocking_text(self) -> str:
        return percent(self.blocking_share)

    def as_json(self) -> dict:
        return {name: getattr(self, name) for name in MEASURES} | {"blocking": self.blocking}

    @classmethod
    def from_json(cls, data) -> "Figures":
        data = data if isinstance(data, dict) else {}
        figures = cls(**{name: int(data.get(name) or 0) for name in MEASURES})
        blocking = data.get("blocking") if isinstance(data.get("blocking"), dict) else {}
        figures.blocking = {status: int(blocking.get(status) or 0) for status in BLOCKING_STATUSES}
        return figures

    @property
    def blocking_total(self) -> int:
        return sum(self.blocking.values())

    @property
    def blocking_share(self):
        return _ratio(self.blocking_total, self.calls)


@dataclass
class Health:
    """One number's figures per window (days -> Figures) and its trend."""

    windows: dict
    last_used: object = None  # the latest bucket with a call in the last 30 days

    def as_json(self) -> dict:
        """{} for a number without calls in 30 days: most of an inventory, written never."""
        if not self.month.calls:
            return {}
        return {str(days): self.windows[days].as_json() for days in WINDOWS}

    @classmethod
    def from_json(cls, data) -> "Health":
        """The figures the health job stored on a number (empty before its first run)."""
        data = data if isinstance(data, dict) else {}
        return cls({days: Figures.from_json(data.get(str(days))) for days in WINDOWS})

    def __getitem__(self, days) -> Figures:
        return self.windows[days]

    @property
    def day(self) -> Figures:
        return self.windows[1]

    @property
    def week(self) -> Figures:
        return self.windows[7]

    @property
    def month(self) -> Figures:
        return self.windows[30]

    def trend(self, days: int):
        """ASR over `days` minus the 30-day baseline ASR (a share; None without calls)."""
        recent, baseline = self.windows[days].asr, self.month.asr
        if recent is None or baseline is None:
            return None
        return recent - baseline

    @property
    def trend_day(self):
        return self.trend(1)

    @property
    def trend_week(self):
        return self.trend(7)

    @property
    def trend_day_text(self) -> str:
        return points(self.trend_day)

    @property
    def trend_week_text(self) -> str:
        return points(self.trend_week)

    @property
    def rows(self) -> list[tuple[str, Figures]]:
        return [
            ("Last 24 hours", self.day),
            ("Last 7 days", self.week),
            ("Last 30 days", self.month),
        ]

    def flag(self, config: dict | None = None) -> str:
        """Why the rules flag this number, or "" when they do not."""
        config = config or rules()
        figures = self.windows[config["window_days"]]
        if figures.calls < config["min_calls"]:
            return ""
        asr = figures.asr or 0.0
        if asr < config["asr_below"]:
            return (
                f"ASR {asr:.0%} over {config['window_days']} days is below "
                f"{config['asr_below']:.0%} ({figures.answered} of {figures.calls} answered)"
            )
        baseline = self.month.asr
        if baseline and asr < baseline * config["baseline_share"]:
            return (
                f"ASR {asr:.0%} over {config['window_days']} days is below "
                f"{config['baseline_share']:.0%} of its 30-day {baseline:.0%}"
            )
        return ""


def window_end(now=None):
    """The end of the current 15-minute bucket: every window ends there."""
    now = now or timezone.now()
    return bucket_of(now) + timedelta(seconds=BUCKET_SECONDS)


def _caller_keys(number: str) -> tuple[str, ...]:
    """Rollups carry the caller id as the ingest stored it: E.164, digits without "+", or
    the national form with its trunk 0 (OCA's from_number: "02184788101" for
    +622184788101). Keys are matched per account, so a national form is not ambiguous."""
    keys = [number, number.lstrip("+")]
    try:
        parsed = phonenumbers.parse(number)
    except phonenumbers.NumberParseException:
        return tuple(keys)
    national = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
    digits = "".join(ch for ch in national if ch.isdigit())
    if digits and digits not in keys:
        keys.append(digits)
    return tuple(keys)


def figures_for(numbers, now=None) -> dict[int, Health]:
    """{PhoneNumber id: Health} for `numbers` (PhoneNumber rows), in one rollup query."""
    numbers = list(numbers)
    end = window_end(now)
    starts = {days: end - timedelta(days=days) for days in WINDOWS}
    by_key = {}
    for number in numbers:
        for key in _caller_keys(number.number):
            by_key[(number.account_id, key)] = number.pk
    result = {number.pk: Health({days: Figures() for days in WINDOWS}) for number in numbers}
    if not numbers:
        return result
    aggregates = {}
    for days, start in starts.items():
        for name in MEASURES:
            aggregates[f"{name}_{days}"] = Coalesce(
                Sum(Case(When(bucket__gte=start, then=F(name)), default=Value(0))), Value(0)
            )
        for status in BLOCKING_STATUSES:
            aggregates[f"{status}_{days}"] = Coalesce(
                Sum(
                    Case(
                        When(bucket__gte=start, status=status, then=F("calls")),
                        default=Value(0),
                    )
                ),
                Value(0),
            )
    rows = (
        CallRollup.objects.window(
            starts[30],
            end,
            account=sorted({number.account_id for number in numbers}),
            caller_id=sorted({key for _, key in by_key}),
        )
        .order_by()
        .values("account_id", "caller_id")
        .annotate(**aggregates, last_used=Max(Case(When(calls__gt=0, then=F("bucket")))))
    )
    for row in rows:
        pk = by_key.get((row["account_id"], row["caller_id"]))
        if pk is None:
            continue
        last_used = result[pk].last_used
        if row["last_used"] is not None and (last_used is None or row["last_used"] > last_used):
            result[pk].last_used = row["last_used"]
        for days in WINDOWS:
            figures = result[pk].windows[days]
            for name in MEASURES:
                setattr(figures, name, getattr(figures, name) + int(row[f"{name}_{days}"]))
            for status in BLOCKING_STATUSES:
                figures.blocking[status] += int(row[f"{status}_{days}"])
    return result


def apply_rules(batch_size: int = 500, now=None) -> tuple[int, int]:
    """The health job: for every number, store its figures (what the health page shows),
    move last_used_at on, and set or clear health_flag by the rules. Returns (flagged,
    cleared). A number's row is written only when its figures, flag or last use changed;
    health_checked_at (when the figures were confirmed) moves in one UPDATE a batch."""
    config = rules()
    flagged = cleared = 0
    last = 0
    checked = timezone.now()
    while True:
        batch = list(PhoneNumber.objects.filter(pk__gt=last).order_by("pk")[:batch_size])
        if not batch:
            break
        last = batch[-1].pk
        health = figures_for(batch, now)
        for number in batch:
            changes = {}
            figures = health[number.pk].as_json()
            if figures != number.health_figures:
                changes["health_figures"] = figures
            flag = health[number.pk].flag(config)[:200]
            if flag != number.health_flag:
                changes["health_flag"] = flag
                if flag:
                    flagged += 1
                else:
                    cleared += 1
            used = health[number.pk].last_used
            if used is not None and (number.last_used_at is None or used > number.last_used_at):
                changes["last_used_at"] = used
            if changes:
                PhoneNumber.objects.filter(pk=number.pk).update(**changes)
        PhoneNumber.objects.filter(pk__in=[number.pk for number in batch]).update(
            health_checked_at=checked
        )
    return flagged, cleared


def unused(queryset=None, now=None):
    """Numbers held at least `unused_days` (by acquired_at) with no call in that time, by
    last_used_at, which the health job keeps (so the list is as fresh as its last run)."""
    start = window_end(now) - timedelta(days=rules()["unused_days"])
    numbers = PhoneNumber.objects.all() if queryset is None else queryset
    return numbers.filter(acquired_at__lte=start).filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lt=start)
    )
