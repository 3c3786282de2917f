"""Issue #12's numbers journey in a real browser, against the Omilia sandbox over HTTP.

1. An admin searches available Omilia numbers and buys two (search, tick, confirm, buy).
2. They create a set, add the two numbers to it and give each a note.

Each step is a function of the page (and the names it returns), so later steps (an OCA
campaign on a two-number pool, its per-caller-id split, the health page) can follow in
the same test."""

import re

import pytest

from phone_numbers.models import NumberSet, PhoneNumber
from telephony.models import ProviderAccount, SandboxRecord
from telephony.vendors.omilia import sandbox
from tests.e2e.conftest import log_in

pytestmark = pytest.mark.e2e

SET_NAME = "Journey pool"


@pytest.fixture
def omilia_account(live_server, django_db_serialized_rollback):
    sandbox.seed_demo()
    fields = sandbox.demo_account(f"{live_server.url}/sandbox")
    secrets = fields.pop("secrets")
    account = ProviderAccount(**fields)
    account.set_secrets(secrets)
    account.save()
    return account


def sandbox_number(number: str) -> dict:
    return SandboxRecord.objects.get(vendor="omilia", kind="number", key=number).data


def admin_buys_two_numbers(page, account) -> list[str]:
    """Step 1: from the numbers index to two numbers bought in Washington D.C."""
    page.goto("/numbers/")
    with page.expect_navigation():
        page.get_by_role("link", name=f"Omilia numbers and sets of {account.name}").click()
    with page.expect_navigation():
        page.get_by_role("link", name="Buy numbers").first.click()
    page.get_by_label("Country", exact=True).fill("US")
    page.get_by_label("Area code", exact=True).fill("202")
    page.get_by_label("Provider", exact=True).fill("twilio")
    page.get_by_label("Group", exact=True).fill("dialdesk")
    with page.expect_navigation():
        page.get_by_role("button", name="Search").click()
    offers = page.get_by_role("table", name="Numbers for sale")
    assert offers.locator("tbody tr").count() == 5
    boxes = offers.locator("input[name=numbers]")
    chosen = [boxes.nth(i).get_attribute("value") for i in (0, 1)]
    for i in (0, 1):
        boxes.nth(i).check()
    page.get_by_label("Note for the numbers bought").fill("Journey caller ids")
    with page.expect_navigation():
        page.get_by_role("button", name="Review the purchase").click()
    # The confirmation lists them; nothing is bought yet.
    listed = page.get_by_role("table", name="Numbers of this purchase").inner_text()
    assert all(number in listed for number in chosen)
    assert not SandboxRecord.objects.filter(vendor="omilia", key__in=chosen).exists()
    with page.expect_navigation():
        page.get_by_role("button", name="Buy 2 numbers").click()
    assert page.locator("[data-outcome=bought]").count() == 2
    assert all(sandbox_number(number)["purchased"] for number in chosen)
    return chosen


def admin_puts_them_in_a_set_with_notes(page, account, numbers: list[str]):
    """Step 2: a new set, the two numbers added to it, a note on each."""
    with page.expect_navigation():
        page.get_by_role("link", name="Put them in a set").click()
    page.locator("#id_new-name").fill(SET_NAME)
    page.locator("#id_new-group").fill("dialdesk")
    with page.expect_navigation():
        page.get_by_role("button", name="Create the set").click()
    page.locator("#id_add-numbers").fill("\n".join(numbers))
    with page.expect_navigation():
        page.get_by_role("button", name="Add to the set").click()
    set_page = page.url
    for index, number in enumerate(numbers, start=1):
        page.goto(set_page)
        assert page.locator(f'tr[data-number="{number}"]').count() == 1
        with page.expect_navigation():
            page.get_by_role("link", name=f"Edit {number}").click()
        page.get_by_label("Note", exact=True).fill(f"Pool line {index}")
        with page.expect_navigation():
            page.get_by_role("button", name="Save").click()
        # Back on the numbers list, read from Omilia: the note and the set.
        row = page.locator(f'tr[data-number="{number}"]')
        assert f"Pool line {index}" in row.inner_text()
        assert SET_NAME in row.inner_text()
    pool = NumberSet.objects.get(account=account, name=SET_NAME)
    stored = PhoneNumber.objects.filter(account=account, sets=pool).order_by("number")
    assert [(n.number, n.note) for n in stored] == sorted(
        (number, f"Pool line {i}") for i, number in enumerate(numbers, start=1)
    )


def test_an_admin_buys_two_omilia_numbers_and_pools_them_in_a_set_with_notes(
    page, make_user, screenshots, omilia_account
):
    log_in(page, make_user("Admin").username)
    numbers = admin_buys_two_numbers(page, omilia_account)
    page.screenshot(path=str(screenshots / "numbers-journey-bought.png"), full_page=True)
    admin_puts_them_in_a_set_with_notes(page, omilia_account, numbers)
    page.screenshot(path=str(screenshots / "numbers-journey-set.png"), full_page=True)
    assert all(re.match(r"^\+1202\d{7}$", number) for number in numbers)
    assert page.console.take() == []
