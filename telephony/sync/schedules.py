"""The call-data sync's recurring jobs; idempotent, run after each migrate (apps.py).

One dispatcher every minute enqueues each account whose own interval
(ProviderAccount.sync_interval_minutes, 5 by default) is up, so a changed interval
needs no schedule row of its own; reconciliation runs hourly."""

SYNC_JOBS = [
    ("Call data sync", "telephony.tasks.sync_due_accounts", 1, None),
    ("Call count reconciliation", "telephony.tasks.reconcile_accounts", "hourly", None),
]


def ensure_sync_schedules(sender, **kwargs):
    from telephony.signals import ensure_recurring

    ensure_recurring(SYNC_JOBS)
