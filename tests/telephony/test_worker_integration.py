"""A real `manage.py qcluster` executes a task: on the Redis broker (REDIS_URL) and on the
database (ORM) broker, against the test database on PostgreSQL.

The cluster is a separate process, so it must see the test database: the test commits
(transaction=True) and the cluster is pointed at the test database's name. SQLite's test
database lives in memory, which no other process can open, so these tests need
DATABASE_URL to be PostgreSQL (.ci/run sets it) and skip otherwise.
"""

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.db import connection
from django.urls import reverse
from django_q.brokers import get_broker, orm
from django_q.conf import Conf
from django_q.models import Task
from django_q.tasks import async_task

from telephony.models import WorkerHeartbeat

BASE_DIR = Path(__file__).resolve().parents[2]
WAIT_SECONDS = 60

DATABASE_URL = os.environ.get("DATABASE_URL", "")
REDIS_URL = os.environ.get("REDIS_URL", "")

# Skipped before any fixture runs: a transactional test flushes the database afterwards.
pytestmark = [
    pytest.mark.integration,
    pytest.mark.services,
    pytest.mark.skipif(
        not DATABASE_URL.startswith(("postgres://", "postgresql://")),
        reason="a real qcluster needs DATABASE_URL=postgres://…: SQLite's test database "
        "is in memory and invisible to another process",
    ),
    # The cluster only sees committed rows, so these tests commit; the database is
    # flushed after each, and serialized_rollback keeps a copy of what the migrations
    # created (role groups, permissions, schedules) to put back.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture(scope="module", autouse=True)
def restore_migrated_rows(django_db_setup, django_db_blocker):
    """Django puts the migrations' rows back only when the next test that asks for it
    starts; the tests that run after these (pytest-django runs tests that never name a
    database fixture last) need them too, so restore them once this module is done."""
    yield
    contents = getattr(connection, "_test_serialized_contents", None)
    if contents:
        with django_db_blocker.unblock():
            connection.creation.deserialize_db_from_string(contents)


def postgres_url_for(database_name: str) -> str:
    """DATABASE_URL with its database swapped for `database_name` (the test database)."""
    return urlsplit(DATABASE_URL)._replace(path=f"/{database_name}").geturl()


def wait_for(predicate, what: str, process: subprocess.Popen, timeout: float = WAIT_SECONDS):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        if process.poll() is not None:
            pytest.fail(f"qcluster exited with {process.returncode} while waiting for {what}")
        time.sleep(0.2)
    pytest.fail(f"no {what} within {timeout} s")


def stop(process: subprocess.Popen) -> str:
    """Stop the cluster as an operator would (SIGTERM), then make sure nothing of it is
    left holding test-database connections; returns what it logged."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=30)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)  # workers that outlived their parent
    process.wait(timeout=10)
    process.log.close()
    return Path(process.log.name).read_text(errors="replace")


@pytest.fixture
def start_cluster(transactional_db, tmp_path):
    """Start `manage.py qcluster` against the test database; stopped after the test
    (before the database is flushed)."""
    processes = []

    def start(redis_url: str | None) -> subprocess.Popen:
        env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "Q_ASYNC_IN_TESTS"}}
        env.update(
            DATABASE_URL=postgres_url_for(connection.settings_dict["NAME"]),
            DEBUG="true",  # the dev SECRET_KEY signs the packages, as in this process
            Q_WORKERS="1",
            LOG_LEVEL="INFO",
            PYTHONUNBUFFERED="1",
        )
        if redis_url:
            env["REDIS_URL"] = redis_url
        # A file, not a pipe: a full pipe would block the cluster mid-test.
        log = (tmp_path / f"qcluster-{len(processes)}.log").open("w")
        process = subprocess.Popen(
            [sys.executable, "manage.py", "qcluster"],
            cwd=BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so stop() reaches every worker
        )
        process.log = log
        processes.append(process)
        return process

    yield start
    for process in processes:
        stop(process)


def ancestors(pid: int) -> set[int]:
    """The parent chain of a process, read from /proc (Linux, like CI)."""
    chain = set()
    while pid > 1:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            break
        pid = int(fields[1])
        chain.add(pid)
    return chain


def part_of(pid: int, process: subprocess.Popen) -> bool:
    return pid == process.pid or process.pid in ancestors(pid)


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
    assert response.json()["worker"]["ok"] is True

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
