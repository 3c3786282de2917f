import os
import socket
from datetime import timedelta

from django.conf import settings
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils import timezone
from django_q.signals import post_spawn

from .models import UserProfile, WorkerHeartbeat


@receiver(post_save, sender=settings.AUTH_USER_MODEL)
def create_profile(sender, instance, created, **kwargs):
    if created:
        UserProfile.objects.get_or_create(user=instance)


@receiver(post_spawn)
def worker_started(sender, proc_name, **kwargs):
    # A new worker process proves the cluster is up before its first scheduled beat.
    WorkerHeartbeat.beat(cluster_name(), host=socket.gethostname(), pid=os.getppid())


def cluster_name() -> str:
    return f"{socket.gethostname()}:{os.getppid()}"


def ensure_schedules(sender, **kwargs):
    """The recurring jobs every deployment needs; idempotent, run after each migrate."""
    from django_q.models import Schedule

    Schedule.objects.update_or_create(
        name="Worker heartbeat",
        defaults={
            "func": "telephony.tasks.heartbeat",
            "schedule_type": Schedule.MINUTES,
            "minutes": 1,
            "repeats": -1,
        },
    )
    Schedule.objects.update_or_create(
        name="Campaign engine watchdog",
        defaults={
            "func": "campaigns.tasks.engine_watchdog",
            "schedule_type": Schedule.MINUTES,
            "minutes": 1,
            "repeats": -1,
        },
    )
    Schedule.objects.update_or_create(
        name="Callback sync",
        defaults={
            "func": "telephony.tasks_callbacks.sync_callbacks",
            "schedule_type": Schedule.MINUTES,
            "minutes": 5,
            "repeats": -1,
        },
    )
    users_sync = {
        "func": "telephony.tasks_calls.sync_vendor_users",
        "schedule_type": Schedule.HOURLY,
        "repeats": -1,
    }
    Schedule.objects.update_or_create(
        name="MyOperator panel users sync",
        defaults=users_sync,
        # First run an hour after it is created, not the moment a worker starts.
        create_defaults={**users_sync, "next_run": timezone.now() + timedelta(hours=1)},
    )
    Schedule.objects.update_or_create(
        name="One-off calls status check",
        defaults={
            "func": "telephony.tasks_calls.refresh_open_calls",
            "schedule_type": Schedule.MINUTES,
            "minutes": 1,
            "repeats": -1,
        },
    )
    Schedule.objects.update_or_create(
        name="Import upload sweep",
        defaults={
            "func": "campaigns.tasks.sweep_import_uploads",
            "schedule_type": Schedule.HOURLY,
            "repeats": -1,
        },
    )


def ensure_roles(sender, **kwargs):
    """The role groups and their permissions. The data migration creates them; this puts
    them back after a `flush` (which empties every table, as transactional tests do)."""
    from django.contrib.auth.models import Group, Permission

    from .access import ROLE_PERMISSIONS

    for role, codenames in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label="telephony", codename__in=codenames)
        )
