"""The seam never follows a vendor's redirect: a request carries credentials (CPaaS's
`auth` header, an x-api-key, a Basic login) that must not reach another origin. A
redirect is an error naming its (redacted) location."""

import pytest
from django.urls import reverse

from telephony.models import ProviderAccount, ProviderRequest
from telephony.vendors.base import Fault
from telephony.vendors.http import REDACTED, Redirected, VendorHTTP
from tests.telephony.echo_vendor import Recorder, RedirectingVendor

pytestmark = pytest.mark.django_db

AUTH = "cpaas-auth-Rd7q-0c41e9"


def cpaas_account(base_url: str) -> ProviderAccount:
    account = ProviderAccount(
        kind="cpaas", name="Redirected CPaaS", base_url=base_url, config={"account": "acc_1"}
    )
    account.set_secrets({"auth": AUTH})
    account.save()
    return account


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_cross_origin_redirect_is_not_followed_so_the_auth_header_stays_home(status):
    with Recorder() as elsewhere:
        target = f"{elsewhere.url}/api/get_live_call_statistics"
        with RedirectingVendor(target, status) as vendor:
            account = cpaas_account(f"{vendor.url}/")
            result = account.test_connection()
            first = list(vendor.seen)
        reached = list(elsewhere.seen)

    assert first and first[0].headers.get("auth") == AUTH  # the vendor itself got it
    assert reached == []  # the other origin got nothing, and so no auth header
    assert not result.ok
    assert result.message == (
        f"The vendor answered with a redirect ({status}) to {target}; Dialdesk does not "
        "follow redirects with credentials. Check the account's base URL."
    )
    [row] = ProviderRequest.objects.filter(account=account)
    assert (row.error_kind, row.status_code, row.retried) == ("Redirected", status, False)


def test_a_same_origin_redirect_is_not_followed_either():
    with RedirectingVendor("/elsewhere") as vendor:
        with pytest.raises(Redirected) as caught:
            VendorHTTP("oca").request("GET", f"{vendor.url}/ivr-list")
        seen = list(vendor.seen)

    assert len(seen) == 1
    assert caught.value.location == f"{vendor.url}/elsewhere"
    assert f"redirect (302) to {vendor.url}/elsewhere" in caught.value.message


def test_the_redirect_location_is_redacted(admin_client):
    with RedirectingVendor(f"https://sso.example.net/login?auth={AUTH}&next=%2F") as vendor:
        account = cpaas_account(f"{vendor.url}/")
        result = account.test_connection()
    page = admin_client.get(reverse("telephony:account_detail", args=[account.pk]))

    assert f"https://sso.example.net/login?auth={REDACTED}&next=%2F" in result.message
    assert AUTH not in result.message and AUTH not in page.content.decode()
    assert AUTH not in ProviderRequest.objects.get(account=account).error


def test_a_redirect_to_a_metadata_address_is_reported_not_followed():
    metadata = "http://169.254.169.254/latest/meta-data/iam/security-credentials/"
    with RedirectingVendor(metadata) as vendor:
        account = cpaas_account(f"{vendor.url}/")
        result = account.test_connection()

    assert not result.ok and f"to {metadata};" in result.message


def test_a_redirect_is_about_the_account_so_a_campaign_pauses_on_it():
    with (
        RedirectingVendor("https://elsewhere.example.net/") as vendor,
        pytest.raises(Redirected) as caught,
    ):
        VendorHTTP("myoperator").request("POST", f"{vendor.url}/obd-api-v1", json_body={})

    assert caught.value.fault == Fault.ACCOUNT
    assert "base URL" in caught.value.hint
