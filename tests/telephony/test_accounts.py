"""Vendor accounts in the browser: per-vendor credential forms with write-only encrypted
secrets, the account pages, connection tests, disable/enable, delete, the sandbox
settings and the key rotation command."""

import importlib
import io
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from telephony.forms import CREDENTIAL_FORMS, SECRET_KEPT, SECRET_STORED
from telephony.models import (
    Call,
    CallRecord,
    ProviderAccount,
    ProviderRequest,
    SandboxConfig,
    VendorKind,
)
from telephony.vendors import registry
from telephony.vendors.base import ConnectionCheck
from telephony.vendors.client_base import VendorClient
from tests.factories import ProviderAccountFactory
from tests.telephony.scripted_vendor import Reply, start_server, stop_server

pytestmark = pytest.mark.django_db

# One valid credential form per kind, with secrets that must never show up anywhere.
FORMS = {
    "myoperator": {
        "data": {
            "name": "MyOperator main",
            "company_id": "5f0c3a9e1d2b7",
            "x_api_key": "plain-x-api-key-5511aa",
            "secret_token": "plain-secret-token-88c1",
            "obd_url": "https://obd-api.myoperator.co/obd-api-v1",
            "rest_token": "plain-rest-token-77d0e2",
            "rest_base_url": "https://developers.myoperator.co",
            "is_active": "on",
        },
        "config": {
            "company_id": "5f0c3a9e1d2b7",
            "obd_url": "https://obd-api.myoperator.co/obd-api-v1",
            "rest_base_url": "https://developers.myoperator.co",
            # The IVR and DID catalogue (empty until an admin lists them).
            "ivrs": [],
            "caller_ids": [],
        },
        "secrets": {
            "x_api_key": "plain-x-api-key-5511aa",
            "secret_token": "plain-secret-token-88c1",
            "rest_token": "plain-rest-token-77d0e2",
        },
        "base_url": "",
    },
    "cpaas": {
        "data": {
            "name": "CPaaS Mumbai",
            "base_url": "https://cpaas.example.com/api",
            "account": "account_9",
            "auth": "plain-cpaas-auth-31f9",
            "is_active": "on",
        },
        "config": {"account": "account_9", "caller_ids": []},  # caller ids: none listed
        "secrets": {"auth": "plain-cpaas-auth-31f9"},
        "base_url": "https://cpaas.example.com/api",
    },
    "omilia": {
        "data": {
            "name": "Omilia EU",
            "region": "EU1",
            "base_url": "",
            "token_url": "",
            "username": "ops@example.com",
            "password": "plain-omilia-password-1",
            "otp": "plain-otp-424242",
            "is_active": "on",
        },
        "config": {"region": "EU1", "token_url": "", "username": "ops@example.com"},
        "secrets": {"password": "plain-omilia-password-1", "otp": "plain-otp-424242"},
        "base_url": "",
    },
    "oca": {
        "data": {
            "name": "OCA Jakarta",
            "base_url": "https://call.ocatelkom.co.id/api/v1",
            "username": "dialdesk@example.co.id",
            "password": "plain-oca-password-6b",
            "is_active": "on",
        },
        "config": {"username": "dialdesk@example.co.id"},
        "secrets": {"password": "plain-oca-password-6b"},
        "base_url": "https://call.ocatelkom.co.id/api/v1",
    },
}
ALL_SECRETS = [value for spec in FORMS.values() for value in spec["secrets"].values()]


def create_url(kind):
    return reverse("telephony:account_create") + f"?kind={kind}"


def add_account(client, kind, **changes):
    data = {**FORMS[kind]["data"], **changes}
    return client.post(create_url(kind), data)


def assert_no_secret_in(content: bytes):
    text = content.decode()
    leaked = [secret for secret in ALL_SECRETS if secret in text]
    assert not leaked, f"secrets rendered in the page: {leaked}"


# --- creating -----------------------------------------------------------------------------


def test_every_vendor_kind_has_a_credential_form():
    assert set(CREDENTIAL_FORMS) == set(VendorKind.values) == set(registry.VENDORS)


@pytest.mark.parametrize("kind", list(FORMS))
def test_an_admin_adds_an_account_of_each_kind_with_encrypted_secrets(admin_client, kind):
    response = add_account(admin_client, kind)

    account = ProviderAccount.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("telephony:account_detail", args=[account.pk])
    spec = FORMS[kind]
    assert account.kind == kind
    assert account.name == spec["data"]["name"]
    assert account.is_active
    assert account.base_url == spec["base_url"]
    assert account.config == spec["config"]
    assert account.secrets == spec["secrets"]
    raw = ProviderAccount.objects.filter(pk=account.pk).values_list("secrets_encrypted", flat=True)[
        0
    ]
    assert raw
    for value in spec["secrets"].values():
        assert value not in raw
    assert all(value not in str(account.config) for value in spec["secrets"].values())


def test_the_create_page_first_asks_which_vendor(admin_client):
    response = admin_client.get(reverse("telephony:account_create"))

    assert response.status_code == 200
    for kind, label in VendorKind.choices:
        assert create_url(kind) in response.text
        assert label in response.text
    assert 'id="id_name"' not in response.text


def test_choosing_a_vendor_swaps_in_its_form(admin_client):
    response = admin_client.get(create_url("omilia"), headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert "<html" not in response.text
    assert 'id="credential-form"' in response.text
    for field in ("id_region", "id_base_url", "id_token_url", "id_username", "id_password"):
        assert field in response.text
    assert "US1W" in response.text


def test_the_myoperator_form_offers_the_default_urls(admin_client):
    response = admin_client.get(create_url("myoperator"))

    assert 'value="https://obd-api.myoperator.co/obd-api-v1"' in response.text
    assert 'value="https://developers.myoperator.co"' in response.text


def test_the_oca_form_offers_the_default_base_url(admin_client):
    response = admin_client.get(create_url("oca"))

    assert 'value="https://call.ocatelkom.co.id/api/v1"' in response.text


@pytest.mark.parametrize("kind", list(FORMS))
def test_secrets_are_required_when_an_account_is_created(admin_client, kind):
    blanks = {name: "" for name in FORMS[kind]["secrets"] if name != "otp"}

    response = add_account(admin_client, kind, **blanks)

    assert response.status_code == 200
    assert not ProviderAccount.objects.exists()
    for name in blanks:
        assert response.context["form"].errors[name] == ["This field is required."]


def test_the_omilia_otp_is_optional(admin_client):
    add_account(admin_client, "omilia", otp="")

    assert ProviderAccount.objects.get().secrets == {"password": "plain-omilia-password-1"}


def test_an_omilia_account_needs_a_region_or_both_custom_urls(admin_client):
    response = add_account(admin_client, "omilia", region="", base_url="https://ocp.example.com")

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "token_url": ["Enter this URL, or choose a region above."]
    }
    assert not ProviderAccount.objects.exists()


def test_an_omilia_account_may_use_custom_urls_instead_of_a_region(admin_client):
    add_account(
        admin_client,
        "omilia",
        region="",
        base_url="https://ocp.example.com/integrations",
        token_url="https://ocp.example.com/auth/realms/ocp/protocol/openid-connect/token",
    )

    account = ProviderAccount.objects.get()
    assert account.base_url == "https://ocp.example.com/integrations"
    assert account.config["region"] == ""
    assert account.config["token_url"].endswith("/openid-connect/token")


def test_an_unknown_omilia_region_is_refused(admin_client):
    response = add_account(admin_client, "omilia", region="MARS1")

    assert "region" in response.context["form"].errors
    assert not ProviderAccount.objects.exists()


@pytest.mark.parametrize(
    ("kind", "field"),
    [("cpaas", "base_url"), ("oca", "base_url"), ("myoperator", "obd_url")],
)
def test_urls_are_validated(admin_client, kind, field):
    response = add_account(admin_client, kind, **{field: "not a url at all"})

    assert response.context["form"].errors[field] == ["Enter a valid URL."]
    assert not ProviderAccount.objects.exists()


def test_account_names_are_unique(admin_client):
    add_account(admin_client, "oca")

    response = add_account(admin_client, "cpaas", name=FORMS["oca"]["data"]["name"])

    assert "name" in response.context["form"].errors
    assert ProviderAccount.objects.count() == 1


def test_posting_without_a_vendor_kind_is_not_found(admin_client):
    response = admin_client.post(reverse("telephony:account_create"), FORMS["oca"]["data"])

    assert response.status_code == 404


# --- editing ------------------------------------------------------------------------------


@pytest.fixture
def oca_account(admin_client):
    add_account(admin_client, "oca")
    return ProviderAccount.objects.get()


def edit(client, account, **changes):
    data = {**FORMS[account.kind]["data"], **changes}
    return client.post(reverse("telephony:account_edit", args=[account.pk]), data)


def test_editing_with_a_blank_secret_keeps_it(admin_client, oca_account):
    response = edit(admin_client, oca_account, password="", username="new-user@example.co.id")

    assert response.status_code == 302
    oca_account.refresh_from_db()
    assert oca_account.secrets == {"password": "plain-oca-password-6b"}
    assert oca_account.config["username"] == "new-user@example.co.id"


def test_editing_with_a_new_secret_replaces_it(admin_client, oca_account):
    edit(admin_client, oca_account, password="the-new-oca-password")

    oca_account.refresh_from_db()
    assert oca_account.secrets == {"password": "the-new-oca-password"}


def test_editing_keeps_each_blank_secret_and_replaces_each_typed_one(admin_client):
    add_account(admin_client, "myoperator")
    account = ProviderAccount.objects.get()

    edit(admin_client, account, x_api_key="", secret_token="", rest_token="rotated-rest-token-1")

    account.refresh_from_db()
    assert account.secrets == {
        "x_api_key": "plain-x-api-key-5511aa",
        "secret_token": "plain-secret-token-88c1",
        "rest_token": "rotated-rest-token-1",
    }


def test_the_edit_form_says_a_secret_is_set_without_showing_it(admin_client, oca_account):
    response = admin_client.get(reverse("telephony:account_edit", args=[oca_account.pk]))

    assert response.status_code == 200
    assert SECRET_KEPT in response.text
    assert 'name="password"' in response.text
    assert_no_secret_in(response.content)
    assert not response.context["form"].fields["password"].required


def test_the_edit_form_cannot_change_the_vendor_kind(admin_client, oca_account):
    edit(admin_client, oca_account, kind="cpaas")

    oca_account.refresh_from_db()
    assert oca_account.kind == "oca"


def test_a_secret_never_stored_is_still_optional_when_the_vendor_makes_it_so(admin_client):
    add_account(admin_client, "omilia", otp="")
    account = ProviderAccount.objects.get()

    response = admin_client.get(reverse("telephony:account_edit", args=[account.pk]))

    form = response.context["form"]
    assert form.fields["password"].help_text.startswith(SECRET_STORED)
    assert form.fields["password"].widget.attrs["placeholder"] == SECRET_KEPT
    assert SECRET_STORED not in form.fields["otp"].help_text
    assert "placeholder" not in form.fields["otp"].widget.attrs
    assert not form.fields["otp"].required


# --- no page shows a secret ---------------------------------------------------------------


def test_no_account_page_renders_any_secret(admin_client):
    for kind in FORMS:
        add_account(admin_client, kind)
    pages = [
        reverse("telephony:account_index"),
        reverse("telephony:account_index") + "?kind=oca",
        reverse("telephony:sandbox_settings"),
    ]
    for account in ProviderAccount.objects.all():
        ProviderRequest.objects.create(
            account=account,
            vendor=account.kind,
            method="GET",
            endpoint="/ping",
            url="https://vendor.example.com/ping?token=[redacted]",
            status_code=200,
            latency_ms=12,
            ok=True,
        )
        pages += [
            reverse("telephony:account_detail", args=[account.pk]),
            reverse("telephony:account_edit", args=[account.pk]),
            reverse("telephony:account_delete", args=[account.pk]),
        ]

    for url in pages:
        response = admin_client.get(url)
        assert response.status_code == 200, url
        assert_no_secret_in(response.content)
        partial = admin_client.get(url, headers={"HX-Request": "true", "HX-Target": "request-log"})
        assert_no_secret_in(partial.content)


def test_an_invalid_form_does_not_echo_the_typed_secrets(admin_client):
    response = add_account(admin_client, "cpaas", base_url="nope")

    assert response.status_code == 200
    assert "plain-cpaas-auth-31f9" not in response.text


# --- the list and the detail page ---------------------------------------------------------


def test_the_list_shows_each_account_with_its_capabilities_and_recent_traffic(admin_client):
    cpaas = ProviderAccountFactory(kind="cpaas", name="CPaaS one")
    ProviderAccountFactory(kind="omilia", name="Omilia one", is_active=False)
    now = timezone.now()
    for minutes, ok in ((5, True), (30, False)):
        ProviderRequest.objects.create(
            account=cpaas,
            vendor="cpaas",
            method="GET",
            endpoint="/cdr",
            url="x",
            latency_ms=5,
            ok=ok,
            created_at=now - timedelta(minutes=minutes),
        )
    ProviderRequest.objects.create(
        account=cpaas,
        vendor="cpaas",
        method="GET",
        endpoint="/cdr",
        url="x",
        latency_ms=5,
        ok=True,
        created_at=now - timedelta(days=2),
    )

    response = admin_client.get(reverse("telephony:account_index"))

    rows = {account.name: account for account in response.context["accounts"]}
    assert rows["CPaaS one"].recent_requests == 2
    assert rows["CPaaS one"].recent_errors == 1
    assert rows["Omilia one"].recent_requests == 0
    assert "Native campaigns" in response.text
    assert "Disabled" in response.text and "Not tested" in response.text


def test_the_list_filters_by_vendor_kind(admin_client):
    ProviderAccountFactory(kind="cpaas", name="CPaaS one")
    ProviderAccountFactory(kind="oca", name="OCA one")

    response = admin_client.get(
        reverse("telephony:account_index") + "?kind=oca", headers={"HX-Request": "true"}
    )

    assert [a.name for a in response.context["accounts"]] == ["OCA one"]
    assert "<html" not in response.text
    assert "CPaaS one" not in response.text


def test_the_empty_list_invites_to_add_an_account(admin_client):
    response = admin_client.get(reverse("telephony:account_index"))

    assert "No vendor accounts yet" in response.text
    assert reverse("telephony:account_create") in response.text


def test_the_detail_page_shows_settings_masked_secrets_and_capabilities(admin_client):
    add_account(admin_client, "omilia", otp="")
    account = ProviderAccount.objects.get()

    response = admin_client.get(reverse("telephony:account_detail", args=[account.pk]))

    text = response.text
    assert "ops@example.com" in text and "EU1" in text
    assert dict(response.context["secret_rows"]) == {
        "Password": True,
        "One-time code (OTP)": False,
    }
    assert ">set<" in text and ">not set<" in text
    assert "Numbers: search, buy, edit, delete" in text  # a badge of what can be done
    assert reverse("telephony:account_test", args=[account.pk]) in text
    assert 'hx-indicator="#test-spinner"' in text


def test_the_detail_page_lists_the_last_hundred_requests_newest_first(admin_client):
    account = ProviderAccountFactory()
    now = timezone.now()
    ProviderRequest.objects.bulk_create(
        ProviderRequest(
            account=account,
            vendor="oca",
            method="GET",
            endpoint=f"/ivr-list/{n}",
            url="https://x",
            status_code=503 if n % 2 else 200,
            latency_ms=n,
            attempt=1 + n % 3,
            ok=not n % 2,
            error_kind="Unavailable" if n % 2 else "",
            error="Service unavailable" if n % 2 else "",
            request_excerpt='{"password": "[redacted]"}',
            response_excerpt='{"status": "ok"}',
            created_at=now - timedelta(seconds=200 - n),
        )
        for n in range(120)
    )

    response = admin_client.get(
        reverse("telephony:account_detail", args=[account.pk]),
        headers={"HX-Request": "true", "HX-Target": "request-log"},
    )

    log = list(response.context["request_log"])
    assert len(log) == 100
    assert log[0].endpoint == "/ivr-list/119" and log[-1].endpoint == "/ivr-list/20"
    assert "<html" not in response.text
    assert 'id="request-log"' in response.text and 'hx-trigger="every 10s' in response.text
    assert "/ivr-list/119" in response.text and "/ivr-list/19<" not in response.text
    assert "Service unavailable" in response.text
    assert "{&quot;password&quot;: &quot;[redacted]&quot;}" in response.text


def test_request_times_show_in_the_users_time_zone(admin_client, admin_user):
    admin_user.profile.time_zone = "Asia/Kolkata"
    admin_user.profile.save()
    account = ProviderAccountFactory()
    ProviderRequest.objects.create(
        account=account,
        vendor="oca",
        method="GET",
        endpoint="/ivr-list",
        url="x",
        latency_ms=1,
        ok=True,
        created_at=datetime(2025, 1, 1, 12, 0, tzinfo=UTC),
    )

    response = admin_client.get(reverse("telephony:account_detail", args=[account.pk]))

    assert "2025-01-01 17:30:00" in response.text


# --- test connection ------------------------------------------------------------------------


class PingClient(VendorClient):
    """A minimal client for the view tests: GET {base_url}/ping through the seam."""

    vendor = "oca"

    def check_connection(self):
        response = self.http.request("GET", self.url(self.account.base_url, "ping"))
        return ConnectionCheck(ok=True, message=f"Pong: {response.data['message']}")


@pytest.fixture
def ping_vendor(monkeypatch):
    monkeypatch.setitem(
        registry.VENDORS["oca"], "client", "tests.telephony.test_accounts.PingClient"
    )
    server = start_server()
    yield server
    stop_server(server)


def test_a_successful_connection_test_shows_green(admin_client, ping_vendor):
    account = ProviderAccountFactory(base_url=ping_vendor.url)
    ping_vendor.program(Reply(200, {"message": "hello from the vendor"}))

    response = admin_client.post(
        reverse("telephony:account_test", args=[account.pk]), headers={"HX-Request": "true"}
    )

    assert response.status_code == 200
    assert "alert-success" in response.text
    assert "Pong: hello from the vendor" in response.text
    assert response["HX-Trigger"] == "vendor-requests-changed"
    account.refresh_from_db()
    assert account.last_test_ok is True and account.last_tested_at
    assert account.requests.count() == 1


def test_a_failed_connection_test_shows_the_vendors_own_words_in_red(admin_client, ping_vendor):
    account = ProviderAccountFactory(base_url=ping_vendor.url)
    ping_vendor.program(Reply(401, {"code": 17, "message": "Invalid Authentication Credentials"}))

    response = admin_client.post(
        reverse("telephony:account_test", args=[account.pk]), headers={"HX-Request": "true"}
    )

    assert "alert-danger" in response.text
    assert "Invalid Authentication Credentials" in response.text
    account.refresh_from_db()
    assert account.last_test_ok is False
    assert account.last_test_message == "Invalid Authentication Credentials"
    page = admin_client.get(reverse("telephony:account_detail", args=[account.pk]))
    assert "Invalid Authentication Credentials" in page.text
    index = admin_client.get(reverse("telephony:account_index"))
    assert "Failed" in index.text


def test_a_connection_test_without_htmx_comes_back_as_a_message(admin_client, ping_vendor):
    account = ProviderAccountFactory(base_url=ping_vendor.url)
    ping_vendor.program(Reply(200, {"message": "hi"}))

    response = admin_client.post(reverse("telephony:account_test", args=[account.pk]), follow=True)

    assert response.redirect_chain[-1][0] == reverse("telephony:account_detail", args=[account.pk])
    assert "Pong: hi" in [str(m) for m in response.context["messages"]][0]


def test_a_connection_test_is_post_only(admin_client):
    account = ProviderAccountFactory()

    response = admin_client.get(reverse("telephony:account_test", args=[account.pk]))

    assert response.status_code == 405


# Real HTTP to the simulators on a live server; the roles' groups (a data migration)
# must survive the transactional flush.
live_sandbox = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def sandbox_module(kind):
    return importlib.import_module(f"telephony.vendors.{kind}.sandbox")


BAD_CREDENTIAL_ANSWERS = {
    "myoperator": ("rest_token", "This not an authorized request"),
    "cpaas": ("auth", "Invalid account or auth"),
    "omilia": ("password", "Invalid user credentials"),
    "oca": ("password", "Invalid Authentication Credentials"),
}


def sandbox_account(kind, live_server, **secret_changes):
    spec = sandbox_module(kind).demo_account(f"{live_server.url}/sandbox")
    secrets = {**spec.pop("secrets"), **secret_changes}
    account = ProviderAccount(**spec)
    account.set_secrets(secrets)
    account.save()
    return account, secrets


@live_sandbox
@pytest.mark.parametrize("kind", list(BAD_CREDENTIAL_ANSWERS))
def test_testing_a_sandbox_account_is_green_and_its_pages_show_no_secret(
    admin_client, live_server, kind
):
    account, secrets = sandbox_account(kind, live_server)

    response = admin_client.post(
        reverse("telephony:account_test", args=[account.pk]), headers={"HX-Request": "true"}
    )

    assert "alert-success" in response.text, response.text
    account.refresh_from_db()
    assert account.last_test_ok is True
    assert account.requests.exists()
    detail = admin_client.get(reverse("telephony:account_detail", args=[account.pk]))
    for content in (response.content, detail.content):
        for value in secrets.values():
            if value:
                assert value not in content.decode()


@live_sandbox
@pytest.mark.parametrize("kind", list(BAD_CREDENTIAL_ANSWERS))
def test_testing_a_sandbox_account_with_a_wrong_secret_shows_the_vendors_error(
    admin_client, live_server, kind
):
    secret, answer = BAD_CREDENTIAL_ANSWERS[kind]
    account, _ = sandbox_account(kind, live_server, **{secret: "wrong-secret-value-123"})

    response = admin_client.post(
        reverse("telephony:account_test", args=[account.pk]), headers={"HX-Request": "true"}
    )

    assert "alert-danger" in response.text
    assert answer in response.text
    assert "wrong-secret-value-123" not in response.text
    account.refresh_from_db()
    assert account.last_test_ok is False
    assert answer in account.last_test_message


# --- disable, enable, delete ----------------------------------------------------------------


def test_an_admin_disables_and_enables_an_account(admin_client):
    account = ProviderAccountFactory(name="Toggle me")
    url = reverse("telephony:account_toggle", args=[account.pk])

    response = admin_client.post(url, follow=True)
    account.refresh_from_db()
    assert not account.is_active
    assert "Disabled Toggle me" in str(list(response.context["messages"])[0])
    assert "Enable" in response.text

    admin_client.post(url)
    account.refresh_from_db()
    assert account.is_active


def test_the_toggle_asks_for_confirmation(admin_client):
    account = ProviderAccountFactory(name="Confirm me")

    response = admin_client.get(reverse("telephony:account_detail", args=[account.pk]))

    assert 'data-confirm="Disable Confirm me?' in response.text


def test_the_delete_page_says_what_goes_with_the_account(admin_client):
    account = ProviderAccountFactory(name="Old one")
    for _ in range(3):
        ProviderRequest.objects.create(
            account=account, vendor="oca", method="GET", endpoint="/", url="x", latency_ms=1, ok=1
        )
    CallRecord.objects.create(
        account=account, vendor_call_id="c-1", direction="outbound", status="answered"
    )

    response = admin_client.get(reverse("telephony:account_delete", args=[account.pk]))

    assert response.status_code == 200
    assert "3 vendor requests in the audit trail" in response.text
    assert "1 call record (CDR)" in response.text
    assert "Delete Old one" in response.text
    assert ProviderAccount.objects.filter(pk=account.pk).exists()


def test_deleting_removes_the_account_and_its_history(admin_client):
    account = ProviderAccountFactory(name="Gone soon")
    ProviderRequest.objects.create(
        account=account, vendor="oca", method="GET", endpoint="/", url="x", latency_ms=1, ok=1
    )

    response = admin_client.post(reverse("telephony:account_delete", args=[account.pk]))

    assert response["Location"] == reverse("telephony:account_index")
    assert not ProviderAccount.objects.exists()
    assert not ProviderRequest.objects.exists()


def test_an_account_that_placed_calls_cannot_be_deleted(admin_client):
    account = ProviderAccountFactory(name="Busy one")
    Call.objects.create(account=account, kind="p2p", to_number="+919800000001", reference_id="r1")

    page = admin_client.get(reverse("telephony:account_delete", args=[account.pk]))
    response = admin_client.post(
        reverse("telephony:account_delete", args=[account.pk]), follow=True
    )

    assert "Busy one cannot be deleted" in page.text
    assert "1 call" in page.text
    assert 'class="btn btn-danger"' not in page.text
    assert ProviderAccount.objects.filter(pk=account.pk).exists()
    assert "cannot be deleted" in str(list(response.context["messages"])[0])
    assert "Disable it instead" in str(list(response.context["messages"])[0])


# --- who may --------------------------------------------------------------------------------

VIEWS = [
    ("account_index", "get", False),
    ("account_create", "get", False),
    ("account_create", "post", False),
    ("account_detail", "get", True),
    ("account_edit", "get", True),
    ("account_edit", "post", True),
    ("account_test", "post", True),
    ("account_toggle", "post", True),
    ("account_delete", "get", True),
    ("account_delete", "post", True),
    ("sandbox_settings", "get", False),
]


@pytest.mark.parametrize("persona_name", ["supervisor", "viewer"])
@pytest.mark.parametrize(("name", "method", "needs_pk"), VIEWS)
def test_supervisors_and_viewers_may_not_manage_vendor_accounts(
    request, persona_name, name, method, needs_pk
):
    client = request.getfixturevalue(f"{persona_name}_client")
    account = ProviderAccountFactory(name="Protected")
    url = reverse(f"telephony:{name}", args=[account.pk] if needs_pk else [])

    response = getattr(client, method)(url, FORMS["oca"]["data"] if method == "post" else None)

    assert response.status_code == 403
    account.refresh_from_db()
    assert account.is_active and account.name == "Protected"
    assert ProviderAccount.objects.count() == 1


@pytest.mark.parametrize("persona_name", ["supervisor", "viewer"])
def test_supervisors_and_viewers_may_not_change_the_sandboxes(request, persona_name):
    client = request.getfixturevalue(f"{persona_name}_client")

    response = client.post(
        reverse("telephony:sandbox_update", args=["oca"]), sandbox_data("oca", error_rate="50")
    )

    assert response.status_code == 403
    assert not SandboxConfig.objects.filter(vendor="oca", error_rate__gt=0).exists()


# --- sandbox settings -----------------------------------------------------------------------


def sandbox_data(vendor, **changes):
    values = {
        "latency_ms": "0",
        "error_rate": "0",
        "timeout_rate": "0",
        "malformed_rate": "0",
        "rate_limit_per_minute": "0",
        "timeout_seconds": "30",
        "seed": "0",
        "time_scale": "1",
        **changes,
    }
    return {f"{vendor}-{name}": value for name, value in values.items()}


def test_the_sandbox_page_has_a_card_per_vendor_and_creates_nothing(admin_client):
    response = admin_client.get(reverse("telephony:sandbox_settings"))

    assert response.status_code == 200
    for vendor, label in VendorKind.choices:
        assert f'id="sandbox-{vendor}"' in response.text
        assert reverse("telephony:sandbox_update", args=[vendor]) in response.text
        assert label in response.text
    assert not SandboxConfig.objects.exists()


def test_an_admin_sets_a_sandboxs_faults_in_percent(admin_client):
    data = sandbox_data(
        "cpaas",
        latency_ms="250",
        error_rate="12.5",
        timeout_rate="5",
        malformed_rate="2",
        rate_limit_per_minute="30",
        timeout_seconds="2.5",
        seed="7",
        time_scale="60",
    )

    response = admin_client.post(reverse("telephony:sandbox_update", args=["cpaas"]), data)

    assert response["Location"] == reverse("telephony:sandbox_settings")
    config = SandboxConfig.objects.get(vendor="cpaas")
    assert (config.latency_ms, config.rate_limit_per_minute, config.seed) == (250, 30, 7)
    assert config.error_rate == pytest.approx(0.125)
    assert config.timeout_rate == pytest.approx(0.05)
    assert config.malformed_rate == pytest.approx(0.02)
    assert (config.timeout_seconds, config.time_scale) == (2.5, 60.0)
    page = admin_client.get(reverse("telephony:sandbox_settings"))
    assert 'value="12.5"' in page.text


def test_a_sandbox_update_by_htmx_returns_its_card(admin_client):
    response = admin_client.post(
        reverse("telephony:sandbox_update", args=["oca"]),
        sandbox_data("oca", error_rate="50"),
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 200
    assert response.text.lstrip().startswith('<div class="card')
    assert 'id="sandbox-oca"' in response.text
    assert "Saved the OCA Telkom call gateway sandbox settings." in response.text
    assert SandboxConfig.objects.get(vendor="oca").error_rate == pytest.approx(0.5)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"error_rate": "150"}, "error_rate", "less than or equal to 100"),
        ({"timeout_rate": "-1"}, "timeout_rate", "greater than or equal to 0"),
        ({"time_scale": "0"}, "time_scale", "greater than or equal to 0.01"),
        ({"latency_ms": "abc"}, "latency_ms", "Enter a whole number."),
        (
            {"error_rate": "60", "timeout_rate": "30", "malformed_rate": "20"},
            "__all__",
            "cannot exceed 100 %",
        ),
    ],
)
def test_sandbox_settings_are_validated(admin_client, changes, field, message):
    response = admin_client.post(
        reverse("telephony:sandbox_update", args=["oca"]),
        sandbox_data("oca", **changes),
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 200
    assert message in " ".join(response.context["card"]["form"].errors[field])
    assert message.replace("'", "&#x27;") in response.text
    assert not SandboxConfig.objects.filter(vendor="oca").exclude(error_rate=0).exists()


def test_an_unknown_sandbox_is_not_found(admin_client):
    response = admin_client.post(
        reverse("telephony:sandbox_update", args=["acme"]), sandbox_data("acme")
    )

    assert response.status_code == 404


@override_settings(SANDBOX_ENABLED=False)
def test_the_sandbox_pages_do_not_exist_when_sandboxes_are_off(admin_client):
    page = admin_client.get(reverse("telephony:sandbox_settings"))
    update = admin_client.post(
        reverse("telephony:sandbox_update", args=["oca"]), sandbox_data("oca")
    )

    assert page.status_code == 404 and update.status_code == 404
    assert not SandboxConfig.objects.exists()


# --- key rotation ---------------------------------------------------------------------------


def test_rotate_secrets_moves_every_account_to_the_newest_key():
    key_a, key_b = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    with override_settings(FIELD_ENCRYPTION_KEYS=[key_a]):
        first = ProviderAccountFactory(secrets={"password": "rotate-me-one"})
        second = ProviderAccountFactory(kind="cpaas", secrets={"auth": "rotate-me-two"})
        bare = ProviderAccountFactory(secrets={})
        ProviderAccount.objects.filter(pk=bare.pk).update(secrets_encrypted="")

    with override_settings(FIELD_ENCRYPTION_KEYS=[key_b]), pytest.raises(InvalidToken):
        _ = ProviderAccount.objects.get(pk=first.pk).secrets

    with override_settings(FIELD_ENCRYPTION_KEYS=[key_b, key_a]):
        out = io.StringIO()
        call_command("rotate_secrets", stdout=out)
        call_command("rotate_secrets", stdout=out)
    assert out.getvalue().count("Re-encrypted the secrets of 2 vendor accounts") == 2

    with override_settings(FIELD_ENCRYPTION_KEYS=[key_b]):
        assert ProviderAccount.objects.get(pk=first.pk).secrets == {"password": "rotate-me-one"}
        assert ProviderAccount.objects.get(pk=second.pk).secrets == {"auth": "rotate-me-two"}
        assert ProviderAccount.objects.get(pk=bare.pk).secrets == {}


def test_a_catalogue_is_bounded_and_its_errors_are_summed_up(db):
    form_class = CREDENTIAL_FORMS["myoperator"]
    account = ProviderAccountFactory(kind="myoperator", name="MyOperator catalogue")
    pasted = "\n".join(f"not a number {n}" for n in range(40))
    form = form_class({"caller_ids": pasted, "ivrs": "x" * 20_001}, instance=account)
    form.is_valid()
    assert len(form.errors["caller_ids"]) == 11
    assert form.errors["caller_ids"][-1] == "…and 30 more lines like these."
    assert "at most 20000 characters" in form.errors["ivrs"][0]
