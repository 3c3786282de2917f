"""Issue #13's calls journey in a real browser: an admin adds a MyOperator panel user; a
supervisor places a peer-to-peer call through that user from the Calls page, and
watches its status until the call has been answered and has ended."""

import re

import pytest
from playwright.sync_api import expect

from telephony.models import Call, SandboxCall, SandboxConfig
from tests.e2e.conftest import log_in
from tests.telephony.calls_support import make_account, number_with

pytestmark = pytest.mark.e2e


def test_an_admin_adds_a_panel_user_and_a_supervisor_calls_through_them(
    page, live_server, make_user, screenshots
):
    account = make_account(f"{live_server.url}/sandbox", "myoperator")
    config = SandboxConfig.for_vendor("myoperator")
    config.time_scale = 20  # a call of a minute or two ends within seconds
    config.save()
    admin, supervisor = make_user("Admin"), make_user("Supervisor")
    customer = number_with("answered")

    # 1. The admin adds a panel user from the account's page.
    log_in(page, admin.username)
    page.goto(f"/vendors/{account.pk}/")
    with page.expect_navigation():
        page.get_by_role("link", name="Panel users", exact=True).click()
    with page.expect_navigation():
        page.get_by_role("link", name="Add user").click()
    page.get_by_label("Name").fill("Nina Agent")
    page.get_by_label("Phone").fill("98765 43210")
    page.get_by_label("Extension").fill("21")
    page.get_by_label("Email").fill("nina@example.com")
    with page.expect_navigation():
        page.get_by_role("button", name="Add to MyOperator").click()
    row = page.locator("#user-table tr", has_text="Nina Agent")
    expect(row).to_contain_text("+919876543210")
    page.screenshot(path=str(screenshots / "calls-panel-users.png"), full_page=True)
    assert page.console.take() == []
    page.context.clear_cookies()

    # 2. The supervisor places a peer-to-peer call through that user.
    log_in(page, supervisor.username)
    with page.expect_navigation():
        page.locator("#main-nav").get_by_role("link", name="Calls").click()
    with page.expect_navigation():
        page.get_by_role("link", name="Place a call").first.click()
    page.get_by_label("Number to call").fill(customer)
    page.get_by_label("Agent (MyOperator panel user)").select_option(label="Nina Agent (Basic)")
    with page.expect_navigation():
        page.get_by_role("button", name="Call now").click()
    assert re.search(r"/calls/\d+/$", page.url)
    status = page.locator("#call-status-label")
    expect(status).to_have_text(re.compile("Accepted by the vendor|Answered"))

    # 3. They watch it: the page polls until the call has been answered and has ended.
    expect(status).to_have_text("Answered", timeout=25_000)
    expect(page.locator("#call-ended")).to_contain_text("ended")
    expect(page.locator("#call-status")).not_to_have_attribute("hx-trigger", "every 2s")
    page.screenshot(path=str(screenshots / "calls-answered.png"), full_page=True)
    assert page.console.take() == []

    call = Call.objects.get()
    assert call.vendor_user.name == "Nina Agent" and call.status == "answered"
    sent = SandboxCall.objects.get(vendor="myoperator", reference_id=call.reference_id)
    assert sent.params["user_id"] == call.vendor_user.vendor_id
