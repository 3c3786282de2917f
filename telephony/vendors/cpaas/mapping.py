"""CPaaS statuses and CDR records -> the normalized taxonomy, as data tables.

A CPaaS CDR row carries two statuses (seed document, "Get CDR By Date"):
- `call_status`: Asterisk's CDR disposition (ANSWERED, NO ANSWER, BUSY, FAILED,
  CONGESTION), null for a contact skipped by a DND list;
- `dial_status`: the Dial() application's DIALSTATUS (ANSWER, NOANSWER, BUSY, CANCEL,
  CONGESTION, CHANUNAVAIL) plus the vendor's own `DND`.
DIALSTATUS is the finer of the two (Asterisk logs both CHANUNAVAIL and CONGESTION as the
disposition FAILED, and the vendor's statistics count cancel/chanunavail/congestion
separately), so it wins whenever it is one we know.
"""

import re
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime

from telephony.vendors.base import CallStatus, NormalizedCDR

S = CallStatus

DIAL_STATUS_MAP: dict[str, CallStatus] = {
    "ANSWER": S.ANSWERED,
    "ANSWERED": S.ANSWERED,
    "BUSY": S.BUSY,
    "NOANSWER": S.NO_ANSWER,
    "NO ANSWER": S.NO_ANSWER,
    "CANCEL": S.CANCELLED,
    "CONGESTION": S.CONGESTION,
    "CHANUNAVAIL": S.UNAVAILABLE,
    "DND": S.DND_BLOCKED,
    # Asterisk's privacy manager: the callee declined this caller.
    "DONTCALL": S.DND_BLOCKED,
    "TORTURE": S.FAILED,
    "INVALIDARGS": S.FAILED,
}

# Asterisk CDR dispositions (the `call_status` column).
CALL_STATUS_MAP: dict[str, CallStatus] = {
    "ANSWERED": S.ANSWERED,
    "NO ANSWER": S.NO_ANSWER,
    "NOANSWER": S.NO_ANSWER,
    "BUSY": S.BUSY,
    "FAILED": S.FAILED,
    "CONGESTION": S.CONGESTION,
}

# The statistics endpoints' counters (get_cdr_statistics, get_campaign_cdr_statistics).
STATISTICS_KEYS: dict[str, CallStatus] = {
    "answer_calls": S.ANSWERED,
    "busy_calls": S.BUSY,
    "cancel_calls": S.CANCELLED,
    "chanunavail_calls": S.UNAVAILABLE,
    "congestion_calls": S.CONGESTION,
    "noanswer_calls": S.NO_ANSWER,
    "dnd_calls": S.DND_BLOCKED,
}

# What the vendor writes for "never happened" times (the DND row of the seed document).
EPOCH_HTTP_DATE = "Thu, 01 Jan 1970 00:00:00 GMT"


def _key(value) -> str:
    return re.sub(r"[\s_-]+", " ", str(value or "").strip().upper())


def normalize_status(call_status, dial_status) -> CallStatus:
    """The normalized status of a CDR row: DIALSTATUS first, then the disposition.

    A row with neither (never seen in the document) counts as failed; its raw values are
    kept in vendor_status and raw."""
    dial = _key(dial_status)
    if dial in DIAL_STATUS_MAP:
        return DIAL_STATUS_MAP[dial]
    disposition = _key(call_status)
    if disposition in CALL_STATUS_MAP:
        return CALL_STATUS_MAP[disposition]
    return S.FAILED


def parse_http_date(value) -> datetime | None:
    """'Fri, 07 Jul 2023 06:08:16 GMT' -> aware UTC datetime; the 1970 epoch and blanks
    mean "no such moment" and give None."""
    if not value or not isinstance(value, str):
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    if parsed.timestamp() <= 0:
        return None
    return parsed.astimezone(UTC)


def http_date(value: datetime | None) -> str:
    """The vendor's date format (Flask's jsonify of a datetime)."""
    if value is None:
        return EPOCH_HTTP_DATE
    return format_datetime(value.astimezone(UTC).replace(microsecond=0), usegmt=True)


def _seconds(value) -> int:
    try:
        return max(0, round(float(value)))
    except (TypeError, ValueError):
        return 0


def _uniqueid_time(value) -> datetime | None:
    """Asterisk's uniqueid is "<epoch of channel creation>.<sequence>": the call's start."""
    match = re.fullmatch(r"(\d{9,11})\.\d+", str(value or ""))
    return datetime.fromtimestamp(int(match[1]), tz=UTC) if match else None


def cdr_vendor_id(record: dict) -> str:
    """The row's stable unique id: request_id (API calls); campaign rows have none, so
    Asterisk's uniqueid, and for DND rows (no channel either) the CDR row id."""
    for key in ("request_id", "uniqueid"):
        value = record.get(key)
        if value:
            return str(value)
    return f"cdr-{record.get('id')}"


def vendor_status_of(record: dict) -> str:
    call_status = record.get("call_status") or ""
    dial_status = record.get("dial_status") or ""
    # "FAILED (CHANUNAVAIL)" says more than "FAILED"; "ANSWERED (ANSWER)" says nothing more.
    same = DIAL_STATUS_MAP.get(_key(dial_status)) == CALL_STATUS_MAP.get(_key(call_status))
    if call_status and dial_status and not same:
        return f"{call_status} ({dial_status})"[:50]
    return str(call_status or dial_status)[:50]


def to_normalized_cdr(record: dict, *, campaign_id: str = "") -> NormalizedCDR:
    """One CPaaS CDR row -> NormalizedCDR (campaign_id when the caller knows it: the rows
    of get_cdr_by_campaign_id do not repeat it)."""
    answered_at = parse_http_date(record.get("answer"))
    ended_at = parse_http_date(record.get("end"))
    call_date = parse_http_date(record.get("call_date"))
    duration = _seconds(record.get("call_duration"))
    started_at = _uniqueid_time(record.get("uniqueid"))
    if started_at is None:
        started_at = ended_at - timedelta(seconds=duration) if ended_at else call_date
    direction = str(record.get("call_direction") or "")
    return NormalizedCDR(
        vendor_call_id=cdr_vendor_id(record),
        status=normalize_status(record.get("call_status"), record.get("dial_status")),
        vendor_status=vendor_status_of(record),
        direction="inbound" if direction.startswith("inbound") else "outbound",
        caller_id=str(record.get("caller_id") or ""),
        customer_number=str(record.get("customer_number") or record.get("dialed_number") or ""),
        agent=str(record.get("agent_number") or ""),
        started_at=started_at,
        answered_at=answered_at,
        ended_at=ended_at,
        duration_seconds=duration,
        billable_seconds=_seconds(record.get("billsec")),
        recording_ref=str(record.get("recording_name") or ""),
        reference_id=str(record.get("request_id") or ""),
        vendor_campaign_id=str(record.get("campaign_id") or campaign_id or ""),
        dtmf=str(record.get("dtmf_inputs") or "")[:100],
        raw=dict(record),
    )
