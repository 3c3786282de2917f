"""A secret never reaches an audit row, a test-connection message, a page or a log, in
any form: as typed, JSON-escaped (ASCII or not, once or twice), percent-encoded (UTF-8 or
Latin-1, quote or quote_plus), base64, or inside an HTTP Basic header (Latin-1 or UTF-8).

The end-to-end test sends secrets with quotes, backslashes, Latin-1 accents and
characters outside Latin-1 through every vendor client to a server that echoes the whole
request back (tests/telephony/echo_vendor.py)."""

import base64
import json
import logging
import re
from datetime import date
from urllib.parse import quote, quote_plus

import pytest
from django.urls import reverse

from telephony.models import ProviderAccount, ProviderRequest
from telephony.vendors.base import InvalidRequest, VendorError
from telephony.vendors.http import REDACTED, Redactor, VendorHTTP
from telephony.vendors.redaction import secret_forms
from tests.telephony.echo_vendor import ACCESS_TOKEN, REFRESH_TOKEN, EchoVendor
from tests.telephony.scripted_vendor import Reply, start_server, stop_server

pytestmark = pytest.mark.django_db

# A quote, a backslash, an apostrophe, a space and form/query syntax, plus é (Latin-1)...
LATIN_TAIL = "\"q\\b'é x&+=%"
# ...or characters no HTTP header can carry: €, 中 and an emoji outside the BMP.
WIDE_TAIL = '"q\\b€中 😀&+'
OCA_USER = "dialdesk@example.co.id"


def secret(core: str, tail: str) -> str:
    """A secret whose ASCII `core` is what the checks look for: any spelling of the
    secret that is not redacted as a whole still shows its core."""
    return core + tail


def base64_spellings(text: str) -> set[str]:
    spellings = set()
    for charset in ("utf-8", "latin-1"):
        try:
            raw = text.encode(charset)
        except UnicodeEncodeError:
            continue
        for encoded in (base64.b64encode(raw), base64.urlsafe_b64encode(raw)):
            spellings |= {encoded.decode(), encoded.decode().rstrip("=")}
    return spellings


def forbidden_spellings(secrets: dict[str, str]) -> set[str]:
    """What must appear nowhere: each secret's core (so every textual spelling of it),
    its base64, and the Basic token of the OCA login."""
    found = set()
    for value in secrets.values():
        core = value.split('"')[0]
        found |= {core} | base64_spellings(value) | base64_spellings(f"{OCA_USER}:{value}")
    return found


# --- the Redactor on its own -----------------------------------------------------------------


LATIN_SECRET = secret("unitCore-4f7", LATIN_TAIL)
WIDE_SECRET = secret("unitCore-9c2", WIDE_TAIL)


def spellings_of(value: str) -> list[str]:
    spellings = [
        value,
        json.dumps(value)[1:-1],
        json.dumps(value, ensure_ascii=False)[1:-1],
        json.dumps(json.dumps(value)[1:-1])[1:-1],  # a JSON body echoed in a JSON string
        quote(value),
        quote(value, safe=""),
        quote_plus(value),
        re.sub("%[0-9A-F]{2}", lambda match: match.group().lower(), quote(value)),
        value.encode("utf-8").decode("latin-1"),  # UTF-8 bytes read as Latin-1
        *base64_spellings(value),
    ]
    if all(ord(char) <= 0xFF for char in value):
        spellings += [quote(value, encoding="latin-1"), quote_plus(value, encoding="latin-1")]
    return spellings


@pytest.mark.parametrize("value", [LATIN_SECRET, WIDE_SECRET], ids=["latin-1", "wide"])
def test_the_redactor_removes_every_spelling_of_a_secret(value):
    redact = Redactor([value])

    for spelling in spellings_of(value):
        text = f"before {spelling} after"
        assert redact(text) == f"before {REDACTED} after", spelling


def test_the_redactor_knows_every_spelling_it_is_asked_for():
    forms = secret_forms(LATIN_SECRET)

    assert set(spellings_of(LATIN_SECRET)) <= forms


@pytest.mark.parametrize("charset", ["latin-1", "utf-8"])
def test_a_basic_header_is_redacted_in_either_character_set(charset):
    password = secret("basicCore-1a", LATIN_TAIL)
    token = base64.b64encode(f"{OCA_USER}:{password}".encode(charset)).decode()
    redact = Redactor()
    redact.add_basic(OCA_USER, password)

    assert redact(f"Authorization: Basic {token}") == f"Authorization: Basic {REDACTED}"
    assert redact(f'{{"seen": "{token}"}}') == f'{{"seen": "{REDACTED}"}}'


def test_an_unregistered_basic_or_bearer_token_is_redacted_but_prose_is_not():
    redact = Redactor()

    assert redact("Authorization: Bearer eyJhbGciOi.eyJzdWIi.c2lnbmF0dXJl") == (
        f"Authorization: Bearer {REDACTED}"
    )
    assert redact("Basic dXNlcjpzM2NyZXQ=") == f"Basic {REDACTED}"
    assert redact("Basic Authentication is required") == "Basic Authentication is required"


def test_a_secret_cut_by_the_excerpt_limit_is_still_redacted():
    # A Keycloak access token is often longer than the excerpt: cutting first and
    # redacting afterwards left the token's first part in the audit row.
    token = "eyJ" + "t0k3n" * 300
    server = start_server()
    try:
        server.program(Reply(200, {"padding": "x" * 1900, "access_token": token}))
        VendorHTTP("omilia").request("POST", f"{server.url}/token", data={"a": "b"})
    finally:
        stop_server(server)

    [row] = ProviderRequest.objects.all()
    assert "t0k3nt0k3n" not in row.response_excerpt
    assert len(row.response_excerpt) <= 2000


# --- every vendor, end to end, against a server that echoes the request ----------------------

HEADER_SECRETS = {
    "myoperator": {"x_api_key"},
    "cpaas": {"auth"},
    "omilia": set(),
    "oca": {"password"},
}


def make_secrets(kind: str, variant: str) -> dict[str, str]:
    """Every secret of a kind: all Latin-1, all wide, or ("mixed") wide except those
    sent in a header, so that the other secrets still travel."""
    names = {
        "myoperator": ["secret_token", "x_api_key", "rest_token"],
        "cpaas": ["auth"],
        "omilia": ["password", "otp"],
        "oca": ["password"],
    }[kind]
    secrets = {}
    for index, name in enumerate(names):
        wide = variant == "wide" or (variant == "mixed" and name not in HEADER_SECRETS[kind])
        core = f"{kind}{name.replace('_', '')}Core{index}Z"
        secrets[name] = secret(core, WIDE_TAIL if wide else LATIN_TAIL)
    return secrets


def make_account(kind: str, url: str, secrets: dict[str, str]) -> ProviderAccount:
    settings = {
        "myoperator": (
            "",
            {"company_id": "co-7", "obd_url": f"{url}/obd-api-v1", "rest_base_url": f"{url}/api"},
        ),
        "cpaas": (f"{url}/", {"account": "account_1"}),
        "omilia": (
            f"{url}/integrations",
            {
                "region": "",
                "token_url": f"{url}/auth/realms/master/protocol/openid-connect/token",
                "username": "ops@example.com",
            },
        ),
        "oca": (f"{url}/api/v1", {"username": OCA_USER}),
    }
    base_url, config = settings[kind]
    account = ProviderAccount(kind=kind, name=f"Echo {kind}", base_url=base_url, config=config)
    account.set_secrets(secrets)
    account.save()
    return account


def more_requests(kind: str, client) -> list:
    """Requests beyond the connection test, so that every secret travels: the OBD call,
    REST JSON and form bodies, a CPaaS POST, Omilia's logout, an OCA call status."""
    calls = {
        "myoperator": [
            lambda: client.call_ivr(
                number="+919212992129", public_ivr_id="ivr-1", reference_id="ref-1"
            ),
            lambda: client.search_logs(page_size=5),
            lambda: client.click_to_call(
                customer_number="9212992129", customer_cc="91", support_user_id="u-1"
            ),
        ],
        "cpaas": [lambda: client.get_cdr_by_date(start_date=date.today(), end_date=date.today())],
        "omilia": [lambda: client.list_numbers(), lambda: client.logout()],
        "oca": [lambda: client.call_status_raw(call_id="call-1")],
    }[kind]
    errors = []
    for call in calls:
        try:
            call()
        except (VendorError, InvalidRequest) as exc:
            errors.append(exc)
    return errors


@pytest.mark.parametrize("variant", ["latin-1", "wide", "mixed"])
@pytest.mark.parametrize("kind", ["myoperator", "cpaas", "omilia", "oca"])
def test_no_spelling_of_a_secret_reaches_the_audit_the_test_message_the_page_or_the_log(
    admin_client, caplog, kind, variant
):
    caplog.set_level(logging.INFO, logger="telephony.vendors")
    secrets = make_secrets(kind, variant)
    with EchoVendor() as vendor:
        account = make_account(kind, vendor.url, secrets)
        result = account.test_connection()
        errors = more_requests(kind, account.client())
        seen = list(vendor.seen)
    page = admin_client.get(reverse("telephony:account_detail", args=[account.pk]))
    account.refresh_from_db()

    # Something reached the echo server (a secret no header can carry stops its own
    # request, see below), and its answers quote the requests: without redaction every
    # secret on the wire would be recorded.
    if kind in ("myoperator", "omilia") or variant != "wide":
        assert seen, "nothing reached the echo server"
    assert not result.ok
    recorded = [result.message, account.last_test_message, page.content.decode()]
    recorded += [str(error) for error in errors]
    for row in ProviderRequest.objects.filter(account=account):
        recorded += [row.url, row.endpoint, row.error, row.request_excerpt, row.response_excerpt]
    recorded += [record.getMessage() for record in caplog.records] + [caplog.text]
    text = "\n".join(recorded)
    runtime = {"access": ACCESS_TOKEN, "refresh": REFRESH_TOKEN} if kind == "omilia" else {}
    leaked = [s for s in forbidden_spellings({**secrets, **runtime}) if s in text]
    assert not leaked, f"secret spellings recorded: {leaked}"
    if seen:
        assert REDACTED in text


@pytest.mark.parametrize("kind", ["cpaas", "oca"])
def test_a_secret_no_header_can_carry_fails_the_test_clearly_and_sends_nothing(kind):
    secrets = make_secrets(kind, "wide")
    with EchoVendor() as vendor:
        account = make_account(kind, vendor.url, secrets)
        result = account.test_connection()
        seen = list(vendor.seen)

    assert not seen
    assert not result.ok
    assert "cannot carry" in result.message and "outside Latin-1" in result.message
    [row] = ProviderRequest.objects.filter(account=account)
    assert row.error_kind == "UnsendableCredential" and row.status_code is None


def test_a_secret_in_the_url_path_is_redacted_from_the_endpoint_too(admin_client):
    # With no endpoint name given, the seam names the request by its path.
    value = secret("pathCore-88", "é€")
    account = ProviderAccount.objects.create(kind="oca", name="Path secret")
    server = start_server()
    try:
        server.program(Reply(200))
        VendorHTTP("oca", account=account, secrets=[value]).request(
            "GET", f"{server.url}/keys/{quote(value)}/status"
        )
    finally:
        stop_server(server)
    page = admin_client.get(reverse("telephony:account_detail", args=[account.pk]))

    [row] = ProviderRequest.objects.all()
    assert row.endpoint == f"/keys/{REDACTED}/status"
    assert "pathCore-88" not in page.content.decode()
