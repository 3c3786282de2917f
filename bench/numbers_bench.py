"""Numbers inventory benchmark (issue #12, "Bench"): 100,000 numbers across four
accounts; the index at page 1, a deep page (the 1,000th, reached by its keyset link)
and an "ends with" search, sorted by id and by number; the health job over every
number (30 days of rollups for 200 of them), then the health page it feeds.

    .venv/bin/python bench/numbers_bench.py                 # 100,000 numbers on SQLite
    .venv/bin/python bench/numbers_bench.py --rows 20000 --runs 5

It builds a temporary SQLite database (migrated, then filled with raw SQL executemany),
logs a Supervisor in with django.test.Client and times whole requests through the
middleware, view and template ("server time"): the median of --runs after one warm-up
request (the cold figure is printed too), and the median CPU time of those requests.
It prints the SQLite plan of the "ends with" query and fails if a figure passes 150 ms
or a page request counts or offsets.
"""

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import warnings
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_MS = 150


def setup_django(database_url: str):
    os.environ.update(
        DJANGO_SETTINGS_MODULE="telephony.settings",
        DATABASE_URL=database_url,
        DEBUG="false",
        SECRET_KEY="bench-" * 10,
        FIELD_ENCRYPTION_KEYS="ZGV2LW9ubHktZW5jcnlwdGlvbi1rZXktZm9yLWRpYWw=",
        SECURE_SSL_REDIRECT="false",
        ALLOWED_HOSTS="testserver",
        LOG_LEVEL="WARNING",
    )
    os.environ.pop("REDIS_URL", None)
    sys.path.insert(0, str(ROOT))
    warnings.filterwarnings("ignore", message="No directory at")  # whitenoise: no collectstatic
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)


def number_at(i: int) -> str:
    """A distinct valid Indian mobile for each i, in no order (7919 is prime)."""
    return f"+919{(i * 7919 + 123_457) % 900_000_000 + 100_000_000:09d}"


def fill(rows: int, seed: int = 12):
    from django.db import connection, transaction
    from django.utils import timezone

    from phone_numbers.models import NumberSet, reversed_digits
    from telephony.models import ProviderAccount

    rng = random.Random(seed)
    accounts = []
    for kind in ("myoperator", "cpaas", "omilia", "oca"):
        account = ProviderAccount(kind=kind, name=f"Bench {kind}", base_url="http://127.0.0.1:9")
        account.set_secrets({})
        account.save()
        accounts.append(account)
    sets = [NumberSet.objects.create(account=accounts[2], name=f"Set {i}") for i in range(20)]
    now = timezone.now()
    regions = ["Mumbai", "Delhi", "Karnataka", "Tamil Nadu", "Kerala", "Gujarat"]

    def numbers():
        for i in range(rows):
            number = number_at(i)
            account = accounts[i % 4]
            yield (
                number,
                reversed_digits(number),
                account.pk,
                "",
                "caller_id" if i % 3 else "did",
                "IN",
                rng.choice(regions),
                f"group-{i % 40}",
                "active" if i % 17 else "resting",
                "",
                "",
                None,
                "import",
                now - timedelta(days=i % 90),
                None,
                now,
                now,
                "{}",
            )

    columns = (
        'number, digits_reversed, account_id, vendor_id, kind, country, region, "group", '
        "status, health_flag, note, daily_cap, source, acquired_at, last_synced_at, "
        "created_at, updated_at, health_figures"
    )
    start = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        marks = ", ".join(["%s"] * (columns.count(",") + 1))
        cursor.executemany(
            f"INSERT INTO phone_numbers_phonenumber ({columns}) VALUES ({marks})",  # noqa: S608
            numbers(),
        )
        through = "phone_numbers_phonenumber_sets (phonenumber_id, numberset_id)"
        cursor.execute(
            "SELECT id FROM phone_numbers_phonenumber WHERE account_id = %s", [accounts[2].pk]
        )
        ids = [row[0] for row in cursor.fetchall()]
        cursor.executemany(
            f"INSERT INTO {through} VALUES (%s, %s)",  # noqa: S608
            ((pk, sets[pk % 20].pk) for pk in ids),
        )
        cursor.execute("ANALYZE")
    print(f"filled {rows:,} numbers in {time.perf_counter() - start:.1f} s")
    return accounts


def fill_rollups(accounts, numbers: int = 200, days: int = 30):
    """30 days of 15-minute rollups (one status per bucket, every 2 hours) for the first
    `numbers` numbers: what the health page's first pages read."""
    from django.db import connection, transaction
    from django.utils import timezone

    from phone_numbers.models import PhoneNumber
    from telephony.models.cdr import bucket_of

    end = bucket_of(timezone.now())
    rows = []
    for number in PhoneNumber.objects.order_by("pk")[:numbers]:
        for hour in range(0, days * 24, 2):
            bucket = end - timedelta(hours=hour)
            rows.append(
                (bucket, number.account_id, None, number.number, "answered", 4, 3, 0, 0, 0, 120, 1)
            )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO telephony_callrollup (bucket, account_id, campaign_id, caller_id, status, "
            "calls, answered, busy, no_answer, failed, billable_seconds, short_calls) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            rows,
        )
        cursor.execute("ANALYZE")
    print(f"filled {len(rows):,} rollup rows for {numbers} numbers")


def timed(client, url, runs: int):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    samples, cpu = [], []
    for _ in range(runs + 1):
        with CaptureQueriesContext(connection) as queries:
            start, start_cpu = time.perf_counter(), time.process_time()
            response = client.get(url)
            samples.append((time.perf_counter() - start) * 1000)
            cpu.append((time.process_time() - start_cpu) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    sql = " ".join(query["sql"].upper() for query in queries.captured_queries)
    assert " OFFSET " not in sql and "COUNT(" not in sql, f"{url} counts or offsets"
    return samples[0], statistics.median(samples[1:]), statistics.median(cpu[1:]), response


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--deep", type=int, default=1000, help="the deep page's number")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="numbers-bench-") as tmp:
        setup_django(f"sqlite:///{Path(tmp) / 'bench.sqlite3'}")
        return bench(args)


def bench(args):
    from django.db import connection
    from django.test import Client

    from phone_numbers.models import PhoneNumber
    from tests.factories import UserFactory

    accounts = fill(args.rows)
    fill_rollups(accounts)
    from phone_numbers.health import apply_rules

    start = time.perf_counter()
    flagged, _ = apply_rules()
    print(
        f"health job over {args.rows:,} numbers: {time.perf_counter() - start:.1f} s "
        f"({flagged} flagged)"
    )
    client = Client()
    client.force_login(UserFactory(username="bench-supervisor", role="Supervisor"))
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs\n")

    deep_pages = min(args.deep, args.rows // 50)
    # A deep page's URL is the same shape at any depth (after=<id>): reach page N by id,
    # as its Next link would, without walking N-1 pages in the bench.
    ordered = PhoneNumber.objects.order_by("pk").values_list("pk", flat=True)
    deep_after = ordered[(deep_pages - 1) * 50 - 1]
    by_number = PhoneNumber.objects.order_by("number", "pk").values_list("pk", flat=True)
    deep_after_number = by_number[(deep_pages - 1) * 50 - 1]
    tail = number_at(args.rows // 2)[-4:]
    cases = [
        ("index, page 1", "/numbers/"),
        (f"index, page {deep_pages:,}", f"/numbers/?after={deep_after}"),
        ("index by number, page 1", "/numbers/?sort=number"),
        (
            f"index by number, page {deep_pages:,}",
            f"/numbers/?sort=number&after={deep_after_number}",
        ),
        (f"ends with {tail}", f"/numbers/?q={tail}&match=ends"),
        ("begins with +91987", "/numbers/?q=%2B91987&match=begins"),
        (
            "ends with + kind + group",
            f"/numbers/?q={tail[-3:]}&match=ends&kind=caller_id&group=group-7",
        ),
        ("health, page 1 (30 days of rollups)", "/numbers/health/"),
    ]
    failed = 0
    # CPU ms: this process's CPU time (client, view, template and SQLite all run in it),
    # what the request costs whatever else the machine is doing.
    print(f"{'request':<42} {'cold ms':>9} {'median ms':>10} {'CPU ms':>7} {'rows':>5}")
    for label, url in cases:
        cold, median, cpu, response = timed(client, url, args.runs)
        rows = response.content.decode().count('class="mono fw-semibold')
        mark = "" if median < TARGET_MS else f"  OVER {TARGET_MS} ms"
        failed |= median >= TARGET_MS
        print(f"{label:<42} {cold:>9.1f} {median:>10.1f} {cpu:>7.1f} {rows:>5}{mark}")

    sql, params = (
        PhoneNumber.objects.search(tail, "ends").order_by("pk")[:51].query.sql_with_params()
    )
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        plan = "; ".join(row[-1] for row in cursor.fetchall())
    print(f"\nplan of 'ends with': {plan}")
    return int(failed)


if __name__ == "__main__":
    sys.exit(main())
