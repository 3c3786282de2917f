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


class Fault(enum.StrEnum):
    """Whom a vendor error is about (DESIGN.md, "Vendor errors"), which decides what a
    campaign does with it."""

    CONTACT = "contact"  # this number only: that target fails (or waits), the rest dial on
    ACCOUNT = "account"  # the account or the campaign: pause, and consume no target
    TRANSIENT = "transient"  # nobody's: try the same request again later


@dataclass(frozen=True)
class ErrorRule:
    """One documented vendor error: its code and words, whom it is about, what to do.

    Each vendor's errors.py holds a table of these; its classifier and its tests read it.
    `match` (lower case) picks the rule out of the vendor's message; `next_day` marks an
    error that makes the number wait for its next local day."""

    key: str
    code: str
    status: int
    message: str
    fault: Fault
    hint: str
    match: str = ""
    next_day: bool = False
    error: Any = None  # the VendorError subclass to raise

    def matches(self, message: str) -> bool:
        return (self.match or self.message.lower()) in (message or "").lower()

    def to_error(self, message: str = "", **kwargs) -> "VendorError":
        """The typed error this rule raises, in the vendor's own words."""
        return (self.error or VendorError).from_rule(self, message, **kwargs)


class VendorError(Exception):
    """A vendor request failed. `message` is the vendor's own words where it gave any.

    `fault` says whom it is about (a class default unless the vendor's table says
    otherwise); `hint` what a person can do about it; `next_day` that the number may be
    called again on its next local day."""

    retryable = False
    default_fault = Fault.CONTACT

    def __init__(
        self,
        message: str,
        *,
        vendor: str = "",
        status_code: int | None = None,
        vendor_code: str | int | None = None,
        payload: Any = None,
        fault: Fault | None = None,
        hint: str = "",
        next_day: bool = False,
    ):
        super().__init__(message)
        self.message = message
        self.vendor = vendor
        self.status_code = status_code
        self.vendor_code = vendor_code
        self.payload = payload
        self.fault = fault or self.default_fault
        self.hint = hint
        self.next_day = next_day

    @classmethod
    def from_rule(cls, rule: ErrorRule, message: str = "", **kwargs) -> "VendorError":
        """The typed error for a documented rule, in the vendor's own words."""
        return cls(
            message or rule.message,
            fault=rule.fault,
            hint=rule.hint,
            next_day=rule.next_day,
            **kwargs,
        )

    def __str__(self):
        where = f"{self.vendor} " if self.vendor else ""
        code = f" (HTTP {self.status_code})" if self.status_code else ""
        return f"{where}{self.kind}{code}: {self.message}"

    kind = "error"


class AuthFailed(VendorError):
    """The vendor rejected our credentials: fix the account, retrying will not help."""

    kind = "authentication failed"
    default_fault = Fault.ACCOUNT


class RateLimited(VendorError):
    """The vendor is throttling us; `retry_after` seconds if it said."""

    kind = "rate limited"
    retryable = True
    default_fault = Fault.TRANSIENT

    def __init__(self, message, *, retry_after: float | None = None, **kwargs):
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class Rejected(VendorError):
    """The vendor refused this request permanently (validation, duplicate, not found)."""

    kind = "rejected"


class AccountBlocked(Rejected):
    """The vendor refuses the account or the campaign (billing, quota, an IP not allowed,
    a feature off, an unknown IVR): every call would fail the same way until someone
    fixes it at the vendor or in the campaign."""

    kind = "refused for the account"
    default_fault = Fault.ACCOUNT


class Unavailable(VendorError):
    """A transient failure: timeout, connection error, 5xx, or a body we cannot read."""

    kind = "unavailable"
    retryable = True
    default_fault = Fault.TRANSIENT


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
