"""Sync jobs: each vendor's calls into CallRecord, through the one ingest.

Every function here takes an account (the django-q2 entry points in telephony/tasks.py
take ids), records one SyncRun per run, is safe to run twice (the ingest is idempotent)
and safe to die half way: pages are stored as they arrive, a few together (`batched`:
one ingest per SYNC_INGEST_BATCH records, since each ingest has a fixed cost), and
whatever was read is stored before a fault ends the run; a cursor moves only once every
page of its window is stored. A fault on page 3 of 5 leaves pages 1-2 stored and the
cursor where it was; the next run reads the window again, finds pages 1-2 unchanged,
and stores the rest. Nothing lost, nothing doubled.
"""

import logging
from contextlib import contextmanager
from datetime import UTC, datetime, time, timedelta

from django.apps import apps
from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from telephony.models import CallRecord, LogFilter, SyncCursor, SyncRun
from telephony.vendors.base import InvalidRequest, MalformedResponse, VendorError

from .ingest import ingest

logger = logging.getLogger("telephony.sync")

OPEN_STATUS = "in_progress"


def setting(name: str, default):
    return getattr(settings, name, default)


def overlap() -> timedelta:
    """How far back each incremental run starts before the last stored end: calls are
    logged when they end, so a call that began before the last run's end may be logged
    after it (SYNC_OVERLAP_MINUTES, 15)."""
    return timedelta(minutes=setting("SYNC_OVERLAP_MINUTES", 15))


def first_window() -> timedelta:
    """How far back the first run of an account reads (SYNC_INITIAL_DAYS, 7)."""
    return timedelta(days=setting("SYNC_INITIAL_DAYS", 7))


def slice_length() -> timedelta:
    """A long window is read in slices, oldest first, so the cursor moves after each
    (SYNC_SLICE_HOURS, 6)."""
    return timedelta(hours=setting("SYNC_SLICE_HOURS", 6))


# --- the run row ---------------------------------------------------------------------------


@contextmanager
def recorded(account, kind, **window):
    """A SyncRun around a block: ok at the end, or the vendor's words when it fails.

    A vendor error or our own validation ends the run as failed (the job returns
    normally: the next scheduled run tries again); anything else is a bug, recorded
    and raised. `run.client` is the account's vendor client, closed at the end."""
    run = SyncRun.objects.create(account=account, kind=kind, **window)
    client = None
    try:
        client = run.client = account.client()
        yield run
    except VendorError as exc:
        logger.warning("%s sync of account %s failed: %s", kind, account.pk, exc)
        run.finish(ok=False, errors=str(exc))
    except InvalidRequest as exc:
        run.finish(ok=False, errors=f"Account settings: {exc}")
    except Exception as exc:
        run.finish(ok=False, errors=f"Internal error ({type(exc).__name__}); see the server log.")
        raise
    else:
        run.finish(ok=True)
    finally:
        # Close the client's keep-alive connections: a job ends, its sockets too.
        session = getattr(getattr(client, "http", None), "session", None)
        if session is not None:
            session.close()


def _count(run, result, pages: int = 1):
    run.pages += pages
    run.created += result.created
    run.updated += result.updated
    run.unchanged += result.unchanged
    run.save(update_fields=["pages", "created", "updated", "unchanged"])


def ingest_batch() -> int:
    """How many records a sync gathers (over pages) before one ingest
    (SYNC_INGEST_BATCH, 5000): an ingest has a fixed cost (its lookups, its rollup
    statements, its commit), so 100-record pages stored one by one cost about twice as
    much per record (bench/ingest_bench.py --batch)."""
    return max(1, int(setting("SYNC_INGEST_BATCH", 5000)))


class Pending:
    """Records read but not yet stored, stored together once a batch is waiting."""

    def __init__(self, run, account, **options):
        self.run, self.account, self.options = run, account, options
        self.items, self.pages = [], 0

    def add(self, cdrs, *, pages: int = 1):
        self.items += cdrs
        self.pages += pages
        if len(self.items) >= ingest_batch():
            self.flush()

    def flush(self):
        if self.items or self.pages:
            items, self.items = self.items, []
            pages, self.pages = self.pages, 0
            _count(self.run, ingest(self.account, items, **self.options), pages=pages)


@contextmanager
def batched(run, account, **options):
    """A Pending for the block; what it holds is stored at the end, and also when a
    fault ends the block (whole pages read before the fault are good records)."""
    pending = Pending(run, account, **options)
    try:
        yield pending
    finally:
        pending.flush()


def _advance(account, kind: str, moment: datetime):
    """Move the cursor forward only (two overlapping runs never move it back)."""
    current = SyncCursor.get_time(account, kind)
    if current is None or moment > current:
        SyncCursor.set_time(account, kind, moment)


def _window(account, kind: str, now: datetime) -> tuple[datetime, datetime]:
    cursor = SyncCursor.get_time(account, kind)
    start = cursor - overlap() if cursor else now - first_window()
    return start, now


def _slices(start: datetime, end: datetime):
    step = slice_length()
    while start < end:
        yield start, min(start + step, end)
        start += step


# --- MyOperator --------------------------------------------------------------------------


def sync_myoperator_logs(account, *, now=None, page_size: int | None = None) -> SyncRun:
    """`POST /search` from the cursor (less the overlap) to now, every page, calls only."""
    from telephony.vendors.myoperator.contract import MAX_PAGE_SIZE
    from telephony.vendors.myoperator.mapping import is_call, log_to_cdr

    now = (now or timezone.now()).replace(microsecond=0)
    start, end = _window(account, SyncRun.Kind.LOGS, now)
    page_size = page_size or MAX_PAGE_SIZE
    with recorded(account, SyncRun.Kind.LOGS, window_start=start, window_end=end) as run:
        client = run.client
        for slice_start, slice_end in _slices(start, end):
            log_from = 0
            with batched(run, account) as pending:
                while True:
                    page = client.search_logs(
                        date_from=slice_start,
                        date_to=slice_end,
                        log_from=log_from,
                        page_size=page_size,
                    )
                    pending.add([log_to_cdr(source) for source in page.items if is_call(source)])
                    if page.next_cursor is None:
                        break
                    log_from = page.next_cursor
            _advance(account, SyncRun.Kind.LOGS, slice_end)
    return run


def sync_myoperator_filters(account) -> SyncRun:
    """`GET /filters` into LogFilter: categories first, then the filters in them; ids
    the vendor no longer lists are removed."""
    with recorded(account, SyncRun.Kind.FILTERS) as run:
        items = run.client.list_filters()
        now = timezone.now()
        roots = [item for item in items if item.parent_id in ("", "0")]
        children = [item for item in items if item.parent_id not in ("", "0")]
        stored = {}
        for item in roots + children:
            parent = stored.get(item.parent_id)
            defaults = {
                "name": item.name[:200],
                "parent": parent,
                "category": parent.name if parent else "",
                "raw": item.raw,
                "synced_at": now,
            }
            row, created = LogFilter.objects.update_or_create(
                account=account, vendor_id=item.id[:64], defaults=defaults
            )
            stored[item.id] = row
            run.created += created
            run.updated += not created
        LogFilter.objects.filter(account=account).exclude(vendor_id__in=list(stored)).delete()
        run.pages = 1
        run.save(update_fields=["pages", "created", "updated"])
    return run


# --- CPaaS -------------------------------------------------------------------------------


def sync_cpaas_cdrs(account, *, now=None, page_size: int | None = None) -> SyncRun:
    """`get_cdr_by_date` over the UTC days from the cursor (less the overlap) to today,
    every page; the cursor becomes the run's start time once every page is stored."""
    from telephony.vendors.cpaas.client import MAX_CDR_PAGE

    now = now or timezone.now()
    start, end = _window(account, SyncRun.Kind.CDR, now)
    page_size = page_size or MAX_CDR_PAGE
    window = {
        "window_start": datetime.combine(start.astimezone(UTC).date(), time.min, tzinfo=UTC),
        "window_end": end,
    }
    with recorded(account, SyncRun.Kind.CDR, **window) as run:
        client = run.client
        offset, previous = 0, None
        with batched(run, account) as pending:
            while True:
                page = client.get_cdr_by_date(
                    start_date=start.astimezone(UTC).date(),
                    end_date=end.astimezone(UTC).date(),
                    record_count=page_size,
                    offset=offset,
                )
                ids = [cdr.vendor_call_id for cdr in page.items]
                if page.items and ids == previous:
                    raise MalformedResponse(
                        "The CPaaS server answered the same CDR page twice (offset ignored?).",
                        vendor="cpaas",
                    )
                previous = ids
                pending.add(page.items)
                if page.next_cursor is None:
                    break
                offset = page.next_cursor
        _advance(account, SyncRun.Kind.CDR, end)
    return run


def native_campaigns(account, now=None):
    """The account's CPaaS campaigns worth reading: live ones, and those that ended in
    the last day (their last CDRs arrive after the end)."""
    Campaign = apps.get_model("campaigns", "Campaign")
    now = now or timezone.now()
    return (
        Campaign.objects.filter(account=account)
        .exclude(vendor_campaign_id="")
        .filter(
            Q(finished_at__isnull=True) | Q(finished_at__gte=now - timedelta(days=1)),
        )
        .exclude(state=Campaign.State.DRAFT)
        .order_by("id")
    )


def sync_cpaas_campaign_cdrs(account, *, now=None) -> SyncRun:
    """`get_cdr_by_campaign_id` for each native campaign: its calls linked to it."""
    with recorded(account, SyncRun.Kind.CAMPAIGN_CDR) as run:
        client = run.client
        for campaign in native_campaigns(account, now):
            cdrs = client.get_cdr_by_campaign_id(campaign_id=campaign.vendor_campaign_id)
            _count(run, ingest(account, cdrs, campaign=campaign.pk))
    return run


def open_calls(account, now=None, limit: int = 200):
    """Calls we placed on this account (single calls) with a vendor id and no final
    record yet, from the last two days."""
    Call = apps.get_model("telephony", "Call")
    now = now or timezone.now()
    final = CallRecord.objects.filter(call_id__isnull=False).exclude(status=OPEN_STATUS)
    return (
        Call.objects.filter(account=account, created_at__gte=now - timedelta(days=2))
        .exclude(vendor_call_id="")
        .exclude(pk__in=final.values("call_id"))
        .order_by("id")[:limit]
    )


def sync_cpaas_call_cdrs(account, *, now=None) -> SyncRun:
    """`get_cdr_by_request_id` for single calls (click2call, OTP) with no final record."""
    with recorded(account, SyncRun.Kind.CALL_CDR) as run:
        client = run.client
        with batched(run, account) as pending:
            for call in open_calls(account, now):
                pending.add(client.get_cdr_by_request_id(request_id=call.vendor_call_id))
    return run


# --- OCA ---------------------------------------------------------------------------------


def sync_oca_call_status(account, *, now=None, limit: int = 200) -> SyncRun:
    """OCA has no CDR list: ask the status of each call we placed that is not final,
    single calls and records still in progress alike."""
    ids = list(open_calls(account, now, limit).values_list("vendor_call_id", flat=True))
    ids += list(
        CallRecord.objects.filter(account=account, status=OPEN_STATUS)
        .order_by("synced_at")
        .values_list("vendor_call_id", flat=True)[:limit]
    )
    with recorded(account, SyncRun.Kind.CALL_STATUS) as run:
        client = run.client
        with batched(run, account) as pending:
            for call_id in dict.fromkeys(ids):
                pending.add([client.call_status(call_id=call_id)])
    return run


# --- per account ---------------------------------------------------------------------------

# What one "sync now" (or one scheduled turn) runs, per vendor kind.
SYNCS = {
    "myoperator": (sync_myoperator_logs,),
    "cpaas": (sync_cpaas_cdrs, sync_cpaas_campaign_cdrs, sync_cpaas_call_cdrs),
    "oca": (sync_oca_call_status,),
}
# Kinds that run daily, not every turn (MyOperator's /filters).
DAILY = {"myoperator": (sync_myoperator_filters,)}


def sync_account(account, *, with_daily: bool = False) -> list[SyncRun]:
    runs = [sync(account) for sync in SYNCS.get(account.kind, ())]
    if with_daily:
        runs += [sync(account) for sync in DAILY.get(account.kind, ())]
    return runs


def due_accounts(now=None):
    """Active accounts with a call source whose last sync started at least their
    interval ago (or never), and none is running since less than that."""
    from telephony.models import ProviderAccount

    now = now or timezone.now()
    due = []
    for account in ProviderAccount.objects.active().filter(kind__in=list(SYNCS)):
        interval = timedelta(minutes=max(1, account_interval(account)))
        last = SyncRun.objects.filter(account=account, kind__in=SyncRun.FRESHNESS_KINDS).first()
        if last is None or last.started_at <= now - interval + timedelta(seconds=5):
            due.append(account)
    return due


def account_interval(account) -> int:
    return int(getattr(account, "sync_interval_minutes", None) or 5)


def filters_due(account, now=None) -> bool:
    now = now or timezone.now()
    last = SyncRun.objects.filter(account=account, kind=SyncRun.Kind.FILTERS, ok=True).first()
    return last is None or last.started_at <= now - timedelta(days=1)
