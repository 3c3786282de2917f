"""MyOperator call logs (`/search` hits' `_source`) -> NormalizedCDR, table-driven.

A log's `status` is 1 answered, 2 missed, 3 voicemail (vendor-contracts.md §2). A missed
log says why only in its legs' dial status `_ds` (Asterisk's DIALSTATUS words), so a
missed call becomes busy / cancelled / unavailable / congestion when a leg says so, and
no_answer otherwise.
"""

from datetime import UTC, datetime

from telephony.vendors.base import CallStatus, MalformedResponse, NormalizedCDR

# `_source.status` -> normalized status.
LOG_STATUS = {
    1: CallStatus.ANSWERED,
    2: CallStatus.NO_ANSWER,
    3: CallStatus.VOICEMAIL,
}
LOG_STATUS_NAMES = {1: "answered", 2: "missed", 3: "voicemail"}
MISSED = 2

# A leg's `_ds` -> what it tells about a missed call. ANSWER/NOANSWER/CANCEL are in the
# official sample; BUSY is in the webhooks' dial_status; CHANUNAVAIL and CONGESTION are
# the other Asterisk DIALSTATUS values (GUESS that MyOperator passes them through).
DIAL_STATUS = {
    "ANSWER": CallStatus.ANSWERED,
    "NOANSWER": CallStatus.NO_ANSWER,
    "BUSY": CallStatus.BUSY,
    "CANCEL": CallStatus.CANCELLED,
    "CHANUNAVAIL": CallStatus.UNAVAILABLE,
    "CONGESTION": CallStatus.CONGESTION,
}
# When legs disagree, the first of these found wins; otherwise a missed call is no_answer.
MISSED_PRECEDENCE = [
    CallStatus.BUSY,
    CallStatus.CANCELLED,
    CallStatus.UNAVAILABLE,
    CallStatus.CONGESTION,
]

# `_source.event`: 1 incoming, 2 outgoing.
DIRECTION = {1: "inbound", 2: "outbound"}


def parse_hms(value) -> int:
    """'HH:MM:SS' (the vendor's duration format) -> seconds; '' or junk -> 0."""
    if isinstance(value, int | float):
        return int(value)
    parts = str(value or "").split(":")
    try:
        numbers = [int(part) for part in parts]
    except ValueError:
        return 0
    seconds = 0
    for number in numbers:
        seconds = seconds * 60 + number
    return seconds


def _as_int(value, default=None):
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _time(value) -> datetime | None:
    seconds = _as_int(value)
    return datetime.fromtimestamp(seconds, UTC) if seconds else None


def _legs(source: dict) -> list[dict]:
    legs = source.get("log_details") or []
    return [leg for leg in legs if isinstance(leg, dict)]


def _additional(source: dict, key: str) -> str:
    for item in source.get("additional_parameters") or []:
        if isinstance(item, dict) and item.get("ky") == key:
            return str(item.get("vl") or "")
    return ""


def log_status(source: dict) -> CallStatus:
    """The normalized status of one log record (see the tables above)."""
    code = _as_int(source.get("status"))
    if code not in LOG_STATUS:
        # A new vendor status means this table needs updating; guessing would corrupt
        # the reports, so say so instead.
        raise MalformedResponse(f"Unknown MyOperator log status {source.get('status')!r}.")
    status = LOG_STATUS[code]
    if code == MISSED:
        seen = {DIAL_STATUS.get(str(leg.get("_ds") or "").upper()) for leg in _legs(source)}
        for candidate in MISSED_PRECEDENCE:
            if candidate in seen:
                return candidate
    return status


def vendor_status(source: dict) -> str:
    code = _as_int(source.get("status"))
    name = LOG_STATUS_NAMES.get(code, str(source.get("status")))
    dial = sorted({str(leg.get("_ds")) for leg in _legs(source) if leg.get("_ds")})
    return f"{name} ({'/'.join(dial)})" if dial and code == MISSED else name


def log_call_id(source: dict) -> str:
    """The log's own unique id: additional_parameters.unique_id, else the OBD ref id."""
    return (
        _additional(source, "unique_id")
        or str(source.get("_ri") or "")
        or f"{source.get('allcaller_id', '')}:{source.get('start_time', '')}"
    )


def talk_seconds(source: dict) -> int:
    talk = [
        _as_int(item.get("yf"), 0) for item in source.get("_tc") or [] if isinstance(item, dict)
    ]
    if any(talk):
        return sum(talk)
    return sum(
        parse_hms(leg.get("duration")) for leg in _legs(source) if leg.get("action") == "received"
    )


def _agent(source: dict) -> str:
    legs = _legs(source)
    answered = [leg for leg in legs if leg.get("action") == "received"] or legs
    for leg in answered:
        for person in leg.get("received_by") or []:
            if isinstance(person, dict) and (person.get("name") or person.get("contact_number")):
                return str(person.get("name") or person.get("contact_number"))
    return ""


def _customer_number(source: dict) -> str:
    if source.get("caller_number"):
        return str(source["caller_number"])
    raw = str(source.get("caller_number_raw") or "")
    country = str(source.get("country") or "")
    return f"+{country}{raw}" if raw and country else raw


def log_to_cdr(source: dict) -> NormalizedCDR:
    """One `/search` hit's `_source` as a NormalizedCDR."""
    status = log_status(source)
    started = _time(source.get("start_time"))
    ended = _time(source.get("end_time"))
    billable = talk_seconds(source) if status is CallStatus.ANSWERED else 0
    answered_at = None
    if status is CallStatus.ANSWERED and ended is not None:
        answered_at = datetime.fromtimestamp(ended.timestamp() - billable, UTC)
    legs = _legs(source)
    return NormalizedCDR(
        vendor_call_id=log_call_id(source),
        status=status,
        vendor_status=vendor_status(source)[:50],
        direction=DIRECTION.get(_as_int(source.get("event")), "outbound"),
        caller_id=str(legs[0].get("_did") or "") if legs else "",
        customer_number=_customer_number(source),
        agent=_agent(source),
        started_at=started,
        answered_at=answered_at,
        ended_at=ended,
        duration_seconds=parse_hms(source.get("duration")),
        billable_seconds=billable,
        recording_ref=str(source.get("filename") or ""),
        reference_id=str(source.get("_cri") or ""),
        vendor_campaign_id=str(source.get("_ivid") or ""),
        raw=source,
    )


def is_call(source: dict) -> bool:
    """`type` 1 is a call, 2 an SMS: only calls become CDRs."""
    return _as_int(source.get("type"), 1) == 1
