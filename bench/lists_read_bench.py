"""Read benchmark (issue #4, "Performance: Reading"; issue #15, searches): a contact list
page of a 1M-contact list at page 1 and at the last page, the DND lookup with 1M DND
entries, and every search and filter a user types (a name that exists, one that does
not, a custom field value, a partial number, each filter) on random data.

    .venv/bin/python bench/lists_read_bench.py              # 1,000,000 rows on SQLite
    .venv/bin/python bench/lists_read_bench.py --rows 100000 --runs 5
    .venv/bin/python bench/lists_read_bench.py --postgres postgres://postgres@127.0.0.1:5432/dialdesk_lists_bench

With --postgres the same requests run on PostgreSQL after SQLite (the database is
created when missing, and dropped at the end when the bench created it).

It builds a temporary SQLite database (migrated, then filled with raw SQL executemany),
logs a Supervisor in with django.test.Client and times whole requests through the
middleware, view and template ("server time"): the median of --runs after one warm-up
request (the cold figure is printed too). It also prints the SQLite query plans of the
page and lookup queries, and fails if a page request counts or offsets the contacts.
"""

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_PAGE_MS = 150
TARGET_LOOKUP_MS = 20


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

    # Production settings hash static files via a manifest that collectstatic writes;
    # the bench has not run collectstatic, and static URLs are not what it measures.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }

    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)


SYLLABLES = ["ra", "vi", "an", "ka", "mi", "su", "de", "pa", "li", "no", "sh", "ta", "ve"]
SYLLABLES += ["ro", "ma", "ni", "ku", "le", "ya", "ji", "bo", "re", "sa", "ha", "di", "go"]
CITIES = ["Mumbai", "Delhi", "Pune", "Chennai", "Kolkata", "Jaipur", "Kochi", "Indore"]


def names(rng, count, syllables=3):
    out = set()
    while len(out) < count:
        out.add("".join(rng.choice(SYLLABLES) for _ in range(syllables)).capitalize())
    return sorted(out)


def number_at(i: int, prefix: str = "9") -> str:
    """A distinct, valid-looking Indian mobile for each i, in no order (7919 is prime)."""
    return f"+91{prefix}{(i * 7919 + 123_457) % 900_000_000 + 100_000_000:09d}"


def fill(rows: int, seed: int = 15):
    """A 1M-contact list and a 1M-entry DND list of random names (300 first names, 2,000
    surnames, 8 cities), inserted with raw SQL (executemany; COPY on PostgreSQL)."""
    from django.db import connection, transaction
    from django.utils import timezone

    from campaigns.models import ContactList, DndList

    rng = random.Random(seed)
    first, last = names(rng, 300, 2), names(rng, 2000, 3)
    now = timezone.now()
    zones = ["Asia/Kolkata"] * 8 + ["Asia/Dubai", "Europe/London"]
    contact_list = ContactList.objects.create(
        name="Bench 1M", custom_fields=["city", "plan", "due_amount"]
    )
    big_dnd = DndList.objects.create(name="Bench DND 1M", is_global=True)
    DndList.objects.create(name="Bench small DND")
    reasons = ["customer request", "court order", "complaint", "regulator list", "wrong number"]

    def contacts():
        for i in range(rows):
            city = rng.choice(CITIES)
            yield (
                contact_list.pk,
                number_at(i),
                number_at(i)[3:],
                f"{rng.choice(first)} {rng.choice(last)}",
                f'{{"city": "{city}", "plan": "gold", "due_amount": "{rng.randrange(9000)}"}}',
                zones[i % 10],
                i % 23 != 0,
                now,
                now,
            )

    def dnd_entries():
        for i in range(rows):
            # Every 1000th entry is a contact's number, so the page shows DND badges.
            number = number_at(i) if i % 1000 == 0 else number_at(i, "8")
            source = "manual" if i % 50 == 0 else "file"
            name = f"{rng.choice(first)} {rng.choice(last)}"
            yield (big_dnd.pk, number, name, rng.choice(reasons), source, None, now)

    contact_sql = (
        "campaigns_contact (contact_list_id, number, raw_number, name, fields, time_zone, "
        "is_active, created_at, updated_at)"
    )
    dnd_sql = (
        "campaigns_dndentry (dnd_list_id, number, name, reason, source, added_by_id, created_at)"
    )
    timings = []
    for sql, source in ((contact_sql, contacts()), (dnd_sql, dnd_entries())):
        start = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY {sql} FROM STDIN") as copy:
                    for row in source:
                        copy.write_row(row)
            else:
                width = sql.count(",") + 1
                marks = ", ".join(["%s"] * width)
                cursor.executemany(f"INSERT INTO {sql} VALUES ({marks})", source)  # noqa: S608
        timings.append(time.perf_counter() - start)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    contact_list.refresh_count()
    big_dnd.refresh_count()
    print(
        f"filled {rows:,} contacts in {timings[0]:.1f} s and {rows:,} DND entries in "
        f"{timings[1]:.1f} s (search indexes kept by the database as rows go in)"
    )
    return contact_list, big_dnd, first, last


def timed(client, url, runs: int):
    """(cold ms, median ms, the last response) for GET url."""
    samples = []
    for _ in range(runs + 1):
        start = time.perf_counter()
        response = client.get(url)
        samples.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return samples[0], statistics.median(samples[1:]), response


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--postgres", help="postgres://… of a scratch database to measure too")
    parser.add_argument("--database", help=argparse.SUPPRESS)  # one run, in a child
    args = parser.parse_args()
    if args.database:
        return bench(args, args.database)
    with tempfile.TemporaryDirectory(prefix="lists-read-bench-") as tmp:
        urls = [("SQLite", f"sqlite:///{Path(tmp) / 'bench.sqlite3'}")]
        created = False
        if args.postgres:
            created = create_database(args.postgres)
            urls.append(("PostgreSQL", args.postgres))
        failed = 0
        try:
            for label, url in urls:
                print(f"\n=== {label}, {args.rows:,} rows ===", flush=True)
                command = [sys.executable, __file__, "--rows", str(args.rows)]
                command += ["--runs", str(args.runs), "--database", url]
                failed |= subprocess.run(command, cwd=ROOT, check=False).returncode
        finally:
            if created:
                drop_database(args.postgres)
    return failed


def _admin_connection(url: str):
    """A connection to the server's `postgres` database, to create or drop `url`'s."""
    from urllib.parse import urlparse

    import psycopg

    parts = urlparse(url)
    name = parts.path.lstrip("/")
    if not name or name in ("postgres", "test", "template0", "template1"):
        sys.exit(f"Refusing to use the database {name!r}; name a scratch one.")
    admin = parts._replace(path="/postgres").geturl()
    return psycopg.connect(admin, autocommit=True), name


def create_database(url: str) -> bool:
    """Create the scratch database when it is missing; True when this bench created it."""
    from psycopg import sql

    connection, name = _admin_connection(url)
    with connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if exists.fetchone():
            sys.exit(f"The database {name} exists; the bench fills it, so name a new one.")
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    print(f"created the database {name}")
    return True


def drop_database(url: str):
    from psycopg import sql

    connection, name = _admin_connection(url)
    with connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
    print(f"dropped the database {name}")


def bench(args, database_url: str) -> int:
    setup_django(database_url)

    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from campaigns.models import Contact, ContactList, DndEntry

    contact_list, big_dnd, first, last = fill(args.rows)
    user = get_user_model().objects.create_user("bench-supervisor", password="x" * 20)
    user.groups.add(Group.objects.get(name="Supervisor"))
    client = Client()
    client.force_login(user)

    detail = reverse("campaigns:list_detail", args=[contact_list.pk])
    middle = Contact.objects.filter(contact_list=contact_list).order_by("pk")[args.rows // 2].pk
    cases = [
        ("list page 1", detail),
        ("list last page", f"{detail}?page=last"),
        ("list page in the middle (after=)", f"{detail}?after={middle}"),
        ("list page 1, inactive only", f"{detail}?status=inactive"),
        ("list page 1, time zone filter", f"{detail}?tz=Europe/London"),
        ("list page 1, htmx partial", f"{detail}?after={middle}"),
        ("DND list page 1", reverse("campaigns:dnd_detail", args=[big_dnd.pk])),
        ("DND list last page", reverse("campaigns:dnd_detail", args=[big_dnd.pk]) + "?page=last"),
        ("DND lookup, blocked", reverse("campaigns:dnd_lookup") + "?number=+91%20800%20000%200001"),
        ("DND lookup, not blocked", reverse("campaigns:dnd_lookup") + "?number=07000000001"),
        ("DND lookup, htmx partial", reverse("campaigns:dnd_lookup") + "?number=8000000001"),
        ("lists index", reverse("campaigns:list_index")),
    ]
    # What users type (issue 15): on random names, numbers and fields.
    some = Contact.objects.filter(contact_list=contact_list).order_by("pk")[args.rows // 3]
    entry = DndEntry.objects.filter(dnd_list=big_dnd).order_by("pk")[args.rows // 3]
    dnd_url = reverse("campaigns:dnd_detail", args=[big_dnd.pk])
    searches = [
        ("search: a name that exists", f"{detail}?q={some.name.split()[1]}"),
        ("search: first name + surname", f"{detail}?q={some.name.replace(' ', '+')}"),
        ("search: a name that does not", f"{detail}?q=Zyxwvut"),
        ("search: a common word (city)", f"{detail}?q=pune"),
        ("search: last 5 digits", f"{detail}?q={some.number[-5:]}"),
        ("search: last 4 digits", f"{detail}?q={some.number[-4:]}"),
        ("search: a whole number", f"{detail}?q={some.number[3:]}"),
        ("search: + and first digits", f"{detail}?q=%2B91987"),
        ("search: too short (says so)", f"{detail}?q=12"),
        ("filter: DND blocked", f"{detail}?dnd=blocked"),
        ("filter: DND clear (not blocked)", f"{detail}?dnd=clear"),
        ("filter: name + inactive", f"{detail}?q={first[5]}&status=inactive"),
        ("DND search: a name that exists", f"{dnd_url}?q={entry.name.split()[1]}"),
        ("DND search: a name that does not", f"{dnd_url}?q=Zyxwvut"),
        ("DND search: a reason word", f"{dnd_url}?q=court"),
        ("DND search: last 5 digits", f"{dnd_url}?q={entry.number[-5:]}"),
        ("DND filter: source manual", f"{dnd_url}?source=manual"),
        ("DND filter: source vendor (none)", f"{dnd_url}?source=vendor"),
    ]
    cases += searches
    print(f"\nserver time per request, median of {args.runs} after one cold request:")
    results = {}
    for label, url in cases:
        if "htmx" in label:
            client.defaults["HTTP_HX_REQUEST"] = "true"
        cold, median, response = timed(client, url, args.runs)
        client.defaults.pop("HTTP_HX_REQUEST", None)
        results[label] = median
        print(f"  {label:<36} {median:8.1f} ms   (cold {cold:.1f} ms)  {url}")
        if label.startswith(("search", "filter", "DND search", "DND filter")):
            rows_on_page = max(0, response.content.count(b"<tr") - 1)
            print(f"  {'':<36} {rows_on_page} rows on the page")
        if label == "list page 1":
            rows = response.content.count(b'name="ids"')
            badges = response.content.count(b">DND</span>")
            print(f"  {'':<36} {rows} rows, {badges} with a DND badge")

    # The lookup itself, without the page around it.
    samples = []
    for i in range(200):
        start = time.perf_counter()
        list(DndEntry.objects.blocking(f"+918{(i * 4999) % args.rows:09d}"))
        samples.append((time.perf_counter() - start) * 1000)
    lookup_ms = statistics.median(samples)
    print(f"  {'DndEntry.objects.blocking() alone':<36} {lookup_ms:8.2f} ms   (median of 200)")

    with CaptureQueriesContext(connection) as queries:
        client.get(f"{detail}?page=last")
    contact_sql = [q["sql"] for q in queries if 'campaigns_contact"' in q["sql"]]
    bad = [sql for sql in contact_sql if "COUNT(" in sql.upper() or "OFFSET" in sql.upper()]
    print(f"\nqueries for the last page: {len(queries)} in all, {len(contact_sql)} on contacts")
    print("  COUNT/OFFSET over contacts:", bad or "none")

    page_qs = Contact.objects.filtered(contact_list).order_by("-pk")[:51]
    lookup_qs = DndEntry.objects.filter(number="+918000000001")
    print("\nEXPLAIN (last page):\n ", page_qs.explain().replace("\n", "\n  "))
    tz_qs = Contact.objects.filtered(contact_list, tz="Europe/London").order_by("pk")[:51]
    print("EXPLAIN (time zone filter):\n ", tz_qs.explain().replace("\n", "\n  "))
    print("EXPLAIN (DND lookup):\n ", lookup_qs.explain().replace("\n", "\n  "))
    inactive_qs = Contact.objects.filtered(contact_list, status="inactive").order_by("pk")[:51]
    print("EXPLAIN (inactive filter):\n ", inactive_qs.explain().replace("\n", "\n  "))
    index_qs = ContactList.objects.with_counts()
    print("EXPLAIN (lists index):\n ", index_qs.explain().replace("\n", "\n  "))

    slow = [label for label, _ in searches if results[label] >= TARGET_PAGE_MS]
    print(f"\nsearches and filters at or over {TARGET_PAGE_MS} ms: {slow or 'none'}")
    search_qs = Contact.objects.filtered(contact_list, q=some.name.split()[1]).order_by("pk")
    print("EXPLAIN (name search):\n ", search_qs[:51].explain().replace("\n", "\n  "))
    tail_qs = Contact.objects.filtered(contact_list, q=some.number[-5:]).order_by("pk")
    print("EXPLAIN (last digits):\n ", tail_qs[:51].explain().replace("\n", "\n  "))
    clear_qs = Contact.objects.filtered(contact_list, dnd="clear").order_by("pk")
    print("EXPLAIN (DND clear):\n ", clear_qs[:51].explain().replace("\n", "\n  "))
    ok = (
        not slow
        and results["list page 1"] < TARGET_PAGE_MS
        and results["list last page"] < TARGET_PAGE_MS
        and results["DND lookup, htmx partial"] < TARGET_LOOKUP_MS
        and not bad
    )
    print(
        f"\ntargets: page 1 and last page < {TARGET_PAGE_MS} ms, DND lookup (the htmx answer "
        f"the lookup form fetches) < {TARGET_LOOKUP_MS} ms: {'met' if ok else 'NOT met'}"
    )
    connection.close()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
