"""Caller-id rotation's bookkeeping (issue 12): calls per inventory number per day, and a
campaign's split of attempts by caller id.

The daily cap (PhoneNumber.daily_cap) is kept by a counter row per number per day,
taken by one conditional UPDATE (calls = calls + 1 WHERE calls < cap): two workers
rotating over the same number can never both take its last call of the day, on SQLite
or PostgreSQL, with no lock held across the vendor request. The day is the number's own
local day (its country's time zone), the same for every campaign that uses it."""

from datetime import date, datetime
from functools import lru_cache

import phonenumbers
from django.db import models
from django.db.models import Count, F, Q

from campaigns.clock import zone


class CallerIdDay(models.Model):
    """Calls taken from one inventory number on one local day, by every campaign."""

    phone_number = models.ForeignKey(
        "phone_numbers.PhoneNumber", on_delete=models.CASCADE, related_name="days"
    )
    day = models.DateField()
    calls = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["phone_number", "day"], name="one_counter_per_day")
        ]

    def __str__(self):
        return f"{self.phone_number_id} {self.day}: {self.calls}"

    @classmethod
    def take(cls, phone_number_id: int, day: date, cap: int | None) -> bool:
        """Count one call from the number today, unless it reached `cap`: atomic."""
        cls.objects.bulk_create(
            [cls(phone_number_id=phone_number_id, day=day)], ignore_conflicts=True
        )
        rows = cls.objects.filter(phone_number_id=phone_number_id, day=day)
        if cap is not None:
            rows = rows.filter(calls__lt=cap)
        return rows.update(calls=F("calls") + 1) == 1

    @classmethod
    def used_on(cls, ids, days: dict[int, date]) -> dict[int, int]:
        """Calls taken today per number id (`days`: each number's own day)."""
        if not ids:
            return {}
        wanted = Q()
        for number_id in ids:
            wanted |= Q(phone_number_id=number_id, day=days[number_id])
        return dict(cls.objects.filter(wanted).values_list("phone_number_id", "calls"))


@lru_cache(maxsize=4096)
def number_zone_name(e164: str) -> str:
    """The time zone of a number's country (its first, for countries with several)."""
    from phonenumbers import timezone as number_timezones

    try:
        parsed = phonenumbers.parse(e164)
    except phonenumbers.NumberParseException:
        return "UTC"
    names = [
        name
        for name in number_timezones.time_zones_for_number(parsed)
        if name != number_timezones.UNKNOWN_TIMEZONE
    ]
    return names[0] if names else "UTC"


def number_day(e164: str, at: datetime) -> date:
    """The number's local calendar day at `at`: its daily cap counts within it."""
    return at.astimezone(zone(number_zone_name(e164))).date()


def caller_id_split(campaign) -> list[dict]:
    """The campaign's attempts per caller id: calls, answered, and the share of calls."""
    from .campaigns import CampaignAttempt

    rows = list(
        CampaignAttempt.objects.filter(campaign=campaign)
        .exclude(status__in=[CampaignAttempt.Status.QUEUED, CampaignAttempt.Status.REJECTED])
        .order_by()
        .values("caller_id")
        .annotate(
            calls=Count("id"),
            answered=Count("id", filter=Q(status=CampaignAttempt.Status.ANSWERED)),
        )
        .order_by("-calls", "caller_id")
    )
    total = sum(row["calls"] for row in rows)
    for row in rows:
        row["share"] = round(100 * row["calls"] / total) if total else 0
        row["asr"] = round(100 * row["answered"] / row["calls"]) if row["calls"] else 0
    return rows
