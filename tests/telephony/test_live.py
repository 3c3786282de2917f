"""The live panel and modify_call, against the CPaaS sandbox over real HTTP: live-call
statistics, calls in progress from the server's ARI (no documented CPaaS answer names a
channel), and transfer, hang-up and recording of a call, each confirmed, with the
vendor's answer or refusal in its own words."""

import pytest
import requests
from django.urls import reverse

from telephony.models import ProviderAccount, SandboxCall, SandboxConfig
from telephony.vendors.base import AuthFailed
from telephony.vendors.cpaas.live import live_channels
from telephony.vendors.cpaas.sandbox import SANDBOX_CREDENTIALS
from telephony.vendors.cpaas.sandbox_live import ARI_CREDENTIALS
from telephony.vendors.cpaas.simulation import channel_for
from tests.telephony.vendors.cpaas_helpers import number_for, put_mid_call

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PANEL = reverse("telephony:live_panel")


def make_account(live_server, *, ari=True, name="CPaaS sandbox"):
    config = {"account": "account_1"}
    secrets = {"auth": SANDBOX_CREDENTIALS["account_1"]}
    if ari:
        config["ari_username"] = ARI_CREDENTIALS["account_1"][0]
        secrets["ari_password"] = ARI_CREDENTIALS["account_1"][1]
    account = ProviderAccount(
        kind="cpaas", name=name, base_url=f"{live_server.url}/sandbox/cpaas/", config=config
    )
    account.set_secrets(secrets)
    account.save()
    return account


@pytest.fixture
def account(live_server):
    config = SandboxConfig.for_vendor("cpaas")
    config.time_scale = 1.0
    config.save()
    return make_account(live_server)


@pytest.fixture
def talking(account):
    """A click2call answered and talking right now; its channel."""
    client = account.client()
    placed = client.click2call(
        agent_number="919800000900",
        destination_number=number_for("answered"),
        caller_id="15168148111",
    )
    client.http.session.close()
    call = put_mid_call(placed.vendor_call_id)
    SandboxCall.objects.filter(pk=call.pk).update(talk_seconds=600)
    return channel_for(call)


def action_url(account):
    return reverse("telephony:live_action", args=[account.pk])


def test_ari_lists_the_call_in_progress_under_the_channel_modify_call_takes(account, talking):
    client = account.client()
    channels = live_channels(client)
    client.http.session.close()

    assert [channel.name for channel in channels] == [talking]
    assert channels[0].state == "Up" and channels[0].talking
    assert channels[0].kind == "click2call"
    assert channels[0].caller == "15168148111"


def test_ari_refuses_a_wrong_login_in_its_own_words(live_server, account):
    response = requests.get(
        f"{live_server.url}/sandbox/cpaas/ari/channels", auth=("ari_account_1", "wrong"), timeout=5
    )
    assert response.status_code == 401
    assert response.json() == {"message": "Authentication required"}
    account.set_secrets({"ari_password": "wrong"})
    account.save()
    client = account.client()
    with pytest.raises(AuthFailed):
        live_channels(client)
    client.http.session.close()


def test_the_panel_shows_live_statistics_and_calls_and_a_viewer_gets_no_buttons(
    account, talking, viewer_client, supervisor_client
):
    viewer = viewer_client.get(PANEL, HTTP_HX_REQUEST="true").content.decode()
    supervisor = supervisor_client.get(PANEL, HTTP_HX_REQUEST="true").content.decode()

    for html in (viewer, supervisor):
        assert talking in html
        assert '<span class="fw-semibold">1</span> click2call' in html
    assert "Hang up" not in viewer
    assert "Hang up" in supervisor and "Blind transfer" in supervisor


def test_without_an_ari_login_the_panel_says_no_documented_answer_names_a_channel(
    live_server, supervisor_client
):
    make_account(live_server, ari=False)

    html = supervisor_client.get(PANEL).content.decode()

    assert "no answer that names a call" in html
    assert "live_calls" not in html and "click2call" in html


def test_hanging_up_is_confirmed_then_sent_and_the_vendors_answer_shown(
    account, talking, supervisor_client
):
    confirm = supervisor_client.get(
        action_url(account), {"channel": talking, "action": "hangup"}, HTTP_HX_REQUEST="true"
    )
    assert f'Hang up <span class="mono">{talking}</span>' in confirm.content.decode()
    assert "Confirm: hang up" in confirm.content.decode()
    assert not SandboxCall.objects.get().params.get("hangup_by_api")

    response = supervisor_client.post(
        action_url(account), {"channel": talking, "action": "hangup"}, HTTP_HX_REQUEST="true"
    )

    assert "call hangup successfully" in response.content.decode()
    assert response["HX-Trigger"] == "live-refresh"
    assert SandboxCall.objects.get().params["hangup_by_api"] is True
    panel = supervisor_client.get(PANEL, HTTP_HX_REQUEST="true").content.decode()
    assert "No call in progress" in panel


def test_a_transfer_needs_a_target_and_goes_to_it(account, talking, supervisor_client):
    missing = supervisor_client.post(
        action_url(account), {"channel": talking, "action": "blind"}, HTTP_HX_REQUEST="true"
    )
    assert "Give an extension or a number" in missing.content.decode()

    response = supervisor_client.post(
        action_url(account),
        {"channel": talking, "action": "attended", "transfer_to": "+919876543210"},
        HTTP_HX_REQUEST="true",
    )

    assert "attended transferred successfully" in response.content.decode()
    transfers = SandboxCall.objects.get().params["transfers"]
    assert transfers[0]["type"] == "1" and transfers[0]["to"] == "919876543210"


def test_recording_starts_on_a_talking_call(account, talking, supervisor_client):
    response = supervisor_client.post(
        action_url(account), {"channel": talking, "action": "record"}, HTTP_HX_REQUEST="true"
    )
    assert "call recording started successfully" in response.content.decode()
    assert SandboxCall.objects.get().params["recording"] is True


def test_an_ended_call_is_refused_in_the_vendors_words(account, talking, supervisor_client):
    supervisor_client.post(action_url(account), {"channel": talking, "action": "hangup"})

    again = supervisor_client.post(
        action_url(account), {"channel": talking, "action": "hangup"}, HTTP_HX_REQUEST="true"
    )

    assert "Hang up refused" in again.content.decode()
    assert "channel not found" in again.content.decode()


def test_a_viewer_cannot_act_on_a_live_call(account, talking, viewer_client):
    response = viewer_client.post(action_url(account), {"channel": talking, "action": "hangup"})
    assert response.status_code == 403
    assert not SandboxCall.objects.get().params.get("hangup_by_api")


def test_a_campaign_page_panel_shows_only_campaign_calls(account, talking, supervisor_client):
    html = supervisor_client.get(
        PANEL, {"account": account.pk, "scope": "campaign"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert talking not in html
    assert "No campaign call in progress" in html
