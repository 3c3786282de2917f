"""Playwright fixtures: the system Chromium, one page per test against the live server.

Never `playwright install`: the browser is Debian's /usr/bin/chromium (apt-get install
chromium). Without it the browser tests skip, which tests/conftest.py turns into a
failure in CI.
"""

import os
from pathlib import Path

import pytest

from tests.factories import PASSWORD, UserFactory

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 15_000


def pytest_collection_modifyitems(config, items):
    """Run browser tests last: Playwright's sync API keeps an asyncio loop running from
    the moment the session-scoped browser starts, which would change what every later
    non-browser test sees (Django refuses ORM calls inside a running loop)."""
    items.sort(key=lambda item: item.get_closest_marker("e2e") is not None)


def _serialized_snapshots() -> dict[str, str]:
    from django.db import connections

    return {
        alias: connections[alias]._test_serialized_contents
        for alias in connections
        if hasattr(connections[alias], "_test_serialized_contents")
    }


def _restore_serialized_snapshots(snapshots: dict[str, str]):
    """Once Playwright's loop runs, Django keeps this thread's connections in a separate
    per-context namespace (asgiref's thread-critical Local): fresh wrappers without the
    snapshot taken when the test database was set up earlier in the session, which
    serialized rollback restores from. Hand the snapshot over."""
    from django.db import connections

    for alias, contents in snapshots.items():
        connections[alias]._test_serialized_contents = contents


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium")
    sync_api = pytest.importorskip("playwright.sync_api")
    # The test thread creates users and reads the database while Playwright's loop runs;
    # that is safe here (the ORM calls never overlap a browser call), so tell Django.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    snapshots = _serialized_snapshots()
    playwright = sync_api.sync_playwright().start()
    _restore_serialized_snapshots(snapshots)
    try:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()
    finally:
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


class ConsoleLog:
    """Console errors, CSP violations and uncaught exceptions the page reported."""

    def __init__(self, page):
        self.errors: list[str] = []
        page.on("console", self._on_console)
        page.on("pageerror", lambda exc: self.errors.append(f"uncaught: {exc}"))

    def _on_console(self, message):
        if message.type == "error":
            self.errors.append(f"{message.text} ({message.location.get('url', '')})")

    def take(self) -> list[str]:
        errors, self.errors = self.errors, []
        return errors


@pytest.fixture
def page(browser, live_server, django_db_serialized_rollback):
    # Serialized rollback: the live server needs a transactional database, whose flush
    # would otherwise delete the role groups the data migration created.
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 900}, locale="en-US"
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.console = ConsoleLog(page)
    yield page
    context.close()


@pytest.fixture
def screenshots():
    SCREENSHOTS.mkdir(exist_ok=True)
    return SCREENSHOTS


def log_in(page, username: str, password: str = PASSWORD):
    """Log in through the real form and wait for the page it leads to."""
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    with page.expect_navigation():
        page.click("form button[type=submit]")


@pytest.fixture
def make_user(live_server, django_db_serialized_rollback):
    def make(role: str):
        return UserFactory(username=f"{role.lower()}-e2e", role=role)

    return make
