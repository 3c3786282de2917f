"""Reports bench (issue 11, "Scale"): N CallRecords and their rollups, then the server
time (median of 9, through Django's test client, so URL routing, the view, its queries
and the template all count) of:

- the overview for the last 30 days (figures with the previous period, the charts and the
  default by-day table);
- the group-by by caller id (the same page grouped by caller id);
- CDR search page 1, a deep page (a keyset cursor half way into the 30 days) and an
  "ends with" number search;
- a call's page.

The viewer is in Asia/Kolkata (+05:30). Each size runs in its own child process on a
fresh, migrated database; the same is measured at 100,000 records for comparison
(--compare 0 to skip).

    .venv/bin/python bench/reports_bench.py                      # 1,000,000 on SQLite
    .venv/bin/python bench/reports_bench.py --rows 300000        # a quicker run
    .venv/bin/python bench/reports_bench.py --postgres postgres://postgres@127.0.0.1:5432/postgres
                                                                 # 10,000,000 on PostgreSQL

--postgres names a server: the bench creates its own databases there
(dialdesk_reports_bench_<pid>_<rows>) and drops them after. SQLite runs use temporary
files, removed after.

The data: 3 accounts, 12 campaigns (plus calls outside any campaign), 2 caller ids per
campaign, weighted statuses, start times spread over the last --days days (default 90).
Records go in with one executemany (SQLite; PostgreSQL: made by the server with
generate_series, the same distribution, as 10M through Python takes most of an hour),
then the rollups are rebuilt with telephony.sync.rollups.rebuild (what `manage.py
rebuild_rollups` runs), the same tables the ingest keeps in step on every sync.
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
ZONE = "Asia/Kolkata"


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
    if connection.vendor == "postgresql":
        generate_in_server(choices, rows, start, days)
        return
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
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def generate_in_server(choices, rows: int, start, days: int):
    """PostgreSQL: the same distribution made by the server (generate_series), a million
    rows per statement: 10M records through Python would take most of an hour here.
    The rows are what the ingest writes for the same calls (see generate)."""
    from django.db import connection, transaction

    accounts = [account for account, _, _ in choices]
    campaigns = [campaign or 0 for _, campaign, _ in choices]
    first_callers = [callers[0] for _, _, callers in choices]
    last_callers = [callers[-1] for _, _, callers in choices]
    sql = """
        INSERT INTO telephony_callrecord (
            account_id, vendor_call_id, direction, status, vendor_status, caller_id,
            customer_number, customer_number_reversed, agent, recording_ref, reference_id,
            vendor_campaign_id, dtmf, started_at, answered_at, ended_at, duration_seconds,
            billable_seconds, campaign_id, raw, synced_at)
        SELECT (%(accounts)s::int[])[k], 'b' || n, 'outbound', status, upper(status),
               CASE WHEN random() < 0.5 THEN (%(first)s::text[])[k]
                    ELSE (%(last)s::text[])[k] END,
               '+9197' || number, reverse('9197' || number), '',
               CASE WHEN talk > 0 THEN lpad(to_hex(n), 96, '0') || '-v2.mp3' ELSE '' END,
               '', '', '', begun,
               CASE WHEN talk > 0 THEN begun + interval '8 seconds' END,
               begun + make_interval(secs => 8 + talk), 8 + talk, talk,
               NULLIF((%(campaigns)s::int[])[k], 0),
               jsonb_build_object('id', n, 'dial_status', upper(status), 'billsec', talk),
               now()
        FROM (
            SELECT n, k, status, begun, number,
                   CASE WHEN status = 'answered' THEN 1 + floor(random() * 399)::int
                        ELSE 0 END AS talk
            FROM (
                SELECT n,
                       1 + floor(random() * %(choices)s)::int AS k,
                       (%(statuses)s::text[])[1 + floor(random() * %(weights)s)::int]
                           AS status,
                       %(start)s::timestamptz
                           + make_interval(secs => floor(random() * %(span)s)) AS begun,
                       lpad(floor(random() * 1e8)::bigint::text, 8, '0') AS number
                FROM generate_series(%(first_n)s, %(last_n)s) AS n
            ) AS drawn
        ) AS made
    """
    done = 0
    while done < rows:
        count = min(1_000_000, rows - done)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                sql,
                {
                    "accounts": accounts,
                    "campaigns": campaigns,
                    "first": first_callers,
                    "last": last_callers,
                    "choices": len(choices),
                    "statuses": STATUSES,
                    "weights": len(STATUSES),
                    "start": start,
                    "span": days * 86400,
                    "first_n": done,
                    "last_n": done + count - 1,
                },
            )
        done += count
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


def child(rows: int, days: int, measure_only: bool = False):
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

    from telephony.models import CallRollup, UserProfile
    from telephony.models.cdr import CallRollupDay
    from telephony.sync.rollups import rebuild

    if measure_only:  # --measure: the timings again on a kept database
        from telephony.models import CallRecord

        user = get_user_model().objects.get(username="bench-viewer")
        print(json.dumps({"rows": CallRecord.objects.count(), **measure(days, user)}))
        return
    begun = time.perf_counter()
    generate(rows, days)
    generated = time.perf_counter() - begun
    # The viewer is in India (+05:30, the main zone): its local days start at 18:30 UTC
    # and its hours at hh:30, so no UTC-aligned rollup serves them. Made before the
    # rebuild, which registers and builds the phases of every zone in use.
    user = get_user_model().objects.create_user("bench-viewer", password="x" * 12)
    user.groups.add(Group.objects.get(name="Viewer"))
    UserProfile.objects.update_or_create(user=user, defaults={"time_zone": ZONE})
    begun = time.perf_counter()
    rebuild(batch_size=20_000)
    rebuilt = time.perf_counter() - begun
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    timings = measure(days, user)
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
        "day_rows": CallRollupDay.objects.count(),
        "generate_s": generated,
        "rollups_s": rebuilt,
        **timings,
    }
    print(json.dumps(result))


def measure(days: int, user) -> dict:
    """{"ms": {page: median server time}, "load": the 1-minute load after}."""
    from django.test import Client

    from telephony.models import CallRecord
    from telephony.reports.search import encode_cursor

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
    timings = {name: timed(client, url) for name, url in urls.items()}
    return {"ms": timings, "load": os.getloadavg()[0]}


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
        if args.postgres and not args.keep:
            pg_admin(args.postgres, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        elif args.postgres:
            print(f"kept {database_url} (drop it when done)", file=sys.stderr)


def measure_again(database_url: str, args, scratch: Path) -> dict:
    """The page timings once more on a database a --keep run left."""
    done = subprocess.run(
        [sys.executable, __file__, "--child", "0", "--measure-child", "--days", str(args.days)],
        env=env_for(database_url, scratch / "media"),
        cwd=ROOT,
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, help="records (1,000,000 on SQLite, 10M on PG)")
    parser.add_argument("--compare", type=int, default=100_000, help="also at this size (0: no)")
    parser.add_argument("--days", type=int, default=90, help="start times spread over these days")
    parser.add_argument("--postgres", help="a PostgreSQL server URL (databases made and dropped)")
    parser.add_argument(
        "--keep", action="store_true", help="PostgreSQL: keep the databases (for --measure)"
    )
    parser.add_argument(
        "--measure",
        action="append",
        metavar="DATABASE_URL",
        help="only time the pages again on a database a --keep run left (repeatable)",
    )
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--measure-child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--export-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.export_child:
        export_child(args.days)
        return
    if args.child is not None:
        child(args.child, args.days, measure_only=args.measure_child)
        return
    if args.measure:
        scratch = Path(tempfile.mkdtemp(prefix="reports-bench-"))
        try:
            for url in args.measure:
                result = measure_again(url, args, scratch)
                print(f"{url} ({result['rows']:,} records), load {result['load']:.2f}")
                for name, ms in result["ms"].items():
                    print(f"  {name:24}{ms:>9.1f} ms")
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
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
    print(f"{'rollup rows (15 min)':24}" + "".join(f"{r['rollup_rows']:>14,}" for r in results))
    print(f"{'rollup rows (day)':24}" + "".join(f"{r['day_rows']:>14,}" for r in results))
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
