# ruff: noqa: F811 (pytest fixtures are imported by name, then requested as arguments)
"""Issue #10's MyOperator journey, in a real browser against the product run as `make run`
runs it: the admin lists an IVR with a mistyped id in the account's catalogue; the
supervisor builds a campaign on it and starts it; the first dial is a probe, so the
campaign pauses "by the vendor" after one request, saying why; the admin corrects the id
in the catalogue, the supervisor resumes, and every contact is dialed exactly once."""

import re

import pytest
from django.conf import settings

from tests.e2e.conftest import log_in
from tests.e2e.test_campaign_journey import (  # noqa: F401 (fixtures)
    DEMO_LOGIN,
    _manage,
    _product_env,
    browse,
    campaign_id_from,
    choose_account,
    count,
    product,
    settle,
    shoot,
    start_from_its_page,
)

pytestmark = pytest.mark.e2e

CONTACTS = 6
LIST_NAME = "Journey MyOperator customers"
WRONG_ID, RIGHT_ID = "66f2a1c0b3d99", "66f2a1c0b3d95"  # the sandbox knows ...95
PAUSES_WITHIN_MS = 120_000  # a launch waits for a free worker on a loaded machine
COMPLETES_MS = 180_000

MAKE_LIST = f"""
from campaigns.models import Contact, ContactList
contact_list = ContactList.objects.create(name={LIST_NAME!r})
for n in range({CONTACTS}):
    Contact.objects.create(
        contact_list=contact_list, number=f"+91981234{{n:04d}}", name=f"Customer {{n}}",
        time_zone="Asia/Kolkata",
    )
contact_list.refresh_count()
"""


def admin_edits_the_ivr_catalogue(page, text: str):
    page.goto("/vendors/")
    with page.expect_navigation():
        page.get_by_role("link", name="MyOperator sandbox").first.click()
    with page.expect_navigation():
        page.get_by_role("link", name=re.compile("^Edit")).first.click()
    page.get_by_label("IVRs").fill(text)
    with page.expect_navigation():
        page.get_by_role("button", name="Save changes").click()


def admin_speeds_up_myoperator(page):
    page.goto("/vendors/sandboxes/")
    card = page.locator("#sandbox-myoperator")
    card.get_by_label("Time scale").fill("60")
    with page.expect_response(lambda r: r.url.endswith("/sandboxes/myoperator/")):
        card.get_by_role("button", name="Save settings").click()
    page.wait_for_load_state("networkidle")


def build_myoperator_campaign(page):
    page.goto("/campaigns/")
    with page.expect_navigation():
        page.get_by_role("link", name="New campaign").first.click()
    page.get_by_label("Name").fill("Journey: a mistyped IVR")
    choose_account(page, "MyOperator sandbox")
    option = page.locator("#id_ivr_id option", has_text="Collections")
    option.wait_for(state="attached")
    # Only an IVR is offered: MyOperator plays nothing else.
    assert page.locator("input[name=kind]").count() == 1
    page.get_by_role("checkbox", name=re.compile(f"^{LIST_NAME}")).check()
    settle(page)
    page.locator("#id_ivr_id").select_option(label=f"Collections ({WRONG_ID})")
    page.get_by_label("Daily window from").fill("00:00")
    page.locator("#id_window_end").fill("23:59")
    page.get_by_label("Contact calling hours from").fill("00:00")
    page.locator("#id_contact_end").fill("23:59")
    for box in page.locator("input[name=weekdays]").all():
        box.check()
    page.get_by_label("Calls per minute").fill("30")
    page.get_by_label("Maximum retries").fill("0")
    settle(page)
    page.locator("#campaign-preview").get_by_text("No problems found: it can start.").wait_for()
    with page.expect_navigation():
        page.get_by_role("button", name="Save draft").click()
    return campaign_id_from(page)


def test_a_mistyped_ivr_pauses_after_one_dial_and_the_fixed_catalogue_completes_it(
    browse, product, screenshots
):
    _manage(_product_env(product.db_path), "shell", "-c", MAKE_LIST)
    admin = browse()
    log_in(admin, DEMO_LOGIN["Admin"], settings.DEMO_PASSWORD)
    admin_speeds_up_myoperator(admin)
    admin_edits_the_ivr_catalogue(admin, f"66f2a1c0b3d94, Sales follow-up\n{WRONG_ID}, Collections")
    shoot(admin, screenshots, "ivr-01-catalogue")

    supervisor = browse()
    log_in(supervisor, DEMO_LOGIN["Supervisor"], settings.DEMO_PASSWORD)
    campaign_id = build_myoperator_campaign(supervisor)
    start_from_its_page(supervisor, screenshots, "ivr-02")

    state = supervisor.locator("#campaign-state", has_text="Paused by the vendor")
    state.wait_for(timeout=PAUSES_WITHIN_MS)
    why = supervisor.locator("#why-idle").inner_text()
    assert "Provide valid public_ivr_id in string format" in why
    shoot(supervisor, screenshots, "ivr-03-paused-by-the-vendor")
    # One request reached the vendor, and no contact was used up.
    requests = product.value(
        "SELECT COUNT(*) FROM telephony_providerrequest WHERE vendor = 'myoperator' "
        "AND method = 'POST' AND endpoint NOT IN ('search', 'user', 'clickOcall')"
    )
    assert requests == 1
    consumed = product.value(
        "SELECT COUNT(*) FROM campaigns_campaigntarget WHERE campaign_id = ? AND attempts > 0",
        (campaign_id,),
    )
    assert consumed == 0

    admin_edits_the_ivr_catalogue(admin, f"66f2a1c0b3d94, Sales follow-up\n{RIGHT_ID}, Collections")
    followed = product.value("SELECT ivr_id FROM campaigns_campaign WHERE id = ?", (campaign_id,))
    assert followed == RIGHT_ID

    supervisor.reload()
    with supervisor.expect_navigation():
        supervisor.get_by_role("button", name="Resume").click()
    supervisor.locator("#campaign-state", has_text="Completed").wait_for(timeout=COMPLETES_MS)
    supervisor.wait_for_timeout(500)
    shoot(supervisor, screenshots, "ivr-04-completed")

    calls = product.rows(
        "SELECT to_number FROM telephony_sandboxcall WHERE vendor = 'myoperator' "
        "AND to_number LIKE '%981234%'"  # the list's numbers, not the demo's seeded logs
    )
    numbers = [re.sub(r"\D", "", number) for (number,) in calls]
    assert len(numbers) == len(set(numbers)) == CONTACTS
    attempts = product.value(
        "SELECT COUNT(*) FROM campaigns_campaignattempt WHERE campaign_id = ? AND attempt = 1",
        (campaign_id,),
    )
    assert attempts == CONTACTS
    assert count(supervisor, "total") == CONTACTS
    assert supervisor.console.take() == []
