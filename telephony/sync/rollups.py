"""Rebuilding CallRollup from CallRecord (`manage.py rebuild_rollups`).

The ingest keeps the rollups exact as it goes; this recomputes them from the records
with the very same rules (rollup_key, measures_of), account by account, reading the
records in bounded batches by id. Each account is rebuilt in one transaction that
holds its ingest lock, so no sync of that account interleaves and readers see either
the old table or the new one."""

from collections import defaultdict

from django.db import transaction

from telephony.models import CallRecord, CallRollup, ProviderAccount
from telephony.models.cdr import ROLLUP_MEASURES

from .ingest import _lock_account, _utc, apply_rollup_deltas, measures_of, rollup_key

FIELDS = ("id", "started_at", "campaign_id", "caller_id", "status", "billable_seconds")


def rebuild_account(account_id: int, *, batch_size: int = 5000) -> int:
    """Recompute one account's rollups; returns the number of rollup rows."""
    with transaction.atomic():
        _lock_account(account_id)
        CallRollup.objects.filter(account_id=account_id).delete()
        last_id = 0
        while True:
            rows = list(
                CallRecord.objects.filter(account_id=account_id, id__gt=last_id)
                .order_by("id")
                .values(*FIELDS)[:batch_size]
            )
            if not rows:
                break
            last_id = rows[-1]["id"]
            totals = defaultdict(lambda: [0] * len(ROLLUP_MEASURES))
            for row in rows:
                row["started_at"] = _utc(row["started_at"])
                key = rollup_key(account_id, row)
                if key is None:
                    continue
                for index, value in enumerate(measures_of(row)):
                    totals[key][index] += value
            apply_rollup_deltas(totals)
        return CallRollup.objects.filter(account_id=account_id).count()


def rebuild(account_ids=None, *, batch_size: int = 5000, progress=None) -> int:
    """Rebuild the rollups of the given accounts (all when None); returns row count.
    Rollups of accounts that no longer exist go with their account (CASCADE)."""
    ids = list(account_ids or ProviderAccount.objects.order_by("id").values_list("id", flat=True))
    total = 0
    for account_id in ids:
        rows = rebuild_account(account_id, batch_size=batch_size)
        total += rows
        if progress:
            progress(account_id, rows)
    return total
