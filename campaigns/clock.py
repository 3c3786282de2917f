"""The campaigns clock: when a campaign may dial, and when each contact may be
called (issue #5). Pure functions of an instant, so they are tested with fixed times.

A campaign has a schedule in its own time zone: start and end instants, a daily window
(wall-clock times, which may cross midnight, e.g. 20:00-02:00) and weekdays. Each contact
is called only inside calling hours in the contact's own time zone (09:00-21:00 unless
set). Wall-clock times follow daylight saving: a 09:00 window opens at 09:00 local time
on both sides of a change.

monotonic() and sleep() are the engine's clock seam: the runner paces and waits through
them (never time.monotonic/time.sleep directly), so a test runs it on a simulated clock
(tests/campaigns/test_engine_pacing.py)."""

import time as _time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.utils import timezone

WEEKDAY_NAMES = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
EVERY_DAY = frozenset(range(7))
# How far ahead to look for the next opening: a week covers every weekday pattern.
LOOKAHEAD_DAYS = 8


def monotonic() -> float:
    return _time.monotonic()


def sleep(seconds: float):
    _time.sleep(seconds)


def zone(name: str, fallback: str = "UTC") -> ZoneInfo:
    try:
        return ZoneInfo(name or fallback)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(fallback)


def wall_clock(day: date, at: time, tz: ZoneInfo) -> datetime:
    """The instant (UTC) when a wall clock in `tz` shows `day` `at`. A time in a skipped
    hour is read with the offset before the change, i.e. as much later as the gap is
    long (02:30 on a spring-forward night is 03:30); in a repeated hour, the first."""
    return datetime.combine(day, at, tzinfo=tz).astimezone(UTC)


@dataclass(frozen=True)
class Schedule:
    time_zone: str = "UTC"
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    window_start: time = time(9)
    window_end: time = time(21)
    weekdays: frozenset[int] = field(default=EVERY_DAY)  # Monday is 0
    contact_start: time = time(9)
    contact_end: time = time(21)

    # --- checks the builder shows as you type -----------------------------------------

    def errors(self) -> dict[str, str]:
        problems = {}
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            problems["ends_at"] = "The end must be after the start."
        if self.window_start == self.window_end:
            problems["window_end"] = "The daily window is empty: its start and end are equal."
        if not self.weekdays:
            problems["weekdays"] = "Choose at least one weekday."
        if self.contact_end <= self.contact_start:
            problems["contact_end"] = "Calling hours must end after they start, on the same day."
        try:
            ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            problems["time_zone"] = f"{self.time_zone or 'An empty name'} is not a time zone."
        return problems

    # --- the campaign window ----------------------------------------------------------

    @property
    def tz(self) -> ZoneInfo:
        return zone(self.time_zone)

    @property
    def overnight(self) -> bool:
        return self.window_end < self.window_start

    def _window_on(self, day: date) -> tuple[datetime, datetime] | None:
        """The window that opens on `day` (local), as UTC instants, if it is a weekday."""
        if day.weekday() not in self.weekdays:
            return None
        opens = wall_clock(day, self.window_start, self.tz)
        closes_day = day + timedelta(days=1) if self.overnight else day
        return opens, wall_clock(closes_day, self.window_end, self.tz)

    def _windows_around(self, at: datetime):
        local_day = at.astimezone(self.tz).date()
        for offset in range(-1, LOOKAHEAD_DAYS):
            window = self._window_on(local_day + timedelta(days=offset))
            if window:
                yield window

    def in_window(self, at: datetime) -> bool:
        """Inside a daily window on an allowed weekday (ignoring start and end)."""
        return any(opens <= at < closes for opens, closes in self._windows_around(at))

    def is_open(self, at: datetime | None = None) -> bool:
        at = at or timezone.now()
        if self.starts_at and at < self.starts_at:
            return False
        if self.ends_at and at >= self.ends_at:
            return False
        return self.in_window(at)

    def next_open(self, at: datetime | None = None) -> datetime | None:
        """The first instant at or after `at` when the campaign may dial; None if never."""
        at = at or timezone.now()
        start = max(at, self.starts_at) if self.starts_at else at
        if self.ends_at and start >= self.ends_at:
            return None
        for opens, closes in self._windows_around(start):
            if closes <= start:
                continue
            moment = max(opens, start)
            if self.ends_at and moment >= self.ends_at:
                return None
            return moment
        return None

    def closed_reason(self, at: datetime | None = None, shown_in=None) -> str | None:
        """Why the campaign may not dial at `at`, in plain words; None when it may. Times
        are said in `shown_in` (a page passes the viewer's zone), else the campaign's."""
        at = at or timezone.now()
        if self.is_open(at):
            return None
        tz = shown_in or self.tz
        name = str(shown_in) if shown_in else self.time_zone

        def local(instant: datetime) -> str:
            return f"{instant.astimezone(tz):%Y-%m-%d %H:%M} {name}"

        if self.ends_at and at >= self.ends_at:
            return f"The campaign ended at {local(self.ends_at)}."
        upcoming = self.next_open(at)
        if upcoming is None:
            return "The schedule has no window left before the campaign ends."
        if self.starts_at and at < self.starts_at and upcoming == self.starts_at:
            return f"The campaign starts at {local(upcoming)}."
        when = upcoming.astimezone(tz)
        today = at.astimezone(tz).date()
        if when.date() == today:
            return f"Outside the calling window until {when:%H:%M} {name}."
        return (
            f"Outside the calling window until {WEEKDAY_NAMES[when.weekday()]} "
            f"{when:%Y-%m-%d %H:%M} {name}."
        )

    def local(self, instant: datetime) -> str:
        return f"{instant.astimezone(self.tz):%Y-%m-%d %H:%M} {self.time_zone}"

    # --- each contact's calling hours -------------------------------------------------

    def contact_zone(self, name: str) -> ZoneInfo:
        """A contact without a known zone is called in the campaign's zone."""
        return zone(name, self.time_zone or "UTC")

    def contact_may_be_called(self, at: datetime, zone_name: str) -> bool:
        local = at.astimezone(self.contact_zone(zone_name))
        opens = wall_clock(local.date(), self.contact_start, local.tzinfo)
        closes = wall_clock(local.date(), self.contact_end, local.tzinfo)
        return opens <= at < closes

    def open_zones(self, at: datetime, zone_names) -> list[str]:
        """The contact time zones that are inside calling hours at `at`, so eligibility
        is one `time_zone__in` filter rather than a check per contact."""
        return [name for name in zone_names if self.contact_may_be_called(at, name)]

    def contact_next_open(self, at: datetime, zone_name: str) -> datetime:
        tz = self.contact_zone(zone_name)
        day = at.astimezone(tz).date()
        for offset in range(LOOKAHEAD_DAYS):
            opens = wall_clock(day + timedelta(days=offset), self.contact_start, tz)
            closes = wall_clock(day + timedelta(days=offset), self.contact_end, tz)
            if at < closes:
                return max(opens, at)
        raise AssertionError("calling hours open every day")  # pragma: no cover


def local_day_bounds(at: datetime, zone_name: str) -> tuple[datetime, datetime]:
    """The contact's local calendar day around `at`, as UTC instants: the daily attempt
    cap counts attempts in this range (23 or 25 hours long on a DST change day)."""
    tz = zone(zone_name)
    day = at.astimezone(tz).date()
    return wall_clock(day, time(0), tz), wall_clock(day + timedelta(days=1), time(0), tz)


def attempt_reference(campaign_id: int, run: int, contact_id: int, attempt: int) -> str:
    """The vendor reference id of one attempt, derived, never random: a worker that dies
    after sending and a retry of the same attempt send the same id, which the vendor
    refuses as a repeat (MyOperator locks a reference id for two days), so a contact is
    never dialled twice for one attempt."""
    return f"dd-{campaign_id}-{run}-{contact_id}-{attempt}"
