"""Simulator of the self-hosted Asterisk CPaaS: calls, live call control, callbacks, and
the demo hooks. Lists, campaigns and CDRs are in sandbox_campaigns.py, the plumbing
(auth, the guessed error bodies, validation) in sandbox_base.py."""

from datetime import datetime

from django.utils import timezone

from telephony.models import SandboxRecord
from telephony.vendors.sandbox_kit import new_id

from . import simulation as sim
from .sandbox_base import (
    CLICK2CALL_RECORDING,
    DATETIME_FORMAT,
    MODIFY_MESSAGES,
    ON_OFF,
    SANDBOX_CREDENTIALS,
    VENDOR,
    ApiError,
    choice,
    config,
    endpoint,
    get_record,
    integer,
    local_datetime,
    number,
    ok,
    text,
    to_utc,
    tts_options,
    zone,
)
from .sandbox_live import ARI_CREDENTIALS

__all__ = ["SANDBOX_CREDENTIALS", "demo_account", "seed_demo"]

# --- calls --------------------------------------------------------------------------


@endpoint("POST")
def click2call(request, tenant, body):
    agent = number(body, "agent_number")
    caller_id = number(body, "caller_id", minimum=3)
    destination = number(body, "destination_number")
    recording = choice(body, "recording_option", CLICK2CALL_RECORDING, default="off")
    # The table does not mark transcript optional: required.
    transcript = choice(body, "transcript", ON_OFF, required=True)
    request_id = new_id()
    call = sim.build_call(
        tenant=tenant,
        kind="click2call",
        call_id=request_id,
        reference_id=request_id,
        to_number=destination,
        from_number=caller_id,
        params={
            "agent_number": agent,
            "recording": recording != "off",
            "recording_option": recording,
            "transcript": transcript,
        },
        created_at=timezone.now(),
    )
    call.save()
    return ok(request_id=request_id)


@endpoint("POST")
def outbound_call(request, tenant, body):
    customer = number(body, "customer_number")
    otp = text(body, "otp")
    template = text(body, "announce_template_id")
    if template not in sim.APPROVED_OTP_TEMPLATES:
        raise ApiError("invalid", field="announce_template_id")
    repeat = integer(body, "repeat", minimum=1)
    caller_id = number(body, "caller_id", minimum=3)
    tts = tts_options(body)
    request_id = new_id()
    call = sim.build_call(
        tenant=tenant,
        kind="otp",
        call_id=request_id,
        reference_id=request_id,
        to_number=customer,
        from_number=caller_id,
        # The OTP itself is not kept: it is a secret the announcement speaks once.
        params={"announce_template_id": template, "repeat": repeat, "otp_digits": len(otp), **tts},
        created_at=timezone.now(),
    )
    call.save()
    return ok(request_id=request_id)


@endpoint("POST")
def modify_call(request, tenant, body):
    channel = text(body, "channel")
    modify_type = choice(body, "modify_type", MODIFY_MESSAGES, required=True)
    transfer_to = ""
    if modify_type in ("0", "1"):
        # A SIP extension ("102") or an external number with country code.
        transfer_to = number(body, "transfer_to", minimum=2)
    if not sim.CHANNEL_RE.match(channel):
        raise ApiError("invalid", field="channel")
    now = timezone.now()
    call = sim.call_for_channel(tenant, channel)
    if call is None or not sim.is_live(call, now):
        raise ApiError("not_found", field="channel")
    if modify_type == "2":
        sim.hang_up(call, now)
    else:
        if call.state(now)["phase"] != "in_progress":
            raise ApiError("not_answered")
        params = dict(call.params)
        if modify_type == "3":
            params["recording"] = True
        else:
            transfers = params.get("transfers", [])
            transfers.append({"type": modify_type, "to": transfer_to, "at": now.isoformat()})
            params["transfers"] = transfers
        call.params = params
        call.save(update_fields=["params"])
    return ok(message=MODIFY_MESSAGES[modify_type])


# --- callbacks ----------------------------------------------------------------------


@endpoint("POST", "PATCH", "DELETE")
def callback(request, tenant, body):
    return {"POST": create_callback, "PATCH": update_callback, "DELETE": delete_callback}[
        request.method
    ](tenant, body)


def create_callback(tenant, body):
    data = {
        "agent_number": number(body, "agent_number"),
        "caller_id": number(body, "caller_id", minimum=3),
        "destination_number": number(body, "destination_number"),
        "recording_option": choice(body, "recording_option", ON_OFF, required=True),
        "time_zone": zone(body),
    }
    local = local_datetime(body, "scheduled_at")
    scheduled = to_utc(local, data["time_zone"])
    if scheduled <= timezone.now():
        raise ApiError("future", field="scheduled_at")
    settings = config()
    request_id = new_id()
    data.update(
        scheduled_at=local.strftime(DATETIME_FORMAT),
        scheduled_utc=scheduled.isoformat(),
        state="scheduled",
        seed=settings.seed,
        time_scale=settings.time_scale,
    )
    SandboxRecord.objects.create(
        vendor=VENDOR, kind="callback", tenant=tenant, key=request_id, data=data
    )
    return ok(request_id=request_id)


def _pending_callback(tenant, body) -> SandboxRecord:
    request_id = text(body, "request_id")
    sim.materialize(tenant, timezone.now())
    record = get_record(tenant, "callback", request_id, "request_id")
    if record.data["state"] != "scheduled":
        raise ApiError("processed")
    return record


def update_callback(tenant, body):
    record = _pending_callback(tenant, body)
    data = dict(record.data)
    for field in ("agent_number", "destination_number"):
        if field in body:
            data[field] = number(body, field)
    if "caller_id" in body:
        data["caller_id"] = number(body, "caller_id", minimum=3)
    if "recording_option" in body:
        data["recording_option"] = choice(body, "recording_option", ON_OFF, required=True)
    # Not in the document's PATCH table; accepted because the create body has it.
    if "time_zone" in body:
        data["time_zone"] = zone(body)
    if "scheduled_at" in body or "time_zone" in body:
        local = local_datetime(body, "scheduled_at", required=False) or datetime.strptime(
            data["scheduled_at"], DATETIME_FORMAT
        )
        scheduled = to_utc(local, data["time_zone"])
        if scheduled <= timezone.now():
            raise ApiError("future", field="scheduled_at")
        data.update(
            scheduled_at=local.strftime(DATETIME_FORMAT), scheduled_utc=scheduled.isoformat()
        )
    record.data = data
    record.save(update_fields=["data", "updated_at"])
    return ok(message="callback data modified successfully", request_id=record.key)


def delete_callback(tenant, body):
    record = _pending_callback(tenant, body)
    record.delete()
    return ok(message="callback request deleted successfully", request_id=record.key)


# --- demo ---------------------------------------------------------------------------


def demo_account(sandbox_base_url: str) -> dict:
    """ProviderAccount kwargs for a demo account on this simulator (account_1)."""
    return {
        "kind": "cpaas",
        "name": "CPaaS sandbox",
        "base_url": f"{sandbox_base_url.rstrip('/')}/cpaas/",
        # The ARI login names live channels for modify_call (sandbox_live.py).
        "config": {"account": "account_1", "ari_username": ARI_CREDENTIALS["account_1"][0]},
        "secrets": {
            "auth": SANDBOX_CREDENTIALS["account_1"],
            "ari_password": ARI_CREDENTIALS["account_1"][1],
        },
    }


def seed_demo():
    """Idempotent vendor-side demo state: a little CDR history for both accounts (the
    demo CSV files, audio file and OTP template exist on every tenant already)."""
    now = timezone.now()
    return sum(sim.seed_history(tenant, now) for tenant in SANDBOX_CREDENTIALS)
