"""Read benchmark (issue #4, "Performance: Reading"): a contact list page of a 1M-contact
list at page 1 and at the last page, and the DND lookup with 1M DND entries.

    .venv/bin/python bench/lists_read_bench.py              # 1,000,000 rows on SQLite
    .venv/bin/python bench/lists_read_bench.py --rows 100000 --runs 5

It builds a temporary SQLite database (migrated, then filled with raw SQL executemany),
logs a Supervisor in with django.test.Client and times whole requests through the
middleware, view and template ("server time"): the median of --runs after one warm-up
request (the cold figure is printed too). It also prints the SQLite query plans of the
page and lookup queries, and fails if a page request counts or offsets the contacts.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_PAGE_MS = 150
TARGET_LOOKUP_MS = 20


def setup_django(db_path: Path):
    os.environ.update(
        DJANGO_SETTINGS_MODULE="telephony.settings",
        DATABASE_URL=f"sqlite:///{db_path}",
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


def fill(rows: int):
    """A 1M-contact list and a 1M-entry DND list, inserted with raw SQL executemany."""
    from django.db import connection, transaction
    from django.utils import timezone

    from campaigns.models import ContactList, DndList

    now = timezone.now().isoformat()
    zones = ["Asia/Kolkata"] * 8 + ["Asia/Dubai", "Europe/London"]
    contact_list = ContactList.objects.create(
        name="Bench 1M", custom_fields=["city", "plan", "due_amount"]
    )
    big_dnd = DndList.objects.create(name="Bench DND 1M", is_global=True)
    DndList.objects.create(name="Bench small DND")

    def contacts():
        for i in range(rows):
            yield (
                contact_list.pk,
                f"+919{i:09d}",
                f"9{i:09d}",
                f"Customer {i}",
                f'{{"city": "City {i % 50}", "plan": "gold", "due_amount": "{i % 9000}"}}',
                zones[i % 10],
                i % 23 != 0,
                now,
                now,
            )

    def dnd_entries():
        for i in range(rows):
            # Every 1000th entry is a contact's number, so the page shows DND badges.
            number = f"+919{i:09d}" if i % 1000 == 0 else f"+918{i:09d}"
            yield (big_dnd.pk, number, "", "bench", "file", None, now)

    start = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO campaigns_contact (contact_list_id, number, raw_number, name, fields, "
            "time_zone, is_active, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            contacts(),
        )
    contacts_s = time.perf_counter() - start
    start = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO campaigns_dndentry (dnd_list_id, number, name, reason, source, "
            "added_by_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            dnd_entries(),
        )
    dnd_s = time.perf_counter() - start
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    contact_list.refresh_count()
    big_dnd.refresh_count()
    print(
        f"filled {rows:,} contacts in {contacts_s:.1f} s and {rows:,} DND entries in {dnd_s:.1f} s"
    )
    return contact_list, big_dnd


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
    args = parser.parse_args()

    tmp = tempfile.TemporaryDirectory(prefix="lists-read-bench-")
    setup_django(Path(tmp.name) / "bench.sqlite3")

    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from campaigns.models import Contact, ContactList, DndEntry

    contact_list, big_dnd = fill(args.rows)
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
    print(f"\nserver time per request, median of {args.runs} after one cold request:")
    results = {}
    for label, url in cases:
        if "htmx" in label:
            client.defaults["HTTP_HX_REQUEST"] = "true"
        cold, median, response = timed(client, url, args.runs)
        client.defaults.pop("HTTP_HX_REQUEST", None)
        results[label] = median
        print(f"  {label:<36} {median:8.1f} ms   (cold {cold:.1f} ms)  {url}")
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

    ok = (
        results["list page 1"] < TARGET_PAGE_MS
        and results["list last page"] < TARGET_PAGE_MS
        and results["DND lookup, htmx partial"] < TARGET_LOOKUP_MS
        and not bad
    )
    print(
        f"\ntargets: page 1 and last page < {TARGET_PAGE_MS} ms, DND lookup (the htmx answer "
        f"the lookup form fetches) < {TARGET_LOOKUP_MS} ms: {'met' if ok else 'NOT met'}"
    )
    connection.close()
    tmp.cleanup()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
