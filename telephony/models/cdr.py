"""Call detail records, their 15-minute rollups, and the sync bookkeeping that fills them
(docs: /work/briefs/cdr-spec.md; DESIGN.md, "CDRs and reports")."""

from datetime import UTC, datetime

from django.db import models
from django.db.models import Count, Max, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from .accounts import ProviderAccount
from .calls import Call

BUCKET_SECONDS = 15 * 60
# A call answered but shorter than this many billable seconds is a "short call".
SHORT_CALL_SECONDS = 10
ROLLUP_MEASURES = (
    "calls",
    "answered",
    "busy",
    "no_answer",
    "failed",
    "billable_seconds",
    "short_calls",
)


def bucket_of(moment: datetime | None) -> datetime | None:
    """The UTC start of the 15-minute bucket `moment` falls in (None stays None).

    Every time zone's offset is a multiple of 15 minutes (+05:30, +05:45, -03:30,
    +12:45), so a local day is always a whole number of buckets."""
    if moment is None:
        return None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, UTC)
    seconds = int(moment.timestamp())
    return datetime.fromtimestamp(seconds - seconds % BUCKET_SECONDS, UTC)


def reversed_digits(number: str) -> str:
    """The digits of a number, last first: "ends with 3210" is a prefix search on it."""
    return "".join(ch for ch in reversed(number or "") if ch.isdigit())


class CallRecord(models.Model):
    """The one normalized CDR for every vendor (DESIGN.md, "CDRs").

    Written only through telephony.sync.ingest (bulk) or `upsert` (one record), which keep
    CallRollup exact in the same transaction. Never `.update()` a measured field
    (status, started_at, caller_id, campaign, billable_seconds) behind their back."""

    # No index of their own on account and campaign: the unique (account, vendor call id)
    # key and cdr_account_started / cdr_campaign_started lead with them. Each index is
    # paid on every ingested row, and on a table PostgreSQL has not analyzed yet the
    # account-only index drew the planner into reading every record of the account.
    account = models.ForeignKey(
        ProviderAccount, on_delete=models.CASCADE, related_name="cdrs", db_index=False
    )
    vendor_call_id = models.CharField(max_length=100)
    direction = models.CharField(
        max_length=10, choices=[("outbound", "Outbound"), ("inbound", "Inbound")]
    )
    status = models.CharField(max_length=20, db_index=True)
    vendor_status = models.CharField(max_length=50, blank=True)
    caller_id = models.CharField(max_length=32, blank=True)
    customer_number = models.CharField(max_length=32, blank=True, db_index=True)
    customer_number_reversed = models.CharField(
        max_length=32,
        blank=True,
        db_index=True,
        help_text="Digits of the customer number reversed, for 'ends with' as a prefix search",
    )
    agent = models.CharField(max_length=100, blank=True)
    # Indexed with id (cdr_started_id below): the search's keyset order, newest first.
    started_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    duration_seconds = models.PositiveIntegerField(default=0)
    billable_seconds = models.PositiveIntegerField(default=0)
    recording_ref = models.CharField(max_length=300, blank=True)
    reference_id = models.CharField(max_length=64, blank=True, db_index=True)
    vendor_campaign_id = models.CharField(max_length=64, blank=True)
    call = models.ForeignKey(
        Call, null=True, blank=True, on_delete=models.SET_NULL, related_name="records"
    )
    campaign = models.ForeignKey(
        "campaigns.Campaign",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="call_records",
        db_index=False,
    )
    attempt = models.ForeignKey(
        "campaigns.CampaignAttempt",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="call_records",
    )
    contact = models.ForeignKey(
        "campaigns.Contact",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="call_records",
    )
    dtmf = models.CharField(max_length=100, blank=True)
    raw = models.JSONField(default=dict)
    synced_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "vendor_call_id"], name="unique_cdr_per_account"
            )
        ]
        indexes = [
            # The search pages' order (started_at, id): PostgreSQL reads a page straight
            # off it, where an index on the time alone leaves a sort of each tie.
            models.Index(fields=["started_at", "id"], name="cdr_started_id"),
            models.Index(fields=["account", "started_at"], name="cdr_account_started"),
            models.Index(fields=["campaign", "started_at"], name="cdr_campaign_started"),
        ]

    def __str__(self):
        return f"{self.vendor_call_id} {self.status}"

    @classmethod
    def upsert(cls, account, cdr) -> "CallRecord":
        """Insert or update one NormalizedCDR, rollups included; safe to repeat.

        A thin wrapper over the bulk ingest (telephony.sync.ingest) for callers that
        hold one record, such as the campaign engine's outcome reader."""
        from telephony.sync.ingest import ingest

        ingest(account, [cdr])
        return cls.objects.get(account=account, vendor_call_id=cdr.vendor_call_id[:100])


class CallRollupQuerySet(models.QuerySet):
    def window(self, start_utc, end_utc, account=None, campaign=None, caller_id=None, status=None):
        """Rollups whose bucket starts in [start_utc, end_utc). Give bucket-aligned bounds
        (any local midnight or quarter hour is one). Each filter takes one value (a model
        or an id) or a list; campaign="none" picks calls outside any campaign."""
        rows = self
        if start_utc is not None:
            rows = rows.filter(bucket__gte=start_utc)
        if end_utc is not None:
            rows = rows.filter(bucket__lt=end_utc)
        for name, value in (("account", account), ("caller_id", caller_id), ("status", status)):
            rows = _filter_one_or_many(rows, name, value)
        if campaign == "none":
            rows = rows.filter(campaign__isnull=True)
        else:
            rows = _filter_one_or_many(rows, "campaign", campaign)
        return rows

    def measures(self) -> dict:
        """The aggregate expressions of every measure, for .aggregate() or .annotate()."""
        return {name: Coalesce(Sum(name), Value(0)) for name in ROLLUP_MEASURES}

    def totals(self) -> dict:
        """{calls, answered, busy, no_answer, failed, billable_seconds, short_calls}."""
        return {name: int(value or 0) for name, value in self.aggregate(**self.measures()).items()}


def _filter_one_or_many(rows, name, value):
    if value is None or value == "":
        return rows
    if isinstance(value, list | tuple | set | frozenset | models.QuerySet):
        return rows.filter(**{f"{name}__in": value})
    return rows.filter(**{name: value})


class RollupMeasures(models.Model):
    """The measures every rollup level keeps (ROLLUP_MEASURES, in that order)."""

    calls = models.PositiveBigIntegerField(default=0)
    answered = models.PositiveBigIntegerField(default=0)
    busy = models.PositiveBigIntegerField(default=0)
    no_answer = models.PositiveBigIntegerField(default=0)
    failed = models.PositiveBigIntegerField(default=0)
    billable_seconds = models.PositiveBigIntegerField(default=0)
    short_calls = models.PositiveBigIntegerField(default=0)

    class Meta:
        abstract = True


class CallRollup(RollupMeasures):
    """Calls per 15-minute bucket x account x campaign x caller id x status, kept exact by
    the ingest in the same transaction as each CallRecord upsert. Reports read only this.

    Measures count CallRecords with a start time (a record without one is in no window).
    `failed` counts status "failed" only; congestion, unavailable and the others are in
    `calls` and split by `status`. `billable_seconds` sums every record's billable
    seconds; `short_calls` are answered calls under SHORT_CALL_SECONDS billable seconds.

    `campaign` CASCADEs: only a draft (which has no calls) can be deleted, and a
    SET_NULL would merge rows behind the unique key's back. The unique key treats "no
    campaign" as campaign 0 (COALESCE), so an upsert's ON CONFLICT finds it."""

    bucket = models.DateTimeField()
    account = models.ForeignKey(ProviderAccount, on_delete=models.CASCADE, related_name="rollups")
    campaign = models.ForeignKey(
        "campaigns.Campaign",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="rollups",
    )
    caller_id = models.CharField(max_length=32, blank=True)
    status = models.CharField(max_length=20)

    objects = CallRollupQuerySet.as_manager()

    class Meta:
        ordering = ["bucket"]
        constraints = [
            models.UniqueConstraint(
                "bucket",
                "account",
                Coalesce("campaign", Value(0)),
                "caller_id",
                "status",
                name="one_rollup_per_key",
            )
        ]
        # No index on bucket alone: the unique key leads with it. Each index is paid on
        # every ingest (one upsert per touched key), so only the report filters get one.
        indexes = [
            models.Index(fields=["account", "bucket"], name="rollup_account_bucket"),
            models.Index(fields=["campaign", "bucket"], name="rollup_campaign_bucket"),
            models.Index(fields=["caller_id", "bucket"], name="rollup_caller_bucket"),
        ]

    def __str__(self):
        return f"{self.bucket:%Y-%m-%d %H:%M} {self.status}: {self.calls}"


# A coarser rollup level: the same key and measures as CallRollup, summed over a day that
# starts at a given phase of the UTC clock (RollupPhase). A viewer in +05:30 has local
# days starting at 18:30 UTC, so that phase serves their whole days; a range is
# decomposed into whole days and quarter hours (telephony.reports.queries.plan). No hour
# level: for sparse data it is nearly as many rows as the 15-minute table, and keeping
# it (two phases for UTC + India) cost the ingest ~70% more CPU, the day level ~10%.
LEVEL_SECONDS = {"day": 86400}


def phase_of(moment: datetime, level: str) -> int:
    """Minutes past the start of `level`'s UTC cycle at which `moment` falls: the phase of
    the day (0-1439) starting at that moment."""
    return int(moment.timestamp()) % LEVEL_SECONDS[level] // 60


class RollupPhase(models.Model):
    """A coarse rollup level kept for one phase (see phase_of). Registered when a zone in
    use needs it: from then on every ingest maintains it; `built_at` is set once a job
    (telephony.sync.rollups.build_phase) has filled its history from CallRollup, and only
    then do reports read it."""

    class Level(models.TextChoices):
        DAY = "day", "Day"

    level = models.CharField(max_length=4, choices=Level.choices)
    minutes = models.PositiveSmallIntegerField(
        help_text="Phase: minutes past UTC 00:00 at which the level's days start"
    )
    created_at = models.DateTimeField(default=timezone.now)
    built_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["level", "minutes"]
        constraints = [
            models.UniqueConstraint(fields=["level", "minutes"], name="one_phase_per_level")
        ]

    def __str__(self):
        return f"{self.level} at +{self.minutes // 60:02d}:{self.minutes % 60:02d} UTC"


class CoarseRollup(RollupMeasures):
    """A span of CallRollup rows: `bucket` is the UTC start, `phase` its phase_of (kept
    as a column so a range of one phase is one index range)."""

    phase = models.PositiveSmallIntegerField()
    bucket = models.DateTimeField()
    account = models.ForeignKey(ProviderAccount, on_delete=models.CASCADE, related_name="+")
    campaign = models.ForeignKey(
        "campaigns.Campaign", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    caller_id = models.CharField(max_length=32, blank=True)
    status = models.CharField(max_length=20)

    objects = CallRollupQuerySet.as_manager()

    class Meta:
        abstract = True

    def __str__(self):
        return f"{self.bucket:%Y-%m-%d %H:%M} {self.status}: {self.calls}"


class CallRollupDay(CoarseRollup):
    """CallRollup summed per 24 hours starting at `phase` minutes past UTC midnight (a
    local day of a zone at that offset)."""

    level = "day"

    class Meta:
        ordering = ["bucket"]
        constraints = [
            models.UniqueConstraint(
                "phase",
                "bucket",
                "account",
                Coalesce("campaign", Value(0)),
                "caller_id",
                "status",
                name="one_day_rollup_per_key",
            )
        ]


# A day row also counts its calls per local hour (the day starts at local midnight, so
# hour n of the bucket is local hour n): the overview's weekday x hour heatmap reads 30
# day rows per key instead of 720 hour rows. Answered per hour is the hourly calls of
# the "answered" rows (status is in the key).
HOURLY_CALLS = tuple(f"calls_h{hour:02d}" for hour in range(24))
for _name in HOURLY_CALLS:
    CallRollupDay.add_to_class(_name, models.PositiveIntegerField(default=0))

COARSE_ROLLUPS = {"day": CallRollupDay}
COARSE_MEASURES = {"day": (*ROLLUP_MEASURES, *HOURLY_CALLS)}


class SyncRunQuerySet(models.QuerySet):
    def latest_per_kind(self, account):
        """The latest run of each kind for one account, newest first."""
        latest = (
            self.filter(account=account)
            .values("kind")
            .annotate(last=Max("id"))
            .values_list("last", flat=True)
        )
        return self.filter(pk__in=list(latest)).order_by("kind")

    def freshness(self, accounts) -> dict:
        """{account id: Freshness} for `accounts` (ids or a queryset): the latest run of
        the account's CDR/log sync kinds, and the latest successful one. What home's
        "synced 14:05, 2 min ago" reads (red when `failing`)."""
        ids = [getattr(account, "pk", account) for account in accounts]
        runs = self.filter(account_id__in=ids, kind__in=SyncRun.FRESHNESS_KINDS)
        last = dict(
            runs.values("account_id").annotate(last=Max("id")).values_list("account_id", "last")
        )
        last_ok = dict(
            runs.filter(ok=True)
            .values("account_id")
            .annotate(last=Max("id"))
            .values_list("account_id", "last")
        )
        by_id = SyncRun.objects.in_bulk([*last.values(), *last_ok.values()])
        return {
            account_id: Freshness(
                latest=by_id.get(last.get(account_id)), last_ok=by_id.get(last_ok.get(account_id))
            )
            for account_id in ids
        }


class Freshness:
    """How fresh one account's call data is: its latest sync run and latest good one."""

    def __init__(self, latest=None, last_ok=None):
        self.latest = latest
        self.last_ok = last_ok

    @property
    def never(self) -> bool:
        return self.latest is None

    @property
    def failing(self) -> bool:
        return self.latest is not None and not self.latest.ok

    @property
    def synced_at(self):
        """When data was last brought in whole (the latest good run's end)."""
        return self.last_ok.finished_at if self.last_ok else None

    @property
    def reason(self) -> str:
        return self.latest.errors if self.failing else ""

    def __repr__(self):
        return f"Freshness(latest={self.latest!r}, last_ok={self.last_ok!r})"


class SyncRun(models.Model):
    """One run of one sync job for one account: what it read, wrote and met."""

    class Kind(models.TextChoices):
        CDR = "cdr", "Call records"
        LOGS = "logs", "Call logs"
        CAMPAIGN_CDR = "campaign_cdr", "Campaign call records"
        CALL_CDR = "call_cdr", "Single-call records"
        CALL_STATUS = "call_status", "Call status"
        FILTERS = "filters", "Log filters"
        USERS = "users", "Vendor users"
        NUMBERS = "numbers", "Numbers"
        RECONCILE = "reconcile", "Reconciliation"

    # The kinds that bring call data in (what "data freshness" means on home).
    FRESHNESS_KINDS = ("cdr", "logs", "call_status")

    account = models.ForeignKey(ProviderAccount, on_delete=models.CASCADE, related_name="sync_runs")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    window_start = models.DateTimeField(null=True, blank=True)
    window_end = models.DateTimeField(null=True, blank=True)
    pages = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    errors = models.TextField(blank=True, help_text="The vendor's own words; never a secret")
    ok = models.BooleanField(null=True, help_text="None while running")
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)

    objects = SyncRunQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["account", "kind", "-id"], name="syncrun_latest")]

    def __str__(self):
        state = {True: "ok", False: "failed", None: "running"}[self.ok]
        return f"{self.account_id} {self.kind} {self.started_at:%Y-%m-%d %H:%M} {state}"

    def finish(self, *, ok: bool, errors: str = "") -> "SyncRun":
        now = timezone.now()
        self.ok, self.errors, self.finished_at = ok, errors[:4000], now
        self.duration_ms = max(0, int((now - self.started_at).total_seconds() * 1000))
        self.save()
        return self


class SyncCursor(models.Model):
    """Where an incremental sync resumes: advanced only past pages fully stored."""

    account = models.ForeignKey(
        ProviderAccount, on_delete=models.CASCADE, related_name="sync_cursors"
    )
    kind = models.CharField(max_length=20)
    position = models.CharField(max_length=200, blank=True, help_text="ISO time or opaque")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "kind"], name="one_cursor_per_kind")
        ]

    def __str__(self):
        return f"{self.account_id} {self.kind} @ {self.position}"

    @classmethod
    def get_time(cls, account, kind) -> datetime | None:
        row = cls.objects.filter(account=account, kind=kind).first()
        if not row or not row.position:
            return None
        try:
            return datetime.fromisoformat(row.position)
        except ValueError:
            return None

    @classmethod
    def set_time(cls, account, kind, moment: datetime):
        cls.objects.update_or_create(
            account=account, kind=kind, defaults={"position": moment.isoformat()}
        )


class LogFilter(models.Model):
    """MyOperator `/filters`: categories (no parent) and the filters inside them."""

    account = models.ForeignKey(
        ProviderAccount, on_delete=models.CASCADE, related_name="log_filters"
    )
    vendor_id = models.CharField(max_length=64)
    name = models.CharField(max_length=200)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )
    category = models.CharField(
        max_length=200, blank=True, help_text="The parent category's name; blank on a category"
    )
    raw = models.JSONField(default=dict, blank=True)
    synced_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["category", "name"]
        constraints = [
            models.UniqueConstraint(fields=["account", "vendor_id"], name="one_filter_per_id")
        ]

    def __str__(self):
        return f"{self.category} / {self.name}" if self.category else self.name

    @property
    def is_category(self) -> bool:
        return self.parent_id is None


class Reconciliation(models.Model):
    """The vendor's own count of calls against ours, per account and scope (a UTC day,
    or "all" for CPaaS, whose statistics have no dates). `gap` = vendor - stored."""

    account = models.ForeignKey(
        ProviderAccount, on_delete=models.CASCADE, related_name="reconciliations"
    )
    day = models.DateField(null=True, blank=True, help_text="Blank: all time")
    vendor_total = models.PositiveBigIntegerField()
    stored_total = models.PositiveBigIntegerField()
    detail = models.JSONField(default=dict, blank=True)
    checked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-day", "-checked_at"]
        indexes = [models.Index(fields=["account", "-checked_at"], name="reconcile_latest")]

    def __str__(self):
        return f"{self.account_id} {self.day or 'all'}: {self.vendor_total}/{self.stored_total}"

    @property
    def gap(self) -> int:
        return int(self.vendor_total) - int(self.stored_total)


def stored_counts(account, start=None, end=None) -> int:
    """CallRecords of an account started in [start, end): the reconciliation's own side."""
    rows = CallRecord.objects.filter(account=account)
    if start is not None:
        rows = rows.filter(started_at__gte=start)
    if end is not None:
        rows = rows.filter(started_at__lt=end)
    return rows.aggregate(n=Count("id"))["n"]


__all__ = [
    "BUCKET_SECONDS",
    "ROLLUP_MEASURES",
    "SHORT_CALL_SECONDS",
    "CallRecord",
    "COARSE_MEASURES",
    "COARSE_ROLLUPS",
    "HOURLY_CALLS",
    "LEVEL_SECONDS",
    "CallRollup",
    "CallRollupDay",
    "Freshness",
    "LogFilter",
    "Reconciliation",
    "RollupPhase",
    "SyncCursor",
    "SyncRun",
    "bucket_of",
    "phase_of",
    "reversed_digits",
    "stored_counts",
]
