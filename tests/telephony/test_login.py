"""Logging in and out, and the lock-out after repeated failed logins (per username and
per client address) that an admin's password reset lifts."""

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from tests.factories import PASSWORD, UserFactory

LIMIT = 3
HOME = "203.0.113.10"  # documentation addresses: only ever a header value here
ELSEWHERE = "203.0.113.99"
THROTTLED = "Too many failed log-in attempts."
WRONG = "Please enter a correct username and password."
NEW_PASSWORD = "Tangerine-Orbit-42"


@pytest.fixture(autouse=True)
def small_limit(settings):
    settings.LOGIN_FAILURE_LIMIT = LIMIT
    settings.LOGIN_LOCKOUT_SECONDS = 600


@pytest.fixture(autouse=True)
def fresh_counters(db):
    # A Redis cache (CI's second run) outlives each test's transaction: start and end clean.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def ravi(db):
    return UserFactory(username="ravi", role="Viewer")


def log_in(username, password, address=HOME):
    client = Client(REMOTE_ADDR=address)
    response = client.post(reverse("login"), {"username": username, "password": password})
    return client, response


def fail(times, username="ravi", address=HOME):
    for _ in range(times):
        _client, response = log_in(username, "not-the-password", address)
        assert response.status_code == 200


def test_a_user_logs_in_with_the_right_password(ravi):
    client, response = log_in("ravi", PASSWORD)

    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert client.get(reverse("home")).status_code == 200


def test_the_login_page_is_open_to_anyone(db):
    response = Client().get(reverse("login"))
    assert response.status_code == 200 and 'name="password"' in response.content.decode()


def test_a_wrong_password_shows_an_error_and_logs_no_one_in(ravi):
    client, response = log_in("ravi", "not-the-password")

    html = response.content.decode()
    assert response.status_code == 200 and WRONG in html
    assert THROTTLED not in html
    assert "_auth_user_id" not in client.session


def test_an_unknown_username_gets_the_same_error_as_a_wrong_password(db):
    _client, response = log_in("nobody", "not-the-password")
    assert WRONG in response.content.decode()


def test_after_the_failure_limit_even_the_right_password_is_refused(ravi):
    fail(LIMIT)

    client, response = log_in("ravi", PASSWORD)

    html = response.content.decode()
    assert response.status_code == 200
    assert THROTTLED in html and "Wait 10 minutes" in html
    assert "_auth_user_id" not in client.session


def test_failures_below_the_limit_do_not_lock_and_a_success_starts_the_users_count_again(ravi):
    fail(LIMIT - 1)
    assert log_in("ravi", PASSWORD)[1].status_code == 302

    fail(LIMIT - 1, address=ELSEWHERE)
    assert log_in("ravi", PASSWORD, address=ELSEWHERE)[1].status_code == 302


def test_a_success_does_not_reset_the_failures_counted_against_the_address(ravi):
    UserFactory(username="meera", role="Viewer")
    fail(LIMIT - 1, username="someone-else")
    assert log_in("ravi", PASSWORD)[1].status_code == 302

    fail(1, username="someone-else")

    assert THROTTLED in log_in("meera", PASSWORD)[1].content.decode()


@pytest.mark.parametrize(
    "blank",
    [
        {"password": ""},
        {},
        {"password": "   "},
    ],
    ids=["an empty password", "no password field", "a blank password"],
)
def test_an_attempt_without_a_password_counts_as_a_failure_and_resets_nothing(ravi, blank):
    """The bypass: 4 wrong passwords, 1 empty one, and again, for ever."""
    for _round in range(3):
        fail(LIMIT - 1)
        client = Client(REMOTE_ADDR=HOME)
        client.post(reverse("login"), {"username": "ravi", **blank})

    _client, response = log_in("ravi", PASSWORD, address=ELSEWHERE)
    assert THROTTLED in response.content.decode()
    _client, response = log_in("someone-else", "anything", address=HOME)
    assert THROTTLED in response.content.decode()


def test_an_attempt_without_a_username_counts_against_the_address(ravi):
    for _ in range(LIMIT):
        Client(REMOTE_ADDR=HOME).post(reverse("login"), {"password": "guess"})

    assert THROTTLED in log_in("ravi", PASSWORD)[1].content.decode()


def test_guesses_keep_being_refused_while_locked_even_with_the_right_password(ravi):
    fail(LIMIT)
    for _ in range(3):
        assert THROTTLED in log_in("ravi", PASSWORD)[1].content.decode()


def test_the_lock_follows_the_username_to_another_address(ravi):
    fail(LIMIT, address=HOME)

    _client, response = log_in("ravi", PASSWORD, address=ELSEWHERE)

    assert THROTTLED in response.content.decode()


def test_the_lock_follows_the_username_whatever_its_case(ravi):
    fail(LIMIT, username="RAVI")
    assert THROTTLED in log_in("ravi", PASSWORD)[1].content.decode()


def test_the_lock_follows_the_address_to_another_username(ravi):
    meera = UserFactory(username="meera", role="Viewer")
    fail(LIMIT, username="someone-else", address=HOME)

    assert THROTTLED in log_in(meera.username, PASSWORD, address=HOME)[1].content.decode()
    # The same user from another address is not locked: the lock was the address's.
    assert log_in(meera.username, PASSWORD, address=ELSEWHERE)[1].status_code == 302


def test_an_admin_password_reset_lifts_the_lock(ravi, admin_client):
    fail(LIMIT)
    assert THROTTLED in log_in("ravi", PASSWORD)[1].content.decode()

    admin_client.post(
        reverse("telephony:user_password", args=[ravi.pk]),
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    client, response = log_in("ravi", NEW_PASSWORD)
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert client.get(reverse("home")).status_code == 200


def test_a_password_reset_lifts_only_that_users_lock(ravi, admin_client):
    UserFactory(username="meera", role="Viewer")
    fail(LIMIT, username="meera", address=ELSEWHERE)
    fail(LIMIT, username="ravi", address=HOME)

    admin_client.post(
        reverse("telephony:user_password", args=[ravi.pk]),
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert log_in("ravi", NEW_PASSWORD)[1].status_code == 302
    assert THROTTLED in log_in("meera", PASSWORD, address=ELSEWHERE)[1].content.decode()


def test_an_inactive_user_cannot_log_in(db):
    UserFactory(username="gone", role="Viewer", is_active=False)
    client, response = log_in("gone", PASSWORD)
    assert response.status_code == 200 and "_auth_user_id" not in client.session


def test_logout_is_post_only(viewer_client):
    assert viewer_client.get(reverse("logout")).status_code == 405
    assert viewer_client.get(reverse("home")).status_code == 200

    response = viewer_client.post(reverse("logout"))

    assert response.status_code == 302 and response["Location"] == reverse("login")
    after = viewer_client.get(reverse("home"))
    assert after.status_code == 302 and "/accounts/login/" in after["Location"]


def test_the_user_menu_logs_out_with_a_form_post(viewer_client):
    html = viewer_client.get(reverse("home")).content.decode()
    assert f'<form method="post" action="{reverse("logout")}">' in html
