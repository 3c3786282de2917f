# ruff: noqa: F811 (pytest fixtures are imported by name, then requested as arguments)
"""The MyOperator client's failure paths against the sandbox's injected faults: typed
errors, retries only where safe, one audit row per attempt, and no secret anywhere."""

import logging
import time
import uuid

import pytest

from telephony.models import ProviderRequest, SandboxCall
from telephony.vendors import http as vendor_http
from telephony.vendors.base import (
    AuthFailed,
    InvalidRequest,
    MalformedResponse,
    RateLimited,
    Rejected,
    Unavailable,
    VendorError,
)
from telephony.vendors.myoperator import sandbox
from telephony.vendors.myoperator.client import DuplicateReference, MyOperatorClient
from tests.telephony.vendors.myoperator_fixtures import (  # noqa: F401 (fixtures)
    AGENT,
    IVR,
    fast_calls,
    mo,
    mo_account,
    number_with,
    ref,
    wait_for_logs,
)


def fault(client: MyOperatorClient, value: str, *, times: int | None = None):
    """Inject a fault on this client's requests; `times` limits it to the first N."""
    if times is not None:
        value = f"{value};count={times};key={uuid.uuid4().hex}"
    client.http.session.headers["X-Sandbox-Fault"] = value


def attempts(rows):
    return [(row.attempt, row.retried, row.ok, row.error_kind) for row in rows]


def place(client):
    return client.call_ivr(number="+919212992129", public_ivr_id=IVR, reference_id=ref())


# --- OBD: a call-creating POST is never retried ------------------------------------------


def test_an_obd_server_error_is_unavailable_and_not_retried(mo, mo_account, audit_rows):
    before = SandboxCall.objects.count()
    fault(mo, "error")
    with pytest.raises(Unavailable) as caught:
        place(mo)
    assert caught.value.message == "We had a problem with our server. Try again later."
    assert caught.value.status_code == 500
    assert attempts(audit_rows(mo_account)) == [(1, False, False, "Unavailable")]
    assert SandboxCall.objects.count() == before


def test_an_obd_timeout_is_unavailable_and_not_retried(mo, mo_account, audit_rows, sandbox_config):
    sandbox_config("myoperator", timeout_seconds=1)
    mo.http.timeout = (1, 0.5)
    fault(mo, "timeout")
    with pytest.raises(Unavailable, match="did not answer in time"):
        place(mo)
    assert attempts(audit_rows(mo_account)) == [(1, False, False, "Unavailable")]


def test_after_a_lost_obd_answer_resending_the_same_reference_tells_it_went_through(
    mo, mo_account, audit_rows
):
    """The recovery the client documents: the vendor placed the call but its answer was
    lost (our timeout); re-sending the SAME reference_id gets "already taken", which
    says the first attempt went through, and no second call is placed."""
    reference = ref()
    mo.http.timeout = (1, 0.3)
    fault(mo, "latency=800")
    with pytest.raises(Unavailable):
        mo.call_ivr(number="+919212992129", public_ivr_id=IVR, reference_id=reference)
    deadline = time.monotonic() + 5
    while not SandboxCall.objects.filter(reference_id=reference).exists():
        assert time.monotonic() < deadline, "the sandbox never finished the first attempt"
        time.sleep(0.05)
    del mo.http.session.headers["X-Sandbox-Fault"]
    with pytest.raises(DuplicateReference):
        mo.call_ivr(number="+919212992129", public_ivr_id=IVR, reference_id=reference)
    assert SandboxCall.objects.filter(reference_id=reference).count() == 1
    assert [row.error_kind for row in audit_rows(mo_account)] == [
        "Unavailable",
        "DuplicateReference",
    ]


def test_a_malformed_obd_answer_is_a_malformed_response_and_not_retried(mo, mo_account, audit_rows):
    fault(mo, "malformed")
    with pytest.raises(MalformedResponse):
        place(mo)
    assert attempts(audit_rows(mo_account)) == [(1, False, False, "MalformedResponse")]


def test_an_obd_rate_limit_is_rate_limited_and_not_retried(mo, mo_account, audit_rows):
    fault(mo, "ratelimit")
    with pytest.raises(RateLimited) as caught:
        place(mo)
    assert caught.value.message == "Too Many Requests" and caught.value.status_code == 429
    assert attempts(audit_rows(mo_account)) == [(1, False, False, "RateLimited")]


# --- REST: reads are retried, writes are not --------------------------------------------


def test_a_rest_read_is_retried_twice_on_server_errors_then_unavailable(mo, mo_account, audit_rows):
    fault(mo, "error")
    with pytest.raises(Unavailable) as caught:
        mo.list_filters()
    assert caught.value.message == "Internal Server Error"
    assert attempts(audit_rows(mo_account)) == [
        (1, True, False, "Unavailable"),
        (2, True, False, "Unavailable"),
        (3, False, False, "Unavailable"),
    ]


def test_a_rest_read_recovers_when_only_the_first_attempt_fails(mo, mo_account, audit_rows):
    fault(mo, "error", times=1)
    assert mo.list_filters()
    assert attempts(audit_rows(mo_account)) == [
        (1, True, False, "Unavailable"),
        (2, False, True, ""),
    ]


def test_a_log_search_is_a_read_and_is_retried(mo, mo_account, audit_rows):
    fault(mo, "error")
    with pytest.raises(Unavailable):
        mo.search_logs()
    assert [row.attempt for row in audit_rows(mo_account)] == [1, 2, 3]


def test_a_rest_rate_limit_is_retried_honouring_retry_after(
    mo, mo_account, audit_rows, monkeypatch
):
    waits = []
    real = vendor_http.backoff_delay

    def spy(attempt, retry_after=None):
        waits.append(retry_after)
        return real(attempt, retry_after)

    monkeypatch.setattr(vendor_http, "backoff_delay", spy)
    fault(mo, "ratelimit", times=1)
    assert mo.list_all_users()
    assert waits == [1.0]  # the sandbox's Retry-After: 1
    assert attempts(audit_rows(mo_account)) == [
        (1, True, False, "RateLimited"),
        (2, False, True, ""),
    ]


def test_a_persistent_rest_rate_limit_is_rate_limited_after_three_attempts(
    mo, mo_account, audit_rows
):
    fault(mo, "ratelimit")
    with pytest.raises(RateLimited) as caught:
        mo.list_users()
    assert caught.value.retry_after == 1.0 and caught.value.message == "Too Many Requests"
    assert len(audit_rows(mo_account)) == 3


def test_the_sandbox_rate_limit_setting_throttles_per_token(
    mo, mo_account, audit_rows, sandbox_config
):
    sandbox_config("myoperator", rate_limit_per_minute=2)
    mo.list_filters()
    mo.list_filters()
    with pytest.raises(RateLimited):
        mo.list_filters()
    assert [row.ok for row in audit_rows(mo_account)] == [True, True, False, False, False]


def test_a_rest_timeout_is_retried_then_unavailable(mo, mo_account, audit_rows, sandbox_config):
    sandbox_config("myoperator", timeout_seconds=1)
    mo.http.timeout = (1, 0.5)
    fault(mo, "timeout")
    with pytest.raises(Unavailable, match="did not answer in time"):
        mo.list_filters()
    rows = audit_rows(mo_account)
    assert [row.attempt for row in rows] == [1, 2, 3]
    assert all(row.status_code is None for row in rows)


def test_a_malformed_rest_answer_is_retried_then_malformed(mo, mo_account, audit_rows):
    fault(mo, "malformed")
    with pytest.raises(MalformedResponse):
        mo.list_filters()
    assert [row.error_kind for row in audit_rows(mo_account)] == ["MalformedResponse"] * 3


def test_the_sandbox_error_rate_setting_fails_requests(mo, sandbox_config):
    sandbox_config("myoperator", error_rate=1.0)
    with pytest.raises(Unavailable):
        mo.list_filters()


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.click_to_call(
            customer_number="9212992129", customer_cc="91", support_user_id=AGENT
        ),
        lambda c: c.add_user(name="Nia", contact_number="9000000777", country_code="91"),
    ],
    ids=["click_to_call", "add_user"],
)
def test_rest_writes_that_create_something_are_not_retried(mo, mo_account, audit_rows, call):
    fault(mo, "error")
    with pytest.raises(Unavailable):
        call(mo)
    assert len(audit_rows(mo_account)) == 1


def test_a_user_update_is_idempotent_and_retried(mo, mo_account, audit_rows):
    fault(mo, "error", times=1)
    assert mo.update_user(uuid=AGENT, name="Asha Again") == "User updated successfully"
    assert [row.ok for row in audit_rows(mo_account)] == [False, True]


@pytest.fixture
def bad_token_client(make_account, sandbox_url):
    kwargs = sandbox.demo_account(sandbox_url)
    kwargs["secrets"]["rest_token"] = "tS5adsXC6V2nH991"
    return MyOperatorClient(make_account(**kwargs))


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.list_filters(),
        lambda c: c.search_logs(),
        lambda c: c.list_users(),
        lambda c: c.list_all_users(),
        lambda c: c.add_user(name="N", contact_number="9000000778", country_code="91"),
        lambda c: c.update_user(uuid=AGENT, name="N"),
        lambda c: c.click_to_call(
            customer_number="9212992129", customer_cc="91", support_user_id=AGENT
        ),
        lambda c: c.recording_link("abc-v2.mp3"),
    ],
    ids=["filters", "search", "users", "all_users", "add", "update", "click", "recording"],
)
def test_a_bad_rest_token_is_auth_failed_with_the_vendors_message_and_not_retried(
    bad_token_client, audit_rows, call
):
    with pytest.raises(AuthFailed) as caught:
        call(bad_token_client)
    assert caught.value.message == "This not an authorized request"
    assert caught.value.status_code == 400 and caught.value.vendor_code == 400
    assert len(audit_rows(bad_token_client.account)) == 1


# --- secrets -------------------------------------------------------------------------------


def test_no_secret_reaches_an_audit_row_a_log_line_or_an_error(
    mo, mo_account, make_account, sandbox_url, fast_calls, caplog
):
    # What the product logs (the seam logs at INFO/WARNING). urllib3's own DEBUG lines
    # print request URLs, query-string tokens included: keep urllib3 below DEBUG.
    caplog.set_level(logging.DEBUG, logger="telephony")
    caplog.set_level(logging.INFO)
    errors: list[Exception] = []

    def expect_failure(action):
        try:
            action()
        except (VendorError, InvalidRequest) as exc:
            errors.append(exc)
        else:
            raise AssertionError("expected a failure")

    # Successes on every endpoint.
    reference = ref()
    mo.call_user(
        number=number_with("answered"), user_id=AGENT, public_ivr_id=IVR, reference_id=reference
    )
    log = wait_for_logs(mo, [reference])[reference]
    mo.recording_link(log["filename"])
    mo.list_filters()
    mo.list_users(keyword="demo")
    user = mo.add_user(name="Leak Check", contact_number="9000000888", country_code="91")
    mo.update_user(uuid=user.uuid, name="Leak Checked")
    mo.click_to_call(customer_number="9212992129", customer_cc="91", support_user_id=AGENT)
    mo.check_connection()
    # Failures: vendor validation, duplicates, faults, bad credentials.
    expect_failure(
        lambda: mo.call_ivr(number="+919212992129", public_ivr_id="x", reference_id=ref())
    )
    expect_failure(
        lambda: mo.call_ivr(number="+919212992129", public_ivr_id=IVR, reference_id=reference)
    )
    expect_failure(lambda: mo.search_logs(filters="99"))
    fault(mo, "error", times=1)
    expect_failure(lambda: place(mo))
    fault(mo, "malformed", times=1)
    expect_failure(lambda: place(mo))
    del mo.http.session.headers["X-Sandbox-Fault"]
    bad = sandbox.demo_account(sandbox_url)
    bad["name"] = "MyOperator with wrong credentials"
    bad["secrets"] = {
        "secret_token": "wrong-secret-0001",
        "x_api_key": "wrong-api-key-0001",
        "rest_token": "wrong-rest-token-0001",
    }
    bad_account = make_account(**bad)
    bad_client = MyOperatorClient(bad_account)
    expect_failure(bad_client.list_filters)
    expect_failure(lambda: place(bad_client))
    bad_client.http.session.headers["X-Sandbox-Fault"] = "error"
    expect_failure(bad_client.search_logs)
    bad_account.test_connection()
    mo_account.test_connection()

    secrets = set(mo_account.secret_values()) | set(bad_account.secret_values())
    assert len(secrets) == 6
    rows = list(ProviderRequest.objects.all())
    assert len(rows) > 15
    text_fields = ("url", "endpoint", "error", "request_excerpt", "response_excerpt")
    for row in rows:
        for name in text_fields:
            value = getattr(row, name)
            assert not any(secret in value for secret in secrets), f"{name} of {row} leaks"
    logged = caplog.text
    assert "myoperator" in logged  # the seam did log
    assert not any(secret in logged for secret in secrets)
    for error in errors:
        shown = f"{error} {error!r} {getattr(error, 'message', '')}"
        assert not any(secret in shown for secret in secrets)
    for account in (mo_account, bad_account):
        account.refresh_from_db()
        assert not any(secret in account.last_test_message for secret in secrets)


def test_a_secret_typed_into_a_search_is_redacted_from_the_audit_row(mo, mo_account, audit_rows):
    token = mo_account.secrets["rest_token"]
    with pytest.raises(Rejected) as caught:
        mo.search_logs(search_key=token, filters="99")
    assert token not in str(caught.value)
    row = audit_rows(mo_account)[-1]
    assert token not in row.request_excerpt and "[redacted]" in row.request_excerpt
