"""The Omilia OCP simulator: Keycloak's token/logout endpoints and the integrations
(numbers) API of seed 003, per region prefix, under /sandbox/omilia/<region>/…

- /<region>/auth/realms/<master|ocp>/protocol/openid-connect/{token,logout}
- /<region>/integrations/api/… (every numbers and numbers-set endpoint)

Tokens are JWT-looking random strings stored hashed as SandboxRecord(kind="token") with
the lifetimes in TOKEN_LIFETIMES (tests shorten them). Keycloak errors follow
vendor-contracts.md §4; the integrations service's error bodies are not public, so they
follow its GUESS: Spring Boot's {"timestamp", "status", "error", "message", "path"}.
"""

import base64
import hashlib
import json
import secrets
import time
import uuid
from datetime import timedelta

from django.db import transaction
from django.http import HttpResponse, JsonResponse
from django.utils import timezone

from telephony.models import SandboxConfig, SandboxRecord

from ..sandbox_kit import FaultResponses, sandbox_view
from . import sandbox_numbers as api
from . import sandbox_sets as sets_api
from . import sandbox_state as state
from .sandbox_numbers import ApiError, spring_error
from .sandbox_state import VENDOR, Ctx

# The demo account's credentials (an OCP user in the groups dialdesk and dialdesk-support).
SANDBOX_CREDENTIALS = {"username": "dialdesk-demo", "password": "ocp-sandbox-Pa55word"}

# Every user the simulated Keycloak knows; `otp` is the (fixed) 2FA code when required.
SANDBOX_USERS = {
    SANDBOX_CREDENTIALS["username"]: {
        "password": SANDBOX_CREDENTIALS["password"],
        "otp": "",
        "groups": ("dialdesk", "dialdesk-support"),
    },
    "dialdesk-2fa": {"password": "ocp-sandbox-2fa-Pa55", "otp": "424242", "groups": ("dialdesk",)},
    "acme-ops": {"password": "ocp-sandbox-acme-Pa55", "otp": "", "groups": ("acme",)},
}

# Seconds; Keycloak's defaults as the OCP document shows them. Tests change these.
TOKEN_LIFETIMES = {"access": 300, "refresh": 1800}

# Faults an admin switches on (Sandboxes page, SandboxConfig.account_faults). A purchase
# whose answer is lost is the case a buyer must survive without buying twice: OCP buys,
# then the gateway times out before the answer reaches the caller.
ACCOUNT_FAULTS = {
    "lost_purchase": ("Purchases go through, their answer is lost (504)",),
}


# --- responses -------------------------------------------------------------------------


def keycloak_error(status: int, error: str, description: str | None = None) -> JsonResponse:
    body = {"error": error}
    if description is not None:
        body["error_description"] = description
    return JsonResponse(body, status=status)


def _rate_limited(body) -> HttpResponse:
    response = JsonResponse(body, status=429)
    response["Retry-After"] = "1"
    return response


API_FAULTS = FaultResponses(
    server_error=lambda: spring_error(500, None),
    rate_limited=lambda: _rate_limited({"status": 429, "error": "Too Many Requests", "path": ""}),
)
KEYCLOAK_FAULTS = FaultResponses(
    server_error=lambda: keycloak_error(500, "unknown_error"),
    rate_limited=lambda: _rate_limited({"error": "too_many_requests"}),
)


def _bearer(request) -> str:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def _username_or_bearer(request) -> str:
    return _bearer(request) or request.POST.get("username", "")


# --- Keycloak ----------------------------------------------------------------------------


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _b64(obj) -> str:
    raw = json.dumps(obj, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _jwt(header: dict, payload: dict) -> str:
    return f"{_b64(header)}.{_b64(payload)}.{secrets.token_urlsafe(32)}"


def _issue(request, region: str, realm: str, username: str, session: str) -> dict:
    """New access and refresh tokens for a Keycloak session."""
    now = time.time()
    issuer = request.build_absolute_uri(f"/sandbox/omilia/{region}/auth/realms/{realm}")
    common = {"iat": int(now), "iss": issuer, "azp": "ocp", "sid": session}
    access = _jwt(
        {"alg": "RS256", "typ": "JWT"},
        {
            **common,
            "exp": int(now + TOKEN_LIFETIMES["access"]),
            "jti": str(uuid.uuid4()),
            "typ": "Bearer",
            "preferred_username": username,
            "scope": "openid",
        },
    )
    refresh = _jwt(
        {"alg": "HS256", "typ": "JWT"},
        {
            **common,
            "exp": int(now + TOKEN_LIFETIMES["refresh"]),
            "jti": str(uuid.uuid4()),
            "typ": "Refresh",
        },
    )
    for kind, token in (("access", access), ("refresh", refresh)):
        SandboxRecord.objects.create(
            vendor=VENDOR,
            kind="token",
            tenant=region,
            key=_digest(token),
            parent=session,
            data={
                "type": kind,
                "username": username,
                "realm": realm,
                "expires_at": now + TOKEN_LIFETIMES[kind],
            },
        )
    # Housekeeping: forget tokens that expired long ago.
    stale = timezone.now() - timedelta(seconds=max(TOKEN_LIFETIMES.values()) + 3600)
    SandboxRecord.objects.filter(vendor=VENDOR, kind="token", created_at__lt=stale).delete()
    return {
        "access_token": access,
        "expires_in": TOKEN_LIFETIMES["access"],
        "refresh_expires_in": TOKEN_LIFETIMES["refresh"],
        "refresh_token": refresh,
        "token_type": "bearer",
        "not-before-policy": 0,
        "session_state": session,
        "scope": "openid",
    }


def _token_record(region: str, token: str, kind: str):
    rec = SandboxRecord.objects.filter(
        vendor=VENDOR, kind="token", tenant=region, key=_digest(token)
    ).first()
    return rec if rec and rec.data.get("type") == kind else None


def _session_active(region: str, session: str) -> bool:
    return SandboxRecord.objects.filter(
        vendor=VENDOR, kind="session", tenant=region, key=session, data__active=True
    ).exists()


def _check_realm(region: str, realm: str) -> JsonResponse | None:
    if region not in state.REGION_PREFIXES or realm not in state.REALMS:
        return keycloak_error(404, "Realm does not exist")
    return None


def _check_client(form) -> JsonResponse | None:
    # GUESS for the exact wording: Keycloak's answers for a missing or unknown client.
    client_id = form.get("client_id", "")
    if not client_id:
        return keycloak_error(400, "invalid_client", "Missing parameter: client_id")
    if client_id != "ocp":
        return keycloak_error(401, "invalid_client", "Invalid client or Invalid client credentials")
    return None


@sandbox_view(VENDOR, KEYCLOAK_FAULTS, credential=_username_or_bearer)
def token(request, region, realm):
    """POST …/openid-connect/token: password and refresh_token grants."""
    refusal = _check_realm(region, realm)
    if refusal:
        return refusal
    if request.method != "POST":
        return keycloak_error(405, "HTTP 405 Method Not Allowed")
    form = request.POST  # form-encoded only: a JSON body reads as "missing grant_type"
    grant = form.get("grant_type", "")
    if not grant:
        return keycloak_error(400, "invalid_request", "Missing form parameter: grant_type")
    refusal = _check_client(form)
    if refusal:
        return refusal
    if grant == "password":
        username = form.get("username", "")
        user = state_user(username)
        if (
            user is None
            or not secrets.compare_digest(form.get("password", ""), user["password"])
            or (user["otp"] and not secrets.compare_digest(form.get("otp", ""), user["otp"]))
        ):
            # Keycloak answers 401 (not RFC's 400) to bad credentials or a bad OTP.
            return keycloak_error(401, "invalid_grant", "Invalid user credentials")
        session = str(uuid.uuid4())
        SandboxRecord.objects.create(
            vendor=VENDOR,
            kind="session",
            tenant=region,
            key=session,
            data={"username": username, "active": True},
        )
        return JsonResponse(_issue(request, region, realm, username, session))
    if grant == "refresh_token":
        refresh = form.get("refresh_token", "")
        if not refresh:
            return keycloak_error(400, "invalid_request", "Missing parameter: refresh_token")
        rec = _token_record(region, refresh, "refresh")
        if rec is None:
            return keycloak_error(400, "invalid_grant", "Invalid refresh token")
        if not _session_active(region, rec.parent):
            return keycloak_error(400, "invalid_grant", "Session not active")
        if rec.data["expires_at"] <= time.time():
            return keycloak_error(400, "invalid_grant", "Token is not active")
        return JsonResponse(_issue(request, region, realm, rec.data["username"], rec.parent))
    return keycloak_error(400, "unsupported_grant_type", "Unsupported grant_type")


@sandbox_view(VENDOR, KEYCLOAK_FAULTS, credential=_username_or_bearer)
def logout(request, region, realm):
    """POST …/openid-connect/logout with client_id and refresh_token: 204, session ends."""
    refusal = _check_realm(region, realm)
    if refusal:
        return refusal
    if request.method != "POST":
        return keycloak_error(405, "HTTP 405 Method Not Allowed")
    refusal = _check_client(request.POST)
    if refusal:
        return refusal
    refresh = request.POST.get("refresh_token", "")
    if not refresh:
        return keycloak_error(400, "invalid_request", "Missing parameter: refresh_token")
    rec = _token_record(region, refresh, "refresh")
    if rec is None or not _session_active(region, rec.parent):
        return keycloak_error(400, "invalid_grant", "Invalid refresh token")
    SandboxRecord.objects.filter(
        vendor=VENDOR, kind="session", tenant=region, key=rec.parent
    ).update(data={"username": rec.data["username"], "active": False})
    return HttpResponse(status=204)


def state_user(username: str) -> dict | None:
    return SANDBOX_USERS.get(username)


def _authenticate(request, region: str) -> Ctx | None:
    token_value = _bearer(request)
    rec = _token_record(region, token_value, "access") if token_value else None
    if rec is None or rec.data["expires_at"] <= time.time():
        return None
    if not _session_active(region, rec.parent):
        return None
    user = state_user(rec.data["username"]) or {"groups": ()}
    path = request.path.split("/integrations", 1)[-1]
    return Ctx(
        region=region, username=rec.data["username"], groups=tuple(user["groups"]), path=path
    )


# --- the integrations API: plumbing ----------------------------------------------------


def api_route(handlers: dict):
    """One URL of the numbers API: bearer auth first (Spring Security answers 401 before
    405), then the handler for the method, in one transaction."""

    def view(request, region, **kwargs):
        path = request.path.split("/integrations", 1)[-1]
        if region not in state.REGION_PREFIXES:
            return spring_error(404, "No such environment", path)
        ctx = _authenticate(request, region)
        if ctx is None:
            # The contracts' GUESS for the gateway's 401: no message, just the status.
            response = spring_error(401, None, path)
            response["WWW-Authenticate"] = "Bearer"
            return response
        handler = handlers.get(request.method)
        if handler is None:
            return spring_error(405, f"Request method '{request.method}' is not supported", path)
        try:
            with transaction.atomic():
                return handler(request, ctx, **kwargs)
        except ApiError as exc:
            return spring_error(exc.status, exc.message, path)

    view.__name__ = view.__qualname__ = "omilia_" + "_".join(
        handler.__name__ for handler in handlers.values()
    )
    return sandbox_view(VENDOR, API_FAULTS, credential=_bearer)(view)


# --- the routes (urls.py mounts them) --------------------------------------------------


def buy_numbers(request, ctx):
    """PUT /api/numbers, and with the lost_purchase fault on, the numbers are bought (the
    transaction commits) but the caller gets the gateway's 504 instead of the answer."""
    response = api.buy_numbers(request, ctx)
    if response.status_code == 200 and SandboxConfig.for_vendor(VENDOR).has_fault("lost_purchase"):
        return spring_error(504, None, ctx.path)
    return response


numbers_view = api_route(
    {"GET": api.list_numbers, "POST": api.available_numbers, "PUT": buy_numbers}
)
numbers_group_view = api_route({"PUT": api.update_group})
numbers_detach_view = api_route({"PUT": api.detach_numbers})
numbers_csv_view = api_route({"PUT": api.apply_csv, "POST": api.export_csv})
numbers_attach_view = api_route({"PUT": api.attach_numbers})
number_note_view = api_route({"PUT": api.update_note})
numbers_search_view = api_route({"POST": api.search_numbers})
numbers_direct_view = api_route({"POST": api.add_direct})
number_delete_view = api_route({"DELETE": api.delete_number})
sets_view = api_route({"GET": sets_api.list_sets, "POST": sets_api.create_set})
sets_for_group_view = api_route({"GET": sets_api.sets_for_group})
set_view = api_route(
    {"GET": sets_api.get_set, "PATCH": sets_api.update_set, "DELETE": sets_api.delete_set}
)
set_numbers_view = api_route(
    {"GET": sets_api.set_numbers, "POST": sets_api.add_to_set, "DELETE": sets_api.remove_from_set}
)
set_attach_view = api_route({"PUT": sets_api.attach_set})
set_detach_view = api_route({"PUT": sets_api.detach_set})
set_delete_purchased_view = api_route({"DELETE": sets_api.delete_purchased})


# --- demo --------------------------------------------------------------------------------

DEMO_REGION = "eu1"


def demo_account(sandbox_base_url: str) -> dict:
    """ProviderAccount kwargs for the demo account on the simulated EU1 environment."""
    base = sandbox_base_url.rstrip("/") + f"/omilia/{DEMO_REGION}"
    return {
        "kind": "omilia",
        "name": "Omilia OCP sandbox (EU1)",
        "base_url": f"{base}/integrations",
        "config": {
            "region": "EU1",
            "token_url": f"{base}/auth/realms/master/protocol/openid-connect/token",
            "username": SANDBOX_CREDENTIALS["username"],
        },
        "secrets": {"password": SANDBOX_CREDENTIALS["password"]},
    }


# (number, group, miniApp name or None, locale, note, set name or None, purchased)
DEMO_NUMBERS = [
    ("+12025550143", "dialdesk", "Support_IVR", "en-US", "Main support line", "US lines", True),
    ("+12025550178", "dialdesk", None, None, "Overflow, not routed yet", "US lines", True),
    ("+442071838750", "dialdesk", "Billing_Bot", "en-GB", "London billing", None, True),
    ("+302101234567", "dialdesk", None, None, "Athens pilot", None, False),
    ("+493012345678", "dialdesk-support", "Survey_Flow", "de-DE", "Berlin survey", "EMEA", True),
    ("+35722123456", "dialdesk-support", None, None, "Nicosia backup", "EMEA", False),
    ("+919876543210", "dialdesk-support", None, None, "", None, False),
    ("+13125550199", "acme", "Acme_Router", "en-US", "Another company's line", None, True),
]
DEMO_SETS = [("US lines", "dialdesk"), ("EMEA", "dialdesk-support")]


def seed_demo(region: str = DEMO_REGION):
    """Idempotent demo state: numbers in several countries and states, and two sets."""
    set_ids = {}
    for name, group in DEMO_SETS:
        key = str(uuid.uuid5(uuid.NAMESPACE_URL, f"omilia-sandbox/{region}/{name}"))
        SandboxRecord.objects.get_or_create(
            vendor=VENDOR,
            kind="numbers_set",
            tenant=region,
            key=key,
            defaults={"data": {"name": name, "groupId": group}},
        )
        set_ids[name] = key
    apps = {app["miniAppName"]: app for app in state.SANDBOX_MINIAPPS}
    for number, group, app, locale, note, set_name, purchased in DEMO_NUMBERS:
        if state.numbers_qs(region).filter(key=number).exists():
            continue
        rec = state.new_number(
            region,
            number,
            group=group,
            purchased=purchased,
            note=note,
            **({"locale": locale, **apps[app]} if app else {}),
        )
        if set_name:
            rec.parent = set_ids[set_name]
            rec.save(update_fields=["parent"])
