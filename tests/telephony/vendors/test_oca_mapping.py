"""OCA call-status records -> CallStatus and NormalizedCDR, case by case."""

from datetime import UTC, datetime

import pytest

from telephony.vendors.base import CallStatus
from telephony.vendors.oca.mapping import (
    HANGUP_CAUSE_TABLE,
    STATUS_TABLE,
    cdr_from_status,
    dtmf_from_result,
    map_status,
    parse_time,
)

# The doc's call-status sample (seed 004 / the GitBook page), result[] included.
DOC_SAMPLE = {
    "from_number": "62857xxxxxxx",
    "to_number": "081212xxxxxxxx",
    "ivr_id": "xxxxgyutfgv6767768hgxxxx",
    "call_id": "xxxxkya9iv6767768hgxxxx",
    "application_id": "xxxx708875682700297dxxxx",
    "call_start": "2024-07-31T18:01:06.000Z",
    "call_answer": "2024-07-31T18:01:26.000Z",
    "call_end": "2024-07-31T18:01:32.000Z",
    "duration": 26,
    "talk_duration": 6,
    "tta": 20,
    "hangup_cause": "NORMAL_CLEARING",
    "status": "answered",
    "created_at": "2024-07-31T18:01:32.680Z",
    "updated_at": "2024-07-31T18:01:32.000Z",
    "result": [
        {
            "question": "Sebutkan nama anda setelah tanda beep berikut",
            "type": "record_speach",
            "answer": ["https://storage.oca.co.id/audio/xxxxgh78uj.wav"],
        },
        {
            "question": "Apakah anda sehat hari ini",
            "type": "multiple_choice",
            "answer": [
                {"key": "1", "title": "Key 1", "total": 1},
                {"key": "2", "title": "Key 2", "total": 0},
            ],
        },
        {
            "question": "masukkan nomor rekening anda",
            "type": "collect_number",
            "answer": ["854672"],
        },
    ],
}


@pytest.mark.parametrize(("status", "expected"), sorted(STATUS_TABLE.items()))
def test_each_oca_status_maps_through_the_table_once_the_call_has_ended(status, expected):
    answered = expected is CallStatus.ANSWERED
    assert map_status(status, None, answered=answered, ended=True) is expected


@pytest.mark.parametrize(("cause", "expected"), sorted(HANGUP_CAUSE_TABLE.items()))
def test_each_hangup_cause_of_a_failed_call_maps_through_the_table(cause, expected):
    assert map_status("failed", cause, answered=False, ended=True) is expected


@pytest.mark.parametrize(("cause", "expected"), sorted(HANGUP_CAUSE_TABLE.items()))
def test_a_hangup_cause_wins_over_a_status_that_still_says_submitted(cause, expected):
    assert map_status("submitted", cause) is expected


@pytest.mark.parametrize(
    ("status", "cause", "answered", "ended", "expected"),
    [
        ("submitted", None, False, False, CallStatus.IN_PROGRESS),
        ("submitted", "", False, False, CallStatus.IN_PROGRESS),
        ("answered", None, True, False, CallStatus.IN_PROGRESS),  # IVR still talking
        ("answered", "NORMAL_CLEARING", True, True, CallStatus.ANSWERED),
        ("success", None, True, False, CallStatus.ANSWERED),
        ("Answered", "normal_clearing", True, True, CallStatus.ANSWERED),
        ("failed", "NORMAL_CLEARING", False, True, CallStatus.NO_ANSWER),
        ("failed", "NORMAL_UNSPECIFIED", False, True, CallStatus.NO_ANSWER),
        ("failed", None, False, True, CallStatus.FAILED),
        ("failed", "SOME_NEW_CAUSE", False, True, CallStatus.FAILED),
        ("failed", "MEDIA_TIMEOUT", True, True, CallStatus.ANSWERED),  # cut off after answer
        ("no-answer", None, False, True, CallStatus.NO_ANSWER),
        ("busy", None, False, True, CallStatus.BUSY),
        ("something-new", None, False, False, CallStatus.IN_PROGRESS),
        ("something-new", None, False, True, CallStatus.FAILED),
        ("something-new", "USER_BUSY", False, True, CallStatus.BUSY),
        ("", None, False, False, CallStatus.IN_PROGRESS),
    ],
)
def test_status_and_hangup_cause_combine_like_this(status, cause, answered, ended, expected):
    assert map_status(status, cause, answered=answered, ended=ended) is expected


def test_the_doc_sample_becomes_an_answered_cdr_billed_by_talk_duration():
    cdr = cdr_from_status(DOC_SAMPLE)
    assert cdr.vendor_call_id == "xxxxkya9iv6767768hgxxxx"
    assert cdr.status is CallStatus.ANSWERED
    assert cdr.vendor_status == "answered:NORMAL_CLEARING"
    assert (cdr.caller_id, cdr.customer_number) == ("62857xxxxxxx", "081212xxxxxxxx")
    assert cdr.started_at == datetime(2024, 7, 31, 18, 1, 6, tzinfo=UTC)
    assert cdr.answered_at == datetime(2024, 7, 31, 18, 1, 26, tzinfo=UTC)
    assert cdr.ended_at == datetime(2024, 7, 31, 18, 1, 32, tzinfo=UTC)
    assert (cdr.duration_seconds, cdr.billable_seconds) == (26, 6)
    assert cdr.dtmf == "1,854672"
    assert cdr.direction == "outbound" and cdr.raw is DOC_SAMPLE


def test_a_submitted_body_is_an_in_progress_cdr_with_no_times():
    body = {"call_id": "abc", "status": "submitted", "call_start": None, "hangup_cause": None}
    cdr = cdr_from_status(body)
    assert cdr.status is CallStatus.IN_PROGRESS
    assert cdr.started_at is None and cdr.duration_seconds == 0 and cdr.dtmf == ""


def test_a_missing_call_id_in_the_body_falls_back_to_the_one_asked_for():
    assert cdr_from_status({"status": "failed"}, call_id="asked").vendor_call_id == "asked"


def test_numbers_sent_as_strings_or_junk_do_not_break_the_cdr():
    cdr = cdr_from_status({"call_id": "x", "duration": "26", "talk_duration": "n/a", "tta": -1})
    assert (cdr.duration_seconds, cdr.billable_seconds) == (26, 0)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-07-31T18:01:06.000Z", datetime(2024, 7, 31, 18, 1, 6, tzinfo=UTC)),
        ("2024-07-31T18:01:32.680Z", datetime(2024, 7, 31, 18, 1, 32, 680000, tzinfo=UTC)),
        ("2024-08-01T01:01:06+07:00", datetime(2024, 7, 31, 18, 1, 6, tzinfo=UTC)),
        ("2024-07-31T18:01:06", datetime(2024, 7, 31, 18, 1, 6, tzinfo=UTC)),
        ("", None),
        (None, None),
        ("yesterday", None),
    ],
)
def test_oca_times_parse_to_utc(value, expected):
    assert parse_time(value) == expected


def test_dtmf_joins_collected_digits_and_chosen_keys_in_ivr_order():
    result = [
        {"type": "collect_number", "answer": ["12", ""]},
        {"type": "multiple_choice", "answer": [{"key": "3", "total": 0}, {"key": "4", "total": 2}]},
        {"type": "record_speach", "answer": ["https://x/a.wav"]},
        {"type": "collect_number", "answer": "99"},
        "junk",
    ]
    assert dtmf_from_result(result) == "12,4,99"
    assert dtmf_from_result(None) == ""
