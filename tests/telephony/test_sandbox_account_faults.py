"""The Sandboxes page switches each vendor simulator's account-wide errors on and off."""

from django.urls import reverse

from telephony.models import SandboxConfig
from tests.telephony.test_accounts import sandbox_data


def switches(vendor, *keys):
    return {f"{vendor}-account-account_faults": list(keys)}


def test_each_engine_vendor_card_lists_its_account_wide_errors(admin_client):
    body = admin_client.get(reverse("telephony:sandbox_settings")).content.decode()
    for label in (
        "Our IP is not allowed",
        "Anonymous dial (number_2) is off",
        "Billing expired",
        "Company details incomplete",
        "One call per number a day",
        "Quota used up (code 55, on calls)",
        "Account expired (code 51)",
        "Credentials refused (401)",
    ):
        assert label in body
    assert not SandboxConfig.objects.exists()


def test_an_admin_switches_oca_quota_on_then_off(admin_client):
    url = reverse("telephony:sandbox_update", args=["oca"])
    admin_client.post(url, {**sandbox_data("oca"), **switches("oca", "quota_not_enough")})
    assert SandboxConfig.for_vendor("oca").account_faults == ["quota_not_enough"]
    card = admin_client.get(reverse("telephony:sandbox_settings")).content.decode()
    assert 'title="Faults injected now">Quota used up (code 55, on calls)</span>' in card
    assert 'value="quota_not_enough" id="id_oca-account-account_faults_0" checked' in card

    admin_client.post(url, sandbox_data("oca"))
    assert SandboxConfig.for_vendor("oca").account_faults == []


def test_an_unknown_switch_is_refused_and_nothing_is_saved(admin_client):
    response = admin_client.post(
        reverse("telephony:sandbox_update", args=["myoperator"]),
        {**sandbox_data("myoperator", error_rate="5"), **switches("myoperator", "free_calls")},
    )
    assert "Select a valid choice" in response.content.decode()
    config = SandboxConfig.for_vendor("myoperator")
    assert config.account_faults == [] and config.error_rate == 0
