"""Issue #12's numbers journey in a real browser, against the Omilia sandbox over HTTP.

1. An admin searches available Omilia numbers and buys two (search, tick, confirm, buy).
2. They create a set, add the two numbers to it and give each a note.
3. They sync the OCA account's caller ids ("Sync now"); a supervisor builds an OCA IVR
   campaign in the builder on a pool of two of them, rotated "least used today".
4. The campaign runs to completion (the engine's runner job, driven here as the worker
   would run it: django-q2 is synchronous in tests), and the per-caller-id split on its
   page matches the calls the OCA sandbox took from each number.
5. The CDR sync (OCA call statuses) and the health job run; the health page shows both
   pool numbers with their calls.

Each step is a function of the page (and the names it returns)."""

import re
import time

import pytest

from campaigns.engine.jobs import run_campaign
from campaigns.models import Campaign, ContactList
from campaigns.models import Contact as ContactRow
from phone_numbers import tasks as number_jobs
from phone_numbers.models import NumberSet, PhoneNumber
from telephony import tasks as telephony_jobs
from telephony.models import ProviderAccount, SandboxCall, SandboxConfig, SandboxRecord
from telephony.vendors.oca import sandbox as oca_sandbox
from telephony.vendors.oca.client import national_number
from telephony.vendors.omilia import sandbox
from tests.e2e.conftest import TIMEOUT_MS, ConsoleLog, log_in

pytestmark = pytest.mark.e2e

SET_NAME = "Journey pool"
CONTACTS = 6
POOL = ("+622184788101", "+622184788102")  # two of the OCA sandbox's caller ids
OCA_IVR = "Testing Call Recording"  # needs no variables
LIST_NAME = "Journey Jakarta customers"
COMPLETES_SECONDS = 40


@pytest.fixture
def omilia_account(live_server, django_db_serialized_rollback):
    sandbox.seed_demo()
    fields = sandbox.demo_account(f"{live_server.url}/sandbox")
    secrets = fields.pop("secrets")
    account = ProviderAccount(**fields)
    account.set_secrets(secrets)
    account.save()
    return account


@pytest.fixture
def oca_account(live_server, django_db_serialized_rollback, settings):
    """The OCA sandbox's demo login (calls end within a second), and a list to call."""
    settings.CAMPAIGN_DIAL_LATENCY = 0.001  # the runner dials inline
    settings.CAMPAIGN_OUTCOME_POLL_SECONDS = 0  # and reads outcomes at every loop
    oca_sandbox.seed_demo()
    config = SandboxConfig.for_vendor("oca")
    config.time_scale, config.seed = 1000.0, 0
    config.save()
    fields = oca_sandbox.demo_account(f"{live_server.url}/sandbox")
    secrets = fields.pop("secrets")
    account = ProviderAccount(**fields)
    account.set_secrets(secrets)
    account.save()
    contacts = ContactList.objects.create(name=LIST_NAME)
    ContactRow.objects.bulk_create(
        ContactRow(contact_list=contacts, number=f"+62812{n:08d}", name=f"Pelanggan {n}")
        for n in range(CONTACTS)
    )
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


def admin_syncs_the_oca_caller_ids(page, account):
    """Step 3, first half: "Sync now" on the numbers index brings OCA's caller ids in."""
    page.goto("/numbers/")
    with page.expect_navigation():
        page.get_by_role("button", name=f"Sync now {account.name}").click()
    assert f"Syncing the numbers of {account.name}" in page.locator("body").inner_text()
    page.goto(f"/numbers/?account={account.pk}")
    table = page.locator("main table").first
    for number in POOL:
        assert table.get_by_role("link", name=number, exact=True).count() == 1, number
    synced = PhoneNumber.objects.filter(account=account, number__in=POOL, kind="caller_id")
    assert synced.count() == 2


def supervisor_builds_a_pool_campaign(page, account) -> int:
    """Step 3: an OCA IVR campaign whose calls go out from a pool, least used today."""
    page.goto("/campaigns/")
    with page.expect_navigation():
        page.get_by_role("link", name="New campaign").first.click()
    page.get_by_label("Name").fill("Journey: caller-id pool")
    select = page.get_by_label("Vendor account")
    label = next(
        text.strip()
        for text in select.locator("option").all_inner_texts()
        if text.strip().startswith(account.name)
    )
    select.select_option(label=label)
    page.get_by_text("OCA plays one of the IVRs designed on its dashboard").wait_for()
    page.get_by_role("radio", name="IVR").check()
    page.locator("#id_ivr_id option", has_text=OCA_IVR).wait_for(state="attached")
    page.get_by_role("checkbox", name=re.compile(f"^{LIST_NAME}")).check()
    settle(page)
    page.locator("#id_ivr_id").select_option(label=OCA_IVR)
    settle(page)
    page.get_by_role("radio", name="A pool of numbers").check()
    settle(page)
    page.get_by_label("Rotation").select_option(label="Least used today")
    settle(page)
    pool = PhoneNumber.objects.filter(account=account, number__in=POOL)
    for number in pool:
        page.locator(f'input[name=caller_pool][value="{number.pk}"]').check()
    settle(page)
    assert page.get_by_role("radio", name="A pool of numbers").is_checked()
    page.get_by_label("Time zone").select_option("Asia/Jakarta")
    page.get_by_label("Daily window from").fill("00:00")
    page.locator("#id_window_end").fill("23:59")
    page.get_by_label("Contact calling hours from").fill("00:00")
    page.locator("#id_contact_end").fill("23:59")
    for box in page.locator("input[name=weekdays]").all():
        box.check()
    page.get_by_label("Calls per minute").fill("600")
    page.get_by_label("Maximum retries").fill("0")
    settle(page)
    preview = page.locator("#campaign-preview")
    preview.get_by_text("No problems found: it can start.").wait_for()
    with page.expect_navigation():
        page.get_by_role("button", name="Save draft").click()
    match = re.search(r"/campaigns/(\d+)/$", page.url)
    assert match, page.url
    campaign = Campaign.objects.get(pk=int(match.group(1)))
    assert (campaign.caller_source, campaign.caller_strategy) == ("pool", "least_used")
    assert set(campaign.caller_pool.values_list("number", flat=True)) == set(POOL)
    with page.expect_navigation():
        page.get_by_role("link", name="Start…").click()
    with page.expect_navigation():
        page.get_by_role("button", name="Start the campaign").click()
    return campaign.pk


def settle(page):
    """Let the builder's check (400 ms debounce, then a POST) finish."""
    page.wait_for_timeout(600)
    page.wait_for_load_state("networkidle")


def run_to_completion(campaign_id: int):
    """Step 4, first half: the runner job, as the worker runs it, until the campaign ends."""
    deadline = time.monotonic() + COMPLETES_SECONDS
    while Campaign.objects.get(pk=campaign_id).state != Campaign.State.COMPLETED:
        assert time.monotonic() < deadline, Campaign.objects.get(pk=campaign_id).state
        run_campaign(campaign_id, budget=2.0)


def the_split_matches_the_sandboxs_calls(page, campaign_id: int) -> dict[str, int]:
    """Step 4: the campaign page's calls per caller id are the sandbox's, number by number."""
    page.goto(f"/campaigns/{campaign_id}/")
    assert page.locator("#campaign-state").inner_text() == "Completed"
    split = page.locator("#caller-id-split")
    assert "Least used today, from a pool of numbers" in split.inner_text()
    shown = {
        number: int(split.locator(f'[data-caller-calls="{number}"]').inner_text())
        for number in POOL
    }
    sandbox_calls = SandboxCall.objects.filter(vendor="oca")
    by_caller = {number: 0 for number in POOL}
    for from_number in sandbox_calls.values_list("from_number", flat=True):
        e164 = f"+62{national_number(from_number)}"
        assert e164 in by_caller, f"the sandbox took a call from {from_number}"
        by_caller[e164] += 1
    assert shown == by_caller, (shown, by_caller)
    assert sum(shown.values()) == CONTACTS
    # Least used today: the two numbers took turns.
    assert shown == {number: CONTACTS // 2 for number in POOL}
    return shown


def the_health_page_shows_both_numbers(page, account, calls: dict[str, int], bought: list[str]):
    """Step 5: the CDR sync and the health job, as scheduled; then the health page, with
    the pool's calls (OCA reports its caller id nationally, "021…": the figures still
    reach the E.164 inventory number) and the two Omilia numbers bought, not used yet."""
    outcome = telephony_jobs.sync_calls(account.pk)
    assert "ok" in outcome, outcome
    number_jobs.apply_health_rules()
    page.goto("/numbers/health/")
    for number in POOL:
        row = page.locator("tr", has_text=number)
        assert row.count() == 1, number
        figures = row.locator("td").nth(1).inner_text().strip()
        # calls over 1 · 7 · 30 days
        assert figures == " · ".join([str(calls[number])] * 3), (number, figures)
    for number in bought:
        page.goto(f"/numbers/health/?q={number.lstrip('+')}")
        row = page.locator("tr", has_text=number)
        assert row.count() == 1, number
        assert row.locator("td").nth(1).inner_text().strip() == "0 · 0 · 0"
    page.goto("/numbers/health/")


def test_numbers_bought_and_pooled_then_a_pool_campaign_splits_its_calls_and_shows_in_health(
    page, browser, live_server, make_user, screenshots, omilia_account, oca_account
):
    log_in(page, make_user("Admin").username)
    numbers = admin_buys_two_numbers(page, omilia_account)
    page.screenshot(path=str(screenshots / "numbers-journey-bought.png"), full_page=True)
    admin_puts_them_in_a_set_with_notes(page, omilia_account, numbers)
    page.screenshot(path=str(screenshots / "numbers-journey-set.png"), full_page=True)
    assert all(re.match(r"^\+1202\d{7}$", number) for number in numbers)
    assert page.console.take() == []

    admin_syncs_the_oca_caller_ids(page, oca_account)
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 900}, locale="en-US"
    )
    context.set_default_timeout(TIMEOUT_MS)
    try:
        supervisor = context.new_page()
        supervisor.console = ConsoleLog(supervisor)
        log_in(supervisor, make_user("Supervisor").username)
        campaign_id = supervisor_builds_a_pool_campaign(supervisor, oca_account)
        run_to_completion(campaign_id)
        calls = the_split_matches_the_sandboxs_calls(supervisor, campaign_id)
        supervisor.locator("#caller-id-split").screenshot(
            path=str(screenshots / "numbers-journey-caller-split.png")
        )
        the_health_page_shows_both_numbers(supervisor, oca_account, calls, numbers)
        supervisor.screenshot(path=str(screenshots / "numbers-journey-health.png"), full_page=True)
        assert supervisor.console.take() == []
    finally:
        context.close()
    assert page.console.take() == []
