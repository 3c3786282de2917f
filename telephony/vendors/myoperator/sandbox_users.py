"""The MyOperator simulator's panel users: SandboxRecord kind "user", one per uuid,
per company (`tenant`), with the vendor's field rules (vendor-contracts.md §2)."""

import re

from telephony.vendors.sandbox_kit import new_id

from .sandbox_logs import VENDOR

DIGITS = re.compile(r"^\d+$")


def parse_int(value, default=None):
    """A JSON int or a form's digit string -> int; anything else -> ValueError."""
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, int):
        return value
    if isinstance(value, str) and DIGITS.match(value.strip()):
        return int(value.strip())
    raise ValueError


def users_qs(company: str):
    from telephony.models import SandboxRecord

    return SandboxRecord.objects.filter(vendor=VENDOR, kind="user", tenant=company)


def users_by_uuid(company: str) -> dict[str, dict]:
    users = {}
    for record in users_qs(company):
        data = dict(record.data)
        data["e164"] = f"+{data.get('country_code', '')}{data.get('contact_number', '')}"
        users[record.key] = data
    return users


def find_user(company: str, user_id: str) -> dict | None:
    """A user by `uuid` (what the panel shows as "User id") or numeric `user_id`."""
    for data in users_by_uuid(company).values():
        if user_id and user_id in (data.get("uuid"), data.get("user_id")):
            return data
    return None


def public_user(data: dict) -> dict:
    fields = (
        "user_id",
        "uuid",
        "name",
        "email",
        "contact_number",
        "country_code",
        "alternate_number",
        "alternate_cc",
        "extension",
        "role_id",
        "is_enabled",
        "panel_access",
        "receive_calls",
        "contact_type",
    )
    return {name: data.get(name, "") for name in fields}


# GUESS: the user endpoints' validation messages are undocumented; short English ones.
USER_FIELD_RULES = {
    "contact_number": "contact_number should be a valid number",
    "country_code": "country_code should be a valid country code",
    "alternate_contact_number": "alternate_contact_number should be a valid number",
    "alternate_cc": "alternate_cc should be a valid country code",
}


def clean_user_fields(params: dict, *, creating: bool) -> tuple[dict, str | None]:
    """Validate add/update user fields like the vendor; (cleaned, error message)."""
    cleaned = {}
    if creating:
        for name in ("name", "contact_number", "country_code"):
            if not str(params.get(name) or "").strip():
                return {}, f"{name} is required"
    for name in ("name", "email", "contact_type"):
        if params.get(name) not in (None, ""):
            cleaned[name] = str(params[name]).strip()
    for name, message in USER_FIELD_RULES.items():
        value = params.get(name)
        if value in (None, ""):
            continue
        value = (
            str(value).strip().lstrip("+")
            if name.endswith("cc") or name == "country_code"
            else str(value).strip()
        )
        if not DIGITS.match(value):
            return {}, message
        cleaned[name] = value
    if cleaned.get("alternate_contact_number") and not cleaned.get("alternate_cc"):
        return {}, "alternate_cc is required with alternate_contact_number"
    for name in ("extension", "panel_access", "receive_calls"):
        try:
            value = parse_int(params.get(name))
        except ValueError:
            return {}, f"{name} should be a number"
        if value is None:
            continue
        if name != "extension" and value not in (1, 2):
            return {}, f"{name} should be 1 or 2"
        cleaned[name] = value
    if "contact_type" in cleaned and cleaned["contact_type"].lower() not in (
        "mobile",
        "sip",
        "landline",
    ):
        return {}, "contact_type should be mobile, sip or landline"
    if cleaned.get("email") and not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", cleaned["email"]):
        return {}, "email should be a valid email"
    return cleaned, None


def conflict(company: str, cleaned: dict, exclude_uuid: str = "") -> str | None:
    for data in users_by_uuid(company).values():
        if data["uuid"] == exclude_uuid:
            continue
        if cleaned.get("extension") is not None and str(data.get("extension")) == str(
            cleaned["extension"]
        ):
            return "Extension is already assigned to another user"
        if (
            cleaned.get("contact_number")
            and data.get("contact_number") == cleaned["contact_number"]
        ):
            return "Contact number already exists in your company"
    return None


def store(data: dict, cleaned: dict):
    mapping = {"alternate_contact_number": "alternate_number"}
    for name, value in cleaned.items():
        key = mapping.get(name, name)
        data[key] = str(value) if name in ("extension", "panel_access", "receive_calls") else value
    if "contact_type" in cleaned:
        data["contact_type"] = cleaned["contact_type"].lower()
    return data


def create_user(company: str, cleaned: dict, *, role_id: str = "8", key: str = "") -> dict:
    from telephony.models import SandboxRecord

    uuid = key or new_id("", 16)
    data = {
        "user_id": str(1000 + users_qs(company).count() + 1),
        "uuid": uuid,
        "name": "",
        "email": "",
        "contact_number": "",
        "country_code": "",
        "alternate_number": "",
        "alternate_cc": "",
        "extension": "",
        "role_id": role_id,
        "is_enabled": "1",
        "panel_access": "1",
        "receive_calls": "1",
        "contact_type": "mobile",
    }
    store(data, cleaned)
    SandboxRecord.objects.create(vendor=VENDOR, kind="user", tenant=company, key=uuid, data=data)
    return data
