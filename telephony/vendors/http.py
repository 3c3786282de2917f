"""The one HTTP seam: every vendor request goes through `VendorHTTP.request`.

It sets timeouts and a User-Agent, retries only what is safe (idempotent requests, on
429/5xx/connection errors/timeouts, with exponential backoff and full jitter), maps
failures to the typed errors of telephony.vendors.base, writes one ProviderRequest audit
row per attempt, and redacts every secret from logs, audit rows and error messages.
"""

import json
import logging
import random
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests
from django.conf import settings

from .base import (
    AuthFailed,
    MalformedResponse,
    RateLimited,
    Rejected,
    Unavailable,
    VendorError,
)

logger = logging.getLogger("telephony.vendors")

USER_AGENT = "Dialdesk/0.1 (+https://github.com/dialdesk)"
REDACTED = "[redacted]"
EXCERPT_LIMIT = 2000
IDEMPOTENT_METHODS = {"GET", "HEAD", "OPTIONS", "PUT", "DELETE"}
RETRY_STATUSES = {429, 500, 502, 503, 504}

# Field and header names whose values are secrets whatever they contain.
SECRET_KEYS = {
    "token",
    "secret_token",
    "x-api-key",
    "x_api_key",
    "api_key",
    "auth",
    "authorization",
    "password",
    "otp",
    "access_token",
    "refresh_token",
    "client_secret",
}
_SECRET_KEY_PATTERN = "|".join(re.escape(key) for key in sorted(SECRET_KEYS, key=len, reverse=True))
# "key": "value" in JSON, key=value in forms and query strings.
_JSON_SECRET = re.compile(rf'("(?:{_SECRET_KEY_PATTERN})"\s*:\s*)"(?:[^"\\]|\\.)*"', re.I)
_FORM_SECRET = re.compile(rf"(?<![\w-])((?:{_SECRET_KEY_PATTERN})=)[^&\s]*", re.I)


@dataclass
class VendorResponse:
    status_code: int
    headers: dict
    content: bytes
    data: Any = None  # parsed JSON when the response is JSON

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")


# classify(response) -> an exception to raise, or None to accept the response.
Classifier = Callable[[VendorResponse], VendorError | None]


class Redactor:
    """Removes known secret values and secret-named fields from any text."""

    def __init__(self, secrets: Iterable[str] = ()):
        self.secrets: set[str] = set()
        for secret in secrets:
            self.add(secret)

    def add(self, secret: str | None):
        # Very short values would redact ordinary text; they are not secrets worth the name.
        if secret and len(str(secret)) >= 4:
            self.secrets.add(str(secret))

    def __call__(self, text: str) -> str:
        if not text:
            return text
        for secret in sorted(self.secrets, key=len, reverse=True):
            text = text.replace(secret, REDACTED)
        text = _JSON_SECRET.sub(rf'\1"{REDACTED}"', text)
        return _FORM_SECRET.sub(rf"\1{REDACTED}", text)


def backoff_delay(attempt: int, retry_after: float | None = None) -> float:
    """Exponential backoff with full jitter; a vendor's Retry-After wins, within a cap."""
    cap = settings.VENDOR_HTTP["backoff_cap"]
    if retry_after is not None:
        return min(max(retry_after, 0.0), cap)
    base = settings.VENDOR_HTTP["backoff_base"]
    return random.uniform(0, min(cap, base * (2**attempt)))


def parse_retry_after(headers) -> float | None:
    value = headers.get("Retry-After")
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        return None


def default_classify(response: VendorResponse, vendor: str) -> VendorError | None:
    """Map HTTP status codes to typed errors; vendors refine this with their own bodies."""
    status = response.status_code
    if status < 400:
        return None
    message = extract_message(response.data) or response.text[:300] or f"HTTP {status}"
    kwargs = {"vendor": vendor, "status_code": status, "payload": response.data}
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


class VendorHTTP:
    """An HTTP session for one vendor account. Clients call `request` and nothing else."""

    def __init__(
        self,
        vendor: str,
        *,
        account=None,
        secrets: Iterable[str] = (),
        timeout: tuple[float, float] | None = None,
        max_retries: int | None = None,
        session: requests.Session | None = None,
    ):
        self.vendor = vendor
        self.account = account
        self.redact = Redactor(secrets)
        config = settings.VENDOR_HTTP
        self.timeout = timeout or (config["connect_timeout"], config["read_timeout"])
        self.max_retries = config["max_retries"] if max_retries is None else max_retries
        self.session = session or requests.Session()
        self.session.headers["User-Agent"] = USER_AGENT

    def add_secret(self, secret: str | None):
        """Register a secret learned at run time (e.g. an OAuth access token)."""
        self.redact.add(secret)

    def request(
        self,
        method: str,
        url: str,
        *,
        endpoint: str = "",
        params: dict | None = None,
        json_body: Any = None,
        data: Any = None,
        files: dict | None = None,
        headers: dict | None = None,
        auth: Any = None,
        idempotent: bool | None = None,
        classify: Classifier | None = None,
        expect_json: bool = True,
        timeout: tuple[float, float] | None = None,
    ) -> VendorResponse:
        """Send one logical request (maybe several attempts) and return the response.

        `idempotent` defaults to the method's HTTP semantics; a POST that creates
        something is never retried unless the caller knows the vendor deduplicates it.
        `classify` inspects a response and returns the error to raise (or None); it runs
        before the status-code defaults so vendor bodies (HTTP 200 errors too) win.
        """
        method = method.upper()
        retry_allowed = method in IDEMPOTENT_METHODS if idempotent is None else idempotent
        endpoint = endpoint or urlsplit(url).path
        attempt = 0
        while True:
            attempt += 1
            started = time.monotonic()
            response = None
            error: VendorError | None = None
            try:
                raw = self.session.request(
                    method,
                    url,
                    params=params,
                    json=json_body,
                    data=data,
                    files=files,
                    headers=headers,
                    auth=auth,
                    timeout=timeout or self.timeout,
                )
                response = self._wrap(raw, expect_json)
                error = self._classify(response, classify, expect_json)
            except requests.Timeout:
                error = Unavailable("The vendor did not answer in time.", vendor=self.vendor)
            except requests.ConnectionError as exc:
                error = Unavailable(
                    f"Could not connect to the vendor ({type(exc).__name__}).", vendor=self.vendor
                )
            except requests.RequestException as exc:
                error = Unavailable(f"Request failed ({type(exc).__name__}).", vendor=self.vendor)
            latency_ms = int((time.monotonic() - started) * 1000)
            if error is not None:
                error.message = self.redact(error.message)
                error.args = (error.message,)
            will_retry = (
                error is not None
                and error.retryable
                and retry_allowed
                and attempt <= self.max_retries
            )
            self._audit(
                method=method,
                url=url,
                endpoint=endpoint,
                params=params,
                body=json_body if json_body is not None else data,
                response=response,
                error=error,
                latency_ms=latency_ms,
                attempt=attempt,
                will_retry=will_retry,
            )
            if error is None:
                return response
            if not will_retry:
                raise error
            retry_after = error.retry_after if isinstance(error, RateLimited) else None
            time.sleep(backoff_delay(attempt - 1, retry_after))

    def _wrap(self, raw: requests.Response, expect_json: bool) -> VendorResponse:
        response = VendorResponse(
            status_code=raw.status_code, headers=dict(raw.headers), content=raw.content
        )
        if raw.content:
            try:
                response.data = json.loads(raw.content)
            except ValueError:
                response.data = None
        return response

    def _classify(self, response, classify, expect_json) -> VendorError | None:
        error = classify(response) if classify else None
        if error is not None:
            error.vendor = error.vendor or self.vendor
            error.status_code = error.status_code or response.status_code
            return error
        error = default_classify(response, self.vendor)
        if error is not None:
            return error
        if expect_json and response.content and response.data is None:
            return MalformedResponse(
                "The vendor's answer is not valid JSON.",
                vendor=self.vendor,
                status_code=response.status_code,
            )
        return None

    def _audit(
        self,
        *,
        method,
        url,
        endpoint,
        params,
        body,
        response,
        error,
        latency_ms,
        attempt,
        will_retry,
    ):
        from telephony.models import ProviderRequest

        shown_url = self.redact(self._url_with_params(url, params))
        request_excerpt = self.redact(_excerpt(body))
        response_excerpt = self.redact(response.text[:EXCERPT_LIMIT]) if response else ""
        ProviderRequest.objects.create(
            account=self.account,
            vendor=self.vendor,
            method=method,
            endpoint=endpoint[:200],
            url=shown_url[:1000],
            status_code=response.status_code if response else None,
            latency_ms=latency_ms,
            attempt=attempt,
            retried=will_retry,
            ok=error is None,
            error_kind=type(error).__name__ if error else "",
            error=error.message[:1000] if error else "",
            request_excerpt=request_excerpt,
            response_excerpt=response_excerpt,
        )
        log = logger.warning if error else logger.info
        log(
            "%s %s %s -> %s in %d ms (attempt %d)%s",
            self.vendor,
            method,
            shown_url,
            response.status_code if response else "no response",
            latency_ms,
            attempt,
            f": {type(error).__name__}: {error.message}" if error else "",
        )

    @staticmethod
    def _url_with_params(url: str, params: dict | None) -> str:
        if not params:
            return url
        parts = urlsplit(url)
        query = parse_qsl(parts.query) + [(k, str(v)) for k, v in params.items() if v is not None]
        return urlunsplit(parts._replace(query=urlencode(query)))


def _excerpt(body: Any) -> str:
    if body is None:
        return ""
    if isinstance(body, bytes):
        text = body.decode("utf-8", errors="replace")
    elif isinstance(body, str):
        text = body
    elif isinstance(body, dict | list):
        try:
            text = json.dumps(body, default=str)
        except TypeError:
            text = str(body)
    else:
        text = str(body)
    return text[:EXCERPT_LIMIT]
