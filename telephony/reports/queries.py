"""The overview's numbers, read only from CallRollup (never raw CallRecords), so their
cost follows the number of 15-minute buckets in the range, not the number of calls.

Buckets come back in UTC and are placed in the viewer's zone here, in Python: a range of
30 days is at most 2,880 buckets per status, whatever the table holds."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.db import connections

from telephony.models import ProviderAccount
from telephony.models.cdr import ROLLUP_MEASURES, CallRollup

from .metrics import derived, display, figures
from .periods import Period

GROUPS = {
    "account": "Account",
    "campaign": "Campaign",
    "caller_id": "Caller id",
    "status": "Status",
    "day": "Day",
    "hour": "Hour of day",
}
SORTS = ("key", "calls", "answered", "asr", "ner", "acd", "talk_minutes", "short_pct")
GROUP_LIMIT = 500  # rows shown in the group-by table; the rest are summed in "Others"
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
STATUS_ORDER = (
    "answered",
    "busy",
    "no_answer",
    "cancelled",
    "failed",
    "congestion",
    "unavailable",
    "dnd_blocked",
    "voicemail",
    "in_progress",
)


def status_label(status: str) -> str:
    return (status or "unknown").replace("_", " ").capitalize()


def rollups(period: Period, filters: dict):
    return CallRollup.objects.window(period.start, period.end, **_window_filters(filters))


def _window_filters(filters: dict) -> dict:
    return {key: filters.get(key) or None for key in ("account", "campaign", "caller_id", "status")}


def _zero() -> dict:
    return dict.fromkeys(ROLLUP_MEASURES, 0)


def _add(into: dict, row: dict):
    for name in ROLLUP_MEASURES:
        into[name] += int(row[name] or 0)


def totals(period: Period, filters: dict) -> dict:
    return rollups(period, filters).totals()


def bucket_rows(period: Period, filters: dict, by_status: bool = True) -> list[dict]:
    """Measures per (bucket, status) in the range: one GROUP BY over the rollups. At most
    96 buckets a day x the statuses, however many calls the rollups sum up."""
    rows = rollups(period, filters)
    keys = ("bucket", "status") if by_status else ("bucket",)
    grouped = rows.order_by().values(*keys).annotate(**rows.measures())
    # Read through the cursor: Django's per-row converters (a datetime parse per row on
    # SQLite) cost more than the query; a bucket repeats for every status, so it is
    # parsed once here.
    sql, params = grouped.query.sql_with_params()
    names = [*keys, *ROLLUP_MEASURES]
    buckets: dict = {}
    with connections[grouped.db].cursor() as cursor:
        cursor.execute(sql, params)
        result = []
        for values in cursor.fetchall():
            row = dict(zip(names, values, strict=True))
            stamp = row["bucket"]
            if stamp not in buckets:
                buckets[stamp] = _as_utc(stamp)
            row["bucket"] = buckets[stamp]
            result.append(row)
    return result


def _as_utc(value) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class LocalTimes(dict):
    """bucket (UTC) -> the same instant in the viewer's zone, converted once per bucket."""

    def __init__(self, tz):
        super().__init__()
        self.tz = tz

    def __missing__(self, bucket):
        local = self[bucket] = bucket.astimezone(self.tz)
        return local


@dataclass
class Overview:
    period: Period
    figures: list
    totals: dict
    labels: list = field(default_factory=list)
    by_status: dict = field(default_factory=dict)  # status -> calls per label
    asr: list = field(default_factory=list)
    acd: list = field(default_factory=list)
    split: list = field(default_factory=list)  # (status, label, calls)
    heatmap: list = field(default_factory=list)  # 7 rows of 24 (answered, calls)
    rows: list = field(default_factory=list)  # the (bucket, status) rows, for group_by

    def chart_data(self) -> dict:
        statuses = [s for s in STATUS_ORDER if s in self.by_status] + sorted(
            s for s in self.by_status if s not in STATUS_ORDER
        )
        return {
            "labels": self.labels,
            "stacked": [
                {"status": s, "label": status_label(s), "data": self.by_status[s]} for s in statuses
            ],
            "asr": self.asr,
            "acd": self.acd,
            "split": [{"status": s, "label": lbl, "calls": n} for s, lbl, n in self.split],
            "heatmap": {
                "weekdays": list(WEEKDAYS),
                "cells": [
                    [
                        {
                            "calls": calls,
                            "rate": round(answered / calls, 4) if calls else None,
                            "level": round(answered * 10 / calls) if calls else None,
                        }
                        for answered, calls in row
                    ]
                    for row in self.heatmap
                ],
            },
            "totals": {"calls": self.totals["calls"], "answered": self.totals["answered"]},
            "hourly": self.period.hourly,
        }


def slot_of(local, hourly: bool) -> str:
    return f"{local:%Y-%m-%d %H}:00" if hourly else f"{local:%Y-%m-%d}"


def slots(period: Period) -> list[str]:
    """Every chart slot label in the range, so quiet hours and days show as zero."""
    if period.hourly:
        labels, moment = [], period.start
        while moment < period.end:
            labels.append(slot_of(moment.astimezone(period.tz), True))
            moment += timedelta(hours=1)
        return list(dict.fromkeys(labels))  # a DST fall-back hour appears once
    return [f"{period.first + timedelta(days=n):%Y-%m-%d}" for n in range(period.days)]


def overview(period: Period, filters: dict) -> Overview:
    rows = bucket_rows(period, filters)
    previous = totals(period.previous(), filters)
    labels = slots(period)
    index = {label: n for n, label in enumerate(labels)}
    per_slot = [_zero() for _ in labels]
    by_status: dict[str, list[int]] = {}
    split: dict[str, int] = defaultdict(int)
    heat = [[[0, 0] for _ in range(24)] for _ in range(7)]
    current = _zero()
    local_of = LocalTimes(period.tz)
    slot_cache: dict = {}
    for row in rows:
        local = local_of[row["bucket"]]
        slot = slot_cache.get(row["bucket"], -1)
        if slot == -1:
            slot = slot_cache[row["bucket"]] = index.get(slot_of(local, period.hourly))
        if slot is None:
            continue
        _add(current, row)
        _add(per_slot[slot], row)
        calls = int(row["calls"] or 0)
        by_status.setdefault(row["status"], [0] * len(labels))[slot] += calls
        split[row["status"]] += calls
        cell = heat[local.weekday()][local.hour]
        cell[0] += int(row["answered"] or 0)
        cell[1] += calls
    series = [derived(m) for m in per_slot]
    return Overview(
        period=period,
        figures=figures(current, previous),
        totals=current,
        labels=labels,
        by_status=by_status,
        asr=[None if s["asr"] is None else round(s["asr"] * 100, 2) for s in series],
        acd=[None if s["acd"] is None else round(s["acd"], 1) for s in series],
        split=sorted(
            ((s, status_label(s), n) for s, n in split.items() if n),
            key=lambda item: -item[2],
        ),
        heatmap=heat,
        rows=rows,
    )


@dataclass
class GroupRow:
    key: str
    label: str
    measures: dict
    filter_value: str = ""  # the value to drill into with, when the group is a filter

    def __post_init__(self):
        self.figures = derived(self.measures)
        self.shown = {key: display(key, value) for key, value in self.figures.items()}


def _names(by: str, keys) -> dict:
    if by == "account":
        return dict(ProviderAccount.objects.filter(pk__in=keys).values_list("pk", "name"))
    if by == "campaign":
        from campaigns.models import Campaign  # reports may import campaigns, not the reverse

        return dict(Campaign.objects.filter(pk__in=keys).values_list("pk", "name"))
    return {}


def group_by(period: Period, filters: dict, by: str, rows=None) -> list[GroupRow]:
    """The group-by table's rows, unsorted (see sort_rows). `rows`: the overview's
    bucket rows, which day and hour groups reuse rather than query again."""
    if by in ("day", "hour"):
        merged: dict[str, dict] = defaultdict(_zero)
        local_of = LocalTimes(period.tz)
        for row in rows if rows is not None else bucket_rows(period, filters, by_status=False):
            local = local_of[row["bucket"]]
            _add(merged[f"{local:%Y-%m-%d}" if by == "day" else f"{local:%H}:00"], row)
        return [GroupRow(key, key, measures) for key, measures in merged.items()]
    rows = rollups(period, filters)
    grouped = list(rows.order_by().values(by).annotate(**rows.measures()))
    names = _names(by, [row[by] for row in grouped if row[by] is not None])
    result = []
    for row in grouped:
        value = row.pop(by)
        if by == "campaign" and value is None:
            label, filter_value = "No campaign (single calls, inbound)", "none"
        elif by == "status":
            label, filter_value = status_label(value), value
        elif by == "caller_id":
            label, filter_value = value or "(none)", value
        else:
            label, filter_value = names.get(value, f"#{value}"), str(value)
        result.append(GroupRow(str(value), label, row, filter_value or ""))
    return result


def sort_rows(rows: list[GroupRow], sort: str, descending: bool) -> list[GroupRow]:
    if sort == "key":
        return sorted(rows, key=lambda r: r.label.lower(), reverse=descending)

    def value(row):
        v = row.figures.get(sort)
        return (v is not None, v or 0)

    return sorted(rows, key=value, reverse=descending)
