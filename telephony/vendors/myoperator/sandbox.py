"""The MyOperator simulator: the OBD API and the developers REST API, over real HTTP.

Faithful to seeds/000 (OBD) and seeds/001 (REST) plus vendor-contracts.md §1-2. Where
those sources leave a body open, the guess is marked GUESS here and follows the
contract's recommendation. State lives in SandboxCall (calls) and SandboxRecord (users
kind "user", reference-id locks kind "reference_id"), per company (`tenant`).
"""

import json
import re
import secrets
import uuid as uuid_lib
from datetime import datetime, timedelta

from django.db import transaction
from django.http import JsonResponse, QueryDict
from django.views.decorators.http import require_POST

from telephony.vendors.sandbox_kit import FaultResponses, new_call_fields, new_id, now, sandbox_view

from .sandbox_logs import DIDS, VENDOR, did_e164, recording_name
from .sandbox_users import create_user, find_user, users_qs

SANDBOX_CREDENTIALS = {
    "company_id": "5f0c3a9e1d2b7",
    "secret_token": "sbx-obd-secret-8d1f4e2a7c9b05e3",
    "x_api_key": "sbx-obd-apikey-3b6e9a1c5d7f2e80",
    "rest_token": "sbx-rest-token-6c2d8f1a4e9b7d31",
}
COMPANY = SANDBOX_CREDENTIALS["company_id"]
# The company's public IVRs (OBD `public_ivr_id`): campaigns configured in the panel.
PUBLIC_IVRS = {
    "66f2a1c0b3d94": "Sales follow-up",
    "66f2a1c0b3d95": "Payment reminder",
}
# Account-wide errors an admin switches on (Sandboxes page, SandboxConfig.account_faults):
# key -> (label, HTTP status, the seed's words). Each answers every OBD call it applies to.
ACCOUNT_FAULTS = {
    "ip_unauthorized": ("Our IP is not allowed", 403, "Your IP is unauthorized access denied"),
    "anonymous_disabled": (
        "Anonymous dial (number_2) is off",
        403,
        "Your annonymous feature is not enabled",  # sic: the vendor's spelling
    ),
    "billing_expired": ("Billing expired", 403, "Your billing usage has been Expired."),
    "company_details_incomplete": (
        "Company details incomplete",
        500,
        "We are unable to process your request due to incomplete company_details",
    ),
    "one_call_per_number": (
        "One call per number a day",
        403,
        "Maximum number of requests for this number have exceeded.",
    ),
}
REFERENCE_TTL_SECONDS = 2 * 24 * 3600  # a used reference_id stays locked ~2 days (C)
# "Call on same number is allowed only few times in a day" (C); the limit is a setting.
MAX_CALLS_PER_NUMBER_PER_DAY = 50
MAX_PAGE_SIZE = 100
E164 = re.compile(r"^\+[1-9]\d{6,14}$")
DIGITS = re.compile(r"^\d+$")
RECORDING_LINK_SECONDS = 24 * 3600
AUDIO_SALT = "myoperator-sandbox-recording"

# --- bodies ------------------------------------------------------------------------------

# The seed document's body for a bad x-api-key (the AWS API gateway in front of OBD).
GATEWAY_FORBIDDEN = {
    "message": "Forbidden",
    "type": "INVALID_API_KEY",
    "code": "403",
    "status": "error",
    "stage": "prod",
    "resourcePath": "/obd-api-v1",
    "details": "",
}
UNAUTHORIZED = {"status": "error", "message": "This not an authorized request", "code": 400}


def obd_error(code: int, details: str, reference_id=None) -> JsonResponse:
    """The seed's error envelope: details, status, code (a string), unique_id, echo."""
    body = {"details": details, "status": "error", "code": str(code), "unique_id": _unique_id()}
    if reference_id:
        body["reference_id"] = reference_id
    return JsonResponse(body, status=code)


def account_fault(key: str, reference_id=None) -> JsonResponse:
    """The vendor's answer for an account-wide error switched on in the sandbox."""
    _, status, words = ACCOUNT_FAULTS[key]
    return obd_error(status, words, reference_id=reference_id)


def rest_error(message: str, code: int = 400, http_status: int | None = None) -> JsonResponse:
    """`{"status":"error","message","code":<int>}`. Parameter errors come with the same
    HTTP status; business-rule errors (duplicates, unknown ids, limits) with HTTP 200,
    as the vendor does for some app-level errors (C). Which is which is a GUESS."""
    body = {"status": "error", "message": message, "code": code}
    return JsonResponse(body, status=code if http_status is None else http_status)


def rest_ok(**fields) -> JsonResponse:
    return JsonResponse({"status": "success", "code": 200, **fields})


def _rate_limited_rest():
    # GUESS: the 2025 support article's 429 with Retry-After (low confidence).
    response = JsonResponse(
        {"status": "error", "message": "Too Many Requests", "code": 429}, status=429
    )
    response["Retry-After"] = "1"
    return response


OBD_FAULTS = FaultResponses(
    server_error=lambda: obd_error(500, "We had a problem with our server. Try again later."),
    # The AWS gateway's throttling answer (GUESS, like its 403 above).
    rate_limited=lambda: JsonResponse({"message": "Too Many Requests"}, status=429),
)
REST_FAULTS = FaultResponses(
    server_error=lambda: rest_error("Internal Server Error", 500),
    rate_limited=_rate_limited_rest,
)


def _unique_id() -> str:
    return uuid_lib.uuid4().hex


# --- request parsing ---------------------------------------------------------------------


def rest_params(request) -> dict:
    """The query string merged with a form or JSON body: the vendor takes `token` (and
    the other fields) from any of the three (vendor-contracts.md §2)."""
    params = request.GET.dict()
    body: dict = {}
    if request.body:
        if request.content_type == "application/json":
            try:
                loaded = json.loads(request.body)
            except ValueError:
                loaded = None
            body = loaded if isinstance(loaded, dict) else {}
        elif request.content_type == "multipart/form-data" and request.method == "POST":
            body = request.POST.dict()
        else:
            body = QueryDict(request.body.decode("utf-8", errors="replace")).dict()
    return {**params, **{k: v for k, v in body.items() if v is not None}}


def _rest_token(request) -> str:
    return str(rest_params(request).get("token") or "")


def _authorized(params: dict) -> bool:
    return same_secret(str(params.get("token") or ""), SANDBOX_CREDENTIALS["rest_token"])


def same_secret(given: str, expected: str) -> bool:
    """Constant-time comparison that also copes with non-ASCII input."""
    return secrets.compare_digest(given.encode(), expected.encode())


def rest_view(view):
    """A REST simulator view: fault injection, then the token check."""

    def checked(request, *args, **kwargs):
        params = rest_params(request)
        if not _authorized(params):
            return JsonResponse(UNAUTHORIZED, status=400)
        return view(request, params, *args, **kwargs)

    checked.__name__ = view.__name__
    checked.__doc__ = view.__doc__
    return sandbox_view(VENDOR, REST_FAULTS, credential=_rest_token)(checked)


# --- OBD ---------------------------------------------------------------------------------


def _schema_type(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    return {str: "string", list: "array", dict: "object"}.get(type(value), "string")


def _pick(options: list, salt: str):
    return options[int.from_bytes(salt.encode(), "big") % len(options)] if options else None


def pick_did(caller_id, group, region, salt: str) -> str:
    """Dedicated DID by priority caller_id > group > region (seed, "All params"). An
    unknown value is ignored like an absent one (GUESS: no error is documented)."""
    numbers = [did for _, _, did in DIDS]
    if caller_id in numbers:
        return caller_id
    in_group = [did for _, grp, did in DIDS if grp == group]
    if in_group:
        return _pick(in_group, salt)
    groups = sorted({grp for reg, grp, _ in DIDS if reg.lower() == str(region or "").lower()})
    if groups:
        chosen = _pick(groups, salt)
        return _pick([did for _, grp, did in DIDS if grp == chosen], salt[::-1])
    return _pick(numbers, salt)


def _duration_error(value):
    if not isinstance(value, int) or isinstance(value, bool):
        # GUESS for the wording beyond the captured prefix: the json-schema-validator's.
        return (
            f"instance type ({_schema_type(value)}) does not match any allowed primitive "
            'type (allowed: ["integer"])'
        )
    if value > 5400:
        return (
            f"numeric instance is greater than the required maximum (maximum: 5400, found: {value})"
        )
    if value < 1:
        return f"numeric instance is lower than the required minimum (minimum: 1, found: {value})"
    return None


def validate_obd(body: dict) -> tuple[int, str] | None:
    """The vendor's checks, in order, with its own messages (seed error table)."""
    reference_id = body.get("reference_id")
    if not isinstance(body.get("secret_token"), str) or not body["secret_token"]:
        return 400, "Provide valid secret_token in string format"
    if not isinstance(body.get("company_id"), str) or not body["company_id"]:
        return 400, "Provide valid company_id in string format"  # GUESS, the seed's pattern
    if not (
        same_secret(body["secret_token"], SANDBOX_CREDENTIALS["secret_token"])
        and body["company_id"] == COMPANY
    ):
        return 403, "Invalid company_id or secret_token"  # GUESS: 403 is documented (C)
    if body.get("type") not in ("1", "2"):
        return 400, "Provide valid type in string format"
    if not isinstance(body.get("number"), str) or not E164.match(body["number"]):
        return 400, "Provide valid Number in string format"
    user_id, number_2 = body.get("user_id"), body.get("number_2")
    if body["type"] == "1":
        if user_id and number_2:
            return 400, "Provide only one a Valid user_id or number_2 in string format"
        if not user_id and not number_2:
            return 400, "Provide either a Valid user_id or number_2 in string format"
        if user_id and (not isinstance(user_id, str) or not find_user(COMPANY, user_id)):
            return 400, "Provide either a Valid user_id or number_2 in string format"
        if number_2 and (not isinstance(number_2, str) or not E164.match(number_2)):
            return 400, "Provide valid Agent Number in string format"
    elif user_id or number_2:
        return 403, "User_id or number_2(agent_number) not allowed for this type"
    if body.get("public_ivr_id") not in PUBLIC_IVRS:
        return 404, "Provide valid public_ivr_id in string format"
    if "max_call_duration" in body:
        message = _duration_error(body["max_call_duration"])
        if message:
            return 400, message
    if "call_hold" in body and not isinstance(body["call_hold"], bool):
        kind = _schema_type(body["call_hold"])
        return 400, (
            f"instance type ({kind}) does not match any allowed primitive type "
            '(allowed: ["boolean"])'
        )
    if reference_id is not None and (
        not isinstance(reference_id, str) or not reference_id or len(reference_id) > 64
    ):
        return 400, "Provide valid reference_id in string format"  # GUESS
    return None


def reserve_reference(company: str, reference_id: str, at: datetime) -> int | None:
    """Lock a reference_id for 2 days; None if free, else the seconds it stays taken."""
    from telephony.models import SandboxRecord

    lock = SandboxRecord.objects.filter(
        vendor=VENDOR, kind="reference_id", tenant=company, key=reference_id
    )
    lock.filter(created_at__lt=at - timedelta(seconds=REFERENCE_TTL_SECONDS)).delete()
    record, created = SandboxRecord.objects.get_or_create(
        vendor=VENDOR,
        kind="reference_id",
        tenant=company,
        key=reference_id,
        defaults={"created_at": at},
    )
    if created:
        return None
    return max(int(REFERENCE_TTL_SECONDS - (at - record.created_at).total_seconds()), 1)


def create_call(*, company, kind, number, did, reference_id="", params=None, talk_cap=None):
    """One SandboxCall with its deterministic outcome (sandbox_kit)."""
    from telephony.models import SandboxCall

    fields = new_call_fields(number, VENDOR)
    if talk_cap:
        fields["talk_seconds"] = min(fields["talk_seconds"], talk_cap)
    call_id = _unique_id()
    params = dict(params or {})
    params.setdefault("channel", kind)
    params.setdefault("recording", recording_name(call_id))
    params.setdefault("did", did)
    return SandboxCall.objects.create(
        vendor=VENDOR,
        call_id=call_id,
        reference_id=reference_id or "",
        tenant=company,
        kind=kind,
        from_number=did_e164(did),
        to_number=number,
        params=params,
        **fields,
    )


@sandbox_view(VENDOR, OBD_FAULTS, credential=lambda request: request.headers.get("x-api-key", ""))
@require_POST
def obd_call(request):
    """POST /obd-api-v1: place a peer-to-peer (type 1) or IVR (type 2) call."""
    from telephony.models import SandboxCall, SandboxConfig

    api_key = request.headers.get("x-api-key", "")
    if not same_secret(api_key, SANDBOX_CREDENTIALS["x_api_key"]):
        return JsonResponse(GATEWAY_FORBIDDEN, status=403)
    switched_on = SandboxConfig.for_vendor(VENDOR).account_faults or []
    if "ip_unauthorized" in switched_on:
        return account_fault("ip_unauthorized")  # checked before anything in the body
    try:
        body = json.loads(request.body or b"null")
    except ValueError:
        body = None
    if not isinstance(body, dict):
        return obd_error(400, "Bad Request")  # GUESS
    reference_id = body.get("reference_id")
    problem = validate_obd(body)
    if problem:
        return obd_error(*problem, reference_id=reference_id)
    for key in ("billing_expired", "company_details_incomplete"):
        if key in switched_on:
            return account_fault(key, reference_id)
    if body.get("number_2") and "anonymous_disabled" in switched_on:
        return account_fault("anonymous_disabled", reference_id)
    number = body["number"]
    at = now()
    limit = 1 if "one_call_per_number" in switched_on else MAX_CALLS_PER_NUMBER_PER_DAY
    with transaction.atomic():
        recent = SandboxCall.objects.filter(
            vendor=VENDOR, tenant=COMPANY, to_number=number, created_at__gte=at - timedelta(days=1)
        )
        if recent.count() >= limit:
            return obd_error(
                403, "Maximum number of requests for this number have exceeded.", reference_id
            )
        if reference_id:
            ttl = reserve_reference(COMPANY, reference_id, at)
            if ttl is not None:
                return obd_error(
                    403,
                    "Kindly choose any other reference ID, it has been already taken. "
                    f"Reference ID remaining_ttl {ttl} seconds",
                    reference_id,
                )
        user = find_user(COMPANY, body.get("user_id") or "") if body.get("user_id") else None
        did = pick_did(body.get("caller_id"), body.get("group"), body.get("region"), number)
        params = {
            name: body[name]
            for name in (
                "type",
                "user_id",
                "number_2",
                "public_ivr_id",
                "region",
                "group",
                "caller_id",
                "max_call_duration",
                "call_hold",
                "std_code",
                "custom_1",
                "custom_2",
            )
            if name in body
        }
        params.update(job_id=new_id("", 24), user_uuid=user["uuid"] if user else "")
        call = create_call(
            company=COMPANY,
            kind="obd",
            number=number,
            did=did,
            reference_id=reference_id,
            params=params,
            talk_cap=body.get("max_call_duration"),
        )
    answer = {
        "details": "Request accepted successfully",
        "status": "success",
        "code": "200",
        "unique_id": call.call_id,
    }
    if reference_id:
        answer["reference_id"] = reference_id
    return JsonResponse(answer)


# --- demo ---------------------------------------------------------------------------------


def demo_account(sandbox_base_url: str) -> dict:
    """Kwargs for a ProviderAccount on this sandbox; `sandbox_base_url` is …/sandbox."""
    root = sandbox_base_url.rstrip("/") + "/myoperator"
    return {
        "kind": VENDOR,
        "name": "MyOperator sandbox",
        "base_url": f"{root}/api",
        "config": {
            "company_id": COMPANY,
            "obd_url": f"{root}/obd-api-v1",
            "rest_base_url": f"{root}/api",
            # The catalogue an admin would type in (the API lists neither): the
            # sandbox's IVRs and DIDs, so the demo builder offers what the sandbox knows.
            "ivrs": [{"id": ivr_id, "name": name} for ivr_id, name in PUBLIC_IVRS.items()],
            "caller_ids": [did for _region, _group, did in DIDS],
        },
        "secrets": {
            name: value for name, value in SANDBOX_CREDENTIALS.items() if name != "company_id"
        },
    }


# Fictional panel users (example.com addresses, numbers from an unallocated range).
DEMO_USERS = [
    ("a1c4e6f8b0d2e4f6", "Asha Demo", "asha@example.com", "9000000101", 11, "1"),
    ("b2d4f6a8c0e2f4a6", "Ravi Demo", "ravi@example.com", "9000000102", 12, "2"),
    ("c3e5a7b9d1f3a5b7", "Meera Demo", "meera@example.com", "9000000103", 13, "4"),
    ("d4f6b8c0e2a4b6c8", "Kabir Demo", "kabir@example.com", "9000000104", 14, "8"),
]
# A few finished calls so the logs are not empty: (id, hours ago, kind, number, user).
DEMO_CALLS = [
    ("demo-in-1", 30, "incoming", "+919000000201", 0),
    ("demo-in-2", 26, "incoming", "+919000000202", 1),
    ("demo-in-3", 20, "incoming", "+919000000203", 2),
    ("demo-out-1", 8, "obd", "+919000000204", 3),
    ("demo-out-2", 5, "obd", "+919000000205", 0),
    ("demo-ivr-1", 2, "obd", "+919000000206", None),
]


def seed_demo():
    """Idempotent: the demo company's users and a few finished calls."""
    from telephony.models import SandboxCall
    from telephony.vendors.sandbox_kit import outcome_for

    existing = {record.key for record in users_qs(COMPANY)}
    for key, name, email, number, extension, role in DEMO_USERS:
        if key not in existing:
            create_user(
                COMPANY,
                {
                    "name": name,
                    "email": email,
                    "contact_number": number,
                    "country_code": "91",
                    "extension": extension,
                },
                role_id=role,
                key=key,
            )
    at = now()
    for call_id, hours_ago, kind, number, user_index in DEMO_CALLS:
        if SandboxCall.objects.filter(vendor=VENDOR, call_id=call_id).exists():
            continue
        outcome = outcome_for(number)
        user = DEMO_USERS[user_index][0] if user_index is not None else ""
        params = {
            "channel": kind,
            "recording": recording_name(call_id),
            "did": DIDS[0][2],
            "user_uuid": user,
            "public_ivr_id": "" if kind == "incoming" else next(iter(PUBLIC_IVRS)),
            "type": "1" if user else "2",
        }
        SandboxCall.objects.create(
            vendor=VENDOR,
            call_id=call_id,
            reference_id="" if kind == "incoming" else f"demo-{call_id}",
            tenant=COMPANY,
            kind=kind,
            from_number=did_e164(DIDS[0][2]),
            to_number=number,
            params=params,
            seed=0,
            time_scale=1.0,
            outcome=outcome.status,
            ring_seconds=outcome.ring_seconds,
            talk_seconds=outcome.talk_seconds,
            created_at=at - timedelta(hours=hours_ago),
        )
