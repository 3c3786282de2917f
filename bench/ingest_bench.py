"""Ingest bench (issue 11, "Sync"): N CDRs through telephony.sync.ingest (the upsert with
its lookups, links and rollup deltas, in batches as a sync stores pages) against a raw
insert of the same rows into the same table (executemany on SQLite, COPY on
PostgreSQL). Goal: the ingest takes at most twice the raw insert's time.

    .venv/bin/python bench/ingest_bench.py                    # 200,000 CDRs on SQLite
    .venv/bin/python bench/ingest_bench.py --rows 20000       # a quick run
    .venv/bin/python bench/ingest_bench.py --runs 3           # min and median of 3
    .venv/bin/python bench/ingest_bench.py --postgres postgres://postgres@127.0.0.1:5432/postgres

--postgres names a server (any database on it to connect to): the bench creates its own
databases there (dialdesk_ingest_bench_<pid>_<part>) and drops them after. SQLite runs
use temporary files, removed after. Each measurement runs in its own child process on
a fresh, migrated database; the CDRs are built before the clock starts. Besides wall
time each part reports its process's CPU seconds: on a busy machine the wall ratio
swings, and on SQLite (the database runs in the process) the CPU ratio does not.

Measured, each with the commit:
- raw: the prepared column tuples, one executemany (SQLite) or one COPY (PostgreSQL)
  into telephony_callrecord (same indexes and constraints as the ingest meets);
- ingest: the NormalizedCDRs through ingest() in --batch sized batches (what a sync
  gathers over its pages before one ingest, SYNC_INGEST_BATCH, default 5000), new rows:
  existing-row lookup, campaign/attempt/call links, insert, rollups;
- again: the same batches once more (every row found unchanged: what each overlapping
  sync run does);
- update: every fourth call changes status (rollups move between keys).

The 15-minute rollups are always kept; the day rollups are kept for the phases of
--zones (default UTC and Asia/Kolkata, registered before the clock starts, as once
viewers in those zones have opened the reports).
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
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
KEY = "ZGV2LW9ubHktZW5jcnlwdGlvbi1rZXktZm9yLWRpYWw="
STATUSES = ["answered"] * 5 + ["no_answer"] * 2 + ["busy", "failed", "congestion"]


def make_cdrs(rows: int, days: int = 1, seed: int = 11):
    from telephony.vendors.base import CallStatus, NormalizedCDR

    rng = random.Random(seed)
    start = datetime(2026, 11, 1, tzinfo=UTC)
    callers = [f"+9198765{n:05d}" for n in range(40)]
    cdrs = []
    for n in range(rows):
        status = CallStatus(rng.choice(STATUSES))
        begun = start + timedelta(seconds=rng.randrange(days * 86400))
        talk = rng.randrange(1, 400) if status is CallStatus.ANSWERED else 0
        cdrs.append(
            NormalizedCDR(
                vendor_call_id=f"{int(begun.timestamp())}.{n}",
                status=status,
                vendor_status=str(status).upper(),
                caller_id=rng.choice(callers),
                customer_number=f"+9197{rng.randrange(10**8):08d}",
                started_at=begun,
                answered_at=begun + timedelta(seconds=8) if talk else None,
                ended_at=begun + timedelta(seconds=8 + talk),
                duration_seconds=8 + talk,
                billable_seconds=talk,
                reference_id=f"bench-{n}",
                raw={"id": n, "dial_status": str(status).upper(), "billsec": talk},
            )
        )
    return cdrs


def child(mode: str, rows: int, batch: int, days: int, zones: list):
    """Inside a fresh process with Django set up on a fresh, migrated database."""
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db import connection, transaction

    from telephony.models import CallRecord, CallRollup, ProviderAccount
    from telephony.sync import ingest as ingest_module

    account = ProviderAccount.objects.create(kind="cpaas", name="Ingest bench")
    if zones:
        # The day rollups of these zones are kept by every ingest (as once a viewer in
        # that zone has opened the reports); an empty database needs no build.
        from telephony.sync.rollups import register_zones

        register_zones(zones, build=False)
    cdrs = make_cdrs(rows, days)
    result = {"mode": mode, "rows": rows, "vendor": connection.vendor}
    if mode == "raw":
        now = datetime.now(UTC)
        prepared = []
        for cdr in cdrs:
            row = ingest_module._row(cdr)
            row["account_id"], row["synced_at"] = account.pk, now
            prepared.append(row)
        prepared = ingest_module._db_rows(prepared, ingest_module.INSERTED)
        table = CallRecord._meta.db_table
        start, cpu = time.perf_counter(), time.process_time()
        with transaction.atomic(), connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                ingest_module._copy(cursor, table, ingest_module.INSERTED, prepared)
            else:
                marks = ", ".join(["%s"] * len(ingest_module.INSERTED))
                cursor.executemany(
                    f"INSERT INTO {table} ({', '.join(ingest_module.INSERTED)}) "  # noqa: S608
                    f"VALUES ({marks})",
                    prepared,
                )
        result["seconds"] = time.perf_counter() - start
        result["cpu"] = time.process_time() - cpu
    else:
        batches = [cdrs[i : i + batch] for i in range(0, len(cdrs), batch)]
        start, cpu = time.perf_counter(), time.process_time()
        for part in batches:
            ingest_module.ingest(account, part)
        result["seconds"] = time.perf_counter() - start
        result["cpu"] = time.process_time() - cpu
        start = time.perf_counter()
        for part in batches:
            ingest_module.ingest(account, part)
        result["again_seconds"] = time.perf_counter() - start
        changed = cdrs[::4]
        for cdr in changed:
            cdr.status = type(cdr.status)("busy" if cdr.status != "busy" else "no_answer")
            cdr.billable_seconds = 0
        start = time.perf_counter()
        for i in range(0, len(changed), batch):
            ingest_module.ingest(account, changed[i : i + batch])
        result["update_seconds"] = time.perf_counter() - start
        result["updated_rows"] = len(changed)
        result["rollup_rows"] = CallRollup.objects.count()
        assert CallRollup.objects.totals()["calls"] == rows
    assert CallRecord.objects.count() == rows
    print(json.dumps(result))


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
        LOG_LEVEL="WARNING",
    )
    return env


def pg_admin(server_url: str, sql: str):
    import psycopg

    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(sql)


def run_part(mode: str, args, scratch: Path) -> dict:
    if args.postgres:
        name = f"dialdesk_ingest_bench_{os.getpid()}_{mode}"
        parts = urlsplit(args.postgres)
        database_url = urlunsplit(parts._replace(path=f"/{name}"))
        pg_admin(args.postgres, f'CREATE DATABASE "{name}"')
    else:
        database = scratch / f"{mode}.sqlite3"
        for leftover in scratch.glob(f"{mode}.sqlite3*"):  # a fresh file every run
            leftover.unlink()
        database_url = f"sqlite:///{database}"
    env = env_for(database_url, scratch / "media")
    try:
        subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), "migrate", "-v", "0"],
            env=env,
            cwd=ROOT,
            check=True,
        )
        done = subprocess.run(
            [
                sys.executable,
                __file__,
                "--child",
                mode,
                "--rows",
                str(args.rows),
                "--batch",
                str(args.batch),
                "--days",
                str(args.days),
                "--zones",
                args.zones,
            ],
            env=env,
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        )
        return json.loads(done.stdout.strip().splitlines()[-1])
    finally:
        if args.postgres:
            pg_admin(args.postgres, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _zones(text: str) -> list:
    return [name.strip() for name in text.split(",") if name.strip()]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument(
        "--batch",
        type=int,
        default=5000,
        help="CDRs per ingest call (what a sync gathers over pages: SYNC_INGEST_BATCH)",
    )
    parser.add_argument(
        "--days", type=int, default=1, help="the calls' span (1: a busy account's day)"
    )
    parser.add_argument(
        "--zones",
        default="UTC,Asia/Kolkata",
        help="viewers' zones whose day rollups the ingest keeps (comma-separated; '' for none)",
    )
    parser.add_argument("--runs", type=int, default=1, help="repeat raw + ingest, min/median")
    parser.add_argument("--postgres", help="a PostgreSQL server URL (databases made and dropped)")
    parser.add_argument("--child", choices=["raw", "ingest"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.rows, args.batch, args.days, _zones(args.zones))
        return
    scratch = Path(tempfile.mkdtemp(prefix="ingest-bench-"))
    results = []
    try:
        for _ in range(args.runs):  # raw and ingest alternate, so load hits both alike
            results.append((run_part("raw", args, scratch), run_part("ingest", args, scratch)))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    raw, ours = results[-1]
    how = "COPY" if raw["vendor"] == "postgresql" else "executemany"
    print(
        f"{args.rows:,} CDRs over {args.days} day(s) on {raw['vendor']} "
        f"(ingest batches of {args.batch:,}; day rollups for {args.zones or 'no zone'}; "
        f"{args.runs} run(s))"
    )
    for n, (raw, ours) in enumerate(results, 1):
        print(f"run {n}:")
        print(f"  raw insert ({how}):      {raw['seconds']:8.2f} s")
        print(f"  ingest (new rows):       {ours['seconds']:8.2f} s")
        print(f"  ratio ingest / raw:      {ours['seconds'] / raw['seconds']:8.2f}x")
        print(
            f"  CPU seconds (this process): raw {raw['cpu']:.2f}, ingest {ours['cpu']:.2f}, "
            f"ratio {ours['cpu'] / raw['cpu']:.2f}x"
        )
        print(f"  again, all unchanged:    {ours['again_seconds']:8.2f} s")
        print(
            f"  {ours['updated_rows']:,} status changes:  {ours['update_seconds']:8.2f} s"
            f"  ({ours['rollup_rows']:,} rollup rows)"
        )
    ratios = sorted(ours["seconds"] / raw["seconds"] for raw, ours in results)
    print(
        f"ratio ingest / raw: min {ratios[0]:.2f}x, median {statistics.median(ratios):.2f}x "
        f"(goal <= 2.00x, i.e. ingest at >= 50% of the raw insert's speed)"
    )
    cpu = sorted(ours["cpu"] / raw["cpu"] for raw, ours in results)
    print(
        f"CPU ratio (this process; on SQLite the database's work too, on PostgreSQL not the "
        f"server's): min {cpu[0]:.2f}x, median {statistics.median(cpu):.2f}x"
    )


if __name__ == "__main__":
    main()
