"""Import benchmark: the fast contact import against a plain sqlite3 executemany and a
plain django-import-export ModelResource import (issue #4, "Performance: Import").

    .venv/bin/python bench/import_bench.py                 # 1,000,000 rows on SQLite
    .venv/bin/python bench/import_bench.py --rows 100000   # a quick run
    .venv/bin/python bench/import_bench.py --postgres postgres://postgres@127.0.0.1:5432/dialdesk_bench
    .venv/bin/python bench/import_bench.py --pin 0 --runs 3 --skip-peer   # one core, min/median
    .venv/bin/python bench/import_bench.py --columns 15 --pin 0 --skip-peer  # a wide file
    .venv/bin/python bench/import_bench.py --pin 0 --runs 3 --skip-peer --floor  # SQL floor

--pin N runs the baseline and the import on CPU N only (os.sched_setaffinity, as
`taskset -c N`): the import's forked reader then shares the writer's core, which is the
honest figure on a busy machine. --runs R repeats baseline and import R times and prints
the min and median of each ratio (baseline and import alternate, in the same run).
--postgres creates the scratch database when it is missing (and drops it afterwards).
--floor also times, in each run, the import's own database work alone: the file is read
and validated first (untimed), then the timed part is only what the job's batches send
to the database (each batch's insert, search index fill, counters and commit) and its
finish (DND matches, the list's count). Its ratio to the baseline is the floor the
import cannot go under with this schema, whatever its Python costs.

The reference file (number, name and 3 custom fields; 1% invalid numbers, 1% duplicates)
is generated into a temporary directory; --columns N (at least 5) adds N - 5 more custom
fields of text (emails, addresses, codes, dates, amounts), for the memory of wide files.
Each run also prints the CPU seconds of the baseline and of the import (user + system):
on a shared machine they vary less than the wall time. Each measured import runs in its own child
process (a fresh database there), so its peak RSS (VmHWM) is its own. Never point
--postgres at a database you care about: the bench migrates it and fills a list.
"""

import argparse
import csv
import json
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PEER_ROWS = 20_000


EXTRA_FIELDS = [
    ("Email", lambda i: f"customer{i}@example.com"),
    ("Address", lambda i: f"{i % 997 + 1}, MG Road, Sector {i % 61}"),
    ("Pincode", lambda i: f"{110001 + i % 80000}"),
    ("Joined", lambda i: f"20{10 + i % 15}-{i % 12 + 1:02d}-{i % 28 + 1:02d}"),
    ("Account", lambda i: f"AC{i * 7919 % 10_000_000:08d}"),
    ("Branch", lambda i: ["Andheri", "Baner", "Salt Lake", "T Nagar", "Karol Bagh"][i % 5]),
    ("Balance", lambda i: f"{(i * 131) % 100000}.{i % 100:02d}"),
    ("Agent", lambda i: f"Agent {i % 250}"),
    ("Language", lambda i: ["Hindi", "Marathi", "Tamil", "Bengali", "English"][i % 5]),
    ("Notes", lambda i: "call after 6 pm" if i % 3 else "prefers WhatsApp"),
]


def generate(path: Path, rows: int, seed: int = 4, columns: int = 5):
    """number,name,city,plan,due_amount (and `columns` - 5 more custom fields); 1% invalid
    numbers and 1% repeated numbers."""
    rng = random.Random(seed)
    cities = ["Mumbai", "Delhi", "Pune", "Chennai", "Kolkata", "Jaipur"]
    plans = ["gold", "silver", "bronze"]
    extra = [
        (
            f"{EXTRA_FIELDS[k % len(EXTRA_FIELDS)][0]} {k // len(EXTRA_FIELDS) + 1}".removesuffix(
                " 1"
            ),
            EXTRA_FIELDS[k % len(EXTRA_FIELDS)][1],
        )
        for k in range(columns - 5)
    ]
    issued = []
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(
            ["Mobile Number", "Name", "City", "Plan", "Due Amount"] + [h for h, _ in extra]
        )
        for i in range(rows):
            roll = i % 100
            if roll == 37:
                number = f"12{i % 1000}"  # too short: invalid
            elif roll == 73 and issued:
                number = issued[rng.randrange(len(issued))]  # a duplicate
            else:
                number = f"9{rng.randrange(600_000_000, 999_999_999):09d}"
                if len(issued) < 10_000:
                    issued.append(number)
            name = f"Customer {i}"
            out.writerow(
                [number, name, cities[i % 6], plans[i % 3], f"{(i * 37) % 10000}"]
                + [value(i) for _, value in extra]
            )


def baseline(csv_path: Path, db_path: Path, columns: int = 5) -> tuple[float, float]:
    """Plain sqlite3: csv.reader + one executemany into an equivalent table (a column a
    CSV column). Returns (wall seconds, CPU seconds)."""
    start, cpu = time.perf_counter(), time.process_time()
    db = sqlite3.connect(db_path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    names = ["number", "name", "city", "plan", "due_amount"] + [
        f"extra_{k}" for k in range(columns - 5)
    ]
    db.execute(
        "CREATE TABLE contact (id INTEGER PRIMARY KEY, contact_list_id INTEGER NOT NULL, "
        f"number TEXT NOT NULL, {', '.join(f'{name} TEXT' for name in names[1:])})"
    )
    db.execute("CREATE UNIQUE INDEX contact_list_number ON contact (contact_list_id, number)")
    with csv_path.open(newline="", encoding="utf-8") as fh:
        rows = csv.reader(fh)
        next(rows)
        with db:
            db.executemany(
                f"INSERT OR IGNORE INTO contact (contact_list_id, {', '.join(names)}) "  # noqa: S608
                f"VALUES (1, {', '.join('?' * len(names))})",
                rows,
            )
    db.close()
    return time.perf_counter() - start, time.process_time() - cpu


def pinned(cpu, function, *args):
    """function(*args) on CPU `cpu` only (None: anywhere), then the old affinity back."""
    if cpu is None:
        return function(*args)
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {cpu})
    try:
        return function(*args)
    finally:
        os.sched_setaffinity(0, before)


def _admin(url: str):
    from urllib.parse import urlparse

    import psycopg

    parts = urlparse(url)
    name = parts.path.lstrip("/")
    if not name or name in ("postgres", "test", "template0", "template1"):
        sys.exit(f"Refusing to use the database {name!r}; name a scratch one.")
    return psycopg.connect(parts._replace(path="/postgres").geturl(), autocommit=True), name


def create_database(url: str) -> bool:
    """Create the scratch database when it is missing; True when this bench created it
    (an existing one is used as it is: the bench adds a list of its own to it)."""
    from psycopg import sql

    try:
        connection, name = _admin(url)
    except Exception as exc:  # the server's own words: no server, no role, no rights…
        sys.exit(f"Cannot reach PostgreSQL to create the bench database: {exc}")
    with connection:
        if connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            return False
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    print(f"created the database {name}")
    return True


def drop_database(url: str):
    from psycopg import sql

    connection, name = _admin(url)
    with connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
    print(f"dropped the database {name}")


def child_env(database_url: str, media: Path) -> dict:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="telephony.settings",
        DATABASE_URL=database_url,
        MEDIA_ROOT=str(media),
        DEBUG="false",
        SECRET_KEY="bench-" * 10,
        FIELD_ENCRYPTION_KEYS="ZGV2LW9ubHktZW5jcnlwdGlvbi1rZXktZm9yLWRpYWw=",
        SECURE_SSL_REDIRECT="false",
        LOG_LEVEL="WARNING",
    )
    return env


def run_child(mode: str, csv_path: Path, env: dict, pin=None) -> dict:
    prefix = ["taskset", "-c", str(pin)] if pin is not None else []
    subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "migrate", "-v", "0"],
        env=env,
        cwd=ROOT,
        check=True,
    )
    done = subprocess.run(
        [*prefix, sys.executable, __file__, "--child", mode, "--file", str(csv_path)],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def cpu_seconds() -> float:
    """User + system CPU seconds of this process and of its finished children."""
    import resource

    return sum(
        usage.ru_utime + usage.ru_stime
        for usage in (
            resource.getrusage(resource.RUSAGE_SELF),
            resource.getrusage(resource.RUSAGE_CHILDREN),
        )
    )


def peak_rss() -> dict:
    """Peak RSS (MB) of this process (the writer) and of its largest child (the import's
    file reader). Their sum is an upper bound: the forked reader shares pages with it."""
    import resource

    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            own = int(line.split()[1])
    reader = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {
        "peak_rss_mb": (own + reader) / 1024,
        "writer_mb": own / 1024,
        "reader_mb": reader / 1024,
    }


def child(mode: str, csv_path: Path):
    """Runs inside a fresh process with Django set up on the bench database."""
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.files import File

    from campaigns.importers import create_job, run_import
    from campaigns.models import Contact, ContactList, ImportJob

    contact_list = ContactList.objects.create(name=f"Bench {mode} {time.time()}")
    if mode == "floor":
        from django.core.files.storage import default_storage

        from campaigns.importers.job import Importer, _bulk_connection, claim

        with csv_path.open("rb") as fh:
            upload = File(fh, name=csv_path.name)
            job = create_job(ImportJob.Kind.CONTACTS, contact_list, None, upload=upload)
        job = claim(job.pk)
        importer = Importer(job, parallel=False)
        importer._prepare()
        batches = list(importer._batches())  # read and validated: not timed
        start, cpu = time.perf_counter(), cpu_seconds()
        with (
            open(default_storage.path(job.error_report.name), "r+b") as report,
            _bulk_connection(),
        ):
            report.seek(job.report_bytes)
            for batch in batches:
                importer._commit(*batch, report)
        importer._finish()
        result = {
            "seconds": time.perf_counter() - start,
            "cpu_seconds": cpu_seconds() - cpu,
            "imported": job.imported,
        }
        print(json.dumps(result))
        return
    if mode == "ours":
        start, cpu = time.perf_counter(), cpu_seconds()
        with csv_path.open("rb") as fh:
            # Stored in 64 KB chunks, as Django stores a big upload (a temporary file on
            # disk). An in-memory upload is stored in one read: that read alone was the
            # child's peak memory for a 178 MB file, counted against the import.
            upload = File(fh, name=csv_path.name)
            job = create_job(ImportJob.Kind.CONTACTS, contact_list, None, upload=upload)
        prepared = time.perf_counter() - start
        run_import(job.pk)
        elapsed = time.perf_counter() - start
        cpu = cpu_seconds() - cpu
        job.refresh_from_db()
        result = {
            "seconds": elapsed,
            "cpu_seconds": cpu,
            "prepare_seconds": prepared,
            "rows": job.committed_rows,
            "imported": job.imported,
            "duplicates": job.duplicates_in_file,
            "invalid": job.invalid,
            "status": job.status,
            "in_db": Contact.objects.filter(contact_list=contact_list).count(),
        }
    else:
        import tablib

        from campaigns.resources import ContactResource

        with csv_path.open(encoding="utf-8") as fh:
            data = tablib.Dataset().load(fh.read(), format="csv")
        data.headers = ["number", "name", "city", "plan", "due_amount"]
        start = time.perf_counter()
        resource = ContactResource(contact_list)
        outcome = resource.import_data(data, dry_run=False, raise_errors=True)
        elapsed = time.perf_counter() - start
        result = {
            "seconds": elapsed,
            "rows": len(data),
            "in_db": Contact.objects.filter(contact_list=contact_list).count(),
            "invalid": len(resource.invalid),
            "totals": dict(outcome.totals),
        }
    result.update(peak_rss())
    print(json.dumps(result))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--postgres", help="postgres://… of a scratch database to measure too")
    parser.add_argument("--skip-peer", action="store_true")
    parser.add_argument("--pin", type=int, help="run baseline and import on this CPU only")
    parser.add_argument("--runs", type=int, default=1, help="repeat; print min and median")
    parser.add_argument("--columns", type=int, default=5, help="CSV columns (5 or more)")
    parser.add_argument(
        "--floor", action="store_true", help="also time the import's database work alone"
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, Path(args.file))
        return

    with tempfile.TemporaryDirectory(prefix="import-bench-") as tmp:
        tmp = Path(tmp)
        source = tmp / "contacts.csv"
        if args.columns < 5:
            sys.exit("--columns takes 5 or more")
        generate(source, args.rows, columns=args.columns)
        size_mb = source.stat().st_size / 1024 / 1024
        print(
            f"reference file: {args.rows:,} rows, {args.columns} columns, {size_mb:.1f} MB "
            f"({source.name})"
        )

        print(f"load average before: {os.getloadavg()}")
        ratios, bases, runs, cpu_ratios, floors = [], [], [], [], []
        for attempt in range(args.runs):
            for stale in tmp.glob("*.sqlite3*"):
                stale.unlink()
            base, base_cpu = pinned(
                args.pin, baseline, source, tmp / "baseline.sqlite3", args.columns
            )
            ours = run_child(
                "ours",
                source,
                child_env(f"sqlite:///{tmp / 'ours.sqlite3'}", tmp / "media"),
                args.pin,
            )
            bases.append(base)
            runs.append(ours)
            ratios.append(ours["seconds"] / base)
            cpu_ratios.append(ours["cpu_seconds"] / base_cpu)
            print(
                f"run {attempt + 1}: baseline {base:6.2f} s, import {ours['seconds']:6.2f} s "
                f"= {ratios[-1]:.2f}x, peak RSS {ours['peak_rss_mb']:.0f} MB; CPU "
                f"{base_cpu:.2f} s / {ours['cpu_seconds']:.2f} s = {cpu_ratios[-1]:.2f}x"
                + (f" (pinned to CPU {args.pin})" if args.pin is not None else ""),
                flush=True,
            )
            if args.floor:
                floor = run_child(
                    "floor",
                    source,
                    child_env(f"sqlite:///{tmp / 'floor.sqlite3'}", tmp / "media"),
                    args.pin,
                )
                if floor["imported"] != ours["imported"]:
                    sys.exit(f"the floor run imported {floor['imported']:,} rows, not as many")
                floors.append(floor["seconds"] / base)
                print(
                    f"       SQL floor {floor['seconds']:6.2f} s = {floors[-1]:.2f}x the baseline "
                    f"(CPU {floor['cpu_seconds']:.2f} s): the import's database work alone",
                    flush=True,
                )
        print(f"load average after: {os.getloadavg()}")
        if floors:
            print(
                f"SQL floor: {min(floors):.2f}x min, {statistics.median(floors):.2f}x median "
                "the baseline (the statements, commits and finish of the import on rows "
                "validated beforehand)"
            )
        base = statistics.median(bases)
        ours = sorted(runs, key=lambda run: run["seconds"])[len(runs) // 2]
        ratio = statistics.median(ratios)
        print(f"baseline  sqlite3 csv.reader + executemany: {base:7.2f} s (median)")
        print(
            f"ours      import job (SQLite, WAL):           {ours['seconds']:7.2f} s "
            f"({ours['prepare_seconds']:.2f} s reading/sniffing), {ratio:.2f}x baseline median, "
            f"{min(ratios):.2f}x min [limit 2x: {'OK' if ratio <= 2 else 'FAIL'}], peak RSS "
            f"{max(run['peak_rss_mb'] for run in runs):.0f} MB max "
            f"(writer {ours['writer_mb']:.0f} + reader {ours['reader_mb']:.0f}, shared pages "
            f"counted twice) [limit 300: "
            f"{'OK' if max(run['peak_rss_mb'] for run in runs) <= 300 else 'FAIL'}]"
        )
        print(
            f"          imported {ours['imported']:,}, duplicates {ours['duplicates']:,}, "
            f"invalid {ours['invalid']:,}, rows in the list {ours['in_db']:,}, "
            f"status {ours['status']}"
        )
        per_row_ours = ours["seconds"] / args.rows

        print(
            f"          CPU seconds: {min(cpu_ratios):.2f}x min, "
            f"{statistics.median(cpu_ratios):.2f}x median (the import process and its "
            "children, against the baseline's)"
        )
        if not args.skip_peer and args.columns != 5:
            print("peer      skipped: it maps the 5-column file only")
        elif not args.skip_peer:
            sample = tmp / "sample.csv"
            generate(sample, min(PEER_ROWS, args.rows), seed=5)
            peer = run_child(
                "peer", sample, child_env(f"sqlite:///{tmp / 'peer.sqlite3'}", tmp / "media")
            )
            per_row_peer = peer["seconds"] / peer["rows"]
            speedup = per_row_peer / per_row_ours
            print(
                f"peer      import-export ModelResource:      {peer['seconds']:7.2f} s for "
                f"{peer['rows']:,} rows ({peer['in_db']:,} stored) = "
                f"{per_row_peer * 1e6:.0f} us/row, "
                f"~{per_row_peer * args.rows:.0f} s extrapolated to {args.rows:,}"
            )
            print(
                f"          ours {per_row_ours * 1e6:.1f} us/row: {speedup:.0f}x faster per row "
                f"[limit 25x: {'OK' if speedup >= 25 else 'FAIL'}]"
            )

        if args.postgres:
            if args.postgres.rstrip("/").endswith("/test"):
                sys.exit("Refusing to run on the `test` database; create a scratch one.")
            created = create_database(args.postgres)
            try:
                pg = run_child("ours", source, child_env(args.postgres, tmp / "media"), args.pin)
            finally:
                if created:
                    drop_database(args.postgres)
            print(
                f"postgres  import job:                        {pg['seconds']:7.2f} s, "
                f"{pg['seconds'] / base:.2f}x the SQLite baseline, "
                f"peak RSS {pg['peak_rss_mb']:.0f} MB, "
                f"imported {pg['imported']:,}"
            )


if __name__ == "__main__":
    main()
