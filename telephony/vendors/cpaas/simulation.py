"""The CPaaS simulator's state: lists, DND lists, callbacks, campaigns and the CDR rows
that every read endpoint renders from SandboxCall rows.

Nothing runs in the background. Callbacks and campaigns advance lazily whenever an
endpoint looks (`materialize`): it creates the SandboxCall rows that should exist by
then, with the creation times they would have had. Call ids are deterministic, so two
readers racing cannot dial a contact twice.
"""

import csv
import hashlib
import io
import re
from datetime import datetime, timedelta

from django.db import transaction

from telephony.models import SandboxCall, SandboxConfig, SandboxRecord
from telephony.vendors.sandbox_kit import QUEUE_SECONDS, outcome_for

from .mapping import http_date

VENDOR = "cpaas"

# --- guessed tables (vendor-contracts.md §3: nothing public pins these down) ------------

# campaign_status codes of get_campaign_details. GUESS from the document's single sample
# ("3" for a campaign whose dates had passed) and vendor-contracts.md; kept as data so a
# confirmed table from the vendor is a one-line change.
CAMPAIGN_STATUS = {"pending": "0", "running": "1", "completed": "2", "stopped": "3"}

# Simulated outcome -> (call_status = Asterisk CDR disposition, dial_status = DIALSTATUS).
# Asterisk logs both CHANUNAVAIL and CONGESTION with the disposition FAILED; a hangup
# before answer (modify_call type 2) is DIALSTATUS CANCEL, disposition NO ANSWER.
OUTCOME_STATUSES = {
    "answered": ("ANSWERED", "ANSWER"),
    "busy": ("BUSY", "BUSY"),
    "no_answer": ("NO ANSWER", "NOANSWER"),
    "unavailable": ("FAILED", "CHANUNAVAIL"),
    "failed": ("FAILED", "CONGESTION"),
    "cancelled": ("NO ANSWER", "CANCEL"),
}
DND_OUTCOME = "dnd_blocked"
RETRYABLE_DIAL_STATUSES = ["NOANSWER", "BUSY", "CHANUNAVAIL", "CONGESTION"]

# (call_direction, destination_context) per kind of call, as the document's CDR samples
# show them: "local_call" for the OTP announcement, "click2call", and campaign contexts
# named after the campaign type.
CALL_CONTEXTS = {
    "click2call": ("outbound-api", "click2call"),
    "callback": ("outbound-api", "callback"),
    "otp": ("outbound-api", "local_call"),
    "campaign": ("outbound-campaign", "local_call_campaign_type_{campaign_type}"),
}
LIVE_COUNTERS = {
    "click2call": "live_calls_c2c",
    "callback": "live_calls_c2c",
    "otp": "live_calls_otp",
    "campaign": "live_calls_campaign",
}

# Files "already in the S3 bucket". The document's CSV imports name a file the user put
# in the server's S3 bucket beforehand, by means outside this API. Every tenant has the
# two files the document names (synthetic numbers); `put_bucket_file` simulates that
# upload for anything else. The columns are a GUESS mirroring the JSON bodies.
DEMO_BUCKET_FILES = {
    "contacts_dynamic_announcement.csv": (
        "contact_name,contact_number,field1,field2,field3\n"
        "asha,919800000101,Asha,Rao,500\n"
        "ravi,919800000102,Ravi,Kumar,100\n"
    ),
    "dnd_contacts.csv": (
        "dnd_contact_name,dnd_contact_number\nravi,919800000102\nmeera,919800000103\n"
    ),
}
# Pre-uploaded announcement audio and approved OTP templates every tenant has (both named
# by the document's examples).
DEMO_RECORDED_FILES = {"quality_training-8khz.wav"}
APPROVED_OTP_TEMPLATES = {"AN2222314c96"}


def account_id_for(tenant: str) -> str:
    """The vendor's internal account id (CDR `account_id`, e.g. "ACvjfnvjnfs")."""
    return "AC" + hashlib.sha256(f"cpaas:{tenant}".encode()).hexdigest()[:9]


def records(tenant: str, kind: str):
    return SandboxRecord.objects.filter(vendor=VENDOR, tenant=tenant, kind=kind)


def _dt(value: str) -> datetime:
    return datetime.fromisoformat(value)


# --- calls --------------------------------------------------------------------------


def build_call(
    *,
    tenant: str,
    kind: str,
    call_id: str,
    to_number: str,
    from_number: str,
    params: dict,
    created_at: datetime,
    reference_id: str = "",
    campaign_id: str = "",
    seed: int | None = None,
    time_scale: float | None = None,
    attempt: int = 0,
) -> SandboxCall:
    """An unsaved SandboxCall whose fate is fixed now (deterministic per number + seed;
    a campaign retry is a fresh roll, still deterministic)."""
    if seed is None or time_scale is None:
        config = SandboxConfig.for_vendor(VENDOR)
        seed = config.seed if seed is None else seed
        time_scale = config.time_scale if time_scale is None else time_scale
    outcome = outcome_for(to_number, seed + attempt * 7919)
    return SandboxCall(
        vendor=VENDOR,
        call_id=call_id,
        reference_id=reference_id,
        tenant=tenant,
        kind=kind,
        from_number=from_number,
        to_number=to_number,
        params=params,
        seed=seed,
        time_scale=time_scale or 1.0,
        outcome=outcome.status,
        ring_seconds=outcome.ring_seconds,
        talk_seconds=outcome.talk_seconds,
        campaign_id=campaign_id,
        created_at=created_at,
    )


def call_end(call: SandboxCall) -> datetime:
    """When the call will be over (real time)."""
    sim = QUEUE_SECONDS + call.ring_seconds
    if call.outcome == "answered":
        sim += call.talk_seconds
    return call.created_at + timedelta(seconds=sim / (call.time_scale or 1.0))


def channel_for(call: SandboxCall) -> str:
    """The Asterisk channel of the call's customer leg, as modify_call wants it
    (the document's example: "PJSIP/tatatrunk-ACvjfnvjnfs-0000023d")."""
    return f"PJSIP/trunk-{account_id_for(call.tenant)}-{call.pk:08x}"


CHANNEL_RE = re.compile(r"^[A-Za-z0-9]+/\S+-([0-9a-fA-F]{8})$")


def call_for_channel(tenant: str, channel: str) -> SandboxCall | None:
    match = CHANNEL_RE.match(channel)
    if not match:
        return None
    return SandboxCall.objects.filter(vendor=VENDOR, tenant=tenant, pk=int(match[1], 16)).first()


def is_live(call: SandboxCall, now: datetime) -> bool:
    return call.outcome != DND_OUTCOME and call.state(now)["phase"] != "completed"


def hang_up(call: SandboxCall, now: datetime):
    """modify_call type 2: end the call now (CANCEL before answer, shorter talk after)."""
    scale = call.time_scale or 1.0
    elapsed = (now - call.created_at).total_seconds() * scale
    ring_end = QUEUE_SECONDS + call.ring_seconds
    if call.outcome == "answered" and elapsed >= ring_end:
        call.talk_seconds = max(0, int(elapsed - ring_end))
    else:
        call.outcome = "cancelled"
        call.ring_seconds = max(0, int(elapsed - QUEUE_SECONDS))
        call.talk_seconds = 0
    call.params = {**call.params, "hangup_by_api": True}
    call.save(update_fields=["outcome", "ring_seconds", "talk_seconds", "params"])


def cdr_row(call: SandboxCall, now: datetime) -> dict | None:
    """The CDR row of a call, or None while it is still live (Asterisk writes a CDR at
    hangup). Keys exactly as the document's samples show them."""
    params = call.params or {}
    direction, context = CALL_CONTEXTS[call.kind]
    context = context.format(campaign_type=params.get("campaign_type", "0"))
    row = {
        "account_id": account_id_for(call.tenant),
        "agent_number": params.get("agent_number", ""),
        "call_direction": direction,
        "caller_id": call.from_number,
        "customer_number": "" if call.kind == "campaign" else call.to_number,
        "destination_context": context,
        "dialed_number": call.to_number,
        "id": call.pk,
        "request_id": call.reference_id,
    }
    if call.kind == "campaign":
        row["list_id"] = params.get("list_id", "")
        row["is_dnd"] = "1" if call.outcome == DND_OUTCOME else "0"
    if call.outcome == DND_OUTCOME:
        # The document's DND sample: nulls, the 1970 epoch, no channel.
        row.update(
            answer=http_date(None),
            billsec=None,
            call_date=http_date(call.created_at),
            call_duration=None,
            call_status=None,
            dial_status="DND",
            dtmf_inputs="",
            end=http_date(None),
            recording_name="",
            uniqueid="",
        )
        return row
    state = call.state(now)
    if state["phase"] != "completed":
        return None
    answered = call.outcome == "answered"
    call_status, dial_status = OUTCOME_STATUSES[call.outcome]
    recorded = answered and params.get("recording", False)
    row.update(
        answer=http_date(state["answered_at"]),
        billsec=float(call.talk_seconds) if answered else 0.0,
        # In the document's samples call_date is the hangup time, not the start.
        call_date=http_date(state["ended_at"]),
        call_duration=float(state["duration_seconds"]),
        call_status=call_status,
        dial_status=dial_status,
        dtmf_inputs=params.get("dtmf", "") if answered else "",
        end=http_date(state["ended_at"]),
        recording_name=f"{call.call_id}.wav" if recorded else "",
        uniqueid=f"{int(state['started_at'].timestamp())}.{call.pk}",
    )
    return row


def cdr_rows(calls, now: datetime) -> list[dict]:
    rows = [cdr_row(call, now) for call in calls]
    return sorted((row for row in rows if row is not None), key=lambda row: row["id"])


STAT_KEYS_BY_DIAL_STATUS = {
    "ANSWER": "answer_calls",
    "BUSY": "busy_calls",
    "CANCEL": "cancel_calls",
    "CHANUNAVAIL": "chanunavail_calls",
    "CONGESTION": "congestion_calls",
    "NOANSWER": "noanswer_calls",
    "DND": "dnd_calls",
}


def statistics(rows: list[dict], *, with_dnd: bool) -> dict:
    """Counters as the document shows them: each a one-element list (a SQL COUNT row)."""
    counts = {key: 0 for key in STAT_KEYS_BY_DIAL_STATUS.values()}
    if not with_dnd:
        del counts["dnd_calls"]
    for row in rows:
        key = STAT_KEYS_BY_DIAL_STATUS.get(row["dial_status"])
        if key in counts:
            counts[key] += 1
    counts["total_calls"] = len(rows)
    return {key: [value] for key, value in counts.items()}


def live_statistics(tenant: str, now: datetime) -> dict:
    counts = {"live_calls_c2c": 0, "live_calls_campaign": 0, "live_calls_inbound": 0}
    counts["live_calls_otp"] = 0
    recent = SandboxCall.objects.filter(
        vendor=VENDOR, tenant=tenant, created_at__gte=now - timedelta(days=1)
    )
    for call in recent:
        if is_live(call, now):
            counts[LIVE_COUNTERS[call.kind]] += 1
    return counts


# --- lazy progress --------------------------------------------------------------------


def materialize(tenant: str, now: datetime):
    """Create every call that due callbacks and running campaigns have made by `now`."""
    for record in records(tenant, "callback").filter(data__state="scheduled"):
        if _dt(record.data["scheduled_utc"]) <= now:
            dial_callback(record)
    for pk in (
        records(tenant, "campaign")
        .filter(data__state__in=["pending", "running"])
        .values_list("pk", flat=True)
    ):
        advance_campaign(pk, now)


def dial_callback(record: SandboxRecord):
    data = record.data
    call = build_call(
        tenant=record.tenant,
        kind="callback",
        call_id=record.key,
        reference_id=record.key,
        to_number=data["destination_number"],
        from_number=data["caller_id"],
        params={
            "agent_number": data["agent_number"],
            "recording": data["recording_option"] == "on",
        },
        created_at=_dt(data["scheduled_utc"]),
        seed=data["seed"],
        time_scale=data["time_scale"],
    )
    SandboxCall.objects.bulk_create([call], ignore_conflicts=True)
    record.data = {**data, "state": "dialed"}
    record.save(update_fields=["data", "updated_at"])


def render_announcement(text: str, fields: dict) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: str(fields.get(m[1], "")), text or "")


def advance_campaign(pk: int, now: datetime) -> SandboxRecord:
    """Dial what the campaign would have dialed by `now`: one call per 60/calls_per_minute
    simulated seconds from its start, due retries first, DND contacts skipped (with a
    DND row, as the document's campaign CDR sample shows), nothing at or after its end."""
    with transaction.atomic():
        record = SandboxRecord.objects.select_for_update().get(pk=pk)
        data = record.data
        if data["state"] not in ("pending", "running"):
            return record
        start, end = _dt(data["dial_start"]), _dt(data["end_utc"])
        if now < start:
            return record
        scale = data["time_scale"] or 1.0
        interval = timedelta(seconds=60 / data["calls_per_minute"] / scale)
        slot = _dt(data["next_slot_at"]) if data.get("next_slot_at") else start
        contacts = list(
            records(record.tenant, "contact")
            .filter(parent=data["list_id"])
            .order_by("created_at", "id")
            .values_list("data", flat=True)[data["cursor"] :]
        )
        dnd = set()
        if data.get("dnd_list_id"):
            dnd = {
                row["number"]
                for row in records(record.tenant, "dnd_contact")
                .filter(parent=data["dnd_list_id"])
                .values_list("data", flat=True)
            }
        retries = data["retries"]
        last_end = _dt(data["last_end"]) if data.get("last_end") else start
        calls = []
        taken = 0
        while slot < end and slot <= now:
            due = [retry for retry in retries if _dt(retry["due"]) <= slot]
            if due:
                retry = min(due, key=lambda item: item["due"])
                retries.remove(retry)
                call = _campaign_call(record, retry["contact"], retry["attempt"], slot)
            elif taken < len(contacts):
                contact = contacts[taken]
                taken += 1
                if contact["number"] in dnd:
                    calls.append(_campaign_call(record, contact, 0, slot, dnd=True))
                    continue
                call = _campaign_call(record, contact, 0, slot)
            elif retries:
                slot = max(slot, min(_dt(retry["due"]) for retry in retries))
                continue
            else:
                break
            calls.append(call)
            last_end = max(last_end, call_end(call))
            _schedule_retry(data, retries, call, contacts_entry=call.params["contact"])
            slot += interval
        SandboxCall.objects.bulk_create(calls, ignore_conflicts=True)
        data.update(
            cursor=data["cursor"] + taken,
            next_slot_at=slot.isoformat(),
            retries=retries,
            last_end=last_end.isoformat(),
        )
        exhausted = taken >= len(contacts) and not retries
        if now >= end or (exhausted and now >= last_end):
            data["state"] = "completed"
        else:
            data["state"] = "running"
        record.data = data
        record.save(update_fields=["data", "updated_at"])
        return record


def _campaign_call(record, contact: dict, attempt: int, slot: datetime, dnd=False):
    data = record.data
    data["dialed"] += 1
    fields = contact.get("fields") or {}
    params = {
        "list_id": data["list_id"],
        "campaign_type": data["campaign_type"],
        "attempt": attempt,
        "contact": contact,
    }
    if data["dynamic_announcement"] == "1":
        params["announcement"] = render_announcement(data["announcement_text"], fields)
    else:
        params["recorded_filename"] = data["recorded_filename"]
    call = build_call(
        tenant=record.tenant,
        kind="campaign",
        call_id=f"{record.key}-{data['dialed']:05d}",
        to_number=contact["number"],
        from_number=data["campaign_caller_id"],
        params=params,
        created_at=slot,
        campaign_id=record.key,
        seed=data["seed"],
        time_scale=data["time_scale"],
        attempt=attempt,
    )
    if dnd:
        call.outcome, call.ring_seconds, call.talk_seconds = DND_OUTCOME, 0, 0
    elif data["campaign_type"] == "1" and call.outcome == "answered":
        # An IVR campaign's contacts press a key; which one is deterministic per number.
        digest = hashlib.sha256(f"{call.seed}:{contact['number']}".encode()).digest()
        call.params["dtmf"] = str(1 + digest[0] % 3)
    return call


def _schedule_retry(data: dict, retries: list, call: SandboxCall, contacts_entry: dict):
    attempt = call.params["attempt"]
    dial_status = OUTCOME_STATUSES[call.outcome][1]
    if dial_status not in data["retry_on_statuses"] or attempt >= data["max_retries"]:
        return
    scale = call.time_scale or 1.0
    due = call_end(call) + timedelta(seconds=data["retry_time"] / scale)
    retries.append({"contact": contacts_entry, "attempt": attempt + 1, "due": due.isoformat()})


def stop_campaign(record: SandboxRecord, now: datetime) -> SandboxRecord:
    record = advance_campaign(record.pk, now)
    if record.data["state"] in ("pending", "running"):
        record.data = {
            **record.data,
            "state": "stopped",
            "retries": [],
            "stopped_at": now.isoformat(),
        }
        record.save(update_fields=["data", "updated_at"])
    return record


def campaign_status(record: SandboxRecord) -> str:
    return CAMPAIGN_STATUS[record.data["state"]]


# --- lists and the bucket -----------------------------------------------------------


def put_bucket_file(tenant: str, name: str, text: str):
    """Simulate the S3 upload the CSV imports rely on (outside the documented API)."""
    SandboxRecord.objects.update_or_create(
        vendor=VENDOR,
        kind="bucket_file",
        tenant=tenant,
        key=name,
        defaults={"data": {"text": text}},
    )


def bucket_file(tenant: str, name: str) -> str | None:
    record = records(tenant, "bucket_file").filter(key=name).first()
    if record is not None:
        return record.data["text"]
    return DEMO_BUCKET_FILES.get(name)


def recorded_file_exists(tenant: str, name: str) -> bool:
    return name in DEMO_RECORDED_FILES or records(tenant, "audio").filter(key=name).exists()


def read_csv(text: str) -> list[dict]:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    return [{(k or "").strip(): (v or "").strip() for k, v in row.items()} for row in reader]


def upsert_members(tenant: str, kind: str, parent: str, members: list[dict]) -> int:
    """Add contacts (or DND contacts) to a list; a number already there is updated."""
    unique = {member["number"]: member for member in members}
    rows = [
        SandboxRecord(
            vendor=VENDOR,
            kind=kind,
            tenant=tenant,
            key=f"{parent}:{number}",
            parent=parent,
            data=member,
        )
        for number, member in unique.items()
    ]
    SandboxRecord.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["vendor", "kind", "tenant", "key"],
        update_fields=["data"],
    )
    return len(rows)


# --- demo state ---------------------------------------------------------------------


def seed_history(tenant: str, now: datetime, count: int = 12) -> int:
    """A little CDR history (past click2call and OTP calls); idempotent."""
    created = 0
    salt = hashlib.sha256(tenant.encode()).hexdigest()[:3]
    for index in range(count):
        call_id = f"d{salt}{index:06x}"
        if SandboxCall.objects.filter(vendor=VENDOR, call_id=call_id).exists():
            continue
        kind = "click2call" if index % 3 else "otp"
        params = {"agent_number": "919800000900", "recording": True} if kind == "click2call" else {}
        call = build_call(
            tenant=tenant,
            kind=kind,
            call_id=call_id,
            reference_id=call_id,
            to_number=f"9198000002{index:02d}",
            from_number="15168148111",
            params=params,
            created_at=now - timedelta(hours=2 * (index + 1)),
            time_scale=1.0,
        )
        call.save()
        created += 1
    return created
