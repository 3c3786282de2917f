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
