# ruff: noqa: F811 (pytest fixtures are imported by name, then requested as arguments)
"""The OCA simulator over raw HTTP: the doc's example requests replayed, its auth and
validation answers, the call lifecycle, fault bodies and the demo account."""

import re
import time
from datetime import timedelta

import pytest
import requests

from telephony.models import ProviderAccount, SandboxCall, SandboxRecord
from telephony.vendors.oca import sandbox
from telephony.vendors.oca.client import OcaClient
from telephony.vendors.sandbox_kit import outcome_for
from tests.telephony.vendors.oca_fixtures import (  # noqa: F401 (fixtures)
    MP3_ID3,
    PASSWORD,
    USERNAME,
    basic,
    fast_calls,
    ivrs,
    make_oca,
    number_with,
    oca_account,
    oca_base,
)

HEX24 = re.compile(r"^[0-9a-f]{24}$")
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
JSON = {"Authorization": basic(), "Content-Type": "application/json"}
AUTH = {"Authorization": basic()}


def assert_error(response, http_status, code, message=None):
    assert response.status_code == http_status
    body = response.json()
    assert set(body) == {"errors"} and len(body["errors"]) == 1
    error = body["errors"][0]
    assert set(error) == {"message", "code"}
    assert int(error["code"]) == code
    if message is not None:
        assert error["message"] == message
    return error


def doc_call_body(ivr_id, audio_url="https://webapigw.ocatelkom.co.id/audio/play/x.mp3"):
    """The doc's make-a-call example, with the sandbox's caller id in place of 02184788xxx."""
    return {
        "from_number": sandbox.SEED_NUMBERS[0],
        "to_number": "0812111223333",
        "ivr_id": ivr_id,
        "variable": {"name": "galih", "audio_1": audio_url},
    }


# --- contract replay: the doc's examples -----------------------------------------------------


def test_the_docs_basic_auth_example_encodes_like_the_doc_says():
    # Base64Function(test@gmail.com:test123) => dGVzdEBnbWFpbC5jb206dGVzdDEyMw==
    assert basic("test@gmail.com", "test123") == "Basic dGVzdEBnbWFpbC5jb206dGVzdDEyMw=="


def test_replayed_ivr_list_is_a_bare_array_of_the_documented_fields(oca_base):
    response = requests.get(f"{oca_base}/ivr-list", headers=JSON, timeout=5)
    assert response.status_code == 200
    body = response.json()
    assert isinstance(body, list) and len(body) == 4
    for ivr in body:
        assert set(ivr) == {"ivr_id", "ivr_name", "required_variable", "created_at", "deleted_at"}
        assert HEX24.match(ivr["ivr_id"]) and isinstance(ivr["ivr_name"], str)
        assert all(isinstance(name, str) for name in ivr["required_variable"])
        assert ISO.match(ivr["created_at"]) and ISO.match(ivr["deleted_at"])
    variables = {ivr["ivr_name"]: ivr["required_variable"] for ivr in body}
    assert variables["Testing Call Recording"] == []
    assert variables["IVR Resti"] == ["name", "nomor_inet"]
    assert variables["Pengingat Tagihan"] == ["name", "amount", "audio_1"]


def test_replayed_upload_audio_returns_the_documented_bare_object(oca_base):
    response = requests.post(
        f"{oca_base}/upload-audio",
        headers=AUTH,
        files={"audio": ("suara.mp3", MP3_ID3, "audio/mpeg")},
        timeout=5,
    )
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"id", "filename", "name", "url"}
    assert HEX24.match(body["id"]) and body["name"] == "suara.mp3"
    assert body["url"] == f"https://webapigw.ocatelkom.co.id/audio/play/{body['filename']}"


def test_replayed_delete_audio_answers_success(oca_base):
    uploaded = requests.post(
        f"{oca_base}/upload-audio",
        headers=AUTH,
        files={"audio": ("suara.mp3", MP3_ID3, "audio/mpeg")},
        timeout=5,
    ).json()
    response = requests.delete(f"{oca_base}/delete-audio/{uploaded['id']}", headers=AUTH, timeout=5)
    assert response.status_code == 200 and response.json() == {"success": True}
    again = requests.delete(f"{oca_base}/delete-audio/{uploaded['id']}", headers=AUTH, timeout=5)
    assert_error(again, 404, 33, "Setting Is Not Exist")


@pytest.mark.parametrize("path", ["audio-list", "list-audio"])
def test_both_guessed_list_audio_paths_answer_a_bare_array(oca_base, path):
    requests.post(
        f"{oca_base}/upload-audio",
        headers=AUTH,
        files={"audio": ("a.mp3", MP3_ID3, "audio/mpeg")},
        timeout=5,
    )
    body = requests.get(f"{oca_base}/{path}", headers=AUTH, timeout=5).json()
    assert isinstance(body, list) and [set(item) for item in body] == [
        {"id", "filename", "name", "url"}
    ]


def test_the_numbers_collection_answers_both_guessed_shapes(oca_base):
    as_object = requests.get(f"{oca_base}/number", headers=AUTH, timeout=5).json()
    as_array = requests.get(f"{oca_base}/numbers", headers=AUTH, timeout=5).json()
    assert as_object == {"from_number": sandbox.SEED_NUMBERS}
    assert as_array == sandbox.SEED_NUMBERS


def test_replayed_make_a_call_answers_success_and_a_call_id(oca_base, ivrs):
    response = requests.post(
        f"{oca_base}/call", headers=JSON, json=doc_call_body(ivrs["Play External Audio"]), timeout=5
    )
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"success", "call_id"}
    assert body["success"] is True and HEX24.match(body["call_id"])


def test_replayed_call_status_has_the_documented_fields_and_types(oca_base, ivrs, fast_calls):
    number = number_with("answered")
    body = {**doc_call_body(ivrs["IVR Resti"]), "to_number": number}
    body["variable"] = {"name": "galih", "nomor_inet": "122101234567"}
    call_id = requests.post(f"{oca_base}/call", headers=JSON, json=body, timeout=5).json()[
        "call_id"
    ]
    time.sleep(0.4)  # 180 simulated seconds at time_scale 1000
    status = requests.get(f"{oca_base}/call-status/{call_id}", headers=AUTH, timeout=5).json()
    assert set(status) == {
        "from_number",
        "to_number",
        "ivr_id",
        "call_id",
        "application_id",
        "call_start",
        "call_answer",
        "call_end",
        "duration",
        "talk_duration",
        "tta",
        "hangup_cause",
        "status",
        "created_at",
        "updated_at",
        "result",
    }
    assert (status["from_number"], status["to_number"]) == (body["from_number"], number)
    assert status["ivr_id"] == ivrs["IVR Resti"] and status["call_id"] == call_id
    assert HEX24.match(status["application_id"])
    for key in ("call_start", "call_answer", "call_end", "created_at", "updated_at"):
        assert ISO.match(status[key]), key
    for key in ("duration", "talk_duration", "tta"):
        assert isinstance(status[key], int), key
    # As in the doc's sample: duration = time to answer + talk time.
    assert status["duration"] == status["tta"] + status["talk_duration"]
    assert (status["status"], status["hangup_cause"]) == ("answered", "NORMAL_CLEARING")
    multiple, collect = status["result"]
    assert multiple["type"] == "multiple_choice"
    assert sorted(choice["key"] for choice in multiple["answer"]) == ["1", "2"]
    assert sum(choice["total"] for choice in multiple["answer"]) == 1
    assert collect["type"] == "collect_number" and re.fullmatch(r"\d{12}", collect["answer"][0])


def test_an_error_uses_the_errors_envelope_of_the_sibling_apis(oca_base):
    response = requests.get(
        f"{oca_base}/ivr-list", headers={"Authorization": basic(USERNAME, "wrong")}, timeout=5
    )
    assert response.json() == {
        "errors": [{"message": "Invalid Authentication Credentials", "code": 17}]
    }
    assert response.status_code == 401


# --- auth ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    [None, "Bearer abc", "Basic", "Basic !!!not-base64!!!"],
    ids=["none", "bearer", "empty", "garbage"],
)
def test_a_missing_or_broken_authorization_header_is_code_19_with_406(oca_base, header):
    headers = {"Authorization": header} if header else {}
    response = requests.get(f"{oca_base}/ivr-list", headers=headers, timeout=5)
    assert_error(response, 406, 19, "Missing Authorization Header")


@pytest.mark.parametrize(
    ("username", "password"),
    [(USERNAME, "wrong"), ("nobody@x.test", PASSWORD), (USERNAME, "")],
)
def test_wrong_credentials_are_code_17_with_401(oca_base, username, password):
    response = requests.get(
        f"{oca_base}/number", headers={"Authorization": basic(username, password)}, timeout=5
    )
    assert_error(response, 401, 17, "Invalid Authentication Credentials")


def test_unknown_routes_and_methods_get_an_express_like_404(oca_base):
    assert requests.get(f"{oca_base}/call", headers=AUTH, timeout=5).status_code == 404
    response = requests.post(f"{oca_base}/ivr-list", headers=AUTH, timeout=5)
    assert response.status_code == 404 and "Cannot POST" in response.text
    assert requests.get(f"{oca_base}/no-such-thing", headers=AUTH, timeout=5).status_code == 404


# --- validation ------------------------------------------------------------------------------


def test_an_empty_call_body_lists_every_missing_field_like_express_validator(oca_base):
    error = assert_error(requests.post(f"{oca_base}/call", headers=JSON, timeout=5), 406, 39)
    assert error["message"] == [
        {"msg": "from_number is required", "param": "from_number", "location": "body"},
        {"msg": "to_number is required", "param": "to_number", "location": "body"},
        {"msg": "ivr_id is required", "param": "ivr_id", "location": "body"},
    ]


def test_bad_call_fields_are_reported_with_their_values(oca_base, ivrs):
    body = {
        "from_number": "02100000000",
        "to_number": "+14155550123",
        "ivr_id": ivrs["IVR Resti"],
        "variable": "name=galih",
    }
    error = assert_error(
        requests.post(f"{oca_base}/call", headers=JSON, json=body, timeout=5), 406, 39
    )
    assert [(item["param"], item["msg"], item["value"]) for item in error["message"]] == [
        (
            "from_number",
            "from_number is not registered in your numbers collection",
            "02100000000",
        ),
        ("to_number", "Invalid phone number", "+14155550123"),
        ("variable", "variable must be an object", "name=galih"),
    ]


@pytest.mark.parametrize("number", ["+6281211122333", "0812-1112-2333", "62 812 1112 2333"])
def test_to_number_is_digits_only_as_the_document_gives_it(oca_base, ivrs, number):
    body = {**doc_call_body(ivrs["Play External Audio"]), "to_number": number}
    error = assert_error(
        requests.post(f"{oca_base}/call", headers=JSON, json=body, timeout=5), 406, 39
    )
    assert error["message"] == [
        {"msg": "Invalid phone number", "param": "to_number", "value": number, "location": "body"}
    ]


@pytest.mark.parametrize("number", ["6281211122333", "081211122333"])
def test_to_number_in_62_or_08_digits_is_accepted(oca_base, ivrs, number):
    body = {**doc_call_body(ivrs["Play External Audio"]), "to_number": number}
    response = requests.post(f"{oca_base}/call", headers=JSON, json=body, timeout=5)
    assert response.status_code == 200 and response.json()["success"] is True


def test_missing_required_variables_are_reported_one_by_one(oca_base, ivrs):
    body = {**doc_call_body(ivrs["Pengingat Tagihan"]), "variable": {"name": "galih"}}
    error = assert_error(
        requests.post(f"{oca_base}/call", headers=JSON, json=body, timeout=5), 406, 39
    )
    assert [item["param"] for item in error["message"]] == ["variable.amount", "variable.audio_1"]
    assert not SandboxCall.objects.exists()


def test_a_body_that_is_not_json_is_a_validation_error(oca_base):
    response = requests.post(f"{oca_base}/call", headers=JSON, data="{from_number:", timeout=5)
    assert_error(response, 406, 39)


def test_an_unknown_ivr_is_code_33(oca_base):
    body = doc_call_body("0" * 24)
    response = requests.post(f"{oca_base}/call", headers=JSON, json=body, timeout=5)
    assert_error(response, 404, 33, "Setting Is Not Exist")


@pytest.mark.parametrize(
    ("filename", "content"),
    [("suara.wav", MP3_ID3), ("suara.mp3", b"RIFF\x24\x00\x00\x00WAVE")],
    ids=["extension", "content"],
)
def test_an_upload_that_is_not_mp3_is_refused(oca_base, filename, content):
    response = requests.post(
        f"{oca_base}/upload-audio",
        headers=AUTH,
        files={"audio": (filename, content, "audio/mpeg")},
        timeout=5,
    )
    error = assert_error(response, 406, 39)
    assert error["message"] == [
        {"value": filename, "msg": "accepted file is mp3", "param": "audio", "location": "body"}
    ]
    assert not SandboxRecord.objects.filter(kind="audio").exists()


def test_an_upload_without_the_audio_field_is_refused(oca_base):
    response = requests.post(
        f"{oca_base}/upload-audio",
        headers=AUTH,
        files={"file": ("a.mp3", MP3_ID3, "audio/mpeg")},
        timeout=5,
    )
    assert assert_error(response, 406, 39)["message"][0]["param"] == "audio"


# --- account state ---------------------------------------------------------------------------


def test_a_tenant_with_too_many_live_calls_gets_code_57(oca_base, ivrs):
    sandbox.update_tenant(USERNAME, max_concurrent_calls=2)
    body = doc_call_body(ivrs["Play External Audio"])
    codes = [
        requests.post(f"{oca_base}/call", headers=JSON, json=body, timeout=5).status_code
        for _ in range(3)
    ]
    assert codes == [200, 200, 401]
    response = requests.post(f"{oca_base}/call", headers=JSON, json=body, timeout=5)
    assert_error(response, 401, 57, "Reached Maximum Concurrent Call Limit")
    assert SandboxCall.objects.count() == 2


def test_quota_counts_down_with_each_call(oca_base, ivrs):
    sandbox.update_tenant(USERNAME, quota=2)
    body = doc_call_body(ivrs["Play External Audio"])
    requests.post(f"{oca_base}/call", headers=JSON, json=body, timeout=5)
    setting = sandbox.ensure_tenant(USERNAME)
    assert setting.data["quota"] == 1


@pytest.mark.parametrize(
    ("status", "http_status", "code"), [("expired", 401, 51), ("missing", 404, 41)]
)
def test_an_expired_or_missing_user_is_refused_everywhere(oca_base, status, http_status, code):
    sandbox.update_tenant(USERNAME, status=status)
    for path in ("ivr-list", "number", "audio-list", "call-status/abc"):
        assert_error(requests.get(f"{oca_base}/{path}", headers=AUTH, timeout=5), http_status, code)


def test_tenants_are_seeded_once_and_kept_apart(oca_base, ivrs):
    partner = {"Authorization": basic(**sandbox.SANDBOX_PARTNER_CREDENTIALS)}
    mine = requests.get(f"{oca_base}/ivr-list", headers=AUTH, timeout=5).json()
    theirs = requests.get(f"{oca_base}/ivr-list", headers=partner, timeout=5).json()
    assert {ivr["ivr_name"] for ivr in mine} == {ivr["ivr_name"] for ivr in theirs}
    assert not {ivr["ivr_id"] for ivr in mine} & {ivr["ivr_id"] for ivr in theirs}
    requests.get(f"{oca_base}/ivr-list", headers=AUTH, timeout=5)
    assert SandboxRecord.objects.filter(vendor="oca", kind="ivr").count() == 8
    # A partner cannot place a call on my IVR.
    response = requests.post(
        f"{oca_base}/call",
        headers={**partner, "Content-Type": "application/json"},
        json=doc_call_body(ivrs["Play External Audio"]),
        timeout=5,
    )
    assert_error(response, 404, 33)


# --- lifecycle -------------------------------------------------------------------------------


def _place(oca_base, ivr_id, to_number):
    body = {**doc_call_body(ivr_id), "to_number": to_number}
    return requests.post(f"{oca_base}/call", headers=JSON, json=body, timeout=5).json()["call_id"]


def test_a_call_goes_submitted_then_answered_then_ends_with_normal_clearing(oca_base, ivrs):
    call_id = _place(oca_base, ivrs["Play External Audio"], number_with("answered"))
    call = SandboxCall.objects.get(call_id=call_id)
    start = call.created_at
    seen = []
    for offset in (0, 3, 2 + call.ring_seconds + 1, 2 + call.ring_seconds + call.talk_seconds + 1):
        body = sandbox.status_body(call, start + timedelta(seconds=offset))
        seen.append((body["status"], body["hangup_cause"], body["call_answer"] is not None))
    assert seen == [
        ("submitted", None, False),
        ("submitted", None, False),
        ("answered", None, True),
        ("answered", "NORMAL_CLEARING", True),
    ]
    final = sandbox.status_body(call, start + timedelta(hours=1))
    assert final["talk_duration"] == call.talk_seconds and final["tta"] == call.ring_seconds
    assert final["result"][0]["type"] == "multiple_choice"


@pytest.mark.parametrize(
    ("outcome", "causes"),
    [
        (outcome, causes)
        for outcome, causes in sandbox.HANGUP_CAUSES.items()
        if outcome != "answered"
    ],
)
def test_an_unanswered_call_fails_with_a_hangup_cause_of_its_outcome(
    oca_base, ivrs, outcome, causes
):
    call_id = _place(oca_base, ivrs["Play External Audio"], number_with(outcome))
    call = SandboxCall.objects.get(call_id=call_id)
    final = sandbox.status_body(call, call.created_at + timedelta(hours=1))
    assert final["status"] == "failed" and final["hangup_cause"] in causes
    assert final["call_answer"] is None and final["talk_duration"] == final["tta"] == 0
    assert final["result"] == []


def test_time_scale_makes_a_call_finish_fast_over_http(oca_base, ivrs, fast_calls):
    call_id = _place(oca_base, ivrs["Play External Audio"], number_with("busy"))
    time.sleep(0.1)
    body = requests.get(f"{oca_base}/call-status/{call_id}", headers=AUTH, timeout=5).json()
    assert body["status"] == "failed" and body["hangup_cause"] in ("USER_BUSY", "CALL_REJECTED")


def test_the_seed_changes_outcomes_deterministically(oca_base, ivrs, sandbox_config):
    numbers = [f"0812{n:08d}" for n in range(40)]
    sandbox_config("oca", seed=7)
    for number in numbers[:5]:
        call = SandboxCall.objects.get(
            call_id=_place(oca_base, ivrs["Play External Audio"], number)
        )
        assert call.seed == 7
        assert call.outcome == outcome_for("62" + number[1:], 7).status
    assert [outcome_for("62" + n[1:], 7).status for n in numbers] != [
        outcome_for("62" + n[1:], 0).status for n in numbers
    ]


# --- faults ----------------------------------------------------------------------------------


def test_injected_faults_answer_in_ocas_own_shapes(oca_base):
    def get(kind):
        headers = {**AUTH, "X-Sandbox-Fault": kind}
        return requests.get(f"{oca_base}/ivr-list", headers=headers, timeout=5)

    assert_error(get("error"), 500, 13, "Internal Error")
    limited = get("ratelimit")
    assert_error(limited, 429, 9, "Too Many Request")
    assert limited.headers["Retry-After"] == "1"
    assert limited.headers["X-RateLimit-limit"] == "25"
    malformed = get("malformed")
    assert malformed.status_code == 200
    with pytest.raises(ValueError):
        malformed.json()


# --- demo ------------------------------------------------------------------------------------


def test_the_demo_account_points_at_the_sandbox_and_tests_green(sandbox_url, transactional_db):
    kwargs = sandbox.demo_account(sandbox_url)
    assert kwargs["kind"] == "oca" and kwargs["base_url"] == f"{sandbox_url}/oca/api/v1"
    secrets = kwargs.pop("secrets")
    account = ProviderAccount(**kwargs)
    account.set_secrets(secrets)
    account.save()
    assert account.test_connection().ok
    assert isinstance(account.client(), OcaClient)


def test_seed_demo_is_idempotent_and_gives_the_demo_an_audio_file(transactional_db):
    sandbox.seed_demo()
    sandbox.seed_demo()
    tenant = sandbox.SANDBOX_CREDENTIALS["username"]
    records = SandboxRecord.objects.filter(vendor="oca", tenant=tenant)
    assert records.filter(kind="ivr").count() == len(sandbox.SEED_IVRS)
    assert records.filter(kind="number").count() == len(sandbox.SEED_NUMBERS)
    assert records.filter(kind="audio").count() == 1
    assert records.filter(kind="account").count() == 1
