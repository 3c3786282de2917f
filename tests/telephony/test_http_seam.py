"""The vendor HTTP seam over real HTTP: a tiny threaded server on 127.0.0.1 answers each
request with the next programmed response, and every attempt must leave its audit row."""

import json
import logging
import socket
import time

import pytest
from django.conf import settings
from django.test import override_settings

from telephony.models import ProviderRequest
from telephony.vendors import http as seam
from telephony.vendors.base import (
    AuthFailed,
    MalformedResponse,
    RateLimited,
    Rejected,
    Unavailable,
)
from telephony.vendors.http import REDACTED, USER_AGENT, VendorHTTP, backoff_delay
from tests.factories import ProviderAccountFactory
from tests.telephony.scripted_vendor import DROP, Hang, Reply, start_server, stop_server

pytestmark = pytest.mark.django_db


@pytest.fixture
def vendor():
    server = start_server()
    yield server
    stop_server(server)


@pytest.fixture
def sleeps(monkeypatch):
    """The back-off delays the seam waited (no real waiting)."""
    waited = []
    monkeypatch.setattr(time, "sleep", waited.append)
    return waited


@pytest.fixture
def account():
    return ProviderAccountFactory(kind="cpaas", name="Seam test account", secrets={})


def rows(account=None):
    queryset = ProviderRequest.objects.order_by("created_at", "id")
    return list(queryset.filter(account=account) if account else queryset)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- retries ----------------------------------------------------------------------------


def test_the_default_allows_two_retries():
    assert settings.VENDOR_HTTP["max_retries"] == 2


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_a_get_is_retried_on_a_server_error_and_then_reported_unavailable(
    vendor, sleeps, account, status
):
    vendor.program(*[Reply(status, {"message": f"down {n}"}) for n in range(5)])
    http = VendorHTTP("cpaas", account=account)

    with pytest.raises(Unavailable) as caught:
        http.request("GET", f"{vendor.url}/cdr", endpoint="cdr by date")

    assert caught.value.status_code == status
    assert caught.value.message == "down 2"
    assert len(vendor.seen) == 3
    audit = rows(account)
    assert [row.attempt for row in audit] == [1, 2, 3]
    assert [row.retried for row in audit] == [True, True, False]
    assert [row.status_code for row in audit] == [status] * 3
    assert all(not row.ok and row.error_kind == "Unavailable" for row in audit)
    assert {row.endpoint for row in audit} == {"cdr by date"}
    assert len(sleeps) == 2


def test_a_get_is_retried_on_429_and_then_reported_rate_limited(vendor, sleeps, account):
    vendor.program(*[Reply(429, {"message": "Too many requests"}) for _ in range(3)])

    with pytest.raises(RateLimited, match="Too many requests"):
        VendorHTTP("cpaas", account=account).request("GET", f"{vendor.url}/stats")

    audit = rows(account)
    assert [(row.attempt, row.retried, row.status_code) for row in audit] == [
        (1, True, 429),
        (2, True, 429),
        (3, False, 429),
    ]
    assert {row.error_kind for row in audit} == {"RateLimited"}


def test_a_get_is_retried_when_the_vendor_drops_the_connection(vendor, sleeps, account):
    vendor.program(DROP, DROP, DROP)

    with pytest.raises(Unavailable, match="Could not connect"):
        VendorHTTP("cpaas", account=account).request("GET", f"{vendor.url}/stats")

    audit = rows(account)
    assert len(vendor.seen) == 3
    assert [(row.attempt, row.status_code, row.ok) for row in audit] == [
        (1, None, False),
        (2, None, False),
        (3, None, False),
    ]


def test_a_get_is_retried_when_nothing_listens(sleeps, account):
    url = f"http://127.0.0.1:{closed_port()}/stats"

    with pytest.raises(Unavailable, match="Could not connect"):
        VendorHTTP("cpaas", account=account).request("GET", url)

    assert [row.attempt for row in rows(account)] == [1, 2, 3]


def test_a_get_that_recovers_returns_the_vendors_answer(vendor, sleeps, account):
    vendor.program(Reply(503), DROP, Reply(200, {"status": "success", "data": [1, 2]}))

    response = VendorHTTP("cpaas", account=account).request("GET", f"{vendor.url}/list")

    assert response.status_code == 200
    assert response.data == {"status": "success", "data": [1, 2]}
    audit = rows(account)
    assert [(row.attempt, row.retried, row.ok) for row in audit] == [
        (1, True, False),
        (2, True, False),
        (3, False, True),
    ]
    assert audit[-1].error_kind == "" and audit[-1].error == ""


def test_a_post_is_not_retried(vendor, sleeps, account):
    vendor.program(Reply(503, {"message": "busy"}), Reply(200))

    with pytest.raises(Unavailable):
        VendorHTTP("cpaas", account=account).request(
            "POST", f"{vendor.url}/call", json_body={"to": "+919800000001"}
        )

    assert len(vendor.seen) == 1
    audit = rows(account)
    assert len(audit) == 1
    assert (audit[0].attempt, audit[0].retried) == (1, False)
    assert sleeps == []


def test_a_post_on_a_dropped_connection_is_not_retried(vendor, sleeps, account):
    vendor.program(DROP, Reply(200))

    with pytest.raises(Unavailable):
        VendorHTTP("cpaas", account=account).request("POST", f"{vendor.url}/call", json_body={})

    assert len(vendor.seen) == 1
    assert len(rows(account)) == 1


def test_a_post_the_vendor_deduplicates_is_retried(vendor, sleeps, account):
    vendor.program(Reply(502), Reply(504), Reply(200, {"id": "abc"}))

    response = VendorHTTP("cpaas", account=account).request(
        "POST", f"{vendor.url}/call", json_body={"reference_id": "r-1"}, idempotent=True
    )

    assert response.data == {"id": "abc"}
    assert len(vendor.seen) == 3
    assert [json.loads(seen.body) for seen in vendor.seen] == [{"reference_id": "r-1"}] * 3
    assert [row.attempt for row in rows(account)] == [1, 2, 3]


def test_a_get_marked_not_idempotent_is_not_retried(vendor, sleeps, account):
    vendor.program(Reply(500), Reply(200))

    with pytest.raises(Unavailable):
        VendorHTTP("cpaas", account=account).request("GET", f"{vendor.url}/dial", idempotent=False)

    assert len(rows(account)) == 1


def test_max_retries_can_be_set_per_session(vendor, sleeps, account):
    vendor.program(*[Reply(500) for _ in range(6)])

    with pytest.raises(Unavailable):
        VendorHTTP("cpaas", account=account, max_retries=4).request("GET", f"{vendor.url}/x")

    assert [row.attempt for row in rows(account)] == [1, 2, 3, 4, 5]


# --- back-off ---------------------------------------------------------------------------


def test_retry_after_of_a_429_is_honoured(vendor, sleeps, account):
    vendor.program(Reply(429, {"message": "slow down"}, {"Retry-After": "0.03"}), Reply(200))

    VendorHTTP("cpaas", account=account).request("GET", f"{vendor.url}/stats")

    assert sleeps == [0.03]


def test_a_long_retry_after_is_capped_by_the_backoff_cap(vendor, sleeps, account):
    vendor.program(Reply(429, {}, {"Retry-After": "120"}), Reply(200))

    VendorHTTP("cpaas", account=account).request("GET", f"{vendor.url}/stats")

    assert sleeps == [settings.VENDOR_HTTP["backoff_cap"]]


def test_the_backoff_bound_doubles_each_attempt_up_to_the_cap(vendor, sleeps, monkeypatch, account):
    bounds = []

    def uniform(low, high):
        bounds.append((low, high))
        return high

    monkeypatch.setattr(seam.random, "uniform", uniform)
    vendor.program(*[Reply(503) for _ in range(5)])
    base, cap = settings.VENDOR_HTTP["backoff_base"], settings.VENDOR_HTTP["backoff_cap"]

    with pytest.raises(Unavailable):
        VendorHTTP("cpaas", account=account, max_retries=4).request("GET", f"{vendor.url}/x")

    expected = [min(cap, base * 2**n) for n in range(4)]
    assert bounds == [(0, bound) for bound in expected]
    assert sleeps == expected
    assert expected[0] < expected[1] < expected[2] and expected[-1] == cap


@override_settings(VENDOR_HTTP={**settings.VENDOR_HTTP, "backoff_base": 1.0, "backoff_cap": 8.0})
def test_the_backoff_is_jittered_within_its_bounds():
    for attempt in range(6):
        bound = min(8.0, 2.0**attempt)
        delays = [backoff_delay(attempt) for _ in range(300)]
        assert all(0 <= delay <= bound for delay in delays)
        # Full jitter: spread over the whole range, not one fixed value.
        assert min(delays) < bound * 0.2 and max(delays) > bound * 0.8
        assert len(set(delays)) > 250


# --- typed errors -----------------------------------------------------------------------


@pytest.mark.parametrize("status", [401, 403])
def test_bad_credentials_are_an_auth_failure_and_not_retried(vendor, sleeps, account, status):
    vendor.program(Reply(status, {"message": "Invalid API key"}), Reply(200))

    with pytest.raises(AuthFailed) as caught:
        VendorHTTP("cpaas", account=account).request("GET", f"{vendor.url}/cdr")

    assert caught.value.message == "Invalid API key"
    assert caught.value.status_code == status
    assert len(vendor.seen) == 1
    [row] = rows(account)
    assert (row.status_code, row.error_kind, row.error) == (status, "AuthFailed", "Invalid API key")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"status": "error", "details": "Invalid number"}, "Invalid number"),
        ({"status": "fail", "message": "company_id is required"}, "company_id is required"),
        (
            {"error": "invalid_grant", "error_description": "Invalid user credentials"},
            "Invalid user credentials",
        ),
        (
            {"errors": [{"message": "name is taken"}, {"message": "size too big"}]},
            "name is taken; size too big",
        ),
    ],
)
def test_a_400_is_rejected_with_the_vendors_own_message(vendor, sleeps, account, body, message):
    vendor.program(Reply(400, body), Reply(200))

    with pytest.raises(Rejected) as caught:
        VendorHTTP("cpaas", account=account).request("GET", f"{vendor.url}/x")

    assert caught.value.message == message
    assert caught.value.payload == body
    assert message in str(caught.value)
    [row] = rows(account)
    assert (row.error_kind, row.error, row.status_code) == ("Rejected", message, 400)


def test_a_400_without_a_json_body_is_rejected_with_its_status_never_its_text(
    vendor, sleeps, account
):
    # A body that is not a vendor's (a base URL pointing at some other server) is never
    # quoted: the status, content type and size say enough to fix the base URL.
    vendor.program(Reply(400, "Bad Request: missing to", {"Content-Type": "text/plain"}))

    with pytest.raises(Rejected) as caught:
        VendorHTTP("cpaas", account=account).request("GET", f"{vendor.url}/x")

    assert caught.value.message == (
        "The answer (HTTP 400, text/plain, 23 bytes) is not from the vendor's API: "
        "check the account's base URL."
    )
    [row] = rows(account)
    assert row.response_excerpt == "[not a vendor answer: text/plain, 23 bytes]"


def test_a_vendor_that_does_not_answer_in_time_is_unavailable(vendor, sleeps, account):
    vendor.program(Hang(1.0), Hang(1.0), Hang(1.0))
    http = VendorHTTP("cpaas", account=account, timeout=(2, 0.2))

    with pytest.raises(Unavailable, match="did not answer in time"):
        http.request("GET", f"{vendor.url}/slow")

    audit = rows(account)
    assert [(row.attempt, row.status_code) for row in audit] == [(1, None), (2, None), (3, None)]
    assert all(row.error_kind == "Unavailable" for row in audit)
    assert all(row.latency_ms >= 150 for row in audit)


def test_a_post_that_times_out_is_not_retried(vendor, sleeps, account):
    vendor.program(Hang(1.0), Reply(200))

    with pytest.raises(Unavailable):
        VendorHTTP("cpaas", account=account, timeout=(2, 0.2)).request(
            "POST", f"{vendor.url}/call", json_body={}
        )

    assert len(rows(account)) == 1


def test_a_body_that_is_not_json_is_a_malformed_response(vendor, sleeps, account):
    vendor.program(Reply(200, b'{"status": "succ'))

    with pytest.raises(MalformedResponse):
        VendorHTTP("cpaas", account=account).request("POST", f"{vendor.url}/call")

    [row] = rows(account)
    assert (row.status_code, row.ok, row.error_kind) == (200, False, "MalformedResponse")
    assert row.response_excerpt == "[not a vendor answer: application/json, 16 bytes]"


def test_a_malformed_answer_to_a_get_is_retried(vendor, sleeps, account):
    vendor.program(Reply(200, b"<html>oops"), Reply(200, {"ok": True}))

    response = VendorHTTP("cpaas", account=account).request("GET", f"{vendor.url}/x")

    assert response.data == {"ok": True}
    assert [row.error_kind for row in rows(account)] == ["MalformedResponse", ""]


def test_a_non_json_answer_is_fine_when_none_is_expected(vendor, sleeps, account):
    vendor.program(Reply(200, b"ID3 mp3 bytes", {"Content-Type": "audio/mpeg"}))

    response = VendorHTTP("cpaas", account=account).request(
        "GET", f"{vendor.url}/recording.mp3", expect_json=False
    )

    assert response.content == b"ID3 mp3 bytes" and response.data is None
    assert rows(account)[0].ok


def test_the_classify_hook_turns_an_http_200_error_body_into_its_error(vendor, sleeps, account):
    vendor.program(Reply(200, {"status": "error", "code": 403, "message": "Invalid x-api-key"}))

    def classify(response):
        if response.data.get("status") == "error":
            return AuthFailed(response.data["message"], vendor_code=response.data["code"])
        return None

    with pytest.raises(AuthFailed) as caught:
        VendorHTTP("myoperator", account=account).request(
            "GET", f"{vendor.url}/obd", classify=classify
        )

    assert caught.value.vendor == "myoperator"
    assert caught.value.status_code == 200
    assert caught.value.vendor_code == 403
    [row] = rows(account)
    assert (row.status_code, row.ok, row.error_kind) == (200, False, "AuthFailed")


def test_the_classify_hook_wins_over_the_status_code(vendor, sleeps, account):
    vendor.program(Reply(500, {"code": "DUPLICATE", "message": "Already exists"}), Reply(200))

    def classify(response):
        if response.data and response.data.get("code") == "DUPLICATE":
            return Rejected(response.data["message"])
        return None

    with pytest.raises(Rejected, match="Already exists"):
        VendorHTTP("cpaas", account=account).request("GET", f"{vendor.url}/x", classify=classify)

    assert len(vendor.seen) == 1  # a permanent refusal is not retried, 500 or not


def test_a_classify_hook_that_accepts_falls_back_to_the_status_code(vendor, sleeps, account):
    vendor.program(Reply(404, {"message": "No such campaign"}))

    with pytest.raises(Rejected, match="No such campaign"):
        VendorHTTP("cpaas", account=account).request(
            "GET", f"{vendor.url}/x", classify=lambda response: None
        )


# --- what every request carries and leaves behind ---------------------------------------


def test_every_request_says_who_it_is(vendor, account):
    vendor.program(Reply(200), Reply(200))
    http = VendorHTTP("cpaas", account=account)

    http.request("GET", f"{vendor.url}/a")
    http.request("POST", f"{vendor.url}/b", json_body={"x": 1})

    assert [seen.headers["User-Agent"] for seen in vendor.seen] == [USER_AGENT] * 2
    assert USER_AGENT.startswith("Dialdesk/")


def test_each_attempt_leaves_one_complete_audit_row(vendor, sleeps, account):
    vendor.program(Reply(500, {"message": "oops"}), Reply(201, {"id": 7}))

    VendorHTTP("cpaas", account=account).request(
        "PUT",
        f"{vendor.url}/callback/7",
        endpoint="callback update",
        params={"lang": "en"},
        json_body={"time": "10:00"},
    )

    first, second = rows(account)
    for row in (first, second):
        assert row.account == account
        assert (row.vendor, row.method, row.endpoint) == ("cpaas", "PUT", "callback update")
        assert row.url == f"{vendor.url}/callback/7?lang=en"
        assert row.request_excerpt == '{"time": "10:00"}'
        assert row.latency_ms >= 0
    assert (first.attempt, first.retried, first.ok, first.status_code) == (1, True, False, 500)
    assert first.error == "oops" and first.response_excerpt == '{"message": "oops"}'
    assert (second.attempt, second.retried, second.ok, second.status_code) == (2, False, True, 201)
    assert second.response_excerpt == '{"id": 7}'


def test_the_endpoint_defaults_to_the_path(vendor, account):
    vendor.program(Reply(200))

    VendorHTTP("cpaas", account=account).request("GET", f"{vendor.url}/api/v1/cdr?x=1")

    assert rows(account)[0].endpoint == "/api/v1/cdr"


# --- redaction --------------------------------------------------------------------------

TOKEN = "tok-7f3a9c2e51d84b06"
PASSWORD = "hunter2-correct-horse"
RUNTIME_TOKEN = "eyJhbGciOiJSUzI1NiJ9.access-token-issued-at-run-time"
UNREGISTERED = "never-registered-but-secret-named-41"


def everything_recorded(caplog) -> str:
    recorded = [
        " ".join([row.url, row.request_excerpt, row.response_excerpt, row.error])
        for row in ProviderRequest.objects.all()
    ]
    recorded += [record.getMessage() for record in caplog.records]
    return "\n".join(recorded)


def test_secrets_never_reach_the_audit_rows_the_logs_or_the_errors(vendor, sleeps, account, caplog):
    caplog.set_level(logging.INFO, logger="telephony.vendors")
    vendor.program(
        # An OAuth token answer: the token is learned at run time.
        Reply(200, {"access_token": RUNTIME_TOKEN, "refresh_token": UNREGISTERED}),
        # A vendor that echoes what it got, in its error message and elsewhere.
        Reply(
            400,
            {
                "message": f"Invalid token {TOKEN} for user bob",
                "echo": RUNTIME_TOKEN,
                "Authorization": f"Bearer {RUNTIME_TOKEN}",
            },
        ),
        # (A plain-text body is not quoted at all: see the test of non-vendor answers.)
        Reply(401, {"message": f"password={PASSWORD}&user=bob rejected"}),
    )
    http = VendorHTTP("omilia", account=account, secrets=[TOKEN, PASSWORD])
    errors = []

    http.request(
        "POST",
        f"{vendor.url}/token",
        data={"grant_type": "password", "username": "bob", "password": PASSWORD},
    )
    http.add_secret(RUNTIME_TOKEN)
    http.add_secret(UNREGISTERED)
    with pytest.raises(Rejected) as caught:
        http.request(
            "GET",
            f"{vendor.url}/numbers",
            params={"token": TOKEN, "pageSize": 10},
            headers={"Authorization": f"Bearer {RUNTIME_TOKEN}"},
        )
    errors.append(caught.value)
    with pytest.raises(AuthFailed) as caught:
        http.request(
            "POST",
            f"{vendor.url}/login",
            json_body={"username": "bob", "password": PASSWORD, "api_key": "plain-key-not-given"},
        )
    errors.append(caught.value)

    # The wire carried the real values: redaction is for records only.
    assert TOKEN in vendor.seen[1].path
    assert vendor.seen[1].headers["Authorization"] == f"Bearer {RUNTIME_TOKEN}"
    assert PASSWORD.encode() in vendor.seen[2].body

    recorded = everything_recorded(caplog) + "\n".join(str(exc) for exc in errors)
    for secret in (TOKEN, PASSWORD, RUNTIME_TOKEN, UNREGISTERED, "plain-key-not-given"):
        assert secret not in recorded
    assert caplog.records, "the seam logs every attempt"
    token_row, numbers_row, login_row = rows(account)
    assert "password=[redacted]" in token_row.request_excerpt or (
        f'"password": "{REDACTED}"' in token_row.request_excerpt
    )
    assert f'"access_token": "{REDACTED}"' in token_row.response_excerpt
    assert f"token={REDACTED}" in numbers_row.url and "pageSize=10" in numbers_row.url
    assert numbers_row.error == f"Invalid token {REDACTED} for user bob"
    assert f'"Authorization": "{REDACTED}"' in numbers_row.response_excerpt
    assert str(errors[0]).endswith(f"Invalid token {REDACTED} for user bob")
    assert f'"api_key": "{REDACTED}"' in login_row.request_excerpt
    assert '"username": "bob"' in login_row.request_excerpt
    assert f"password={REDACTED}" in login_row.response_excerpt
    assert f"password={REDACTED}" in login_row.error


def test_a_secret_in_the_url_path_is_redacted(vendor, account, caplog):
    caplog.set_level(logging.INFO, logger="telephony.vendors")
    vendor.program(Reply(200))

    VendorHTTP("oca", account=account, secrets=[TOKEN]).request(
        "GET", f"{vendor.url}/keys/{TOKEN}/status"
    )

    [row] = rows(account)
    assert row.url == f"{vendor.url}/keys/{REDACTED}/status"
    assert TOKEN not in everything_recorded(caplog)


def test_short_values_are_not_treated_as_secrets():
    redact = seam.Redactor(["abc", "", None, "long-enough"])

    assert redact("abc long-enough") == f"abc {REDACTED}"
