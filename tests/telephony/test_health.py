"""/healthz says ok or unavailable to anyone and, to admins, which of the database, the
broker and the worker failed; the header warns everyone when no worker is alive; the
heartbeat task keeps one row per cluster."""

from datetime import timedelta

import pytest
import time_machine
from django.db import OperationalError
from django.urls import reverse
from django.utils import timezone

from telephony import tasks
from telephony.models import WorkerHeartbeat
from telephony.signals import cluster_name
from telephony.views import health
from tests.factories import UserFactory

HEALTHZ = reverse("healthz")
STALE = timedelta(seconds=WorkerHeartbeat.STALE_AFTER_SECONDS + 1)


def age(beat, by):
    WorkerHeartbeat.objects.filter(pk=beat.pk).update(last_seen=timezone.now() - by)


class FailingBroker:
    def __init__(self, answer):
        self.answer = answer

    def ping(self):
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


def test_healthz_is_200_with_every_check_when_a_worker_beat_just_now(admin_client):
    WorkerHeartbeat.beat("box-a:101", host="box-a", pid=101)

    response = admin_client.get(HEALTHZ)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "no-cache" in response["Cache-Control"]
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] == {"ok": True, "vendor": health.connection.vendor}
    assert body["broker"]["ok"] is True and body["broker"]["kind"] in {"ORM", "Redis"}
    assert body["worker"]["ok"] is True and body["worker"]["name"] == "box-a:101"
    assert body["worker"]["last_seen"]


def test_healthz_is_503_when_the_only_heartbeat_is_stale(admin_client):
    age(WorkerHeartbeat.beat("box-a:101"), STALE)

    response = admin_client.get(HEALTHZ)

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["worker"]["ok"] is False and body["worker"]["name"] == "box-a:101"
    assert body["database"]["ok"] is True and body["broker"]["ok"] is True


def test_healthz_is_503_when_no_worker_ever_reported(admin_client):
    response = admin_client.get(HEALTHZ)

    assert response.status_code == 503
    assert response.json()["worker"] == {"ok": False, "error": "no worker has ever reported"}


def test_healthz_looks_at_the_freshest_heartbeat(admin_client):
    age(WorkerHeartbeat.beat("old-box:1"), timedelta(hours=3))
    WorkerHeartbeat.beat("new-box:2")

    response = admin_client.get(HEALTHZ)

    assert response.status_code == 200
    assert response.json()["worker"]["name"] == "new-box:2"


@pytest.mark.parametrize(
    ("answer", "error"),
    [(ConnectionError("Error 111 connecting to redis"), "ConnectionError"), (False, None)],
)
def test_healthz_is_503_when_the_broker_does_not_answer_its_ping(
    admin_client, monkeypatch, answer, error
):
    WorkerHeartbeat.beat("box-a:101")
    monkeypatch.setattr(health, "get_broker", lambda: FailingBroker(answer))

    response = admin_client.get(HEALTHZ)

    assert response.status_code == 503
    body = response.json()
    assert body["broker"]["ok"] is False
    if error:
        # The exception's type, never its text (a URL with a password could be in it).
        assert body["broker"] == {"ok": False, "error": error}
    assert body["database"]["ok"] is True and body["worker"]["ok"] is True


def test_healthz_is_503_when_the_database_fails(admin_client, monkeypatch):
    class DownConnection:
        vendor = "postgresql"

        def cursor(self):
            raise OperationalError("could not connect to server")

    monkeypatch.setattr(health, "connection", DownConnection())

    response = admin_client.get(HEALTHZ)

    assert response.status_code == 503
    body = response.json()
    assert body["database"] == {"ok": False, "error": "OperationalError"}
    assert body["worker"] == {"ok": False}


@pytest.mark.parametrize("who", ["anonymous", "viewer", "supervisor"])
def test_healthz_tells_anyone_but_an_admin_only_ok_or_not(db, request, who):
    WorkerHeartbeat.beat("box-a:101", host="box-a", pid=101)
    client = request.getfixturevalue(f"{who}_client")

    response = client.get(HEALTHZ)

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert b"box-a" not in response.content


def test_healthz_tells_anyone_only_unavailable_when_something_is_down(anonymous_client):
    age(WorkerHeartbeat.beat("box-a:101", host="box-a", pid=101), STALE)

    response = anonymous_client.get(HEALTHZ)

    assert response.status_code == 503
    assert response.json() == {"status": "unavailable"}


ROLES = ["Admin", "Supervisor", "Viewer"]


def logged_in_client(client, role):
    client.force_login(UserFactory(username=f"{role.lower()}-banner", role=role))
    return client


@pytest.mark.parametrize("role", ROLES)
def test_every_role_sees_the_warning_when_no_worker_ever_reported(client, db, role):
    page = logged_in_client(client, role).get(reverse("home")).content.decode()

    assert 'id="worker-warning"' in page
    assert "No background worker is running." in page


@pytest.mark.parametrize("role", ROLES)
def test_every_role_sees_the_warning_when_the_worker_stopped_beating(client, db, role):
    age(WorkerHeartbeat.beat("box-a:101"), STALE)

    page = logged_in_client(client, role).get(reverse("home")).content.decode()

    assert 'id="worker-warning"' in page


@pytest.mark.parametrize("role", ROLES)
def test_no_role_sees_the_warning_while_a_worker_is_alive(client, db, role):
    WorkerHeartbeat.beat("box-a:101")

    page = logged_in_client(client, role).get(reverse("home")).content.decode()

    assert 'id="worker-warning"' not in page


def test_the_login_page_shows_no_worker_warning(anonymous_client):
    page = anonymous_client.get(reverse("login")).content.decode()

    assert 'id="worker-warning"' not in page


def test_the_heartbeat_task_upserts_one_row_and_is_safe_to_run_twice(db):
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        assert tasks.heartbeat() == "ok"
        first = WorkerHeartbeat.objects.get()
        traveller.shift(timedelta(seconds=60))
        assert tasks.heartbeat() == "ok"

    beat = WorkerHeartbeat.objects.get()
    assert beat.pk == first.pk and beat.name == cluster_name()
    assert beat.started_at == first.started_at
    assert beat.last_seen == first.last_seen + timedelta(seconds=60)


def test_the_heartbeat_task_forgets_clusters_silent_for_a_day(db):
    age(WorkerHeartbeat.beat("gone-box:1"), timedelta(days=2))
    age(WorkerHeartbeat.beat("recent-box:2"), timedelta(hours=2))

    tasks.heartbeat()

    names = set(WorkerHeartbeat.objects.values_list("name", flat=True))
    assert names == {"recent-box:2", cluster_name()}
