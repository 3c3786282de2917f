"""A real `manage.py qcluster` for integration tests: start it against the test database,
stop it as an operator would, or kill -9 its whole process group.

The cluster is a separate process, so it must see the test database: the tests commit
(transaction=True) and the cluster is pointed at the test database's name. SQLite's test
database lives in memory, which no other process can open, so these tests need
DATABASE_URL to be PostgreSQL (.ci/run sets it) and skip otherwise.

Use it from a test module:

    from tests.qcluster import CLUSTER_MARKS, restore_migrated_rows, start_cluster  # noqa: F401

    pytestmark = CLUSTER_MARKS

`start_cluster(redis_url, **env)` returns the Popen of the cluster (its own process group);
everything it started is stopped after the test, before the database is flushed.
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

BASE_DIR = Path(__file__).resolve().parents[1]
WAIT_SECONDS = 60

DATABASE_URL = os.environ.get("DATABASE_URL", "")
REDIS_URL = os.environ.get("REDIS_URL", "")
ON_POSTGRES = DATABASE_URL.startswith(("postgres://", "postgresql://"))

# Skipped before any fixture runs: a transactional test flushes the database afterwards.
CLUSTER_MARKS = [
    pytest.mark.integration,
    pytest.mark.services,
    pytest.mark.skipif(
        not ON_POSTGRES,
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
    database fixture last) need them too, so restore them once the module is done.
    Import it into a module that uses the cluster (autouse applies per module)."""
    yield
    contents = getattr(connection, "_test_serialized_contents", None)
    if contents:
        with django_db_blocker.unblock():
            connection.creation.deserialize_db_from_string(contents)


def postgres_url_for(database_name: str) -> str:
    """DATABASE_URL with its database swapped for `database_name` (the test database)."""
    return urlsplit(DATABASE_URL)._replace(path=f"/{database_name}").geturl()


def wait_for(predicate, what: str, process: subprocess.Popen | None, timeout: float = WAIT_SECONDS):
    """Poll `predicate` until it returns something truthy; fail if the cluster dies or
    `timeout` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        if process is not None and process.poll() is not None:
            pytest.fail(f"qcluster exited with {process.returncode} while waiting for {what}")
        time.sleep(0.2)
    pytest.fail(f"no {what} within {timeout} s")


def _close_log(process: subprocess.Popen) -> str:
    if not process.log.closed:
        process.log.close()
    return Path(process.log.name).read_text(errors="replace")


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
    return _close_log(process)


def kill_9(process: subprocess.Popen) -> str:
    """kill -9 the cluster's whole process group (sentinel, workers, monitor, pusher and
    any thread pool in them): no signal handler, no cleanup, no acknowledgement of the
    task in hand. Returns what it logged until then."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)
    # Children re-parented to init die with the group; wait until none is left.
    deadline = time.monotonic() + 10
    while group_members(process.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    return _close_log(process)


def group_members(pgid: int) -> list[int]:
    """Live processes of process group `pgid` (Linux /proc)."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            members.append(int(entry.name))
    return members


@pytest.fixture
def start_cluster(transactional_db, tmp_path):
    """Start `manage.py qcluster` against the test database; stopped after the test
    (before the database is flushed).

    start(redis_url, workers=1, **env): `redis_url` None uses the database (ORM) broker;
    extra keyword arguments become environment variables of the cluster (e.g.
    VENDOR_READ_TIMEOUT="1")."""
    processes = []

    def start(redis_url: str | None, *, workers: int = 1, **extra_env) -> subprocess.Popen:
        env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "Q_ASYNC_IN_TESTS"}}
        env.update(
            DATABASE_URL=postgres_url_for(connection.settings_dict["NAME"]),
            DEBUG="true",  # the dev SECRET_KEY signs the packages, as in this process
            Q_WORKERS=str(workers),
            LOG_LEVEL="INFO",
            PYTHONUNBUFFERED="1",
        )
        env.update({name: str(value) for name, value in extra_env.items()})
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
        if process.returncode is None or not process.log.closed:
            stop(process)


@pytest.fixture
def enqueue_for_real(monkeypatch):
    """In tests django-q2 runs tasks synchronously (Q_CLUSTER["sync"]); this makes
    async_task push to the broker instead, for a real cluster to take."""
    from django_q.conf import Conf

    monkeypatch.setattr(Conf, "SYNC", False)


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
