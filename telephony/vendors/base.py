"""What every vendor client shares: capabilities, the status taxonomy, typed errors and
normalized records. Vendor specifics live in telephony/vendors/<vendor>/."""

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


class Capability(enum.StrEnum):
    PLACE_CALL = "place_call", "Place calls"
    NATIVE_CAMPAIGNS = "native_campaigns", "Native campaigns (lists, DND, create/stop)"
    CDR_SOURCE = "cdr_source", "CDR / call log source"
    CALLBACKS = "callbacks", "Scheduled callbacks"
    LIVE_CONTROL = "live_control", "Live call control"
    VENDOR_USERS = "vendor_users", "Vendor-side users"
    NUMBERS = "numbers", "Numbers and number sets"
    AUDIO = "audio", "Audio store / IVR catalogue"
    RECORDINGS = "recordings", "Recordings"

    def __new__(cls, value, label):
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member


class CallStatus(enum.StrEnum):
    """The one normalized call status every vendor's statuses map to (DESIGN.md, CDRs)."""

    ANSWERED = "answered"
    BUSY = "busy"
    NO_ANSWER = "no_answer"
    CANCELLED = "cancelled"
    FAILED = "failed"
    CONGESTION = "congestion"
    UNAVAILABLE = "unavailable"
    DND_BLOCKED = "dnd_blocked"
    VOICEMAIL = "voicemail"
    IN_PROGRESS = "in_progress"

    @property
    def is_final(self) -> bool:
        return self is not CallStatus.IN_PROGRESS

    @classmethod
    def choices(cls):
        return [(member.value, member.value.replace("_", " ").capitalize()) for member in cls]


# --- errors -------------------------------------------------------------------------


class VendorError(Exception):
    """A vendor request failed. `message` is the vendor's own words where it gave any."""

    retryable = False

    def __init__(
        self,
        message: str,
        *,
        vendor: str = "",
        status_code: int | None = None,
        vendor_code: str | int | None = None,
        payload: Any = None,
    ):
        super().__init__(message)
        self.message = message
        self.vendor = vendor
        self.status_code = status_code
        self.vendor_code = vendor_code
        self.payload = payload

    def __str__(self):
        where = f"{self.vendor} " if self.vendor else ""
        code = f" (HTTP {self.status_code})" if self.status_code else ""
        return f"{where}{self.kind}{code}: {self.message}"

    kind = "error"


class AuthFailed(VendorError):
    """The vendor rejected our credentials: fix the account, retrying will not help."""

    kind = "authentication failed"


class RateLimited(VendorError):
    """The vendor is throttling us; `retry_after` seconds if it said."""

    kind = "rate limited"
    retryable = True

    def __init__(self, message, *, retry_after: float | None = None, **kwargs):
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class Rejected(VendorError):
    """The vendor refused this request permanently (validation, duplicate, not found)."""

    kind = "rejected"


class Unavailable(VendorError):
    """A transient failure: timeout, connection error, 5xx, or a body we cannot read."""

    kind = "unavailable"
    retryable = True


class MalformedResponse(Unavailable):
    """The vendor answered with a body that is not what its API documents."""

    kind = "malformed response"


class InvalidRequest(ValueError):
    """Our own validation, before sending: the vendor would reject this request.

    `errors` maps a field name to its message."""

    def __init__(self, errors: dict[str, str] | str):
        if isinstance(errors, str):
            errors = {"__all__": errors}
        self.errors = errors
        super().__init__("; ".join(f"{k}: {v}" if k != "__all__" else v for k, v in errors.items()))


# --- normalized records ---------------------------------------------------------------


@dataclass
class ConnectionCheck:
    ok: bool
    message: str
    detail: dict = field(default_factory=dict)


@dataclass
class PlacedCall:
    """A call the vendor accepted. Accepted is not ringing: outcomes come later."""

    vendor_call_id: str
    reference_id: str = ""
    message: str = ""
    raw: dict = field(default_factory=dict)


@dataclass
class NormalizedCDR:
    """One call as CallRecord stores it; produced by each vendor's mapping table."""

    vendor_call_id: str
    status: CallStatus
    vendor_status: str = ""
    direction: str = "outbound"
    caller_id: str = ""
    customer_number: str = ""
    agent: str = ""
    started_at: datetime | None = None
    answered_at: datetime | None = None
    ended_at: datetime | None = None
    duration_seconds: int = 0
    billable_seconds: int = 0
    recording_ref: str = ""
    reference_id: str = ""
    vendor_campaign_id: str = ""
    dtmf: str = ""
    raw: dict = field(default_factory=dict)


@dataclass
class Page[T]:
    items: list[T]
    total: int | None = None
    next_cursor: Any = None

    @property
    def has_more(self) -> bool:
        return self.next_cursor is not None
