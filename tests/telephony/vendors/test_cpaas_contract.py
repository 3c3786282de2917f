"""The seed document's example requests, replayed against the CPaaS sandbox with the same
headers and bodies, get answers of the documented shape.

Substitutions, and only these: the sandbox's credentials for YOUR_ACCOUNT_ID /
YOUR_ACCOUNT_AUTH; digits for the masked "XXXX" of phone numbers; ids the sandbox issued
for the document's list/DND/campaign/request ids (the document's own do not exist here);
future dates for the document's 2023 dates (the vendor wants future schedules); and a
live call's channel for modify_call. The IVR campaign example's "2023-12-1810:00:00" lost
its space in the text extraction and is replayed with it.
"""

import re
from datetime import timedelta

import pytest
import requests
from django.utils import timezone

from telephony.vendors.cpaas.sandbox import SANDBOX_CREDENTIALS
from telephony.vendors.cpaas.simulation import channel_for
from tests.telephony.vendors.cpaas_helpers import number_for, put_mid_call, wait_until

HEADERS = {
    "account": "account_1",
    "auth": SANDBOX_CREDENTIALS["account_1"],
    "Content-Type": "application/json",
}

CDR_KEYS = {
    "account_id",
    "agent_number",
    "answer",
    "billsec",
    "call_date",
    "call_direction",
    "call_duration",
    "call_status",
    "caller_id",
    "customer_number",
    "destination_context",
    "dial_status",
    "dialed_number",
    "dtmf_inputs",
    "end",
    "id",
    "recording_name",
    "request_id",
    "uniqueid",
}
CAMPAIGN_CDR_KEYS = CDR_KEYS | {"is_dnd", "list_id"}
CAMPAIGN_KEYS = {
    "calls_per_minute",
    "campaign_caller_id",
    "campaign_end_date",
    "campaign_id",
    "campaign_name",
    "campaign_start_date",
    "campaign_status",
    "campaign_type",
    "max_retries",
    "repeat_announcement_count",
    "retry_time",
}
STAT_KEYS = {
    "answer_calls",
    "busy_calls",
    "cancel_calls",
    "chanunavail_calls",
    "congestion_calls",
    "noanswer_calls",
    "total_calls",
}
HTTP_DATE = re.compile(r"^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$")


@pytest.fixture
def api(sandbox_url, sandbox_config, transactional_db):
    sandbox_config("cpaas", time_scale=1000)

    def send(method, path, body=None):
        response = requests.request(
            method, f"{sandbox_url}/cpaas/{path}", headers=HEADERS, json=body, timeout=10
        )
        assert response.status_code == 200, response.text
        payload = response.json()
        assert set(payload) == {"response"}
        return payload["response"]

    return send


def unmask(body: dict, ids: dict | None = None) -> dict:
    """The document's body with masked digits filled in and ids swapped."""
    text = repr(body).replace("XXXX", "0101").replace("xxxx", "0101")
    for old, new in (ids or {}).items():
        text = text.replace(old, new)
    return eval(text)  # noqa: S307 - our own literal, round-tripped through repr


def future(days=1, hour="10:00:00"):
    return (timezone.now() + timedelta(days=days)).strftime(f"%Y-%m-%d {hour}")


def test_click2call_example(api):
    body = unmask(
        {
            "agent_number": "91997927XXXX",
            "caller_id": "15168148111",
            "destination_number": "91800068XXXX",
            "recording_option": "on",
            "transcript": "on",
        }
    )
    answer = api("POST", "api/click2call", body)
    assert set(answer) == {"request_id", "success"}
    assert answer["success"] == "true" and re.fullmatch(r"[0-9a-f]{10}", answer["request_id"])


def test_callback_create_update_delete_examples(api):
    created = api(
        "POST",
        "api/callback",
        unmask(
            {
                "agent_number": "91997927xxxx",
                "caller_id": "15168148111",
                "destination_number": "91800068xxxx",
                "recording_option": "off",
                "time_zone": "Asia/Kolkata",
                "scheduled_at": future(hour="19:00:00"),
            }
        ),
    )
    assert set(created) == {"request_id", "success"}
    request_id = created["request_id"]
    updated = api(
        "PATCH",
        "api/callback",
        unmask(
            {
                "request_id": "5431b82e57",
                "agent_number": "91997927XXXX",
                "caller_id": "15168148111",
                "destination_number": "91800068XXXX",
                "recording_option": "on",
                "scheduled_at": future(days=2, hour="10:00:02"),
            },
            {"5431b82e57": request_id},
        ),
    )
    assert updated == {
        "message": "callback data modified successfully",
        "request_id": request_id,
        "success": "true",
    }
    deleted = api("DELETE", "api/callback", {"request_id": request_id})
    assert deleted == {
        "message": "callback request deleted successfully",
        "request_id": request_id,
        "success": "true",
    }


def test_otp_example(api):
    answer = api(
        "POST",
        "api/outbound_call",
        unmask(
            {
                "customer_number": "91997927XXXX",
                "otp": "1987",
                "announce_template_id": "AN2222314c96",
                "repeat": "1",
                "caller_id": "15168148111",
                "voice": "Raveena",
                "volume": "soft",
                "rate": "slow",
                "pitch": "medium",
                "language_code": "en-US",
                "tts_engine_type": "standard",
            }
        ),
    )
    assert set(answer) == {"request_id", "success"}


def make_lists(api):
    list_id = api("POST", "api/create_campaign_list", {"list_name": "my_campaign_list"})
    assert set(list_id) == {"list_id", "success"} and list_id["list_id"].startswith("LS")
    dnd = api("POST", "api/create_campaign_dnd_list", {"dnd_list_name": "my_first_DND_list"})
    assert set(dnd) == {"dnd_list_id", "success"} and dnd["dnd_list_id"].startswith("DN")
    return list_id["list_id"], dnd["dnd_list_id"]


def test_list_and_dnd_list_examples(api):
    list_id, dnd_list_id = make_lists(api)
    added = api(
        "POST",
        "api/add_contact_to_list",
        unmask(
            {
                "list_id": "LSaa8f9db7e6",
                "contacts": [
                    {
                        "contact_name": "ankit",
                        "contact_number": "91997927XXXX",
                        "contact_fields": {"field1": "Ankit", "field2": "Jayswal", "field3": "500"},
                    },
                    {
                        "contact_name": "abc",
                        "contact_number": "91800068XXXX",
                        "contact_fields": {"field1": "abc", "field2": "xyz", "field3": "100"},
                    },
                ],
            },
            {"LSaa8f9db7e6": list_id},
        ),
    )
    assert added == {"message": "(2) contacts imported successfully", "success": "true"}
    imported = api(
        "POST",
        "api/import_broadcast_contacts_csv",
        {"list_id": list_id, "csv_name": "contacts_dynamic_announcement.csv"},
    )
    assert imported == {"message": "(2) contacts imported successfully", "success": "true"}
    dnd_added = api(
        "POST",
        "api/add_dnd_contact_to_list",
        unmask(
            {
                "dnd_list_id": "DN95716be314",
                "dnd_contacts": [
                    {"dnd_contact_name": "ankit", "dnd_contact_number": "91997927XXXX"},
                    {"dnd_contact_name": "abc", "dnd_contact_number": "91800068XXXX"},
                ],
            },
            {"DN95716be314": dnd_list_id},
        ),
    )
    assert dnd_added == {"message": "(2) DND contacts imported successfully", "success": "true"}
    dnd_imported = api(
        "POST",
        "api/import_dnd_contacts_csv",
        {"dnd_list_id": dnd_list_id, "dnd_csv_name": "dnd_contacts.csv"},
    )
    assert dnd_imported == {
        "message": "(2) DND contacts imported successfully",
        "success": "true",
    }


CAMPAIGN_EXAMPLES = {
    "dynamic announcement": {
        "list_id": "LS608c393614",
        "dnd_list_id": "DNd2b09f8f80",
        "campaign_name": "test_broadcast_campaign_test_volume",
        "campaign_type": "0",
        "campaign_caller_id": "15168148111",
        "dynamic_announcement": "1",
        "recorded_filename": "",
        "announcement_text": "Dear, {field1} , {field2}, Your due balance is,, {field3},,INR only",
        "campaign_start_date": "2023-09-25 14:05:00",
        "campaign_end_date": "2023-09-26 20:00:00",
        "time_zone": "Asia/Kolkata",
        "repeat": "2",
        "max_retries": "1",
        "retry_time": "60",
        "calls_per_minute": "10",
        "voice": "Matthew",
        "volume": "soft",
        "rate": "slow",
        "pitch": "medium",
        "language_code": "en-US",
        "tts_engine_type": "standard",
    },
    "prerecorded file": {
        "list_id": "LS5ac4d9833c",
        "dnd_list_id": "DN4746f26296",
        "campaign_name": "test_broadcast_campaign_new1",
        "campaign_type": "0",
        "campaign_caller_id": "15168148111",
        "dynamic_announcement": "0",
        "recorded_filename": "quality_training-8khz.wav",
        "announcement_text": "",
        "campaign_start_date": "2023-07-17 09:00:00",
        "campaign_end_date": "2023-07-18 20:00:00",
        "time_zone": "Asia/Kolkata",
        "repeat": "3",
        "max_retries": "1",
        "retry_time": "60",
        "calls_per_minute": "10",
    },
    "connect to IVR": {
        "list_id": "LS18ac9f0cb0",
        "dnd_list_id": "DNbc4f9d9b5f",
        "campaign_name": "campaign_type_new_one_new1",
        "campaign_type": "1",
        "campaign_caller_id": "15168148111",
        "dynamic_announcement": "1",
        "recorded_filename": "",
        "announcement_text": "abc",
        "campaign_start_date": "2023-12-18 10:00:00",
        "campaign_end_date": "2023-12-18 20:00:00",
        "time_zone": "Asia/Kolkata",
        "repeat": "1",
        "max_retries": "1",
        "retry_time": "60",
        "calls_per_minute": "10",
    },
}


@pytest.mark.parametrize("example", CAMPAIGN_EXAMPLES)
def test_create_campaign_examples(api, example):
    list_id, dnd_list_id = make_lists(api)
    body = dict(CAMPAIGN_EXAMPLES[example])
    body.update(
        list_id=list_id,
        dnd_list_id=dnd_list_id,
        campaign_start_date=future(days=1, hour="09:00:00"),
        campaign_end_date=future(days=2, hour="20:00:00"),
    )
    answer = api("POST", "api/create_campaign", body)
    assert set(answer) == {"campaign_id", "success"}
    assert re.fullmatch(r"CM[0-9a-f]{10}", answer["campaign_id"])
    details = api("GET", "api/get_campaign_details")
    assert details["message"] == "campaign found" and details["success"] == "true"
    [campaign] = details["result"]
    assert set(campaign) == CAMPAIGN_KEYS
    assert all(isinstance(value, str) for value in campaign.values())
    assert HTTP_DATE.match(campaign["campaign_start_date"])
    assert campaign["campaign_status"] == "0"  # starts tomorrow
    assert campaign["repeat_announcement_count"] == body["repeat"]


@pytest.mark.parametrize("path", ["api/stop_campaign", "stop_campaign"])
def test_stop_campaign_example_on_both_documented_urls(api, path):
    list_id, _ = make_lists(api)
    body = dict(CAMPAIGN_EXAMPLES["connect to IVR"])
    body.update(
        list_id=list_id,
        dnd_list_id="",
        campaign_start_date=future(hour="09:00:00"),
        campaign_end_date=future(hour="20:00:00"),
    )
    campaign_id = api("POST", "api/create_campaign", body)["campaign_id"]
    stopped = api("POST", path, {"campaign_id": f" {campaign_id} ".strip()})
    assert stopped == {"message": " campaign stopped successfully", "success": "true"}
    [campaign] = api("GET", "api/get_campaign_details")["result"]
    assert campaign["campaign_status"] == "3"


def test_cdr_examples_and_statistics(api):
    list_id, dnd_list_id = make_lists(api)
    api(
        "POST",
        "api/add_contact_to_list",
        {
            "list_id": list_id,
            "contacts": [
                {"contact_name": "a", "contact_number": number_for("answered")},
                {"contact_name": "b", "contact_number": "918000680101"},
            ],
        },
    )
    api(
        "POST",
        "api/add_dnd_contact_to_list",
        {
            "dnd_list_id": dnd_list_id,
            "dnd_contacts": [{"dnd_contact_name": "b", "dnd_contact_number": "918000680101"}],
        },
    )
    now = timezone.localtime(timezone.now(), timezone.get_fixed_timezone(330))
    body = dict(CAMPAIGN_EXAMPLES["dynamic announcement"])
    body.update(
        list_id=list_id,
        dnd_list_id=dnd_list_id,
        campaign_start_date=now.strftime("%Y-%m-%d %H:%M:%S"),
        campaign_end_date=(now + timedelta(hours=3)).strftime("%Y-%m-%d %H:%M:%S"),
    )
    campaign_id = api("POST", "api/create_campaign", body)["campaign_id"]
    request_id = api(
        "POST",
        "api/click2call",
        {
            "agent_number": "919979270101",
            "caller_id": "15168148111",
            "destination_number": "918000680102",
            "recording_option": "both",
            "transcript": "off",
        },
    )["request_id"]

    by_campaign = wait_until(
        lambda: (
            (answer := api("POST", "api/get_cdr_by_campaign_id", {"campaign_id": campaign_id})).get(
                "result"
            )
            and len(answer["result"]) == 2
            and answer
        )
    )
    assert by_campaign["message"] == "cdr found"
    dnd_row, dialed_row = sorted(by_campaign["result"], key=lambda row: row["is_dnd"], reverse=True)
    assert set(dnd_row) == set(dialed_row) == CAMPAIGN_CDR_KEYS
    assert (dnd_row["dial_status"], dnd_row["is_dnd"], dnd_row["call_status"]) == ("DND", "1", None)
    assert dnd_row["answer"] == dnd_row["end"] == "Thu, 01 Jan 1970 00:00:00 GMT"
    assert dnd_row["billsec"] is None and dnd_row["uniqueid"] == ""
    assert dialed_row["call_direction"] == "outbound-campaign"
    assert dialed_row["customer_number"] == "" and dialed_row["request_id"] == ""
    assert dialed_row["list_id"] == list_id

    by_request = wait_until(
        lambda: api("POST", "api/get_cdr_by_request_id", {"request_id": request_id})["result"]
    )
    [row] = by_request
    assert set(row) == CDR_KEYS
    assert isinstance(row["id"], int) and isinstance(row["billsec"], float)
    assert isinstance(row["call_duration"], float)
    assert HTTP_DATE.match(row["call_date"]) and HTTP_DATE.match(row["answer"])
    assert re.fullmatch(r"\d{10}\.\d+", row["uniqueid"])
    assert row["call_direction"] == "outbound-api"

    today = timezone.now().strftime("%Y-%m-%d")
    by_date = api(
        "POST",
        "api/get_cdr_by_date",
        {"start_call_date": today, "end_call_date": today, "record_count": "5", "offset": "1"},
    )
    assert by_date["message"] == "cdr found" and len(by_date["result"]) == 2  # 3 rows, skip 1

    stats = api("GET", "api/get_cdr_statistics")
    assert set(stats) == {"result", "success"} and set(stats["result"]) == STAT_KEYS
    assert all(
        isinstance(value, list) and isinstance(value[0], int) for value in stats["result"].values()
    )
    assert stats["result"]["total_calls"] == [3]
    campaign_stats = api("POST", "api/get_campaign_cdr_statistics", {"campaign_id": campaign_id})
    assert set(campaign_stats["result"]) == STAT_KEYS | {"dnd_calls"}
    assert campaign_stats["result"]["dnd_calls"] == [1]
    assert campaign_stats["result"]["total_calls"] == [2]


def test_live_call_statistics_example(api):
    answer = api("GET", "api/get_live_call_statistics")
    assert answer == {
        "result": {
            "live_calls_c2c": 0,
            "live_calls_campaign": 0,
            "live_calls_inbound": 0,
            "live_calls_otp": 0,
        },
        "success": "true",
    }


def test_modify_call_example_on_a_live_call(api, sandbox_config):
    sandbox_config("cpaas", time_scale=1)
    request_id = api(
        "POST",
        "api/click2call",
        {
            "agent_number": "919979270101",
            "caller_id": "15168148111",
            "destination_number": number_for("answered"),
            "recording_option": "off",
            "transcript": "off",
        },
    )["request_id"]
    call = put_mid_call(request_id)
    # The document's body, with a leading space in the channel as it shows.
    body = {"channel": f" {channel_for(call)}", "modify_type": "0", "transfer_to": "102"}
    answer = api("POST", "api/modify_call", body)
    assert answer == {"message": "blind transferred successfully", "success": "true"}
