"""Reports bench (issue 11, "Scale"): N CallRecords and their rollups, then the server
time (median of 9, through Django's test client, so URL routing, the view, its queries
and the template all count) of:

- the overview for the last 30 days (figures with the previous period, the charts and the
  default by-day table);
- the group-by by caller id (the same page grouped by caller id);
- CDR search page 1, a deep page (a keyset cursor half way into the 30 days) and an
  "ends with" number search;
- a call's page.

Each size runs in its own child process on a fresh, migrated database; the same is
measured at 100,000 records for comparison (--compare 0 to skip).

    .venv/bin/python bench/reports_bench.py                      # 1,000,000 on SQLite
    .venv/bin/python bench/reports_bench.py --rows 300000        # a quicker run
    .venv/bin/python bench/reports_bench.py --postgres postgres://postgres@127.0.0.1:5432/postgres
                                                                 # 10,000,000 on PostgreSQL

--postgres names a server: the bench creates its own databases there
(dialdesk_reports_bench_<pid>_<rows>) and drops them after. SQLite runs use temporary
files, removed after.

The data: 3 accounts, 12 campaigns (plus calls outside any campaign), 2 caller ids per
campaign, weighted statuses, start times spread over the last --days days (default 90).
Records go in with one executemany (SQLite) / COPY (PostgreSQL), then the rollups are
rebuilt with telephony.sync.rollups.rebuild (what `manage.py rebuild_rollups` runs), the
same table the ingest keeps in step on every sync.
"""

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
KEY = "ZGV2LW9ubHktZW5jcnlwdGlvbi1rZXktZm9yLWRpYWw="
STATUSES = ["answered"] * 5 + ["no_answer"] * 2 + ["busy", "failed", "congestion"]
CHUNK = 50_000
REPEAT = 9


def generate(rows: int, days: int, seed: int = 7):
    """Insert `rows` records with the ingest's own column preparation, in chunks."""
    from django.db import connection, transaction

    from campaigns.models import Campaign
    from telephony.models import CallRecord, ProviderAccount
    from telephony.sync import ingest as ingest_module
    from telephony.vendors.base import CallStatus, NormalizedCDR

    rng = random.Random(seed)
    accounts = [
        ProviderAccount.objects.create(kind=kind, name=f"Bench {kind}")
        for kind in ("cpaas", "myoperator", "oca")
    ]
    campaigns = []
    for n in range(12):
        account = accounts[n % 3]
        campaigns.append(
            Campaign.objects.create(
                name=f"Bench campaign {n}",
                account=account,
                kind="ivr",
                ivr_id="5f1c03d61fae4001267a0003",
                caller_id="02180000001",
            )
        )
    choices = [(c.account_id, c.pk, [f"+91806900{c.pk:02d}{k}" for k in "12"]) for c in campaigns]
    choices += [(a.pk, None, ["+918069009999"]) for a in accounts]
    end = datetime.now(UTC)
    start = end - timedelta(days=days)
    table = CallRecord._meta.db_table
    columns = [*ingest_module.INSERTED, "campaign_id"]
    columns = list(dict.fromkeys(columns))
    now = datetime.now(UTC)
    done = 0
    while done < rows:
        prepared = []
        for n in range(done, min(rows, done + CHUNK)):
            account_id, campaign_id, callers = rng.choice(choices)
            status = CallStatus(rng.choice(STATUSES))
            begun = start + timedelta(seconds=rng.randrange(days * 86400))
            talk = rng.randrange(1, 400) if status is CallStatus.ANSWERED else 0
            row = ingest_module._row(
                NormalizedCDR(
                    vendor_call_id=f"b{n}",
                    status=status,
                    vendor_status=str(status).upper(),
                    caller_id=rng.choice(callers),
                    customer_number=f"+9197{rng.randrange(10**8):08d}",
                    started_at=begun,
                    answered_at=begun + timedelta(seconds=8) if talk else None,
                    ended_at=begun + timedelta(seconds=8 + talk),
                    duration_seconds=8 + talk,
                    billable_seconds=talk,
                    recording_ref=f"{n:096x}-v2.mp3" if talk else "",
                    raw={"id": n, "dial_status": str(status).upper(), "billsec": talk},
                )
            )
            row.update(account_id=account_id, synced_at=now, campaign_id=campaign_id)
            prepared.append([ingest_module._db_value(name, row[name]) for name in columns])
        with transaction.atomic(), connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                ingest_module._copy(cursor, table, columns, prepared)
            else:
                marks = ", ".join(["%s"] * len(columns))
                cursor.executemany(
                    f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",  # noqa: S608
                    prepared,
                )
        done += len(prepared)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def timed(client, url: str) -> float:
    times = []
    for _ in range(REPEAT):
        begun = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - begun) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return statistics.median(times)


def child(rows: int, days: int):
    sys.path.insert(0, str(ROOT))
    import django

    warnings.filterwarnings("ignore", message="No directory at")  # whitenoise: no collectstatic
    django.setup()
    from django.conf import settings

    # Production settings hash static files via a manifest that collectstatic writes;
    # the bench has not run collectstatic, and static URLs are not what it measures.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.db import connection
    from django.test import Client

    from telephony.models import CallRecord, CallRollup
    from telephony.reports.search import encode_cursor
    from telephony.sync.rollups import rebuild

    begun = time.perf_counter()
    generate(rows, days)
    generated = time.perf_counter() - begun
    begun = time.perf_counter()
    rebuild(batch_size=20_000)
    rebuilt = time.perf_counter() - begun
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

    user = get_user_model().objects.create_user("bench-viewer", password="x" * 12)
    user.groups.add(Group.objects.get(name="Viewer"))
    client = Client()
    client.force_login(user)

    window = datetime.now(UTC) - timedelta(days=15)
    middle = CallRecord.objects.filter(started_at__lt=window).order_by("-started_at", "-id").first()
    sample = CallRecord.objects.filter(billable_seconds__gt=0).order_by("-id").first()
    urls = {
        "overview, 30 days": "/reports/?range=30d",
        "group-by caller id": "/reports/?range=30d&group=caller_id",
        "search page 1": "/reports/calls/?range=30d",
        "search deep page": f"/reports/calls/?range=30d&older={encode_cursor(middle)}",
        "search ends with": "/reports/calls/?range=30d&number=4321&match=ends",
        "a call's page": f"/reports/calls/{sample.pk}/",
    }
    for url in urls.values():  # warm the caches (templates, statements) once
        client.get(url)
    export = subprocess.run(
        [sys.executable, __file__, "--export-child", "--days", str(days)],
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    result = {
        "export": json.loads(export.stdout.strip().splitlines()[-1]),
        "rows": rows,
        "vendor": connection.vendor,
        "rollup_rows": CallRollup.objects.count(),
        "generate_s": generated,
        "rollups_s": rebuilt,
        "ms": {name: timed(client, url) for name, url in urls.items()},
    }
    print(json.dumps(result))


def export_child(days: int):
    """Export every record (CSV) through the export job, in a fresh process, and report
    its peak RSS: the file streams, so memory does not follow the row count."""
    import resource

    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.contrib.auth import get_user_model

    from telephony.reports.models import ReportExport
    from telephony.reports.tasks import run_export

    first = (datetime.now(UTC) - timedelta(days=days + 1)).date()
    last = (datetime.now(UTC) + timedelta(days=1)).date()
    export = ReportExport.objects.create(
        user=get_user_model().objects.get(username="bench-viewer"),
        query=f"range=custom&start={first}&end={last}",
        columns=["started_at", "account", "campaign", "status", "customer_number"],
    )
    begun = time.perf_counter()
    run_export(export.pk)
    export.refresh_from_db()
    print(
        json.dumps(
            {
                "rows": export.rows_written,
                "status": export.status,
                "seconds": time.perf_counter() - begun,
                "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "size_mb": export.size_bytes / 1e6,
            }
        )
    )


def env_for(database_url: str, media: Path) -> dict:
    env = dict(os.environ)
    env.pop("REDIS_URL", None)
    env.update(
        DJANGO_SETTINGS_MODULE="telephony.settings",
        DATABASE_URL=database_url,
        MEDIA_ROOT=str(media),
        DEBUG="false",
        SECRET_KEY="bench-" * 10,
        FIELD_ENCRYPTION_KEYS=KEY,
        SECURE_SSL_REDIRECT="false",
        ALLOWED_HOSTS="testserver",
        LOG_LEVEL="WARNING",
    )
    return env


def pg_admin(server_url: str, sql: str):
    import psycopg

    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(sql)


def run_size(rows: int, args, scratch: Path) -> dict:
    name = f"dialdesk_reports_bench_{os.getpid()}_{rows}"
    if args.postgres:
        parts = urlsplit(args.postgres)
        database_url = urlunsplit(parts._replace(path=f"/{name}"))
        pg_admin(args.postgres, f'CREATE DATABASE "{name}"')
    else:
        database_url = f"sqlite:///{scratch / f'{rows}.sqlite3'}"
    env = env_for(database_url, scratch / "media")
    try:
        subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), "migrate", "-v", "0"],
            env=env,
            cwd=ROOT,
            check=True,
        )
        done = subprocess.run(
            [sys.executable, __file__, "--child", str(rows), "--days", str(args.days)],
            env=env,
            cwd=ROOT,
            check=True,
            stdout=subprocess.PIPE,
            text=True,
        )
        return json.loads(done.stdout.strip().splitlines()[-1])
    finally:
        if args.postgres:
            pg_admin(args.postgres, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, help="records (1,000,000 on SQLite, 10M on PG)")
    parser.add_argument("--compare", type=int, default=100_000, help="also at this size (0: no)")
    parser.add_argument("--days", type=int, default=90, help="start times spread over these days")
    parser.add_argument("--postgres", help="a PostgreSQL server URL (databases made and dropped)")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--export-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.export_child:
        export_child(args.days)
        return
    if args.child:
        child(args.child, args.days)
        return
    rows = args.rows or (10_000_000 if args.postgres else 1_000_000)
    sizes = [size for size in (args.compare, rows) if size]
    scratch = Path(tempfile.mkdtemp(prefix="reports-bench-"))
    try:
        results = [run_size(size, args, scratch) for size in sizes]
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print(f"Reports bench on {results[0]['vendor']}, load {os.getloadavg()[0]:.2f} at the end")
    header = "".join(f"{r['rows']:>14,}" for r in results)
    print(f"{'':24}{header}" + ("       ratio" if len(results) == 2 else ""))
    print(f"{'rollup rows':24}" + "".join(f"{r['rollup_rows']:>14,}" for r in results))
    print(
        f"{'generate + rollups (s)':24}"
        + "".join(f"{r['generate_s']:>8.0f} + {r['rollups_s']:<3.0f}" for r in results)
    )
    for name in results[0]["ms"]:
        cells = "".join(f"{r['ms'][name]:>11.1f} ms" for r in results)
        ratio = ""
        if len(results) == 2:
            ratio = f"{results[1]['ms'][name] / results[0]['ms'][name]:>11.2f}x"
        print(f"{name:24}{cells}{ratio}")
    for r in results:
        e = r["export"]
        print(
            f"export of all {e['rows']:,} rows (CSV, {e['status']}): {e['seconds']:.0f} s, "
            f"{e['size_mb']:.0f} MB, peak RSS {e['peak_rss_mb']:.0f} MB (goal <= 300 MB at 1M)"
        )
    print(
        "Goals: overview and group-by < 200 ms at 10M and within 1.5x of 100k; "
        "search pages < 150 ms."
    )


if __name__ == "__main__":
    main()
