"""What the account page shows about the sync: latest run per kind, reconciliation."""

from telephony.models import SyncRun

from .jobs import DAILY, SYNCS, account_interval
from .reconcile import latest


def sync_panel(account) -> dict:
    kinds = [
        *(_kind_of(sync) for sync in SYNCS.get(account.kind, ())),
        *(_kind_of(sync) for sync in DAILY.get(account.kind, ())),
    ]
    runs = {run.kind: run for run in SyncRun.objects.latest_per_kind(account)}
    rows = [(SyncRun.Kind(kind).label, runs.get(kind)) for kind in kinds]
    if SyncRun.Kind.RECONCILE in runs:
        rows.append((SyncRun.Kind.RECONCILE.label, runs[SyncRun.Kind.RECONCILE]))
    return {
        "account": account,
        "has_source": bool(kinds),
        "interval": account_interval(account),
        "sync_rows": rows,
        "failing": [run for _label, run in rows if run is not None and run.ok is False],
        "running": any(run is not None and run.ok is None for _label, run in rows),
        "reconciliations": latest(account),
    }


def _kind_of(sync) -> str:
    return SYNC_KINDS[sync.__name__]


SYNC_KINDS = {
    "sync_myoperator_logs": SyncRun.Kind.LOGS,
    "sync_myoperator_filters": SyncRun.Kind.FILTERS,
    "sync_cpaas_cdrs": SyncRun.Kind.CDR,
    "sync_cpaas_campaign_cdrs": SyncRun.Kind.CAMPAIGN_CDR,
    "sync_cpaas_call_cdrs": SyncRun.Kind.CALL_CDR,
    "sync_oca_call_status": SyncRun.Kind.CALL_STATUS,
}
