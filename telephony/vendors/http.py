"""The one HTTP seam: every vendor request goes through `VendorHTTP.request`.

It sets timeouts and a User-Agent, retries only what is safe (idempotent requests, on
429/5xx/connection errors/timeouts, with exponential backoff and full jitter), maps
failures to the typed errors of telephony.vendors.base, writes one ProviderRequest audit
row per attempt, and redacts every secret, in every encoding it can take on the wire
(redaction.py), from logs, audit rows and error messages.

What a base URL can reach is limited, because an admin types it and its answers are
shown on the account page:
- no redirect is followed: a vendor request carries credentials, and a 3xx could hand
  them to another origin; it is an error (`Redirected`) naming the new location;
- no request goes to a link-local or cloud metadata address (destinations.py);
- only a vendor answer (JSON that the client accepted, or that carries the vendor's error
  envelope) is quoted in an error message or an audit row; anything else (an HTML page,
  a JSON document of some other service) is described by its status, content type and
  size, never quoted (answers.py).
A credential that an HTTP header cannot carry (outside Latin-1) is refused before sending
(`UnsendableCredential`), naming the header, never its characters.
"""

import json
import logging
import random
import time
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import requests
from django.conf import settings

from .answers import (
    BASE_URL_HINT,
    BlockedDestination,
    Classifier,
    OversizedAnswer,
    Redirected,
    UnsendableCredential,
    VendorResponse,
    default_classify,
    describe_body,
    extract_message,
    header_problem,
    non_vendor_message,
    parse_retry_after,
)
from .base import MalformedResponse, RateLimited, Unavailable, VendorError
from .destinations import ForbiddenDestination, GuardedAdapter, check_url
from .redaction import REDACTED, SECRET_KEYS, Redactor

# Clients import these from the seam, their one door to HTTP.
__all__ = [
    "REDACTED",
    "SECRET_KEYS",
    "BlockedDestination",
    "Classifier",
    "Redactor",
    "Redirected",
    "UnsendableCredential",
    "VendorHTTP",
    "VendorResponse",
    "default_classify",
    "extract_message",
    "header_problem",
    "non_vendor_message",
    "parse_retry_after",
]

logger = logging.getLogger("telephony.vendors")

USER_AGENT = "Dialdesk/0.1 (+https://github.com/dialdesk)"
EXCERPT_LIMIT = 2000
IDEMPOTENT_METHODS = {"GET", "HEAD", "OPTIONS", "PUT", "DELETE"}
RETRY_STATUSES = {429, 500, 502, 503, 504}
# Content types whose body an audit row may quote when a caller asked for a non-JSON
# answer (Omilia's CSV export); anything else (audio, …) is summarized.
TEXT_TYPES = ("text/", "application/json", "application/csv", "application/xml")


def backoff_delay(attempt: int, retry_after: float | None = None) -> float:
    """Exponential backoff with full jitter; a vendor's Retry-After wins, within a cap."""
    cap = settings.VENDOR_HTTP["backoff_cap"]
    if retry_after is not None:
        return min(max(retry_after, 0.0), cap)
    base = settings.VENDOR_HTTP["backoff_base"]
    return random.uniform(0, min(cap, base * (2**attempt)))


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
        if session is None:
            session = requests.Session()
            for prefix in ("http://", "https://"):
                session.mount(prefix, GuardedAdapter())
        self.session = session
        self.session.headers["User-Agent"] = USER_AGENT

    def add_secret(self, secret: str | None):
        """Register a secret learned at run time (e.g. an OAuth access token)."""
        self.redact.add(secret)

    def add_basic_auth(self, username: str, password: str | None):
        """Register an HTTP Basic login, so that its header's base64 token is redacted."""
        self.redact.add_basic(username, password)

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
        Redirects are errors, never followed.
        """
        method = method.upper()
        retry_allowed = method in IDEMPOTENT_METHODS if idempotent is None else idempotent
        endpoint = endpoint or urlsplit(url).path
        if isinstance(auth, tuple) and len(auth) == 2:
            self.add_basic_auth(*auth)
        attempt = 0
        while True:
            attempt += 1
            started = time.monotonic()
            response = None
            error: VendorError | None = None
            vendor_answer = False
            try:
                check_url(url)
                error = self._unsendable(headers, auth)
                if error is None:
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
                        allow_redirects=False,
                        stream=True,  # the body is read within limits by _wrap
                    )
                    response = self._wrap(raw, expect_json, timeout or self.timeout)
                    error, vendor_answer = self._classify(response, url, classify, expect_json)
            except OversizedAnswer as exc:
                error = exc
            except ForbiddenDestination as exc:
                error = BlockedDestination(str(exc), vendor=self.vendor, hint=BASE_URL_HINT)
            except UnicodeError:
                # _unsendable checks what we pass; this catches what requests adds itself.
                error = UnsendableCredential(
                    "A credential of this account holds characters an HTTP header cannot "
                    "carry (outside Latin-1); nothing was sent. Edit the account.",
                    vendor=self.vendor,
                )
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
                vendor_answer=vendor_answer,
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

    def _unsendable(self, headers: dict | None, auth: Any) -> VendorError | None:
        """An error naming the header whose value requests could not send, or None."""
        problems = [
            (f"the {name} header", header_problem(value))
            for name, value in (headers or {}).items()
            if value is not None
        ]
        if isinstance(auth, tuple):
            login = "the HTTP Basic login (username and password)"
            problems += [(login, header_problem(part)) for part in auth]
        for where, problem in problems:
            if problem:
                return UnsendableCredential(
                    f"This account's value for {where} holds {problem}, which an HTTP "
                    "header cannot carry; nothing was sent. Edit the account and type it "
                    "again.",
                    vendor=self.vendor,
                )
        return None

    def _wrap(self, raw: requests.Response, expect_json: bool, timeout) -> VendorResponse:
        """The answer, read within VENDOR_MAX_RESPONSE_MB (counted after decompression,
        so a gzip bomb stops too) and within three read timeouts in all (a server that
        drips a byte at a time stops too); OversizedAnswer past either."""
        limit = settings.VENDOR_MAX_RESPONSE_BYTES
        deadline = time.monotonic() + 3 * timeout[1]
        try:
            declared = int(raw.headers.get("Content-Length") or 0)
        except ValueError:
            declared = 0
        chunks, size = [], 0
        try:
            if declared > limit:
                raise OversizedAnswer(_too_large(declared, limit), vendor=self.vendor)
            for chunk in raw.iter_content(64 * 1024):
                size += len(chunk)
                if size > limit:
                    raise OversizedAnswer(_too_large(size, limit), vendor=self.vendor)
                if time.monotonic() > deadline:
                    raise OversizedAnswer(
                        f"The vendor's answer was still arriving after {3 * timeout[1]:.0f} "
                        f"s ({size:,} bytes so far); Dialdesk stopped reading it.",
                        vendor=self.vendor,
                    )
                chunks.append(chunk)
        finally:
            raw.close()
        response = VendorResponse(
            status_code=raw.status_code, headers=dict(raw.headers), content=b"".join(chunks)
        )
        if response.content:
            try:
                response.data = json.loads(response.content)
            except (ValueError, RecursionError):  # RecursionError: nesting too deep
                response.data = None
        return response

    def _classify(
        self, response: VendorResponse, url: str, classify, expect_json: bool
    ) -> tuple[VendorError | None, bool]:
        """(the error to raise or None, whether the body is a vendor answer to quote)."""
        is_json = response.data is not None
        if 300 <= response.status_code < 400:
            return self._redirect(response, url), False
        error = classify(response) if classify else None
        if error is not None:
            error.vendor = error.vendor or self.vendor
            error.status_code = error.status_code or response.status_code
            # The vendor's own envelope, unless the hook says the shape is wrong or found
            # no vendor message in it.
            recognized = not isinstance(error, MalformedResponse) and (
                error.message != non_vendor_message(response)
            )
            return error, is_json and recognized
        error = default_classify(response, self.vendor)
        if error is not None:
            return error, bool(extract_message(response.data))
        if expect_json and response.content and not is_json:
            return MalformedResponse(
                "The vendor's answer is not valid JSON.",
                vendor=self.vendor,
                status_code=response.status_code,
            ), False
        textual = response.content_type.startswith(TEXT_TYPES)
        return None, is_json or (not expect_json and textual)

    def _redirect(self, response: VendorResponse, url: str) -> Redirected:
        status = response.status_code
        location = next(
            (str(v) for k, v in response.headers.items() if k.lower() == "location"), ""
        )
        if not location:
            return Redirected(
                f"The vendor answered HTTP {status} (a redirect without a location). Check "
                "the account's base URL.",
                vendor=self.vendor,
                status_code=status,
            )
        target = urljoin(url, location)
        if len(target) > 300:
            target = target[:300] + "…"
        return Redirected(
            f"The vendor answered with a redirect ({status}) to {target}; Dialdesk does not "
            "follow redirects with credentials. Check the account's base URL.",
            vendor=self.vendor,
            status_code=status,
            location=target,
        )

    def _audit(
        self,
        *,
        method,
        url,
        endpoint,
        params,
        body,
        response,
        vendor_answer,
        error,
        latency_ms,
        attempt,
        will_retry,
    ):
        from telephony.models import ProviderRequest

        # Redact, then cut: a secret cut in half would not be recognized. (The first cut,
        # at four times the limit, only bounds the work; it is far past what is kept.)
        shown_url = self.redact(self._url_with_params(url, params))
        request_excerpt = self.redact(_excerpt(body)[: EXCERPT_LIMIT * 4])[:EXCERPT_LIMIT]
        if response is None or not response.content:
            response_excerpt = ""
        elif vendor_answer:
            response_excerpt = self.redact(response.text[: EXCERPT_LIMIT * 4])[:EXCERPT_LIMIT]
        else:
            response_excerpt = describe_body(response)
        ProviderRequest.objects.create(
            account=self.account,
            vendor=self.vendor,
            method=method,
            endpoint=self.redact(endpoint)[:200],
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


def _too_large(size: int, limit: int) -> str:
    return (
        f"The vendor's answer is {size / 1024 / 1024:,.1f} MB or more; Dialdesk reads "
        f"answers of up to {limit / 1024 / 1024:,.0f} MB (VENDOR_MAX_RESPONSE_MB)."
    )


def _excerpt(body: Any) -> str:
    """The request body as text, whole (the caller redacts, then cuts)."""
    if body is None:
        return ""
    if isinstance(body, bytes):
        return body.decode("utf-8", errors="replace")
    if isinstance(body, str):
        return body
    if isinstance(body, dict | list):
        try:
            return json.dumps(body, default=str)
        except TypeError:
            return str(body)
    return str(body)
