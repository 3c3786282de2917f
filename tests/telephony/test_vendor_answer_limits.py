"""A vendor answer is hostile input too: the seam reads at most VENDOR_MAX_RESPONSE_MB
of it (after decompression), and an answer that cannot be parsed is never a 500."""

import gzip
import json
import time

import pytest

from telephony.models import ProviderRequest
from telephony.vendors.answers import OversizedAnswer
from telephony.vendors.http import VendorHTTP
from tests.factories import ProviderAccountFactory
from tests.telephony.scripted_vendor import Reply, start_server, stop_server

pytestmark = pytest.mark.django_db


@pytest.fixture
def vendor():
    server = start_server()
    yield server
    stop_server(server)


@pytest.fixture(autouse=True)
def no_waiting(monkeypatch):
    monkeypatch.setattr(time, "sleep", lambda seconds: None)


@pytest.fixture
def account():
    return ProviderAccountFactory(kind="cpaas", name="Answer limits", secrets={})


@pytest.fixture
def small_limit(settings):
    settings.VENDOR_MAX_RESPONSE_BYTES = 64 * 1024


def test_an_answer_over_the_limit_is_refused_and_not_asked_again(vendor, account, small_limit):
    vendor.program(Reply(200, b"[" + b"1," * 100_000 + b"1]"))

    with pytest.raises(OversizedAnswer) as caught:
        VendorHTTP("cpaas", account=account).request("GET", f"{vendor.url}/cdr")

    assert "VENDOR_MAX_RESPONSE_MB" in caught.value.message
    assert len(vendor.seen) == 1  # a second try would get the same answer
    [row] = ProviderRequest.objects.filter(account=account)
    assert row.ok is False and row.error_kind == "OversizedAnswer"


def test_a_gzip_bomb_is_counted_after_decompression(vendor, account, small_limit):
    bomb = gzip.compress(b" " * (1024 * 1024))  # 1 MB of spaces in about 1 KB
    assert len(bomb) < 8 * 1024
    vendor.program(Reply(200, bomb, {"Content-Encoding": "gzip"}))

    with pytest.raises(OversizedAnswer):
        VendorHTTP("cpaas", account=account).request("GET", f"{vendor.url}/cdr")


def test_an_answer_within_the_limit_is_read_whole(vendor, account, small_limit):
    body = {"rows": list(range(1000))}
    vendor.program(Reply(200, body))

    response = VendorHTTP("cpaas", account=account).request("GET", f"{vendor.url}/cdr")

    assert response.data == body


def test_json_nested_too_deep_to_parse_is_not_a_vendor_answer_and_not_a_crash(vendor, account):
    vendor.program(Reply(400, b"[" * 200_000 + b"]" * 200_000))

    with pytest.raises(Exception) as caught:
        VendorHTTP("cpaas", account=account).request("GET", f"{vendor.url}/cdr")

    assert not isinstance(caught.value, RecursionError)
    assert "not from the vendor's API" in caught.value.message


def test_the_declared_length_alone_is_enough_to_refuse(vendor, account, small_limit):
    vendor.program(Reply(200, json.dumps({"x": "y" * 70_000})))

    with pytest.raises(OversizedAnswer):
        VendorHTTP("cpaas", account=account).request("GET", f"{vendor.url}/cdr")
