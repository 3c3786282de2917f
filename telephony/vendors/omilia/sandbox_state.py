"""What the Omilia simulator knows and keeps: users, miniApps, providers, and the
numbers, sets and Keycloak tokens it stores as SandboxRecord rows.

Each region prefix (eu1, us1, us2, us1-w) is its own OCP environment: records carry the
region as `tenant`. Inside an environment numbers and sets belong to OCP groups, and a
user sees what belongs to the groups they are a member of.
"""

import hashlib
import math
import re
import uuid
from dataclasses import dataclass

import phonenumbers
from phonenumbers import geocoder

from telephony.models import SandboxRecord

VENDOR = "omilia"
REGION_PREFIXES = {"eu1": "EU1", "us1": "US1", "us2": "US2", "us1-w": "US1W"}
REALMS = ("master", "ocp")  # swarm environments use master, k8s ones ocp

# GUESS: the CCaaS provider names OCP accepts are not public.
PROVIDERS = ("twilio", "bandwidth", "vonage", "amazon-connect")

# Spring's orderBy keywords -> the record field they sort on.
ORDER_FIELDS = {
    "miniapp": "miniAppName",
    "miniapp-type": "miniAppType",
    "number": "number",
    "locale": "locale",
    "note": "note",
    "group": "groupId",
    "miniapp-group": "miniAppGroup",
}

NUMBER_FIELDS = (
    "number",
    "country",
    "groupId",
    "miniAppId",
    "miniAppName",
    "miniAppType",
    "miniAppDiamantAppName",
    "miniAppGroup",
    "locale",
    "note",
    "applicationTag",
)
MINIAPP_FIELDS = (
    "miniAppId",
    "miniAppName",
    "miniAppType",
    "miniAppDiamantAppName",
    "miniAppGroup",
)


def _miniapp(uid: str, name: str, kind: str, group: str) -> dict:
    # The id shape of the seed's example: <uuid>.<name>.<type>.<group>@<name>.<group>
    return {
        "miniAppId": f"{uid}.{name}.{kind}.{group}@{name}.{group}",
        "miniAppName": name,
        "miniAppType": kind,
        "miniAppDiamantAppName": f"{group}@{name}",
        "miniAppGroup": group,
    }


SANDBOX_MINIAPPS = [
    _miniapp("3f6e2b1c-7a4d-4c55-9e1a-0b7d2f9c1a11", "Support_IVR", "Flow", "dialdesk"),
    _miniapp("8c1d4e2f-3b5a-4f66-8d2b-1c8e3a0d2b22", "Billing_Bot", "DiaManT", "dialdesk"),
    _miniapp("a2b3c4d5-e6f7-4a88-9b99-2d9f4b1e3c33", "Survey_Flow", "Flow", "dialdesk-support"),
    _miniapp("d4e5f6a7-b8c9-4daa-8bbb-3e0a5c2f4d44", "Acme_Router", "Flow", "acme"),
]


def find_miniapp(mini_app_id: str, groups) -> dict | None:
    for app in SANDBOX_MINIAPPS:
        if app["miniAppId"] == mini_app_id and app["miniAppGroup"] in groups:
            return app
    return None


@dataclass
class Ctx:
    """Who is asking, where: the region prefix, the signed-in user and their groups."""

    region: str
    username: str
    groups: tuple[str, ...]
    path: str


# --- numbers and sets ------------------------------------------------------------------


def numbers_qs(region: str):
    return SandboxRecord.objects.filter(vendor=VENDOR, kind="number", tenant=region)


def sets_qs(region: str):
    return SandboxRecord.objects.filter(vendor=VENDOR, kind="numbers_set", tenant=region)


def visible_numbers(ctx: Ctx) -> list[SandboxRecord]:
    return [rec for rec in numbers_qs(ctx.region) if rec.data.get("groupId") in ctx.groups]


def visible_sets(ctx: Ctx) -> list[SandboxRecord]:
    return [rec for rec in sets_qs(ctx.region) if rec.data.get("groupId") in ctx.groups]


def find_numbers(ctx: Ctx, numbers) -> tuple[dict[str, SandboxRecord], list[str]]:
    """The visible records of `numbers`, and the numbers not found."""
    records = {
        rec.key: rec
        for rec in numbers_qs(ctx.region).filter(key__in=[str(n) for n in numbers])
        if rec.data.get("groupId") in ctx.groups
    }
    return records, [str(n) for n in numbers if str(n) not in records]


def find_set(ctx: Ctx, set_id: str) -> SandboxRecord | None:
    rec = sets_qs(ctx.region).filter(key=set_id).first()
    if rec and rec.data.get("groupId") in ctx.groups:
        return rec
    return None


def set_shape(rec: SandboxRecord) -> dict:
    count = numbers_qs(rec.tenant).filter(parent=rec.key).count()
    return {
        "id": rec.key,
        "name": rec.data["name"],
        "groupId": rec.data["groupId"],
        "phoneNumberCount": count,
    }


def set_names(region: str) -> dict[str, str]:
    return {rec.key: rec.data.get("name", "") for rec in sets_qs(region)}


def list_shape(rec: SandboxRecord, names: dict[str, str]) -> dict:
    """A number as GET /api/numbers shows it (phoneNumbersSetId/Name, per the example)."""
    body = {name: rec.data.get(name) for name in NUMBER_FIELDS}
    body["phoneNumbersSetId"] = rec.parent or None
    body["phoneNumbersSetName"] = names.get(rec.parent) if rec.parent else None
    return body


def search_shape(rec: SandboxRecord) -> dict:
    """A number as search and set listings show it (phoneNumberSetId, per the example)."""
    body = {name: rec.data.get(name) for name in NUMBER_FIELDS}
    body["phoneNumberSetId"] = rec.parent or None
    return body


def new_number(region: str, number: str, *, group: str, purchased: bool, **fields) -> SandboxRecord:
    data = dict.fromkeys(NUMBER_FIELDS)
    data.update(
        number=number,
        country=fields.pop("country", None) or country_of(number),
        groupId=group,
        id=str(uuid.uuid4()),
        purchased=purchased,
        logAni=fields.pop("logAni", True),
        logDnis=fields.pop("logDnis", True),
    )
    data.update(fields)
    return SandboxRecord.objects.create(
        vendor=VENDOR, kind="number", tenant=region, key=number, data=data
    )


def attach(rec: SandboxRecord, app: dict, locale: str, tag):
    rec.data.update(app)
    rec.data["locale"] = locale
    rec.data["applicationTag"] = tag


def detach(rec: SandboxRecord):
    for name in (*MINIAPP_FIELDS, "applicationTag"):
        rec.data[name] = None


def country_of(number: str) -> str:
    try:
        return phonenumbers.region_code_for_number(phonenumbers.parse(number)) or ""
    except phonenumbers.NumberParseException:
        return ""


def is_possible(number: str) -> bool:
    try:
        return phonenumbers.is_possible_number(phonenumbers.parse(number))
    except phonenumbers.NumberParseException:
        return False


# --- searching and paging --------------------------------------------------------------


def like(term: str | None):
    """OCP's searchTerm (default "%") is an SQL LIKE pattern; a plain term matches
    anywhere. Returns a predicate on text."""
    term = "%" if term in (None, "") else term
    if "%" not in term and "_" not in term:
        term = f"%{term}%"
    parts = []
    for ch in term:
        parts.append(".*" if ch == "%" else "." if ch == "_" else re.escape(ch))
    pattern = re.compile("".join(parts), re.I | re.S)
    return lambda text: bool(pattern.fullmatch(text or ""))


def order(records: list[SandboxRecord], order_by: str, direction: str) -> list[SandboxRecord]:
    if order_by in ORDER_FIELDS:
        name = ORDER_FIELDS[order_by]
        records = sorted(records, key=lambda rec: (rec.data.get(name) or "").lower())
    if direction == "DESC":
        records = list(reversed(records))
    return records


def paginate(items: list, page: int, page_size: int) -> tuple[list, int]:
    pages = math.ceil(len(items) / page_size) if items else 0
    start = (page - 1) * page_size
    return items[start : start + page_size], pages


def matches_search(rec: SandboxRecord, body: dict) -> bool:
    """The advanced search's filters (GUESS: text filters match anywhere, ignoring case;
    type, locale and set must be equal)."""
    data = rec.data
    for name in ("miniAppName", "number", "note"):
        wanted = body.get(name)
        if wanted and str(wanted).lower() not in (data.get(name) or "").lower():
            return False
    for name in ("miniAppType", "locale"):
        wanted = body.get(name)
        if wanted and str(wanted) != (data.get(name) or ""):
            return False
    if body.get("setId") and body["setId"] != rec.parent:
        return False
    groups = body.get("groups")
    return not (groups and data.get("groupId") not in groups)


# --- numbers for purchase ----------------------------------------------------------------


def offers(code: str, prefix: str, provider: str, owned: set[str]) -> list[dict] | None:
    """Up to five deterministic numbers for sale in `code`, starting with `prefix`.
    None if OCP does not know the country."""
    code = code.upper()
    calling = phonenumbers.country_code_for_region(code)
    example = phonenumbers.example_number_for_type(code, phonenumbers.PhoneNumberType.FIXED_LINE)
    if not calling or example is None:
        return None
    digits = f"{calling}{example.national_number}"
    want = prefix.lstrip("+")
    if want and not (digits.startswith(want) or want.startswith(str(calling))):
        return []
    if len(want) > len(digits) - 2:
        return []
    digits = want + digits[len(want) :]
    fixed = max(len(want), len(digits) - 4)
    found = []
    for index in range(12):
        seed = hashlib.sha256(f"{provider}:{code}:{want}:{index}".encode()).hexdigest()
        tail = str(int(seed, 16))[: len(digits) - fixed]
        number = "+" + digits[:fixed] + tail
        if number in owned or number in (item["number"] for item in found):
            continue
        parsed = phonenumbers.parse(number)
        found.append(
            {
                "number": number,
                "country": code,
                "locality": geocoder.description_for_number(parsed, "en") or "",
                "region": geocoder.country_name_for_number(parsed, "en") or code,
                "price": 1 + int(seed[:2], 16) % 5,
            }
        )
        if len(found) == 5:
            break
    return found
