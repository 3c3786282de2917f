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
    # Not in sync mode (tests): there a task runs inline in the request that queued it,
    # which proves no cluster is running.
    if settings.Q_CLUSTER.get("sync"):
        return
    WorkerHeartbeat.beat(cluster_name(), host=socket.gethostname(), pid=os.getppid())


def cluster_name() -> str:
    return f"{socket.gethostname()}:{os.getppid()}"


# The recurring jobs every deployment needs: (name, function, every N minutes or "hourly",
# the delay before the first run or None for "as soon as a worker starts").
RECURRING_JOBS = [
    ("Worker heartbeat", "telephony.tasks.heartbeat", 1, None),
    ("Campaign engine watchdog", "campaigns.tasks.engine_watchdog", 1, None),
    ("Callback sync", "telephony.tasks_callbacks.sync_callbacks", 5, None),
    # Panel users first sync an hour after the schedule is created, not the moment a
    # worker starts.
    (
        "MyOperator panel users sync",
        "telephony.tasks_calls.sync_vendor_users",
        "hourly",
        timedelta(hours=1),
    ),
    ("One-off calls status check", "telephony.tasks_calls.refresh_open_calls", 1, None),
    ("Import upload sweep", "campaigns.tasks.sweep_import_uploads", "hourly", None),
]


def ensure_recurring(jobs):
    """Create or update each recurring django-q2 schedule of `jobs` (see RECURRING_JOBS);
    idempotent, so every app runs its own table after each migrate."""
    from django_q.models import Schedule

    for name, func, every, first_run_after in jobs:
        fields = {"func": func, "repeats": -1}
        if every == "hourly":
            fields["schedule_type"] = Schedule.HOURLY
        else:
            fields.update(schedule_type=Schedule.MINUTES, minutes=every)
        create = dict(fields)
        if first_run_after is not None:
            create["next_run"] = timezone.now() + first_run_after
        Schedule.objects.update_or_create(name=name, defaults=fields, create_defaults=create)


def ensure_schedules(sender, **kwargs):
    """The recurring jobs every deployment needs; idempotent, run after each migrate."""
    ensure_recurring(RECURRING_JOBS)


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
