"""Pre-send validation (what the document says the vendor rejects) and the reading of
the vendor's answers: error bodies to typed errors, success bodies checked for shape.

Validators take an `errors` dict, add "field: message" entries and return the value as
the vendor wants it, so one request reports every problem at once (InvalidRequest).
"""

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.utils import timezone

from telephony.vendors.base import (
    AuthFailed,
    InvalidRequest,
    MalformedResponse,
    RateLimited,
    Rejected,
    Unavailable,
    VendorError,
)
from telephony.vendors.http import VendorResponse, parse_retry_after

from .errors import fault_for, rule_for
from .types import DATE_FORMAT, DATETIME_FORMAT, NUMBER_RE

AUTH_WORDS = ("invalid account", "invalid auth", "unauthori", "authentication")


def _typed_error(message: str, response: VendorResponse) -> VendorError:
    status = response.status_code
    kwargs = {"status_code": status, "vendor_code": status, "payload": response.data}
    rule = rule_for(status, message)  # errors.ERRORS: whom each error is about
    if rule is not None and rule.error is not RateLimited:
        error = rule.to_error(message, **kwargs)
        error.fault = fault_for(rule, message)
        return error
    if status in (401, 403) or any(word in message.lower() for word in AUTH_WORDS):
        return AuthFailed(message, **kwargs)
    if status == 429:
        return RateLimited(message, retry_after=parse_retry_after(response.headers), **kwargs)
    if status >= 500:
        return Unavailable(message, **kwargs)
    return Rejected(message, **kwargs)


def classify(
    response: VendorResponse, *, required: tuple[str, ...] = (), empty_ok: bool = False
) -> VendorError | None:
    """The vendor's own error bodies (also when sent with HTTP 200) -> typed errors; a
    success without the documented keys -> MalformedResponse. `empty_ok` reads accept
    "… not found" with no result as an empty answer."""
    data = response.data
    if isinstance(data, dict) and data.get("status") == "error":
        return _typed_error(str(data.get("message") or f"HTTP {response.status_code}"), response)
    inner = data.get("response") if isinstance(data, dict) else None
    if isinstance(inner, dict) and str(inner.get("success")).lower() == "false":
        message = str(inner.get("message") or "request failed")
        if empty_ok and not inner.get("result") and "not found" in message.lower():
            return None
        return _typed_error(message, response)
    if response.status_code >= 400:
        return None  # the seam's defaults by status code
    if data is None:
        if response.content:
            return None  # the seam reports invalid JSON
        return MalformedResponse("The CPaaS server sent an empty answer.")
    if not isinstance(inner, dict):
        return MalformedResponse("The CPaaS answer has no 'response' object.", payload=data)
    missing = [key for key in required if key not in inner]
    if missing:
        return MalformedResponse(f"The CPaaS answer lacks {', '.join(missing)}.", payload=data)
    return None


def number(errors: dict, name: str, value, pattern=NUMBER_RE) -> str:
    text = str(value or "").strip().removeprefix("+")
    if not text:
        errors[name] = "is required."
    elif not pattern.fullmatch(text):
        errors[name] = (
            "must be digits with the country code (e.g. 919979270000), without spaces."
            if pattern is NUMBER_RE
            else "must be digits only."
        )
    return text


def required(errors: dict, name: str, value) -> str:
    text = str(value if value is not None else "").strip()
    if not text:
        errors[name] = "is required."
    return text


def choice(errors: dict, name: str, value, allowed) -> str:
    text = str(value or "").strip()
    if text not in allowed:
        errors[name] = f"must be one of {', '.join(allowed)}."
    return text


def on_off(errors: dict, name: str, value) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    return choice(errors, name, value, ("on", "off"))


def positive(errors: dict, name: str, value, *, minimum=1) -> str:
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = None
    if number is None or number < minimum or str(value).strip().startswith("+"):
        errors[name] = f"must be a whole number of at least {minimum}."
        return str(value)
    return str(number)


def zone(errors: dict, name: str, value) -> ZoneInfo | None:
    text = str(value or "").strip()
    if not text:
        errors[name] = "is required."
        return None
    try:
        return ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        errors[name] = "is not a known time zone (e.g. Asia/Kolkata, US/Eastern)."
        return None


def local_datetime(errors: dict, name: str, value, zone: ZoneInfo | None) -> datetime | None:
    """A datetime (aware: converted to `zone`; naive: taken as local) or a string in the
    vendor's format -> naive local datetime."""
    if isinstance(value, datetime):
        if timezone.is_aware(value):
            if zone is None:
                return None
            value = value.astimezone(zone)
        return value.replace(tzinfo=None, microsecond=0)
    try:
        return datetime.strptime(str(value or "").strip(), DATETIME_FORMAT)
    except ValueError:
        errors[name] = "must be a date and time as YYYY-mm-dd hh:mm:ss."
        return None


def in_future(errors: dict, name: str, local: datetime | None, zone: ZoneInfo | None):
    if local is not None and zone is not None and local.replace(tzinfo=zone) <= timezone.now():
        errors[name] = "must be in the future."


def day(errors: dict, name: str, value) -> str:
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value.strftime(DATE_FORMAT)
    text = str(value or "").strip()
    try:
        datetime.strptime(text, DATE_FORMAT)
    except ValueError:
        errors[name] = "must be a date as YYYY-mm-dd."
    return text


def raise_errors(errors: dict):
    if errors:
        raise InvalidRequest(errors)


def imported_count(message: str) -> int:
    """ "(2) contacts imported successfully" -> 2."""
    match = re.match(r"\s*\((\d+)\)", message or "")
    if not match:
        raise MalformedResponse(f"Cannot read the imported count from {message!r}.")
    return int(match[1])


def result_list(inner: dict) -> list[dict]:
    result = inner.get("result", [])
    if not isinstance(result, list) or not all(isinstance(row, dict) for row in result):
        raise MalformedResponse("The CPaaS result is not a list of records.", vendor="cpaas")
    return result
