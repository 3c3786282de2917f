# ruff: noqa: F811 (pytest fixtures are imported by name, then requested as arguments)
"""The MyOperator client against its sandbox over real HTTP: OBD calls, logs, filters,
click-to-call, recordings and users, on their success and vendor-error paths."""

import re
import time
from datetime import UTC, datetime

import pytest
import requests

from telephony.models import Call, CallRecord, SandboxCall
from telephony.vendors.base import (
    AuthFailed,
    CallStatus,
    Fault,
    InvalidRequest,
    PlacedCall,
    Rejected,
)
from telephony.vendors.myoperator import sandbox
from telephony.vendors.myoperator.client import (
    DuplicateReference,
    LogFilter,
    MyOperatorClient,
    MyOperatorUser,
)
from telephony.vendors.myoperator.sandbox_logs import did_e164
from telephony.vendors.registry import client_for
from telephony.vendors.sandbox_kit import outcome_for
from tests.telephony.vendors.myoperator_fixtures import (  # noqa: F401 (fixtures)
    AGENT,
    AGENT_2,
    COMPANY,
    IVR,
    fast_calls,
    mo,
    mo_account,
    number_with,
    ref,
    wait_for_logs,
)


def endpoints(rows):
    return [(row.method, row.endpoint) for row in rows]


def now_unix() -> int:
    return int(time.time())


# --- connection ----------------------------------------------------------------------------


def test_the_registry_builds_a_myoperator_client_for_a_myoperator_account(mo_account):
    assert isinstance(client_for(mo_account), MyOperatorClient)


def test_check_connection_reads_the_filters_list_and_places_no_call(mo, mo_account, audit_rows):
    check = mo.check_connection()
    assert check.ok
    assert "REST API token accepted" in check.message and "12 log filters" in check.message
    assert "OBD credentials present" in check.message
    assert endpoints(audit_rows(mo_account)) == [("GET", "filters")]
    assert not SandboxCall.objects.filter(vendor="myoperator", created_at__gt=mo_account.created_at)


def test_test_connection_with_a_bad_token_shows_the_vendors_words(make_account, sandbox_url):
    kwargs = sandbox.demo_account(sandbox_url)
    kwargs["secrets"]["rest_token"] = "not-the-token"
    account = make_account(**kwargs)
    result = account.test_connection()
    account.refresh_from_db()
    assert result.ok is False and account.last_test_ok is False
    assert account.last_test_message == "This not an authorized request"


def test_check_connection_without_a_rest_token_is_red_and_says_why(make_account, sandbox_url):
    kwargs = sandbox.demo_account(sandbox_url)
    del kwargs["secrets"]["rest_token"]
    check = MyOperatorClient(make_account(**kwargs)).check_connection()
    assert check.ok is False and "No REST API token" in check.message


# --- OBD -----------------------------------------------------------------------------------


def test_a_peer_to_peer_call_to_a_panel_user_is_accepted(mo, mo_account, audit_rows):
    reference = ref()
    placed = mo.call_user(
        number="+919212992129", user_id=AGENT, public_ivr_id=IVR, reference_id=reference
    )
    assert isinstance(placed, PlacedCall)
    assert placed.reference_id == reference and placed.message == "Request accepted successfully"
    assert placed.raw["code"] == "200"
    call = SandboxCall.objects.get(vendor="myoperator", call_id=placed.vendor_call_id)
    assert (call.tenant, call.reference_id, call.to_number) == (COMPANY, reference, "+919212992129")
    assert call.params["user_id"] == AGENT and call.params["type"] == "1"
    rows = audit_rows(mo_account)
    assert endpoints(rows) == [("POST", "obd-api-v1")] and rows[0].ok


def test_a_peer_to_peer_call_to_a_second_number_is_accepted(mo):
    placed = mo.call_numbers(
        number="+919212992129", number_2="+919999999999", public_ivr_id=IVR, reference_id=ref()
    )
    call = SandboxCall.objects.get(call_id=placed.vendor_call_id)
    assert call.params["number_2"] == "+919999999999" and "user_id" not in call.params


def test_an_ivr_call_is_accepted_with_type_2(mo):
    placed = mo.call_ivr(number="+919212992129", public_ivr_id=IVR, reference_id=ref())
    call = SandboxCall.objects.get(call_id=placed.vendor_call_id)
    assert call.params["type"] == "2" and call.params["public_ivr_id"] == IVR


@pytest.mark.parametrize(
    "dedicated, allowed",
    [
        ({"caller_id": "011609822"}, {"011609822"}),
        ({"caller_id": "011609822", "group": "gr3", "region": "Noida"}, {"011609822"}),
        ({"group": "gr3"}, {"0122666661", "0122666662"}),
        ({"group": "gr2", "region": "Noida"}, {"011709821", "011709822"}),
        ({"region": "Noida"}, {"0122666661", "0122666662", "0122766661", "0122766662"}),
    ],
)
def test_the_dedicated_did_follows_caller_id_then_group_then_region(mo, dedicated, allowed):
    placed = mo.call_ivr(number="+919212992129", public_ivr_id=IVR, reference_id=ref(), **dedicated)
    call = SandboxCall.objects.get(call_id=placed.vendor_call_id)
    assert call.params["did"] in allowed
    assert call.from_number == did_e164(call.params["did"])
    for name, value in dedicated.items():
        assert call.params[name] == value  # sent as given


def test_max_call_duration_is_sent_as_an_integer_and_caps_the_talk_time(mo):
    number = number_with("answered")
    placed = mo.call_ivr(number=number, public_ivr_id=IVR, reference_id=ref(), max_call_duration=5)
    call = SandboxCall.objects.get(call_id=placed.vendor_call_id)
    assert call.params["max_call_duration"] == 5 and call.talk_seconds == 5


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"number": "9212992129"}, "number"),
        ({"number": "919212992129"}, "number"),
        ({"number": "+91 92129 92129"}, "number"),
        ({"user_id": AGENT, "number_2": "+919999999999"}, "user_id"),
        ({"user_id": None}, "user_id"),
        ({"call_type": 2}, "user_id"),
        ({"call_type": 3}, "call_type"),
        ({"user_id": None, "number_2": "9999999999"}, "number_2"),
        ({"max_call_duration": 5401}, "max_call_duration"),
        ({"max_call_duration": "300"}, "max_call_duration"),
        ({"max_call_duration": 0}, "max_call_duration"),
        ({"reference_id": ""}, "reference_id"),
        ({"reference_id": "x" * 65}, "reference_id"),
        ({"public_ivr_id": ""}, "public_ivr_id"),
        ({"call_hold": "yes"}, "call_hold"),
    ],
)
def test_obd_requests_the_vendor_would_reject_are_stopped_before_sending(
    mo, mo_account, audit_rows, changes, field
):
    kwargs = {
        "number": "+919212992129",
        "public_ivr_id": IVR,
        "reference_id": ref(),
        "user_id": AGENT,
        "call_type": 1,
    }
    kwargs.update(changes)
    with pytest.raises(InvalidRequest) as caught:
        mo.place_obd_call(**kwargs)
    assert field in caught.value.errors
    assert audit_rows(mo_account) == []


def test_max_call_duration_of_exactly_5400_is_allowed(mo):
    placed = mo.call_ivr(
        number="+919212992129", public_ivr_id=IVR, reference_id=ref(), max_call_duration=5400
    )
    assert placed.vendor_call_id


def test_an_account_without_obd_credentials_cannot_place_calls(make_account, sandbox_url):
    kwargs = sandbox.demo_account(sandbox_url)
    del kwargs["secrets"]["x_api_key"]
    client = MyOperatorClient(make_account(**kwargs))
    with pytest.raises(InvalidRequest) as caught:
        client.call_ivr(number="+919212992129", public_ivr_id=IVR, reference_id=ref())
    assert "x_api_key" in caught.value.errors


def test_a_reused_reference_id_is_a_typed_rejection_with_the_vendors_message(
    mo, mo_account, audit_rows
):
    reference = ref()
    mo.call_ivr(number="+919212992129", public_ivr_id=IVR, reference_id=reference)
    with pytest.raises(DuplicateReference) as caught:
        mo.call_ivr(number="+919212992130", public_ivr_id=IVR, reference_id=reference)
    error = caught.value
    assert isinstance(error, Rejected) and error.status_code == 403
    assert error.message.startswith("Kindly choose any other reference ID")
    assert "already taken" in error.message
    assert 172_700 < error.remaining_ttl <= 172_800
    # Never retried: one attempt per request.
    assert [row.attempt for row in audit_rows(mo_account)] == [1, 1]


def test_a_bad_x_api_key_is_auth_failed_with_the_gateways_forbidden(make_account, sandbox_url):
    kwargs = sandbox.demo_account(sandbox_url)
    kwargs["secrets"]["x_api_key"] = "wrong-key-value"
    client = MyOperatorClient(make_account(**kwargs))
    with pytest.raises(AuthFailed) as caught:
        client.call_ivr(number="+919212992129", public_ivr_id=IVR, reference_id=ref())
    assert caught.value.message == "Forbidden" and caught.value.status_code == 403


def test_a_wrong_secret_token_is_auth_failed(make_account, sandbox_url):
    kwargs = sandbox.demo_account(sandbox_url)
    kwargs["secrets"]["secret_token"] = "wrong-secret-value"
    client = MyOperatorClient(make_account(**kwargs))
    with pytest.raises(AuthFailed) as caught:
        client.call_ivr(number="+919212992129", public_ivr_id=IVR, reference_id=ref())
    assert caught.value.status_code == 403


def test_an_unknown_public_ivr_is_rejected_with_the_vendors_message(mo):
    with pytest.raises(Rejected) as caught:
        mo.call_ivr(number="+919212992129", public_ivr_id="nope", reference_id=ref())
    assert caught.value.message == "Provide valid public_ivr_id in string format"
    assert caught.value.status_code == 404 and caught.value.vendor_code == "404"


def test_an_unknown_panel_user_is_rejected_with_the_vendors_message(mo):
    with pytest.raises(Rejected) as caught:
        mo.call_user(number="+919212992129", user_id="ffff", public_ivr_id=IVR, reference_id=ref())
    assert caught.value.message == "Provide either a Valid user_id or number_2 in string format"
    assert caught.value.status_code == 400


def test_too_many_calls_to_one_number_waits_for_the_numbers_next_day_and_is_not_retried(
    mo, mo_account, audit_rows, monkeypatch
):
    monkeypatch.setattr(sandbox, "MAX_CALLS_PER_NUMBER_PER_DAY", 1)
    mo.call_ivr(number="+919212990001", public_ivr_id=IVR, reference_id=ref())
    with pytest.raises(Rejected) as caught:
        mo.call_ivr(number="+919212990001", public_ivr_id=IVR, reference_id=ref())
    assert caught.value.message == "Maximum number of requests for this number have exceeded."
    # About this number only, until its next day: not a rate limit of the account.
    assert caught.value.fault == Fault.CONTACT and caught.value.next_day
    assert len(audit_rows(mo_account)) == 2


# --- logs ----------------------------------------------------------------------------------


def test_placed_calls_show_up_in_the_logs_once_they_end(mo, fast_calls):
    since = now_unix() - 1
    references = {}
    for outcome in ("answered", "busy", "no_answer"):
        reference = ref()
        number = number_with(outcome)
        mo.call_user(number=number, user_id=AGENT, public_ivr_id=IVR, reference_id=reference)
        references[reference] = (outcome, number)
    logs = wait_for_logs(mo, references, date_from=since)
    assert set(logs) == set(references)
    for reference, (outcome, number) in references.items():
        log = logs[reference]
        assert log["caller_number"] == number and log["company_id"] == COMPANY
        assert log["status"] == (1 if outcome == "answered" else 2)
        assert log["_ivid"] == IVR and log["_ns"] == "2" and log["event"] == 2
        assert bool(log["filename"]) == (outcome == "answered")


def test_a_call_still_in_progress_has_no_log_yet(mo, sandbox_config):
    sandbox_config("myoperator", time_scale=1.0)
    since = now_unix() - 1
    reference = ref()
    mo.call_ivr(number=number_with("answered"), public_ivr_id=IVR, reference_id=reference)
    assert [log for log in mo.iter_logs(date_from=since) if log["_cri"] == reference] == []


def test_iter_cdrs_maps_logs_to_normalized_records_that_upsert_and_link_the_call(
    mo, mo_account, fast_calls
):
    since = now_unix() - 1
    expected = {
        "answered": CallStatus.ANSWERED,
        "busy": CallStatus.BUSY,
        "no_answer": CallStatus.NO_ANSWER,
        "unavailable": CallStatus.UNAVAILABLE,
        "failed": CallStatus.CONGESTION,
    }
    placed = {}
    for outcome in expected:
        reference = ref()
        number = number_with(outcome)
        Call.objects.create(
            account=mo_account, kind="p2p", to_number=number, reference_id=reference
        )
        mo.call_user(number=number, user_id=AGENT, public_ivr_id=IVR, reference_id=reference)
        placed[reference] = outcome
    wait_for_logs(mo, placed, date_from=since)
    cdrs = {cdr.reference_id: cdr for cdr in mo.iter_cdrs(date_from=since)}
    for reference, outcome in placed.items():
        cdr = cdrs[reference]
        assert cdr.status == expected[outcome]
        assert cdr.agent == "Asha Demo" and cdr.direction == "outbound"
        assert cdr.caller_id.startswith("+91")
        record = CallRecord.upsert(mo_account, cdr)
        assert record.call.reference_id == reference
        if outcome == "answered":
            assert cdr.recording_ref.endswith("-v2.mp3") and cdr.billable_seconds > 0
            assert cdr.duration_seconds > cdr.billable_seconds
    # Upserting again changes nothing.
    for cdr in cdrs.values():
        CallRecord.upsert(mo_account, cdr)
    assert CallRecord.objects.filter(account=mo_account).count() == len(cdrs)


def test_search_pages_with_log_from_until_a_short_page(mo, mo_account, audit_rows, fast_calls):
    since = now_unix() - 1
    references = [ref() for _ in range(5)]
    for reference in references:
        mo.call_ivr(number="+919212992129", public_ivr_id=IVR, reference_id=reference)
    wait_for_logs(mo, references, date_from=since)
    before = len(audit_rows(mo_account))
    logs = list(mo.iter_logs(date_from=since, page_size=2))
    assert sorted(log["_cri"] for log in logs) == sorted(references)
    searches = audit_rows(mo_account)[before:]
    offsets = [re.search(r'"log_from": "(\d+)"', row.request_excerpt).group(1) for row in searches]
    assert offsets == ["0", "2", "4"]


def test_search_stops_at_total_when_the_last_page_is_full(mo, mo_account, audit_rows, fast_calls):
    since = now_unix() - 1
    references = [ref() for _ in range(4)]
    for reference in references:
        mo.call_ivr(number="+919212992129", public_ivr_id=IVR, reference_id=reference)
    wait_for_logs(mo, references, date_from=since)
    before = len(audit_rows(mo_account))
    assert len(list(mo.iter_logs(date_from=since, page_size=2))) == 4
    assert len(audit_rows(mo_account)) - before == 2


def test_one_search_page_reports_total_and_the_next_offset(mo, fast_calls):
    since = now_unix() - 1
    references = [ref() for _ in range(3)]
    for reference in references:
        mo.call_ivr(number="+919212992129", public_ivr_id=IVR, reference_id=reference)
    wait_for_logs(mo, references, date_from=since)
    page = mo.search_logs(date_from=since, page_size=2)
    assert page.total == 3 and len(page.items) == 2 and page.next_cursor == 2
    last = mo.search_logs(date_from=since, page_size=2, log_from=2)
    assert len(last.items) == 1 and last.next_cursor is None


def test_search_filters_by_time_window_search_key_and_filter_expression(mo, fast_calls):
    since = now_unix() - 1
    answered, missed = number_with("answered"), number_with("no_answer")
    references = {ref(): answered, ref(): missed}
    for reference, number in references.items():
        mo.call_ivr(number=number, public_ivr_id=IVR, reference_id=reference)
    wait_for_logs(mo, references, date_from=since)

    connected = mo.filters_expression([12, 8, 6])
    assert connected == "12 AND 8 AND 6"
    found = [log["caller_number"] for log in mo.iter_logs(date_from=since, filters=connected)]
    assert found == [answered]
    missed_only = mo.filters_expression(["13", "8"])
    found = [log["caller_number"] for log in mo.iter_logs(date_from=since, filters=missed_only)]
    assert found == [missed]
    either = mo.filters_expression([12, 13])
    assert either == "12 OR 13"
    assert len(list(mo.iter_logs(date_from=since, filters=either))) == 2
    assert list(mo.iter_logs(date_from=since, filters="5")) == []  # incoming only

    found = list(mo.iter_logs(date_from=since, search_key=missed[3:]))
    assert [log["caller_number"] for log in found] == [missed]
    assert list(mo.iter_logs(date_from=since + 3600)) == []
    window = list(mo.iter_logs(date_from=since, date_to=datetime.now(UTC)))
    assert {log["_cri"] for log in window} >= set(references)


def test_the_seeded_demo_logs_include_incoming_calls(mo):
    incoming = list(mo.iter_logs(filters="5 AND 8"))
    assert len(incoming) == 3 and all(log["event"] == 1 for log in incoming)


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"page_size": 101}, "page_size"),
        ({"page_size": 0}, "page_size"),
        ({"log_from": -1}, "log_from"),
        ({"filters": "5 AND"}, "filters"),
        ({"filters": "(5 OR 6"}, "filters"),
        ({"filters": "(5 OR 6) AND 13"}, "filters"),
        ({"filters": "5; DROP"}, "filters"),
        ({"date_from": datetime(2026, 1, 1)}, "from"),
        ({"date_from": 200, "date_to": 100}, "to"),
    ],
)
def test_searches_the_vendor_would_reject_are_stopped_before_sending(
    mo, mo_account, audit_rows, kwargs, field
):
    with pytest.raises(InvalidRequest) as caught:
        mo.search_logs(**kwargs)
    assert field in caught.value.errors and audit_rows(mo_account) == []


def test_an_unknown_filter_id_is_refused_in_an_http_200_error_body(mo, mo_account, audit_rows):
    with pytest.raises(Rejected) as caught:
        mo.search_logs(filters="99")
    assert caught.value.message == "Invalid filters" and caught.value.status_code == 200
    assert len(audit_rows(mo_account)) == 1


def test_the_filters_list_has_categories_and_filters(mo):
    filters = {item.id: item for item in mo.list_filters()}
    assert isinstance(filters["5"], LogFilter)
    assert (filters["5"].name, filters["5"].parent_id) == ("Incoming", "4")
    assert filters["4"].is_category and not filters["13"].is_category


def test_filters_expression_joins_one_category_by_or_and_categories_by_and(mo):
    assert mo.filters_expression([5, 6]) == "5 OR 6"
    assert mo.filters_expression([5, 13, 8]) == "5 AND 13 AND 8"


def test_a_choice_that_would_need_parentheses_is_refused_with_why(mo, mo_account, audit_rows):
    with pytest.raises(InvalidRequest, match="no parentheses") as caught:
        mo.filters_expression([5, 6, 13])
    assert "one filter in each category" in caught.value.errors["filters"]
    with pytest.raises(InvalidRequest, match="no parentheses"):
        mo.search_logs(filters="(5 OR 6) AND 13")
    assert [row.endpoint for row in audit_rows(mo_account)] == ["filters"]


def test_filters_expression_refuses_categories_and_unknown_ids(mo):
    with pytest.raises(InvalidRequest, match="category"):
        mo.filters_expression([4])
    with pytest.raises(InvalidRequest, match="not a filter"):
        mo.filters_expression([5, 404])


# --- click-to-call and recordings --------------------------------------------------------


def test_click_to_call_places_a_call_for_a_panel_user(mo, mo_account, audit_rows):
    placed = mo.click_to_call(customer_number="9212992129", customer_cc="91", support_user_id=AGENT)
    assert placed.vendor_call_id and placed.message == "Call initiated successfully"
    call = SandboxCall.objects.get(call_id=placed.vendor_call_id)
    assert (call.kind, call.to_number, call.tenant) == ("clickocall", "+919212992129", COMPANY)
    rows = audit_rows(mo_account)
    assert endpoints(rows) == [("POST", "clickOcall")]
    # The token travels in the query string (seed 001), redacted in the audit row.
    assert "token=[redacted]" in rows[0].url
    assert mo_account.secrets["rest_token"] not in rows[0].url + rows[0].request_excerpt


def test_click_to_call_logs_carry_the_clickocall_source(mo, fast_calls):
    since = now_unix() - 1
    number = number_with("answered", start=500)
    mo.click_to_call(customer_number=number[3:], customer_cc="91", support_user_id=AGENT_2)
    deadline = time.monotonic() + 5
    logs = []
    while not logs and time.monotonic() < deadline:
        logs = [log for log in mo.iter_logs(date_from=since) if log["caller_number"] == number]
    assert logs and logs[0]["_ns"] == "1" and logs[0]["_cri"] == ""


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"customer_number": "+919212992129"}, "customer_number"),
        ({"customer_cc": "India"}, "customer_cc"),
        ({"support_user_id": ""}, "support_user_id"),
    ],
)
def test_click_to_call_validates_before_sending(mo, mo_account, audit_rows, kwargs, field):
    base = {"customer_number": "9212992129", "customer_cc": "91", "support_user_id": AGENT}
    with pytest.raises(InvalidRequest) as caught:
        mo.click_to_call(**{**base, **kwargs})
    assert field in caught.value.errors and audit_rows(mo_account) == []


def test_click_to_call_for_an_unknown_user_is_rejected_from_an_http_200_error(mo):
    with pytest.raises(Rejected) as caught:
        mo.click_to_call(customer_number="9212992129", customer_cc="91", support_user_id="nobody")
    assert caught.value.message == "Invalid support_user_id"


def test_a_recording_link_downloads_the_answered_calls_audio(mo, fast_calls):
    since = now_unix() - 1
    reference = ref()
    mo.call_ivr(number=number_with("answered"), public_ivr_id=IVR, reference_id=reference)
    log = wait_for_logs(mo, [reference], date_from=since)[reference]
    link = mo.recording_link(log["filename"])
    assert link.startswith("http")
    audio = requests.get(link, timeout=5)
    assert audio.status_code == 200 and audio.headers["Content-Type"] == "audio/mpeg"
    assert audio.content[:2] == b"\xff\xfb"
    # The log's fileurl is the panel player: it needs a panel session.
    assert requests.get(log["fileurl"], timeout=5).status_code == 403


def test_a_recording_link_for_an_unknown_file_is_rejected(mo):
    with pytest.raises(Rejected) as caught:
        mo.recording_link("0" * 96 + "-v2.mp3")
    assert caught.value.message == "Recording not found"
    with pytest.raises(InvalidRequest):
        mo.recording_link("")


# --- users ---------------------------------------------------------------------------------


def test_list_users_returns_the_panel_users_with_their_roles(mo):
    page = mo.list_users()
    users = {user.uuid: user for user in page.items}
    assert isinstance(users[AGENT], MyOperatorUser)
    assert users[AGENT].name == "Asha Demo" and users[AGENT].role == "SuperAdmin"
    assert users[AGENT].extension == 11 and users[AGENT].is_enabled
    assert page.next_cursor is None


def test_list_users_searches_by_keyword(mo):
    assert [user.name for user in mo.list_users(keyword="meera").items] == ["Meera Demo"]
    assert [user.name for user in mo.list_all_users(keyword="9000000104")] == ["Kabir Demo"]


def test_iter_users_walks_every_page(mo, mo_account, audit_rows):
    for n in range(3):
        mo.add_user(name=f"Paged {n}", contact_number=f"90000007{n:02d}", country_code="91")
    before = len(audit_rows(mo_account))
    users = list(mo.iter_users(page_size=2))
    assert len(users) == 7 and len({user.uuid for user in users}) == 7
    pages = audit_rows(mo_account)[before:]
    assert len(pages) == 4 and all("page-size=2" in row.url for row in pages)


def test_list_all_users_asks_for_everything_at_once(mo, mo_account, audit_rows):
    assert len(mo.list_all_users()) == 4
    assert "_all=1" in audit_rows(mo_account)[-1].url


def test_add_user_returns_the_new_user(mo, mo_account, audit_rows):
    user = mo.add_user(
        name="Nia New",
        contact_number="9000000555",
        country_code="+91",
        extension=55,
        email="nia@example.com",
        alternate_contact_number="9000000556",
        alternate_cc="91",
        panel_access=2,
        receive_calls=1,
        contact_type="SIP",
    )
    assert user.uuid and user.name == "Nia New" and user.extension == 55
    assert user.raw["contact_type"] == "sip" and user.raw["panel_access"] == "2"
    assert user.alternate_number == "9000000556" and user.role == "Basic"
    assert audit_rows(mo_account)[-1].attempt == 1
    assert user.uuid in {u.uuid for u in mo.list_all_users()}


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"name": ""}, "name"),
        ({"contact_number": ""}, "contact_number"),
        ({"contact_number": "+919000000555"}, "contact_number"),
        ({"country_code": ""}, "country_code"),
        ({"extension": "55"}, "extension"),
        ({"extension": 5.5}, "extension"),
        ({"email": "not-an-email"}, "email"),
        ({"alternate_contact_number": "9000000556"}, "alternate_cc"),
        ({"panel_access": 3}, "panel_access"),
        ({"receive_calls": 0}, "receive_calls"),
        ({"contact_type": "pigeon"}, "contact_type"),
    ],
)
def test_add_user_validates_before_sending(mo, mo_account, audit_rows, changes, field):
    kwargs = {"name": "Nia", "contact_number": "9000000555", "country_code": "91", **changes}
    with pytest.raises(InvalidRequest) as caught:
        mo.add_user(**kwargs)
    assert field in caught.value.errors and audit_rows(mo_account) == []


def test_add_user_with_a_taken_extension_is_rejected_with_the_vendors_message(mo):
    with pytest.raises(Rejected) as caught:
        mo.add_user(name="Dup", contact_number="9000000999", country_code="91", extension=11)
    assert caught.value.message == "Extension is already assigned to another user"


def test_update_user_changes_the_user_and_returns_the_vendors_message(mo, mo_account, audit_rows):
    message = mo.update_user(uuid=AGENT_2, name="Ravi Renamed", extension=42)
    assert message == "User updated successfully"
    users = {user.uuid: user for user in mo.list_all_users()}
    assert users[AGENT_2].name == "Ravi Renamed" and users[AGENT_2].extension == 42
    assert ("PUT", "user") in endpoints(audit_rows(mo_account))


def test_update_user_needs_a_uuid_and_known_fields(mo, mo_account, audit_rows):
    with pytest.raises(InvalidRequest) as caught:
        mo.update_user(uuid="", name="X")
    assert "uuid" in caught.value.errors
    with pytest.raises(InvalidRequest) as caught:
        mo.update_user(uuid=AGENT, role_id=1)
    assert "role_id" in caught.value.errors
    with pytest.raises(InvalidRequest) as caught:
        mo.update_user(uuid=AGENT, extension="twelve")
    assert "extension" in caught.value.errors
    assert audit_rows(mo_account) == []


def test_update_of_an_unknown_user_is_rejected_from_an_http_200_error(mo):
    with pytest.raises(Rejected) as caught:
        mo.update_user(uuid="0000000000000000", name="Ghost")
    assert caught.value.message == "User not found" and caught.value.vendor_code == 404


def test_list_users_validates_paging_before_sending(mo, mo_account, audit_rows):
    with pytest.raises(InvalidRequest):
        mo.list_users(page_size=101)
    with pytest.raises(InvalidRequest):
        mo.list_users(page=0)
    assert audit_rows(mo_account) == []


def test_outcomes_are_those_of_the_shared_lifecycle(mo):
    number = number_with("busy")
    placed = mo.call_ivr(number=number, public_ivr_id=IVR, reference_id=ref())
    call = SandboxCall.objects.get(call_id=placed.vendor_call_id)
    assert call.outcome == outcome_for(number, 0).status == "busy"
