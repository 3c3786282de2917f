"""Simulator of the CPaaS campaign manager: contact lists, DND lists (JSON and CSV
imports), campaigns (create, stop, details) and the CDR and statistics reads."""

from datetime import UTC, datetime, timedelta

from django.utils import timezone

from telephony.models import SandboxCall, SandboxRecord
from telephony.vendors.sandbox_kit import new_id

from . import simulation as sim
from .mapping import http_date
from .sandbox_base import (
    DATE_FORMAT,
    DATETIME_FORMAT,
    VENDOR,
    ApiError,
    choice,
    config,
    endpoint,
    found,
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

# --- lists --------------------------------------------------------------------------


def _create_named(tenant, body, *, kind, field, prefix, id_key):
    name = text(body, field)
    if sim.records(tenant, kind).filter(data__name=name).exists():
        raise ApiError("exists", field=field)
    list_id = new_id(prefix)
    SandboxRecord.objects.create(
        vendor=VENDOR, kind=kind, tenant=tenant, key=list_id, data={"name": name}
    )
    return ok(**{id_key: list_id})


@endpoint("POST")
def create_campaign_list(request, tenant, body):
    return _create_named(
        tenant, body, kind="list", field="list_name", prefix="LS", id_key="list_id"
    )


@endpoint("POST")
def create_campaign_dnd_list(request, tenant, body):
    return _create_named(
        tenant, body, kind="dnd_list", field="dnd_list_name", prefix="DN", id_key="dnd_list_id"
    )


def _members(body, *, field, name_key, number_key, fields_key=None) -> list[dict]:
    items = body.get(field)
    if items is None or items == []:
        raise ApiError("required", field=field)
    if not isinstance(items, list):
        raise ApiError("invalid", field=field)
    members = []
    for index, item in enumerate(items):
        where = f"{field}[{index}]"
        if not isinstance(item, dict):
            raise ApiError("invalid", field=where)
        member = {
            "name": text(item, name_key, required=False),
            "number": number(item, number_key, required=False),
        }
        if not member["number"]:
            raise ApiError("required", field=f"{where}.{number_key}")
        if fields_key:
            extra = item.get(fields_key) or {}
            if not isinstance(extra, dict):
                raise ApiError("invalid", field=f"{where}.{fields_key}")
            member["fields"] = {str(k): str(v) for k, v in extra.items()}
        members.append(member)
    return members


@endpoint("POST")
def add_contact_to_list(request, tenant, body):
    list_id = text(body, "list_id")
    get_record(tenant, "list", list_id, "list_id")
    members = _members(
        body,
        field="contacts",
        name_key="contact_name",
        number_key="contact_number",
        fields_key="contact_fields",
    )
    count = sim.upsert_members(tenant, "contact", list_id, members)
    return ok(message=f"({count}) contacts imported successfully")


@endpoint("POST")
def add_dnd_contact_to_list(request, tenant, body):
    dnd_list_id = text(body, "dnd_list_id")
    get_record(tenant, "dnd_list", dnd_list_id, "dnd_list_id")
    members = _members(
        body, field="dnd_contacts", name_key="dnd_contact_name", number_key="dnd_contact_number"
    )
    count = sim.upsert_members(tenant, "dnd_contact", dnd_list_id, members)
    return ok(message=f"({count}) DND contacts imported successfully")


def _csv_members(tenant, name, field, *, name_key, number_key, with_fields) -> list[dict]:
    content = sim.bucket_file(tenant, name)
    if content is None:
        raise ApiError("not_found", field=field)
    members = []
    # Rows without a valid number are skipped, not fatal: a CSV is a bulk load.
    for row in sim.read_csv(content):
        value = row.get(number_key, "")
        if not value.isdigit() or not 10 <= len(value) <= 15:
            continue
        member = {"name": row.get(name_key, ""), "number": value}
        if with_fields:
            member["fields"] = {
                key: val for key, val in row.items() if key not in (name_key, number_key) and key
            }
        members.append(member)
    return members


@endpoint("POST")
def import_broadcast_contacts_csv(request, tenant, body):
    list_id = text(body, "list_id")
    csv_name = text(body, "csv_name")
    get_record(tenant, "list", list_id, "list_id")
    members = _csv_members(
        tenant,
        csv_name,
        "csv_name",
        name_key="contact_name",
        number_key="contact_number",
        with_fields=True,
    )
    count = sim.upsert_members(tenant, "contact", list_id, members)
    return ok(message=f"({count}) contacts imported successfully")


@endpoint("POST")
def import_dnd_contacts_csv(request, tenant, body):
    dnd_list_id = text(body, "dnd_list_id")
    dnd_csv_name = text(body, "dnd_csv_name")
    get_record(tenant, "dnd_list", dnd_list_id, "dnd_list_id")
    members = _csv_members(
        tenant,
        dnd_csv_name,
        "dnd_csv_name",
        name_key="dnd_contact_name",
        number_key="dnd_contact_number",
        with_fields=False,
    )
    count = sim.upsert_members(tenant, "dnd_contact", dnd_list_id, members)
    return ok(message=f"({count}) DND contacts imported successfully")


# --- campaigns ----------------------------------------------------------------------


def _retry_statuses(body) -> list[str]:
    """ "NOANSWER, BUSY" -> DIALSTATUS names; absent means every unanswered status
    (max_retries: "if call fails")."""
    raw = text(body, "retry_on_statuses", required=False)
    if not raw:
        return list(sim.RETRYABLE_DIAL_STATUSES)
    statuses = [part.strip().upper().replace(" ", "") for part in raw.split(",") if part.strip()]
    if any(status not in sim.RETRYABLE_DIAL_STATUSES for status in statuses):
        raise ApiError("invalid", field="retry_on_statuses")
    return statuses


@endpoint("POST")
def create_campaign(request, tenant, body):
    """Required: what all three of the document's examples send, less what its table marks
    optional. `repeat`/`max_retries`/`retry_time` are in every example but the table
    names them differently (repeat_count, retry_attempts), so both names are accepted and
    they default to 1/0/60 (GUESS)."""
    list_id = text(body, "list_id")
    name = text(body, "campaign_name")
    campaign_type = choice(body, "campaign_type", {"0", "1"}, required=True)
    caller_id = number(body, "campaign_caller_id", minimum=3)
    dynamic = choice(body, "dynamic_announcement", {"0", "1"}, required=True)
    announcement_text = text(body, "announcement_text", required=dynamic == "1")
    recorded = text(body, "recorded_filename", required=dynamic == "0")
    time_zone = zone(body, required=False)
    start_local = local_datetime(body, "campaign_start_date")
    end_local = local_datetime(body, "campaign_end_date")
    calls_per_minute = integer(body, "calls_per_minute", minimum=1)
    repeat_field = "repeat" if "repeat" in body else "repeat_count"
    repeat = integer(body, repeat_field, minimum=1, required=False, default=1)
    retries_field = "max_retries" if "max_retries" in body else "retry_attempts"
    max_retries = integer(body, retries_field, required=False, default=0)
    retry_time = integer(body, "retry_time", required=False, default=60)
    retry_on = _retry_statuses(body)
    tts = tts_options(body)
    dnd_list_id = text(body, "dnd_list_id", required=False)

    get_record(tenant, "list", list_id, "list_id")
    if dnd_list_id:
        get_record(tenant, "dnd_list", dnd_list_id, "dnd_list_id")
    if dynamic == "0" and not sim.recorded_file_exists(tenant, recorded):
        raise ApiError("not_found", field="recorded_filename")
    if sim.records(tenant, "campaign").filter(data__campaign_name=name).exists():
        raise ApiError("exists", field="campaign_name")
    start, end = to_utc(start_local, time_zone), to_utc(end_local, time_zone)
    if end <= start:
        raise ApiError("end_before_start")
    now = timezone.now()
    if end <= now:
        raise ApiError("future", field="campaign_end_date")

    settings = config()
    campaign_id = new_id("CM")
    data = {
        "campaign_name": name,
        "campaign_type": campaign_type,
        "campaign_caller_id": caller_id,
        "list_id": list_id,
        "dnd_list_id": dnd_list_id,
        "dynamic_announcement": dynamic,
        "announcement_text": announcement_text if dynamic == "1" else "",
        "recorded_filename": recorded if dynamic == "0" else "",
        "time_zone": time_zone,
        "start_local": start_local.strftime(DATETIME_FORMAT),
        "end_local": end_local.strftime(DATETIME_FORMAT),
        "end_utc": end.isoformat(),
        # A campaign created inside its window starts dialing at once.
        "dial_start": max(start, now).isoformat(),
        "calls_per_minute": calls_per_minute,
        "repeat": repeat,
        "max_retries": max_retries,
        "retry_time": retry_time,
        "retry_on_statuses": retry_on,
        "tts": tts,
        "seed": settings.seed,
        # time_scale compresses the pacing and the calls, not the calendar: the start
        # and end dates are wall-clock moments.
        "time_scale": settings.time_scale,
        "state": "pending",
        "cursor": 0,
        "dialed": 0,
        "retries": [],
    }
    SandboxRecord.objects.create(
        vendor=VENDOR, kind="campaign", tenant=tenant, key=campaign_id, data=data
    )
    return ok(campaign_id=campaign_id)


@endpoint("POST")
def stop_campaign(request, tenant, body):
    campaign_id = text(body, "campaign_id")
    record = get_record(tenant, "campaign", campaign_id, "campaign_id")
    record = sim.stop_campaign(record, timezone.now())
    if record.data["state"] == "completed":
        raise ApiError("completed")
    # Stopping a stopped campaign answers the same: stop is safe to repeat.
    return ok(message=" campaign stopped successfully")


def campaign_detail(record: SandboxRecord) -> dict:
    data = record.data
    # The document's sample shows the local wall-clock dates labelled "GMT" (its end
    # date 20:00:00 is the local end time it was created with); mirrored here.
    start = datetime.strptime(data["start_local"], DATETIME_FORMAT).replace(tzinfo=UTC)
    end = datetime.strptime(data["end_local"], DATETIME_FORMAT).replace(tzinfo=UTC)
    return {
        "calls_per_minute": str(data["calls_per_minute"]),
        "campaign_caller_id": data["campaign_caller_id"],
        "campaign_end_date": http_date(end),
        "campaign_id": record.key,
        "campaign_name": data["campaign_name"],
        "campaign_start_date": http_date(start),
        "campaign_status": sim.campaign_status(record),
        "campaign_type": data["campaign_type"],
        "max_retries": str(data["max_retries"]),
        "repeat_announcement_count": str(data["repeat"]),
        "retry_time": str(data["retry_time"]),
    }


@endpoint("GET")
def get_campaign_details(request, tenant, body):
    sim.materialize(tenant, timezone.now())
    campaigns = sim.records(tenant, "campaign").order_by("created_at", "id")
    return found("campaign", [campaign_detail(record) for record in campaigns])


# --- CDRs and statistics ------------------------------------------------------------


def _date(body, field):
    value = text(body, field)
    try:
        return datetime.strptime(value, DATE_FORMAT).date()
    except ValueError:
        raise ApiError("invalid", field=field) from None


@endpoint("POST")
def get_cdr_by_date(request, tenant, body):
    start = _date(body, "start_call_date")
    end = _date(body, "end_call_date")
    record_count = integer(body, "record_count", minimum=1, required=False, default=1000)
    offset = integer(body, "offset", required=False, default=0)
    if end < start:
        raise ApiError("invalid", field="end_call_date")
    now = timezone.now()
    sim.materialize(tenant, now)
    # A call's CDR date is its hangup (see cdr_row); calls last minutes, so a day of
    # margin on the creation time catches them all.
    window_start = datetime.combine(start, datetime.min.time(), tzinfo=UTC)
    window_end = datetime.combine(end, datetime.max.time(), tzinfo=UTC)
    calls = SandboxCall.objects.filter(
        vendor=VENDOR,
        tenant=tenant,
        created_at__gte=window_start - timedelta(days=1),
        created_at__lte=window_end,
    )
    rows = [
        row
        for row in sim.cdr_rows(calls, now)
        if start <= datetime.strptime(row["call_date"], "%a, %d %b %Y %H:%M:%S GMT").date() <= end
    ]
    return found("cdr", rows[offset : offset + record_count])


@endpoint("POST")
def get_cdr_by_request_id(request, tenant, body):
    request_id = text(body, "request_id")
    now = timezone.now()
    sim.materialize(tenant, now)
    calls = SandboxCall.objects.filter(vendor=VENDOR, tenant=tenant, reference_id=request_id)
    return found("cdr", sim.cdr_rows(calls, now))


def _campaign_calls(tenant, body):
    campaign_id = text(body, "campaign_id")
    get_record(tenant, "campaign", campaign_id, "campaign_id")
    now = timezone.now()
    sim.materialize(tenant, now)
    calls = SandboxCall.objects.filter(vendor=VENDOR, tenant=tenant, campaign_id=campaign_id)
    return sim.cdr_rows(calls, now)


@endpoint("POST")
def get_cdr_by_campaign_id(request, tenant, body):
    return found("cdr", _campaign_calls(tenant, body))


@endpoint("POST")
def get_campaign_cdr_statistics(request, tenant, body):
    return ok(result=sim.statistics(_campaign_calls(tenant, body), with_dnd=True))


@endpoint("GET")
def get_cdr_statistics(request, tenant, body):
    now = timezone.now()
    sim.materialize(tenant, now)
    calls = SandboxCall.objects.filter(vendor=VENDOR, tenant=tenant)
    return ok(result=sim.statistics(sim.cdr_rows(calls, now), with_dnd=False))


@endpoint("GET")
def get_live_call_statistics(request, tenant, body):
    now = timezone.now()
    sim.materialize(tenant, now)
    return ok(result=sim.live_statistics(tenant, now))
