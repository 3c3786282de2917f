# ruff: noqa: F811 (pytest fixtures are imported by name, then requested as arguments)
"""The OCA client under injected faults: typed errors, retries and one audit row per try."""

import base64
import logging
import uuid

import pytest

from telephony.models import ProviderRequest, SandboxCall
from telephony.vendors.base import (
    AccountBlocked,
    AuthFailed,
    InvalidRequest,
    MalformedResponse,
    RateLimited,
    Rejected,
    Unavailable,
    VendorError,
)
from telephony.vendors.oca import sandbox
from tests.telephony.vendors.oca_fixtures import (  # noqa: F401 (fixtures)
    MP3_ID3,
    PASSWORD,
    USERNAME,
    ivrs,
    make_oca,
    oca,
    oca_account,
    oca_base,
)

FROM = sandbox.SEED_NUMBERS[0]


def fault(client, kind, count=None):
    """Inject `kind` into the client's requests (only the first `count` if given)."""
    value = kind if count is None else f"{kind};count={count};key={uuid.uuid4().hex}"
    client.http.session.headers["X-Sandbox-Fault"] = value


def call(client, ivrs):
    return client.make_call(
        from_number=FROM, to_number="081211122333", ivr_id=ivrs["Testing Call Recording"]
    )


# --- 5xx -----------------------------------------------------------------------------------


def test_a_500_on_a_read_is_retried_twice_then_unavailable(oca, oca_account, audit_rows):
    fault(oca, "error")
    with pytest.raises(Unavailable) as caught:
        oca.list_ivrs()
    assert caught.value.message == "Internal Error" and caught.value.vendor_code == 13
    rows = audit_rows(oca_account)
    assert [(row.attempt, row.status_code, row.retried) for row in rows] == [
        (1, 500, True),
        (2, 500, True),
        (3, 500, False),
    ]


def test_a_single_500_on_a_read_is_retried_to_success(oca, oca_account, audit_rows):
    fault(oca, "error", count=1)
    assert oca.list_numbers() == sandbox.SEED_NUMBERS
    assert [row.status_code for row in audit_rows(oca_account)] == [500, 200]


def test_a_500_on_make_call_is_not_retried(oca, oca_account, audit_rows, ivrs):
    oca.list_ivrs()
    fault(oca, "error", count=1)
    with pytest.raises(Unavailable):
        call(oca, ivrs)
    calls = [row for row in audit_rows(oca_account) if row.endpoint == "/call"]
    assert len(calls) == 1 and calls[0].status_code == 500
    assert not SandboxCall.objects.exists()


def test_a_500_on_upload_is_not_retried(oca, oca_account, audit_rows):
    fault(oca, "error", count=1)
    with pytest.raises(Unavailable):
        oca.upload_audio(filename="a.mp3", content=MP3_ID3)
    assert len(audit_rows(oca_account)) == 1


def test_a_500_on_delete_is_retried_because_delete_is_idempotent(oca, oca_account, audit_rows):
    audio = oca.upload_audio(filename="a.mp3", content=MP3_ID3)
    fault(oca, "error", count=1)
    assert oca.delete_audio(audio_id=audio.id) == {"success": True}
    assert [row.status_code for row in audit_rows(oca_account)] == [200, 500, 200]


# --- rate limits ---------------------------------------------------------------------------


def test_a_429_on_a_read_is_retried_honouring_retry_after(oca, oca_account, audit_rows):
    fault(oca, "ratelimit")
    with pytest.raises(RateLimited) as caught:
        oca.call_status(call_id="5f1c03d61fae4001267a0001")
    assert caught.value.retry_after == 1.0 and caught.value.vendor_code == 9
    assert [row.status_code for row in audit_rows(oca_account)] == [429, 429, 429]


def test_a_single_429_on_a_read_is_retried_to_success(oca, oca_account, audit_rows):
    fault(oca, "ratelimit", count=1)
    assert len(oca.list_ivrs()) == 4
    assert [row.status_code for row in audit_rows(oca_account)] == [429, 200]


def test_a_429_on_make_call_is_not_retried(oca, oca_account, audit_rows, ivrs):
    oca.list_ivrs()
    fault(oca, "ratelimit", count=1)
    with pytest.raises(RateLimited):
        call(oca, ivrs)
    assert [row.endpoint for row in audit_rows(oca_account)] == ["/ivr-list", "/call"]


def test_the_sandbox_rate_limit_per_minute_applies_per_login(
    oca, oca_account, audit_rows, sandbox_config
):
    sandbox_config("oca", rate_limit_per_minute=1)
    oca.http.max_retries = 0
    oca.list_ivrs()
    with pytest.raises(RateLimited):
        oca.list_numbers()
    assert [row.status_code for row in audit_rows(oca_account)] == [200, 429]


# --- timeouts and malformed bodies ---------------------------------------------------------


def test_a_read_timeout_is_retried_then_unavailable(oca, oca_account, audit_rows, sandbox_config):
    sandbox_config("oca", timeout_seconds=2)
    oca.http.timeout = (1, 0.5)
    fault(oca, "timeout")
    with pytest.raises(Unavailable) as caught:
        oca.list_ivrs()
    assert "did not answer in time" in caught.value.message
    rows = audit_rows(oca_account)
    assert len(rows) == 3 and all(row.status_code is None for row in rows)


def test_a_timeout_on_make_call_is_not_retried(oca, oca_account, audit_rows, sandbox_config, ivrs):
    sandbox_config("oca", timeout_seconds=2)
    oca.list_ivrs()
    oca.http.timeout = (1, 0.5)
    fault(oca, "timeout")
    with pytest.raises(Unavailable):
        call(oca, ivrs)
    assert [row.endpoint for row in audit_rows(oca_account)] == ["/ivr-list", "/call"]


def test_a_malformed_body_on_a_read_is_retried_then_malformed(oca, oca_account, audit_rows):
    fault(oca, "malformed")
    with pytest.raises(MalformedResponse):
        oca.list_audio()
    assert len(audit_rows(oca_account)) == 3


def test_a_malformed_body_on_make_call_is_not_retried(oca, oca_account, audit_rows, ivrs):
    oca.list_ivrs()
    fault(oca, "malformed")
    with pytest.raises(MalformedResponse):
        call(oca, ivrs)
    assert [row.endpoint for row in audit_rows(oca_account)] == ["/ivr-list", "/call"]


def test_error_rates_from_the_sandbox_config_apply_without_a_header(
    oca, oca_account, audit_rows, sandbox_config
):
    sandbox_config("oca", error_rate=1.0)
    with pytest.raises(Unavailable):
        oca.list_numbers()
    assert len(audit_rows(oca_account)) == 3


def test_a_connection_refused_is_unavailable(make_account, audit_rows, make_oca):
    account = make_account(
        "oca", base_url="http://127.0.0.1:9/api/v1", config={"username": USERNAME}
    )
    check = make_oca(account).check_connection()
    assert not check.ok and "Could not connect" in check.message
    assert len(audit_rows(account)) == 3


# --- secrets -------------------------------------------------------------------------------


def test_no_secret_reaches_an_audit_row_a_log_line_or_an_error(
    make_account, oca_base, caplog, ivrs, make_oca
):
    caplog.set_level(logging.DEBUG)
    good = make_account(
        "oca", base_url=oca_base, config={"username": USERNAME}, secrets={"password": PASSWORD}
    )
    bad = make_account(
        "oca",
        base_url=oca_base,
        config={"username": USERNAME},
        secrets={"password": "wrong-but-secret-9876"},
    )
    client = make_oca(good)
    errors: list[Exception] = []
    # Successes on every endpoint, the password echoed in a body, and failures. (A secret
    # in a URL path is covered below: urllib3's DEBUG log prints raw paths.)
    client.list_ivrs()
    client.list_numbers()
    audio = client.upload_audio(filename=f"{PASSWORD}.mp3", content=MP3_ID3)
    client.list_audio()
    client.delete_audio(audio_id=audio.id)
    placed = client.make_call(
        from_number=FROM,
        to_number="081211122333",
        ivr_id=ivrs["IVR Resti"],
        variables={"name": PASSWORD, "nomor_inet": "1221"},
    )
    client.call_status(call_id=placed.vendor_call_id)
    for action in (
        lambda: make_oca(bad).list_ivrs(),
        lambda: client.delete_audio(audio_id="5f1c03d61fae4001267affff"),
        lambda: make_oca(good).make_call(
            from_number="02199999999",
            to_number="081211122333",
            ivr_id=ivrs["IVR Resti"],
            variables={"name": PASSWORD, "nomor_inet": PASSWORD},
        ),
        lambda: client.make_call(
            from_number=FROM, to_number=PASSWORD, ivr_id=ivrs["IVR Resti"], variables={}
        ),
    ):
        try:
            action()
        except (VendorError, InvalidRequest) as exc:
            errors.append(exc)
    # Code 33 (an audio or IVR that does not exist) is about the account or campaign.
    assert [type(error) for error in errors] == [
        AuthFailed,
        AccountBlocked,
        Rejected,
        InvalidRequest,
    ]
    fault(client, "error")
    try:
        client.list_numbers()
    except Unavailable as exc:
        errors.append(exc)

    secrets = [
        PASSWORD,
        "wrong-but-secret-9876",
        base64.b64encode(f"{USERNAME}:{PASSWORD}".encode()).decode(),
    ]
    rows = ProviderRequest.objects.filter(account__in=[good, bad])
    assert rows.count() > 10
    text_fields = [
        f.name
        for f in ProviderRequest._meta.get_fields()
        if f.get_internal_type() in ("CharField", "TextField")
    ]
    for row in rows:
        for name in text_fields:
            for secret in secrets:
                assert secret not in str(getattr(row, name)), (name, row)
    log_text = "\n".join(record.getMessage() for record in caplog.records)
    assert "oca" in log_text
    for secret in secrets:
        assert secret not in log_text
        for error in errors:
            assert secret not in str(error)
            assert secret not in repr(error.args)


def test_a_secret_in_a_url_path_is_redacted_from_the_audit_row_and_the_error(
    oca, oca_account, audit_rows
):
    with pytest.raises(Rejected) as caught:
        oca.delete_audio(audio_id=PASSWORD)
    (row,) = audit_rows(oca_account)
    assert PASSWORD not in row.url and "[redacted]" in row.url
    assert PASSWORD not in str(caught.value)
