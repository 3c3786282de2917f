"""The overview's numbers, read only from the rollups (never raw CallRecords), so their
cost follows the number of rollup rows in the range, not the number of calls.

A range of local days is decomposed (`plan`) into whole local days, read from the day
level built for the phase the viewer's zone needs (CallRollupDay; see
telephony.sync.rollups), and quarter hours (CallRollup) for the rest: 30 days in +05:30
are 30 day rows per key, not 2,880 quarter hours. A day whose length is not 24 hours (a
DST change) and a phase not built yet (it is queued to be built) read quarter hours.
Buckets come back in UTC and are placed in the viewer's zone here, in Python."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.db import connections
from django.db.models import Q, Sum, Value
from django.db.models.functions import Coalesce

from telephony.models import ProviderAccount
from telephony.models.cdr import (
    BUCKET_SECONDS,
    COARSE_ROLLUPS,
    HOURLY_CALLS,
    LEVEL_SECONDS,
    ROLLUP_MEASURES,
    CallRollup,
    RollupPhase,
    phase_of,
)

from .metrics import derived, display, figures
from .periods import Period, local_midnight

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
SIZES = {"quarter": BUCKET_SECONDS, **LEVEL_SECONDS}


def status_label(status: str) -> str:
    return (status or "unknown").replace("_", " ").capitalize()


def _window_filters(filters: dict) -> dict:
    return {key: filters.get(key) or None for key in ("account", "campaign", "caller_id", "status")}


def _zero() -> dict:
    return dict.fromkeys(ROLLUP_MEASURES, 0)


def _add(into: dict, row: dict):
    for name in ROLLUP_MEASURES:
        into[name] += int(row[name] or 0)


# --- the plan: which level serves which part of a range -------------------------------


@dataclass(frozen=True)
class Run:
    """Consecutive buckets of one level and phase: [first, last] are bucket starts."""

    level: str  # "day" or "quarter" (CallRollup)
    phase: int
    first: datetime
    last: datetime


def plan(first, last, tz, grain: str, built: set) -> list[Run]:
    """Runs of rollup buckets that cover the local days [first, last] in `tz` exactly:
    whole days where `grain` is "day" and the day level is built for the day's phase,
    else quarter hours (grain "quarter": local hours are needed). `built`: the (level,
    phase) pairs that may be read."""
    pieces = []
    day = first
    while day <= last:
        start = local_midnight(day, tz).astimezone(UTC)
        end = local_midnight(day + timedelta(days=1), tz).astimezone(UTC)
        phase = phase_of(start, "day")
        if grain == "day" and end - start == timedelta(days=1) and ("day", phase) in built:
            pieces.append(("day", phase, start))
        else:
            moment = start
            while moment < end:
                pieces.append(("quarter", 0, moment))
                moment += timedelta(seconds=BUCKET_SECONDS)
        day += timedelta(days=1)
    runs: list[Run] = []
    for level, phase, moment in pieces:
        previous = runs[-1] if runs else None
        if (
            previous
            and previous.level == level
            and previous.phase == phase
            and previous.last + timedelta(seconds=SIZES[level]) == moment
        ):
            runs[-1] = Run(level, phase, previous.first, moment)
        else:
            runs.append(Run(level, phase, moment, moment))
    return runs


def built_phases(tz) -> set:
    """The built (level, phase) pairs, in one query; registers (and queues the build of)
    the phases of the viewer's zone the first time it is seen."""
    from telephony.sync import rollups

    phases = list(RollupPhase.objects.values_list("level", "minutes", "built_at"))
    name = getattr(tz, "key", None)
    if name and rollups.zone_phases(name) - {(level, minutes) for level, minutes, _ in phases}:
        rollups.register_zones([name])
    return {(level, minutes) for level, minutes, built_at in phases if built_at is not None}


def fetch(runs: list[Run], filters: dict, keys: tuple, *, hourly: bool = False) -> list[dict]:
    """Measures grouped by `keys` ("bucket", "status", or a dimension) over `runs`: one
    GROUP BY per level, in one UNION ALL statement. A key may repeat across levels (the
    caller sums). With `hourly`, each row also says its "level" and a day row its calls
    per local hour (HOURLY_CALLS; zeros on other levels). Read through the cursor:
    Django's per-row converters (a datetime parse per row on SQLite) cost more than the
    query; a bucket is parsed once here."""
    by_level = defaultdict(list)
    for run in runs:
        by_level[run.level].append(run)
    parts, params, alias = [], [], None
    for level, level_runs in by_level.items():
        model = CallRollup if level == "quarter" else COARSE_ROLLUPS[level]
        where = Q()
        for run in level_runs:
            span = Q(bucket__gte=run.first, bucket__lte=run.last)
            where |= span if level == "quarter" else span & Q(phase=run.phase)
        rows = model.objects.window(None, None, **_window_filters(filters)).filter(where)
        extra = {}
        if hourly:
            extra["level"] = Value(level)
            for name in HOURLY_CALLS:
                extra[name] = Coalesce(Sum(name), Value(0)) if level == "day" else Value(0)
        grouped = rows.order_by().values(*keys).annotate(**rows.measures(), **extra)
        sql, part_params = grouped.query.sql_with_params()
        parts.append(f"SELECT * FROM ({sql}) AS {level}_part")  # noqa: S608 (Django's SQL)
        params.extend(part_params)
        alias = grouped.db
    if not parts:
        return []
    names = [*keys, *ROLLUP_MEASURES, *(("level", *HOURLY_CALLS) if hourly else ())]
    stamps: dict = {}
    result = []
    with connections[alias].cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        for values in cursor.fetchall():
            row = dict(zip(names, values, strict=True))
            if "bucket" in row:
                stamp = row["bucket"]
                if stamp not in stamps:
                    stamps[stamp] = _as_utc(stamp)
                row["bucket"] = stamps[stamp]
            result.append(row)
    return result


def _as_utc(value) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def totals(period: Period, filters: dict, built: set | None = None) -> dict:
    """{calls, answered, busy, no_answer, failed, billable_seconds, short_calls} of the
    period (day level where built)."""
    built = built_phases(period.tz) if built is None else built
    total = _zero()
    for row in fetch(
        plan(period.first, period.last, period.tz, "day", built), filters, ("status",)
    ):
        _add(total, row)
    return total


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
    rows: list = field(default_factory=list)  # (bucket, status) rows of the period
    built: set = field(default_factory=set)

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
    """Figures (with the previous period), charts, split and heatmap from one read: the
    (bucket, status) rows of the period and the previous one, whole days from the day
    level (whose hourly calls give the heatmap); a range charted by hour reads quarter
    hours."""
    tz = period.tz
    built = built_phases(tz)
    if period.hourly:
        rows = fetch(
            plan(period.first, period.last, tz, "quarter", built), filters, ("bucket", "status")
        )
        previous = totals(period.previous(), filters, built)
    else:
        before = period.previous()
        runs = plan(before.first, period.last, tz, "day", built)
        both = fetch(runs, filters, ("bucket", "status"), hourly=True)
        start = period.start
        rows = [row for row in both if row["bucket"] >= start]
        previous = _zero()
        for row in both:
            if row["bucket"] < start:
                _add(previous, row)
    labels = slots(period)
    index = {label: n for n, label in enumerate(labels)}
    per_slot = [_zero() for _ in labels]
    by_status: dict[str, list[int]] = {}
    split: dict[str, int] = defaultdict(int)
    heat = [[[0, 0] for _ in range(24)] for _ in range(7)]
    current = _zero()
    local_of = LocalTimes(tz)
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
        if row.get("level") == "day":  # local midnight: hour n of the row is local hour n
            answered = row["status"] == "answered"
            for hour, name in enumerate(HOURLY_CALLS):
                if n := int(row[name] or 0):
                    cell = heat[local.weekday()][hour]
                    cell[1] += n
                    if answered:
                        cell[0] += n
        else:  # a quarter hour: within one local hour
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
        built=built,
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


def group_by(period: Period, filters: dict, by: str, report: Overview | None = None):
    """The group-by table's rows, unsorted (see sort_rows). `report`: the overview, whose
    rows the day group (and the hour group of a range charted by hour) reuse."""
    if by in ("day", "hour"):
        built = report.built if report is not None else built_phases(period.tz)
        if report is not None and (by == "day" or period.hourly):
            rows = report.rows  # days; or the quarter hours of a range charted by hour
        else:  # hours of the day: quarter hours (a day row has no hourly measures)
            grain = "day" if by == "day" else "quarter"
            runs = plan(period.first, period.last, period.tz, grain, built)
            rows = fetch(runs, filters, ("bucket",))
        merged: dict[str, dict] = defaultdict(_zero)
        local_of = LocalTimes(period.tz)
        for row in rows:
            local = local_of[row["bucket"]]
            _add(merged[f"{local:%Y-%m-%d}" if by == "day" else f"{local:%H}:00"], row)
        return [GroupRow(key, key, measures) for key, measures in merged.items()]
    built = report.built if report is not None else built_phases(period.tz)
    runs = plan(period.first, period.last, period.tz, "day", built)
    merged = defaultdict(_zero)
    for row in fetch(runs, filters, (by,)):
        _add(merged[row[by]], row)
    names = _names(by, [value for value in merged if value is not None])
    result = []
    for value, row in merged.items():
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
