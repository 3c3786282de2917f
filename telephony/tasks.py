"""django-q2 jobs. Each takes ids (or nothing), is safe to run twice, and records its run."""

import socket
from datetime import timedelta

from django.utils import timezone

from .models import WorkerHeartbeat
from .signals import cluster_name


def heartbeat():
    """Scheduled every minute: proves a worker is alive and executing tasks."""
    WorkerHeartbeat.beat(cluster_name(), host=socket.gethostname())
    WorkerHeartbeat.objects.filter(last_seen__lt=timezone.now() - timedelta(days=1)).delete()
    return "ok"


# --- call data sync (issue 11): telephony/sync/ ----------------------------------------


def sync_calls(account_id: int, with_daily: bool = False) -> str:
    """Every call source of one account (what "Sync now" enqueues)."""
    from .models import ProviderAccount
    from .sync.jobs import sync_account

    account = ProviderAccount.objects.filter(pk=account_id).first()
    if account is None:
        return f"account {account_id} no longer exists"
    runs = sync_account(account, with_daily=with_daily)
    return "; ".join(f"{run.kind}: {'ok' if run.ok else run.errors}" for run in runs) or (
        f"{account.name} has no call source"
    )


def sync_due_accounts() -> str:
    """Scheduled every minute: enqueue a sync of each account whose interval is up."""
    from django_q.tasks import async_task

    from .sync.jobs import due_accounts, filters_due

    due = due_accounts()
    for account in due:
        async_task(
            "telephony.tasks.sync_calls",
            account.pk,
            filters_due(account),
            task_name=f"Sync calls of account {account.pk}",
            group="sync",
        )
    return f"{len(due)} account(s) due"


def reconcile_accounts(account_id: int | None = None) -> str:
    """Scheduled hourly: the vendors' call counts against ours (telephony/sync/reconcile)."""
    from .models import ProviderAccount
    from .sync.reconcile import reconcile_account

    accounts = ProviderAccount.objects.active().filter(kind__in=["myoperator", "cpaas"])
    if account_id is not None:
        accounts = ProviderAccount.objects.filter(pk=account_id)
    runs = [run for run in (reconcile_account(account) for account in accounts) if run]
    return f"{len(runs)} account(s) reconciled"
