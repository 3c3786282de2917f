"""Omilia sign-in: Keycloak password grant, refresh before expiry, fallback to the
password when the refresh token is dead, one re-authentication on a 401, logout and the
shared encrypted token cache, against the sandbox over real HTTP."""

import time

import pytest
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from django.db import connection

from telephony.vendors.base import AuthFailed
from telephony.vendors.omilia import sandbox
from telephony.vendors.omilia.client import OmiliaClient

from .omilia_support import (
    TOKEN_ENDPOINT,
    api_rows,
    expire_sandbox_tokens,
    grant_of,
    omilia_account,
    row_summary,
    token_rows,
)


@pytest.fixture
def account(make_account, sandbox_url):
    sandbox.seed_demo()
    return omilia_account(make_account, sandbox_url)


def fresh_client(account) -> OmiliaClient:
    return account.client()


def test_a_password_grant_reads_expires_in_from_the_response(account, monkeypatch):
    monkeypatch.setitem(sandbox.TOKEN_LIFETIMES, "access", 3600)
    monkeypatch.setitem(sandbox.TOKEN_LIFETIMES, "refresh", 7200)
    ocp = fresh_client(account)
    before = time.time()
    tokens = ocp.authenticate()
    assert 3590 < tokens.expires_at - before <= 3601
    assert 7190 < tokens.refresh_expires_at - before <= 7201
    # It refreshes 30 seconds before the end, not at a hard-coded 300 s.
    assert tokens.expires_at - tokens.renew_at == pytest.approx(30)


def test_a_short_lived_token_is_renewed_halfway_rather_than_never_used(account, monkeypatch):
    monkeypatch.setitem(sandbox.TOKEN_LIFETIMES, "access", 20)
    tokens = fresh_client(account).authenticate()
    assert tokens.expires_at - tokens.renew_at == pytest.approx(10)


def test_an_access_token_near_expiry_is_refreshed_before_the_request(account, audit_rows):
    ocp = fresh_client(account)
    ocp.list_numbers(page_size=1)
    first_token = ocp._tokens.access_token
    # 280 s later the 300 s token is inside the 30 s margin: refresh, then call.
    ocp.clock = lambda: time.time() + 280
    ocp.list_numbers(page_size=1)

    rows = audit_rows(account)
    assert [grant_of(row) for row in token_rows(rows)] == ["password", "refresh_token"]
    assert row_summary(rows) == [
        ("POST", TOKEN_ENDPOINT, 200, ""),
        ("GET", "/api/numbers", 200, ""),
        ("POST", TOKEN_ENDPOINT, 200, ""),
        ("GET", "/api/numbers", 200, ""),
    ]
    assert ocp._tokens.access_token != first_token


def test_a_refused_refresh_token_falls_back_to_the_password_grant(account, audit_rows):
    ocp = fresh_client(account)
    ocp.authenticate()
    expire_sandbox_tokens("refresh")  # Keycloak: "Token is not active"
    ocp.clock = lambda: time.time() + 290

    page = ocp.list_numbers(page_size=1)

    assert page.total == 7
    rows = audit_rows(account)
    assert [grant_of(row) for row in token_rows(rows)] == [
        "password",
        "refresh_token",
        "password",
    ]
    refused = token_rows(rows)[1]
    assert (refused.status_code, refused.error_kind) == (400, "AuthFailed")
    assert refused.error == "Token is not active"
    assert row_summary(api_rows(rows)) == [("GET", "/api/numbers", 200, "")]


def test_a_refresh_token_known_to_be_expired_is_not_even_tried(account, audit_rows):
    ocp = fresh_client(account)
    ocp.authenticate()
    ocp.clock = lambda: time.time() + 1900  # past refresh_expires_in (1800)

    ocp.list_numbers(page_size=1)

    assert [grant_of(row) for row in token_rows(audit_rows(account))] == [
        "password",
        "password",
    ]


def test_a_401_from_the_api_reauthenticates_once_and_repeats_the_request(account, audit_rows):
    ocp = fresh_client(account)
    ocp.authenticate()
    expire_sandbox_tokens("access")  # the server ends the token early

    page = ocp.list_numbers(page_size=2)

    assert len(page.items) == 2
    rows = audit_rows(account)
    assert row_summary(rows) == [
        ("POST", TOKEN_ENDPOINT, 200, ""),
        ("GET", "/api/numbers", 401, "AuthFailed"),
        ("POST", TOKEN_ENDPOINT, 200, ""),
        ("GET", "/api/numbers", 200, ""),
    ]
    assert grant_of(rows[2]) == "refresh_token"


def test_a_second_401_gives_up_with_auth_failed(make_account, sandbox_url, audit_rows):
    # EU1's Keycloak signs tokens that US1's numbers API does not accept.
    account = omilia_account(make_account, sandbox_url, region="us1", token_region="eu1")
    ocp = fresh_client(account)

    with pytest.raises(AuthFailed) as caught:
        ocp.list_numbers()

    assert caught.value.status_code == 401
    assert caught.value.message == "Unauthorized"
    assert row_summary(audit_rows(account)) == [
        ("POST", TOKEN_ENDPOINT, 200, ""),
        ("GET", "/api/numbers", 401, "AuthFailed"),
        ("POST", TOKEN_ENDPOINT, 200, ""),
        ("GET", "/api/numbers", 401, "AuthFailed"),
    ]


def test_a_bad_password_fails_with_keycloaks_own_message(make_account, sandbox_url, audit_rows):
    account = omilia_account(make_account, sandbox_url, password="not-the-password")

    with pytest.raises(AuthFailed) as caught:
        fresh_client(account).list_numbers()

    error = caught.value
    assert error.message == "Invalid user credentials"
    assert (error.status_code, error.vendor_code) == (401, "invalid_grant")
    assert row_summary(audit_rows(account)) == [("POST", TOKEN_ENDPOINT, 401, "AuthFailed")]


def test_a_bad_password_makes_the_connection_test_fail_in_keycloaks_words(
    make_account, sandbox_url
):
    account = omilia_account(make_account, sandbox_url, password="not-the-password")
    result = account.test_connection()
    assert result.ok is False
    assert result.message == "Invalid user credentials"


def test_the_otp_is_sent_when_the_account_has_one(make_account, sandbox_url):
    user = sandbox.SANDBOX_USERS["dialdesk-2fa"]
    with_otp = omilia_account(
        make_account, sandbox_url, username="dialdesk-2fa", otp=user["otp"], name="with otp"
    )
    without = omilia_account(make_account, sandbox_url, username="dialdesk-2fa", name="no otp")

    assert fresh_client(with_otp).check_connection().ok
    with pytest.raises(AuthFailed, match="Invalid user credentials"):
        fresh_client(without).authenticate()


def test_clients_of_one_account_share_the_token_through_the_cache(account, audit_rows):
    fresh_client(account).list_numbers(page_size=1)
    fresh_client(account).list_numbers(page_size=1)
    fresh_client(account).list_sets()

    assert [grant_of(row) for row in token_rows(audit_rows(account))] == ["password"]


def test_cached_tokens_are_encrypted(account):
    ocp = fresh_client(account)
    tokens = ocp.authenticate()

    blob = cache.get(ocp._cache_key())
    assert blob and tokens.access_token not in blob and tokens.refresh_token not in blob
    stored = raw_cache_contents()
    assert stored and tokens.access_token not in stored and tokens.refresh_token not in stored


def raw_cache_contents() -> str:
    """Everything the configured cache holds, as stored: the database table by default,
    Redis's raw values when REDIS_URL switches the cache to Redis."""
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        client = backend._cache.get_client(write=False)
        return " ".join(repr(client.get(key)) for key in client.keys("*"))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT value FROM {backend._table}")
        return " ".join(str(row[0]) for row in cursor.fetchall())


def test_another_account_never_reuses_the_cached_token(account, make_account, sandbox_url):
    fresh_client(account).authenticate()
    other = omilia_account(make_account, sandbox_url, name="second account")
    assert fresh_client(other)._current_tokens() is None


def test_logout_ends_the_keycloak_session(account, audit_rows):
    ocp = fresh_client(account)
    old = ocp.authenticate()

    assert ocp.logout() is True

    logout_row = audit_rows(account)[-1]
    assert logout_row.endpoint.endswith("/logout") and logout_row.status_code == 204
    # The old refresh token is dead now, and a new client signs in again.
    ocp._tokens = old
    with pytest.raises(AuthFailed, match="Session not active"):
        ocp.refresh()
    fresh = fresh_client(account)
    assert fresh._current_tokens() is None
    assert fresh.list_numbers(page_size=1).total == 7


def test_logout_without_a_session_sends_nothing(account, audit_rows):
    assert fresh_client(account).logout() is False
    assert audit_rows(account) == []


def test_a_flaky_token_endpoint_is_retried(account, audit_rows):
    ocp = fresh_client(account)
    ocp.http.session.headers["X-Sandbox-Fault"] = "error;count=1;key=omilia-token-flaky"

    ocp.authenticate()

    assert [(row.status_code, row.error_kind) for row in audit_rows(account)] == [
        (500, "Unavailable"),
        (200, ""),
    ]
