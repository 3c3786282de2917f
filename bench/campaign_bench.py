"""Campaign bench (issue #5, "Bench"): the engine's achieved pace against the target at
60, 600 and 6,000 calls per minute, its dispatch overhead per call beyond the vendor
round trip, and the time to start a campaign over 1M contacts (build_targets:
eligibility plus DND scrub against a 100k DND list).

    .venv/bin/python bench/campaign_bench.py                     # all, on SQLite
    .venv/bin/python bench/campaign_bench.py --postgres postgres://postgres@127.0.0.1:5432/dialdesk_campaign_bench
    .venv/bin/python bench/campaign_bench.py --only build --rows 100000
    .venv/bin/python bench/campaign_bench.py --ceiling --postgres postgres://postgres@127.0.0.1:5432/dialdesk_campaign_bench
    .venv/bin/python bench/campaign_bench.py --only workers \
        --postgres postgres://postgres@127.0.0.1:5432/dialdesk_campaign_bench \
        --redis redis://127.0.0.1:6379/5

How each figure is taken:
- pace: the engine's own runner (campaigns.engine.dispatch.Runner) runs in this
  process, in-process rather than under a qcluster (the cluster adds nothing to the
  dial loop; the integration tests run it there), dialing a MyOperator OBD IVR campaign
  against the MyOperator sandbox served by gunicorn (2 workers x 16 threads, another
  process) on the same database. Achieved = attempts dialed (dialed_at) within the
  window, per minute (what the page's pace panel counts); steady = the same count from
  5 s in to the window's end. Windows: 60 s at 60 cpm, 30 s at 600, 15 s at 6,000.
- ceiling (--ceiling, issue 15 section 2): the engine alone. One runner (one worker, its
  32 dialing threads) at 60,000 calls a minute, so the engine is the limit, against a
  minimal MyOperator OBD stub in another process (http.server, no Django) that accepts
  every call at once; the outcome reads find nothing without a request (the stub keeps
  no logs). Everything else is the real path: the lease, claims, attempt rows, the
  request through the HTTP seam with its audit row, the placed records. Sustained =
  calls dialed from 5 s in to the end of the 20 s window, per minute.
- overhead: the same runner with one dialing thread (serial), as fast as it can go, for
  --overhead-calls calls; engine time = the wall time of its loop steps (claim, attempt
  rows, dial, record, outcome reads), vendor time = the ProviderRequest latency of every
  vendor request made in those steps; overhead per call = (engine - vendor) / calls.
- build: 1M contacts over two lists (3 custom fields, 3 time zones, 1 in 23 inactive, 2%
  repeating a number of the other list) and 100k DND entries (a tenth of them on the
  global list; half are contacts' numbers: every 20th contact), filled with raw SQL
  (executemany on SQLite, COPY on PostgreSQL), then ANALYZE (PostgreSQL: VACUUM ANALYZE,
  as autovacuum leaves a table after a big import); build_targets timed once, cold, in a
  child process per database, on a MyOperator campaign. Then, in the same process, the
  targets emptied, the baseline: a plain INSERT ... SELECT into the targets of the same
  dedup (the lowest id per number: DISTINCT ON on PostgreSQL, GROUP BY with MIN(id) on
  SQLite) and DND exclusion (NOT EXISTS), every row pending, without the vendor's rule,
  the status per row or ON CONFLICT; the ratio is build / baseline (both commit
  included).

- workers (issue 10, section 4; needs --postgres: the cluster is another process): a
  real `manage.py qcluster` with 2 workers (the default Q_WORKERS; the Redis broker with
  --redis, else the database broker) and 10 running MyOperator campaigns whose every
  contact waits for a retry 3 hours away, their 10 runner jobs queued first (as the
  watchdog or a Resume queues them). Right behind them: a 2-row import (ImportJob.start,
  as the page starts it) and a new campaign started as the page starts it
  (Campaign.start: launch, build, runner, first dial against the sandbox). Measured: from
  queueing to the import's start (started_at) and end, and to the new campaign's first
  call (its first attempt's dialed_at); how long the 10 waiting runners held a worker;
  the wake-ups they left; the cluster's stop on SIGTERM (what Ctrl-C of `make run`
  waits for). Goal: the import starts within 5 s, the first call within 10 s.

--postgres migrates and fills the database it is given: use a scratch database, never
`test` or production. Each part uses a fresh database (SQLite: a temporary file). The
bench removes what it made in a finally (also on SIGTERM/SIGHUP): its temporary folder
(the 1M build's SQLite files, ~500 MB) and the scratch PostgreSQL database; folders left
by a run that was killed (SIGKILL) are swept at the next start.
"""

import argparse
import contextlib
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import time as clock
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACE_RUNS = ((60, 60), (600, 30), (6000, 15))  # (calls per minute, window seconds)
STEADY_FROM = 5  # seconds: the steady rate is counted from there to the window's end
KEY = "ZGV2LW9ubHktZW5jcnlwdGlvbi1rZXktZm9yLWRpYWw="


def bench_env(database_url: str) -> dict:
    env = dict(os.environ)
    env.pop("REDIS_URL", None)
    env.update(
        DJANGO_SETTINGS_MODULE="telephony.settings",
        DATABASE_URL=database_url,
        DEBUG="false",
        SECRET_KEY="bench-" * 10,
        FIELD_ENCRYPTION_KEYS=KEY,
        SECURE_SSL_REDIRECT="false",
        SANDBOX_ENABLED="true",
        ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    return env


def setup_django(database_url: str):
    redis = os.environ.get("BENCH_REDIS_URL", "")
    os.environ.update(bench_env(database_url))
    os.environ.pop("REDIS_URL", None)
    if redis:
        os.environ["REDIS_URL"] = redis  # the workers part: the cluster's broker
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def migrate(env: dict):
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v", "0"], env=env, cwd=ROOT, check=True)
    subprocess.run([*manage, "createcachetable"], env=env, cwd=ROOT, check=True)


def reset_postgres(url: str):
    """Drop and recreate the scratch database `url` names (never `test`)."""
    from urllib.parse import urlsplit

    import psycopg

    name = urlsplit(url).path.lstrip("/")
    if name in ("", "test", "postgres"):
        raise SystemExit(f"--postgres must name a scratch database, not {name or 'none'}")
    admin = urlsplit(url)._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def fresh_database(kind: str, postgres: str | None, tmp: Path, label: str) -> str:
    if kind == "postgres":
        reset_postgres(postgres)
        return postgres
    return f"sqlite:///{tmp / f'{label}.sqlite3'}"


def child(part: str, database_url: str, args: list[str]) -> dict:
    """Run one part in a fresh process on `database_url`; returns its JSON line."""
    env = bench_env(database_url)
    migrate(env)
    process = subprocess.Popen(
        [sys.executable, __file__, "--child", part, *args],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        stdout, stderr = process.communicate()
    finally:
        if process.poll() is None:
            # Interrupted: SIGTERM lets the child stop its servers and remove its files.
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    if process.returncode:
        sys.stderr.write(stdout[-3000:] + stderr[-6000:])
        raise SystemExit(f"the {part} part failed on {database_url}")
    done = subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)
    for line in done.stderr.splitlines():
        if line.startswith("note:"):
            print("   ", line)
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- the sandbox server and the campaign ------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_sandbox(database_url: str, log: Path):
    port = free_port()
    process = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "telephony.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--worker-class",
            "gthread",
            "--threads",
            "16",
            "--log-level",
            "warning",
        ],
        env=bench_env(database_url),
        cwd=ROOT,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return process, f"http://127.0.0.1:{port}/sandbox"
        time.sleep(0.2)
    process.kill()
    raise SystemExit(f"the sandbox server did not start: {log.read_text()[-2000:]}")


def stop_sandbox(process):
    import signal

    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def myoperator_campaign(sandbox_url: str, contacts: int, calls_per_minute: int, label: str):
    """A running-ready MyOperator OBD IVR campaign over `contacts` fresh numbers, open
    around the clock, with its targets built (as the launch job leaves it)."""
    from django.utils import timezone

    from campaigns.engine.targets import build_targets
    from campaigns.models import Campaign, Contact, ContactList
    from telephony.models import ProviderAccount, SandboxConfig
    from telephony.vendors.myoperator import sandbox

    config = SandboxConfig.for_vendor("myoperator")
    config.time_scale = 200.0  # calls end within about a second
    config.save()
    sandbox.seed_demo()
    kwargs = sandbox.demo_account(sandbox_url)
    kwargs["name"] = f"MyOperator bench {label}"
    secrets = kwargs.pop("secrets")
    account = ProviderAccount(**kwargs)
    account.set_secrets(secrets)
    account.save()
    contact_list = ContactList.objects.create(name=f"Bench {label}")
    Contact.objects.bulk_create(
        Contact(contact_list=contact_list, number=f"+9199{label_digits(label)}{n:06d}")
        for n in range(contacts)
    )
    campaign = Campaign.objects.create(
        name=f"Bench {label}",
        account=account,
        kind="ivr",
        ivr_id=next(iter(sandbox.PUBLIC_IVRS)),
        time_zone="UTC",
        ends_at=timezone.now() + timedelta(days=1),
        window_start=clock(0),
        window_end=clock(23, 59, 59, 999999),
        contact_start=clock(0),
        contact_end=clock(23, 59, 59, 999999),
        calls_per_minute=calls_per_minute,
        max_retries=0,
        retry_statuses=[],
        state=Campaign.State.RUNNING,
        started_at=timezone.now(),
    )
    campaign.contact_lists.set([contact_list])
    build_targets(campaign)
    return campaign


def label_digits(label: str) -> str:
    return f"{sum(map(ord, label)) % 100:02d}"


# --- pace -----------------------------------------------------------------------------------


def pace_part(database_url: str, tmp: Path) -> dict:
    from campaigns.engine.dispatch import Runner

    server, sandbox_url = start_sandbox(database_url, tmp / "sandbox-pace.log")
    results = []
    try:
        for calls_per_minute, window in PACE_RUNS:
            # Enough numbers that the runner never runs out within the window.
            contacts = int(calls_per_minute / 60 * window * 1.5) + 20
            campaign = myoperator_campaign(
                sandbox_url, contacts, calls_per_minute, f"pace{calls_per_minute}"
            )
            runner = Runner(campaign)
            began = time.monotonic()
            from django.utils import timezone

            start_wall = timezone.now()
            runner.run(window)
            elapsed = time.monotonic() - began
            dialed = list(
                campaign.attempts.filter(dialed_at__gte=start_wall)
                .order_by("dialed_at")
                .values_list("dialed_at", flat=True)
            )
            errors = campaign.attempts.exclude(
                status__in=["placed", "answered", "busy", "no_answer", "unavailable", "congestion"]
            ).count()
            first = dialed[0] if dialed else start_wall
            # What the page's pace panel shows: calls started in the window, per minute.
            in_window = sum(
                1 for moment in dialed if (moment - start_wall).total_seconds() < window
            )
            achieved = in_window / window * 60
            # The steady rate: calls dialed from STEADY_FROM seconds in to the end of the
            # window, per minute (a count, like `achieved`, without the opening).
            late = [
                moment
                for moment in dialed
                if STEADY_FROM <= (moment - start_wall).total_seconds() < window
            ]
            steady = len(late) / (window - STEADY_FROM) * 60
            results.append(
                {
                    "target": calls_per_minute,
                    "window": window,
                    "elapsed": round(elapsed, 2),
                    "dialed": in_window,
                    "achieved": round(achieved, 1),
                    "steady": round(steady, 1),
                    "steady_deviation": round(
                        100 * (steady - calls_per_minute) / calls_per_minute, 2
                    ),
                    "burst": runner.burst,
                    "deviation": round(100 * (achieved - calls_per_minute) / calls_per_minute, 2),
                    "first_dial_after": round((first - start_wall).total_seconds(), 3),
                    "threads": runner.threads,
                    "not_placed": errors,
                }
            )
    finally:
        stop_sandbox(server)
    return {"pace": results}


# --- ceiling: the engine alone, against a vendor that answers at once ---------------------------

CEILING_SECONDS = 20
CEILING_CPM = 60_000  # far above what one worker can do: the engine is the limit
STUB_ANSWER = (
    b'{"details": "Request accepted successfully", "status": "success", "code": "200", '
    b'"unique_id": "%s", "reference_id": "%s"}'
)


def run_stub(port: int):
    """A minimal MyOperator OBD stub (another process, no Django): every POST is
    accepted at once with a new unique id; keep-alive, one thread per connection."""
    import itertools
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    counter = itertools.count(1)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            answer = STUB_ANSWER % (
                f"stub{next(counter)}".encode(),
                str(body.get("reference_id", "")).encode(),
            )
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args):
            pass

    class Server(ThreadingHTTPServer):
        daemon_threads = True
        request_queue_size = 256  # the default 5 drops the pool's 32 connects at once

    Server(("127.0.0.1", port), Handler).serve_forever()


def start_stub():
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, __file__, "--stub", str(port)], start_new_session=True
    )
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return process, f"http://127.0.0.1:{port}/sandbox"
        time.sleep(0.05)
    process.kill()
    raise SystemExit("the vendor stub did not start")


def ceiling_part(database_url: str, tmp: Path) -> dict:
    """One runner (one worker) dialing as fast as it can against the stub; outcome reads
    are off (the stub keeps no calls), so this is the dispatch path alone: claims,
    attempt rows, the request through the HTTP seam with its audit row, the result."""
    from django.db import connection
    from django.utils import timezone

    from campaigns.engine.dialers import MyOperatorDialer
    from campaigns.engine.dispatch import Runner

    # The stub keeps no call logs: the outcome reads find nothing, without a request.
    MyOperatorDialer.outcomes = lambda self, attempts: iter(())
    stub, stub_url = start_stub()
    try:
        contacts = int(CEILING_CPM / 60 * CEILING_SECONDS * 1.1)
        campaign = myoperator_campaign(stub_url, contacts, CEILING_CPM, "ceiling")
        runner = Runner(campaign)
        start_wall = timezone.now()
        runner.run(CEILING_SECONDS)
        dialed = list(
            campaign.attempts.filter(dialed_at__gte=start_wall).values_list("dialed_at", "status")
        )
    finally:
        stub.kill()
        stub.wait()
    moments = [(moment - start_wall).total_seconds() for moment, _ in dialed]
    steady = [t for t in moments if STEADY_FROM <= t < CEILING_SECONDS]
    per_minute = len(steady) / (CEILING_SECONDS - STEADY_FROM) * 60
    return {
        "vendor": connection.vendor,
        "threads": runner.threads,
        "dialed": len(dialed),
        "placed": sum(1 for _, status in dialed if status == "placed"),
        "per_minute": round(per_minute),
        "ms_per_call": round(60_000 / per_minute, 2) if per_minute else None,
    }


# --- workers --------------------------------------------------------------------------------

WAITING_CAMPAIGNS = 10
CLUSTER_WORKERS = 2


def start_cluster(database_url: str, log: Path, media: Path):
    env = bench_env(database_url)
    env.update(Q_WORKERS=str(CLUSTER_WORKERS), LOG_LEVEL="INFO", MEDIA_ROOT=str(media))
    if os.environ.get("REDIS_URL"):
        env["REDIS_URL"] = os.environ["REDIS_URL"]
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "qcluster"],
        env=env,
        cwd=ROOT,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if "running" in log.read_text(errors="replace"):
            return process
        if process.poll() is not None:
            break
        time.sleep(0.2)
    process.kill()
    raise SystemExit(f"the cluster did not start: {log.read_text()[-2000:]}")


def stop_cluster(process) -> float:
    """SIGTERM, as Ctrl-C of `make run` stops it; the seconds until it exited."""
    import signal

    began = time.monotonic()
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=120)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    took = time.monotonic() - began
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)  # workers that outlived their parent
    return took


def wait_until(predicate, timeout: float):
    """Poll `predicate` every 50 ms; its value, or None after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    return None


def workers_part(database_url: str, tmp: Path) -> dict:
    from django.utils import timezone
    from django_q.models import Schedule, Task

    from campaigns.engine import runner_enqueue
    from campaigns.importers import create_job
    from campaigns.models import Campaign, CampaignTarget, ContactList, ImportJob

    media = tmp / "media"
    media.mkdir()
    os.environ["MEDIA_ROOT"] = str(media)
    from django.conf import settings

    settings.MEDIA_ROOT = str(media)
    server, sandbox_url = start_sandbox(database_url, tmp / "sandbox-workers.log")
    cluster = None
    try:
        retry_at = timezone.now() + timedelta(hours=3)
        waiting = []
        for n in range(WAITING_CAMPAIGNS):
            campaign = myoperator_campaign(sandbox_url, 5, 60, f"wait{n}")
            campaign.targets.update(
                status=CampaignTarget.Status.RETRY, attempts=1, next_attempt_at=retry_at
            )
            waiting.append(campaign)
        fresh = myoperator_campaign(sandbox_url, 2, 60, "fresh")
        Campaign.objects.filter(pk=fresh.pk).update(state=Campaign.State.DRAFT)
        fresh.targets.all().delete()
        Campaign.objects.filter(pk=fresh.pk).update(targets_built_at=None)
        fresh.refresh_from_db()
        contact_list = ContactList.objects.create(name="Bench import")
        job = create_job(
            ImportJob.Kind.CONTACTS,
            contact_list,
            None,
            pasted="+919811100001, Ani\n+919811100002, Dev\n",
        )
        Task.objects.all().delete()

        cluster = start_cluster(database_url, tmp / "qcluster.log", media)
        queued = time.monotonic()
        for campaign in waiting:
            runner_enqueue(campaign)
        began = time.monotonic()
        began_wall = timezone.now()
        job.start()
        started, message = fresh.start()
        if not started:
            raise SystemExit(f"the new campaign did not start: {message}")

        def import_started():
            return ImportJob.objects.filter(pk=job.pk, started_at__isnull=False).first()

        def first_call():
            return fresh.attempts.order_by("dialed_at").first()

        def import_done():
            return ImportJob.objects.filter(pk=job.pk, finished_at__isnull=False).first()

        job_started = wait_until(import_started, 120)
        call = wait_until(first_call, 120)
        job_done = wait_until(import_done, 60)

        ids = {campaign.pk for campaign in waiting}

        def runners_done():
            tasks = Task.objects.filter(func="campaigns.tasks.run_campaign")
            done = [task for task in tasks if task.args and task.args[0] in ids]
            return done if len(done) >= len(ids) else None

        runner_tasks = wait_until(runners_done, 120) or []
        held = sorted((task.stopped - task.started).total_seconds() for task in runner_tasks)
        wakes = Schedule.objects.filter(
            name__in=[f"campaign-{c.pk}-wake" for c in waiting]
        ).values_list("next_run", flat=True)
        result = {
            "workers": CLUSTER_WORKERS,
            "waiting_campaigns": len(waiting),
            "broker": "redis" if os.environ.get("REDIS_URL") else "database",
            "queue_seconds": round(began - queued, 3),
            "import_start_s": round((job_started.started_at - began_wall).total_seconds(), 2)
            if job_started
            else None,
            "import_done_s": round((job_done.finished_at - began_wall).total_seconds(), 2)
            if job_done
            else None,
            "import_status": job_done.status if job_done else "not finished",
            "first_call_s": round((call.dialed_at - began_wall).total_seconds(), 2)
            if call
            else None,
            "runner_jobs_done": len(runner_tasks),
            "runner_held_median_s": round(statistics.median(held), 3) if held else None,
            "runner_held_max_s": round(max(held), 3) if held else None,
            "wakeups": len(wakes),
            "wake_in_h": round(min((w - timezone.now()).total_seconds() for w in wakes) / 3600, 2)
            if wakes
            else None,
        }
        result["stop_seconds"] = round(stop_cluster(cluster), 2)
        cluster = None
    finally:
        if cluster is not None:
            stop_cluster(cluster)
        stop_sandbox(server)
    return {"workers": result}


# --- overhead -------------------------------------------------------------------------------


def overhead_part(database_url: str, tmp: Path, calls: int) -> dict:
    from django.conf import settings

    from campaigns.engine.dispatch import Runner
    from telephony.models import ProviderRequest

    settings.CAMPAIGN_DIAL_THREADS = 1  # serial: each dial happens inside its step
    server, sandbox_url = start_sandbox(database_url, tmp / "sandbox-overhead.log")
    try:
        campaign = myoperator_campaign(sandbox_url, calls, 6000, "overhead")
        runner = Runner(campaign)
        assert runner.threads == 1
        runner.acquire()
        steps, dialed = [], 0
        first_request = ProviderRequest.objects.order_by("-id").values_list("id", flat=True)
        since = first_request.first() or 0
        began = time.perf_counter()
        while dialed < calls and time.perf_counter() - began < 120:
            start = time.perf_counter()
            count = runner.step()
            steps.append(time.perf_counter() - start)
            dialed += count
            if not count:
                time.sleep(0.005)  # the token bucket refills; idle time is not counted
        runner.close()
        engine_seconds = sum(steps)
        requests = ProviderRequest.objects.filter(id__gt=since, account=campaign.account)
        latencies = list(requests.values_list("endpoint", "latency_ms"))
        vendor_seconds = sum(ms for _, ms in latencies) / 1000
        dial_ms = [ms for endpoint, ms in latencies if endpoint == "obd-api-v1"]
    finally:
        stop_sandbox(server)
    return {
        "calls": dialed,
        "steps": len(steps),
        "engine_ms_per_call": round(1000 * engine_seconds / dialed, 2),
        "vendor_ms_per_call": round(1000 * vendor_seconds / dialed, 2),
        "overhead_ms_per_call": round(1000 * (engine_seconds - vendor_seconds) / dialed, 2),
        "dial_request_ms_median": statistics.median(dial_ms) if dial_ms else None,
        "outcome_requests": len(latencies) - len(dial_ms),
    }


# --- build_targets over 1M contacts ------------------------------------------------------------


def fill_build(rows: int, dnd_rows: int):
    """A `rows`-contact list and a `dnd_rows` DND list with raw SQL; returns the campaign."""
    from django.db import connection, transaction
    from django.utils import timezone

    from campaigns.models import Campaign, ContactList, DndList
    from telephony.models import ProviderAccount

    now = timezone.now()
    zones = ["Asia/Kolkata", "Asia/Dubai", ""]
    contact_list = ContactList.objects.create(
        name="Bench 1M", custom_fields=["city", "plan", "due_amount"]
    )
    dnd = DndList.objects.create(name="Bench DND 100k")
    global_dnd = DndList.objects.create(name="Bench global DND", is_global=True)

    repeats = ContactList.objects.create(name="Bench repeats", custom_fields=["city"])
    repeated = rows // 50  # 2% of the contacts repeat a number of the big list

    def contacts():
        for i in range(rows):
            if i < rows - repeated:
                list_id, n = contact_list.pk, i
            else:
                list_id, n = repeats.pk, (i - (rows - repeated)) * 37
            yield (
                list_id,
                f"+919{n:09d}",
                f"9{n:09d}",
                f"Customer {i}",
                json.dumps({"city": f"City {i % 50}", "plan": "gold", "due_amount": str(i)}),
                zones[i % 3],
                i % 23 != 0,  # 1 in 23 inactive
                now,
                now,
            )

    def dnd_entries():
        for i in range(dnd_rows):
            number = f"+919{i * 10:09d}" if i % 2 == 0 else f"+918{i:09d}"
            yield (dnd.pk if i % 10 else global_dnd.pk, number, "", "bench", "file", None, now)

    contact_columns = (
        "contact_list_id, number, raw_number, name, fields, time_zone, is_active, "
        "created_at, updated_at"
    )
    dnd_columns = "dnd_list_id, number, name, reason, source, added_by_id, created_at"
    start = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY campaigns_contact ({contact_columns}) FROM STDIN") as cp:
                for row in contacts():
                    cp.write_row(row)
            with cursor.cursor.copy(f"COPY campaigns_dndentry ({dnd_columns}) FROM STDIN") as cp:
                for row in dnd_entries():
                    cp.write_row(row)
        else:
            cursor.executemany(
                f"INSERT INTO campaigns_contact ({contact_columns}) VALUES "
                "(?, ?, ?, ?, ?, ?, ?, ?, ?)",
                contacts(),
            )
            cursor.executemany(
                f"INSERT INTO campaigns_dndentry ({dnd_columns}) VALUES (?, ?, ?, ?, ?, ?, ?)",
                dnd_entries(),
            )
    with connection.cursor() as cursor:  # autocommit: VACUUM runs outside a transaction
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    fill_seconds = time.perf_counter() - start
    contact_list.refresh_count()
    repeats.refresh_count()
    dnd.refresh_count()
    global_dnd.refresh_count()
    account = ProviderAccount(kind="myoperator", name="Bench account", config={})
    account.set_secrets({})
    account.save()
    campaign = Campaign.objects.create(name="Bench 1M", account=account, kind="ivr", ivr_id="x")
    campaign.contact_lists.set([contact_list, repeats])
    campaign.dnd_lists.set([dnd])
    return campaign, fill_seconds


def baseline_insert(campaign) -> int:
    """The baseline of the build: a plain INSERT ... SELECT of the campaign's contacts
    into its targets with the same dedup (the lowest id per number) and DND exclusion,
    written by hand: no vendor rule, no status per row (all pending), no ON CONFLICT.
    Returns the rows inserted (committed)."""
    from django.db import connection, transaction
    from django.utils import timezone

    now = timezone.now()
    if connection.vendor == "sqlite":
        now = connection.ops.adapt_datetimefield_value(now)
    list_ids = list(campaign.contact_lists.values_list("id", flat=True))
    dnd_ids = campaign.dnd_list_ids()
    lists = ", ".join(["%s"] * len(list_ids))
    dnds = ", ".join(["%s"] * len(dnd_ids))
    columns = (
        "campaign_id, contact_id, number, name, fields, time_zone, status, attempts, "
        "next_attempt_at, last_status, last_error, claim_token, updated_at"
    )
    if connection.vendor == "postgresql":
        select, contact_id, tail = (
            "SELECT DISTINCT ON (c.number)",
            "c.id",
            "ORDER BY c.number, c.id",
        )
    else:  # SQLite: MIN(id)'s bare columns come from the row holding the minimum
        select, contact_id, tail = "SELECT", "MIN(c.id)", "GROUP BY c.number"
    sql = (
        f"INSERT INTO campaigns_campaigntarget ({columns}) "  # noqa: S608 (placeholders)
        f"{select} %s, {contact_id}, c.number, c.name, c.fields, c.time_zone, 'pending', 0, "
        "%s, '', '', '', %s FROM campaigns_contact c "
        f"WHERE c.contact_list_id IN ({lists}) AND c.is_active AND NOT EXISTS "
        "(SELECT 1 FROM campaigns_dndentry d "
        f"WHERE d.number = c.number AND d.dnd_list_id IN ({dnds})) {tail}"
    )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [campaign.pk, now, now, *list_ids, *dnd_ids])
        return cursor.rowcount


def empty_targets():
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("TRUNCATE campaigns_campaigntarget CASCADE")
            cursor.execute("VACUUM ANALYZE campaigns_campaigntarget")
        else:
            cursor.execute("DELETE FROM campaigns_campaigntarget")


def build_part(rows: int, dnd_rows: int) -> dict:
    from django.db import connection
    from django.db.models import Count

    from campaigns.engine.targets import build_targets

    campaign, fill_seconds = fill_build(rows, dnd_rows)
    start = time.perf_counter()
    added = build_targets(campaign)
    seconds = time.perf_counter() - start
    start = time.perf_counter()
    again = build_targets(campaign)
    again_seconds = time.perf_counter() - start
    counts = dict(campaign.targets.values_list("status").annotate(n=Count("id")).order_by())
    empty_targets()
    start = time.perf_counter()
    baseline_rows = baseline_insert(campaign)
    baseline_seconds = time.perf_counter() - start
    return {
        "vendor": connection.vendor,
        "rows": rows,
        "dnd_rows": dnd_rows,
        "fill_seconds": round(fill_seconds, 1),
        "build_seconds": round(seconds, 2),
        "targets": added,
        "by_status": counts,
        "second_build_seconds": round(again_seconds, 4),
        "second_build_added": again,
        "baseline_seconds": round(baseline_seconds, 2),
        "baseline_rows": baseline_rows,
        "ratio": round(seconds / baseline_seconds, 2),
    }


# --- the parent -------------------------------------------------------------------------------


# --- temporary files and databases ---------------------------------------------------------

TMP_PREFIX = "campaign-bench-"


def exit_on_signal():
    """SIGTERM and SIGHUP (a `timeout`, a closed terminal) end the bench through its
    `finally` blocks, so servers stop and files go, instead of killing it on the spot."""

    def leave(signum, frame):
        raise SystemExit(128 + signum)

    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, leave)


def sweep_stale_dirs() -> int:
    """Remove the temporary folders of earlier runs that were killed (SIGKILL leaves
    them): each is named after its process, removed when that process is gone."""
    removed = 0
    for path in Path(tempfile.gettempdir()).glob(f"{TMP_PREFIX}*"):
        try:
            pid = int(path.name[len(TMP_PREFIX) :].split("-")[0])
        except ValueError:
            continue
        if pid == os.getpid() or Path(f"/proc/{pid}").exists():
            continue
        removed += tree_bytes(path)
        shutil.rmtree(path, ignore_errors=True)
    return removed


def tree_bytes(path: Path) -> int:
    total = 0
    for item in path.rglob("*"):
        with contextlib.suppress(OSError):
            if item.is_file():
                total += item.stat().st_size
    return total


@contextlib.contextmanager
def bench_tmp(label: str):
    """A temporary folder named after this process, removed in a finally."""
    path = Path(tempfile.mkdtemp(prefix=f"{TMP_PREFIX}{os.getpid()}-{label}-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def drop_postgres(url: str):
    """Drop the scratch database a part filled (~1 GB after the 1M build)."""
    from urllib.parse import urlsplit

    import psycopg

    name = urlsplit(url).path.lstrip("/")
    if name in ("", "test", "postgres"):
        return
    admin = urlsplit(url)._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run_child_part(part: str, args: list[str]):
    exit_on_signal()
    database_url = os.environ["DATABASE_URL"]
    setup_django(database_url)
    with bench_tmp("child") as tmp:
        if part == "pace":
            result = pace_part(database_url, tmp)
        elif part == "ceiling":
            result = ceiling_part(database_url, tmp)
        elif part == "overhead":
            result = overhead_part(database_url, tmp, int(args[0]))
        elif part == "workers":
            result = workers_part(database_url, tmp)
        else:
            result = build_part(int(args[0]), int(args[1]))
    print(json.dumps(result, default=str))


def print_pace(label: str, result: dict):
    print(f"\npace ({label}; in-process runner, MyOperator sandbox under gunicorn):")
    print(
        "   target cpm  window  dialed  achieved cpm  deviation  steady cpm  deviation"
        "  burst  1st dial  threads"
    )
    for row in result["pace"]:
        print(
            f"   {row['target']:>10,}  {row['window']:>4} s  {row['dialed']:>6,}  "
            f"{row['achieved']:>12,.1f}  {row['deviation']:>+8.2f}%  "
            f"{row['steady']:>10,.1f}  {row['steady_deviation']:>+8.2f}%  {row['burst']:>5.0f}  "
            f"{row['first_dial_after']:>6.3f} s  {row['threads']:>7}"
            + (f"  ({row['not_placed']} not placed)" if row["not_placed"] else "")
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", help="postgres://… of a scratch database to measure too")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--dnd-rows", type=int, default=100_000)
    parser.add_argument("--overhead-calls", type=int, default=300)
    parser.add_argument(
        "--only",
        choices=["pace", "overhead", "build", "workers", "ceiling"],
        action="append",
        help="repeatable",
    )
    parser.add_argument("--redis", help="redis://… for the workers part's broker (else the DB)")
    parser.add_argument(
        "--ceiling", action="store_true", help="only the engine's ceiling (same as --only ceiling)"
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--stub", type=int, help=argparse.SUPPRESS)
    args, rest = parser.parse_known_args()
    if args.stub:
        return run_stub(args.stub)
    if args.ceiling:
        args.only = [*(args.only or []), "ceiling"]
    if args.child:
        return run_child_part(args.child, rest)

    parts = args.only or ["pace", "overhead", "build", "workers"]
    kinds = ["sqlite"] + (["postgres"] if args.postgres else [])
    exit_on_signal()
    stale = sweep_stale_dirs()
    if stale:
        print(f"removed {stale / 1e6:.0f} MB left under the temp directory by killed runs")
    try:
        with bench_tmp("run") as tmp:  # its SQLite files go with it (~500 MB after build)
            run_parts(parts, kinds, args, tmp)
    finally:
        if args.postgres:
            drop_postgres(args.postgres)
    return None


def run_parts(parts, kinds, args, tmp: Path):
    print(f"campaign bench: {', '.join(parts)} on {', '.join(kinds)}; {os.cpu_count()} CPUs")
    for kind in kinds:
        if "pace" in parts:
            result = child("pace", fresh_database(kind, args.postgres, tmp, "pace"), [])
            print_pace(kind, result)
        if "ceiling" in parts:
            row = child("ceiling", fresh_database(kind, args.postgres, tmp, "ceiling"), [])
            print(
                f"\nceiling ({kind}; one runner, {row['threads']} dialing threads, against a "
                "vendor stub in another process that answers at once):\n"
                f"   {row['per_minute']:,} calls per minute sustained ({row['ms_per_call']} ms "
                f"a call; {row['placed']:,} of {row['dialed']:,} placed in "
                f"{CEILING_SECONDS} s)"
            )
        if "overhead" in parts:
            db = fresh_database(kind, args.postgres, tmp, "overhead")
            row = child("overhead", db, [str(args.overhead_calls)])
            print(
                f"\ndispatch overhead ({kind}; one dialing thread, {row['calls']} calls in "
                f"{row['steps']} loop steps):\n"
                f"   engine time per call {row['engine_ms_per_call']:.2f} ms, of which vendor "
                f"HTTP {row['vendor_ms_per_call']:.2f} ms (dial request median "
                f"{row['dial_request_ms_median']} ms, {row['outcome_requests']} outcome reads)"
                f"\n   overhead per call beyond the vendor round trip: "
                f"{row['overhead_ms_per_call']:.2f} ms"
            )
        if "workers" in parts and kind == "postgres":
            if args.redis:
                os.environ["BENCH_REDIS_URL"] = args.redis
            row = child("workers", fresh_database(kind, args.postgres, tmp, "workers"), [])
            row = row["workers"]
            print(
                f"\nworkers ({kind}, {row['broker']} broker; a real qcluster with "
                f"{row['workers']} workers, {row['waiting_campaigns']} running campaigns "
                "waiting on retries 3 h away, their runners queued first):\n"
                f"   2-row import started after {row['import_start_s']} s (goal 5 s), "
                f"finished after {row['import_done_s']} s ({row['import_status']})\n"
                f"   a new campaign placed its first call after {row['first_call_s']} s "
                "(goal 10 s)\n"
                f"   the {row['runner_jobs_done']} waiting runners held a worker "
                f"{row['runner_held_median_s']} s (median), {row['runner_held_max_s']} s "
                f"(max), and left {row['wakeups']} wake-ups (the first in "
                f"{row['wake_in_h']} h)\n"
                f"   the cluster stopped {row['stop_seconds']} s after SIGTERM"
            )
        elif "workers" in parts and kind == "sqlite" and not args.postgres:
            print("\nworkers: needs --postgres (the cluster is another process)")
        if "build" in parts:
            db = fresh_database(kind, args.postgres, tmp, "build")
            row = child("build", db, [str(args.rows), str(args.dnd_rows)])
            print(
                f"\nbuild_targets ({kind}; {row['rows']:,} contacts, {row['dnd_rows']:,} DND "
                f"entries; filled in {row['fill_seconds']} s):\n"
                f"   {row['targets']:,} targets in {row['build_seconds']:.2f} s "
                f"{row['by_status']}\n"
                f"   baseline, a plain INSERT ... SELECT of the same dedup and DND exclusion: "
                f"{row['baseline_rows']:,} rows in {row['baseline_seconds']:.2f} s\n"
                f"   build / baseline: {row['ratio']:.2f}x\n"
                f"   a second build (idempotent) added {row['second_build_added']} in "
                f"{row['second_build_seconds']:.4f} s"
            )


if __name__ == "__main__":
    main()
