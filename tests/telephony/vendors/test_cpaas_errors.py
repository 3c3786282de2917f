"""CpaasClient error paths: bad auth, the vendor's validation messages, our own pre-send
validation, 429, 5xx, timeouts and malformed bodies, with the audit rows each leaves;
and no secret in any audit row, log line or error."""

import logging
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from telephony.models import ProviderRequest
from telephony.vendors.base import (
    AuthFailed,
    InvalidRequest,
    MalformedResponse,
    RateLimited,
    Rejected,
    Unavailable,
    VendorError,
)
from telephony.vendors.cpaas.client import Contact, TtsOptions
from tests.telephony.vendors.cpaas_helpers import account_kwargs, number_for

CALLER_ID = "15168148111"
AGENT = "919800000900"
WRONG_AUTH = "not-the-auth-value-42"


@pytest.fixture
def account(sandbox_url, make_account, sandbox_config):
    sandbox_config("cpaas", time_scale=1000)
    return make_account("cpaas", **account_kwargs(sandbox_url))


@pytest.fixture
def client(account):
    return account.client()


def fault(client, kind: str, count: int | None = None):
    value = kind if count is None else f"{kind};count={count};key={uuid.uuid4().hex}"
    client.http.session.headers["X-Sandbox-Fault"] = value


def click2call(client):
    return client.click2call(
        agent_number=AGENT, destination_number=number_for("answered"), caller_id=CALLER_ID
    )


# --- auth -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "config", [{"account": "account_1"}, {"account": "account_9"}], ids=["bad auth", "unknown"]
)
def test_bad_credentials_raise_auth_failed_in_the_vendors_words_without_retry(
    sandbox_url, make_account, audit_rows, config
):
    account = make_account(
        "cpaas", **account_kwargs(sandbox_url, config=config, secrets={"auth": WRONG_AUTH})
    )
    client = account.client()
    with pytest.raises(AuthFailed) as caught:
        client.get_cdr_statistics()
    assert caught.value.message == "Invalid account or auth"
    assert caught.value.status_code == 401
    [row] = audit_rows(account)
    assert (row.status_code, row.error_kind, row.ok) == (401, "AuthFailed", False)
    check = client.check_connection()
    assert not check.ok and check.message == "Invalid account or auth"


def test_an_account_without_its_auth_secret_is_caught_before_sending(
    sandbox_url, make_account, audit_rows
):
    account = make_account("cpaas", **account_kwargs(sandbox_url, secrets={}))
    with pytest.raises(InvalidRequest, match="auth"):
        account.client().get_live_call_statistics()
    assert not account.client().check_connection().ok
    assert audit_rows(account) == []


# --- the vendor's own validation --------------------------------------------------------


def test_the_vendors_validation_messages_reach_the_typed_error(client, audit_rows, account):
    client.create_list(list_name="dues")
    cases = [
        (lambda: client.create_list(list_name="dues"), "list_name already exists", 400),
        (
            lambda: client.add_contacts(list_id="LS0000000000", contacts=[Contact("919800000001")]),
            "list_id not found",
            404,
        ),
        (
            lambda: client.otp_call(
                customer_number="919800000001",
                otp="1234",
                announce_template_id="AN0000000000",
                caller_id=CALLER_ID,
            ),
            "announce_template_id is invalid",
            400,
        ),
        (
            lambda: client.hangup(channel="PJSIP/101-0000023c"),
            "channel not found",
            404,
        ),
        (
            lambda: client.import_contacts_csv(
                list_id=client.create_list(list_name="other"), csv_name="missing.csv"
            ),
            "csv_name not found",
            404,
        ),
        (
            lambda: client.stop_campaign(campaign_id="CM0000000000"),
            "campaign_id not found",
            404,
        ),
    ]
    for call, message, status in cases:
        before = len(audit_rows(account))
        with pytest.raises(Rejected) as caught:
            call()
        assert caught.value.message == message
        assert caught.value.status_code == status
        rows = audit_rows(account)[before:]
        assert [row.error_kind for row in rows][-1:] == ["Rejected"]
        assert len([row for row in rows if not row.ok]) == 1


def test_a_campaign_needs_a_known_recorded_file(client):
    list_id = client.create_list(list_name="l")
    with pytest.raises(Rejected, match="recorded_filename not found"):
        client.create_campaign(
            list_id=list_id,
            campaign_name="c",
            caller_id=CALLER_ID,
            start=timezone.now(),
            end=timezone.now() + timedelta(hours=1),
            recorded_filename="nope.wav",
        )


def test_a_completed_campaign_cannot_be_stopped(client):
    list_id = client.create_list(list_name="empty")
    campaign_id = client.create_campaign(
        list_id=list_id,
        campaign_name="nothing to dial",
        caller_id=CALLER_ID,
        start=timezone.now(),
        end=timezone.now() + timedelta(hours=1),
        announcement_text="hello",
    )
    with pytest.raises(Rejected, match="campaign already completed"):
        client.stop_campaign(campaign_id=campaign_id)


# --- our own validation: nothing is sent ------------------------------------------------

NOW = timezone.now()
INVALID_REQUESTS = {
    "click2call number with spaces": (
        lambda c: c.click2call(
            agent_number="91 99792 70000", destination_number="919800000001", caller_id=CALLER_ID
        ),
        "agent_number",
    ),
    "click2call short number": (
        lambda c: c.click2call(agent_number=AGENT, destination_number="12345", caller_id=CALLER_ID),
        "destination_number",
    ),
    "click2call recording option": (
        lambda c: c.click2call(
            agent_number=AGENT,
            destination_number="919800000001",
            caller_id=CALLER_ID,
            recording_option="sometimes",
        ),
        "recording_option",
    ),
    "click2call transcript": (
        lambda c: c.click2call(
            agent_number=AGENT,
            destination_number="919800000001",
            caller_id=CALLER_ID,
            transcript="maybe",
        ),
        "transcript",
    ),
    "otp volume": (
        lambda c: c.otp_call(
            customer_number="919800000001",
            otp="1234",
            announce_template_id="AN2222314c96",
            caller_id=CALLER_ID,
            tts=TtsOptions(volume="x- loud"),
        ),
        "volume",
    ),
    "otp repeat": (
        lambda c: c.otp_call(
            customer_number="919800000001",
            otp="1234",
            announce_template_id="AN2222314c96",
            caller_id=CALLER_ID,
            repeat=0,
        ),
        "repeat",
    ),
    "callback in the past": (
        lambda c: c.create_callback(
            agent_number=AGENT,
            destination_number="919800000001",
            caller_id=CALLER_ID,
            scheduled_at=NOW - timedelta(minutes=1),
            time_zone="Asia/Kolkata",
        ),
        "scheduled_at",
    ),
    "callback date format": (
        lambda c: c.create_callback(
            agent_number=AGENT,
            destination_number="919800000001",
            caller_id=CALLER_ID,
            scheduled_at="15/08/2030 12:55",
            time_zone="Asia/Kolkata",
        ),
        "scheduled_at",
    ),
    "callback time zone": (
        lambda c: c.create_callback(
            agent_number=AGENT,
            destination_number="919800000001",
            caller_id=CALLER_ID,
            scheduled_at="2030-08-15 12:55:00",
            time_zone="Mars/Olympus",
        ),
        "time_zone",
    ),
    "callback recording option": (
        lambda c: c.create_callback(
            agent_number=AGENT,
            destination_number="919800000001",
            caller_id=CALLER_ID,
            scheduled_at="2030-08-15 12:55:00",
            time_zone="UTC",
            recording_option="both",
        ),
        "recording_option",
    ),
    "modify type": (
        lambda c: c.modify_call(channel="PJSIP/1-0000000a", modify_type=7),
        "modify_type",
    ),
    "transfer without target": (
        lambda c: c.blind_transfer(channel="PJSIP/1-0000000a", transfer_to=""),
        "transfer_to",
    ),
    "campaign with text and file": (
        lambda c: c.create_campaign(
            list_id="LS1",
            campaign_name="c",
            caller_id=CALLER_ID,
            start=NOW,
            end=NOW + timedelta(hours=1),
            announcement_text="hi",
            recorded_filename="a.wav",
        ),
        "announcement_text",
    ),
    "campaign placeholder": (
        lambda c: c.create_campaign(
            list_id="LS1",
            campaign_name="c",
            caller_id=CALLER_ID,
            start=NOW,
            end=NOW + timedelta(hours=1),
            announcement_text="Dear {field1",
        ),
        "announcement_text",
    ),
    "campaign end before start": (
        lambda c: c.create_campaign(
            list_id="LS1",
            campaign_name="c",
            caller_id=CALLER_ID,
            start=NOW + timedelta(hours=2),
            end=NOW + timedelta(hours=1),
            announcement_text="hi",
        ),
        "campaign_end_date",
    ),
    "campaign retry status": (
        lambda c: c.create_campaign(
            list_id="LS1",
            campaign_name="c",
            caller_id=CALLER_ID,
            start=NOW,
            end=NOW + timedelta(hours=1),
            announcement_text="hi",
            retry_on_statuses=["NOANSER"],
        ),
        "retry_on_statuses",
    ),
    "campaign calls per minute": (
        lambda c: c.create_campaign(
            list_id="LS1",
            campaign_name="c",
            caller_id=CALLER_ID,
            start=NOW,
            end=NOW + timedelta(hours=1),
            announcement_text="hi",
            calls_per_minute=0,
        ),
        "calls_per_minute",
    ),
    "cdr date format": (
        lambda c: c.get_cdr_by_date(start_date="13/06/2023", end_date="2023-06-17"),
        "start_call_date",
    ),
    "cdr dates reversed": (
        lambda c: c.get_cdr_by_date(start_date="2023-06-17", end_date="2023-06-13"),
        "end_call_date",
    ),
    "contact number": (
        lambda c: c.add_contacts(list_id="LS1", contacts=[Contact(number="abc")]),
        "contacts[0]",
    ),
    "no contacts": (lambda c: c.add_dnd_contacts(dnd_list_id="DN1", contacts=[]), "dnd_contacts"),
    "csv name": (lambda c: c.import_contacts_csv(list_id="LS1", csv_name="a.xlsx"), "csv_name"),
    "empty update": (lambda c: c.update_callback(request_id="fd5ff6e021"), "__all__"),
}


@pytest.mark.parametrize("case", INVALID_REQUESTS)
def test_requests_the_vendor_would_reject_are_not_sent(client, account, audit_rows, case):
    call, field = INVALID_REQUESTS[case]
    with pytest.raises(InvalidRequest) as caught:
        call(client)
    assert field in caught.value.errors
    assert audit_rows(account) == []


# --- transport faults --------------------------------------------------------------------


def test_a_rate_limited_read_is_retried_and_succeeds(client, account, audit_rows):
    fault(client, "ratelimit", count=1)
    assert client.get_live_call_statistics().total == 0
    first, second = audit_rows(account)
    assert (first.status_code, first.error_kind, first.retried) == (429, "RateLimited", True)
    assert (second.status_code, second.ok) == (200, True)


def test_a_rate_limited_call_is_not_retried(client, account, audit_rows):
    fault(client, "ratelimit", count=1)
    with pytest.raises(RateLimited) as caught:
        click2call(client)
    assert caught.value.message == "too many requests"
    assert caught.value.retry_after == 1.0
    assert len(audit_rows(account)) == 1


@pytest.mark.parametrize(
    "read",
    [
        lambda c: c.get_cdr_statistics(),
        lambda c: c.get_campaign_details(),
        lambda c: c.get_cdr_by_date(start_date="2023-06-13", end_date="2023-06-17"),
        lambda c: c.get_cdr_by_request_id(request_id="91da7c083f"),
    ],
    ids=["GET statistics", "GET campaigns", "POST cdr by date", "POST cdr by request id"],
)
def test_a_failing_read_is_tried_three_times_then_unavailable(client, account, audit_rows, read):
    fault(client, "error")
    with pytest.raises(Unavailable) as caught:
        read(client)
    assert caught.value.message == "internal server error"
    rows = audit_rows(account)
    assert [row.status_code for row in rows] == [500, 500, 500]
    assert [row.retried for row in rows] == [True, True, False]


@pytest.mark.parametrize(
    "create",
    [
        click2call,
        lambda c: c.otp_call(
            customer_number="919800000001",
            otp="1234",
            announce_template_id="AN2222314c96",
            caller_id=CALLER_ID,
        ),
        lambda c: c.create_callback(
            agent_number=AGENT,
            destination_number="919800000001",
            caller_id=CALLER_ID,
            scheduled_at=timezone.now() + timedelta(hours=1),
            time_zone="UTC",
        ),
        lambda c: c.create_campaign(
            list_id="LS1",
            campaign_name="c",
            caller_id=CALLER_ID,
            start=timezone.now(),
            end=timezone.now() + timedelta(hours=1),
            announcement_text="hi",
        ),
    ],
    ids=["click2call", "otp", "callback", "campaign"],
)
def test_a_failing_call_creating_post_is_never_retried(client, account, audit_rows, create):
    fault(client, "error")
    with pytest.raises(Unavailable):
        create(client)
    [row] = audit_rows(account)
    assert (row.status_code, row.retried) == (500, False)


def test_a_read_that_fails_once_succeeds_on_retry(client, account, audit_rows):
    fault(client, "error", count=1)
    assert client.get_cdr_by_request_id(request_id="91da7c083f") == []
    assert [row.status_code for row in audit_rows(account)] == [500, 200]


def test_timeouts_are_unavailable_and_retried_only_for_reads(
    client, account, audit_rows, sandbox_config
):
    sandbox_config("cpaas", timeout_seconds=2)
    client.http.timeout = (1, 0.5)
    fault(client, "timeout")
    with pytest.raises(Unavailable, match="did not answer in time"):
        click2call(client)
    assert len(audit_rows(account)) == 1
    with pytest.raises(Unavailable):
        client.get_live_call_statistics()
    rows = audit_rows(account)[1:]
    assert len(rows) == 3 and all(row.status_code is None for row in rows)


def test_malformed_json_is_a_malformed_response(client, account, audit_rows):
    fault(client, "malformed")
    with pytest.raises(MalformedResponse):
        client.get_cdr_statistics()
    assert len(audit_rows(account)) == 3
    with pytest.raises(MalformedResponse):
        client.create_list(list_name="x")
    assert len(audit_rows(account)) == 4


# --- secrets -------------------------------------------------------------------------


def test_no_secret_reaches_audit_rows_logs_or_errors(
    client, account, sandbox_url, make_account, caplog
):
    caplog.set_level(logging.DEBUG)
    secrets = account.secret_values()
    assert secrets
    errors: list[VendorError] = []
    click2call(client)
    client.otp_call(
        customer_number="919800000001",
        otp="864209",
        announce_template_id="AN2222314c96",
        caller_id=CALLER_ID,
    )
    client.get_cdr_statistics()
    for kind in ("error", "malformed", "ratelimit"):
        fault(client, kind)
        try:
            client.get_live_call_statistics()
        except VendorError as exc:
            errors.append(exc)
    del client.http.session.headers["X-Sandbox-Fault"]
    bad = make_account(
        "cpaas", **account_kwargs(sandbox_url, secrets={"auth": WRONG_AUTH})
    ).client()
    try:
        bad.get_cdr_statistics()
    except VendorError as exc:
        errors.append(exc)
    secrets.append(WRONG_AUTH)
    assert len(errors) == 4
    texts = [caplog.text] + [f"{exc!s} {exc.message} {exc.payload!r}" for exc in errors]
    for row in ProviderRequest.objects.all():
        texts += [row.url, row.endpoint, row.error, row.request_excerpt, row.response_excerpt]
    for secret in secrets:
        assert not any(secret in text for text in texts)
    # The OTP is a secret of its own: redacted by name from the request excerpt.
    otp_row = ProviderRequest.objects.get(endpoint="outbound_call")
    assert "864209" not in otp_row.request_excerpt and "[redacted]" in otp_row.request_excerpt
