"""Issue #13, steps 4-6, in a real browser against the sandboxes: a supervisor schedules a
CPaaS callback, reschedules it and cancels it; an admin uploads an mp3 to OCA and deletes
it (the audio library is theirs to change); the supervisor hangs up a live CPaaS call
from the live panel on home."""

from datetime import UTC, timedelta

import pytest
from django.utils import timezone

from telephony.models import Callback, ProviderAccount, SandboxCall, SandboxConfig, SandboxRecord
from telephony.vendors.cpaas.sandbox import SANDBOX_CREDENTIALS
from telephony.vendors.cpaas.sandbox_live import ARI_CREDENTIALS
from telephony.vendors.cpaas.simulation import channel_for
from telephony.vendors.oca import sandbox as oca_sandbox
from tests.e2e.conftest import TIMEOUT_MS, log_in
from tests.telephony.vendors.cpaas_helpers import number_for, put_mid_call

pytestmark = pytest.mark.e2e

MP3 = b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\xff\xfb\x90\x64" + b"\x00" * 413


def accounts(live_server):
    config = SandboxConfig.for_vendor("cpaas")
    config.time_scale = 1.0
    config.save()
    cpaas = ProviderAccount(
        kind="cpaas",
        name="CPaaS sandbox",
        base_url=f"{live_server.url}/sandbox/cpaas/",
        config={"account": "account_1", "ari_username": ARI_CREDENTIALS["account_1"][0]},
    )
    cpaas.set_secrets(
        {"auth": SANDBOX_CREDENTIALS["account_1"], "ari_password": ARI_CREDENTIALS["account_1"][1]}
    )
    cpaas.save()
    oca = ProviderAccount(
        kind="oca",
        name="OCA sandbox",
        base_url=f"{live_server.url}/sandbox/oca/api/v1",
        config={"username": oca_sandbox.SANDBOX_CREDENTIALS["username"]},
    )
    oca.set_secrets({"password": oca_sandbox.SANDBOX_CREDENTIALS["password"]})
    oca.save()
    return cpaas, oca


def local(moment) -> str:
    """A datetime-local value in UTC (the personas' zone)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M")


def test_callback_audio_and_live_hangup(page, browser, live_server, make_user, screenshots):
    cpaas, oca = accounts(live_server)
    supervisor, admin = make_user("Supervisor"), make_user("Admin")
    log_in(page, supervisor.username)

    # 4. Schedule a callback, reschedule it, cancel it.
    page.goto("/callbacks/new/")
    page.get_by_label("Agent number").fill("+919876543210")
    page.get_by_label("Customer number").fill("+919876543211")
    page.get_by_label("Caller id").fill("15168148111")
    page.get_by_label("When").fill(local(timezone.now() + timedelta(days=1)))
    with page.expect_navigation():
        page.get_by_role("button", name="Schedule").click()
    callback = Callback.objects.get()
    assert callback.state == "scheduled" and callback.request_id
    page.get_by_text(f"Callback {callback.request_id} scheduled").wait_for()

    later = (timezone.now() + timedelta(days=2)).replace(second=0, microsecond=0)
    with page.expect_navigation():
        page.get_by_role("link", name="Reschedule").first.click()
    page.get_by_label("When").fill(local(later))
    with page.expect_navigation():
        page.get_by_role("button", name="Reschedule").click()
    page.locator(".toast-body", has_text="callback data modified successfully").wait_for()
    callback.refresh_from_db()
    assert callback.scheduled_at == later

    with page.expect_navigation():
        page.get_by_role("link", name="Cancel").first.click()
    with page.expect_navigation():
        page.get_by_role("button", name="Cancel the callback").click()
    page.locator(".toast-body", has_text="callback request deleted successfully").wait_for()
    assert page.locator("#callback-table").get_by_text("Cancelled").count() == 1
    assert not SandboxRecord.objects.filter(vendor="cpaas", kind="callback").exists()

    # 5. An admin uploads an mp3 to OCA and deletes it.
    context = browser.new_context(base_url=live_server.url)
    context.set_default_timeout(TIMEOUT_MS)
    admin_page = context.new_page()
    log_in(admin_page, admin.username)
    admin_page.goto(f"/oca/{oca.pk}/audio/")
    admin_page.set_input_files(
        "#id_audio", {"name": "greeting.mp3", "mimeType": "audio/mpeg", "buffer": MP3}
    )
    with admin_page.expect_navigation():
        admin_page.get_by_role("button", name="Upload", exact=True).click()
    admin_page.get_by_text("Uploaded greeting.mp3 to OCA.").wait_for()
    row = admin_page.locator("tr.audio-file", has_text="greeting.mp3")
    with admin_page.expect_navigation():
        row.get_by_role("link", name="Delete").click()
    admin_page.get_by_text("Delete greeting.mp3 at OCA?").wait_for()
    with admin_page.expect_navigation():
        admin_page.get_by_role("button", name="Delete", exact=True).click()
    admin_page.get_by_text("Deleted audio file").wait_for()
    assert admin_page.locator("tr.audio-file", has_text="greeting.mp3").count() == 0
    context.close()

    # 6. Hang up a live call from the live panel on home.
    client = cpaas.client()
    placed = client.click2call(
        agent_number="919800000900",
        destination_number=number_for("answered"),
        caller_id="15168148111",
    )
    client.http.session.close()
    call = put_mid_call(placed.vendor_call_id)
    SandboxCall.objects.filter(pk=call.pk).update(talk_seconds=600)
    channel = channel_for(call)

    page.goto("/")
    live_row = page.locator("tr.live-channel", has_text=channel)
    live_row.get_by_role("link", name="Hang up").click()
    page.locator("#live-action").get_by_text(f"Hang up {channel}").wait_for()
    page.get_by_role("button", name="Confirm: hang up").click()
    page.locator("#live-action").get_by_text("call hangup successfully").wait_for()
    page.locator("#live-body").get_by_text("No call in progress").wait_for()
    page.screenshot(path=str(screenshots / "live-panel-hung-up.png"), full_page=True)
    assert SandboxCall.objects.get(pk=call.pk).params["hangup_by_api"] is True
    assert page.console.take() == []
