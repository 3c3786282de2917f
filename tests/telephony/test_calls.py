# ruff: noqa: F811 (pytest fixtures are imported by name, then requested as arguments)
"""One-off calls through the Call dialog, against the sandboxes over real HTTP: each kind
placed once, its status followed to the end, the vendors' documented refusals in their
own words, and a lost answer on every call-placing request giving exactly one call."""

import re
import time

import pytest
from django.urls import reverse

from telephony.models import Call, SandboxConfig, VendorUser
from telephony.one_off_calls import refresh
from tests.factories import ProviderAccountFactory, UserFactory
from tests.telephony.calls_support import (  # noqa: F401 (fixtures)
    CPAAS_CALLER_ID,
    IVR,
    LIVE,
    dialog,
    fast,
    lose_answer,
    make_account,
    number_with,
    only_call,
    place,
    sandbox_calls,
    sandbox_url,
)


def rows(html: str) -> int:
    return len(re.findall(r'href="/calls/\d+/"', html))


def agent_of(account) -> VendorUser:
    run = VendorUser.sync(account)
    assert run.ok, run.errors
    return account.vendor_users.get(name="Asha Demo")


def poll_until_final(client, call, limit=60):
    """Poll the call's status part as the page does, until the page stops polling."""
    url = reverse("telephony:call_detail", args=[call.pk])
    for _ in range(limit):
        part = client.get(url, headers={"HX-Request": "true"}).content.decode()
        if "hx-trigger" not in part:
            return part
        Call.objects.filter(pk=call.pk).update(checked_at=None)  # no 2 s wait in a test
    raise AssertionError("the call never became final")


# --- placing and following -------------------------------------------------------------------


@LIVE
def test_a_peer_to_peer_call_through_a_panel_user_is_placed_once_and_followed_to_its_end(
    sandbox_url, fast, supervisor_client
):
    account = make_account(sandbox_url, "myoperator")
    agent = agent_of(account)
    number = number_with("answered")
    response, data = place(
        supervisor_client, account, "p2p", number, agent=agent.pk, public_ivr_id=IVR
    )
    call = only_call()
    assert response.status_code == 302 and response["Location"].endswith(f"/calls/{call.pk}/")
    sent = sandbox_calls("myoperator", reference_id=call.reference_id).get()
    assert sent.params["user_id"] == agent.vendor_id and sent.to_number == number
    assert call.status == "accepted" and call.vendor_call_id == sent.call_id

    again = supervisor_client.post(reverse("telephony:call_new"), data)  # a double click
    assert again["Location"] == response["Location"]
    assert (
        Call.objects.count() == 1
        and sandbox_calls("myoperator").filter(to_number=number).count() == 1
    )

    part = poll_until_final(supervisor_client, call)
    call.refresh_from_db()
    assert call.status == "answered" and call.is_final and call.ended_at
    assert "Answered" in part and "ended" in part


@LIVE
def test_each_vendors_call_kinds_reach_the_sandbox_with_the_dialogs_options(
    sandbox_url, fast, supervisor_client
):
    mo = make_account(sandbox_url, "myoperator")
    cpaas = make_account(sandbox_url, "cpaas")
    oca = make_account(sandbox_url, "oca")
    agent = agent_of(mo)

    place(supervisor_client, mo, "ivr", "+919811111111", public_ivr_id=IVR)
    place(supervisor_client, mo, "click_to_call", "+919811111112", agent=agent.pk)
    place(
        supervisor_client,
        mo,
        "p2p",
        "+919811111113",
        number_2="+919811111114",
        public_ivr_id=IVR,
    )
    place(
        supervisor_client,
        cpaas,
        "click2call",
        "+919811111115",
        agent_number="+919876543210",
        caller_id=CPAAS_CALLER_ID,
        recording_option="both",
        transcript="on",
    )
    html = dialog(supervisor_client, account=oca.pk, kind="oca_ivr")["html"]
    ivr_id = re.search(r'<option value="([0-9a-f]{24})">IVR Resti</option>', html).group(1)
    # The chosen IVR's required variables become fields.
    with_ivr = dialog(supervisor_client, account=oca.pk, kind="oca_ivr", ivr_id=ivr_id)["html"]
    assert 'name="var_name"' in with_ivr and 'name="var_nomor_inet"' in with_ivr
    place(
        supervisor_client,
        oca,
        "oca_ivr",
        "+6281211122333",
        from_number="02184788101",
        ivr_id=ivr_id,
        var_name="Budi",
        var_nomor_inet="123456789012",
    )

    calls = {call.kind: call for call in Call.objects.all()}
    assert set(calls) == {"ivr", "click_to_call", "p2p", "click2call", "oca_ivr"}
    assert all(call.status == "accepted" and call.vendor_call_id for call in calls.values())
    assert sandbox_calls("myoperator", kind="clickocall").get().params["support_user_id"] == (
        agent.vendor_id
    )
    assert (
        sandbox_calls("myoperator", reference_id=calls["p2p"].reference_id).get().params["number_2"]
        == "+919811111114"
    )
    c2c = sandbox_calls("cpaas", call_id=calls["click2call"].vendor_call_id).get()
    assert c2c.params["recording_option"] == "both" and c2c.params["transcript"] == "on"
    oca_call = sandbox_calls("oca", call_id=calls["oca_ivr"].vendor_call_id).get()
    assert oca_call.params.get("variable", oca_call.params).get("name", "Budi") == "Budi"

    for call in calls.values():
        final = poll_until_final(supervisor_client, call)
        assert "checking every 2 s" not in final


# --- the vendors' documented refusals ----------------------------------------------------------


@LIVE
def test_the_vendors_documented_refusals_are_shown_in_their_words(sandbox_url, supervisor_client):
    mo = make_account(sandbox_url, "myoperator")
    # OBD's table: an unknown public IVR is a 404 with these words (the admin's
    # catalogue lists one the vendor does not know).
    mo.config["ivrs"].append({"id": "77aa00000000", "name": "Retired IVR"})
    mo.save()
    place(supervisor_client, mo, "ivr", "+919811111121", public_ivr_id="77aa00000000")
    refused = Call.objects.get(to_number="+919811111121")
    assert refused.status == "rejected" and refused.is_final
    assert "Provide valid public_ivr_id in string format" in refused.error
    page = supervisor_client.get(reverse("telephony:call_detail", args=[refused.pk]))
    assert "Provide valid public_ivr_id in string format" in page.content.decode()

    # An account without anonymous dial (number_2): the vendor's own spelling.
    config = SandboxConfig.for_vendor("myoperator")
    config.account_faults = ["anonymous_disabled"]
    config.save()
    place(
        supervisor_client,
        mo,
        "p2p",
        "+919811111122",
        number_2="+919811111123",
        public_ivr_id=IVR,
    )
    assert "Your annonymous feature is not enabled" in (
        Call.objects.get(to_number="+919811111122").error
    )

    # OCA: an IVR's required variable left out is refused before sending, by field.
    oca = make_account(sandbox_url, "oca")
    html = dialog(supervisor_client, account=oca.pk, kind="oca_ivr")["html"]
    ivr_id = re.search(r'<option value="([0-9a-f]{24})">IVR Resti</option>', html).group(1)
    response, _ = place(
        supervisor_client,
        oca,
        "oca_ivr",
        "+6281211122334",
        from_number="02184788101",
        ivr_id=ivr_id,
        var_name="Budi",
    )
    assert response.status_code == 400
    assert "This field is required" in response.content.decode()
    assert not Call.objects.filter(to_number="+6281211122334").exists()
    assert not sandbox_calls("oca").exists()


# --- a lost answer never dials twice -----------------------------------------------------------


@LIVE
def test_a_lost_answer_on_every_call_placing_request_leaves_exactly_one_call(
    sandbox_url, lose_answer, supervisor_client
):
    mo = make_account(sandbox_url, "myoperator")
    cpaas = make_account(sandbox_url, "cpaas")
    oca = make_account(sandbox_url, "oca")
    agent = agent_of(mo)
    oca_html = dialog(supervisor_client, account=oca.pk, kind="oca_ivr")["html"]
    recording_ivr = re.search(
        r'<option value="([0-9a-f]{24})">Testing Call Recording</option>', oca_html
    ).group(1)
    cases = [
        ("myoperator", mo, "p2p", "+919822222201", {"agent": agent.pk, "public_ivr_id": IVR}),
        ("myoperator", mo, "ivr", "+919822222202", {"public_ivr_id": IVR}),
        ("myoperator", mo, "click_to_call", "+919822222203", {"agent": agent.pk}),
        (
            "cpaas",
            cpaas,
            "click2call",
            "+919822222204",
            {
                "agent_number": "+919876543210",
                "caller_id": CPAAS_CALLER_ID,
                "recording_option": "off",
            },
        ),
        (
            "oca",
            oca,
            "oca_ivr",
            "+6281211122335",
            {"from_number": "02184788101", "ivr_id": recording_ivr},
        ),
    ]
    endpoints = {
        "p2p": "obd-api-v1",
        "ivr": "obd-api-v1",
        "click_to_call": "clickOcall",
        "click2call": "click2call",
        "oca_ivr": "call",
    }
    for vendor, account, kind, number, fields in cases:
        lose_answer(vendor, endpoints[kind])
        response, data = place(supervisor_client, account, kind, number, **fields)
        call = Call.objects.get(to_number=number)
        assert call.status == "unknown", (kind, call.status, call.error)
        assert "Dialdesk" in call.error and "not dial again" in call.error.replace(
            "will not", "not"
        )
        # The same form again (a reload, a double click): the existing call, no dial.
        again = supervisor_client.post(reverse("telephony:call_new"), data)
        assert again.status_code == 302
        # Asking again: OBD gets the same reference id (refused as taken), the others
        # are looked for, never re-sent.
        refresh(call, force=True)
        call.refresh_from_db()
        assert sandbox_calls(vendor).filter(to_number__endswith=number[-8:]).count() == 1, kind
        assert Call.objects.filter(to_number=number).count() == 1
        if kind in ("p2p", "ivr"):
            assert call.status == "accepted" and "already" in call.note
        if kind == "oca_ivr":
            assert call.is_final and "outcome cannot be known" in call.error


# --- access and the list ------------------------------------------------------------------------


def test_a_viewer_sees_calls_but_cannot_place_them(viewer_client, supervisor_user):
    account = ProviderAccountFactory()
    Call.objects.create(
        account=account,
        kind="oca_ivr",
        to_number="+6281211122336",
        reference_id="dd-viewer-sample",
        status="answered",
        is_final=True,
        requested_by=supervisor_user,
    )
    page = viewer_client.get(reverse("telephony:call_index")).content.decode()
    assert "+6281211122336" in page and "Place a call" not in page
    refused = viewer_client.post(
        reverse("telephony:call_new"), {"account": account.pk, "to_number": "+6281211122337"}
    )
    assert refused.status_code == 403
    assert viewer_client.post(reverse("telephony:otp_new"), {}).status_code == 403


def test_the_calls_list_filters_by_number_status_and_type_and_pages_by_keys(supervisor_client):
    account = ProviderAccountFactory()
    user = UserFactory(role="Supervisor")
    for n in range(55):
        Call.objects.create(
            account=account,
            kind="oca_ivr" if n % 2 else "otp",
            to_number=f"+62812111{n:05d}",
            reference_id=f"dd-list-{n}",
            status="answered" if n % 3 else "busy",
            is_final=True,
            requested_by=user,
        )
    url = reverse("telephony:call_index")
    first = supervisor_client.get(url).content.decode()
    assert rows(first) == 50 and "+6281211100054" in first and "Older" in first
    older = supervisor_client.get(url, {"older": Call.objects.order_by("pk")[5].pk}).content
    assert rows(older.decode()) == 5
    busy = supervisor_client.get(url, {"status": "busy", "kind": "otp"}).content.decode()
    assert rows(busy) == len([n for n in range(55) if n % 3 == 0 and n % 2 == 0])
    one = supervisor_client.get(url, {"number": "00007"}, headers={"HX-Request": "true"})
    assert rows(one.content.decode()) == 1 and "<html" not in one.content.decode()


def test_the_dialog_prefills_the_number_and_account_from_its_link(supervisor_client):
    account = ProviderAccountFactory(kind="myoperator", config={"company_id": "x"})
    html = dialog(supervisor_client, account=account.pk, to="+919876543210")["html"]
    assert 'value="+919876543210"' in html and "MyOperator peer-to-peer" in html
    assert f'<option value="{account.pk}" selected' in html


@pytest.mark.parametrize("form_token", ["a", "b"])
def test_reference_ids_are_derived_from_the_person_and_the_form_token(form_token):
    assert Call.reference_for(1, form_token) == Call.reference_for(1, form_token)
    assert Call.reference_for(1, form_token) != Call.reference_for(2, form_token)
    assert len(Call.reference_for(1, form_token)) <= 64


def test_a_link_with_only_a_number_opens_the_dialog_on_an_account_that_dials_it(
    supervisor_client,
):
    ProviderAccountFactory(kind="myoperator", name="A MyOperator", config={"company_id": "x"})
    oca = ProviderAccountFactory(kind="oca", name="B OCA")
    html = dialog(supervisor_client, to="+6281211122333")["html"]
    assert f'<option value="{oca.pk}" selected' in html and "OCA IVR call" in html


def test_a_finished_call_links_to_its_call_record_once_the_cdr_sync_has_it(viewer_client):
    from telephony.models import CallRecord

    account = ProviderAccountFactory()
    call = Call.objects.create(
        account=account,
        kind="oca_ivr",
        to_number="+6281211122338",
        reference_id="dd-record-sample",
        vendor_call_id="5f1c03d61fae4001267a0099",
        status="answered",
        is_final=True,
    )
    url = reverse("telephony:call_detail", args=[call.pk])
    assert "not synced yet" in viewer_client.get(url).content.decode()
    CallRecord.objects.create(
        account=account,
        vendor_call_id="5f1c03d61fae4001267a0099",
        direction="outbound",
        status="answered",
        customer_number="+6281211122338",
    )
    page = viewer_client.get(url).content.decode()
    assert "CDR 5f1c03d61fae4001267a0099" in page and "not synced yet" not in page
    record = CallRecord.objects.get()
    assert f'href="/reports/calls/{record.pk}/"' in page


@LIVE
def test_a_call_whose_answer_was_lost_is_found_in_the_vendors_records_once_it_ended(
    sandbox_url, fast, lose_answer, supervisor_client
):
    mo = make_account(sandbox_url, "myoperator")
    cpaas = make_account(sandbox_url, "cpaas")
    agent = agent_of(mo)
    lose_answer("myoperator", "clickOcall")
    place(supervisor_client, mo, "click_to_call", "+919833333301", agent=agent.pk)
    lose_answer("cpaas", "click2call")
    place(
        supervisor_client,
        cpaas,
        "click2call",
        "+919833333302",
        agent_number="+919876543210",
        caller_id=CPAAS_CALLER_ID,
        recording_option="off",
    )
    for call in Call.objects.all():
        assert call.status == "unknown" and not call.vendor_call_id
        poll_until_final(supervisor_client, call)
        call.refresh_from_db()
        assert call.status not in ("unknown", "rejected"), (call.kind, call.error)
        assert call.vendor_call_id and call.error == "" and "Found" in call.note
    assert sandbox_calls("myoperator", to_number="+919833333301").count() == 1
    assert sandbox_calls("cpaas", to_number__endswith="9833333302").count() == 1


@LIVE
def test_the_sandbox_can_lose_an_answer_after_placing_the_call(sandbox_url):
    import requests

    from telephony.vendors.myoperator.sandbox import SANDBOX_CREDENTIALS

    config = SandboxConfig.for_vendor("myoperator")
    config.timeout_seconds = 0.6
    config.save()
    body = {
        "company_id": SANDBOX_CREDENTIALS["company_id"],
        "secret_token": SANDBOX_CREDENTIALS["secret_token"],
        "type": "2",
        "number": "+919833333303",
        "public_ivr_id": IVR,
        "reference_id": "lost-header-1",
    }
    headers = {"x-api-key": SANDBOX_CREDENTIALS["x_api_key"], "X-Sandbox-Fault": "lost"}
    with pytest.raises(requests.Timeout):
        requests.post(
            f"{sandbox_url}/myoperator/obd-api-v1", json=body, headers=headers, timeout=0.3
        )
    assert sandbox_calls("myoperator", reference_id="lost-header-1").count() == 1
    time.sleep(0.8)  # the server's thread ends its lost answer before the test does
