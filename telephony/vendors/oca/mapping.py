"""OCA call-status records -> the normalized CallStatus taxonomy and NormalizedCDR.

OCA's `GET /call-status/{call_id}` gives a `status` and a FreeSWITCH `hangup_cause`.
The doc names the statuses "submitted, success, failed", its own sample shows
"answered", and no-answer/busy spellings are a GUESS (vendor-contracts.md §5), so the
status is an open set: a final status says whether the call connected, and the hangup
cause (standard FreeSWITCH names of the Q.850 causes) says why a call did not.
"""

import re
from datetime import UTC, datetime
from typing import Any

from telephony.vendors.base import CallStatus, NormalizedCDR

_ID_DIGITS = re.compile(r"^(?:62|0)([1-9]\d{6,11})$")


def e164(to_number: str) -> str:
    """OCA's `to_number` (62… or 08… digits) back in Dialdesk's E.164 spelling."""
    match = _ID_DIGITS.match(to_number)
    return f"+62{match.group(1)}" if match else to_number


# OCA `status` -> CallStatus. Statuses that only say "not connected" (failed) are refined
# by the hangup cause below.
STATUS_TABLE: dict[str, CallStatus] = {
    # documented: the call is accepted and not finished
    "submitted": CallStatus.IN_PROGRESS,
    # GUESS: other in-flight spellings a queueing gateway uses
    "queued": CallStatus.IN_PROGRESS,
    "ringing": CallStatus.IN_PROGRESS,
    "in_progress": CallStatus.IN_PROGRESS,
    # documented (sample shows "answered"; table says "success")
    "answered": CallStatus.ANSWERED,
    "success": CallStatus.ANSWERED,
    # documented
    "failed": CallStatus.FAILED,
    # GUESS (vendor-contracts.md: "probably no-answer/busy")
    "no_answer": CallStatus.NO_ANSWER,
    "noanswer": CallStatus.NO_ANSWER,
    "busy": CallStatus.BUSY,
    "rejected": CallStatus.BUSY,
    "cancelled": CallStatus.CANCELLED,
    "canceled": CallStatus.CANCELLED,
}

# FreeSWITCH hangup causes (Q.850 names) of calls that did not connect -> CallStatus.
HANGUP_CAUSE_TABLE: dict[str, CallStatus] = {
    # the callee's side refused
    "USER_BUSY": CallStatus.BUSY,  # Q.850 17
    "CALL_REJECTED": CallStatus.BUSY,  # 21: declined on the handset
    # nobody picked up
    "NO_ANSWER": CallStatus.NO_ANSWER,  # 19
    "NO_USER_RESPONSE": CallStatus.NO_ANSWER,  # 18
    "ALLOTTED_TIMEOUT": CallStatus.NO_ANSWER,  # FreeSWITCH originate timeout
    "PROGRESS_TIMEOUT": CallStatus.NO_ANSWER,
    # the number exists but cannot be reached now
    "SUBSCRIBER_ABSENT": CallStatus.UNAVAILABLE,  # 20: switched off / out of coverage
    "NO_ROUTE_DESTINATION": CallStatus.UNAVAILABLE,  # 3
    "DESTINATION_OUT_OF_ORDER": CallStatus.UNAVAILABLE,  # 27
    "USER_NOT_REGISTERED": CallStatus.UNAVAILABLE,
    "RECOVERY_ON_TIMER_EXPIRE": CallStatus.UNAVAILABLE,  # 102: far end never answered SIP
    # the network, not the callee: worth retrying soon
    "NORMAL_TEMPORARY_FAILURE": CallStatus.CONGESTION,  # 41
    "NORMAL_CIRCUIT_CONGESTION": CallStatus.CONGESTION,  # 34
    "SWITCH_CONGESTION": CallStatus.CONGESTION,  # 42
    "NETWORK_OUT_OF_ORDER": CallStatus.CONGESTION,  # 38
    "SERVICE_UNAVAILABLE": CallStatus.CONGESTION,  # 63
    # the number or call is wrong: retrying will not help
    "UNALLOCATED_NUMBER": CallStatus.FAILED,  # 1
    "INVALID_NUMBER_FORMAT": CallStatus.FAILED,  # 28
    "NUMBER_CHANGED": CallStatus.FAILED,  # 22
    "INCOMPATIBLE_DESTINATION": CallStatus.FAILED,  # 88
    "OUTGOING_CALL_BARRED": CallStatus.FAILED,  # 52
    "FACILITY_REJECTED": CallStatus.FAILED,  # 29
    "BEARERCAPABILITY_NOTAVAIL": CallStatus.FAILED,  # 58
    "EXCHANGE_ROUTING_ERROR": CallStatus.FAILED,  # 25
    "MEDIA_TIMEOUT": CallStatus.FAILED,
    # our side gave up before an answer
    "ORIGINATOR_CANCEL": CallStatus.CANCELLED,  # 487
    "LOSE_RACE": CallStatus.CANCELLED,
    "PICKED_OFF": CallStatus.CANCELLED,
}

# Causes that only say "the call ended normally": the answer time tells what happened.
NORMAL_CAUSES = {"NORMAL_CLEARING", "NORMAL_UNSPECIFIED", "SUCCESS"}


def _key(status: Any) -> str:
    return str(status or "").strip().lower().replace("-", "_").replace(" ", "_")


def _cause(hangup_cause: Any) -> str:
    return str(hangup_cause or "").strip().upper()


def map_status(
    status: Any, hangup_cause: Any = None, *, answered: bool = False, ended: bool | None = None
) -> CallStatus:
    """The normalized status of one OCA call-status record.

    `answered`: the record has a call_answer time (or talk time); `ended`: it has a
    call_end time. Defaults: a record with a hangup cause has ended."""
    key = _key(status)
    cause = _cause(hangup_cause)
    if ended is None:
        ended = bool(cause)
    base = STATUS_TABLE.get(key)
    if base is CallStatus.IN_PROGRESS and not cause:
        return CallStatus.IN_PROGRESS
    if base is CallStatus.ANSWERED or (answered and cause in NORMAL_CAUSES | {""}):
        # "answered" is also what OCA shows while the IVR is still talking.
        if key == "answered" and not ended:
            return CallStatus.IN_PROGRESS
        return CallStatus.ANSWERED
    if answered and ended:
        # Connected, then cut off (media timeout, network): the callee still heard it.
        return CallStatus.ANSWERED
    if cause in HANGUP_CAUSE_TABLE:
        return HANGUP_CAUSE_TABLE[cause]
    if cause in NORMAL_CAUSES:
        # Cleared "normally" without ever being answered: the callee let it ring out.
        return CallStatus.NO_ANSWER
    if base is not None and base is not CallStatus.IN_PROGRESS:
        return base
    if base is CallStatus.IN_PROGRESS or not ended:
        return CallStatus.IN_PROGRESS
    return CallStatus.FAILED


def parse_time(value: Any) -> datetime | None:
    """OCA's ISO dates ("2024-07-31T18:01:06.000Z") as aware UTC datetimes."""
    if not value or not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _seconds(value: Any) -> int:
    try:
        return max(int(float(value)), 0)
    except (TypeError, ValueError):
        return 0


def dtmf_from_result(result: Any) -> str:
    """The keys the callee pressed: collect_number digits and the chosen
    multiple_choice keys (total > 0), in IVR order, comma-separated."""
    if not isinstance(result, list):
        return ""
    pressed = []
    for item in result:
        if not isinstance(item, dict):
            continue
        answers = item.get("answer") or []
        if not isinstance(answers, list):
            answers = [answers]
        if item.get("type") == "collect_number":
            pressed.extend(str(answer) for answer in answers if str(answer).strip())
        elif item.get("type") == "multiple_choice":
            pressed.extend(
                str(choice.get("key"))
                for choice in answers
                if isinstance(choice, dict) and _seconds(choice.get("total")) > 0
            )
    return ",".join(pressed)[:100]


def cdr_from_status(body: dict, *, call_id: str = "") -> NormalizedCDR:
    """Turn a call-status body into the one normalized CDR."""
    answered_at = parse_time(body.get("call_answer"))
    ended_at = parse_time(body.get("call_end"))
    talk = _seconds(body.get("talk_duration"))
    cause = _cause(body.get("hangup_cause"))
    status = map_status(
        body.get("status"),
        cause,
        answered=answered_at is not None or talk > 0,
        ended=ended_at is not None or bool(cause),
    )
    vendor_status = str(body.get("status") or "")
    if cause:
        vendor_status = f"{vendor_status}:{cause}"
    return NormalizedCDR(
        vendor_call_id=str(body.get("call_id") or call_id),
        status=status,
        vendor_status=vendor_status[:50],
        direction="outbound",
        caller_id=str(body.get("from_number") or ""),
        customer_number=e164(str(body.get("to_number") or "")),
        started_at=parse_time(body.get("call_start")),
        answered_at=answered_at,
        ended_at=ended_at,
        duration_seconds=_seconds(body.get("duration")),
        billable_seconds=talk,  # the doc: "Billing will be counting by talk_duration"
        dtmf=dtmf_from_result(body.get("result")),
        raw=body,
    )
