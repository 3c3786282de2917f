# ruff: noqa: F811 (pytest fixtures are imported by name, then requested as arguments)
"""A real `manage.py qcluster` executes a task: on the Redis broker (REDIS_URL) and on the
database (ORM) broker, against the test database on PostgreSQL.

The cluster is a separate process, so it must see the test database: the test commits
(transaction=True) and the cluster is pointed at the test database's name. SQLite's test
database lives in memory, which no other process can open, so these tests need
DATABASE_URL to be PostgreSQL (.ci/run sets it) and skip otherwise.
"""

import os

import pytest
from django.urls import reverse
from django_q.brokers import get_broker, orm
from django_q.conf import Conf
from django_q.models import Task
from django_q.tasks import async_task

from telephony.models import WorkerHeartbeat
from tests.qcluster import (  # noqa: F401 (fixtures are used by name)
    CLUSTER_MARKS,
    REDIS_URL,
    part_of,
    restore_migrated_rows,
    start_cluster,
    stop,
    wait_for,
)

pytestmark = CLUSTER_MARKS


def assert_runs_in_the_cluster(process, broker, client):
    # The worker announces itself (post_spawn) before taking work.
    beat = wait_for(lambda: WorkerHeartbeat.objects.alive().first(), "heartbeat", process)
    assert part_of(beat.pid, process), "the heartbeat did not come from this cluster"

    task_id = async_task("os.getpid", sync=False, broker=broker, task_name="integration-pid")
    assert not Task.objects.filter(id=task_id).exists()  # queued, not run here

    run = wait_for(lambda: Task.objects.filter(id=task_id).first(), "task result", process)
    assert run.success, run.result
    assert run.result != os.getpid()
    assert part_of(run.result, process), "the task ran outside the qcluster"

    # With a live worker and a reachable broker, the health check is green.
    response = client.get(reverse("healthz"))
    assert response.status_code == 200, response.content
    assert response.json() == {"status": "ok"}  # 200 means the worker check passed too

    output = stop(process)
    assert "integration-pid" in output  # the cluster's own log names the task it ran


@pytest.mark.skipif(
    not REDIS_URL, reason="REDIS_URL is not set: the Redis broker test needs the local Redis"
)
def test_a_real_qcluster_on_the_redis_broker_executes_a_task(start_cluster, client):
    assert REDIS_URL == Conf.REDIS, "this process must enqueue on the same Redis"
    process = start_cluster(REDIS_URL)

    assert_runs_in_the_cluster(process, get_broker(), client)


def test_a_real_qcluster_on_the_database_broker_executes_a_task(start_cluster, client):
    process = start_cluster(None)

    # This process may be configured for Redis; enqueue on the cluster's ORM broker.
    assert_runs_in_the_cluster(process, orm.ORM(list_key=Conf.CLUSTER_NAME), client)
