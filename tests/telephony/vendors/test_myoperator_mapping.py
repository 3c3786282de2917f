"""MyOperator call logs -> NormalizedCDR: the status tables case by case, then every field.

The records are synthetic, shaped like the official `/search` sample (vendor-contracts.md
§2); none of the sample's real data is used."""

from datetime import UTC, datetime

import pytest

from telephony.vendors.base import CallStatus, MalformedResponse
from telephony.vendors.myoperator.mapping import (
    DIAL_STATUS,
    LOG_STATUS,
    MISSED_PRECEDENCE,
    is_call,
    log_status,
    log_to_cdr,
    parse_hms,
)

START = 1_780_000_000


def leg(ds="ANSWER", action="received", duration="00:01:00", **extra):
    return {
        "_an": False,
        "_wr": False,
        "_rst": "2026-05-28 10:00:00",
        "_ds": ds,
        "_did": "+9111609821",
        "received_by": [
            {
                "user_id": "a1c4e6f8b0d2e4f6",
                "name": "Asha Demo",
                "email": None,
                "extension": "11",
                "contact_number_raw": "9000000101",
                "contact_number": "+919000000101",
            }
        ],
        "transfered_to": [],
        "status": "1",
        "start_time": START + 5,
        "end_time": START + 65,
        "duration": duration,
        "action": action,
        **extra,
    }


def record(status=1, legs=None, **extra):
    answered = status == 1
    source = {
        "allcaller_id": "0" * 32,
        "source": "1",
        "company_id": "5f0c3a9e1d2b7",
        "caller_number_raw": "9000000201",
        "caller_number": "+919000000201",
        "_cm": "",
        "country": "91",
        "state": "DL, IN",
        "synced_time": START + 70,
        "start_time": START,
        "end_time": START + 66,
        "_ms": START * 1000,
        "seconds": 36000,
        "duration": "00:01:06",
        "_drm": 1.1,
        "type": 1,
        "event": 2,
        "filename": "ab" * 48 + "-v2.mp3" if answered else "",
        "fileurl": "https://example.invalid/audio/x-v2" if answered else "",
        "_ns": "2",
        "status": status,
        "department_name": "",
        "department_id": "",
        "additional_parameters": [
            {"ky": "unique_id", "vl": f"7.{START}.12000042"},
            {"ky": "is_starred", "vl": "0"},
        ],
        "comments": [],
        "log_details": legs if legs is not None else [leg()],
        "_an": 0,
        "_us": [{"ky": "a1c4e6f8b0d2e4f6", "vl": "received" if answered else "missed"}],
        "_tc": [{"ye": "a1c4e6f8b0d2e4f6", "yf": 60}] if answered else [],
        "_ri": "c0ffee" * 5,
        "_ji": "job-1",
        "_ivid": "66f2a1c0b3d94",
        "_cri": "ref-123",
        "_rv": False,
    }
    source.update(extra)
    return source


def missed_leg(ds):
    return leg(ds=ds, action="missed", duration="00:00:00")


# --- the tables, case by case --------------------------------------------------------------


@pytest.mark.parametrize("code, expected", sorted(LOG_STATUS.items()))
def test_each_log_status_maps_to_its_normalized_status(code, expected):
    legs = [leg()] if code == 1 else [missed_leg("NOANSWER")]
    assert log_status(record(status=code, legs=legs)) == expected


@pytest.mark.parametrize("code, expected", sorted(LOG_STATUS.items()))
def test_a_log_status_sent_as_a_string_maps_the_same(code, expected):
    legs = [leg()] if code == 1 else [missed_leg("NOANSWER")]
    assert log_status(record(status=str(code), legs=legs)) == expected


@pytest.mark.parametrize("dial_status, meaning", sorted(DIAL_STATUS.items()))
def test_each_leg_dial_status_refines_a_missed_call(dial_status, meaning):
    expected = meaning if meaning in MISSED_PRECEDENCE else CallStatus.NO_ANSWER
    assert log_status(record(status=2, legs=[missed_leg(dial_status)])) == expected


@pytest.mark.parametrize(
    "dial_statuses, expected",
    [
        ([], CallStatus.NO_ANSWER),
        (["NOANSWER", "NOANSWER"], CallStatus.NO_ANSWER),
        (["NOANSWER", "CANCEL"], CallStatus.CANCELLED),
        (["CANCEL", "BUSY"], CallStatus.BUSY),
        (["CHANUNAVAIL", "CONGESTION"], CallStatus.UNAVAILABLE),
        (["busy"], CallStatus.BUSY),
        (["SOMETHING_NEW"], CallStatus.NO_ANSWER),
    ],
)
def test_legs_that_disagree_follow_the_precedence(dial_statuses, expected):
    legs = [missed_leg(ds) for ds in dial_statuses]
    assert log_status(record(status=2, legs=legs)) == expected


def test_an_answered_log_stays_answered_whatever_its_legs_say():
    legs = [missed_leg("BUSY"), leg()]
    assert log_status(record(status=1, legs=legs)) == CallStatus.ANSWERED


@pytest.mark.parametrize("status", [0, 4, None, "x"])
def test_an_unknown_log_status_is_a_malformed_response_not_a_guess(status):
    with pytest.raises(MalformedResponse, match="Unknown MyOperator log status"):
        log_status(record(status=status))


@pytest.mark.parametrize(
    "text, seconds",
    [("00:01:06", 66), ("01:00:00", 3600), ("00:00:00", 0), ("", 0), (None, 0), (42, 42)],
)
def test_durations_in_hh_mm_ss_become_seconds(text, seconds):
    assert parse_hms(text) == seconds


# --- whole records -------------------------------------------------------------------------


def test_an_answered_outgoing_log_becomes_a_full_normalized_record():
    cdr = log_to_cdr(record())
    assert cdr.vendor_call_id == f"7.{START}.12000042"
    assert cdr.status == CallStatus.ANSWERED and cdr.vendor_status == "answered"
    assert cdr.direction == "outbound"
    assert cdr.customer_number == "+919000000201" and cdr.caller_id == "+9111609821"
    assert cdr.agent == "Asha Demo"
    assert cdr.started_at == datetime.fromtimestamp(START, UTC)
    assert cdr.ended_at == datetime.fromtimestamp(START + 66, UTC)
    assert cdr.answered_at == datetime.fromtimestamp(START + 6, UTC)
    assert (cdr.duration_seconds, cdr.billable_seconds) == (66, 60)
    assert cdr.recording_ref == "ab" * 48 + "-v2.mp3"
    assert cdr.reference_id == "ref-123" and cdr.vendor_campaign_id == "66f2a1c0b3d94"
    assert cdr.raw["_ri"] == "c0ffee" * 5


def test_a_missed_incoming_log_has_no_answer_time_recording_or_billable_seconds():
    cdr = log_to_cdr(record(status=2, legs=[missed_leg("BUSY")], event=1, duration="00:00:12"))
    assert cdr.status == CallStatus.BUSY and cdr.vendor_status == "missed (BUSY)"
    assert cdr.direction == "inbound"
    assert cdr.answered_at is None and cdr.billable_seconds == 0 and cdr.recording_ref == ""
    assert cdr.duration_seconds == 12


def test_a_voicemail_log_maps_to_voicemail():
    cdr = log_to_cdr(record(status=3, legs=[missed_leg("NOANSWER")]))
    assert cdr.status == CallStatus.VOICEMAIL and cdr.billable_seconds == 0


def test_talk_time_falls_back_to_the_received_legs_without_tc():
    source = record(_tc=[], log_details=[leg(duration="00:00:40"), missed_leg("NOANSWER")])
    assert log_to_cdr(source).billable_seconds == 40


def test_the_call_id_falls_back_to_the_obd_ref_id_without_a_unique_id():
    assert log_to_cdr(record(additional_parameters=[])).vendor_call_id == "c0ffee" * 5


def test_the_customer_number_is_rebuilt_from_country_and_raw_number():
    assert log_to_cdr(record(caller_number="")).customer_number == "+919000000201"


def test_an_anonymous_leg_names_the_second_number_as_agent():
    person = {"user_id": "", "name": "", "email": None, "contact_number": "+919999999999"}
    source = record(_tc=[], log_details=[leg(received_by=[person])])
    assert log_to_cdr(source).agent == "+919999999999"


def test_an_ivr_call_without_legs_still_maps():
    cdr = log_to_cdr(record(log_details=[], _tc=[]))
    assert cdr.status == CallStatus.ANSWERED and cdr.caller_id == "" and cdr.agent == ""


def test_only_call_logs_are_calls_not_sms():
    assert is_call(record(type=1)) and not is_call(record(type=2))
