# ruff: noqa: F811 (pytest fixtures are imported by name, then requested as arguments)
"""OTP calls (CPaaS outbound_call): the OTP reaches the vendor and is then nowhere in
Dialdesk: not on the page, not in any row of any table (the Call, the audit rows, the
sandbox's own), not in the logs."""

import logging

from django.apps import apps
from django.urls import reverse

from telephony.models import Call, ProviderRequest
from telephony.one_off_calls import refresh
from tests.telephony.calls_support import (  # noqa: F401
    CPAAS_CALLER_ID,
    LIVE,
    lose_answer,
    make_account,
    sandbox_calls,
    sandbox_url,
)

OTP = "739164"


def every_row_text():
    """Every field of every row of every model, as text."""
    for model in apps.get_models():
        for row in model.objects.all().values():
            yield model._meta.label, str(row)


@LIVE
def test_an_otp_call_leaves_the_otp_nowhere(sandbox_url, supervisor_client, caplog):
    account = make_account(sandbox_url, "cpaas")
    caplog.set_level(logging.DEBUG)
    form = supervisor_client.get(reverse("telephony:otp_new")).content.decode()
    token = form.split('name="token" value="')[1].split('"')[0]
    data = {
        "account": account.pk,
        "to_number": "+919876543210",
        "otp": OTP,
        "announce_template_id": "AN2222314c96",
        "caller_id": CPAAS_CALLER_ID,
        "repeat": "2",
        "voice": "Raveena",
        "volume": "soft",
        "rate": "slow",
        "pitch": "medium",
        "language_code": "en-US",
        "tts_engine_type": "neural",
        "token": token,
    }
    response = supervisor_client.post(reverse("telephony:otp_new"), data, follow=True)
    call = Call.objects.get(kind="otp")
    assert call.status == "accepted" and call.vendor_call_id
    sent = sandbox_calls("cpaas", call_id=call.vendor_call_id).get()
    assert sent.params["otp_digits"] == len(OTP) and sent.params["voice"] == "Raveena"
    assert sent.params["repeat"] == 2 and sent.params["tts_engine_type"] == "neural"
    assert ProviderRequest.objects.filter(endpoint="outbound_call").exists()

    assert OTP not in response.content.decode()
    holders = [label for label, text in every_row_text() if OTP in text]
    assert holders == []
    assert OTP not in caplog.text

    # The same form again: the call it placed, no second announcement.
    supervisor_client.post(reverse("telephony:otp_new"), data)
    assert sandbox_calls("cpaas", kind="otp").filter(to_number__endswith="9876543210").count() == 1


@LIVE
def test_a_lost_otp_answer_is_never_sent_again_and_leaves_one_announcement(
    sandbox_url, lose_answer, supervisor_client
):
    account = make_account(sandbox_url, "cpaas")
    form = supervisor_client.get(reverse("telephony:otp_new")).content.decode()
    token = form.split('name="token" value="')[1].split('"')[0]
    data = {
        "account": account.pk,
        "to_number": "+919876543211",
        "otp": OTP,
        "announce_template_id": "AN2222314c96",
        "caller_id": CPAAS_CALLER_ID,
        "repeat": "1",
        "token": token,
    }
    lose_answer("cpaas", "outbound_call")
    supervisor_client.post(reverse("telephony:otp_new"), data)
    call = Call.objects.get(kind="otp")
    assert call.status == "unknown", (call.status, call.error)
    # A reload or a double click, then asking the vendor again: never a second announcement.
    supervisor_client.post(reverse("telephony:otp_new"), data)
    refresh(call, force=True)
    assert Call.objects.filter(kind="otp").count() == 1
    assert sandbox_calls("cpaas", kind="otp").filter(to_number__endswith="9876543211").count() == 1
    assert [label for label, text in every_row_text() if OTP in text] == []


@LIVE
def test_a_refused_otp_call_shows_the_form_again_without_the_otp(sandbox_url, supervisor_client):
    account = make_account(sandbox_url, "cpaas")
    data = {
        "account": account.pk,
        "to_number": "+919876543210",
        "otp": OTP,
        "announce_template_id": "not-approved",
        "caller_id": CPAAS_CALLER_ID,
        "repeat": "1",
        "token": "t-refused",
    }
    response = supervisor_client.post(reverse("telephony:otp_new"), data, follow=True)
    call = Call.objects.get(kind="otp")
    assert call.status == "rejected" and "announce_template_id" in call.error
    assert OTP not in response.content.decode()
    assert [label for label, text in every_row_text() if OTP in text] == []
