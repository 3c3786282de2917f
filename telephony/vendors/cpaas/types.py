"""The CPaaS client's vocabulary: the document's enumerations, typed inputs (contacts,
TTS options) and typed answers (campaigns, statistics) parsed from the vendor's rows."""

import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import IntEnum

from telephony.vendors.base import CallStatus, MalformedResponse

from .mapping import STATISTICS_KEYS, parse_http_date

DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S"
DATE_FORMAT = "%Y-%m-%d"
# Digits with the country code and no "+", as the document shows them ("91997927XXXX").
NUMBER_RE = re.compile(r"^\d{10,15}$")
CALLER_ID_RE = re.compile(r"^\d{3,15}$")
EXTENSION_OR_NUMBER_RE = re.compile(r"^\d{2,15}$")
CHANNEL_RE = re.compile(r"^[A-Za-z0-9]+/\S+$")
PLACEHOLDER_RE = re.compile(r"\{(\w*)\}")

CLICK2CALL_RECORDING = ("both", "agent", "customer", "off", "on")  # "on": the doc's example
CALLBACK_RECORDING = ("on", "off")
VOLUMES = ("silent", "x-soft", "soft", "medium", "loud", "x-loud")
RATES = ("x-slow", "slow", "medium", "fast", "x-fast")
PITCHES = ("x-low", "low", "medium", "high", "x-high")
TTS_ENGINES = ("standard", "neural")
RETRY_STATUSES = ("NOANSWER", "BUSY", "CHANUNAVAIL", "CONGESTION")

# campaign_status -> our words. GUESS (vendor-contracts.md §3), mirrored by the sandbox.
CAMPAIGN_STATUSES = {
    "0": "pending",
    "1": "running",
    "2": "completed",
    "3": "stopped",
    "4": "failed",
}

MAX_CDR_PAGE = 1000  # the document's default record_count


class ModifyType(IntEnum):
    """modify_call's modify_type codes (the document's table)."""

    BLIND_TRANSFER = 0
    ATTENDED_TRANSFER = 1
    HANGUP = 2
    START_RECORDING = 3


class CampaignType(IntEnum):
    """create_campaign's campaign_type: "0=only announce, 1=Survey" in the table; its
    example calls type 1 "CONNECT TO IVR" (IVR, voicebot or voicemail)."""

    ANNOUNCEMENT = 0
    IVR = 1


@dataclass
class TtsOptions:
    """Text-to-speech settings of OTP calls and dynamic announcements (blank = the
    vendor's default: Joanna, medium, medium, medium, en-US, standard)."""

    voice: str = ""
    volume: str = ""
    rate: str = ""
    pitch: str = ""
    language_code: str = ""
    tts_engine_type: str = ""

    def body(self, errors: dict) -> dict:
        allowed = {
            "volume": VOLUMES,
            "rate": RATES,
            "pitch": PITCHES,
            "tts_engine_type": TTS_ENGINES,
        }
        out = {}
        for name in ("voice", "volume", "rate", "pitch", "language_code", "tts_engine_type"):
            value = str(getattr(self, name) or "").strip()
            if not value:
                continue
            if name in allowed and value not in allowed[name]:
                errors[name] = f"must be one of {', '.join(allowed[name])}."
            elif name == "language_code" and not re.fullmatch(r"[a-z]{2,3}(-[A-Z]{2})?", value):
                errors[name] = "must be a language code such as en-US."
            out[name] = value
        return out


@dataclass
class Contact:
    number: str
    name: str = ""
    fields: dict[str, str] = field(default_factory=dict)

    @classmethod
    def coerce(cls, item) -> "Contact":
        """A Contact, or a dict in our shape (number, name, fields) or the vendor's."""
        if isinstance(item, cls):
            return item
        return cls(
            number=item.get("number", item.get("contact_number", "")),
            name=item.get("name", item.get("contact_name", "")),
            fields=item.get("fields", item.get("contact_fields")) or {},
        )


@dataclass
class DndContact:
    number: str
    name: str = ""

    @classmethod
    def coerce(cls, item) -> "DndContact":
        """A DndContact, a bare number, or a dict in our shape or the vendor's."""
        if isinstance(item, cls):
            return item
        if isinstance(item, str):
            return cls(number=item)
        return cls(
            number=item.get("number", item.get("dnd_contact_number", "")),
            name=item.get("name", item.get("dnd_contact_name", "")),
        )


@dataclass
class CpaasCampaign:
    campaign_id: str
    name: str
    status: str  # pending, running, completed, stopped, failed, or "unknown (<code>)"
    status_code: str
    campaign_type: int | None
    caller_id: str
    calls_per_minute: int | None
    # The vendor labels the campaign's local wall-clock time "GMT" (see the sandbox), so
    # these are naive datetimes in the campaign's own time zone.
    start: datetime | None
    end: datetime | None
    max_retries: int | None
    repeat: int | None
    retry_time: int | None
    raw: dict = field(default_factory=dict)

    @classmethod
    def from_row(cls, row: dict) -> "CpaasCampaign":
        code = str(row.get("campaign_status", ""))

        def local(value):
            parsed = parse_http_date(value)
            return parsed.replace(tzinfo=None) if parsed else None

        return cls(
            campaign_id=str(row.get("campaign_id", "")),
            name=str(row.get("campaign_name", "")),
            status=CAMPAIGN_STATUSES.get(code, f"unknown ({code})"),
            status_code=code,
            campaign_type=int_or_none(row.get("campaign_type")),
            caller_id=str(row.get("campaign_caller_id", "")),
            calls_per_minute=int_or_none(row.get("calls_per_minute")),
            start=local(row.get("campaign_start_date")),
            end=local(row.get("campaign_end_date")),
            max_retries=int_or_none(row.get("max_retries")),
            repeat=int_or_none(row.get("repeat_announcement_count")),
            retry_time=int_or_none(row.get("retry_time")),
            raw=row,
        )


@dataclass
class CdrStatistics:
    counts: dict[CallStatus, int]
    total: int
    raw: dict = field(default_factory=dict)

    def __getitem__(self, status: CallStatus) -> int:
        return self.counts.get(status, 0)

    @classmethod
    def from_result(cls, result) -> "CdrStatistics":
        if not isinstance(result, dict):
            raise MalformedResponse("CDR statistics are not an object.", vendor="cpaas")
        counts = {
            status: counter(result[key]) for key, status in STATISTICS_KEYS.items() if key in result
        }
        return cls(counts=counts, total=counter(result.get("total_calls", 0)), raw=result)


@dataclass
class LiveCallStatistics:
    click2call: int
    campaign: int
    inbound: int
    otp: int
    raw: dict = field(default_factory=dict)

    @property
    def total(self) -> int:
        return self.click2call + self.campaign + self.inbound + self.otp

    @classmethod
    def from_result(cls, result) -> "LiveCallStatistics":
        if not isinstance(result, dict):
            raise MalformedResponse("Live call statistics are not an object.", vendor="cpaas")
        return cls(
            click2call=counter(result.get("live_calls_c2c", 0)),
            campaign=counter(result.get("live_calls_campaign", 0)),
            inbound=counter(result.get("live_calls_inbound", 0)),
            otp=counter(result.get("live_calls_otp", 0)),
            raw=result,
        )


def int_or_none(value) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def counter(value) -> int:
    """The statistics counters come as one-element lists ([248]); plain numbers pass."""
    if isinstance(value, list):
        value = value[0] if value else 0
    number = int_or_none(value)
    if number is None:
        raise MalformedResponse(f"A statistics counter is not a number: {value!r}.", vendor="cpaas")
    return number


def placeholders(announcement_text: str) -> list[str]:
    """The {field} names a dynamic announcement uses, e.g. ["field1", "field3"]."""
    return PLACEHOLDER_RE.findall(announcement_text or "")
