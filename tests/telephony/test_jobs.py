"""The Admin's jobs page: workers, the queue, recent runs with their errors, schedules,
and "run now"."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django_q.brokers import orm
from django_q.conf import Conf
from django_q.models import OrmQ, Schedule, Task

from telephony.models import UserProfile, WorkerHeartbeat
from telephony.views import jobs as jobs_view

JOBS_URL = reverse("telephony:jobs")
TRACEBACK = (
    "Traceback (most recent call last):\n"
    '  File "telephony/tasks.py", line 12, in sync_logs\n'
    "    raise ValueError(message)\n"
    "ValueError: vendor said no"
)


def make_run(name, *, success=True, result="ok", func="telephony.tasks.heartbeat", **extra):
    stopped = extra.pop("stopped", timezone.now())
    return Task.objects.create(
        id=uuid.uuid4().hex,
        name=name,
        func=func,
        started=stopped - timedelta(milliseconds=250),
        stopped=stopped,
        success=success,
        result=result,
        **extra,
    )


def make_failure(name, message="vendor said no", **extra):
    return make_run(name, success=False, result=f"{message} : {TRACEBACK}", **extra)


def make_schedule(name="Nightly CDR sync", func="telephony.tasks.heartbeat", **extra):
    extra.setdefault("schedule_type", Schedule.HOURLY)
    return Schedule.objects.create(name=name, func=func, **extra)


@pytest.fixture
def orm_broker(monkeypatch):
    """Tasks go to the database broker and wait there, as with a real cluster (not sync)."""
    broker = orm.ORM(list_key=Conf.CLUSTER_NAME)
    monkeypatch.setattr(Conf, "SYNC", False)
    monkeypatch.setattr("django_q.tasks.get_broker", lambda *args, **kwargs: broker)
    monkeypatch.setattr(jobs_view, "get_broker", lambda *args, **kwargs: broker)
    return broker


def test_the_page_lists_successes_and_failures_with_the_error(admin_client):
    make_run("cheerful-success", func="telephony.tasks.heartbeat")
    make_failure("gloomy-failure", func="telephony.tasks.sync_logs")

    response = admin_client.get(JOBS_URL)

    assert response.status_code == 200
    page = response.content.decode()
    assert "cheerful-success" in page and "gloomy-failure" in page
    assert "telephony.tasks.sync_logs" in page
    assert "vendor said no" in page
    assert "ValueError: vendor said no" in page  # the traceback, behind a disclosure
    assert "Succeeded" in page and "Failed" in page


def test_an_error_text_is_escaped_not_rendered_as_html(admin_client):
    make_failure("hostile", message='<script>alert("x")</script>')

    page = admin_client.get(JOBS_URL).content.decode()

    assert '<script>alert("x")</script>' not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page


def test_the_failed_filter_shows_only_failures_and_the_success_filter_only_successes(
    admin_client,
):
    make_run("cheerful-success")
    make_failure("gloomy-failure")

    failed = admin_client.get(JOBS_URL, {"outcome": "failed"}).content.decode()
    succeeded = admin_client.get(JOBS_URL, {"outcome": "success"}).content.decode()

    assert "gloomy-failure" in failed and "cheerful-success" not in failed
    assert "cheerful-success" in succeeded and "gloomy-failure" not in succeeded


def test_an_unknown_filter_value_lists_every_run(admin_client):
    make_run("cheerful-success")
    make_failure("gloomy-failure")

    page = admin_client.get(JOBS_URL, {"outcome": "nonsense"}).content.decode()

    assert "cheerful-success" in page and "gloomy-failure" in page


def test_a_filter_with_no_match_shows_an_empty_state(admin_client):
    make_run("cheerful-success")

    page = admin_client.get(JOBS_URL, {"outcome": "failed"}).content.decode()

    assert "No failed runs" in page


def test_with_no_runs_at_all_the_page_says_so(admin_client):
    page = admin_client.get(JOBS_URL).content.decode()

    assert "No task has run yet" in page


def test_an_htmx_request_gets_only_the_runs_table_which_polls_itself(admin_client):
    make_failure("gloomy-failure")

    response = admin_client.get(
        JOBS_URL, {"outcome": "failed"}, headers={"HX-Request": "true", "HX-Target": "runs"}
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in page and "Schedules" not in page
    assert page.lstrip().startswith('<section id="runs"')
    assert 'hx-trigger="every 10s' in page
    # The poll keeps the current filter.
    assert 'hx-get="/jobs/?outcome=failed"' in page
    assert "gloomy-failure" in page
    assert "HX-Request" in response["Vary"]


def test_a_history_restore_gets_the_whole_page(admin_client):
    response = admin_client.get(
        JOBS_URL, headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}
    )

    assert "<html" in response.content.decode()


def test_runs_are_paginated_and_the_pager_pushes_the_url(admin_client):
    now = timezone.now()
    for number in range(jobs_view.PAGE_SIZE + 5):
        make_run(f"run-{number:03d}", stopped=now - timedelta(minutes=number))

    first = admin_client.get(JOBS_URL).content.decode()
    second = admin_client.get(JOBS_URL, {"page": 2}).content.decode()

    assert "run-000" in first and f"run-{jobs_view.PAGE_SIZE:03d}" not in first
    assert f"run-{jobs_view.PAGE_SIZE:03d}" in second and "run-000" not in second
    assert 'hx-push-url="true"' in first and 'hx-get="?page=2"' in first


def test_schedules_show_their_interval_next_run_in_the_viewers_time_zone_and_last_result(
    admin_client, admin_user
):
    UserProfile.objects.filter(user=admin_user).update(time_zone="Asia/Kolkata")
    failure = make_failure("last-cdr-sync", message="CPaaS rejected the token")
    make_schedule(
        "Nightly CDR sync",
        func="telephony.tasks.sync_cdrs",
        schedule_type=Schedule.MINUTES,
        minutes=15,
        next_run=datetime(2030, 1, 1, 0, 0, tzinfo=UTC),
        task=failure.id,
    )
    make_schedule("Never ran", func="telephony.tasks.heartbeat", schedule_type=Schedule.DAILY)

    page = admin_client.get(JOBS_URL).content.decode()

    assert "Nightly CDR sync" in page and "telephony.tasks.sync_cdrs" in page
    assert "Every 15 minutes" in page
    assert "2030-01-01 05:30:00" in page  # midnight UTC in Kolkata
    assert "CPaaS rejected the token" in page
    assert "Never ran" in page and "Daily" in page and "Never run" in page


def test_with_no_schedules_the_page_says_so(admin_client):
    Schedule.objects.all().delete()

    page = admin_client.get(JOBS_URL).content.decode()

    assert "No schedules" in page


def test_a_worker_is_shown_alive_from_a_fresh_heartbeat_and_dead_from_a_stale_one(
    admin_client,
):
    WorkerHeartbeat.beat("box-a:101", host="box-a", pid=101)
    stale = WorkerHeartbeat.beat("box-b:202", host="box-b", pid=202)
    WorkerHeartbeat.objects.filter(pk=stale.pk).update(
        last_seen=timezone.now() - timedelta(seconds=WorkerHeartbeat.STALE_AFTER_SECONDS + 30)
    )

    page = admin_client.get(JOBS_URL).content.decode()

    alive_card = page[page.index('aria-label="Worker box-a:101"') - 200 :][:1500]
    dead_card = page[page.index('aria-label="Worker box-b:202"') - 200 :][:1500]
    assert "worker-alive" in alive_card and "Alive" in alive_card
    assert "worker-dead" in dead_card and "Not responding" in dead_card
    assert '<div class="stat-value" id="alive-count">1</div>' in page


def test_with_no_heartbeat_the_page_says_no_worker_has_reported(admin_client):
    page = admin_client.get(JOBS_URL).content.decode()

    assert "No worker has reported yet" in page
    assert 'id="alive-count">0</div>' in page


@pytest.mark.parametrize("client_fixture", ["supervisor_client", "viewer_client"])
def test_supervisors_and_viewers_cannot_see_jobs_or_run_a_schedule(db, request, client_fixture):
    client = request.getfixturevalue(client_fixture)
    schedule = make_schedule()

    page = client.get(JOBS_URL)
    partial = client.get(JOBS_URL, headers={"HX-Request": "true"})
    run = client.post(reverse("telephony:schedule_run", args=[schedule.pk]))

    assert page.status_code == partial.status_code == run.status_code == 403
    assert not Task.objects.exists()


def test_run_now_runs_the_schedule_at_once_in_sync_mode(admin_client):
    schedule = make_schedule("Worker heartbeat now", func="telephony.tasks.heartbeat")
    next_run = schedule.next_run

    response = admin_client.post(reverse("telephony:schedule_run", args=[schedule.pk]))

    assert response.status_code == 302 and response["Location"] == JOBS_URL
    run = Task.objects.get()
    assert run.success and run.func == "telephony.tasks.heartbeat"
    assert run.group == "Worker heartbeat now"
    assert run.result == "ok"  # what the heartbeat task returns: it really ran
    schedule.refresh_from_db()
    assert schedule.task == run.id and schedule.next_run == next_run
    page = admin_client.get(JOBS_URL).content.decode()
    assert "&quot;Worker heartbeat now&quot; ran and succeeded." in page


def test_run_now_passes_the_schedules_arguments(admin_client):
    schedule = make_schedule("Power", func="math.pow", args="2, 10")

    admin_client.post(reverse("telephony:schedule_run", args=[schedule.pk]))

    assert Task.objects.get().result == 1024


def test_run_now_of_a_failing_schedule_reports_its_error_in_a_toast(admin_client):
    schedule = make_schedule("Square root", func="math.sqrt", args="-1")

    response = admin_client.post(
        reverse("telephony:schedule_run", args=[schedule.pk]), headers={"HX-Request": "true"}
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert response["HX-Trigger"] == "jobs-changed"
    assert page.lstrip().startswith('<section id="schedules"')
    assert page.count('id="toasts"') == 1 and 'hx-swap-oob="beforeend"' in page
    assert "&quot;Square root&quot; ran and failed: math domain error" in page


def test_run_now_with_unreadable_arguments_says_so_instead_of_failing(admin_client):
    schedule = make_schedule("Broken", func="math.sqrt", args="not python (")

    response = admin_client.post(reverse("telephony:schedule_run", args=[schedule.pk]))

    assert response.status_code == 302
    assert not Task.objects.exists()
    page = admin_client.get(JOBS_URL).content.decode()
    assert "Could not run &quot;Broken&quot;: its arguments" in page


def test_run_now_queues_the_task_in_the_broker_when_not_synchronous(admin_client, orm_broker):
    schedule = make_schedule("Queued heartbeat", func="telephony.tasks.heartbeat")

    admin_client.post(reverse("telephony:schedule_run", args=[schedule.pk]))

    queued = OrmQ.objects.get()
    assert queued.func() == "telephony.tasks.heartbeat"
    assert queued.task_id() == Schedule.objects.get(pk=schedule.pk).task
    assert not Task.objects.exists() and not WorkerHeartbeat.objects.exists()
    page = admin_client.get(JOBS_URL).content.decode()
    assert "no worker is running: it waits until one starts" in page
    assert '<div class="stat-value" id="queue-length">1</div>' in page


def test_run_now_with_a_live_worker_says_a_worker_will_run_it(admin_client, orm_broker):
    WorkerHeartbeat.beat("box-a:101", host="box-a")
    schedule = make_schedule("Queued heartbeat")

    admin_client.post(reverse("telephony:schedule_run", args=[schedule.pk]))

    page = admin_client.get(JOBS_URL).content.decode()
    assert "a worker will run it in a moment" in page


def test_run_now_only_accepts_post(admin_client):
    schedule = make_schedule()

    response = admin_client.get(reverse("telephony:schedule_run", args=[schedule.pk]))

    assert response.status_code == 405
    assert not Task.objects.exists()


def test_run_now_of_a_missing_schedule_is_404(admin_client):
    response = admin_client.post(reverse("telephony:schedule_run", args=[999999]))

    assert response.status_code == 404


def test_an_unreachable_broker_shows_on_the_page_instead_of_an_error(admin_client, monkeypatch):
    def unreachable(*args, **kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr(jobs_view, "get_broker", unreachable)

    response = admin_client.get(JOBS_URL)

    assert response.status_code == 200
    assert "broker cannot be reached" in response.content.decode()


@pytest.mark.parametrize(
    ("seconds", "label"),
    [(0.25, "250 ms"), (3.25, "3.2 s"), (125, "2 min 5 s"), (7260, "2 h 1 min")],
)
def test_durations_read_in_sensible_units(seconds, label):
    assert jobs_view.format_duration(seconds) == label


def test_an_error_splits_into_its_summary_and_traceback():
    summary, detail = jobs_view.error_parts(f"vendor said no : {TRACEBACK}")

    assert summary == "vendor said no"
    assert detail.startswith("Traceback (most recent call last):")
    assert jobs_view.error_parts("Task exceeded timeout") == ("Task exceeded timeout", "")
    assert jobs_view.error_parts(None)[0] == "The task failed without a message."
