"""A person in a real browser: logging in and out, and every menu entry for every role."""

import re

import pytest
from django.utils.text import slugify

from telephony.models import WorkerHeartbeat
from tests.e2e.conftest import log_in

pytestmark = pytest.mark.e2e

ROLES = ["Admin", "Supervisor", "Viewer"]
LOGIN_PATH = "/accounts/login/"


def nav_entries(page) -> list[tuple[str, str]]:
    """(label, href) of every section link in the navbar; the user menu is not a section."""
    links = page.locator("#main-nav a.nav-link:not(.dropdown-toggle)")
    entries = []
    for index in range(links.count()):
        link = links.nth(index)
        entries.append((link.inner_text().strip(), link.get_attribute("href")))
    return entries


@pytest.mark.parametrize("role", ROLES)
def test_every_menu_entry_loads_cleanly_for_each_role(page, make_user, screenshots, role):
    user = make_user(role)
    log_in(page, user.username)
    assert LOGIN_PATH not in page.url, "the login form did not accept the user"
    assert page.console.take() == [], "the login round trip logged browser errors"

    entries = nav_entries(page)
    labels = [label for label, _ in entries]
    assert "Home" in labels
    assert len(set(labels)) == len(labels), f"duplicate menu entries: {labels}"

    problems = []
    for label, href in entries:
        response = page.goto(href)
        page.wait_for_load_state("networkidle")
        status = response.status if response else None
        if status is None or status >= 400:
            problems.append(f"{label} ({href}) answered {status}")
        if page.locator("h1").count() == 0:
            problems.append(f"{label} ({href}) has no h1")
        if LOGIN_PATH in page.url:
            problems.append(f"{label} ({href}) sent the {role} to the login page")
        problems.extend(f"{label} ({href}): {error}" for error in page.console.take())
        page.screenshot(path=screenshots / f"{role.lower()}-{slugify(label)}.png", full_page=True)
    assert problems == []


def test_an_anonymous_visitor_is_sent_to_the_login_page(page):
    page.goto("/")
    assert page.url.endswith(f"{LOGIN_PATH}?next=/")
    assert page.locator("h1").count() == 1
    assert page.locator("#id_username").is_visible()
    assert page.locator("#main-nav").count() == 0
    assert page.console.take() == []


def test_a_wrong_password_shows_the_error_on_the_login_page(page, make_user):
    user = make_user("Viewer")
    log_in(page, user.username, password="not-the-password")
    assert LOGIN_PATH in page.url
    error = page.locator(".alert-danger")
    assert error.is_visible()
    assert "correct username and password" in error.inner_text()
    # The form keeps the username but never echoes the password back.
    assert page.input_value("#id_username") == user.username
    assert page.input_value("#id_password") == ""
    assert page.console.take() == []


def test_logging_out_from_the_user_menu_ends_the_session(page, make_user):
    user = make_user("Supervisor")
    log_in(page, user.username)
    assert LOGIN_PATH not in page.url

    page.click("#main-nav .dropdown-toggle")
    log_out = page.get_by_role("button", name="Log out")
    log_out.wait_for(state="visible")
    with page.expect_navigation():
        log_out.click()
    assert LOGIN_PATH in page.url

    page.goto("/")
    assert re.search(rf"{LOGIN_PATH}\?next=/$", page.url), "the session survived logging out"
    assert page.console.take() == []


def test_the_no_worker_banner_shows_only_while_no_worker_is_alive(page, make_user):
    user = make_user("Viewer")
    WorkerHeartbeat.objects.all().delete()
    log_in(page, user.username)
    banner = page.locator("#worker-warning")
    assert banner.is_visible()
    assert "No background worker is running" in banner.inner_text()

    WorkerHeartbeat.beat("e2e-worker", host="localhost", pid=1)
    page.reload()
    assert page.locator("#worker-warning").count() == 0
    assert page.console.take() == []
