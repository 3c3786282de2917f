"""Helpers shared by the Omilia test modules (plain functions; fixtures live in each module)."""

from telephony.models import SandboxRecord
from telephony.vendors.omilia import sandbox

TOKEN_PATH = "auth/realms/master/protocol/openid-connect/token"
TOKEN_ENDPOINT = "/auth/realms/master/protocol/openid-connect/token"


def omilia_account(
    make_account,
    sandbox_url,
    *,
    region="eu1",
    token_region=None,
    username=None,
    password=None,
    otp=None,
    name=None,
):
    """A ProviderAccount on one regional sandbox (its Keycloak may be another region's)."""
    username = username or sandbox.SANDBOX_CREDENTIALS["username"]
    if password is None:
        password = sandbox.SANDBOX_USERS[username]["password"]
    secrets = {"password": password}
    if otp:
        secrets["otp"] = otp
    token_region = token_region or region
    return make_account(
        "omilia",
        name=name,
        base_url=f"{sandbox_url}/omilia/{region}/integrations",
        config={
            "region": "",
            "token_url": f"{sandbox_url}/omilia/{token_region}/{TOKEN_PATH}",
            "username": username,
        },
        secrets=secrets,
    )


def is_token_row(row) -> bool:
    return "openid-connect" in row.endpoint


def api_rows(rows):
    return [row for row in rows if not is_token_row(row)]


def token_rows(rows):
    return [row for row in rows if is_token_row(row)]


def row_summary(rows):
    """(method, endpoint, status, error kind) per audit row, to compare whole sequences."""
    return [(row.method, row.endpoint, row.status_code, row.error_kind) for row in rows]


def grant_of(row) -> str:
    """Which grant a token request used, read from its (redacted) form excerpt."""
    for grant in ("refresh_token", "password"):
        if f'"grant_type": "{grant}"' in row.request_excerpt:
            return grant
    return ""


def expire_sandbox_tokens(kind: str):
    """Make the simulator's stored tokens of `kind` (access/refresh) expired."""
    for rec in SandboxRecord.objects.filter(vendor="omilia", kind="token"):
        if rec.data.get("type") == kind:
            rec.data["expires_at"] = 0
            rec.save(update_fields=["data"])
