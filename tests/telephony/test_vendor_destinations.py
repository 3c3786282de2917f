"""What a vendor base URL can reach, and what of its answer Dialdesk shows.

Admins may point an account anywhere (private networks, localhost) except link-local and
cloud metadata addresses, checked in the form (host names resolved), in the seam before
each request (DNS can change) and on the connected socket. And an answer that is not a
vendor's (an HTML page, some other service's JSON) is never quoted: its status, content
type and size only."""

import json
import socket

import pytest
from django.test import override_settings
from django.urls import reverse

from telephony.models import ProviderAccount, ProviderRequest
from telephony.vendors import destinations
from telephony.vendors import http as seam
from telephony.vendors.base import Fault, VendorError
from telephony.vendors.http import BASE_URL_HINT, BlockedDestination, VendorHTTP
from tests.telephony.echo_vendor import Recorder
from tests.telephony.scripted_vendor import Reply, start_server, stop_server

pytestmark = pytest.mark.django_db

FORBIDDEN_URLS = [
    "http://169.254.169.254/latest/meta-data/",
    "http://169.254.10.1:8080/api",
    "http://[fe80::1]/api",
    "http://[fd00:ec2::254]/latest",
    "http://[::ffff:169.254.169.254]/",
    "http://100.100.100.200/latest/meta-data/",
    "http://metadata.google.internal/computeMetadata/v1/",
    "http://METADATA.google.internal./computeMetadata/v1/",
    "http://2852039166/latest/meta-data/",  # 169.254.169.254 as one decimal number
]

# (kind, form field, the other fields of a valid form)
URL_FIELDS = [
    ("cpaas", "base_url", {"account": "acc_1", "auth": "cpaas-auth-1234"}),
    ("oca", "base_url", {"username": "ops", "password": "oca-pass-1234"}),
    (
        "omilia",
        "token_url",
        {"region": "", "base_url": "https://ocp.example.com/integrations", "username": "u"},
    ),
    (
        "omilia",
        "base_url",
        {"region": "", "token_url": "https://ocp.example.com/token", "username": "u"},
    ),
    (
        "myoperator",
        "obd_url",
        {"company_id": "c1", "rest_base_url": "https://developers.myoperator.co"},
    ),
    (
        "myoperator",
        "rest_base_url",
        {"company_id": "c1", "obd_url": "https://obd-api.myoperator.co/obd-api-v1"},
    ),
]
SECRETS = {
    "cpaas": {},
    "oca": {},
    "omilia": {"password": "omilia-pass-1234"},
    "myoperator": {"secret_token": "st-1234", "x_api_key": "xk-1234", "rest_token": "rt-1234"},
}


def post_form(client, kind, **fields):
    data = {"name": f"A {kind} account", "is_active": "on", **SECRETS[kind], **fields}
    return client.post(reverse("telephony:account_create") + f"?kind={kind}", data)


@pytest.fixture
def resolve(monkeypatch):
    """Make host names resolve where a test says: resolve["vendor.test"] = "1.2.3.4"."""
    answers = {}
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host in answers:
            family = socket.AF_INET6 if ":" in answers[host] else socket.AF_INET
            return [(family, socket.SOCK_STREAM, 6, "", (answers[host], port or 0))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(destinations.socket, "getaddrinfo", getaddrinfo)
    return answers


# --- the credential forms ----------------------------------------------------------------


@pytest.mark.parametrize("url", FORBIDDEN_URLS)
@pytest.mark.parametrize(("kind", "field", "others"), URL_FIELDS)
def test_the_forms_refuse_link_local_and_metadata_urls(admin_client, kind, field, others, url):
    response = post_form(admin_client, kind, **{**others, field: url})

    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert "link-local or cloud metadata address" in str(response.context["form"].errors[field])
    assert not ProviderAccount.objects.exists()


def test_a_host_name_resolving_to_a_metadata_address_is_refused(admin_client, resolve):
    resolve["vendor.example.net"] = "169.254.169.254"

    response = post_form(
        admin_client, "cpaas", base_url="https://vendor.example.net/", account="a", auth="x1234"
    )

    assert "vendor.example.net (169.254.169.254) is a link-local" in response.text
    assert not ProviderAccount.objects.exists()


@pytest.mark.parametrize(
    "url",
    [
        "https://cpaas.example.com/",
        "http://127.0.0.1:8000/sandbox/cpaas/",
        "http://localhost:8000/",
        "http://10.1.2.3/",
        "http://192.168.1.20:8080/",
        "http://[fd12:3456::1]/",
    ],
)
def test_private_loopback_and_public_base_urls_stay_allowed(admin_client, url):
    response = post_form(admin_client, "cpaas", base_url=url, account="a", auth="x1234")

    assert response.status_code == 302, response.context["form"].errors
    assert ProviderAccount.objects.get().base_url == url


@override_settings(VENDOR_ALLOW_LINK_LOCAL=True)
def test_the_setting_allows_link_local_base_urls(admin_client):
    response = post_form(
        admin_client, "cpaas", base_url="http://169.254.169.254/", account="a", auth="x1234"
    )

    assert response.status_code == 302


def test_link_local_addresses_are_refused_by_default():
    from django.conf import settings

    assert settings.VENDOR_ALLOW_LINK_LOCAL is False


# --- the seam ------------------------------------------------------------------------------


def test_the_seam_refuses_a_stored_link_local_url_before_sending():
    account = ProviderAccount(
        kind="cpaas", name="Old", base_url="http://169.254.169.254/", config={"account": "a"}
    )
    account.set_secrets({"auth": "x1234"})
    account.save()

    result = account.test_connection()

    assert not result.ok
    assert result.message.startswith("169.254.169.254 is a link-local or cloud metadata")
    [row] = ProviderRequest.objects.filter(account=account)
    assert (row.error_kind, row.status_code, row.retried) == ("BlockedDestination", None, False)


def test_the_seam_checks_the_name_again_when_its_dns_changes(resolve):
    with Recorder() as vendor:
        port = vendor.server_address[1]
        resolve["vendor.test"] = "127.0.0.1"
        VendorHTTP("oca").request("GET", f"http://vendor.test:{port}/ivr-list")
        resolve["vendor.test"] = "169.254.169.254"
        with pytest.raises(BlockedDestination, match=r"vendor.test \(169.254.169.254\)"):
            VendorHTTP("oca").request("GET", f"http://vendor.test:{port}/ivr-list")
        seen = list(vendor.seen)

    assert len(seen) == 1


def test_the_address_actually_connected_to_is_checked(monkeypatch):
    # A name that passes the check and then resolves elsewhere (DNS rebinding) is caught
    # on the socket: here every name "passes" and 127.0.0.1 counts as forbidden.
    monkeypatch.setattr(seam, "check_url", lambda url: None)
    monkeypatch.setattr(destinations, "forbidden_address", lambda address: True)
    with Recorder() as vendor:
        with pytest.raises(BlockedDestination, match=r"127.0.0.1 is a link-local"):
            VendorHTTP("oca").request("GET", f"{vendor.url}/ivr-list")
        seen = list(vendor.seen)

    assert seen == []


# --- answers that are not a vendor's -------------------------------------------------------

CANARY = "internal-admin-panel-7f3a"


@pytest.fixture
def other_server():
    server = start_server()
    yield server
    stop_server(server)


def cpaas_on(url):
    account = ProviderAccount(kind="cpaas", name="Elsewhere", base_url=f"{url}/", config={})
    account.config = {"account": "a"}
    account.set_secrets({"auth": "x1234"})
    account.save()
    return account


def oca_on(url):
    account = ProviderAccount(kind="oca", name="Elsewhere", base_url=url, config={"username": "u"})
    account.set_secrets({"password": "oca-pass-1234"})
    account.save()
    return account


HTML = f"<html><body><h1>Admin</h1><p>{CANARY}</p>{'x' * 12000}</body></html>"


@pytest.mark.parametrize("make_account", [cpaas_on, oca_on], ids=["cpaas", "oca"])
@pytest.mark.parametrize(
    ("status", "body", "content_type"),
    [
        (404, HTML, "text/html"),
        (401, f"denied {CANARY}", "text/plain"),
        (404, json.dumps({"config": {"db_password": CANARY}}), "application/json"),
    ],
    ids=["html", "text", "json-without-error-envelope"],
)
def test_an_answer_that_is_not_a_vendors_shows_only_its_status(
    admin_client, other_server, make_account, status, body, content_type
):
    other_server.program(Reply(status, body, {"Content-Type": f"{content_type}; charset=utf-8"}))
    account = make_account(other_server.url)

    result = account.test_connection()
    page = admin_client.get(reverse("telephony:account_detail", args=[account.pk]))

    size = len(body.encode())
    assert not result.ok
    assert result.message == (
        f"The answer (HTTP {status}, {content_type}, {size:,} bytes) is not from the "
        "vendor's API: check the account's base URL."
    )
    [row] = ProviderRequest.objects.filter(account=account)
    assert row.response_excerpt == f"[not a vendor answer: {content_type}, {size:,} bytes]"
    for text in (result.message, row.error, row.response_excerpt, page.content.decode()):
        assert CANARY not in text


def test_a_page_answered_with_200_is_not_quoted_either(other_server):
    other_server.program(*[Reply(200, HTML, {"Content-Type": "text/html"}) for _ in range(3)])
    account = oca_on(other_server.url)

    result = account.test_connection()

    assert not result.ok and result.message == "The vendor's answer is not valid JSON."
    rows = ProviderRequest.objects.filter(account=account)
    assert rows.count() == 3  # a GET: retried
    assert all(row.response_excerpt.startswith("[not a vendor answer: text/html") for row in rows)


def test_the_vendors_own_error_message_is_still_shown(other_server):
    other_server.program(Reply(401, {"errors": [{"message": "Invalid credentials", "code": 17}]}))
    account = oca_on(other_server.url)

    result = account.test_connection()

    assert result.message == "Invalid credentials"
    [row] = ProviderRequest.objects.filter(account=account)
    assert "Invalid credentials" in row.response_excerpt


def test_a_token_endpoint_answering_a_page_shows_only_its_status(other_server):
    other_server.program(Reply(401, HTML, {"Content-Type": "text/html"}))
    account = ProviderAccount(
        kind="omilia",
        name="Omilia elsewhere",
        base_url=f"{other_server.url}/integrations",
        config={"token_url": f"{other_server.url}/token", "username": "u"},
    )
    account.set_secrets({"password": "omilia-pass-1234"})
    account.save()

    result = account.test_connection()

    assert not result.ok and CANARY not in result.message
    assert result.message.startswith("The answer (HTTP 401, text/html,")


@pytest.mark.parametrize(
    ("status", "fault"),
    [(404, Fault.ACCOUNT), (400, Fault.ACCOUNT), (429, Fault.TRANSIENT), (502, Fault.TRANSIENT)],
)
def test_a_page_instead_of_an_error_is_about_the_account_unless_it_is_transient(
    other_server, status, fault
):
    # A campaign pauses on an account fault instead of failing every number in turn; a
    # proxy's 429 or 502 page is still worth trying again.
    other_server.program(Reply(status, HTML, {"Content-Type": "text/html"}))

    with pytest.raises(VendorError) as caught:
        VendorHTTP("oca", max_retries=0).request("POST", f"{other_server.url}/call")

    assert caught.value.fault == fault
    if fault == Fault.ACCOUNT:
        assert caught.value.hint == BASE_URL_HINT


def test_a_refused_destination_is_about_the_account():
    with pytest.raises(BlockedDestination) as caught:
        VendorHTTP("oca").request("GET", "http://169.254.169.254/latest/meta-data/")

    assert caught.value.fault == Fault.ACCOUNT and caught.value.hint == BASE_URL_HINT
