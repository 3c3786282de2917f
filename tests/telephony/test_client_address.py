"""The client address the log-in throttle counts by: REMOTE_ADDR, or X-Forwarded-For
believed only through the proxies TRUSTED_PROXIES names."""

import ipaddress

import pytest
from django.core.cache import cache
from django.test import Client, RequestFactory
from django.urls import reverse

from telephony.forms import client_address
from tests.factories import PASSWORD, UserFactory

PROXY = "10.0.0.5"
THROTTLED = "Too many failed log-in attempts."


def address(remote, forwarded=None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return client_address(RequestFactory().get("/", **extra))


def networks(*items):
    return [ipaddress.ip_network(item) for item in items]


def test_with_no_trusted_proxy_the_forwarded_header_is_ignored(settings):
    settings.TRUSTED_PROXIES = 0
    assert address(PROXY, "198.51.100.7") == PROXY


def test_one_trusted_proxy_gives_the_address_it_saw(settings):
    settings.TRUSTED_PROXIES = 1
    assert address(PROXY, "198.51.100.7") == "198.51.100.7"


def test_a_client_cannot_choose_its_address_by_writing_the_header_itself(settings):
    settings.TRUSTED_PROXIES = 1
    # The client sent "X-Forwarded-For: 1.2.3.4"; the proxy appended the real peer.
    assert address(PROXY, "1.2.3.4, 198.51.100.7") == "198.51.100.7"


def test_a_count_larger_than_the_chain_gives_the_leftmost_address(settings):
    settings.TRUSTED_PROXIES = 3
    assert address(PROXY, "198.51.100.7") == "198.51.100.7"


def test_trusted_networks_are_walked_from_the_right(settings):
    settings.TRUSTED_PROXIES = networks("10.0.0.0/8")
    assert address(PROXY, "1.2.3.4, 198.51.100.7, 10.0.0.9") == "198.51.100.7"


def test_a_peer_outside_the_trusted_networks_is_the_client_whatever_it_forwards(settings):
    settings.TRUSTED_PROXIES = networks("10.0.0.0/8")
    assert address("203.0.113.50", "198.51.100.7") == "203.0.113.50"


def test_a_garbage_hop_behind_a_trusted_proxy_is_unknown_not_trusted(settings):
    settings.TRUSTED_PROXIES = networks("10.0.0.0/8")
    assert address(PROXY, "not-an-address") == "unknown"


def test_ipv6_proxies_and_mapped_ipv4_clients_are_understood(settings):
    settings.TRUSTED_PROXIES = networks("::1/128")
    assert address("::1", "::ffff:198.51.100.7") == "198.51.100.7"
    assert address("::ffff:" + PROXY) == PROXY


@pytest.fixture
def fresh_counters(db, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    cache.clear()
    yield
    cache.clear()


def post_login(forwarded, username, password):
    client = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded)
    return client.post(reverse("login"), {"username": username, "password": password})


def test_behind_a_trusted_proxy_one_clients_failures_do_not_lock_out_the_others(
    settings, fresh_counters
):
    settings.TRUSTED_PROXIES = 1
    UserFactory(username="asha", role="Viewer")
    for _ in range(5):
        post_login("198.51.100.7", "attacker-guess", "wrong")

    response = post_login("198.51.100.8", "asha", PASSWORD)

    assert response.status_code == 302
    assert THROTTLED in post_login("198.51.100.7", "asha", PASSWORD).content.decode()
