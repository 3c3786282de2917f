"""Hostile uploads against the real import path (security issue #9), each in a fresh process.

    .venv/bin/python bench/upload_limits.py

Each file of the review (a 1,000-column CSV; XLSX files declaring 1,000 columns and
A1:XFD1048576; one 50 MB cell in a ~48 KB zip; a million shared strings in a ~42 KB zip;
a CSV with a 200,000-character field in row 2) and legit controls is built here, then
fed to a child process that sets Django up on its own copy of a migrated temporary
SQLite database and a temporary MEDIA_ROOT, uploads the file through the real view
with django.test.Client as a Supervisor, and GETs the mapping page twice when a job was
created. Per file it prints the outcome (the refusal, or the page's size), the wall time
of the upload and pages, and the child's peak RSS (ru_maxrss, Django itself included).
Every case must end in a clear refusal or a bounded page within 5 s and 300 MB.

Files are built in a process of their own: Linux carries a parent's peak RSS over fork
and exec into the child's ru_maxrss, so the process that forks the children stays small.
"""

import argparse
import csv
import html
import io
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

LIMIT_SECONDS = 5
LIMIT_MB = 300
BOUNDARY = "DialdeskBenchBoundary"


def legit_csv(rows: int) -> bytes:
    rng = random.Random(9)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Mobile Number", "Name", "City", "Plan", "Due Amount"])
    for i in range(rows):
        number = f"9{rng.randrange(600_000_000, 999_999_999):09d}"
        writer.writerow([number, f"Customer {i}", "Pune", "gold", i % 1000])
    return out.getvalue().encode()


def distinct_strings_xlsx(hostile, count: int) -> bytes:
    """A header and a row, then `count` distinct shared strings that compress like real
    text (about 7 times): within every zip limit, so only laziness keeps the upload cheap."""
    rng = random.Random(7)
    body, shared = hostile.rows_xml([["Phone", "Name"], [9876543210, "Asha"]])
    strings = shared + [f"{rng.getrandbits(40):x}" for _ in range(count)]
    return hostile.xlsx(sheet=hostile.sheet_xml(body), strings=hostile.strings_xml(strings))


def long_line_csv(size: int) -> bytes:
    return b"number,name\n" + b"9," * (size // 2) + b"\n9876543210,Asha\n"


def legit_xlsx(hostile, rows: int) -> bytes:
    rng = random.Random(9)
    data = [["Mobile Number", "Name", "City", "Plan"]]
    for i in range(rows):
        number = int(f"9{rng.randrange(600_000_000, 999_999_999):09d}")
        data.append([number, f"Customer {i}", "Pune", "gold"])
    return hostile.xlsx(data)


# (label, file name, builder given tests/campaigns/hostile_files.py)
CASES = [
    ("1,000-column CSV", "wide.csv", lambda h: h.wide_csv(1000)),
    ("XLSX declaring 1,000 columns", "dim.xlsx", lambda h: h.declared_dimension_xlsx("A1:ALL3")),
    (
        "XLSX declaring A1:XFD1048576",
        "xfd.xlsx",
        lambda h: h.declared_dimension_xlsx("A1:XFD1048576"),
    ),
    ("XLSX with 1,000 real columns", "cols.xlsx", lambda h: h.wide_xlsx(1000)),
    ("one 50 MB cell in a small zip", "cell.xlsx", lambda h: h.big_cell_xlsx(50 * 1024**2)),
    ("1M shared strings in a small zip", "sst.xlsx", lambda h: h.many_strings_xlsx(1_000_000)),
    ("CSV, 200,000-char field in row 2", "field.csv", lambda h: h.long_field_csv(200_000)),
    (
        "1M distinct shared strings, within the zip limits",
        "sst2.xlsx",
        lambda h: distinct_strings_xlsx(h, 1_000_000),
    ),
    ("CSV, a 50 MB line of commas in row 2", "line.csv", lambda h: long_line_csv(50 * 1024**2)),
    ("control: CSV, 100,000 rows", "ok.csv", lambda h: legit_csv(100_000)),
    ("control: XLSX, 20,000 rows", "ok.xlsx", lambda h: legit_xlsx(h, 20_000)),
]


def build(index: int, path: Path):
    from tests.campaigns import hostile_files

    path.write_bytes(CASES[index][2](hostile_files))


def child_env(database: Path, media: Path) -> dict:
    env = dict(os.environ)
    env.pop("REDIS_URL", None)
    env.update(
        DJANGO_SETTINGS_MODULE="telephony.settings",
        DATABASE_URL=f"sqlite:///{database}",
        MEDIA_ROOT=str(media),
        DEBUG="false",
        SECRET_KEY="bench-" * 10,
        FIELD_ENCRYPTION_KEYS="ZGV2LW9ubHktZW5jcnlwdGlvbi1rZXktZm9yLWRpYWw=",
        SECURE_SSL_REDIRECT="false",
        ALLOWED_HOSTS="testserver",
        LOG_LEVEL="WARNING",
    )
    return env


def child(path: Path):
    """Inside a fresh process: upload `path` as a Supervisor, then view the mapping page."""
    import resource
    import warnings

    import django

    warnings.filterwarnings("ignore", message="No directory at")  # whitenoise: no collectstatic
    django.setup()
    from django.conf import settings

    # Production settings hash static files via a manifest that collectstatic writes; the
    # bench has not run collectstatic, and static URLs are not what it measures.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    from django.contrib.auth.models import Group, User
    from django.test import Client
    from django.urls import reverse

    from campaigns.models import ContactList, ImportJob

    user = User.objects.create_user("bench-supervisor", password="x")
    user.groups.add(Group.objects.get(name="Supervisor"))
    contact_list = ContactList.objects.create(name="Bench")
    client = Client()
    client.force_login(user)
    url = reverse("campaigns:contact_import", kwargs={"pk": contact_list.pk})
    client.get(url)  # the upload page: loads the import code, so "before" is the app's own
    before_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    # The multipart body streams from disk as a browser's would: the test client's own
    # post() holds the file and the body in memory, which is no cost of the server's.
    body_path = path.with_name(path.name + ".body")
    with body_path.open("wb") as body, path.open("rb") as source:
        body.write(
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="{path.name}"\r\nContent-Type: application/octet-stream\r\n\r\n'.encode()
        )
        shutil.copyfileobj(source, body)
        body.write(f"\r\n--{BOUNDARY}--\r\n".encode())
    result = {}
    started = time.perf_counter()
    with body_path.open("rb") as body:
        response = client.generic(
            "POST",
            url,
            CONTENT_TYPE=f"multipart/form-data; boundary={BOUNDARY}",
            CONTENT_LENGTH=str(body_path.stat().st_size),
            **{"wsgi.input": body},
        )
    body_path.unlink()
    result["upload_s"] = time.perf_counter() - started
    result["status"] = response.status_code
    if response.status_code == 302:
        pages = []
        for _ in range(2):
            page_started = time.perf_counter()
            page = client.get(response["Location"])
            pages.append((page.status_code, len(page.content), time.perf_counter() - page_started))
        result["pages"] = pages
        job = ImportJob.objects.get()
        result["columns"] = len(job.columns)
    else:
        text = response.content.decode()
        found = re.findall(
            r'<div class="(?:invalid-feedback d-block|alert alert-danger)"[^>]*>(.*?)</div>', text
        )
        result["message"] = html.unescape(found[0]) if found else f"HTTP {response.status_code}"
        result["jobs"] = ImportJob.objects.count()
    result["seconds"] = time.perf_counter() - started
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result["before_mb"] = before_mb
    print(json.dumps(result))


def run_case(path: Path, database: Path, template: Path, media: Path) -> dict:
    shutil.copy(template, database)
    media.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [sys.executable, __file__, "--child", str(path)],
        env=child_env(database, media),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if done.returncode:
        return {"error": (done.stderr.strip().splitlines() or ["no output"])[-1]}
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["files_left"] = sum(1 for p in media.rglob("*") if p.is_file())
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--build", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(Path(args.child))
        return
    if args.build:
        build(int(args.build[0]), Path(args.build[1]))
        return

    with tempfile.TemporaryDirectory(prefix="upload-limits-") as tmp:
        tmp = Path(tmp)
        template = tmp / "template.sqlite3"
        for command in (["migrate", "-v", "0"], ["createcachetable"]):
            subprocess.run(
                [sys.executable, str(ROOT / "manage.py"), *command],
                env=child_env(template, tmp / "media"),
                cwd=ROOT,
                check=True,
            )
        failures = 0
        for index, (label, name, _) in enumerate(CASES):
            path = tmp / name
            subprocess.run(
                [sys.executable, __file__, "--build", str(index), str(path)], cwd=ROOT, check=True
            )
            size = path.stat().st_size
            result = run_case(path, tmp / f"{name}.sqlite3", template, tmp / f"media-{name}")
            size_text = f"{size / 1024:,.0f} KB" if size < 1024**2 else f"{size / 1024**2:.1f} MB"
            print(f"{label} ({size_text})")
            if "error" in result:
                failures += 1
                print(f"    FAIL: the child crashed: {result['error']}")
                continue
            if "pages" in result:
                sizes = ", ".join(f"{n / 1024:,.0f} KB in {s:.2f} s" for _, n, s in result["pages"])
                statuses = {status for status, _, _ in result["pages"]}
                print(
                    f"    accepted: {result['columns']} columns; mapping page twice: {sizes} "
                    f"(HTTP {'/'.join(map(str, sorted(statuses)))})"
                )
                bounded = statuses == {200} and max(n for _, n, _ in result["pages"]) < 2**20
            else:
                print(f"    refused (HTTP {result['status']}): {result['message']}")
                bounded = result["jobs"] == 0 and result["files_left"] == 0
                if result["files_left"]:
                    print(f"    {result['files_left']} uploaded file(s) left in MEDIA_ROOT")
            ok = (
                bounded and result["seconds"] <= LIMIT_SECONDS and result["peak_rss_mb"] <= LIMIT_MB
            )
            failures += not ok
            print(
                f"    wall {result['seconds']:.2f} s (upload {result['upload_s']:.2f} s), "
                f"peak RSS {result['peak_rss_mb']:.0f} MB "
                f"({result['before_mb']:.0f} MB before the upload) "
                f"[limits {LIMIT_SECONDS} s, {LIMIT_MB} MB: {'OK' if ok else 'FAIL'}]"
            )
        sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
