"""Reconciliation: the vendor's own count of calls against the CallRecords we hold.

- MyOperator: `/search` restricted to calls (filter 8, "Type of logs: Call") for each of
  the last days (UTC), page_size 1: its `total` against our records started that day.
- CPaaS: `get_cdr_statistics` has no dates, so its all-time `total_calls` (and each
  status's counter) against all our records of the account.
A gap is vendor minus stored: positive means calls we have not synced yet."""

from datetime import UTC, datetime, time, timedelta

from django.db.models import Count
from django.utils import timezone

from telephony.models import CallRecord, Reconciliation, SyncRun

from .jobs import recorded

# MyOperator's /filters id of "Type of logs: Call" (vendor-contracts.md §2, C).
CALLS_ONLY_FILTER = "8"


def reconcile_account(account, *, days: int = 2, now=None) -> SyncRun | None:
    if account.kind == "myoperator":
        return reconcile_myoperator(account, days=days, now=now)
    if account.kind == "cpaas":
        return reconcile_cpaas(account, now=now)
    return None


def _stored(account, start=None, end=None) -> int:
    rows = CallRecord.objects.filter(account=account)
    if start is not None:
        rows = rows.filter(started_at__gte=start, started_at__lt=end)
    return rows.count()


def reconcile_myoperator(account, *, days: int = 2, now=None) -> SyncRun:
    now = now or timezone.now()
    today = now.astimezone(UTC).date()
    with recorded(account, SyncRun.Kind.RECONCILE) as run:
        client = run.client
        for back in range(days - 1, -1, -1):
            day = today - timedelta(days=back)
            start = datetime.combine(day, time.min, tzinfo=UTC)
            end = start + timedelta(days=1)
            # `to` is inclusive whole seconds: the day's last second.
            page = client.search_logs(
                date_from=start,
                date_to=min(end - timedelta(seconds=1), now),
                filters=CALLS_ONLY_FILTER,
                page_size=1,
            )
            vendor_total = page.total if page.total is not None else len(page.items)
            Reconciliation.objects.create(
                account=account,
                day=day,
                vendor_total=vendor_total,
                stored_total=_stored(account, start, end),
                checked_at=now,
            )
            run.pages += 1
        run.save(update_fields=["pages"])
    return run


def reconcile_cpaas(account, *, now=None) -> SyncRun:
    now = now or timezone.now()
    with recorded(account, SyncRun.Kind.RECONCILE) as run:
        stats = run.client.get_cdr_statistics()
        stored = dict(
            CallRecord.objects.filter(account=account)
            .values("status")
            .annotate(n=Count("id"))
            .values_list("status", "n")
        )
        Reconciliation.objects.create(
            account=account,
            day=None,
            vendor_total=stats.total,
            stored_total=sum(stored.values()),
            detail={
                "by_status": {
                    str(status): {"vendor": count, "stored": stored.get(str(status), 0)}
                    for status, count in stats.counts.items()
                }
            },
            checked_at=now,
        )
        run.pages = 1
        run.save(update_fields=["pages"])
    return run


def latest(account, limit: int = 3) -> list[Reconciliation]:
    """The account's latest checks, one per day (or the all-time one), newest day first."""
    rows, seen = [], set()
    for row in Reconciliation.objects.filter(account=account).order_by("-checked_at", "-id")[:50]:
        if row.day in seen:
            continue
        seen.add(row.day)
        rows.append(row)
        if len(rows) >= limit:
            break
    return sorted(rows, key=lambda row: (row.day is None, row.day), reverse=True)
