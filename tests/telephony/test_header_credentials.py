"""A credential sent in an HTTP header (CPaaS's account and auth, MyOperator's x-api-key,
OCA's Basic login) can only hold Latin-1: the form refuses anything else, naming the
field and the header, and an account stored before that is a clear failed test, never a
500."""

import pytest
from django.urls import reverse

from telephony.models import ProviderAccount, ProviderRequest
from telephony.vendors.base import Fault
from telephony.vendors.http import UnsendableCredential
from tests.telephony.echo_vendor import Recorder

pytestmark = pytest.mark.django_db

WIDE_SECRET = "s3cret€中😀-value"

FORMS = {
    "myoperator": {
        "name": "MyOperator",
        "company_id": "c1",
        "x_api_key": "xk-1234",
        "secret_token": "st-1234",
        "rest_token": "rt-1234",
        "obd_url": "https://obd-api.myoperator.co/obd-api-v1",
        "rest_base_url": "https://developers.myoperator.co",
    },
    "cpaas": {
        "name": "CPaaS",
        "base_url": "https://cpaas.example.com/",
        "account": "acc_1",
        "auth": "auth-1234",
    },
    "oca": {
        "name": "OCA",
        "base_url": "https://call.ocatelkom.co.id/api/v1",
        "username": "ops",
        "password": "pass-1234",
    },
}


def post(client, kind, **changes):
    data = {**FORMS[kind], "is_active": "on", **changes}
    return client.post(reverse("telephony:account_create") + f"?kind={kind}", data)


@pytest.mark.parametrize(
    ("kind", "field", "where"),
    [
        ("myoperator", "x_api_key", "the OBD API's x-api-key header"),
        ("cpaas", "auth", "the API's auth header"),
        ("oca", "password", "the HTTP Basic login"),
    ],
)
def test_a_secret_outside_latin1_is_a_form_error_naming_its_header(
    admin_client, kind, field, where
):
    response = post(admin_client, kind, **{field: WIDE_SECRET})

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == [field]
    message = errors[field][0]
    assert message.startswith(f"This is sent in {where}, which can carry only Latin-1")
    assert "holds 3 character(s) outside Latin-1" in message
    # The secret's own characters are not repeated back in the page.
    assert "s3cret" not in response.text and "😀" not in response.text
    assert not ProviderAccount.objects.exists()


@pytest.mark.parametrize(
    ("kind", "field", "where"),
    [("cpaas", "account", "the API's account header"), ("oca", "username", "the HTTP Basic")],
)
def test_a_setting_outside_latin1_is_a_form_error_naming_its_characters(
    admin_client, kind, field, where
):
    response = post(admin_client, kind, **{field: "ops€"})

    message = response.context["form"].errors[field][0]
    assert where in message and "holds “€”" in message


@pytest.mark.parametrize(
    ("kind", "field"), [("myoperator", "x_api_key"), ("cpaas", "auth"), ("oca", "password")]
)
def test_latin1_accents_are_fine_in_a_header(admin_client, kind, field):
    response = post(admin_client, kind, **{field: "mot-de-passe-é"})

    assert response.status_code == 302
    assert ProviderAccount.objects.get().secrets[field] == "mot-de-passe-é"


def test_a_line_break_in_a_header_secret_is_a_form_error(admin_client):
    response = post(admin_client, "cpaas", auth="auth\r\nX-Injected: 1")

    assert "cannot carry line breaks" in response.context["form"].errors["auth"][0]


def test_a_secret_sent_in_a_body_may_hold_any_character(admin_client):
    response = post(admin_client, "myoperator", secret_token=WIDE_SECRET, rest_token=WIDE_SECRET)

    assert response.status_code == 302


def test_editing_keeps_the_check(admin_client):
    account = ProviderAccount(kind="cpaas", name="CPaaS", base_url="https://cpaas.example.com/")
    account.config = {"account": "acc_1"}
    account.set_secrets({"auth": "auth-1234"})
    account.save()

    response = admin_client.post(
        reverse("telephony:account_edit", args=[account.pk]),
        {**FORMS["cpaas"], "auth": WIDE_SECRET, "is_active": "on"},
    )

    assert "auth" in response.context["form"].errors
    account.refresh_from_db()
    assert account.secrets["auth"] == "auth-1234"


# --- accounts stored before the check ------------------------------------------------------


def stored(kind, url, secrets, config):
    account = ProviderAccount(kind=kind, name=f"Stored {kind}", base_url=url, config=config)
    account.set_secrets(secrets)
    account.save()
    return account


@pytest.mark.parametrize("htmx", [True, False])
@pytest.mark.parametrize(
    ("kind", "secrets", "config", "where"),
    [
        ("cpaas", {"auth": WIDE_SECRET}, {"account": "acc_1"}, "the auth header"),
        (
            "oca",
            {"password": WIDE_SECRET},
            {"username": "ops"},
            "the HTTP Basic login (username and password)",
        ),
    ],
)
def test_testing_a_stored_account_with_such_a_secret_is_a_clear_failure_not_a_500(
    admin_client, kind, secrets, config, where, htmx
):
    with Recorder() as vendor:
        account = stored(kind, f"{vendor.url}/", secrets, config)
        response = admin_client.post(
            reverse("telephony:account_test", args=[account.pk]),
            headers={"HX-Request": "true"} if htmx else {},
            follow=not htmx,
        )
        seen = list(vendor.seen)

    assert response.status_code == 200
    assert seen == []
    account.refresh_from_db()
    assert account.last_test_ok is False
    assert account.last_test_message.startswith(f"This account's value for {where} holds")
    assert "Edit the account" in account.last_test_message
    assert account.last_test_message in response.content.decode().replace("&#x27;", "'")
    assert "s3cret" not in response.content.decode()


def test_an_obd_call_with_such_an_x_api_key_sends_nothing_and_fails_as_an_auth_error():
    with Recorder() as vendor:
        account = stored(
            "myoperator",
            "",
            {"secret_token": "st-1234", "x_api_key": WIDE_SECRET, "rest_token": "rt-1234"},
            {"company_id": "c1", "obd_url": f"{vendor.url}/obd", "rest_base_url": vendor.url},
        )
        with pytest.raises(UnsendableCredential) as caught:
            account.client().call_ivr(
                number="+919212992129", public_ivr_id="ivr-1", reference_id="ref-1"
            )
        seen = list(vendor.seen)

    assert seen == []
    assert "x-api-key header" in caught.value.message
    [row] = ProviderRequest.objects.filter(account=account)
    assert row.error_kind == "UnsendableCredential" and not row.retried


def test_such_a_credential_is_about_the_account_so_a_campaign_pauses_on_it():
    account = stored("cpaas", "http://127.0.0.1:9/", {"auth": WIDE_SECRET}, {"account": "a"})

    with pytest.raises(UnsendableCredential) as caught:
        account.client().get_live_call_statistics()

    assert caught.value.fault == Fault.ACCOUNT
    assert caught.value.hint.startswith("Edit the account")
