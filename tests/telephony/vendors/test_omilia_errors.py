"""Omilia error paths over real HTTP: pre-send validation, the vendor's own refusals,
rate limits, 5xx, timeouts and malformed bodies (with the right retries and audit rows),
and no secret in any audit row, log line or error."""

import logging
import time
import uuid

import pytest

from telephony.models import ProviderRequest
from telephony.vendors.base import (
    AuthFailed,
    InvalidRequest,
    MalformedResponse,
    RateLimited,
    Rejected,
    Unavailable,
)
from telephony.vendors.omilia import sandbox
from telephony.vendors.omilia.client import NumberCsvRow
from telephony.vendors.omilia.sandbox_state import SANDBOX_MINIAPPS

from .omilia_support import api_rows, omilia_account, row_summary

SUPPORT_IVR = SANDBOX_MINIAPPS[0]["miniAppId"]


@pytest.fixture
def account(make_account, sandbox_url):
    sandbox.seed_demo()
    return omilia_account(make_account, sandbox_url)


@pytest.fixture
def ocp(account):
    client = account.client()
    client.authenticate()  # faults below target the API, not the sign-in
    return client


def fault(client, kind: str, count: int | None = None):
    key = uuid.uuid4().hex
    value = kind if count is None else f"{kind};count={count};key={key}"
    client.http.session.headers["X-Sandbox-Fault"] = value


def attempts(account, audit_rows):
    return [(row.status_code, row.error_kind) for row in api_rows(audit_rows(account))]


# --- validation before sending ---------------------------------------------------------

INVALID_CALLS = [
    ("list_numbers", {"page": 0}, "page"),
    ("list_numbers", {"page_size": 0}, "page_size"),
    ("list_numbers", {"order_by": "price"}, "order_by"),
    ("list_numbers", {"direction": "UP"}, "direction"),
    ("available_numbers", {"provider": "", "code": "GB", "group": "g"}, "provider"),
    ("available_numbers", {"provider": "twilio", "code": "gb", "group": "g"}, "code"),
    (
        "available_numbers",
        {"provider": "twilio", "code": "GB", "group": "g", "prefix": "44-20"},
        "prefix",
    ),
    ("buy_numbers", {"provider": "twilio", "numbers": [], "group": "g"}, "numbers"),
    ("buy_numbers", {"provider": "twilio", "numbers": ["2025550143"], "group": "g"}, "numbers"),
    ("update_numbers_group", {"numbers": ["+12025550143"], "group": " "}, "group"),
    ("detach_numbers", {"numbers": "+12025550143"}, "numbers"),
    (
        "attach_numbers",
        {"numbers": ["+12025550143"], "mini_app_id": "x", "locale": "en_US"},
        "locale",
    ),
    (
        "attach_numbers",
        {"numbers": ["+12025550143"], "mini_app_id": "", "locale": "en-US"},
        "mini_app_id",
    ),
    ("update_number_note", {"number": "+12025550143", "note": None}, "note"),
    ("update_number_note", {"number": "12", "note": "x"}, "number"),
    ("search_numbers", {"number": "12a"}, "number"),
    ("search_numbers", {"locale": "english"}, "locale"),
    ("search_numbers", {"groups": "dialdesk"}, "groups"),
    ("export_numbers_csv", {"direction": "down"}, "direction"),
    ("add_numbers", {"numbers": ["+12025550143"], "group": "g", "country": "USA"}, "country"),
    ("add_numbers", {"numbers": ["+1", "+1"], "group": "g"}, "numbers"),
    ("delete_number", {"number": ""}, "number"),
    ("create_set", {"name": "", "group_id": "g"}, "name"),
    ("get_set", {"set_id": "a/b"}, "set_id"),
    ("update_set", {"set_id": "s"}, "__all__"),
    ("add_numbers_to_set", {"set_id": "s", "numbers": []}, "numbers"),
    ("attach_set", {"set_id": "s", "mini_app_id": "m", "locale": "EN-us"}, "locale"),
    ("remove_numbers_from_set", {"set_id": "", "numbers": ["+12025550143"]}, "set_id"),
    ("delete_purchased_numbers_in_set", {"set_id": ""}, "set_id"),
    ("delete_set", {"set_id": ""}, "set_id"),
]


@pytest.mark.parametrize(("method", "kwargs", "field"), INVALID_CALLS)
def test_invalid_input_is_refused_before_anything_is_sent(
    method, kwargs, field, account, audit_rows
):
    client = account.client()
    with pytest.raises(InvalidRequest) as caught:
        getattr(client, method)(**kwargs)
    assert field in caught.value.errors
    assert audit_rows(account) == []


def test_a_csv_upload_with_a_bad_row_is_refused_before_sending(account, audit_rows):
    client = account.client()
    with pytest.raises(InvalidRequest, match="line 2: unknown operation 'rename'"):
        client.apply_numbers_csv(csv_text="number,operation\n+12025550143,rename\n")
    with pytest.raises(InvalidRequest, match="attach needs miniAppId, locale"):
        client.apply_numbers_csv([NumberCsvRow("attach", "+12025550143")])
    with pytest.raises(InvalidRequest, match="lacks the column"):
        client.apply_numbers_csv(csv_text="number\n+12025550143\n")
    assert audit_rows(account) == []


def test_a_custom_base_url_without_a_token_url_fails_the_connection_test_in_words(
    make_account, sandbox_url
):
    account = make_account(
        "omilia",
        base_url=f"{sandbox_url}/omilia/eu1/integrations",
        config={"username": "dialdesk-demo"},
        secrets={"password": "x"},
    )
    result = account.test_connection()
    assert result.ok is False
    assert "token URL" in result.message


# --- the vendor's own refusals ----------------------------------------------------------


def test_the_sandboxs_validation_message_reaches_the_typed_error(ocp, account, audit_rows):
    # Bypass our own checks to see the vendor's: Spring's bean-validation wording.
    with pytest.raises(Rejected) as caught:
        ocp._api("POST", "/api/numbers", endpoint="/api/numbers", json_body={"code": "GB"})
    assert caught.value.status_code == 400
    assert caught.value.message == "provider: must not be blank; group: must not be blank"
    assert attempts(account, audit_rows) == [(400, "Rejected")]


@pytest.mark.parametrize(
    ("call", "status", "message"),
    [
        (
            lambda c: c.available_numbers(provider="acme-telco", code="GB", group="dialdesk"),
            400,
            "Unknown provider: acme-telco",
        ),
        (
            lambda c: c.available_numbers(provider="twilio", code="ZZ", group="dialdesk"),
            400,
            "Unsupported country code: ZZ",
        ),
        (
            lambda c: c.attach_numbers(
                numbers=["+12025550178"], mini_app_id="nope", locale="en-US"
            ),
            404,
            "MiniApp not found: nope",
        ),
        (
            lambda c: c.detach_numbers(numbers=["+12025550111"]),
            404,
            "Phone numbers not found: +12025550111",
        ),
        (
            lambda c: c.add_numbers(numbers=["+12025550143"], group="dialdesk"),
            409,
            "Phone numbers already exist: +12025550143",
        ),
        (
            lambda c: c.create_set(name="US lines", group_id="dialdesk"),
            409,
            "A phone numbers set named US lines already exists in group dialdesk",
        ),
        (
            lambda c: c.get_set(set_id="no-such-set"),
            404,
            "Phone numbers set not found: no-such-set",
        ),
        (
            lambda c: c.create_set(name="Theirs", group_id="acme"),
            403,
            "Access denied to group acme",
        ),
        (
            # A number of another company's group is invisible, not just forbidden.
            lambda c: c.delete_number(number="+13125550199"),
            404,
            "Phone numbers not found: +13125550199",
        ),
    ],
)
def test_vendor_refusals_are_rejected_with_the_vendors_message(
    call, status, message, ocp, account, audit_rows
):
    with pytest.raises(Rejected) as caught:
        call(ocp)
    assert (caught.value.status_code, caught.value.message) == (status, message)
    assert len(api_rows(audit_rows(account))) == 1


def test_a_number_in_another_set_cannot_join_a_second_one(ocp):
    us_lines = next(s for s in ocp.list_sets() if s.name == "US lines")
    other = ocp.create_set(name="Second", group_id="dialdesk")
    with pytest.raises(Rejected, match="already belongs to set US lines"):
        ocp.add_numbers_to_set(set_id=other.id, numbers=["+12025550143"])
    # Adding a member again is a no-op.
    assert ocp.add_numbers_to_set(set_id=us_lines.id, numbers=["+12025550143"]).message == (
        "0 numbers added to set US lines"
    )


# --- transient failures ---------------------------------------------------------------


def test_a_rate_limited_read_is_retried(ocp, account, audit_rows):
    fault(ocp, "ratelimit", count=1)
    assert ocp.list_numbers().total == 7
    assert attempts(account, audit_rows) == [(429, "RateLimited"), (200, "")]


def test_a_rate_limited_set_creation_is_not_retried(ocp, account, audit_rows):
    fault(ocp, "ratelimit")
    with pytest.raises(RateLimited) as caught:
        ocp.create_set(name="Never", group_id="dialdesk")
    assert caught.value.retry_after == 1.0
    assert attempts(account, audit_rows) == [(429, "RateLimited")]


def test_a_server_error_on_a_read_is_retried_twice_then_unavailable(ocp, account, audit_rows):
    fault(ocp, "error")
    with pytest.raises(Unavailable) as caught:
        ocp.list_numbers()
    assert caught.value.status_code == 500
    assert attempts(account, audit_rows) == [(500, "Unavailable")] * 3


def test_a_read_recovers_after_one_server_error(ocp, account, audit_rows):
    fault(ocp, "error", count=1)
    assert len(ocp.list_sets()) == 2
    assert attempts(account, audit_rows) == [(500, "Unavailable"), (200, "")]


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.create_set(name="Never", group_id="dialdesk"),
        lambda c: c.buy_numbers(provider="twilio", numbers=["+442071838799"], group="dialdesk"),
        lambda c: c.add_numbers(numbers=["+442071838799"], group="dialdesk"),
        lambda c: c.apply_numbers_csv(
            [NumberCsvRow("create", "+442071838799", group_id="dialdesk")]
        ),
    ],
    ids=["create set", "buy", "add direct", "csv operations"],
)
def test_a_server_error_on_a_creating_request_is_not_retried(call, ocp, account, audit_rows):
    fault(ocp, "error")
    with pytest.raises(Unavailable):
        call(ocp)
    assert attempts(account, audit_rows) == [(500, "Unavailable")]


def test_a_timeout_on_a_read_is_retried(ocp, account, audit_rows, sandbox_config):
    sandbox_config("omilia", timeout_seconds=2)
    ocp.http.timeout = (1, 0.5)
    fault(ocp, "timeout", count=1)
    assert ocp.list_numbers().total == 7
    rows = api_rows(audit_rows(account))
    assert [(r.status_code, r.error_kind) for r in rows] == [(None, "Unavailable"), (200, "")]
    assert rows[0].error == "The vendor did not answer in time."


def test_a_timeout_on_a_purchase_is_not_retried(ocp, account, audit_rows, sandbox_config):
    sandbox_config("omilia", timeout_seconds=2)
    ocp.http.timeout = (1, 0.5)
    fault(ocp, "timeout")
    with pytest.raises(Unavailable, match="did not answer in time"):
        ocp.buy_numbers(provider="twilio", numbers=["+442071838799"], group="dialdesk")
    assert attempts(account, audit_rows) == [(None, "Unavailable")]


def test_a_malformed_body_is_a_malformed_response_after_retries(ocp, account, audit_rows):
    fault(ocp, "malformed")
    with pytest.raises(MalformedResponse):
        ocp.list_numbers()
    assert attempts(account, audit_rows) == [(200, "MalformedResponse")] * 3


def test_a_malformed_body_on_a_creating_request_is_not_retried(ocp, account, audit_rows):
    fault(ocp, "malformed")
    with pytest.raises(MalformedResponse):
        ocp.create_set(name="Never", group_id="dialdesk")
    assert attempts(account, audit_rows) == [(200, "MalformedResponse")]


def test_a_body_of_the_wrong_shape_is_a_malformed_response(ocp, account, audit_rows):
    # The user-sets endpoint answers a list; reading it as a page of numbers fails.
    response = ocp._api("GET", "/api/numbers-set", endpoint="/api/numbers-set")
    with pytest.raises(MalformedResponse, match="not a page of numbers"):
        ocp._numbers_page(response)


# --- secrets --------------------------------------------------------------------------


def test_no_secret_reaches_audit_rows_logs_or_errors(make_account, sandbox_url, caplog):
    caplog.set_level(logging.DEBUG)
    user = sandbox.SANDBOX_USERS["dialdesk-2fa"]
    account = omilia_account(make_account, sandbox_url, username="dialdesk-2fa", otp=user["otp"])
    sandbox.seed_demo()
    client = account.client()
    seen_tokens = set()
    errors = []

    client.list_numbers()
    seen_tokens |= {client._tokens.access_token, client._tokens.refresh_token}
    client.clock = lambda: time.time() + 290  # forces a refresh
    client.list_sets()
    seen_tokens |= {client._tokens.access_token, client._tokens.refresh_token}
    for call in (
        lambda: client.create_set(name="US lines", group_id="dialdesk"),
        lambda: client.get_set(set_id="missing"),
    ):
        with pytest.raises(Rejected) as caught:
            call()
        errors.append(caught.value)
    client.logout()
    bad = omilia_account(
        make_account, sandbox_url, username="dialdesk-2fa", password=user["password"], name="bad"
    )
    with pytest.raises(AuthFailed) as caught:
        bad.client().list_numbers()  # no OTP
    errors.append(caught.value)

    secrets = {user["password"], user["otp"], *seen_tokens}
    assert len(seen_tokens) == 4
    text_fields = ("endpoint", "url", "error", "request_excerpt", "response_excerpt")
    rows = list(ProviderRequest.objects.all())
    assert rows
    for row in rows:
        for name in text_fields:
            value = getattr(row, name)
            for secret in secrets:
                assert secret not in value, f"a secret in ProviderRequest.{name}"
    log_text = caplog.text
    for secret in secrets:
        assert secret not in log_text
        for error in errors:
            assert secret not in str(error) and secret not in repr(error.args)
    # The grants were audited, only redacted.
    assert any('"password": "[redacted]"' in row.request_excerpt for row in rows)
    assert any('"access_token": "[redacted]"' in row.response_excerpt for row in rows)
    assert row_summary(rows)  # rows exist and are readable
