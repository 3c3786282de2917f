"""Scheduled CPaaS callbacks, through the pages, against the CPaaS sandbox over real HTTP:
scheduled in the vendor's form with its time zone, refused in the past before sending,
moved and cancelled at the vendor, the vendor's refusals in its words, and the state
following the vendor's call record."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
import requests
from django.urls import reverse
from django.utils import timezone

from telephony.models import (
    Callback,
    ProviderAccount,
    ProviderRequest,
    SandboxConfig,
    SandboxRecord,
    SyncRun,
)
from telephony.vendors.cpaas.sandbox import SANDBOX_CREDENTIALS

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

CREATE = reverse("telephony:callback_create")
INDEX = reverse("telephony:callback_index")
KOLKATA = ZoneInfo("Asia/Kolkata")


@pytest.fixture
def account(live_server):
    account = ProviderAccount(
        kind="cpaas",
        name="CPaaS sandbox",
        base_url=f"{live_server.url}/sandbox/cpaas/",
        config={"account": "account_1"},
    )
    account.set_secrets({"auth": SANDBOX_CREDENTIALS["account_1"]})
    account.save()
    return account


def vendor_callbacks():
    return SandboxRecord.objects.filter(vendor="cpaas", kind="callback")


def form(account, moment, **changes):
    data = {
        "account": str(account.pk),
        "agent_number": "+919876543210",
        "destination_number": "98765 43211",
        "caller_id": "15168148111",
        "scheduled_at": moment.strftime("%Y-%m-%dT%H:%M"),
        "time_zone": "Asia/Kolkata",
    }
    data.update(changes)
    return data


def in_kolkata(delta):
    return (timezone.now() + delta).astimezone(KOLKATA).replace(second=0, microsecond=0)


def schedule(client, account, delta=timedelta(days=1)) -> Callback:
    response = client.post(CREATE, form(account, in_kolkata(delta)))
    assert response.status_code == 302, response.content.decode()[:2000]
    return Callback.objects.latest("pk")


def test_a_supervisor_schedules_a_callback_in_the_vendors_form_with_its_time_zone(
    supervisor_client, account
):
    moment = in_kolkata(timedelta(days=1))

    response = supervisor_client.post(CREATE, form(account, moment), follow=True)

    callback = Callback.objects.get()
    record = vendor_callbacks().get()
    assert record.key == callback.request_id and callback.state == "scheduled"
    assert record.data["time_zone"] == "Asia/Kolkata"
    assert record.data["scheduled_at"] == moment.strftime("%Y-%m-%d %H:%M:%S")
    assert record.data["agent_number"] == "919876543210"
    assert record.data["destination_number"] == "919876543211"
    assert record.data["recording_option"] == "off"
    assert callback.scheduled_at == moment
    assert callback.destination_number == "+919876543211"
    assert f"Callback {callback.request_id} scheduled" in response.content.decode()


def test_a_callback_in_the_past_is_refused_before_anything_is_sent(supervisor_client, account):
    response = supervisor_client.post(CREATE, form(account, in_kolkata(-timedelta(minutes=5))))

    assert response.status_code == 200
    assert "has passed: a callback must be in the future" in response.content.decode()
    assert not Callback.objects.exists()
    assert not ProviderRequest.objects.filter(endpoint="callback").exists()
    assert not vendor_callbacks().exists()


def test_an_invalid_number_is_refused_next_to_its_field(supervisor_client, account):
    response = supervisor_client.post(
        CREATE, form(account, in_kolkata(timedelta(days=1)), destination_number="12")
    )
    assert "Customer number:" in response.content.decode()
    assert not vendor_callbacks().exists()


def test_rescheduling_sends_the_new_time_in_the_callbacks_own_zone_without_a_zone_field(
    supervisor_client, account
):
    callback = schedule(supervisor_client, account)
    new = (timezone.now() + timedelta(days=2)).replace(second=0, microsecond=0)

    response = supervisor_client.post(
        reverse("telephony:callback_reschedule", args=[callback.pk]),
        {
            "scheduled_at": new.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%dT%H:%M"),
            "time_zone": "UTC",
        },
    )

    assert response.status_code == 302
    callback.refresh_from_db()
    record = vendor_callbacks().get()
    assert callback.scheduled_at == new
    assert record.data["scheduled_at"] == new.astimezone(KOLKATA).strftime("%Y-%m-%d %H:%M:%S")
    assert record.data["time_zone"] == "Asia/Kolkata"
    patch = ProviderRequest.objects.get(endpoint="callback", method="PATCH")
    assert "time_zone" not in patch.request_excerpt
    assert callback.vendor_message == "callback data modified successfully"


def test_a_move_into_the_past_is_refused_before_sending(supervisor_client, account):
    callback = schedule(supervisor_client, account)
    past = timezone.now() - timedelta(hours=1)

    response = supervisor_client.post(
        reverse("telephony:callback_reschedule", args=[callback.pk]),
        {"scheduled_at": past.strftime("%Y-%m-%dT%H:%M"), "time_zone": "UTC"},
    )

    assert "a callback must be in the future" in response.content.decode()
    assert not ProviderRequest.objects.filter(endpoint="callback", method="PATCH").exists()


def test_cancelling_is_confirmed_then_deletes_it_at_the_vendor(supervisor_client, account):
    callback = schedule(supervisor_client, account)
    url = reverse("telephony:callback_cancel", args=[callback.pk])

    confirm = supervisor_client.get(url)
    assert "Cancel the callback to +919876543211?" in confirm.content.decode()
    assert vendor_callbacks().exists()

    response = supervisor_client.post(url, follow=True)

    callback.refresh_from_db()
    assert callback.state == "cancelled"
    assert not vendor_callbacks().exists()
    assert "callback request deleted successfully" in response.content.decode()


def test_a_callback_gone_at_the_vendor_shows_the_vendors_words_and_follows(
    supervisor_client, account
):
    callback = schedule(supervisor_client, account)
    vendor_callbacks().delete()  # deleted by someone else, outside Dialdesk

    response = supervisor_client.post(reverse("telephony:callback_cancel", args=[callback.pk]))

    assert "The vendor refused: request_id not found" in response.content.decode()
    callback.refresh_from_db()
    assert callback.state == "gone"


def test_the_state_follows_the_vendors_call_record_once_due(supervisor_client, account):
    config = SandboxConfig.for_vendor("cpaas")
    config.time_scale = 1000.0
    config.save()
    callback = schedule(supervisor_client, account)
    # Its moment comes (at the vendor and here) a minute ago.
    past = timezone.now() - timedelta(minutes=1)
    record = vendor_callbacks().get()
    record.data = {**record.data, "scheduled_utc": past.isoformat(), "time_scale": 1000.0}
    record.save()
    Callback.objects.filter(pk=callback.pk).update(scheduled_at=past)

    response = supervisor_client.post(reverse("telephony:callback_sync"), follow=True)

    callback.refresh_from_db()
    assert callback.state == "done"
    assert callback.outcome in {"answered", "busy", "no_answer", "unavailable", "failed"}
    assert "1 of 1 called" in response.content.decode()
    run = SyncRun.objects.get(kind="callbacks")
    assert run.ok and run.updated == 1
    # Safe to run twice: nothing is due any more, nothing is asked.
    asked = ProviderRequest.objects.filter(endpoint="get_cdr_by_request_id").count()
    Callback.sync_due()
    assert ProviderRequest.objects.filter(endpoint="get_cdr_by_request_id").count() == asked


def test_a_lost_create_answer_is_never_sent_twice(supervisor_client, account, monkeypatch):
    client = account.client()
    lost = []

    def lose_the_answer(response, *args, **kwargs):
        if response.url.endswith("/api/callback") and not lost:
            lost.append(response)
            raise requests.Timeout("read timed out")

    client.http.session.hooks["response"].append(lose_the_answer)
    monkeypatch.setattr(ProviderAccount, "client", lambda self: client)

    response = supervisor_client.post(CREATE, form(account, in_kolkata(timedelta(days=1))))

    assert response.status_code == 302 and lost
    callback = Callback.objects.get()
    assert callback.state == "unconfirmed" and not callback.request_id
    assert vendor_callbacks().count() == 1
    assert ProviderRequest.objects.filter(endpoint="callback").count() == 1


def test_a_viewer_reads_callbacks_without_the_buttons_to_change_them(
    supervisor_client, viewer_client, account
):
    schedule(supervisor_client, account)

    html = viewer_client.get(INDEX).content.decode()

    assert "+919876543211" in html
    assert "Reschedule" not in html and "Schedule a callback" not in html
    assert viewer_client.post(CREATE, {}).status_code == 403


def test_the_list_filters_by_state_and_number_and_pushes_the_url(supervisor_client, account):
    callback = schedule(supervisor_client, account)

    hit = supervisor_client.get(INDEX, {"q": "43211", "state": "open"}, HTTP_HX_REQUEST="true")
    miss = supervisor_client.get(INDEX, {"state": "cancelled"}, HTTP_HX_REQUEST="true")

    assert callback.request_id in hit.content.decode()
    assert "<html" not in hit.content.decode()
    assert "No callbacks match" in miss.content.decode()
