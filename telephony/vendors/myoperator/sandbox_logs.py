"""The MyOperator simulator's call logs: SandboxCall rows rendered as `/search` hits of
the documented `_source` shape (vendor-contracts.md §2), plus the `/filters` list and
the `filters` expression evaluator. Every value is synthesized from the simulated call;
nothing comes from real logs."""

import hashlib
import re
import zoneinfo
from datetime import datetime, timedelta

import phonenumbers

VENDOR = "myoperator"
LOCAL_TZ = zoneinfo.ZoneInfo("Asia/Kolkata")  # the panel's clock (`_rst`, `seconds`)

# Dedicated DIDs: the seed document's own example table (region, group, DID).
DIDS = [
    ("Delhi", "gr1", "011609821"),
    ("Delhi", "gr1", "011609822"),
    ("Delhi", "gr2", "011709821"),
    ("Delhi", "gr2", "011709822"),
    ("Noida", "gr3", "0122666661"),
    ("Noida", "gr3", "0122666662"),
    ("Noida", "gr4", "0122766661"),
    ("Noida", "gr4", "0122766662"),
]

# `/filters`: ids and meaning as listed on one account (vendor-contracts.md §2, C); the
# JSON shape (string ids, `parent_id` "0" for categories) is the contract's GUESS.
FILTERS = [
    ("1", "Source of logs", "0"),
    ("2", "Myoperator IVR", "1"),
    ("3", "Mobile", "1"),
    ("4", "Event of logs", "0"),
    ("5", "Incoming", "4"),
    ("6", "Outgoing", "4"),
    ("7", "Type of logs", "0"),
    ("8", "Call", "7"),
    ("9", "SMS", "7"),
    ("11", "Status of logs", "0"),
    ("12", "Connected", "11"),
    ("13", "Missed", "11"),
    ("14", "Voicemail", "11"),
    ("15", "Tags", "0"),
    ("21", "Call property", "0"),
    ("22", "Noted", "21"),
    ("23", "Archived", "21"),
    ("24", "Star Marked", "21"),
    ("25", "Two word filters", "0"),
]


def _flag(source, key):
    return any(
        item.get("ky") == key and str(item.get("vl")) == "1"
        for item in source["additional_parameters"]
    )


FILTER_TESTS = {
    "2": lambda s: s["source"] == "1",
    "3": lambda s: s["source"] == "2",
    "5": lambda s: s["event"] == 1,
    "6": lambda s: s["event"] == 2,
    "8": lambda s: s["type"] == 1,
    "9": lambda s: s["type"] == 2,
    "12": lambda s: s["status"] == 1,
    "13": lambda s: s["status"] == 2,
    "14": lambda s: s["status"] == 3,
    "22": lambda s: _flag(s, "is_commented"),
    "23": lambda s: _flag(s, "is_archived"),
    "24": lambda s: _flag(s, "is_starred"),
}

# Sandbox outcome -> leg dial status (Asterisk DIALSTATUS words; see mapping.py). The
# generic "failed" outcome appears as CONGESTION, what a failed network attempt reports.
DIAL_STATUS = {
    "answered": "ANSWER",
    "no_answer": "NOANSWER",
    "busy": "BUSY",
    "unavailable": "CHANUNAVAIL",
    "failed": "CONGESTION",
}
NOTIFICATION_SOURCE = {"obd": "2", "clickocall": "1", "incoming": "0"}  # `_ns`
INDIAN_CIRCLES = ["DL", "MH", "KA", "UP", "UW", "TN", "GJ", "WB"]


class FilterSyntaxError(ValueError):
    pass


def parse_filters(expression: str):
    """'5 AND (12 OR 13)' -> a predicate over a `_source`. AND binds tighter than OR."""
    tokens = re.findall(r"\(|\)|[A-Za-z]+|\d+|\S", expression)
    position = 0

    def peek():
        return tokens[position].upper() if position < len(tokens) else None

    def take():
        nonlocal position
        position += 1
        return tokens[position - 1]

    def factor():
        token = peek()
        if token == "(":
            take()
            inner = disjunction()
            if peek() != ")":
                raise FilterSyntaxError("missing )")
            take()
            return inner
        if token is not None and token.isdigit() and token in FILTER_TESTS:
            take()
            return FILTER_TESTS[token]
        raise FilterSyntaxError(f"unexpected {token!r}")

    def conjunction():
        parts = [factor()]
        while peek() == "AND":
            take()
            parts.append(factor())
        return lambda s: all(part(s) for part in parts)

    def disjunction():
        parts = [conjunction()]
        while peek() == "OR":
            take()
            parts.append(conjunction())
        return lambda s: any(part(s) for part in parts)

    predicate = disjunction()
    if position != len(tokens):
        raise FilterSyntaxError("trailing tokens")
    return predicate


# --- rendering a call as a log record ----------------------------------------------------


def split_number(number: str) -> tuple[str, str, str]:
    """E.164 -> (country code, national number, region code)."""
    try:
        parsed = phonenumbers.parse(number)
    except phonenumbers.NumberParseException:
        return "", number.lstrip("+"), ""
    region = phonenumbers.region_code_for_number(parsed) or ""
    return str(parsed.country_code), str(parsed.national_number), region


def did_e164(did: str) -> str:
    """An Indian DID as dialled in India ('011609821') -> E.164 ('+9111609821')."""
    return "+91" + did.lstrip("0")


def recording_name(call_id: str) -> str:
    """A recording file name in the vendor's `<96 hex>-v2.mp3` style, fixed per call."""
    return hashlib.sha384(f"{VENDOR}:{call_id}".encode()).hexdigest() + "-v2.mp3"


def hms(seconds: int) -> str:
    seconds = max(int(seconds), 0)
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def _person(user: dict | None, number: str = "") -> dict:
    if user:
        return {
            "user_id": user["uuid"],
            "name": user.get("name", ""),
            "email": user.get("email") or None,
            "extension": str(user.get("extension") or ""),
            "contact_number_raw": user.get("contact_number", ""),
            "contact_number": user.get("e164", ""),
        }
    _, national, _ = split_number(number)
    return {
        "user_id": "",
        "name": "",
        "email": None,
        "extension": "",
        "contact_number_raw": national,
        "contact_number": number,
    }


def log_source(call, state: dict, users: dict[str, dict], audio_url: str) -> dict:
    """One completed SandboxCall as the `_source` of a `/search` hit."""
    params = call.params or {}
    answered = state["outcome"] == "answered"
    start = int(state["started_at"].timestamp())
    # Durations are simulated seconds; the end is start + duration so a record agrees
    # with itself at any time_scale (the vendor's duration includes the ring time).
    duration = int(state["duration_seconds"])
    end = start + duration
    talk = int(state["talk_seconds"]) if answered else 0
    country, national, region = split_number(call.to_number)
    user = users.get(params.get("user_uuid", ""))
    anonymous = bool(params.get("number_2"))
    if user:
        received_by = [_person(user)]
    elif anonymous:
        received_by = [_person(None, params["number_2"])]
    else:
        received_by = []  # an IVR call: nobody but the IVR answers
    local_start = datetime.fromtimestamp(start, LOCAL_TZ)
    leg = {
        "_an": anonymous,
        "_wr": False,
        "_rst": local_start.strftime("%Y-%m-%d %H:%M:%S"),
        "_ds": DIAL_STATUS.get(state["outcome"], "NOANSWER"),
        "_did": call.from_number,
        "received_by": received_by,
        "transfered_to": [],  # sic: the vendor's spelling
        "status": "1",
        "start_time": start,
        "end_time": end,
        "duration": hms(talk),
        "action": "received" if answered else "missed",
    }
    digest = hashlib.md5(f"{call.tenant}:{call.to_number}".encode()).hexdigest()  # noqa: S324
    circle = INDIAN_CIRCLES[int(digest[:2], 16) % len(INDIAN_CIRCLES)]
    filename = params.get("recording", "") if answered else ""
    midnight = local_start.replace(hour=0, minute=0, second=0, microsecond=0)
    kind = params.get("channel", "obd")
    return {
        "allcaller_id": digest,
        "source": "2" if kind == "incoming" and params.get("via_mobile") else "1",
        "company_id": call.tenant,
        "caller_number_raw": national,
        "caller_number": call.to_number,
        "_cm": "",
        "country": country,
        "state": f"{circle}, {region}" if region == "IN" else region,
        "synced_time": end + 3,
        "start_time": start,
        "end_time": end,
        "_ms": start * 1000 + call.pk % 1000,
        "seconds": int((local_start - midnight).total_seconds()),
        "duration": hms(duration),
        "_drm": round(duration / 60, 1),
        "type": 1,
        "event": 1 if kind == "incoming" else 2,
        "filename": filename,
        "fileurl": f"{audio_url}?file={filename.removesuffix('.mp3')}" if filename else "",
        "_ns": NOTIFICATION_SOURCE.get(kind, "0"),
        "status": 1 if answered else 2,
        "department_name": params.get("department_name", ""),
        "department_id": params.get("department_id", ""),
        "additional_parameters": [
            {"ky": "unique_id", "vl": f"{call.pk % 40 + 1}.{start}.{12000000 + call.pk}"},
            {"ky": "is_starred", "vl": "0"},
            {"ky": "view_type", "vl": "1"},
            {"ky": "is_commented", "vl": "0"},
            {"ky": "is_archived", "vl": "0"},
            {"ky": "internal_flag", "vl": "0"},
        ],
        "comments": [],
        "log_details": [leg],
        "_an": 1 if anonymous else 0,
        "_us": [{"ky": user["uuid"], "vl": leg["action"]}] if user else [],
        "_tc": [{"ye": user["uuid"], "yf": talk}] if user and answered else [],
        "_ri": call.call_id if kind != "incoming" else "",
        "_ji": params.get("job_id", ""),
        "_ivid": params.get("public_ivr_id", ""),
        "_cri": call.reference_id,
        "_rv": False,
    }


def search_text(source: dict) -> str:
    """What `search_key` looks in: names, e-mails, numbers, comments, the unique id."""
    parts = [source["caller_number"], source["caller_number_raw"], source["_cm"]]
    parts += [item["vl"] for item in source["additional_parameters"] if item["ky"] == "unique_id"]
    parts += [str(comment) for comment in source["comments"]]
    for leg in source["log_details"]:
        for person in leg["received_by"]:
            parts += [person["name"], person["email"] or "", person["contact_number"]]
    return " ".join(parts).lower()


def completed_logs(
    company: str, now: datetime, users: dict, audio_url: str, since=None, until=None
):
    """The company's finished calls as `_source` records, newest first. Calls still
    queued, ringing or talking have no log yet: MyOperator writes a log when a call ends."""
    from telephony.models import SandboxCall

    calls = SandboxCall.objects.filter(vendor=VENDOR, tenant=company, created_at__lte=now)
    if until is not None:
        # `to` is whole unix seconds: it covers every call created within that second.
        calls = calls.filter(created_at__lt=until + timedelta(seconds=1))
    if since is not None:
        # A call starts after its queue time (seconds, or more at a slow time_scale).
        calls = calls.filter(created_at__gte=since - timedelta(hours=1))
    records = []
    for call in calls:
        state = call.state(now)
        if state["phase"] == "completed":
            records.append(log_source(call, state, users, audio_url))
    records.sort(key=lambda source: (source["start_time"], source["_ms"]), reverse=True)
    return records
