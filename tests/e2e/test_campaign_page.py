"""The campaign page in a real browser: the funnel and pace bars are drawn under the
strict CSP, the page refreshes itself while the campaign runs, a supervisor pauses it
and stops it through the confirmation page, and the attempts page filters."""

from datetime import time, timedelta

import pytest
from django.utils import timezone

from campaigns.models import Campaign, CampaignAttempt, CampaignTarget, ContactList, DndList
from telephony.models import WorkerHeartbeat
from tests.e2e.conftest import log_in
from tests.factories import CampaignFactory, ProviderAccountFactory

pytestmark = pytest.mark.e2e

STATUSES = (
    [("answered", "answered")] * 23
    + [("failed", "busy")] * 6
    + [("failed", "no_answer")] * 4
    + [("retry", "busy")] * 3
    + [("in_progress", "")] * 2
    + [("dnd", "")] * 5
    + [("invalid", "")] * 2
    + [("pending", "")] * 15
)
ATTEMPT_STATUS = {"answered": "answered", "busy": "busy", "no_answer": "no_answer"}


def running_campaign():
    account = ProviderAccountFactory(kind="oca", name="OCA Jakarta")
    campaign = CampaignFactory(
        name="November dues reminder",
        account=account,
        state=Campaign.State.RUNNING,
        time_zone="Asia/Jakarta",
        window_start=time(0),
        window_end=time(23, 59),
        calls_per_minute=30,
        started_at=timezone.now() - timedelta(minutes=20),
        targets_built_at=timezone.now() - timedelta(minutes=20),
        last_dial_at=timezone.now(),
    )
    campaign.contact_lists.add(ContactList.objects.create(name="Jakarta dues"))
    campaign.dnd_lists.add(DndList.objects.create(name="Asked not to be called"))
    now = timezone.now()
    for index, (status, last_status) in enumerate(STATUSES):
        target = CampaignTarget.objects.create(
            campaign=campaign,
            number=f"+62812555{index:04d}",
            status=status,
            last_status=last_status,
        )
        if status in ("answered", "failed", "retry", "in_progress"):
            CampaignAttempt.objects.create(
                campaign=campaign,
                target=target,
                number=target.number,
                attempt=1,
                reference_id=f"dd-{campaign.pk}-1-{target.pk}-1",
                vendor_call_id=f"oca-{9000 + index}",
                status=ATTEMPT_STATUS.get(last_status, "placed"),
                error="Subscriber busy (SIP 486)" if last_status == "busy" else "",
                dialed_at=now - timedelta(seconds=2 * (40 - index)),
                duration=31 if status == "answered" else None,
            )
    return campaign


def test_a_supervisor_watches_a_campaign_pauses_and_stops_it(page, make_user, screenshots):
    WorkerHeartbeat.beat("e2e-cluster")
    campaign = running_campaign()
    log_in(page, make_user("Supervisor").username)

    page.goto(f"/campaigns/{campaign.pk}/")
    assert page.locator("#campaign-state").inner_text() == "Running"
    assert page.locator('[data-count="answered"]').inner_text() == "23"
    # The bars are sized by the page's script (CSP forbids inline styles).
    answered_width = page.locator(".progress-stacked .progress").first.evaluate(
        "el => el.style.width"
    )
    assert answered_width == f"{100 * 23 / len(STATUSES):.2f}%"
    page.screenshot(path=screenshots / "supervisor-campaign-running.png", full_page=True)

    # A call placed now appears without a reload: the page polls.
    target = CampaignTarget.objects.create(campaign=campaign, number="+628125559999")
    CampaignAttempt.objects.create(
        campaign=campaign,
        target=target,
        number=target.number,
        attempt=1,
        reference_id=f"dd-{campaign.pk}-1-{target.pk}-1",
        vendor_call_id="oca-just-now",
        status="placed",
        dialed_at=timezone.now(),
    )
    page.get_by_text("oca-just-now").wait_for()
    assert page.locator('[data-count="total"]').inner_text() == str(len(STATUSES) + 1)

    with page.expect_navigation():
        page.get_by_role("button", name="Pause").click()
    assert page.locator("#campaign-state").inner_text() == "Paused"
    assert "Paused by supervisor-e2e at" in page.locator("#why-idle").inner_text()

    with page.expect_navigation():
        page.get_by_role("link", name="Stop…").click()
    page.screenshot(path=screenshots / "supervisor-campaign-stop-confirm.png", full_page=True)
    with page.expect_navigation():
        page.get_by_role("button", name="Stop the campaign").click()
    assert page.locator("#campaign-state").inner_text() == "Stopped"
    assert page.locator("#state-reason").inner_text() == "Stopped by supervisor-e2e."
    assert page.locator("#campaign-live").get_attribute("hx-trigger") is None
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.STOPPED

    page.goto(f"/campaigns/{campaign.pk}/attempts/")
    page.select_option("#attempt-status", "busy")
    page.wait_for_url("**status=busy**")
    page.locator("#attempt-table").get_by_text("Subscriber busy (SIP 486)").first.wait_for()
    assert page.locator("#attempt-table tbody tr").count() == 9  # 6 failed + 3 retry
    page.screenshot(path=screenshots / "supervisor-campaign-attempts.png", full_page=True)
    assert page.console.take() == []


def test_a_viewer_sees_why_nothing_is_dialing_and_no_buttons(page, make_user, screenshots):
    WorkerHeartbeat.beat("e2e-cluster")
    campaign = running_campaign()
    # The last calls went out three minutes ago; the engine noted why it stopped.
    for attempt in campaign.attempts.all():
        CampaignAttempt.objects.filter(pk=attempt.pk).update(
            dialed_at=attempt.dialed_at - timedelta(minutes=3)
        )
    Campaign.objects.filter(pk=campaign.pk).update(
        last_dial_at=timezone.now() - timedelta(minutes=3),
        idle_reason="OCA is rate limiting us (HTTP 429): dialing resumes in 30 s.",
    )
    log_in(page, make_user("Viewer").username)
    page.goto(f"/campaigns/{campaign.pk}/")
    assert "OCA is rate limiting us" in page.locator("#why-idle").inner_text()
    assert page.locator("#campaign-actions").count() == 0
    assert page.locator("#pace-minute").inner_text() == "0"
    page.screenshot(path=screenshots / "viewer-campaign-idle.png", full_page=True)

    # The engine completes the campaign: the next poll shows it, and polling stops.
    Campaign.objects.filter(pk=campaign.pk).update(
        state=Campaign.State.COMPLETED, finished_at=timezone.now(), idle_reason=""
    )
    page.locator("#campaign-state", has_text="Completed").wait_for()
    assert page.locator("#why-idle").count() == 0
    assert page.locator("#campaign-live").get_attribute("hx-trigger") is None
    polls = []
    page.on("request", lambda request: polls.append(request.url))
    page.wait_for_timeout(4_000)  # longer than one polling interval
    assert polls == []
    assert page.console.take() == []


def test_a_cpaas_campaign_shows_the_vendors_status_and_cannot_be_paused(
    page, make_user, screenshots
):
    WorkerHeartbeat.beat("e2e-cluster")
    account = ProviderAccountFactory(kind="cpaas", name="CPaaS Mumbai")
    campaign = CampaignFactory(
        name="Diwali greetings",
        account=account,
        kind="tts",
        announcement_text="Namaste {name}, wishing you a happy Diwali.",
        state=Campaign.State.RUNNING,
        time_zone="Asia/Kolkata",
        vendor_campaign_id="6571",
        vendor_status="running",
        last_synced_at=timezone.now(),
        started_at=timezone.now() - timedelta(minutes=5),
    )
    log_in(page, make_user("Admin").username)
    page.goto(f"/campaigns/{campaign.pk}/")
    vendor = page.locator("#vendor-status").inner_text()
    assert "running" in vendor and "6571" in vendor
    assert page.get_by_role("button", name="Pause").is_disabled()
    assert "CPaaS cannot pause a campaign" in page.locator("#campaign-live").inner_text()
    page.screenshot(path=screenshots / "admin-campaign-cpaas.png", full_page=True)
    assert page.console.take() == []
