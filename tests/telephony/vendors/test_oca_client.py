# ruff: noqa: F811 (pytest fixtures are imported by name, then requested as arguments)
"""The OCA client against its sandbox over real HTTP: every method, success and errors."""

import re

import pytest

from telephony.models import CallRecord, SandboxCall, SandboxRecord
from telephony.vendors.base import (
    AccountBlocked,
    AuthFailed,
    CallStatus,
    Fault,
    InvalidRequest,
    MalformedResponse,
    PlacedCall,
    RateLimited,
    Rejected,
)
from telephony.vendors.oca import sandbox
from telephony.vendors.oca.client import AudioFile, Ivr, OcaClient
from telephony.vendors.registry import client_for
from telephony.vendors.sandbox_kit import outcome_for
from tests.telephony.vendors.oca_fixtures import (  # noqa: F401 (fixtures)
    MP3_FRAME,
    MP3_ID3,
    PASSWORD,
    USERNAME,
    fast_calls,
    ivrs,
    make_oca,
    number_with,
    oca,
    oca_account,
    oca_base,
    wait_final,
)

HEX24 = re.compile(r"^[0-9a-f]{24}$")
FROM = sandbox.SEED_NUMBERS[0]


def endpoints(rows):
    return [(row.method, row.endpoint) for row in rows]


# --- connection ----------------------------------------------------------------------------


def test_the_registry_builds_an_oca_client_for_an_oca_account(oca_account):
    assert isinstance(client_for(oca_account), OcaClient)


def test_check_connection_reads_the_ivr_list_and_is_green(oca, oca_account, audit_rows):
    check = oca.check_connection()
    assert check.ok
    assert USERNAME in check.message and "4 IVR(s)" in check.message
    assert endpoints(audit_rows(oca_account)) == [("GET", "/ivr-list")]


def test_test_connection_on_the_account_remembers_the_green_answer(oca_account):
    result = oca_account.test_connection()
    oca_account.refresh_from_db()
    assert result.ok and oca_account.last_test_ok is True


def test_a_wrong_password_fails_the_check_in_ocas_words(
    make_account, oca_base, audit_rows, make_oca
):
    account = make_account(
        "oca", base_url=oca_base, config={"username": USERNAME}, secrets={"password": "nope-nope"}
    )
    check = make_oca(account).check_connection()
    assert not check.ok
    assert check.message == "Invalid Authentication Credentials"
    assert check.detail == {"kind": "AuthFailed", "code": 17}
    rows = audit_rows(account)
    assert len(rows) == 1 and rows[0].status_code == 401 and rows[0].error_kind == "AuthFailed"


def test_bad_auth_raises_auth_failed_with_the_vendor_code(make_account, oca_base, make_oca):
    account = make_account(
        "oca", base_url=oca_base, config={"username": "who@x.test"}, secrets={"password": "abcd"}
    )
    with pytest.raises(AuthFailed) as caught:
        make_oca(account).list_ivrs()
    assert caught.value.vendor_code == 17 and caught.value.status_code == 401


def test_an_expired_account_fails_the_check_with_code_51(oca):
    sandbox.update_tenant(USERNAME, status="expired")
    check = oca.check_connection()
    assert not check.ok and check.message == "Account Expired"
    with pytest.raises(AccountBlocked) as caught:
        oca.list_numbers()
    assert caught.value.vendor_code == 51 and caught.value.status_code == 401
    assert caught.value.fault == Fault.ACCOUNT


def test_a_login_without_user_settings_is_rejected_with_code_41(oca):
    sandbox.update_tenant(USERNAME, status="missing")
    with pytest.raises(Rejected) as caught:
        oca.list_ivrs()
    assert caught.value.message == "User Is Not Exist"
    assert caught.value.vendor_code == 41 and caught.value.status_code == 404


# --- IVRs and numbers ----------------------------------------------------------------------


def test_list_ivrs_returns_each_ivr_with_its_required_variables(oca, ivrs):
    listed = {ivr.ivr_name: ivr for ivr in oca.list_ivrs()}
    assert set(listed) == set(ivrs)
    resti = listed["IVR Resti"]
    assert isinstance(resti, Ivr)
    assert HEX24.match(resti.ivr_id) and resti.ivr_id == ivrs["IVR Resti"]
    assert resti.required_variable == ["name", "nomor_inet"]
    assert listed["Pengingat Tagihan"].required_variable == ["name", "amount", "audio_1"]
    assert resti.created_at is not None and resti.created_at.tzinfo is not None


def test_the_ivr_list_is_cached_per_client_until_refreshed(oca, oca_account, audit_rows):
    oca.list_ivrs()
    oca.list_ivrs()
    assert len(audit_rows(oca_account)) == 1
    oca.list_ivrs(refresh=True)
    assert len(audit_rows(oca_account)) == 2


def test_list_numbers_reads_the_from_number_object_at_number(oca, oca_account, audit_rows):
    assert oca.list_numbers() == sandbox.SEED_NUMBERS
    assert endpoints(audit_rows(oca_account)) == [("GET", "numbers")]
    assert audit_rows(oca_account)[0].url.endswith("/api/v1/number")


def test_list_numbers_accepts_the_bare_array_at_numbers(
    make_account, oca_base, audit_rows, make_oca
):
    account = make_account(
        "oca",
        base_url=oca_base,
        config={"username": USERNAME, "numbers_path": "/numbers"},
        secrets={"password": PASSWORD},
    )
    assert make_oca(account).list_numbers() == sandbox.SEED_NUMBERS
    assert audit_rows(account)[0].url.endswith("/api/v1/numbers")


def test_a_guessed_path_that_does_not_exist_falls_through_to_the_next(oca, oca_account, audit_rows):
    oca.numbers_paths = ("/phone-numbers", "/numbers")
    assert oca.list_numbers() == sandbox.SEED_NUMBERS
    rows = audit_rows(oca_account)
    assert [row.status_code for row in rows] == [404, 200]
    assert rows[0].error_kind == "RouteNotFound"
    # The path that worked is remembered.
    assert oca.numbers_paths == ("/numbers",)
    oca.list_numbers()
    assert len(audit_rows(oca_account)) == 3


def test_when_no_guessed_path_exists_the_404_is_raised(oca, oca_account, audit_rows):
    oca.audio_list_paths = ("/audios", "/audio")
    with pytest.raises(Rejected) as caught:
        oca.list_audio()
    assert caught.value.status_code == 404
    assert len(audit_rows(oca_account)) == 2


# --- audio ---------------------------------------------------------------------------------


@pytest.mark.parametrize("content", [MP3_ID3, MP3_FRAME], ids=["id3", "frame-sync"])
def test_upload_audio_stores_an_mp3_and_returns_its_url(oca, oca_account, audit_rows, content):
    audio = oca.upload_audio(filename="tagihan juli.mp3", content=content)
    assert isinstance(audio, AudioFile)
    assert HEX24.match(audio.id)
    assert audio.name == "tagihan juli.mp3"
    assert re.match(r"^[0-9a-f-]{36}\.mp3$", audio.filename)
    assert audio.url.endswith("/audio/play/" + audio.filename)
    record = SandboxRecord.objects.get(vendor="oca", kind="audio", key=audio.id)
    assert record.tenant == USERNAME and record.data["size"] == len(content)
    (row,) = audit_rows(oca_account)
    assert (row.method, row.endpoint, row.status_code) == ("POST", "/upload-audio", 200)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"filename": "greeting.wav"}, "filename"),
        ({"filename": "mp3"}, "filename"),
        ({"content_type": "audio/wav"}, "content_type"),
        ({"content": b"RIFF\x24\x00\x00\x00WAVEfmt "}, "content"),
        ({"content": b""}, "content"),
    ],
    ids=["extension", "bare-extension", "content-type", "magic-bytes", "empty"],
)
def test_upload_audio_refuses_anything_but_mp3_before_sending(
    oca, oca_account, audit_rows, kwargs, field
):
    arguments = {"filename": "greeting.mp3", "content": MP3_ID3, "content_type": "audio/mpeg"}
    arguments.update(kwargs)
    with pytest.raises(InvalidRequest) as caught:
        oca.upload_audio(**arguments)
    assert field in caught.value.errors
    assert audit_rows(oca_account) == []


def test_list_audio_returns_the_uploads_of_this_login_only(oca, make_account, oca_base, make_oca):
    first = oca.upload_audio(filename="a.mp3", content=MP3_ID3)
    second = oca.upload_audio(filename="b.mp3", content=MP3_FRAME)
    partner = make_account(
        "oca",
        base_url=oca_base,
        config={"username": sandbox.SANDBOX_PARTNER_CREDENTIALS["username"]},
        secrets={"password": sandbox.SANDBOX_PARTNER_CREDENTIALS["password"]},
    )
    make_oca(partner).upload_audio(filename="partner.mp3", content=MP3_ID3)
    listed = oca.list_audio()
    assert [audio.id for audio in listed] == [first.id, second.id]
    assert listed[0].url == first.url


def test_list_audio_works_on_either_guessed_path(make_account, oca_base, audit_rows, make_oca):
    for path in ("/audio-list", "/list-audio"):
        account = make_account(
            "oca",
            base_url=oca_base,
            config={"username": USERNAME, "audio_list_path": path},
            secrets={"password": PASSWORD},
        )
        assert make_oca(account).list_audio() == []
        assert audit_rows(account)[0].url.endswith(path)


def test_delete_audio_removes_the_file(oca):
    audio = oca.upload_audio(filename="a.mp3", content=MP3_ID3)
    assert oca.delete_audio(audio_id=audio.id) == {"success": True}
    assert oca.list_audio() == []


def test_deleting_an_unknown_audio_is_rejected_with_code_33(oca, oca_account, audit_rows):
    with pytest.raises(Rejected) as caught:
        oca.delete_audio(audio_id="5f1c03d61fae4001267affff")
    assert caught.value.message == "Setting Is Not Exist"
    assert caught.value.vendor_code == 33 and caught.value.status_code == 404
    assert len(audit_rows(oca_account)) == 1  # a 404 is not retried


def test_delete_audio_needs_an_id(oca):
    with pytest.raises(InvalidRequest):
        oca.delete_audio(audio_id=" ")


# --- make a call ---------------------------------------------------------------------------


def test_make_call_submits_an_ivr_call_with_its_variables(oca, oca_account, audit_rows, ivrs):
    placed = oca.make_call(
        from_number=FROM,
        to_number="0812-1112-2333",
        ivr_id=ivrs["IVR Resti"],
        variables={"name": "Galih", "nomor_inet": 122101234567},
    )
    assert isinstance(placed, PlacedCall)
    assert HEX24.match(placed.vendor_call_id)
    assert placed.raw == {"success": True, "call_id": placed.vendor_call_id}
    call = SandboxCall.objects.get(vendor="oca", call_id=placed.vendor_call_id)
    # Sent in the document's form: 62 and the national digits, no `+`, no formatting.
    assert call.to_number == "6281211122333"
    assert call.params["variable"] == {"name": "Galih", "nomor_inet": "122101234567"}
    # The IVR list is fetched once to check the variables, then the call is posted.
    assert endpoints(audit_rows(oca_account)) == [("GET", "/ivr-list"), ("POST", "/call")]
    second = oca.make_call(
        from_number=FROM,
        to_number="+6281211122334",
        ivr_id=ivrs["IVR Resti"],
        variables={"name": "Sari", "nomor_inet": "1"},
    )
    assert endpoints(audit_rows(oca_account))[2:] == [("POST", "/call")]
    sent = SandboxCall.objects.get(vendor="oca", call_id=second.vendor_call_id)
    assert sent.to_number == "6281211122334"


def test_an_e164_number_goes_out_as_62_digits_and_comes_back_as_e164(
    oca, oca_account, audit_rows, ivrs, fast_calls
):
    placed = oca.make_call(
        from_number=FROM,
        to_number="+6281211122335",
        ivr_id=ivrs["IVR Resti"],
        variables={"name": "Sari", "nomor_inet": "1"},
    )
    posted = audit_rows(oca_account)[-1]
    assert '"to_number": "6281211122335"' in posted.request_excerpt
    assert "+62" not in posted.request_excerpt
    assert oca.call_status(call_id=placed.vendor_call_id).customer_number == "+6281211122335"


def test_make_call_names_the_missing_required_variables(oca, oca_account, audit_rows, ivrs):
    with pytest.raises(InvalidRequest) as caught:
        oca.make_call(
            from_number=FROM,
            to_number="081211122333",
            ivr_id=ivrs["Pengingat Tagihan"],
            variables={"name": "Galih", "amount": " "},
        )
    message = caught.value.errors["variable"]
    assert "amount" in message and "audio_1" in message and "name," not in message
    # Only the IVR list was read: the call itself was never sent.
    assert endpoints(audit_rows(oca_account)) == [("GET", "/ivr-list")]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"from_number": ""}, "from_number"),
        ({"to_number": ""}, "to_number"),
        ({"to_number": "+14155550123"}, "to_number"),
        ({"to_number": "0812"}, "to_number"),
        ({"to_number": "0812abc45678"}, "to_number"),
        ({"ivr_id": ""}, "ivr_id"),
        ({"variables": {"name": ["x"]}}, "variable.name"),
    ],
    ids=["no-from", "no-to", "not-indonesian", "too-short", "letters", "no-ivr", "bad-variable"],
)
def test_make_call_validates_before_sending_anything(oca, oca_account, audit_rows, kwargs, field):
    arguments = {"from_number": FROM, "to_number": "081211122333", "ivr_id": "x" * 24}
    arguments.update(kwargs)
    with pytest.raises(InvalidRequest) as caught:
        oca.make_call(**arguments)
    assert field in caught.value.errors
    assert audit_rows(oca_account) == []


def test_make_call_checks_from_number_against_the_fetched_collection(oca, ivrs):
    oca.list_numbers()
    with pytest.raises(InvalidRequest) as caught:
        oca.make_call(
            from_number="02199999999",
            to_number="081211122333",
            ivr_id=ivrs["Testing Call Recording"],
        )
    assert "02184788101" in caught.value.errors["from_number"]
    # Another spelling of an owned number is sent as the collection spells it.
    placed = oca.make_call(
        from_number="+622184788101", to_number="081211122333", ivr_id=ivrs["Testing Call Recording"]
    )
    call = SandboxCall.objects.get(call_id=placed.vendor_call_id)
    assert call.from_number == "02184788101"


def test_an_unknown_ivr_is_refused_after_refreshing_the_list_once(oca, oca_account, audit_rows):
    with pytest.raises(InvalidRequest) as caught:
        oca.make_call(from_number=FROM, to_number="081211122333", ivr_id="f" * 24)
    assert "f" * 24 in caught.value.errors["ivr_id"]
    assert endpoints(audit_rows(oca_account)) == [("GET", "/ivr-list"), ("GET", "/ivr-list")]


def test_an_unregistered_caller_id_is_rejected_by_oca_in_its_words(
    oca, oca_account, audit_rows, ivrs
):
    # The client has not fetched the numbers, so only OCA can tell.
    with pytest.raises(Rejected) as caught:
        oca.make_call(
            from_number="02199999999",
            to_number="081211122333",
            ivr_id=ivrs["Testing Call Recording"],
        )
    error = caught.value
    assert error.message == "from_number: from_number is not registered in your numbers collection"
    assert error.vendor_code == 39 and error.status_code == 406
    assert audit_rows(oca_account)[-1].error == error.message


def test_a_variable_oca_now_requires_is_reported_by_oca(oca, ivrs):
    oca.list_ivrs()  # cached before the IVR changes on the dashboard
    SandboxRecord.objects.filter(vendor="oca", kind="ivr", key=ivrs["IVR Resti"]).update(
        data={"ivr_name": "IVR Resti", "required_variable": ["name", "nomor_inet", "paket"]}
    )
    with pytest.raises(Rejected) as caught:
        oca.make_call(
            from_number=FROM,
            to_number="081211122333",
            ivr_id=ivrs["IVR Resti"],
            variables={"name": "Galih", "nomor_inet": "1221"},
        )
    assert caught.value.message == "variable.paket: variable paket is required"


def test_the_concurrent_call_limit_is_rate_limited_and_never_retried(
    oca, oca_account, audit_rows, ivrs
):
    sandbox.update_tenant(USERNAME, max_concurrent_calls=1)
    kwargs = {"from_number": FROM, "ivr_id": ivrs["Testing Call Recording"]}
    oca.make_call(to_number="081211122333", **kwargs)
    with pytest.raises(RateLimited) as caught:
        oca.make_call(to_number="081211122334", **kwargs)
    assert caught.value.message == "Reached Maximum Concurrent Call Limit"
    assert caught.value.vendor_code == 57 and caught.value.status_code == 401
    calls = [row for row in audit_rows(oca_account) if row.endpoint == "/call"]
    assert [row.status_code for row in calls] == [200, 401]


def test_the_concurrent_limit_frees_up_when_calls_end(oca, ivrs, fast_calls):
    sandbox.update_tenant(USERNAME, max_concurrent_calls=1)
    kwargs = {"from_number": FROM, "ivr_id": ivrs["Testing Call Recording"]}
    first = oca.make_call(to_number=number_with("failed"), **kwargs)
    wait_final(oca, first.vendor_call_id)
    assert oca.make_call(to_number="081211122334", **kwargs).vendor_call_id


def test_an_exhausted_quota_is_rejected_with_code_55(oca, ivrs):
    sandbox.update_tenant(USERNAME, quota=1)
    kwargs = {"from_number": FROM, "ivr_id": ivrs["Testing Call Recording"]}
    oca.make_call(to_number="081211122333", **kwargs)
    with pytest.raises(Rejected) as caught:
        oca.make_call(to_number="081211122334", **kwargs)
    assert caught.value.message == "Your Quota Is not Enough"
    assert caught.value.vendor_code == 55 and caught.value.status_code == 401


# --- call status ---------------------------------------------------------------------------


def test_a_fresh_call_is_in_progress_and_submitted(oca, ivrs):
    placed = oca.make_call(
        from_number=FROM, to_number="081211122333", ivr_id=ivrs["Testing Call Recording"]
    )
    cdr = oca.call_status(call_id=placed.vendor_call_id)
    assert cdr.status is CallStatus.IN_PROGRESS
    assert cdr.vendor_status == "submitted"
    assert cdr.vendor_call_id == placed.vendor_call_id
    assert (cdr.caller_id, cdr.customer_number) == (FROM, "+6281211122333")  # E.164 inside
    assert cdr.ended_at is None and cdr.billable_seconds == 0


@pytest.mark.parametrize(
    ("outcome", "status"),
    [
        ("answered", CallStatus.ANSWERED),
        ("busy", CallStatus.BUSY),
        ("no_answer", CallStatus.NO_ANSWER),
        ("unavailable", CallStatus.UNAVAILABLE),
        ("failed", CallStatus.FAILED),
    ],
)
def test_each_simulated_outcome_reads_back_as_its_normalized_status(
    oca, ivrs, fast_calls, outcome, status
):
    number = number_with(outcome)
    placed = oca.make_call(
        from_number=FROM,
        to_number=number,
        ivr_id=ivrs["IVR Resti"],
        variables={"name": "Galih", "nomor_inet": "122101234567"},
    )
    cdr = wait_final(oca, placed.vendor_call_id)
    assert cdr.status is status
    assert cdr.started_at is not None and cdr.ended_at is not None
    expected = outcome_for("62" + number[1:], 0)
    if status is CallStatus.ANSWERED:
        assert cdr.vendor_status == "answered:NORMAL_CLEARING"
        assert cdr.billable_seconds == expected.talk_seconds
        assert cdr.duration_seconds == expected.ring_seconds + expected.talk_seconds
        assert cdr.answered_at is not None
        # IVR Resti asks a multiple choice, then collects 12 digits.
        choice, digits = cdr.dtmf.split(",")
        assert choice in {"1", "2"} and re.fullmatch(r"\d{12}", digits)
    else:
        assert cdr.vendor_status.startswith("failed:")
        assert cdr.billable_seconds == 0 and cdr.answered_at is None and cdr.dtmf == ""


def test_the_same_number_and_seed_give_the_same_call_every_time(oca, ivrs, fast_calls):
    number = number_with("answered")
    kwargs = {"from_number": FROM, "ivr_id": ivrs["IVR Resti"]}
    variables = {"name": "Galih", "nomor_inet": "1"}
    cdrs = [
        wait_final(
            oca,
            oca.make_call(to_number=spelling, variables=variables, **kwargs).vendor_call_id,
        )
        for spelling in (number, "+62" + number[1:])
    ]
    assert cdrs[0].status is cdrs[1].status is CallStatus.ANSWERED
    assert cdrs[0].billable_seconds == cdrs[1].billable_seconds
    assert cdrs[0].dtmf == cdrs[1].dtmf


def test_a_call_status_upserts_into_the_one_cdr_table(oca, oca_account, ivrs, fast_calls):
    placed = oca.make_call(
        from_number=FROM, to_number=number_with("busy"), ivr_id=ivrs["Testing Call Recording"]
    )
    cdr = wait_final(oca, placed.vendor_call_id)
    CallRecord.upsert(oca_account, cdr)
    CallRecord.upsert(oca_account, oca.call_status(call_id=placed.vendor_call_id))
    record = CallRecord.objects.get(account=oca_account)
    assert record.status == "busy" and record.vendor_call_id == placed.vendor_call_id
    assert record.raw["call_id"] == placed.vendor_call_id


def test_an_unknown_call_id_is_rejected_with_code_33(oca):
    with pytest.raises(Rejected) as caught:
        oca.call_status(call_id="5f1c03d61fae4001267affff")
    assert caught.value.vendor_code == 33 and caught.value.status_code == 404


def test_another_logins_call_is_not_found(oca, make_account, oca_base, ivrs, make_oca):
    placed = oca.make_call(
        from_number=FROM, to_number="081211122333", ivr_id=ivrs["Testing Call Recording"]
    )
    partner = make_account(
        "oca",
        base_url=oca_base,
        config={"username": sandbox.SANDBOX_PARTNER_CREDENTIALS["username"]},
        secrets={"password": sandbox.SANDBOX_PARTNER_CREDENTIALS["password"]},
    )
    with pytest.raises(Rejected):
        make_oca(partner).call_status(call_id=placed.vendor_call_id)


def test_call_status_needs_a_call_id(oca):
    with pytest.raises(InvalidRequest):
        oca.call_status(call_id="")


def _rewrite_call_answers(monkeypatch, rewrite):
    """Make the sandbox's /call answer `rewrite(body)` instead of its own body."""
    from django.http import JsonResponse

    def respond(data, **kwargs):
        if isinstance(data, dict) and set(data) == {"success", "call_id"}:
            data = rewrite(data)
        return JsonResponse(data, **kwargs)

    monkeypatch.setattr("telephony.vendors.oca.sandbox.JsonResponse", respond)


def test_a_success_body_without_call_id_is_malformed(oca, monkeypatch, ivrs):
    _rewrite_call_answers(monkeypatch, lambda body: {"success": True})
    with pytest.raises(MalformedResponse):
        oca.make_call(
            from_number=FROM, to_number="081211122333", ivr_id=ivrs["Testing Call Recording"]
        )


def test_the_docs_own_example_with_the_call_id_under_to_number_is_accepted(oca, monkeypatch, ivrs):
    # The doc shows {"success": true, "to_number": "xxxxfghjji10gdd112xxxx"}.
    _rewrite_call_answers(monkeypatch, lambda body: {"success": True, "to_number": body["call_id"]})
    placed = oca.make_call(
        from_number=FROM, to_number="081211122333", ivr_id=ivrs["Testing Call Recording"]
    )
    assert SandboxCall.objects.filter(call_id=placed.vendor_call_id).exists()


def test_a_success_false_answer_is_not_taken_for_a_call(oca, monkeypatch, ivrs):
    _rewrite_call_answers(monkeypatch, lambda body: {**body, "success": False})
    with pytest.raises(MalformedResponse):
        oca.make_call(
            from_number=FROM, to_number="081211122333", ivr_id=ivrs["Testing Call Recording"]
        )


def test_an_oca_error_envelope_on_http_200_is_still_an_error(oca, monkeypatch, ivrs):
    _rewrite_call_answers(
        monkeypatch,
        lambda body: {"errors": [{"message": "Your Quota Is not Enough", "code": "55"}]},
    )
    with pytest.raises(Rejected) as caught:
        oca.make_call(
            from_number=FROM, to_number="081211122333", ivr_id=ivrs["Testing Call Recording"]
        )
    # `code` as a string is read as the same code.
    assert caught.value.vendor_code == 55 and caught.value.status_code == 200
