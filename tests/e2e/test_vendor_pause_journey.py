# ruff: noqa: F811 (pytest fixtures are imported by name, then requested as arguments)
"""Issue #10's OCA journey, in a real browser against the product run as `make run` runs
it: an OCA campaign hits quota (code 55) mid-run because the admin switches it on in the
sandbox; the campaign pauses "by the vendor", in the vendor's words with what to do; the
admin switches it off, the supervisor resumes, and every contact is dialed exactly once."""

import re

import pytest
from django.conf import settings

from tests.e2e.conftest import log_in
from tests.e2e.test_campaign_journey import (  # noqa: F401 (fixtures)
    DEMO_LOGIN,
    admin_speeds_up_the_sandboxes,
    browse,
    campaign_id_from,
    choose_account,
    count,
    preview_count,
    product,
    settle,
    shoot,
    start_from_its_page,
)

pytestmark = pytest.mark.e2e

CONTACTS = 12
STARTS_DIALING_MS = 120_000  # a launch waits for a free worker on a loaded machine
PAUSES_WITHIN_MS = 60_000
COMPLETES_MS = 180_000


def build_oca_campaign(page):
    page.goto("/campaigns/")
    with page.expect_navigation():
        page.get_by_role("link", name="New campaign").first.click()
    page.get_by_label("Name").fill("Journey: quota runs out")
    choose_account(page, "OCA Telkom (sandbox)")
    page.get_by_text("OCA plays one of the IVRs designed on its dashboard").wait_for()
    page.get_by_role("radio", name="IVR").check()
    page.locator("#id_ivr_id option", has_text="IVR Resti").wait_for(state="attached")
    page.get_by_role("checkbox", name=re.compile(r"^Demo Jakarta customers")).check()
    settle(page)
    page.locator("#id_ivr_id").select_option(label="IVR Resti")
    page.locator("input[name=var_1]").wait_for()
    page.get_by_label("Caller id").select_option(index=1)
    page.get_by_label("Time zone").select_option("Asia/Jakarta")
    page.get_by_label("Daily window from").fill("00:00")
    page.locator("#id_window_end").fill("23:59")
    page.get_by_label("Contact calling hours from").fill("00:00")
    page.locator("#id_contact_end").fill("23:59")
    for box in page.locator("input[name=weekdays]").all():
        box.check()
    page.get_by_label("Calls per minute").fill("12")
    page.get_by_label("Maximum retries").fill("0")
    settle(page)
    page.locator("#campaign-preview").get_by_text("No problems found: it can start.").wait_for()
    assert preview_count(page, "eligible") == CONTACTS
    with page.expect_navigation():
        page.get_by_role("button", name="Save draft").click()
    return campaign_id_from(page)


def switch_quota(page, on: bool):
    page.goto("/vendors/sandboxes/")
    card = page.locator("#sandbox-oca")
    box = card.get_by_label("Quota used up (code 55, on calls)")
    box.check() if on else box.uncheck()
    with page.expect_response(lambda r: r.url.endswith("/sandboxes/oca/")):
        card.get_by_role("button", name="Save settings").click()
    page.wait_for_load_state("networkidle")


def test_an_oca_campaign_that_runs_out_of_quota_pauses_and_resumes_with_each_contact_once(
    browse, product, screenshots
):
    admin = browse()
    admin_speeds_up_the_sandboxes(admin, product, screenshots)
    supervisor = browse()
    log_in(supervisor, DEMO_LOGIN["Supervisor"], settings.DEMO_PASSWORD)
    campaign_id = build_oca_campaign(supervisor)
    start_from_its_page(supervisor, screenshots, "quota-01")

    def attempts(where: str = "1") -> int:
        return product.value(
            f"SELECT COUNT(*) FROM campaigns_campaignattempt WHERE campaign_id = ? AND {where}",
            (campaign_id,),
        )

    # Mid-run: two calls placed, then the quota runs out.
    recent = supervisor.locator("section[aria-labelledby=recent-title] tbody tr")
    supervisor.wait_for_function(
        "() => document.querySelectorAll("
        "'section[aria-labelledby=recent-title] tbody tr').length >= 2",
        timeout=STARTS_DIALING_MS,
    )
    switch_quota(admin, on=True)
    state = supervisor.locator("#campaign-state", has_text="Paused by the vendor")
    state.wait_for(timeout=PAUSES_WITHIN_MS)
    why = supervisor.locator("#why-idle").inner_text()
    assert "“Your Quota Is not Enough”" in why and "No contact was used up" in why
    assert "top up the call quota" in supervisor.locator("#vendor-hint").inner_text()
    shoot(supervisor, screenshots, "quota-02-paused-by-the-vendor")
    # Nothing consumed: the refused call waits uncounted, and no contact failed.
    assert attempts("status = 'queued' AND dialed_at IS NULL") >= 1
    burned = product.value(
        "SELECT COUNT(*) FROM campaigns_campaigntarget WHERE campaign_id = ? "
        "AND last_status IN ('rejected', 'not_dialed')",
        (campaign_id,),
    )
    assert burned == 0
    placed_before = product.value("SELECT COUNT(*) FROM telephony_sandboxcall WHERE vendor = 'oca'")
    assert placed_before >= 2 and recent.count() >= 2

    admin.goto("/campaigns/?state=vendor_paused")
    row = admin.locator("#campaign-table tbody tr")
    assert row.count() == 1 and "Journey: quota runs out" in row.inner_text()
    assert "Paused by the vendor" in row.inner_text()

    switch_quota(admin, on=False)
    with supervisor.expect_navigation():
        supervisor.get_by_role("button", name="Resume").click()
    supervisor.locator("#campaign-state", has_text="Completed").wait_for(timeout=COMPLETES_MS)
    supervisor.wait_for_timeout(500)
    shoot(supervisor, screenshots, "quota-03-completed")

    # Every contact dialed exactly once, the one refused by the quota included.
    calls = product.rows("SELECT to_number FROM telephony_sandboxcall WHERE vendor = 'oca'")
    numbers = [re.sub(r"\D", "", number) for (number,) in calls]
    assert len(numbers) == len(set(numbers)) == CONTACTS
    assert attempts() == CONTACTS and attempts("attempt = 1") == CONTACTS
    assert count(supervisor, "total") == CONTACTS
    assert count(supervisor, "answered") + count(supervisor, "failed") == CONTACTS
    assert "Not dialed" not in supervisor.locator("#funnel").inner_text()
    assert supervisor.console.take() == []
