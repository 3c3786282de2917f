"""Issue #5's "Done means", in a real browser against the real product: the web server
and a django-q2 worker run as `make run` runs them (manage.py serve), on a temporary
SQLite file, with the demo data. The admin speeds the sandboxes up; a supervisor builds
a CPaaS announcement and an OCA IVR campaign in the builder, starts both, watches them
on their pages, pauses, resumes and stops the OCA one; the numbers on the pages agree
with the sandboxes' own records (read straight from the database file)."""

import contextlib
import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings

from telephony.management.commands.load_demo import DEMO_USERS
from tests.e2e.conftest import TIMEOUT_MS, ConsoleLog, log_in

pytestmark = pytest.mark.e2e

BASE_DIR = Path(__file__).resolve().parents[2]
# The demo users load_demo creates, by role; the product reads the same settings.
DEMO_LOGIN = {role: username for username, role, _name, _zone in DEMO_USERS}
STARTUP_SECONDS = 90
CPAAS_COMPLETES_MS = 240_000  # the vendor's CDR sync runs about once a minute
RESUME_DIALS_WITHIN_MS = 30_000


# --- the product, run as `make run` does ----------------------------------------------


@dataclass
class Product:
    url: str
    db_path: Path
    log_path: Path
    process: subprocess.Popen

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def rows(self, sql: str, params=()) -> list[tuple]:
        """A read-only query on the product's database file (WAL: never blocks it)."""
        connection = sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True, timeout=20)
        try:
            return connection.execute(sql, params).fetchall()
        finally:
            connection.close()

    def value(self, sql: str, params=()):
        return self.rows(sql, params)[0][0]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _product_env(db_path: Path) -> dict:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"REDIS_URL", "DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE", "CI"}
    }
    env.update(
        DEBUG="true",
        DATABASE_URL=f"sqlite:///{db_path}",
        Q_WORKERS="2",
        PYTHONUNBUFFERED="1",
    )
    return env


def _manage(env, *args):
    result = subprocess.run(  # noqa: S603 (our own manage.py)
        [sys.executable, str(BASE_DIR / "manage.py"), *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, f"manage.py {' '.join(args)} failed:\n{result.stderr}"
    return result.stdout


def _health(url: str) -> dict | None:
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=5) as response:  # noqa: S310
            return json.loads(response.read())
    except (OSError, ValueError):
        return None


def _stop(process: subprocess.Popen):
    """SIGTERM the whole group (serve stops its runserver and qcluster), then SIGKILL."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=30)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=10)


@pytest.fixture
def product(tmp_path):
    db_path = tmp_path / "db.sqlite3"
    log_path = tmp_path / "serve.log"
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = _product_env(db_path)
    _manage(env, "migrate", "--noinput")
    _manage(env, "createcachetable")
    _manage(env, "load_demo", "--sandbox-url", f"{url}/sandbox")
    log = log_path.open("w")
    process = subprocess.Popen(  # noqa: S603 (our own manage.py)
        [
            sys.executable,
            str(BASE_DIR / "manage.py"),
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],  # fmt: skip
        cwd=BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    product = Product(url=url, db_path=db_path, log_path=log_path, process=process)
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            health = _health(url)
            if health and health.get("status") == "ok":  # ok means the worker is alive too
                break
            if process.poll() is not None:
                pytest.fail(f"manage.py serve exited with {process.returncode}:\n{product.log()}")
            if time.monotonic() > deadline:
                pytest.fail(f"no healthy server and worker in {STARTUP_SECONDS} s: {health}")
            time.sleep(0.5)
        yield product
    finally:
        _stop(process)
        log.close()
        # Kept with the screenshots for whoever reads a failure.
        print(f"\n--- serve log (last 4000 chars) ---\n{product.log()[-4000:]}")


@pytest.fixture
def browse(browser, product):
    """New pages (one browser context per person) on the running product."""
    contexts = []

    def new_page():
        context = browser.new_context(
            base_url=product.url, viewport={"width": 1280, "height": 900}, locale="en-US"
        )
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        page.console = ConsoleLog(page)
        return page

    yield new_page
    for context in contexts:
        context.close()


# --- page helpers ----------------------------------------------------------------------


def shoot(page, screenshots, name):
    page.screenshot(path=str(screenshots / f"journey-{name}.png"), full_page=True)


def count(page, key: str) -> int:
    """A number of the campaign page's funnel (0 when the funnel is not drawn)."""
    cell = page.locator(f'#funnel [data-count="{key}"]')
    if cell.count() == 0:
        return 0
    return int(cell.inner_text().replace(",", ""))


def preview_count(page, key: str) -> int:
    return int(page.locator(f"#campaign-preview [data-count={key}]").inner_text().replace(",", ""))


def choose_account(page, name: str):
    """Choose the vendor account whose option starts with `name`."""
    select = page.get_by_label("Vendor account")
    labels = [text.strip() for text in select.locator("option").all_inner_texts()]
    label = next((text for text in labels if text.startswith(name)), None)
    assert label, f"no account {name!r} among {labels}"
    select.select_option(label=label)


def settle(page):
    """Let the builder's check (400 ms debounce, then a POST) finish."""
    page.wait_for_timeout(600)
    page.wait_for_load_state("networkidle")


def attempt_rows(page) -> list[dict]:
    """The recent attempts table on the campaign page, as dicts."""
    section = page.locator("section[aria-labelledby=recent-title]")
    rows = []
    for row in section.locator("tbody tr").all():
        cells = [text.strip() for text in row.locator("td").all_inner_texts()]
        rows.append(
            {
                "number": cells[1],
                "attempt": cells[2],
                "reference_id": cells[3],
                "vendor_id": cells[4],
                "status": cells[5],
            }
        )
    return rows


def campaign_id_from(page) -> int:
    match = re.search(r"/campaigns/(\d+)/$", page.url)
    assert match, page.url
    return int(match.group(1))


def start_from_its_page(page, screenshots, name):
    with page.expect_navigation():
        page.get_by_role("link", name="Start…").click()
    shoot(page, screenshots, f"{name}-start-confirm")
    with page.expect_navigation():
        page.get_by_role("button", name="Start the campaign").click()


# --- the journey -----------------------------------------------------------------------


def admin_speeds_up_the_sandboxes(page, product, screenshots):
    log_in(page, DEMO_LOGIN["Admin"], settings.DEMO_PASSWORD)
    page.goto("/vendors/sandboxes/")
    for vendor in ("cpaas", "oca"):
        card = page.locator(f"#sandbox-{vendor}")
        card.get_by_label("Time scale").fill("60")
        with page.expect_response(lambda r, v=vendor: r.url.endswith(f"/sandboxes/{v}/")):
            card.get_by_role("button", name="Save settings").click()
        page.wait_for_load_state("networkidle")  # htmx swaps the card in
        assert page.locator(f"#sandbox-{vendor}").get_by_label("Time scale").input_value() in (
            "60",
            "60.0",
        )
        scale = product.value(
            "SELECT time_scale FROM telephony_sandboxconfig WHERE vendor = ?", (vendor,)
        )
        assert scale == 60
    shoot(page, screenshots, "01-sandboxes")
    assert page.console.take() == []


def supervisor_builds_and_runs_an_announcement(page, product, screenshots):
    page.get_by_role("link", name="Campaigns", exact=True).click()
    page.wait_for_url("**/campaigns/")
    with page.expect_navigation():
        page.get_by_role("link", name="New campaign").first.click()

    page.get_by_label("Name").fill("Journey: payment reminder")
    choose_account(page, "CPaaS sandbox")
    page.get_by_text("CPaaS runs this campaign itself").wait_for()
    page.get_by_role("radio", name="Text-to-speech announcement").check()
    page.get_by_role("checkbox", name=re.compile(r"^Demo customers")).check()
    settle(page)
    page.get_by_role("textbox", name="Announcement").fill(
        "Hello {name}, {due_amount} rupees are due on {due_date}. Thank you."
    )
    page.get_by_label("Caller id").fill("918045000000")
    page.get_by_label("Time zone").select_option("Asia/Kolkata")
    tomorrow = datetime.now(ZoneInfo("Asia/Kolkata")) + timedelta(days=1)
    page.get_by_label("End", exact=True).fill(tomorrow.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Calls per minute").fill("600")
    page.get_by_label("Maximum retries").fill("0")
    settle(page)

    preview = page.locator("#campaign-preview")
    preview.get_by_text("No problems found: it can start.").wait_for()
    eligible = preview_count(page, "eligible")
    dnd = preview_count(page, "dnd")
    invalid = preview_count(page, "invalid")
    # The preview agrees with the lists in the database: the active contacts' distinct
    # numbers, those on the global DND list (the only one applying) set aside.
    numbers = product.value(
        "SELECT COUNT(DISTINCT c.number) FROM campaigns_contact c "
        "JOIN campaigns_contactlist l ON l.id = c.contact_list_id "
        "WHERE l.name = 'Demo customers' AND c.is_active",
    )
    on_dnd = product.value(
        "SELECT COUNT(DISTINCT c.number) FROM campaigns_contact c "
        "JOIN campaigns_contactlist l ON l.id = c.contact_list_id "
        "JOIN campaigns_dndentry e ON e.number = c.number "
        "JOIN campaigns_dndlist d ON d.id = e.dnd_list_id "
        "WHERE l.name = 'Demo customers' AND c.is_active AND d.is_global",
    )
    assert preview_count(page, "numbers") == numbers, preview.inner_text()
    assert dnd == on_dnd > 0, preview.inner_text()
    assert eligible + dnd + invalid == numbers, preview.inner_text()
    heading = preview.locator("h3").inner_text()
    sample_name = heading.removeprefix("What ").removesuffix(" hears")
    sample = preview.locator("[data-sample]").inner_text()
    assert sample.startswith(f"Hello {sample_name}, "), sample
    assert "{" not in sample and "rupees are due on 20" in sample, sample
    shoot(page, screenshots, "02-cpaas-builder")
    assert page.console.take() == []

    with page.expect_navigation():
        page.get_by_role("button", name="Save draft").click()
    assert page.locator("#campaign-state").inner_text() == "Draft"
    campaign_id = campaign_id_from(page)
    start_from_its_page(page, screenshots, "03-cpaas")
    assert page.locator("#campaign-state").inner_text() in ("Scheduled", "Running")
    shoot(page, screenshots, "04-cpaas-started")

    # The page polls; the campaign completes once CPaaS has dialed everyone.
    page.locator("#campaign-state", has_text="Completed").wait_for(timeout=CPAAS_COMPLETES_MS)
    page.wait_for_timeout(500)
    shoot(page, screenshots, "05-cpaas-completed")
    vendor_id = page.locator("#vendor-status .mono").inner_text().strip()
    assert vendor_id

    total, answered, failed = count(page, "total"), count(page, "answered"), count(page, "failed")
    assert (count(page, "dnd"), count(page, "invalid")) == (dnd, invalid)
    assert count(page, "pending") == count(page, "in_progress") == count(page, "retry") == 0
    assert total == eligible + dnd + invalid
    assert answered + failed == eligible

    calls = product.rows(
        "SELECT to_number, outcome FROM telephony_sandboxcall "
        "WHERE vendor = 'cpaas' AND campaign_id = ?",
        (vendor_id,),
    )
    numbers = {number for number, _ in calls}
    answered_numbers = {number for number, outcome in calls if outcome == "answered"}
    assert len(calls) == len(numbers), "CPaaS dialed a number twice with no retries asked"
    assert answered == len(answered_numbers), (answered, len(answered_numbers))
    assert failed == len(numbers - answered_numbers), (failed, len(numbers))
    assert total - dnd - invalid == len(numbers)
    # The targets the page counts are the numbers the sandbox dialed.
    targets = product.rows(
        "SELECT number, status FROM campaigns_campaigntarget WHERE campaign_id = ? "
        "AND status IN ('answered', 'failed')",
        (campaign_id,),
    )
    digits = {re.sub(r"\D", "", number) for number, _ in targets}
    assert digits == {re.sub(r"\D", "", number) for number in numbers}
    assert page.console.take() == []
    return campaign_id


def supervisor_builds_and_controls_an_ivr_campaign(page, product, screenshots):
    page.goto("/campaigns/")
    with page.expect_navigation():
        page.get_by_role("link", name="New campaign").first.click()
    page.get_by_label("Name").fill("Journey: internet fault follow-up")
    choose_account(page, "OCA Telkom (sandbox)")
    page.get_by_text("OCA plays one of the IVRs designed on its dashboard").wait_for()
    page.get_by_role("radio", name="IVR").check()
    page.locator("#id_ivr_id option", has_text="IVR Resti").wait_for(state="attached")
    page.get_by_role("checkbox", name=re.compile(r"^Demo Jakarta customers")).check()
    settle(page)
    page.locator("#id_ivr_id").select_option(label="IVR Resti")
    page.locator("input[name=var_1]").wait_for()
    assert page.input_value("input[name=var_0]") == "{name}"
    assert page.input_value("input[name=var_1]") == "{nomor_inet}"
    page.get_by_label("Caller id").select_option(index=1)
    page.get_by_label("Time zone").select_option("Asia/Jakarta")
    page.get_by_label("Daily window from").fill("00:00")
    page.locator("#id_window_end").fill("23:59")
    page.get_by_label("Contact calling hours from").fill("00:00")
    page.locator("#id_contact_end").fill("23:59")
    for box in page.locator("input[name=weekdays]").all():
        box.check()
    page.get_by_label("Calls per minute").fill("6")
    settle(page)

    preview = page.locator("#campaign-preview")
    preview.get_by_text("No problems found: it can start.").wait_for()
    eligible = preview_count(page, "eligible")
    assert eligible == 12, preview.inner_text()
    assert preview_count(page, "outside") == 0, preview.inner_text()
    assert "nomor_inet" in preview.locator("[data-sample]").inner_text()
    shoot(page, screenshots, "06-oca-builder")
    assert page.console.take() == []

    with page.expect_navigation():
        page.get_by_role("button", name="Save draft").click()
    campaign_id = campaign_id_from(page)
    start_from_its_page(page, screenshots, "07-oca")

    def attempts_in_db():
        return product.value(
            "SELECT COUNT(*) FROM campaigns_campaignattempt WHERE campaign_id = ?",
            (campaign_id,),
        )

    recent = page.locator("section[aria-labelledby=recent-title] tbody tr")
    recent.first.wait_for(timeout=60_000)
    shoot(page, screenshots, "08-oca-running")

    with page.expect_navigation():
        page.get_by_role("button", name="Pause").click()
    assert page.locator("#campaign-state").inner_text() == "Paused"
    assert "Paused" in page.locator("#why-idle").inner_text()
    at_pause = attempts_in_db()
    page.wait_for_timeout(15_000)  # more than a dial interval at 6 a minute
    assert attempts_in_db() == at_pause, "a call was placed while paused"
    assert recent.count() == at_pause
    shoot(page, screenshots, "09-oca-paused")

    with page.expect_navigation():
        page.get_by_role("button", name="Resume").click()
    assert page.locator("#campaign-state").inner_text() == "Running"
    resumed = time.monotonic()
    # At 6 a minute a call is due every 10 s: Resume's runner takes the lease the pause
    # gave back and dials at once (a lease kept until stale once held it up for ~80 s).
    page.wait_for_function(
        "n => document.querySelectorAll("
        "'section[aria-labelledby=recent-title] tbody tr').length > n",
        arg=at_pause,
        timeout=RESUME_DIALS_WITHIN_MS,
    )
    print(f"first call after Resume: {time.monotonic() - resumed:.0f} s")
    shoot(page, screenshots, "10-oca-resumed")

    with page.expect_navigation():
        page.get_by_role("link", name="Stop…").click()
    shoot(page, screenshots, "11-oca-stop-confirm")
    with page.expect_navigation():
        page.get_by_role("button", name="Stop the campaign").click()
    assert page.locator("#campaign-state").inner_text() == "Stopped"
    # Let the last calls end at the sandbox and their outcomes be read.
    page.wait_for_timeout(5_000)
    page.reload()
    shoot(page, screenshots, "12-oca-stopped")

    shown = attempt_rows(page)
    attempts = product.rows(
        "SELECT number, vendor_call_id, status, reference_id FROM campaigns_campaignattempt "
        "WHERE campaign_id = ?",
        (campaign_id,),
    )
    assert len(shown) == len(attempts) > at_pause
    calls = {
        call_id: (number, outcome)
        for call_id, number, outcome in product.rows(
            "SELECT call_id, to_number, outcome FROM telephony_sandboxcall WHERE vendor = 'oca'"
        )
    }
    numbers = [row["number"] for row in shown]
    assert len(numbers) == len(set(numbers)), "a number was dialed twice"
    for row in shown:
        assert row["vendor_id"] in calls, f"{row} is not a call the OCA sandbox took"
        number, outcome = calls[row["vendor_id"]]
        assert re.sub(r"\D", "", number) == re.sub(r"\D", "", row["number"]), (row, number)
    assert {row["vendor_id"] for row in shown} == set(calls), "the sandbox took other calls"
    outcomes = {call_id: outcome for call_id, (_, outcome) in calls.items()}
    db_status = {vendor_id: status for _, vendor_id, status, _ in attempts}
    finished = {v: s for v, s in db_status.items() if s not in ("queued", "dialing", "placed")}
    for vendor_id, status in finished.items():
        assert status == outcomes[vendor_id], (vendor_id, status, outcomes[vendor_id])
    # The funnel counts contacts: each dialed once here, so one attempt each.
    answered = sum(1 for status in finished.values() if status == "answered")
    assert count(page, "answered") == answered
    # The stop closed the numbers never dialed: they count as failed ("not dialed"),
    # and nothing is left pending or waiting for a retry.
    never_dialed = 12 - len(db_status)
    assert count(page, "failed") == len(finished) - answered + never_dialed
    assert count(page, "in_progress") == len(db_status) - len(finished)
    assert count(page, "total") == 12
    assert count(page, "pending") == count(page, "retry") == 0
    if never_dialed:
        assert "Not dialed" in page.locator("#failed-by").inner_text()
    assert page.console.take() == []


def test_a_supervisor_builds_starts_watches_and_stops_campaigns_on_the_sandboxes(
    browse, product, screenshots
):
    admin = browse()
    admin_speeds_up_the_sandboxes(admin, product, screenshots)

    supervisor = browse()
    log_in(supervisor, DEMO_LOGIN["Supervisor"], settings.DEMO_PASSWORD)
    supervisor_builds_and_runs_an_announcement(supervisor, product, screenshots)
    supervisor_builds_and_controls_an_ivr_campaign(supervisor, product, screenshots)
