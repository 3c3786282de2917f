# ruff: noqa: F811 (pytest fixtures are imported by name, then requested as arguments)
"""The MyOperator simulator over raw HTTP: the seed documents' example requests replayed
with the sandbox's credentials, the vendor's validation messages, auth answers, fault
bodies, the reference-id lock and the shape of the logs."""

import re
import time
from datetime import timedelta

import pytest
import requests

from telephony.models import SandboxCall, SandboxRecord
from telephony.vendors.myoperator import sandbox
from telephony.vendors.myoperator.sandbox_logs import FILTERS
from telephony.vendors.sandbox_kit import outcome_for
from tests.telephony.vendors.myoperator_fixtures import (  # noqa: F401 (fixtures)
    AGENT,
    COMPANY,
    CREDENTIALS,
    IVR,
    fast_calls,
    number_with,
    ref,
)

HEADERS = {"x-api-key": CREDENTIALS["x_api_key"], "Content-Type": "application/json"}
TOKEN = CREDENTIALS["rest_token"]
HEX32 = re.compile(r"^[0-9a-f]{32}$")
HMS = re.compile(r"^\d\d:\d\d:\d\d$")
UNAUTHORIZED = {"status": "error", "message": "This not an authorized request", "code": 400}
UNKNOWN = {"status": "error", "message": "Unknown method.", "code": 404}
TYPE_ERROR = 'instance type ({}) does not match any allowed primitive type (allowed: ["{}"])'


@pytest.fixture
def mo_urls(sandbox_url, transactional_db):
    sandbox.seed_demo()
    root = f"{sandbox_url}/myoperator"
    return {"obd": f"{root}/obd-api-v1", "api": f"{root}/api"}


def seed_body(kind: str) -> dict:
    """The seed document's OBD example bodies, placeholders filled with sandbox values
    (the docs' own sample numbers, DID, group and region)."""
    body = {
        "company_id": COMPANY,
        "secret_token": CREDENTIALS["secret_token"],
        "type": "1",
        "number": "+919212992129",
        "public_ivr_id": IVR,
        "reference_id": ref(),
        "region": "Delhi",
        "caller_id": "011609822",
        "group": "gr1",
    }
    if kind == "user":
        body["user_id"] = AGENT
    elif kind == "number_2":
        body["number_2"] = "+919999999999"
    else:
        body["type"] = "2"
    return body


def obd(mo_urls, body, headers=HEADERS):
    return requests.post(mo_urls["obd"], json=body, headers=headers, timeout=10)


def wait_logs(mo_urls, references, timeout=5.0):
    deadline = time.monotonic() + timeout
    while True:
        answer = requests.post(
            f"{mo_urls['api']}/search", json={"token": TOKEN, "page_size": "100"}, timeout=10
        ).json()
        hits = {
            hit["_source"]["_cri"]: hit
            for hit in answer["data"]["hits"]
            if hit["_source"]["_cri"] in references
        }
        if len(hits) == len(references) or time.monotonic() > deadline:
            return hits
        time.sleep(0.05)


# --- OBD: the seed's examples --------------------------------------------------------------


@pytest.mark.parametrize("kind", ["user", "number_2", "ivr"])
def test_the_seed_obd_examples_get_the_documented_success_body(mo_urls, kind):
    body = seed_body(kind)
    response = obd(mo_urls, body)
    assert response.status_code == 200
    answer = response.json()
    assert set(answer) == {"details", "status", "code", "unique_id", "reference_id"}
    assert answer["details"] == "Request accepted successfully"
    assert answer["status"] == "success" and answer["code"] == "200"  # a string here
    assert isinstance(answer["unique_id"], str) and answer["unique_id"]
    assert answer["reference_id"] == body["reference_id"]
    call = SandboxCall.objects.get(call_id=answer["unique_id"])
    assert call.tenant == COMPANY and call.params["did"] == "011609822"  # caller_id wins


def test_an_obd_call_without_reference_id_is_accepted_without_echo(mo_urls):
    body = seed_body("ivr")
    del body["reference_id"]
    answer = obd(mo_urls, body).json()
    assert answer["status"] == "success" and "reference_id" not in answer


@pytest.mark.parametrize(
    "changes, status, details",
    [
        ({"secret_token": None}, 400, "Provide valid secret_token in string format"),
        ({"secret_token": "wrong"}, 403, "Invalid company_id or secret_token"),
        ({"company_id": "000"}, 403, "Invalid company_id or secret_token"),
        ({"type": "3"}, 400, "Provide valid type in string format"),
        ({"type": 1}, 400, "Provide valid type in string format"),
        ({"number": "9212992129"}, 400, "Provide valid Number in string format"),
        ({"number": "919212992129"}, 400, "Provide valid Number in string format"),
        ({"number": 919212992129}, 400, "Provide valid Number in string format"),
        (
            {"number_2": "+919999999999"},
            400,
            "Provide only one a Valid user_id or number_2 in string format",
        ),
        ({"user_id": None}, 400, "Provide either a Valid user_id or number_2 in string format"),
        ({"user_id": "nobody"}, 400, "Provide either a Valid user_id or number_2 in string format"),
        (
            {"user_id": None, "number_2": "9999999999"},
            400,
            "Provide valid Agent Number in string format",
        ),
        (
            {"type": "2"},
            403,
            "User_id or number_2(agent_number) not allowed for this type",
        ),
        ({"public_ivr_id": "nope"}, 404, "Provide valid public_ivr_id in string format"),
        (
            {"max_call_duration": "300"},
            400,
            TYPE_ERROR.format("string", "integer"),
        ),
        (
            {"max_call_duration": 5401},
            400,
            "numeric instance is greater than the required maximum (maximum: 5400, found: 5401)",
        ),
        (
            {"call_hold": "true"},
            400,
            TYPE_ERROR.format("string", "boolean"),
        ),
    ],
)
def test_obd_validation_answers_with_the_vendors_messages_and_codes(
    mo_urls, changes, status, details
):
    body = seed_body("user")
    for name, value in changes.items():
        if value is None:
            body.pop(name, None)
        else:
            body[name] = value
    response = obd(mo_urls, body)
    answer = response.json()
    assert response.status_code == status
    assert answer["details"] == details
    assert answer["status"] == "error" and answer["code"] == str(status)
    assert answer["unique_id"] and answer["reference_id"] == body["reference_id"]


def test_max_call_duration_of_5400_passes(mo_urls):
    body = {**seed_body("ivr"), "max_call_duration": 5400, "call_hold": True}
    assert obd(mo_urls, body).json()["status"] == "success"


@pytest.mark.parametrize(
    "headers", [{"Content-Type": "application/json"}, {**HEADERS, "x-api-key": "wrong"}]
)
def test_a_missing_or_wrong_x_api_key_gets_the_gateways_forbidden(mo_urls, headers):
    response = obd(mo_urls, seed_body("ivr"), headers=headers)
    assert response.status_code == 403
    assert response.json() == sandbox.GATEWAY_FORBIDDEN
    assert response.json()["message"] == "Forbidden"


def test_a_body_that_is_not_json_is_a_bad_request(mo_urls):
    response = requests.post(mo_urls["obd"], data="type=1", headers=HEADERS, timeout=10)
    assert response.status_code == 400 and response.json()["code"] == "400"


def test_a_reference_id_is_locked_for_two_days_then_free_again(mo_urls):
    body = seed_body("ivr")
    assert obd(mo_urls, body).status_code == 200
    again = obd(mo_urls, {**body, "number": "+919212992130"})
    assert again.status_code == 403
    details = again.json()["details"]
    assert details.startswith("Kindly choose any other reference ID, it has been already taken.")
    ttl = int(re.search(r"remaining_ttl (\d+) seconds", details).group(1))
    assert 172_790 <= ttl <= 172_800
    lock = SandboxRecord.objects.get(
        vendor="myoperator", kind="reference_id", key=body["reference_id"]
    )
    lock.created_at -= timedelta(days=2, seconds=1)
    lock.save()
    assert obd(mo_urls, body).status_code == 200
    assert SandboxCall.objects.filter(reference_id=body["reference_id"]).count() == 2


def test_reference_ids_are_unique_per_company_not_globally(mo_urls):
    reference = ref()
    SandboxRecord.objects.create(
        vendor="myoperator", kind="reference_id", tenant="another-company", key=reference
    )
    assert obd(mo_urls, {**seed_body("ivr"), "reference_id": reference}).status_code == 200


def test_the_obd_fault_bodies_are_the_vendors(mo_urls):
    error = obd(mo_urls, seed_body("ivr"), headers={**HEADERS, "X-Sandbox-Fault": "error"})
    assert error.status_code == 500
    assert error.json()["status"] == "error" and error.json()["code"] == "500"
    limited = obd(mo_urls, seed_body("ivr"), headers={**HEADERS, "X-Sandbox-Fault": "ratelimit"})
    assert limited.status_code == 429 and limited.json() == {"message": "Too Many Requests"}


# --- REST ----------------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["query", "form", "json"])
def test_the_rest_token_is_accepted_from_query_form_or_json(mo_urls, where):
    url = f"{mo_urls['api']}/search"
    fields = {"token": TOKEN, "page_size": "5"}
    if where == "query":
        response = requests.post(url, params=fields, timeout=10)
    elif where == "form":
        response = requests.post(url, data=fields, timeout=10)
    else:
        response = requests.post(url, json=fields, timeout=10)
    assert response.status_code == 200 and response.json()["status"] == "success"


@pytest.mark.parametrize(
    "method, path",
    [
        ("post", "search"),
        ("get", "filters"),
        ("get", "user"),
        ("post", "user"),
        ("put", "user"),
        ("post", "clickOcall"),
        ("get", "recordings/link"),
    ],
)
@pytest.mark.parametrize("token", [None, "tS5adsXC6V2nH991", TOKEN[:-3]])
def test_a_bad_or_missing_token_gets_http_400_not_authorized(mo_urls, method, path, token):
    params = {"token": token} if token else {}
    response = requests.request(method, f"{mo_urls['api']}/{path}", params=params, timeout=10)
    assert response.status_code == 400 and response.json() == UNAUTHORIZED


@pytest.mark.parametrize(
    "path", ["search/user", "search/filters", "search/recordings/link", "nothing/here"]
)
def test_the_postman_search_prefixed_paths_are_unknown_methods(mo_urls, path):
    response = requests.get(f"{mo_urls['api']}/{path}", params={"token": TOKEN}, timeout=10)
    assert response.status_code == 404 and response.json() == UNKNOWN


def test_the_rest_fault_bodies_are_the_vendors_envelope(mo_urls):
    url = f"{mo_urls['api']}/filters"
    error = requests.get(url, params={"token": TOKEN}, headers={"X-Sandbox-Fault": "error"})
    assert error.status_code == 500
    assert error.json() == {"status": "error", "message": "Internal Server Error", "code": 500}
    limited = requests.get(url, params={"token": TOKEN}, headers={"X-Sandbox-Fault": "ratelimit"})
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "1"
    assert limited.json()["code"] == 429


def test_the_filters_list_has_the_documented_ids(mo_urls):
    answer = requests.get(f"{mo_urls['api']}/filters", params={"token": TOKEN}, timeout=10).json()
    assert answer["status"] == "success" and answer["code"] == 200
    items = {item["id"]: item for item in answer["data"]}
    assert all(set(item) == {"id", "name", "parent_id"} for item in items.values())
    assert (items["5"]["name"], items["5"]["parent_id"]) == ("Incoming", "4")
    assert (items["13"]["name"], items["13"]["parent_id"]) == ("Missed", "11")
    assert (items["8"]["name"], items["8"]["parent_id"]) == ("Call", "7")
    assert items["1"]["parent_id"] == "0" and len(items) == len(FILTERS)


def test_the_docs_filter_example_finds_incoming_missed_calls(mo_urls):
    """Step 4 of the docs: filters = '5 AND 13 AND 8' lists incoming missed calls."""
    answer = requests.post(
        f"{mo_urls['api']}/search", json={"token": TOKEN, "filters": "5 AND 13 AND 8"}, timeout=10
    ).json()
    sources = [hit["_source"] for hit in answer["data"]["hits"]]
    assert answer["data"]["total"] == len(sources)
    assert all(s["event"] == 1 and s["status"] == 2 and s["type"] == 1 for s in sources)
    expected = [
        number
        for _, _, kind, number, _ in sandbox.DEMO_CALLS
        if kind == "incoming" and outcome_for(number).status != "answered"
    ]
    assert sorted(s["caller_number"] for s in sources) == sorted(expected)


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"page_size": "101"}, "page_size should be between 1 and 100"),
        ({"page_size": "ten"}, "Invalid pagination parameters"),
        ({"filters": "5 AND"}, "Invalid filters"),
        ({"filters": "1"}, "Invalid filters"),
        ({"from": "yesterday"}, "Invalid from date"),
    ],
)
def test_bad_search_parameters_get_an_http_200_error_body(mo_urls, fields, message):
    response = requests.post(
        f"{mo_urls['api']}/search", json={"token": TOKEN, **fields}, timeout=10
    )
    assert response.status_code == 200
    assert response.json() == {"status": "error", "message": message, "code": 400}


def test_search_hits_have_the_documented_source_shape(mo_urls, fast_calls):
    answered, missed = ref(), ref()
    obd(mo_urls, {**seed_body("user"), "number": number_with("answered"), "reference_id": answered})
    obd(mo_urls, {**seed_body("number_2"), "number": number_with("busy"), "reference_id": missed})
    hits = wait_logs(mo_urls, {answered, missed})
    assert set(hits) == {answered, missed}
    for hit in hits.values():
        assert set(hit) == {"_index", "_type", "user_id", "_score", "_source"}
        assert hit["_index"] == "latestlogs" and hit["_type"] == "logs"
        source = hit["_source"]
        assert hit["user_id"] == source["allcaller_id"] and HEX32.match(source["allcaller_id"])
        assert source["company_id"] == COMPANY and source["source"] in ("1", "2")
        assert re.fullmatch(r"\d{10}", source["caller_number_raw"])
        assert source["caller_number"] == "+91" + source["caller_number_raw"]
        assert source["country"] == "91" and isinstance(source["state"], str)
        for name in ("synced_time", "start_time", "end_time", "_ms", "seconds", "type", "event"):
            assert type(source[name]) is int, name
        assert source["_ms"] // 1000 == source["start_time"]
        assert HMS.match(source["duration"]) and isinstance(source["_drm"], float)
        assert source["type"] == 1 and source["event"] == 2 and source["_ns"] == "2"
        keys = [item["ky"] for item in source["additional_parameters"]]
        assert keys == [
            "unique_id",
            "is_starred",
            "view_type",
            "is_commented",
            "is_archived",
            "internal_flag",
        ]
        assert isinstance(source["comments"], list)
        assert type(source["_an"]) is int and isinstance(source["_rv"], bool)
        for name in ("_ri", "_ji", "_ivid", "_cri", "department_name", "department_id"):
            assert isinstance(source[name], str), name
        assert source["_ivid"] == IVR and source["_ri"]
        for leg in source["log_details"]:
            assert {
                "_an",
                "_wr",
                "_rst",
                "_ds",
                "_did",
                "received_by",
                "transfered_to",
                "status",
                "start_time",
                "end_time",
                "duration",
                "action",
            } <= set(leg)
            assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", leg["_rst"])
            assert leg["_did"].startswith("+91") and leg["status"] == "1"
            for person in leg["received_by"]:
                assert set(person) == {
                    "user_id",
                    "name",
                    "email",
                    "extension",
                    "contact_number_raw",
                    "contact_number",
                }

    good = hits[answered]["_source"]
    assert good["status"] == 1 and good["filename"].endswith("-v2.mp3")
    assert good["fileurl"] and good["_us"] == [{"ky": AGENT, "vl": "received"}]
    assert good["log_details"][0]["_ds"] == "ANSWER"
    assert good["log_details"][0]["action"] == "received"
    assert good["log_details"][0]["received_by"][0]["user_id"] == AGENT
    assert good["_tc"][0]["ye"] == AGENT and good["_tc"][0]["yf"] > 0

    bad = hits[missed]["_source"]
    assert bad["status"] == 2 and bad["filename"] == "" and bad["fileurl"] == ""
    assert bad["_an"] == 1 and bad["log_details"][0]["_an"] is True
    assert bad["log_details"][0]["_ds"] == "BUSY"
    assert bad["log_details"][0]["action"] == "missed"
    assert bad["log_details"][0]["duration"] == "00:00:00"
    assert bad["log_details"][0]["received_by"][0]["contact_number"] == "+919999999999"


def test_a_log_agrees_with_the_simulated_call(mo_urls, fast_calls):
    reference = ref()
    number = number_with("answered", start=900)
    obd(mo_urls, {**seed_body("ivr"), "number": number, "reference_id": reference})
    source = wait_logs(mo_urls, {reference})[reference]["_source"]
    call = SandboxCall.objects.get(reference_id=reference)
    outcome = outcome_for(number, 0)
    assert call.outcome == outcome.status == "answered"
    total = call.ring_seconds + call.talk_seconds
    assert source["duration"] == f"00:{total // 60:02d}:{total % 60:02d}"
    assert source["end_time"] - source["start_time"] == total
    assert (
        source["log_details"][0]["duration"]
        == f"00:{call.talk_seconds // 60:02d}:{call.talk_seconds % 60:02d}"
    )
    assert source["_ri"] == call.call_id and source["_cri"] == reference
    assert source["log_details"][0]["received_by"] == []  # an IVR call


def test_a_search_to_the_second_a_call_was_placed_includes_that_call(mo_urls, fast_calls):
    reference = ref()
    obd(mo_urls, {**seed_body("ivr"), "reference_id": reference})
    wait_logs(mo_urls, {reference})
    placed = int(SandboxCall.objects.get(reference_id=reference).created_at.timestamp())
    answer = requests.post(
        f"{mo_urls['api']}/search",
        json={"token": TOKEN, "from": str(placed), "to": str(placed), "page_size": "100"},
        timeout=10,
    ).json()
    assert reference in {hit["_source"]["_cri"] for hit in answer["data"]["hits"]}


def test_users_list_add_and_update_have_the_guessed_envelopes(mo_urls):
    url = f"{mo_urls['api']}/user"
    listed = requests.get(url, params={"token": TOKEN, "page": 1, "page-size": 2}, timeout=10)
    answer = listed.json()
    assert answer["status"] == "success" and answer["code"] == 200
    assert len(answer["data"]) == 2 and answer["next_page"] == 2
    for user in answer["data"]:
        for name in ("user_id", "uuid", "name", "email", "contact_number", "extension"):
            assert isinstance(user[name], str)
        assert user["role_id"] in ("1", "2", "4", "8") and user["is_enabled"] == "1"
    last = requests.get(url, params={"token": TOKEN, "page": 2, "page-size": 2}, timeout=10)
    assert last.json()["next_page"] is None

    added = requests.post(
        url,
        data={
            "token": TOKEN,
            "name": "Form Added",
            "contact_number": "9000000601",
            "country_code": "91",
            "extension": "61",
        },
        timeout=10,
    ).json()
    assert added["status"] == "success" and added["data"]["name"] == "Form Added"
    assert added["data"]["extension"] == "61" and added["data"]["uuid"]

    updated = requests.put(
        url, data={"token": TOKEN, "uuid": added["data"]["uuid"], "name": "Form Renamed"}
    ).json()
    assert updated == {"status": "success", "code": 200, "message": "User updated successfully"}
    everyone = requests.get(url, params={"token": TOKEN, "_all": "1"}, timeout=10).json()["data"]
    assert "Form Renamed" in {user["name"] for user in everyone} and len(everyone) == 5


@pytest.mark.parametrize(
    "fields, status, message",
    [
        ({"name": ""}, 400, "name is required"),
        ({"country_code": ""}, 400, "country_code is required"),
        ({"contact_number": "90000-00602"}, 400, "contact_number should be a valid number"),
        ({"extension": "sixty"}, 400, "extension should be a number"),
        ({"panel_access": "3"}, 400, "panel_access should be 1 or 2"),
        (
            {"alternate_contact_number": "9000000603"},
            400,
            "alternate_cc is required with alternate_contact_number",
        ),
        ({"extension": "11"}, 200, "Extension is already assigned to another user"),
        ({"contact_number": "9000000101"}, 200, "Contact number already exists in your company"),
    ],
)
def test_add_user_validates_like_the_vendor(mo_urls, fields, status, message):
    body = {"token": TOKEN, "name": "N", "contact_number": "9000000602", "country_code": "91"}
    response = requests.post(f"{mo_urls['api']}/user", data={**body, **fields}, timeout=10)
    assert response.status_code == status
    assert response.json() == {"status": "error", "message": message, "code": 400}


def test_update_user_needs_a_known_uuid(mo_urls):
    url = f"{mo_urls['api']}/user"
    missing = requests.put(url, data={"token": TOKEN, "name": "X"}, timeout=10)
    assert missing.status_code == 400 and missing.json()["message"] == "uuid is required"
    unknown = requests.put(url, json={"token": TOKEN, "uuid": "nope", "name": "X"}, timeout=10)
    assert unknown.status_code == 200
    assert unknown.json() == {"status": "error", "message": "User not found", "code": 404}


def test_click_to_call_and_recording_link_have_the_guessed_envelopes(mo_urls, fast_calls):
    clicked = requests.post(
        f"{mo_urls['api']}/clickOcall",
        data={
            "token": TOKEN,
            "customer_number": number_with("answered")[3:],
            "customer_cc": "91",
            "support_user_id": AGENT,
        },
        timeout=10,
    ).json()
    assert clicked["status"] == "success" and clicked["code"] == 200
    call = SandboxCall.objects.get(call_id=clicked["data"]["unique_id"])
    assert call.kind == "clickocall" and call.tenant == COMPANY
    deadline = time.monotonic() + 5
    while call.state()["phase"] != "completed" and time.monotonic() < deadline:
        time.sleep(0.05)
    link = requests.get(
        f"{mo_urls['api']}/recordings/link",
        params={"token": TOKEN, "file": call.params["recording"]},
        timeout=10,
    ).json()
    assert link["status"] == "success" and link["data"].startswith("http")
    audio = requests.get(link["data"], timeout=10)
    assert audio.status_code == 200 and audio.headers["Content-Type"] == "audio/mpeg"
    tampered = requests.get(link["data"].replace("sig=", "sig=x"), timeout=10)
    assert tampered.status_code == 403


def test_a_recording_link_without_a_file_is_a_bad_request(mo_urls):
    response = requests.get(f"{mo_urls['api']}/recordings/link", params={"token": TOKEN})
    assert response.status_code == 400 and response.json()["message"] == "file is required"


# --- demo ----------------------------------------------------------------------------------


def test_seed_demo_is_idempotent(mo_urls):
    users = SandboxRecord.objects.filter(vendor="myoperator", kind="user").count()
    calls = SandboxCall.objects.filter(vendor="myoperator").count()
    sandbox.seed_demo()
    assert SandboxRecord.objects.filter(vendor="myoperator", kind="user").count() == users == 4
    assert SandboxCall.objects.filter(vendor="myoperator").count() == calls == 6


def test_the_demo_account_points_at_the_sandbox_and_tests_green(make_account, sandbox_url):
    kwargs = sandbox.demo_account(sandbox_url)
    assert set(kwargs) == {"kind", "name", "base_url", "config", "secrets"}
    assert set(kwargs["config"]) == {
        "company_id",
        "obd_url",
        "rest_base_url",
        "ivrs",  # the catalogue an admin keeps for a real account, pre-filled here
        "caller_ids",
    }
    assert kwargs["config"]["ivrs"] and kwargs["config"]["caller_ids"]
    assert set(kwargs["secrets"]) == {"secret_token", "x_api_key", "rest_token"}
    account = make_account(**kwargs)
    result = account.test_connection()
    assert result.ok, result.message
