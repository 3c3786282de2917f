"""CPaaS statuses and CDR rows map to the normalized taxonomy, case by case; the vendor's
answers are classified into typed errors. No HTTP here: pure functions."""

import json
from datetime import UTC, datetime

import pytest

from telephony.vendors.base import (
    AuthFailed,
    CallStatus,
    MalformedResponse,
    RateLimited,
    Rejected,
    Unavailable,
)
from telephony.vendors.cpaas.mapping import (
    CALL_STATUS_MAP,
    DIAL_STATUS_MAP,
    STATISTICS_KEYS,
    cdr_vendor_id,
    http_date,
    normalize_status,
    parse_http_date,
    to_normalized_cdr,
)
from telephony.vendors.cpaas.simulation import OUTCOME_STATUSES
from telephony.vendors.cpaas.types import CdrStatistics, CpaasCampaign, placeholders
from telephony.vendors.cpaas.validation import classify
from telephony.vendors.http import VendorResponse

# The document's own CDR samples (get_cdr_by_date, by_request_id, by_campaign_id).
DOC_OTP_ROW = {
    "account_id": "ACvjfnvjnfs",
    "agent_number": "",
    "answer": "Fri, 07 Jul 2023 06:08:09 GMT",
    "billsec": 7.26955,
    "call_date": "Fri, 07 Jul 2023 06:08:16 GMT",
    "call_direction": "outbound-api",
    "call_duration": 17.0311,
    "call_status": "ANSWERED",
    "caller_id": "15168148111",
    "customer_number": "91997927XXXX",
    "destination_context": "local_call",
    "dial_status": "ANSWER",
    "dialed_number": "91997927XXXX",
    "dtmf_inputs": "",
    "end": "Fri, 07 Jul 2023 06:08:16 GMT",
    "id": 352,
    "recording_name": "",
    "request_id": "b5e66bf36f",
    "uniqueid": "1688710079.868",
}
DOC_DND_ROW = {
    "account_id": "ACvjfnvjnfs",
    "agent_number": "",
    "answer": "Thu, 01 Jan 1970 00:00:00 GMT",
    "billsec": None,
    "call_date": "Tue, 18 Jul 2023 06:11:10 GMT",
    "call_direction": "outbound-campaign",
    "call_duration": None,
    "call_status": None,
    "caller_id": "15168148720",
    "customer_number": "",
    "destination_context": "local_call_campaign_type_0",
    "dial_status": "DND",
    "dialed_number": "91800068XXXX",
    "dtmf_inputs": "",
    "end": "Thu, 01 Jan 1970 00:00:00 GMT",
    "id": 444,
    "is_dnd": "1",
    "list_id": "LS50f6ec70b7",
    "recording_name": "",
    "request_id": "",
    "uniqueid": "",
}
DOC_CAMPAIGN_ROW = {
    **DOC_DND_ROW,
    "answer": "Tue, 18 Jul 2023 06:11:19 GMT",
    "billsec": 11.2202,
    "call_date": "Tue, 18 Jul 2023 06:11:30 GMT",
    "call_duration": 19.8233,
    "call_status": "ANSWERED",
    "dial_status": "ANSWER",
    "dialed_number": "91997927XXXX",
    "end": "Tue, 18 Jul 2023 06:11:30 GMT",
    "id": 445,
    "is_dnd": "0",
    "uniqueid": "1689660670.1179",
}


@pytest.mark.parametrize(("dial_status", "expected"), DIAL_STATUS_MAP.items())
def test_each_dial_status_maps_to_its_normalized_status(dial_status, expected):
    assert normalize_status(None, dial_status) is expected


@pytest.mark.parametrize(("call_status", "expected"), CALL_STATUS_MAP.items())
def test_each_disposition_maps_when_there_is_no_dial_status(call_status, expected):
    assert normalize_status(call_status, "") is expected


@pytest.mark.parametrize(
    ("call_status", "dial_status", "expected"),
    [
        # Asterisk logs CHANUNAVAIL and CONGESTION as the disposition FAILED: the finer
        # DIALSTATUS wins.
        ("FAILED", "CHANUNAVAIL", CallStatus.UNAVAILABLE),
        ("FAILED", "CONGESTION", CallStatus.CONGESTION),
        ("NO ANSWER", "CANCEL", CallStatus.CANCELLED),
        (None, "DND", CallStatus.DND_BLOCKED),
        ("answered", "answer", CallStatus.ANSWERED),
        ("no_answer", "", CallStatus.NO_ANSWER),
        ("BUSY", "SOMETHING NEW", CallStatus.BUSY),
        (None, None, CallStatus.FAILED),
        ("WHATEVER", "UNKNOWN", CallStatus.FAILED),
    ],
)
def test_dial_status_wins_over_the_disposition_and_unknowns_fail(
    call_status, dial_status, expected
):
    assert normalize_status(call_status, dial_status) is expected


@pytest.mark.parametrize(("outcome", "statuses"), OUTCOME_STATUSES.items())
def test_every_simulated_outcome_maps_back_to_the_same_normalized_status(outcome, statuses):
    expected = {"failed": CallStatus.CONGESTION}.get(outcome, CallStatus(outcome))
    assert normalize_status(*statuses) is expected


def test_the_documents_otp_row_normalizes_with_its_times_and_ids():
    cdr = to_normalized_cdr(DOC_OTP_ROW)
    assert cdr.vendor_call_id == "b5e66bf36f"
    assert cdr.reference_id == "b5e66bf36f"
    assert cdr.status is CallStatus.ANSWERED
    assert cdr.vendor_status == "ANSWERED"
    assert cdr.direction == "outbound"
    assert cdr.customer_number == "91997927XXXX"
    assert cdr.caller_id == "15168148111"
    # uniqueid carries the channel's creation epoch: the call's start.
    assert cdr.started_at == datetime(2023, 7, 7, 6, 7, 59, tzinfo=UTC)
    assert cdr.answered_at == datetime(2023, 7, 7, 6, 8, 9, tzinfo=UTC)
    assert cdr.ended_at == datetime(2023, 7, 7, 6, 8, 16, tzinfo=UTC)
    assert (cdr.duration_seconds, cdr.billable_seconds) == (17, 7)
    assert cdr.raw == DOC_OTP_ROW


def test_a_dnd_campaign_row_is_dnd_blocked_with_no_answer_or_end_time():
    cdr = to_normalized_cdr(DOC_DND_ROW, campaign_id="CM39139118b8")
    assert cdr.status is CallStatus.DND_BLOCKED
    assert cdr.vendor_call_id == "cdr-444"
    assert cdr.vendor_campaign_id == "CM39139118b8"
    assert cdr.answered_at is None and cdr.ended_at is None
    assert cdr.started_at == datetime(2023, 7, 18, 6, 11, 10, tzinfo=UTC)
    assert cdr.customer_number == "91800068XXXX"  # dialed_number when customer is blank
    assert (cdr.duration_seconds, cdr.billable_seconds) == (0, 0)


def test_a_campaign_row_without_request_id_is_keyed_by_its_asterisk_uniqueid():
    cdr = to_normalized_cdr(DOC_CAMPAIGN_ROW, campaign_id="CM39139118b8")
    assert cdr.vendor_call_id == "1689660670.1179"
    assert cdr.reference_id == ""
    assert cdr.status is CallStatus.ANSWERED


def test_recording_name_and_dtmf_become_recording_ref_and_dtmf():
    row = {**DOC_CAMPAIGN_ROW, "recording_name": "abc.wav", "dtmf_inputs": "2"}
    cdr = to_normalized_cdr(row)
    assert (cdr.recording_ref, cdr.dtmf) == ("abc.wav", "2")
    assert cdr_vendor_id({"id": 7}) == "cdr-7"


def test_inbound_directions_are_inbound():
    assert to_normalized_cdr({**DOC_OTP_ROW, "call_direction": "inbound"}).direction == "inbound"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Fri, 07 Jul 2023 06:08:16 GMT", datetime(2023, 7, 7, 6, 8, 16, tzinfo=UTC)),
        ("Thu, 01 Jan 1970 00:00:00 GMT", None),
        ("", None),
        (None, None),
        ("yesterday", None),
    ],
)
def test_http_dates_parse_and_the_epoch_means_none(value, expected):
    assert parse_http_date(value) == expected


def test_http_date_round_trips():
    moment = datetime(2024, 2, 29, 23, 59, 1, tzinfo=UTC)
    assert http_date(moment) == "Thu, 29 Feb 2024 23:59:01 GMT"
    assert parse_http_date(http_date(moment)) == moment


def test_statistics_counters_are_read_from_one_element_lists():
    doc = {
        "answer_calls": [5],
        "busy_calls": [0],
        "cancel_calls": [0],
        "chanunavail_calls": [0],
        "congestion_calls": [0],
        "dnd_calls": [4],
        "noanswer_calls": [0],
        "total_calls": [9],
    }
    stats = CdrStatistics.from_result(doc)
    assert stats.total == 9
    assert stats[CallStatus.ANSWERED] == 5
    assert stats[CallStatus.DND_BLOCKED] == 4
    assert set(stats.counts) == set(STATISTICS_KEYS.values())
    with pytest.raises(MalformedResponse):
        CdrStatistics.from_result({"answer_calls": ["many"]})


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("0", "pending"),
        ("1", "running"),
        ("2", "completed"),
        ("3", "stopped"),
        ("9", "unknown (9)"),
    ],
)
def test_campaign_status_codes_follow_the_guessed_table(code, status):
    row = {
        "calls_per_minute": "10",
        "campaign_caller_id": "15168148111",
        "campaign_end_date": "Wed, 12 Jul 2023 20:00:00 GMT",
        "campaign_id": "CMf32a68bc63",
        "campaign_name": "test_broadcast_campaign_max",
        "campaign_start_date": "Tue, 11 Jul 2023 09:00:00 GMT",
        "campaign_status": code,
        "campaign_type": "0",
        "max_retries": "1",
        "repeat_announcement_count": "3",
        "retry_time": "60",
    }
    campaign = CpaasCampaign.from_row(row)
    assert campaign.status == status
    assert campaign.start == datetime(2023, 7, 11, 9, 0)  # local wall time, naive
    assert (campaign.calls_per_minute, campaign.repeat, campaign.retry_time) == (10, 3, 60)


def test_placeholders_are_the_field_names_of_a_dynamic_announcement():
    text = "Dear, {field1} , {field2}, Your due balance is,, {field3},,INR only"
    assert placeholders(text) == ["field1", "field2", "field3"]


# --- classification of answers -------------------------------------------------------


def answer(status: int, body, headers=None) -> VendorResponse:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    try:
        data = json.loads(content)
    except ValueError:
        data = None
    return VendorResponse(status_code=status, headers=headers or {}, content=content, data=data)


@pytest.mark.parametrize(
    ("status", "body", "error_class", "message"),
    [
        (401, {"status": "error", "message": "Invalid account or auth"}, AuthFailed, None),
        # Small self-hosted apps often answer errors with HTTP 200 (vendor-contracts.md).
        (200, {"status": "error", "message": "Invalid account or auth"}, AuthFailed, None),
        (400, {"status": "error", "message": "list_id is required"}, Rejected, None),
        (200, {"status": "error", "message": "list_id is required"}, Rejected, None),
        (404, {"status": "error", "message": "campaign_id not found"}, Rejected, None),
        (429, {"status": "error", "message": "too many requests"}, RateLimited, None),
        (500, {"status": "error", "message": "internal server error"}, Unavailable, None),
        (
            200,
            {"response": {"message": "list name exists", "success": "false"}},
            Rejected,
            "list name exists",
        ),
        (200, {"response": "ok"}, MalformedResponse, "The CPaaS answer has no 'response' object."),
        (200, [1, 2], MalformedResponse, "The CPaaS answer has no 'response' object."),
        (200, b"", MalformedResponse, "The CPaaS server sent an empty answer."),
    ],
)
def test_vendor_answers_become_typed_errors_with_the_vendors_words(
    status, body, error_class, message
):
    error = classify(answer(status, body))
    assert type(error) is error_class
    expected = message or body["message"]
    assert error.message == expected


def test_a_rate_limit_carries_retry_after():
    error = classify(answer(429, {"status": "error", "message": "slow down"}, {"Retry-After": "3"}))
    assert isinstance(error, RateLimited) and error.retry_after == 3.0


def test_an_empty_read_is_not_an_error_only_where_the_caller_expects_lists():
    empty = answer(
        200, {"response": {"message": "cdr not found", "result": [], "success": "false"}}
    )
    assert classify(empty, empty_ok=True) is None
    assert isinstance(classify(empty), Rejected)


def test_a_success_without_the_documented_key_is_malformed():
    body = {"response": {"success": "true"}}
    error = classify(answer(200, body), required=("request_id",))
    assert isinstance(error, MalformedResponse)
    assert "request_id" in error.message
    assert (
        classify(answer(200, {"response": {"request_id": "x"}}), required=("request_id",)) is None
    )


def test_non_json_bodies_are_left_to_the_seam():
    assert classify(answer(200, b"<html>oops</html>")) is None
    assert classify(answer(502, b"<html>Bad Gateway</html>")) is None
