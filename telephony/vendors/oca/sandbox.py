"""A simulator of the OCA Telkom call gateway v1, served under /sandbox/oca/api/v1/.

Faithful to seed 004 and vendor-contracts.md §5: HTTP Basic auth, bare JSON arrays and
objects, errors as `{"errors":[{"message": …, "code": <int>}]}` with the v1 HTTP codes,
express-validator style messages for code 39, and an express-like 404 for unknown
routes and methods. Each OCA login is a tenant: its IVRs and caller-id numbers are
seeded on first use, its uploads are SandboxRecord rows (metadata only), and every
accepted call is a SandboxCall whose lifecycle drives /call-status.
"""

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import uuid
from datetime import UTC, timedelta
from functools import wraps

from django.db import transaction
from django.http import HttpResponse, JsonResponse

from telephony.models import SandboxCall, SandboxConfig, SandboxRecord
from telephony.vendors.sandbox_kit import (
    QUEUE_SECONDS,
    FaultResponses,
    new_call_fields,
    now,
    sandbox_view,
)

from .client import is_mp3, national_number
from .sandbox_data import (
    ERROR_HTTP,
    ERROR_TEXT,
    HANGUP_CAUSES,
    SEED_IVRS,
    SEED_NUMBERS,
)

VENDOR = "oca"

# The sandbox's OCA dashboard logins (username -> password). The first is the demo's.
SANDBOX_CREDENTIALS = {
    "username": "dialdesk@sandbox.ocatelkom.test",
    "password": "oca-sandbox-2024",
}
# A second company, so tests can show one login never sees another's audio or calls.
SANDBOX_PARTNER_CREDENTIALS = {
    "username": "partner@sandbox.ocatelkom.test",
    "password": "oca-partner-2024",
}
SANDBOX_ACCOUNTS = {
    creds["username"]: creds["password"]
    for creds in (SANDBOX_CREDENTIALS, SANDBOX_PARTNER_CREDENTIALS)
}

# Account-wide errors an admin switches on (Sandboxes page, SandboxConfig.account_faults),
# for every login: key -> (label, OCA code). Per-login settings are in ensure_tenant.
ACCOUNT_FAULTS = {
    "quota_not_enough": ("Quota used up (code 55, on calls)", 55),
    "account_expired": ("Account expired (code 51)", 51),
}
# Live calls a tenant may have before /call answers code 57 (per-tenant, editable).
DEFAULT_MAX_CONCURRENT_CALLS = 10
# Longest simulated life of a call (queue + longest ring + longest talk), in seconds.
LONGEST_CALL_SECONDS = QUEUE_SECONDS + 30 + 15 + 135

# The doc's URL shapes. Uploads are kept as metadata only, so these do not play.
AUDIO_PLAY_BASE = "https://webapigw.ocatelkom.co.id/audio/play/"
RECORDING_BASE = "https://storage.oca.co.id/audio/"

# --- responses ---------------------------------------------------------------------------


def error_response(code: int, message=None, *, status: int | None = None) -> JsonResponse:
    """OCA's error envelope with the v1 table's HTTP status."""
    return JsonResponse(
        {"errors": [{"message": message or ERROR_TEXT[code], "code": code}]},
        status=status or ERROR_HTTP[code],
    )


def invalid(param: str, msg: str, value=None, *, location: str = "body") -> dict:
    """One express-validator item (it omits `value` when the field was not sent)."""
    item = {"msg": msg, "param": param, "location": location}
    if value is not None:
        item = {"value": value, **item}
    return item


def validation_error(items: list[dict]) -> JsonResponse:
    return error_response(39, items)


def _rate_limited() -> JsonResponse:
    # v1 documents no rate limit; this is the v2 gateway's code 9 and its headers
    # (including its "X-RateLmit-Remaining" spelling), plus a Retry-After.
    response = JsonResponse({"errors": [{"message": "Too Many Request", "code": 9}]}, status=429)
    response["Retry-After"] = "1"
    response["X-RateLimit-limit"] = "25"
    response["X-RateLmit-Remaining"] = "0"
    response["X-RateLimit-Reset"] = "1"
    return response


FAULTS = FaultResponses(
    server_error=lambda: error_response(13),
    rate_limited=_rate_limited,
    malformed=lambda: HttpResponse(b'[{"ivr_id":"5f1c03d6', content_type="application/json"),
)


def _not_found(request) -> HttpResponse:
    # An express app answers unknown routes and methods like this.
    return HttpResponse(
        f"<pre>Cannot {request.method} {request.path}</pre>", status=404, content_type="text/html"
    )


# --- tenants -----------------------------------------------------------------------------


def ivr_id_for(tenant: str, slug: str) -> str:
    """A stable 24-hex (MongoDB-looking) id, so the demo's IVR ids never change."""
    return hashlib.sha256(f"oca-ivr:{tenant}:{slug}".encode()).hexdigest()[:24]


def ensure_tenant(tenant: str) -> SandboxRecord:
    """Seed a login's numbers, IVRs and account settings on first use; return settings."""
    setting = SandboxRecord.objects.filter(
        vendor=VENDOR, kind="account", tenant=tenant, key=tenant
    ).first()
    if setting is not None:
        return setting
    with transaction.atomic():
        for number in SEED_NUMBERS:
            SandboxRecord.objects.get_or_create(
                vendor=VENDOR, kind="number", tenant=tenant, key=number, defaults={"data": {}}
            )
        for ivr in SEED_IVRS:
            ivr_id = ivr_id_for(tenant, ivr["slug"])
            SandboxRecord.objects.get_or_create(
                vendor=VENDOR,
                kind="ivr",
                tenant=tenant,
                key=ivr_id,
                defaults={
                    "data": {
                        "ivr_name": ivr["ivr_name"],
                        "required_variable": ivr["required_variable"],
                        "questions": ivr["questions"],
                        "application_id": ivr_id_for(tenant, f"app:{ivr['slug']}"),
                    }
                },
            )
        setting, _ = SandboxRecord.objects.get_or_create(
            vendor=VENDOR,
            kind="account",
            tenant=tenant,
            key=tenant,
            defaults={
                "data": {
                    # active | expired (code 51) | missing (code 41)
                    "status": "active",
                    "quota": None,  # calls left; None = unlimited (code 55 at 0)
                    "max_concurrent_calls": DEFAULT_MAX_CONCURRENT_CALLS,  # code 57
                }
            },
        )
    return setting


def update_tenant(tenant: str, **fields) -> SandboxRecord:
    """Change a login's simulated account settings (status, quota, max_concurrent_calls)."""
    setting = ensure_tenant(tenant)
    setting.data = {**setting.data, **fields}
    setting.save(update_fields=["data", "updated_at"])
    return setting


def switched_on(key: str) -> bool:
    """An account-wide error switched on for this sandbox (ACCOUNT_FAULTS)."""
    return key in (SandboxConfig.for_vendor(VENDOR).account_faults or [])


def authenticate(request) -> tuple[str | None, JsonResponse | None]:
    """(tenant, None) for a valid Basic login, else (None, OCA's error response)."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic" or not encoded.strip():
        return None, error_response(19)
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None, error_response(19)
    username, colon, password = decoded.partition(":")
    expected = SANDBOX_ACCOUNTS.get(username)
    if not colon or expected is None or not hmac.compare_digest(password, expected):
        return None, error_response(17)
    return username, None


def oca_view(*methods: str):
    """An OCA endpoint: fault injection, the route's methods, Basic auth, account state."""

    def decorator(view):
        @wraps(view)
        def endpoint(request, *args, **kwargs):
            if request.method not in methods:
                return _not_found(request)
            tenant, error = authenticate(request)
            if error is not None:
                return error
            setting = ensure_tenant(tenant)
            status = setting.data.get("status", "active")
            if status == "missing":
                return error_response(41)
            if status == "expired" or switched_on("account_expired"):
                return error_response(51)
            return view(request, tenant, *args, **kwargs)

        return sandbox_view(
            VENDOR, FAULTS, credential=lambda request: request.META.get("HTTP_AUTHORIZATION", "")
        )(endpoint)

    return decorator


def iso(moment) -> str | None:
    """OCA's ISO format: 2024-07-31T18:01:06.000Z."""
    if moment is None:
        return None
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


# --- audio -------------------------------------------------------------------------------


def audio_json(record: SandboxRecord) -> dict:
    return {key: record.data[key] for key in ("id", "filename", "name", "url")}


def store_audio(tenant: str, name: str, *, size: int = 0, content_type: str = "") -> SandboxRecord:
    audio_id = secrets.token_hex(12)
    filename = f"{uuid.uuid4()}.mp3"
    return SandboxRecord.objects.create(
        vendor=VENDOR,
        kind="audio",
        tenant=tenant,
        key=audio_id,
        data={
            "id": audio_id,
            "filename": filename,
            "name": name,
            "url": AUDIO_PLAY_BASE + filename,
            "size": size,
            "content_type": content_type,
        },
    )


@oca_view("POST")
def upload_audio(request, tenant):
    """POST /upload-audio: multipart field `audio`, mp3 only; a bare object back."""
    upload = request.FILES.get("audio")
    if upload is None:
        return validation_error([invalid("audio", "audio is required")])
    head = upload.read(4)
    if not upload.name.lower().endswith(".mp3") or not is_mp3(head):
        return validation_error([invalid("audio", "accepted file is mp3", upload.name)])
    record = store_audio(
        tenant, upload.name, size=upload.size, content_type=upload.content_type or ""
    )
    return JsonResponse(audio_json(record))


@oca_view("GET")
def list_audio(request, tenant):
    """GET /audio-list and /list-audio (path GUESS): a bare array of upload objects."""
    records = SandboxRecord.objects.filter(vendor=VENDOR, kind="audio", tenant=tenant)
    return JsonResponse([audio_json(record) for record in records], safe=False)


@oca_view("DELETE")
def delete_audio(request, tenant, audio_id):
    """DELETE /delete-audio/{id}: {"success": true} (GUESS); code 33 if there is none."""
    deleted, _ = SandboxRecord.objects.filter(
        vendor=VENDOR, kind="audio", tenant=tenant, key=audio_id
    ).delete()
    if not deleted:
        return error_response(33)
    return JsonResponse({"success": True})


# --- numbers and IVRs ----------------------------------------------------------------------


def tenant_numbers(tenant: str) -> list[str]:
    return list(
        SandboxRecord.objects.filter(vendor=VENDOR, kind="number", tenant=tenant).values_list(
            "key", flat=True
        )
    )


@oca_view("GET")
def numbers_object(request, tenant):
    """GET /number (GUESS, like OCA SMS Premium's /number): {"from_number": [...]}."""
    return JsonResponse({"from_number": tenant_numbers(tenant)})


@oca_view("GET")
def numbers_array(request, tenant):
    """GET /numbers (GUESS): the other plausible shape, a bare array of strings."""
    return JsonResponse(tenant_numbers(tenant), safe=False)


@oca_view("GET")
def ivr_list(request, tenant):
    """GET /ivr-list: a bare array of the tenant's IVRs."""
    records = SandboxRecord.objects.filter(vendor=VENDOR, kind="ivr", tenant=tenant)
    return JsonResponse(
        [
            {
                "ivr_id": record.key,
                "ivr_name": record.data["ivr_name"],
                "required_variable": record.data.get("required_variable", []),
                "created_at": iso(record.created_at),
                # The doc's sample repeats created_at here; so does the sandbox.
                "deleted_at": iso(record.created_at),
            }
            for record in records
        ],
        safe=False,
    )


# --- calls ---------------------------------------------------------------------------------


def _validate_call(body, tenant) -> list[dict]:
    items = []
    if not isinstance(body, dict):
        return [invalid("body", "request body must be a JSON object")]
    from_number = body.get("from_number")
    if from_number in (None, ""):
        items.append(invalid("from_number", "from_number is required"))
    elif not isinstance(from_number, str):
        items.append(invalid("from_number", "from_number must be a string", from_number))
    else:
        owned = {national_number(number) for number in tenant_numbers(tenant)}
        if national_number(from_number) not in owned:
            items.append(
                invalid(
                    "from_number",
                    "from_number is not registered in your numbers collection",
                    from_number,
                )
            )
    to_number = body.get("to_number")
    if to_number in (None, ""):
        items.append(invalid("to_number", "to_number is required"))
    elif (
        not isinstance(to_number, str)
        or not to_number.isdigit()
        or national_number(to_number) is None
    ):
        # Digits only, 62… or the national 08… (seed 004 shows no `+` anywhere and
        # vendor-contracts.md §5 quotes "08…"): a `+` or formatting is refused, so a
        # client sending E.164 as it stands is caught here and not only in production.
        items.append(invalid("to_number", "Invalid phone number", to_number))
    ivr_id = body.get("ivr_id")
    if ivr_id in (None, ""):
        items.append(invalid("ivr_id", "ivr_id is required"))
    elif not isinstance(ivr_id, str):
        items.append(invalid("ivr_id", "ivr_id must be a string", ivr_id))
    variable = body.get("variable", {})
    if variable is not None and not isinstance(variable, dict):
        items.append(invalid("variable", "variable must be an object", variable))
    return items


def live_calls(tenant: str, moment) -> int:
    """Calls of the tenant not yet hung up at `moment`."""
    scale = min(SandboxConfig.for_vendor(VENDOR).time_scale or 1.0, 1.0)
    # Only calls young enough to still be live (at the current time scale) are read.
    since = moment - timedelta(seconds=LONGEST_CALL_SECONDS / scale)
    recent = SandboxCall.objects.filter(vendor=VENDOR, tenant=tenant, created_at__gte=since)
    return sum(1 for call in recent if call.state(moment)["phase"] != "completed")


@oca_view("POST")
def make_call(request, tenant):
    """POST /call: validate, check quota and concurrency, accept: {"success", "call_id"}."""
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        return validation_error([invalid("body", "request body is not valid JSON")])
    items = _validate_call(body, tenant)
    if items:
        return validation_error(items)
    ivr = SandboxRecord.objects.filter(
        vendor=VENDOR, kind="ivr", tenant=tenant, key=body["ivr_id"]
    ).first()
    if ivr is None:
        return error_response(33)
    variable = body.get("variable") or {}
    missing = [
        invalid(f"variable.{name}", f"variable {name} is required")
        for name in ivr.data.get("required_variable", [])
        if str(variable.get(name) or "").strip() == ""
    ]
    if missing:
        return validation_error(missing)
    digits = "62" + national_number(body["to_number"])
    with transaction.atomic():
        setting = SandboxRecord.objects.select_for_update().get(pk=ensure_tenant(tenant).pk)
        quota = setting.data.get("quota")
        if (quota is not None and quota <= 0) or switched_on("quota_not_enough"):
            return error_response(55)
        limit = setting.data.get("max_concurrent_calls", DEFAULT_MAX_CONCURRENT_CALLS)
        if live_calls(tenant, now()) >= limit:
            return error_response(57)
        if quota is not None:
            setting.data = {**setting.data, "quota": quota - 1}
            setting.save(update_fields=["data", "updated_at"])
        call = SandboxCall.objects.create(
            vendor=VENDOR,
            call_id=secrets.token_hex(12),
            tenant=tenant,
            kind="ivr",
            from_number=body["from_number"],
            to_number=body["to_number"],
            params={"ivr_id": ivr.key, "variable": variable},
            # Same number in 08…, 62… or +62… spelling: same fate.
            **new_call_fields(digits, VENDOR),
        )
    return JsonResponse({"success": True, "call_id": call.call_id})


def _digest(call, salt: str) -> bytes:
    digits = "".join(ch for ch in call.to_number if ch.isdigit())
    national = national_number(call.to_number) or digits
    return hashlib.sha256(f"{call.seed}:62{national}:{salt}".encode()).digest()


def hangup_cause_for(call) -> str:
    causes = HANGUP_CAUSES.get(call.outcome, ("NORMAL_TEMPORARY_FAILURE",))
    return causes[_digest(call, "hangup")[0] % len(causes)]


def simulated_result(call, ivr: SandboxRecord | None) -> list[dict]:
    """What the callee answered to each IVR question, deterministic per number + seed."""
    result = []
    for index, question in enumerate((ivr.data.get("questions") if ivr else None) or []):
        digest = _digest(call, f"{call.params.get('ivr_id')}:{index}")
        kind = question["type"]
        if kind == "multiple_choice":
            keys = question.get("keys") or ["1", "2"]
            chosen = keys[digest[0] % len(keys)]
            answer = [
                {"key": key, "title": f"Key {key}", "total": int(key == chosen)} for key in keys
            ]
        elif kind == "collect_number":
            answer = ["".join(str(byte % 10) for byte in digest[: question.get("digits", 6)])]
        else:  # record_speach
            answer = [f"{RECORDING_BASE}{call.call_id}-{index + 1}.wav"]
        result.append({"question": question["question"], "type": kind, "answer": answer})
    return result


def status_body(call, moment=None) -> dict:
    """The call-status body of a simulated call at `moment` (default: now)."""
    moment = moment or now()
    state = call.state(moment)
    phase = state["phase"]
    answered = state["answered_at"] is not None
    if phase in ("queued", "ringing"):
        status = "submitted"
    elif phase == "in_progress" or call.outcome == "answered":
        status = "answered"  # the doc's sample, for a call picked up
    else:
        status = "failed"  # the doc's statuses: submitted, success, failed
    completed = phase == "completed"
    ivr = None
    if completed and answered:
        ivr = SandboxRecord.objects.filter(
            vendor=VENDOR, kind="ivr", tenant=call.tenant, key=call.params.get("ivr_id")
        ).first()
    times = [call.created_at, state["started_at"], state["answered_at"], state["ended_at"]]
    return {
        "from_number": call.from_number,
        "to_number": call.to_number,
        "ivr_id": call.params.get("ivr_id"),
        "call_id": call.call_id,
        "application_id": (ivr.data.get("application_id") if ivr else None)
        or ivr_id_for(call.tenant, f"app:{call.params.get('ivr_id')}"),
        "call_start": iso(state["started_at"]),
        "call_answer": iso(state["answered_at"]),
        "call_end": iso(state["ended_at"]),
        "duration": state["duration_seconds"],
        "talk_duration": state["talk_seconds"] if answered else 0,
        "tta": call.ring_seconds if answered else 0,
        "hangup_cause": hangup_cause_for(call) if completed else None,
        "status": status,
        "created_at": iso(call.created_at),
        "updated_at": iso(max(time for time in times if time is not None)),
        "result": simulated_result(call, ivr) if completed and answered else [],
    }


@oca_view("GET")
def call_status(request, tenant, call_id):
    """GET /call-status/{call_id}: a bare object; code 33 for a call of no one's."""
    call = SandboxCall.objects.filter(vendor=VENDOR, tenant=tenant, call_id=call_id).first()
    if call is None:
        return error_response(33)
    return JsonResponse(status_body(call))


# --- demo ------------------------------------------------------------------------------------


def demo_account(sandbox_base_url: str) -> dict:
    """Kwargs for a demo ProviderAccount pointing at this sandbox."""
    return {
        "kind": VENDOR,
        "name": "OCA Telkom (sandbox)",
        "base_url": f"{sandbox_base_url.rstrip('/')}/oca/api/v1",
        "config": {"username": SANDBOX_CREDENTIALS["username"]},
        "secrets": {"password": SANDBOX_CREDENTIALS["password"]},
    }


def seed_demo():
    """The demo login's IVRs and numbers, and one uploaded audio file. Idempotent."""
    tenant = SANDBOX_CREDENTIALS["username"]
    ensure_tenant(tenant)
    name = "pengingat-tagihan.mp3"
    exists = SandboxRecord.objects.filter(
        vendor=VENDOR, kind="audio", tenant=tenant, data__name=name
    ).exists()
    if not exists:
        store_audio(tenant, name, size=48_000, content_type="audio/mpeg")
