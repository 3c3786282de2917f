"""The call-data sync's recurring jobs; idempotent, run after each migrate (apps.py).

One dispatcher every minute enqueues each account whose own interval
(ProviderAccount.sync_interval_minutes, 5 by default) is up, so a changed interval
needs no schedule row of its own; reconciliation runs hourly."""


def ensure_sync_schedules(sender, **kwargs):
    from django_q.models import Schedule

    Schedule.objects.update_or_create(
        name="Call data sync",
        defaults={
            "func": "telephony.tasks.sync_due_accounts",
            "schedule_type": Schedule.MINUTES,
            "minutes": 1,
            "repeats": -1,
        },
    )
    Schedule.objects.update_or_create(
        name="Call count reconciliation",
        defaults={
            "func": "telephony.tasks.reconcile_accounts",
            "schedule_type": Schedule.HOURLY,
            "repeats": -1,
        },
    )
