"""Date ranges in the viewer's time zone, as UTC bounds the rollups can use.

A range is whole local days, [first day 00:00, day after the last 00:00) in the viewer's
zone. Every zone's offset is a multiple of 15 minutes, so both bounds fall on a rollup
bucket's edge and a day in +05:30 or +05:45 is exact. The previous period is the same
number of days just before, for the "change" figures."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from django.utils import timezone

PRESETS = {
    "today": "Today",
    "yesterday": "Yesterday",
    "7d": "Last 7 days",
    "30d": "Last 30 days",
    "month": "This month",
    "custom": "Custom",
}
DEFAULT_PRESET = "7d"
MAX_DAYS = 366


@dataclass(frozen=True)
class Period:
    first: date  # local, inclusive
    last: date  # local, inclusive
    tz: tzinfo
    preset: str = "custom"

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def start(self) -> datetime:
        return local_midnight(self.first, self.tz)

    @property
    def end(self) -> datetime:
        return local_midnight(self.last + timedelta(days=1), self.tz)

    @property
    def hourly(self) -> bool:
        """Charts go by hour for a range of up to two days, by day beyond."""
        return self.days <= 2

    def previous(self) -> "Period":
        length = timedelta(days=self.days)
        return Period(self.first - length, self.last - length, self.tz, "previous")

    @property
    def label(self) -> str:
        if self.preset in PRESETS and self.preset != "custom":
            return PRESETS[self.preset]
        if self.first == self.last:
            return f"{self.first:%d %b %Y}"
        return f"{self.first:%d %b %Y} – {self.last:%d %b %Y}"


def local_midnight(day: date, tz) -> datetime:
    """The start of a local day as an aware datetime (DST-safe: zoneinfo picks the
    offset of that day)."""
    return datetime.combine(day, time(0), tzinfo=tz)


def today_in(tz, now=None) -> date:
    return timezone.localtime(now or timezone.now(), tz).date()


def resolve(preset: str, first: date | None, last: date | None, tz, now=None) -> Period:
    """The period a preset (or a custom first/last day) names, in zone `tz`."""
    today = today_in(tz, now)
    if preset == "custom" and first and last:
        if last < first:
            first, last = last, first
        first = max(first, last - timedelta(days=MAX_DAYS - 1))
        return Period(first, last, tz, "custom")
    if preset == "today":
        return Period(today, today, tz, preset)
    if preset == "yesterday":
        day = today - timedelta(days=1)
        return Period(day, day, tz, preset)
    if preset == "30d":
        return Period(today - timedelta(days=29), today, tz, preset)
    if preset == "month":
        return Period(today.replace(day=1), today, tz, preset)
    return Period(today - timedelta(days=6), today, tz, "7d")
