"""What the MyOperator APIs accept and answer: typed records, the classifiers that turn
the vendor's error bodies into typed errors, and the checks the client runs before
sending (vendor-contracts.md §1-2)."""

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from telephony.vendors.base import (
    AuthFailed,
    Fault,
    InvalidRequest,
    MalformedResponse,
    RateLimited,
    Rejected,
    Unavailable,
    VendorError,
)
from telephony.vendors.http import VendorResponse, extract_message, parse_retry_after

from .errors import UNDOCUMENTED_HINT, DuplicateReference, obd_rule, rest_rule

DEFAULT_OBD_URL = "https://obd-api.myoperator.co/obd-api-v1"
DEFAULT_REST_BASE_URL = "https://developers.myoperator.co"

E164 = re.compile(r"^\+[1-9]\d{6,14}$")
DIGITS = re.compile(r"^\d+$")
MAX_CALL_DURATION = 5400  # seconds; 5401 is a Bad Request (C)
MAX_REFERENCE_ID = 64  # our Call.reference_id column; the vendor documents no limit
MAX_PAGE_SIZE = 100  # both /search page_size and /user page-size
OBD_TYPES = {1: "peer-to-peer", 2: "IVR"}
CONTACT_TYPES = {"mobile", "sip", "landline"}
FILTER_TOKEN = re.compile(r"\(|\)|AND\b|OR\b|\d+", re.I)

REMAINING_TTL = re.compile(r"remaining_ttl\s*:?\s*(\d+)", re.I)


@dataclass
class LogFilter:
    """One entry of `/filters`: a category (parent_id "0") or a filter inside one."""

    id: str
    name: str
    parent_id: str
    raw: dict = field(default_factory=dict)

    @property
    def is_category(self) -> bool:
        return self.parent_id in ("", "0")


@dataclass
class MyOperatorUser:
    """A panel user (`/user`); `uuid` is what OBD `user_id` and `PUT /user` take."""

    uuid: str
    user_id: str = ""
    name: str = ""
    email: str = ""
    contact_number: str = ""
    country_code: str = ""
    alternate_number: str = ""
    extension: int | None = None
    role_id: int | None = None
    is_enabled: bool = True
    raw: dict = field(default_factory=dict)

    ROLES = {1: "SuperAdmin", 2: "Admin", 4: "Manager", 8: "Basic"}

    @property
    def role(self) -> str:
        return self.ROLES.get(self.role_id, "")

    @classmethod
    def from_vendor(cls, data: dict) -> "MyOperatorUser":
        def number(value):
            try:
                return int(value)
            except (TypeError, ValueError):
                return None

        return cls(
            uuid=str(data.get("uuid") or ""),
            user_id=str(data.get("user_id") or ""),
            name=str(data.get("name") or ""),
            email=str(data.get("email") or ""),
            contact_number=str(data.get("contact_number") or ""),
            country_code=str(data.get("country_code") or ""),
            alternate_number=str(data.get("alternate_number") or ""),
            extension=number(data.get("extension")),
            role_id=number(data.get("role_id")),
            is_enabled=str(data.get("is_enabled", "1")) in ("1", "true", "True"),
            raw=data,
        )


# --- error classification ----------------------------------------------------------------


def _code(value, fallback: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return fallback


def classify_obd(response: VendorResponse) -> VendorError | None:
    """OBD bodies: `{"details","status","code":"<http code as string>",…}`; the AWS
    gateway in front answers a bad x-api-key with `{"message":"Forbidden",…}`. The
    documented errors come from errors.OBD_ERRORS, each with whom it is about."""
    data = response.data
    if not isinstance(data, dict):
        return None  # the seam's defaults: 5xx Unavailable, non-JSON MalformedResponse
    if response.status_code < 400 and data.get("status") == "success":
        return None
    if response.status_code < 400 and data.get("status") != "error":
        return MalformedResponse("The OBD answer has no success or error status.", payload=data)
    code = _code(data.get("code"), response.status_code)
    message = extract_message(data) or f"HTTP {code}"
    kwargs = {"vendor_code": data.get("code"), "payload": data}
    rule = obd_rule(code, message)
    if rule is not None:
        if rule.error is DuplicateReference:
            ttl = REMAINING_TTL.search(message)
            kwargs["remaining_ttl"] = int(ttl.group(1)) if ttl else None
        return rule.to_error(message, **kwargs)
    # Not in the seed's table (e.g. a wrong secret, which the docs put under 403).
    if code in (401, 403):
        return AuthFailed(message, hint=UNDOCUMENTED_HINT, **kwargs)
    if code == 429:
        return RateLimited(message, retry_after=parse_retry_after(response.headers), **kwargs)
    if code >= 500:
        return Unavailable(message, **kwargs)
    return Rejected(message, fault=Fault.ACCOUNT, hint=UNDOCUMENTED_HINT, **kwargs)


def classify_rest(response: VendorResponse) -> VendorError | None:
    """REST bodies: `{"status":"error","code":<int>,"message":…}`, sometimes with HTTP
    200, so the body's status decides, not only the HTTP code."""
    data = response.data
    if not isinstance(data, dict):
        if response.status_code < 400 and data is not None:
            return MalformedResponse("The REST answer is not a JSON object.", payload=data)
        return None
    status = data.get("status")
    if status == "success" and response.status_code < 400:
        return None
    if status != "error":
        if response.status_code < 400:
            return MalformedResponse("The REST answer has no success or error status.")
        return None
    code = _code(data.get("code"), response.status_code)
    message = extract_message(data) or f"HTTP {code}"
    kwargs = {"vendor_code": data.get("code"), "payload": data}
    rule = rest_rule(code, message)
    if rule is not None and rule.error is not RateLimited:
        return rule.to_error(message, **kwargs)
    if code in (401, 403):
        return AuthFailed(message, **kwargs)
    if code == 429 or response.status_code == 429:
        return RateLimited(message, retry_after=parse_retry_after(response.headers), **kwargs)
    if code >= 500 or response.status_code >= 500:
        return Unavailable(message, **kwargs)
    return Rejected(message, **kwargs)


# --- filters expressions -----------------------------------------------------------------


def build_filters_expression(selected: Iterable[str | int], available: Iterable[LogFilter]) -> str:
    """Filter ids -> the `filters` expression: OR within a parent, AND across parents.

    `[5, 13, 8]` -> "5 AND 13 AND 8"; `[5, 6]` -> "5 OR 6". Seed 001 shows only ids joined
    by AND / OR ("5 AND 13 AND 8") and never a parenthesis, so Dialdesk sends nothing
    else: a choice that would need a grouping (two filters of one category and one of
    another, "(5 OR 6) AND 13") is refused rather than sent in a form the vendor may read
    as 5 OR (6 AND 13) or reject."""
    parents = {item.id: item for item in available}
    groups: dict[str, list[str]] = {}
    errors = []
    for raw_id in selected:
        filter_id = str(raw_id).strip()
        item = parents.get(filter_id)
        if item is None:
            errors.append(f"{filter_id} is not a filter of this account.")
        elif item.is_category:
            errors.append(f"{filter_id} ({item.name}) is a category: pick filters inside it.")
        elif filter_id not in groups.setdefault(item.parent_id, []):
            groups[item.parent_id].append(filter_id)
    if errors:
        raise InvalidRequest({"filters": " ".join(errors)})
    groups = {parent: ids for parent, ids in groups.items() if ids}
    if len(groups) > 1 and any(len(ids) > 1 for ids in groups.values()):
        raise InvalidRequest({"filters": NEEDS_PARENTHESES})
    operator = " OR " if len(groups) == 1 else " AND "
    return operator.join(filter_id for ids in groups.values() for filter_id in ids)


NEEDS_PARENTHESES = (
    "MyOperator's filters are ids joined by AND or OR with no parentheses: choose several "
    "filters of one category (joined by OR) or one filter in each category (joined by AND), "
    "not both."
)


def validate_filters_expression(expression: str) -> str:
    """Only ids joined by AND / OR (seed 001 shows nothing else, so no parentheses);
    returns the expression tidied."""
    text = expression.strip()
    tokens = FILTER_TOKEN.findall(text)
    if "".join(tokens).replace(" ", "") != re.sub(r"\s+", "", text):
        raise InvalidRequest({"filters": "Use filter ids joined with AND / OR only."})
    if "(" in tokens or ")" in tokens:
        raise InvalidRequest({"filters": NEEDS_PARENTHESES})
    expect_operand = True
    for token in tokens:
        upper = token.upper()
        if upper in ("AND", "OR"):
            if expect_operand:
                raise InvalidRequest({"filters": f"{upper} needs a filter id on each side."})
            expect_operand = True
        else:
            if not expect_operand:
                raise InvalidRequest({"filters": "Join filter ids with AND / OR."})
            expect_operand = False
    if expect_operand:
        raise InvalidRequest({"filters": "The expression is incomplete."})
    return " ".join(token.upper() if token.isalpha() else token for token in tokens)


# --- validation helpers --------------------------------------------------------------------


def is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def unix_seconds(value: datetime | int | None, name: str, errors: dict) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.tzinfo is None:
            errors[name] = "Give an aware datetime (the vendor reads UTC unix seconds)."
            return None
        return str(int(value.timestamp()))
    if is_int(value) and value >= 0:
        return str(value)
    errors[name] = "Must be a datetime or unix seconds."
    return None


def check_user_fields(fields: dict, errors: dict):
    """What the vendor rejects in add/update user fields (types, choices, pairs)."""
    if fields.get("contact_number") is not None and not DIGITS.match(str(fields["contact_number"])):
        errors["contact_number"] = "Digits only, without the country code."
    for name in ("country_code", "alternate_cc"):
        if fields.get(name) is not None and not DIGITS.match(str(fields[name]).lstrip("+")):
            errors[name] = "A country code in digits, e.g. 91."
    if fields.get("extension") is not None and not (
        is_int(fields["extension"]) and fields["extension"] > 0
    ):
        errors["extension"] = "A whole number (usually 11 to 99), unique in the company."
    if fields.get("email"):
        try:
            validate_email(fields["email"])
        except ValidationError:
            errors["email"] = "Not a valid e-mail address."
    alternate = fields.get("alternate_contact_number")
    if alternate is not None and not DIGITS.match(str(alternate)):
        errors["alternate_contact_number"] = "Digits only, without the country code."
    if alternate and not fields.get("alternate_cc"):
        errors["alternate_cc"] = "Required with an alternate contact number."
    for name in ("panel_access", "receive_calls"):
        if fields.get(name) is not None and fields[name] not in (1, 2):
            errors[name] = "1 (yes) or 2 (no)."
    if fields.get("contact_type") is not None and (
        str(fields["contact_type"]).lower() not in CONTACT_TYPES
    ):
        errors["contact_type"] = "mobile, sip or landline."


def user_form(fields: dict) -> dict:
    cleaned = {}
    for name, value in fields.items():
        if value is None:
            continue
        cleaned[name] = (
            str(value).lstrip("+") if name in ("country_code", "alternate_cc") else value
        )
    if "contact_type" in cleaned:
        cleaned["contact_type"] = str(cleaned["contact_type"]).lower()
    return cleaned


URL_IN_TEXT = re.compile(r"https?://[^\s\"'<>]+")


def first_url(data: Any) -> str:
    """The first http(s) URL anywhere in a JSON value (the recording link's shape is not
    documented; public clients look in several places, so look everywhere)."""
    if isinstance(data, str):
        match = URL_IN_TEXT.search(data)
        return match.group(0) if match else ""
    if isinstance(data, dict):
        preferred = [data[key] for key in ("link", "url", "data") if key in data]
        others = [value for key, value in data.items() if key not in ("link", "url", "data")]
        data = preferred + others
    if isinstance(data, list):
        for item in data:
            found = first_url(item)
            if found:
                return found
    return ""
