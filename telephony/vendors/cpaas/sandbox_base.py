"""The CPaaS simulator's plumbing: credentials, the vendor's error bodies, the endpoint
decorator and field validation. Views live in sandbox.py and sandbox_campaigns.py.

The simulator serves /sandbox/cpaas/api/<endpoint>, the document's paths (seed 002).
Auth is the `account` and `auth` headers; bodies are JSON; every answer is wrapped in
{"response": {..., "success": "true"}} with sorted keys, as the vendor's Flask app does.

GUESSES (nothing public pins them down; vendor-contracts.md §3), all kept as data below:
- errors use the envelope {"status": "error", "message": "…"}: 401 for bad or missing
  auth, 400 for a missing or invalid field, 404 for an unknown id (ERRORS);
- an empty read answers HTTP 200 {"response": {"message": "cdr not found", "result": [],
  "success": "false"}} (EMPTY_MESSAGES), the way such Flask apps usually do;
- campaign_status codes (simulation.CAMPAIGN_STATUS);
- a field the document's tables do not mark "(Optional)" is required, except where the
  document's own examples leave it out (see sandbox_campaigns.create_campaign).
"""

import hmac
import json
from datetime import UTC, datetime
from functools import wraps
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.http import JsonResponse

from telephony.models import SandboxConfig, SandboxRecord
from telephony.vendors.sandbox_kit import FaultResponses, sandbox_view

from . import simulation as sim

VENDOR = sim.VENDOR

# The two accounts the installer creates (the document: account_1 and account_2).
SANDBOX_CREDENTIALS = {
    "account_1": "sbx-cpaas-auth-7f3c1a9e52",
    "account_2": "sbx-cpaas-auth-2b8d4e6104",
}

ERRORS = {
    "auth": (401, "Invalid account or auth"),
    "required": (400, "{field} is required"),
    "invalid": (400, "{field} is invalid"),
    "exists": (400, "{field} already exists"),
    "future": (400, "{field} must be a future date and time"),
    "end_before_start": (400, "campaign_end_date must be after campaign_start_date"),
    "processed": (400, "callback request already processed"),
    "completed": (400, "campaign already completed"),
    "not_answered": (400, "channel is not answered"),
    "not_found": (404, "{field} not found"),
    "bad_json": (400, "invalid json body"),
    "method": (405, "method not allowed"),
    "server_error": (500, "internal server error"),
    "rate_limited": (429, "too many requests"),
}
# Account-wide errors an admin switches on (Sandboxes page, SandboxConfig.account_faults):
# key -> (label, ERRORS key). The installer's accounts have no billing, so only auth.
ACCOUNT_FAULTS = {"auth": ("Credentials refused (401)", "auth")}
EMPTY_MESSAGES = {"cdr": "cdr not found", "campaign": "campaign not found"}
FOUND_MESSAGES = {"cdr": "cdr found", "campaign": "campaign found"}
RATE_LIMIT_RETRY_AFTER = "1"

DATE_FORMAT = "%Y-%m-%d"
DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S"

CLICK2CALL_RECORDING = {"both", "agent", "customer", "off", "on"}  # "on": the doc's example
ON_OFF = {"on", "off"}
VOLUMES = {"silent", "x-soft", "soft", "medium", "loud", "x-loud"}
RATES = {"x-slow", "slow", "medium", "fast", "x-fast"}
PITCHES = {"x-low", "low", "medium", "high", "x-high"}
TTS_ENGINES = {"standard", "neural"}
MODIFY_MESSAGES = {
    "0": "blind transferred successfully",  # the document's
    "1": "attended transferred successfully",
    "2": "call hangup successfully",
    "3": "call recording started successfully",
}


class ApiError(Exception):
    def __init__(self, code: str, **fmt):
        super().__init__(code)
        self.code = code
        self.fmt = fmt


def error_response(code: str, **fmt) -> JsonResponse:
    status, template = ERRORS[code]
    response = JsonResponse({"status": "error", "message": template.format(**fmt)}, status=status)
    if status == 429:
        response["Retry-After"] = RATE_LIMIT_RETRY_AFTER
    return response


def ok(**payload) -> JsonResponse:
    return JsonResponse(
        {"response": {**payload, "success": "true"}}, json_dumps_params={"sort_keys": True}
    )


def found(what: str, result) -> JsonResponse:
    if not result:
        body = {"message": EMPTY_MESSAGES[what], "result": [], "success": "false"}
        return JsonResponse({"response": body}, json_dumps_params={"sort_keys": True})
    return ok(message=FOUND_MESSAGES[what], result=result)


FAULTS = FaultResponses(
    server_error=lambda: error_response("server_error"),
    rate_limited=lambda: error_response("rate_limited"),
)


def tenant_of(request) -> str | None:
    account = request.headers.get("account", "")
    auth = request.headers.get("auth", "")
    expected = SANDBOX_CREDENTIALS.get(account)
    if expected and auth and hmac.compare_digest(expected.encode(), auth.encode()):
        return account
    return None


def endpoint(*methods: str):
    """A CPaaS endpoint: fault injection, then method, auth and JSON body, in the
    order the vendor's app checks them; ApiError becomes the vendor's error body."""

    def decorator(func):
        @sandbox_view(VENDOR, FAULTS, credential=lambda request: request.headers.get("account", ""))
        @wraps(func)
        def view(request):
            if request.method not in methods:
                return error_response("method")
            tenant = tenant_of(request)
            if tenant is None or "auth" in (SandboxConfig.for_vendor(VENDOR).account_faults or []):
                return error_response("auth")
            body = {}
            if request.method != "GET" and request.body.strip():
                try:
                    body = json.loads(request.body)
                except ValueError:
                    return error_response("bad_json")
                if not isinstance(body, dict):
                    return error_response("bad_json")
            try:
                return func(request, tenant, body)
            except ApiError as exc:
                return error_response(exc.code, **exc.fmt)

        return view

    return decorator


# --- field validation (the vendor's rules, as the document states them) ----------------


def text(body: dict, field: str, *, required=True, default="") -> str:
    value = body.get(field)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ApiError("required", field=field)
        return default
    if isinstance(value, dict | list | bool):
        raise ApiError("invalid", field=field)
    return str(value).strip()


def number(body: dict, field: str, *, minimum=10, required=True) -> str:
    """Numbers are digits with the country code and no "+", as the document shows them."""
    value = text(body, field, required=required)
    if not value and not required:
        return ""
    if not value.isdigit() or not minimum <= len(value) <= 15:
        raise ApiError("invalid", field=field)
    return value


def choice(body: dict, field: str, allowed, *, required=False, default="") -> str:
    value = text(body, field, required=required, default=default)
    if value not in allowed:
        raise ApiError("invalid", field=field)
    return value


def integer(body: dict, field: str, *, minimum=0, required=True, default=0) -> int:
    value = text(body, field, required=required, default=str(default))
    if not value.isdigit() or int(value) < minimum:
        raise ApiError("invalid", field=field)
    return int(value)


def zone(body: dict, field: str = "time_zone", *, required=True, default="UTC") -> str:
    value = text(body, field, required=required, default=default)
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ApiError("invalid", field=field) from None
    return value


def local_datetime(body: dict, field: str, *, required=True) -> datetime | None:
    value = text(body, field, required=required)
    if not value:
        return None
    try:
        return datetime.strptime(value, DATETIME_FORMAT)
    except ValueError:
        raise ApiError("invalid", field=field) from None


def to_utc(local: datetime, time_zone: str) -> datetime:
    return local.replace(tzinfo=ZoneInfo(time_zone)).astimezone(UTC)


def tts_options(body: dict) -> dict:
    return {
        "voice": text(body, "voice", required=False, default="Joanna"),
        "volume": choice(body, "volume", VOLUMES, default="medium"),
        "rate": choice(body, "rate", RATES, default="medium"),
        "pitch": choice(body, "pitch", PITCHES, default="medium"),
        "language_code": text(body, "language_code", required=False, default="en-US"),
        "tts_engine_type": choice(body, "tts_engine_type", TTS_ENGINES, default="standard"),
    }


def get_record(tenant: str, kind: str, key: str, field: str) -> SandboxRecord:
    record = sim.records(tenant, kind).filter(key=key).first()
    if record is None:
        raise ApiError("not_found", field=field)
    return record


def config():
    return SandboxConfig.for_vendor(VENDOR)
