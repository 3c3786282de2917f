"""What the HTTP seam makes of a vendor's answer, and the errors of its own.

A vendor answer is JSON that the client accepted or that carries the vendor's error
envelope; only a vendor answer is ever quoted (error messages, audit excerpts). Anything
else (an HTML page, another service's JSON) is described by its status, content type and
size: a base URL pointing elsewhere must not make that server readable through Dialdesk.
The seam's own errors (a redirect, a refused destination, a credential no header can
carry) are about the account's settings, never one contact: a campaign pauses on them.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .base import (
    AuthFailed,
    Fault,
    MalformedResponse,
    RateLimited,
    Rejected,
    Unavailable,
    VendorError,
)


@dataclass
class VendorResponse:
    status_code: int
    headers: dict
    content: bytes
    data: Any = None  # parsed JSON when the response is JSON

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")

    @property
    def content_type(self) -> str:
        for name, value in self.headers.items():
            if name.lower() == "content-type":
                return str(value).split(";")[0].strip().lower() or "no content type"
        return "no content type"


# classify(response) -> an exception to raise, or None to accept the response.
Classifier = Callable[[VendorResponse], VendorError | None]


# The errors below are about the account's settings, never about one contact: a
# campaign pauses on them (Fault.ACCOUNT) with the hint, instead of failing every number.
BASE_URL_HINT = "Check the account's base URL with the vendor, then test the connection."


class Redirected(Rejected):
    """The vendor answered with a redirect. The seam never follows one: the request
    carries credentials (headers such as CPaaS's `auth`) that must not go elsewhere."""

    kind = "redirected"
    default_fault = Fault.ACCOUNT

    def __init__(self, message, *, location: str = "", **kwargs):
        kwargs.setdefault("hint", BASE_URL_HINT)
        super().__init__(message, **kwargs)
        self.location = location


class BlockedDestination(Rejected):
    """The URL points at a link-local or cloud metadata address (destinations.py):
    nothing was sent."""

    kind = "destination refused"
    default_fault = Fault.ACCOUNT


class UnsendableCredential(AuthFailed):
    """A credential holds characters an HTTP header cannot carry (outside Latin-1, or
    line breaks): nothing was sent. Fix the account, retrying will not help."""

    kind = "credential cannot be sent"

    def __init__(self, message, **kwargs):
        kwargs.setdefault(
            "hint", "Edit the account and type the credential again in Latin-1 characters."
        )
        super().__init__(message, **kwargs)


class OversizedAnswer(MalformedResponse):
    """The answer passed VENDOR_MAX_RESPONSE_MB, or kept arriving for too long: the seam
    stopped reading. Asking again would get the same answer."""

    kind = "answer too large"
    retryable = False


def parse_retry_after(headers) -> float | None:
    value = headers.get("Retry-After")
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        return None


def default_classify(response: VendorResponse, vendor: str) -> VendorError | None:
    """Map HTTP status codes to typed errors; vendors refine this with their own bodies.

    The message is the vendor's own (from its JSON error envelope) or, for an answer that
    is not a vendor's, its status only: a base URL pointing at some other server must not
    make that server's page readable through Dialdesk."""
    status = response.status_code
    if status < 400:
        return None
    message = extract_message(response.data)
    kwargs = {"vendor": vendor, "status_code": status, "payload": response.data}
    if not message:
        message = non_vendor_message(response)
        if status < 500 and status != 429:
            # A 4xx that is not the vendor's (a 404 page): the base URL is wrong for every
            # call, not for one contact. (A proxy's 429 or 502 page stays transient.)
            kwargs.update(fault=Fault.ACCOUNT, hint=BASE_URL_HINT)
    if status in (401, 403):
        return AuthFailed(message, **kwargs)
    if status == 429:
        return RateLimited(message, retry_after=parse_retry_after(response.headers), **kwargs)
    if status >= 500:
        return Unavailable(message, **kwargs)
    return Rejected(message, **kwargs)


def extract_message(data: Any) -> str:
    """The human part of a vendor error body, whatever its envelope."""
    if isinstance(data, dict):
        for key in ("details", "message", "error_description", "error", "msg", "detail"):
            value = data.get(key)
            if isinstance(value, str) and value:
                return value
            if isinstance(value, list | dict) and value:
                return extract_message(value)
        if isinstance(data.get("errors"), list):
            return extract_message(data["errors"])
    if isinstance(data, list) and data:
        parts = [extract_message(item) for item in data]
        return "; ".join(part for part in parts if part)
    return ""


def describe_body(response: VendorResponse) -> str:
    """What an audit row stores instead of a body that is not a vendor answer."""
    return f"[not a vendor answer: {response.content_type}, {len(response.content):,} bytes]"


def non_vendor_message(response: VendorResponse) -> str:
    """The error message for an answer without a vendor error message: its status, and
    what kind of body came back (never the body)."""
    status = response.status_code
    if not response.content:
        return f"HTTP {status} with an empty answer."
    return (
        f"The answer (HTTP {status}, {response.content_type}, {len(response.content):,} "
        "bytes) is not from the vendor's API: check the account's base URL."
    )


def header_problem(value: Any) -> str:
    """Why `value` cannot travel in an HTTP header, or "" if it can. requests encodes
    header values (and Basic credentials) as Latin-1 and refuses line breaks."""
    text = value.decode("latin-1") if isinstance(value, bytes) else str(value)
    if any(ord(char) > 0xFF for char in text):
        return "characters outside Latin-1 (such as €, 中 or emoji)"
    if any(ord(char) < 0x20 or ord(char) == 0x7F for char in text if char != "\t"):
        return "line breaks or other control characters"
    return ""
