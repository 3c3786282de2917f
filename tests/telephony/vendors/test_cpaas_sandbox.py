"""The CPaaS simulator: auth, validation and fault bodies over raw HTTP, and its campaign
engine (pacing, window, DND, retries, stop), callbacks and call lifecycle, checked
against the simulation functions with chosen clocks."""

from datetime import UTC, datetime, timedelta

import pytest
import requests
from django.utils import timezone

from telephony.models import ProviderAccount, SandboxCall, SandboxRecord
from telephony.vendors.cpaas import simulation as sim
from telephony.vendors.cpaas.sandbox import SANDBOX_CREDENTIALS, demo_account, seed_demo
from telephony.vendors.cpaas.sandbox_base import ERRORS
from telephony.vendors.cpaas.urls import ENDPOINTS
from telephony.vendors.sandbox_kit import QUEUE_SECONDS, new_id, outcome_for
from tests.telephony.vendors.cpaas_helpers import number_for

METHODS = {
    "get_campaign_details": "GET",
    "get_cdr_statistics": "GET",
    "get_live_call_statistics": "GET",
}


def headers(tenant="account_1", auth=None):
    return {"account": tenant, "auth": auth or SANDBOX_CREDENTIALS[tenant]}


@pytest.fixture
def api(sandbox_url, sandbox_config, transactional_db):
    sandbox_config("cpaas", time_scale=1)

    def send(method, path, body=None, *, tenant="account_1", auth=None, **kwargs):
        return requests.request(
            method,
            f"{sandbox_url}/cpaas/{path}",
            headers={**headers(tenant, auth), **kwargs.pop("extra_headers", {})},
            json=body,
            timeout=10,
            **kwargs,
        )

    return send


def body_of(response):
    return response.json()["response"]


# --- HTTP surface -----------------------------------------------------------------------


@pytest.mark.parametrize("name", ENDPOINTS)
def test_every_endpoint_answers_bad_auth_with_401_and_the_error_envelope(api, name):
    response = api(METHODS.get(name, "POST"), f"api/{name}", {}, auth="wrong-auth-value")
    assert response.status_code == 401
    assert response.json() == {"status": "error", "message": "Invalid account or auth"}


def test_missing_headers_and_unknown_accounts_are_401(api, sandbox_url):
    bare = requests.get(f"{sandbox_url}/cpaas/api/get_cdr_statistics", timeout=10)
    assert bare.status_code == 401
    other = api("GET", "api/get_cdr_statistics", tenant="account_1", auth="x")
    assert other.status_code == 401
    # Each account's auth works for that account only.
    swapped = api("GET", "api/get_cdr_statistics", auth=SANDBOX_CREDENTIALS["account_2"])
    assert swapped.status_code == 401


def test_a_wrong_method_and_a_broken_body_get_the_vendors_errors(api):
    assert api("GET", "api/click2call").json() == {
        "status": "error",
        "message": "method not allowed",
    }
    broken = api(
        "POST",
        "api/click2call",
        data=b"{not json",
        extra_headers={"Content-Type": "application/json"},
    )
    assert broken.status_code == 400
    assert broken.json()["message"] == "invalid json body"


@pytest.mark.parametrize(
    ("path", "body", "message"),
    [
        ("api/click2call", {}, "agent_number is required"),
        (
            "api/click2call",
            {"agent_number": "919979270101", "caller_id": "15168148111"},
            "destination_number is required",
        ),
        (
            "api/click2call",
            {
                "agent_number": "+919979270101",
                "caller_id": "15168148111",
                "destination_number": "918000680101",
                "transcript": "off",
            },
            "agent_number is invalid",
        ),
        (
            "api/click2call",
            {
                "agent_number": "919979270101",
                "caller_id": "15168148111",
                "destination_number": "918000680101",
            },
            "transcript is required",
        ),
        (
            "api/callback",
            {
                "agent_number": "919979270101",
                "caller_id": "15168148111",
                "destination_number": "918000680101",
                "recording_option": "off",
                "time_zone": "Asia/Kolkata",
                "scheduled_at": "2023-08-15 12:55:00",
            },
            "scheduled_at must be a future date and time",
        ),
        (
            "api/callback",
            {
                "agent_number": "919979270101",
                "caller_id": "15168148111",
                "destination_number": "918000680101",
                "recording_option": "off",
                "time_zone": "Asia/Kolkata",
                "scheduled_at": "2030-08-15T12:55:00",
            },
            "scheduled_at is invalid",
        ),
        ("api/outbound_call", {"customer_number": "919979270101"}, "otp is required"),
        ("api/modify_call", {"channel": "PJSIP/101-0000023c"}, "modify_type is required"),
        (
            "api/modify_call",
            {"channel": "PJSIP/101-0000023c", "modify_type": "0"},
            "transfer_to is required",
        ),
        ("api/modify_call", {"channel": "nonsense", "modify_type": "2"}, "channel is invalid"),
        ("api/create_campaign_list", {"list_name": "  "}, "list_name is required"),
        ("api/add_contact_to_list", {"list_id": "LS1"}, "list_id not found"),
        ("api/get_cdr_by_date", {"start_call_date": "2023-06-13"}, "end_call_date is required"),
        (
            "api/get_cdr_by_date",
            {"start_call_date": "13-06-2023", "end_call_date": "2023-06-17"},
            "start_call_date is invalid",
        ),
        (
            "api/get_cdr_by_date",
            {"start_call_date": "2023-06-13", "end_call_date": "2023-06-17", "record_count": "0"},
            "record_count is invalid",
        ),
        ("api/get_campaign_cdr_statistics", {}, "campaign_id is required"),
        ("api/stop_campaign", {"campaign_id": "CM0"}, "campaign_id not found"),
    ],
)
def test_the_vendors_validation_messages_and_codes(api, path, body, message):
    response = api("POST", path, body)
    expected_status = next(
        status
        for status, template in ERRORS.values()
        if template.replace("{field}", message.split(" ")[0]) == message
    )
    assert response.status_code == expected_status
    assert response.json() == {"status": "error", "message": message}


def test_contacts_need_valid_numbers(api):
    list_id = body_of(api("POST", "api/create_campaign_list", {"list_name": "l"}))["list_id"]
    response = api(
        "POST",
        "api/add_contact_to_list",
        {
            "list_id": list_id,
            "contacts": [{"contact_number": "919979270101"}, {"contact_name": "x"}],
        },
    )
    assert response.json()["message"] == "contacts[1].contact_number is required"
    assert not SandboxRecord.objects.filter(kind="contact").exists()


def test_fault_bodies_are_the_vendors(api):
    error = api("GET", "api/get_cdr_statistics", extra_headers={"X-Sandbox-Fault": "error"})
    assert error.status_code == 500
    assert error.json() == {"status": "error", "message": "internal server error"}
    limited = api("GET", "api/get_cdr_statistics", extra_headers={"X-Sandbox-Fault": "ratelimit"})
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "1"


def test_a_csv_import_skips_rows_without_a_valid_number(api):
    list_id = body_of(api("POST", "api/create_campaign_list", {"list_name": "l"}))["list_id"]
    sim.put_bucket_file(
        "account_1",
        "mixed.csv",
        "\ufeffcontact_name,contact_number,field1\na,919800000001,x\nb,,y\nc,12,z\nd,919800000002,w\n",
    )
    answer = body_of(
        api(
            "POST",
            "api/import_broadcast_contacts_csv",
            {"list_id": list_id, "csv_name": "mixed.csv"},
        )
    )
    assert answer["message"] == "(2) contacts imported successfully"
    fields = sim.records("account_1", "contact").get(key=f"{list_id}:919800000001").data["fields"]
    assert fields == {"field1": "x"}
    # The file is account_1's: account_2 does not see it.
    other = body_of(api("POST", "api/create_campaign_list", {"list_name": "l"}, tenant="account_2"))
    missing = api(
        "POST",
        "api/import_broadcast_contacts_csv",
        {"list_id": other["list_id"], "csv_name": "mixed.csv"},
        tenant="account_2",
    )
    assert missing.status_code == 404 and missing.json()["message"] == "csv_name not found"


# --- calls and their lifecycle ----------------------------------------------------------


def test_outcomes_are_deterministic_per_number_and_seed():
    numbers = [f"9198000{index:05d}" for index in range(40)]
    first = [outcome_for(number, 0) for number in numbers]
    assert first == [outcome_for(number, 0) for number in numbers]
    assert first != [outcome_for(number, 1) for number in numbers]


def test_a_call_is_live_until_its_simulated_end_then_has_a_cdr(api):
    destination = number_for("answered")
    request_id = body_of(
        api(
            "POST",
            "api/click2call",
            {
                "agent_number": "919979270101",
                "caller_id": "15168148111",
                "destination_number": destination,
                "transcript": "off",
            },
        )
    )["request_id"]
    call = SandboxCall.objects.get(reference_id=request_id)
    assert call.time_scale == 1
    live = body_of(api("GET", "api/get_live_call_statistics"))["result"]
    assert live["live_calls_c2c"] == 1
    none_yet = body_of(api("POST", "api/get_cdr_by_request_id", {"request_id": request_id}))
    assert none_yet == {"message": "cdr not found", "result": [], "success": "false"}
    later = sim.call_end(call) + timedelta(seconds=1)
    row = sim.cdr_row(call, later)
    assert row["call_status"] == "ANSWERED" and row["dial_status"] == "ANSWER"
    assert row["billsec"] == float(call.talk_seconds)
    assert row["call_duration"] == float(call.ring_seconds + call.talk_seconds)
    assert sim.cdr_row(call, later - timedelta(seconds=2)) is None


# --- the campaign engine, with chosen clocks ---------------------------------------------


def make_campaign(tenant="account_1", *, contacts, dnd=(), cpm=6, window=3600, **data):
    """A campaign record as create_campaign stores it, starting at a fixed moment."""
    start = datetime(2030, 1, 1, 10, 0, tzinfo=UTC)
    list_id, dnd_list_id = new_id("LS"), new_id("DN") if dnd else ""
    sim.upsert_members(tenant, "contact", list_id, [{"number": n, "name": ""} for n in contacts])
    if dnd:
        sim.upsert_members(tenant, "dnd_contact", dnd_list_id, [{"number": n} for n in dnd])
    fields = {
        "campaign_name": "c",
        "campaign_type": "0",
        "campaign_caller_id": "15168148111",
        "list_id": list_id,
        "dnd_list_id": dnd_list_id,
        "dynamic_announcement": "1",
        "announcement_text": "hi",
        "recorded_filename": "",
        "end_utc": (start + timedelta(seconds=window)).isoformat(),
        "dial_start": start.isoformat(),
        "calls_per_minute": cpm,
        "repeat": 1,
        "max_retries": 0,
        "retry_time": 60,
        "retry_on_statuses": list(sim.RETRYABLE_DIAL_STATUSES),
        "seed": 0,
        "time_scale": 1.0,
        "state": "pending",
        "cursor": 0,
        "dialed": 0,
        "retries": [],
        **data,
    }
    record = SandboxRecord.objects.create(
        vendor="cpaas", kind="campaign", tenant=tenant, key=new_id("CM"), data=fields
    )
    return record, start


def calls_of(record):
    return list(SandboxCall.objects.filter(campaign_id=record.key).order_by("created_at", "id"))


@pytest.mark.django_db
def test_a_campaign_dials_at_its_calls_per_minute_from_its_start():
    numbers = [number_for("answered", skip=i) for i in range(5)]
    record, start = make_campaign(contacts=numbers, cpm=6)  # one call per 10 s
    assert sim.advance_campaign(record.pk, start - timedelta(seconds=1)).data["state"] == "pending"
    assert calls_of(record) == []
    record = sim.advance_campaign(record.pk, start + timedelta(seconds=25))
    assert sim.campaign_status(record) == "1"
    calls = calls_of(record)
    assert [c.created_at - start for c in calls] == [timedelta(seconds=s) for s in (0, 10, 20)]
    assert [c.to_number for c in calls] == numbers[:3]
    # Reading again at the same moment dials nobody twice.
    sim.advance_campaign(record.pk, start + timedelta(seconds=25))
    assert len(calls_of(record)) == 3
    record = sim.advance_campaign(record.pk, start + timedelta(hours=1))
    assert len(calls_of(record)) == 5
    assert sim.campaign_status(record) == "2"


@pytest.mark.django_db
def test_time_scale_compresses_the_pacing_not_the_calendar():
    numbers = [number_for("answered", skip=i) for i in range(4)]
    record, start = make_campaign(contacts=numbers, cpm=6, time_scale=10.0)
    sim.advance_campaign(record.pk, start + timedelta(seconds=2.5))
    calls = calls_of(record)
    assert [c.created_at - start for c in calls] == [timedelta(seconds=s) for s in (0, 1, 2)]
    assert all(c.time_scale == 10.0 for c in calls)


@pytest.mark.django_db
def test_a_campaign_stops_dialing_at_its_end_date():
    numbers = [number_for("answered", skip=i) for i in range(10)]
    record, start = make_campaign(contacts=numbers, cpm=6, window=25)
    record = sim.advance_campaign(record.pk, start + timedelta(hours=1))
    calls = calls_of(record)
    assert len(calls) == 3  # at 0, 10 and 20 s; 30 s is past the end
    assert sim.campaign_status(record) == "2"


@pytest.mark.django_db
def test_dnd_contacts_get_a_dnd_row_and_no_call():
    numbers = [number_for("answered", skip=i) for i in range(3)]
    record, start = make_campaign(contacts=numbers, dnd=[numbers[0]])
    sim.advance_campaign(record.pk, start + timedelta(seconds=5))
    dnd_call, first = calls_of(record)
    assert dnd_call.outcome == sim.DND_OUTCOME and dnd_call.to_number == numbers[0]
    assert first.to_number == numbers[1] and first.created_at == start
    row = sim.cdr_row(dnd_call, start + timedelta(seconds=5))
    assert (row["dial_status"], row["is_dnd"], row["call_status"]) == ("DND", "1", None)
    assert not sim.is_live(dnd_call, start)


def number_busy_then_answered():
    for skip in range(200):
        number = number_for("busy", skip=skip)
        if outcome_for(number, 7919).status == "answered":
            return number
    raise AssertionError("none found")


@pytest.mark.django_db
@pytest.mark.parametrize(("max_retries", "attempts"), [(0, 1), (2, 2)])
def test_unanswered_contacts_are_retried_after_retry_time(max_retries, attempts):
    number = number_busy_then_answered()
    record, start = make_campaign(
        contacts=[number], max_retries=max_retries, retry_time=60, retry_on_statuses=["BUSY"]
    )
    record = sim.advance_campaign(record.pk, start + timedelta(hours=1))
    calls = calls_of(record)
    assert [c.outcome for c in calls] == ["busy", "answered"][:attempts]
    if attempts == 2:
        retry_at = sim.call_end(calls[0]) + timedelta(seconds=60)
        assert calls[1].created_at == retry_at
        assert calls[1].params["attempt"] == 1
    assert sim.campaign_status(record) == "2"


@pytest.mark.django_db
def test_a_status_not_listed_for_retry_is_not_retried():
    number = number_busy_then_answered()
    record, start = make_campaign(contacts=[number], max_retries=3, retry_on_statuses=["NOANSWER"])
    sim.advance_campaign(record.pk, start + timedelta(hours=1))
    assert len(calls_of(record)) == 1


@pytest.mark.django_db
def test_a_stopped_campaign_dials_no_more():
    numbers = [number_for("answered", skip=i) for i in range(5)]
    record, start = make_campaign(contacts=numbers)
    sim.advance_campaign(record.pk, start + timedelta(seconds=15))
    record = sim.stop_campaign(record, start + timedelta(seconds=15))
    assert sim.campaign_status(record) == "3"
    sim.advance_campaign(record.pk, start + timedelta(hours=1))
    assert len(calls_of(record)) == 2


@pytest.mark.django_db
def test_a_campaign_waits_for_its_last_call_before_completing():
    number = number_for("answered")
    record, start = make_campaign(contacts=[number])
    record = sim.advance_campaign(record.pk, start + timedelta(seconds=1))
    [call] = calls_of(record)
    assert sim.campaign_status(record) == "1"
    record = sim.advance_campaign(record.pk, sim.call_end(call))
    assert sim.campaign_status(record) == "2"
    assert call.params["announcement"] == "hi"


@pytest.mark.django_db
def test_statistics_agree_with_the_cdr_rows():
    numbers = [f"9198000{index:05d}" for index in range(30)]
    record, start = make_campaign(contacts=numbers, dnd=numbers[:3], cpm=600)
    later = start + timedelta(hours=1)
    sim.advance_campaign(record.pk, later)
    rows = sim.cdr_rows(calls_of(record), later)
    stats = sim.statistics(rows, with_dnd=True)
    assert stats["total_calls"] == [30]
    assert stats["dnd_calls"] == [3]
    for key, dial_status in {v: k for k, v in sim.STAT_KEYS_BY_DIAL_STATUS.items()}.items():
        assert stats[key] == [sum(row["dial_status"] == dial_status for row in rows)]


@pytest.mark.django_db
def test_a_due_callback_becomes_a_call_at_its_scheduled_time():
    scheduled = timezone.now() + timedelta(minutes=5)
    record = SandboxRecord.objects.create(
        vendor="cpaas",
        kind="callback",
        tenant="account_1",
        key="fd5ff6e021",
        data={
            "agent_number": "919979270101",
            "caller_id": "15168148111",
            "destination_number": "918000680101",
            "recording_option": "on",
            "time_zone": "Asia/Kolkata",
            "scheduled_utc": scheduled.isoformat(),
            "state": "scheduled",
            "seed": 0,
            "time_scale": 1.0,
        },
    )
    sim.materialize("account_1", scheduled - timedelta(seconds=1))
    assert not SandboxCall.objects.filter(reference_id="fd5ff6e021").exists()
    sim.materialize("account_1", scheduled)
    call = SandboxCall.objects.get(reference_id="fd5ff6e021")
    assert call.created_at == scheduled and call.kind == "callback"
    record.refresh_from_db()
    assert record.data["state"] == "dialed"


@pytest.mark.django_db
def test_hanging_up_before_answer_is_cancel_and_after_answer_shortens_the_talk():
    now = timezone.now()
    ringing = sim.build_call(
        tenant="account_1",
        kind="click2call",
        call_id="a1",
        to_number=number_for("no_answer"),
        from_number="15168148111",
        params={},
        created_at=now - timedelta(seconds=QUEUE_SECONDS + 5),
        seed=0,
        time_scale=1.0,
    )
    ringing.save()
    sim.hang_up(ringing, now)
    row = sim.cdr_row(ringing, now)
    assert (row["call_status"], row["dial_status"]) == ("NO ANSWER", "CANCEL")
    talking = sim.build_call(
        tenant="account_1",
        kind="otp",
        call_id="a2",
        to_number=number_for("answered"),
        from_number="15168148111",
        params={},
        created_at=now,
        seed=0,
        time_scale=1.0,
    )
    talking.created_at = now - timedelta(seconds=QUEUE_SECONDS + talking.ring_seconds + 4)
    talking.save()
    assert sim.call_for_channel("account_1", sim.channel_for(talking)) == talking
    assert sim.call_for_channel("account_2", sim.channel_for(talking)) is None
    sim.hang_up(talking, now)
    row = sim.cdr_row(talking, now)
    assert row["call_status"] == "ANSWERED" and row["billsec"] == 4.0


# --- demo -------------------------------------------------------------------------------


def test_the_demo_account_connects_and_seed_demo_is_idempotent(sandbox_url, transactional_db):
    assert seed_demo() == 24
    assert seed_demo() == 0
    kwargs = demo_account(sandbox_url)
    secrets = kwargs.pop("secrets")
    account = ProviderAccount(**kwargs)
    account.set_secrets(secrets)
    account.save()
    assert account.test_connection().ok
    history = account.client().all_cdr_by_date(
        start_date=timezone.now().date() - timedelta(days=2), end_date=timezone.now().date()
    )
    assert len(history) == 12
    assert {cdr.raw["destination_context"] for cdr in history} == {"click2call", "local_call"}
