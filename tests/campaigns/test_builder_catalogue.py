"""The builder loads an OCA account's IVRs and caller-id numbers from the vendor (the
OCA sandbox over real HTTP), maps the IVR's required variables, and shows a vendor error
in the vendor's words."""

import pytest
from django.urls import reverse

from campaigns.forms.campaigns import vendor_catalogue
from campaigns.models import Campaign, Contact, ContactList
from telephony.models import ProviderAccount
from telephony.vendors.base import VendorError
from telephony.vendors.oca import sandbox
from telephony.vendors.oca.sandbox_data import SEED_NUMBERS

CHECK = reverse("campaigns:campaign_check")
CREATE = reverse("campaigns:campaign_create")
USERNAME = sandbox.SANDBOX_CREDENTIALS["username"]
PASSWORD = sandbox.SANDBOX_CREDENTIALS["password"]

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def oca_account(live_server, name="OCA sandbox", password=PASSWORD):
    account = ProviderAccount(
        kind="oca",
        name=name,
        base_url=f"{live_server.url}/sandbox/oca/api/v1",
        config={"username": USERNAME},
    )
    account.set_secrets({"password": password})
    account.save()
    return account


@pytest.fixture
def jakarta():
    contact_list = ContactList.objects.create(name="Jakarta", custom_fields=["amount"])
    Contact.objects.create(
        contact_list=contact_list,
        number="+6281200000001",
        name="Budi",
        time_zone="Asia/Jakarta",
        fields={"amount": "50000"},
    )
    contact_list.refresh_count()
    return contact_list


def ivr_data(account, contact_list, **changes):
    data = {
        "name": "Tagihan",
        "account": str(account.pk),
        "kind": "ivr",
        "contact_lists": [str(contact_list.pk)],
        "time_zone": "Asia/Jakarta",
        "window_start": "09:00",
        "window_end": "20:00",
        "weekdays": ["0", "1", "2", "3", "4"],
        "contact_start": "09:00",
        "contact_end": "21:00",
        "calls_per_minute": "30",
        "max_retries": "1",
        "retry_minutes": "15",
        "retry_statuses": ["busy"],
        "layout": "",
    }
    data.update(changes)
    return data


def test_choosing_an_oca_account_loads_its_ivrs_and_numbers(
    live_server, supervisor_client, jakarta
):
    account = oca_account(live_server)
    html = supervisor_client.post(CHECK, ivr_data(account, jakarta), HTTP_HX_REQUEST="true")
    html = html.content.decode()
    for ivr in sandbox.SEED_IVRS:
        assert ivr["ivr_name"] in html
    for number in SEED_NUMBERS:
        assert f'value="{number}"' in html
    assert "Choose an IVR to see the variables it needs." in html


def test_the_oca_lists_read_by_the_builder_are_kept_on_the_account(
    live_server, supervisor_client, jakarta
):
    account = oca_account(live_server)
    assert account.ivr_catalogue == [] and account.caller_id_catalogue == []
    supervisor_client.post(CHECK, ivr_data(account, jakarta), HTTP_HX_REQUEST="true")
    account.refresh_from_db()
    assert [ivr["name"] for ivr in account.ivr_catalogue] == [
        ivr["ivr_name"] for ivr in sandbox.SEED_IVRS
    ]
    assert account.caller_id_catalogue == list(SEED_NUMBERS)


def test_choosing_an_oca_ivr_maps_its_variables_from_list_fields(
    live_server, supervisor_client, supervisor_user, jakarta
):
    account = oca_account(live_server)
    ivr_id = sandbox.ivr_id_for(USERNAME, "tagihan")  # needs name, amount, audio_1
    data = ivr_data(account, jakarta, ivr_id=ivr_id, caller_id=SEED_NUMBERS[0])
    html = supervisor_client.post(CHECK, data, HTTP_HX_REQUEST="true").content.decode()
    # Prefilled {var} where the list has the field; audio_1 is left to fill.
    assert 'name="var_0" value="{name}"' in html
    assert 'name="var_1" value="{amount}"' in html
    assert 'name="var_2" value=' not in html  # audio_1: no such field, left empty
    assert "The IVR needs audio_1" in html

    data.update(var_0="{name}", var_1="Rp {amount}", var_2="https://example.com/a.mp3")
    html = supervisor_client.post(CHECK, data, HTTP_HX_REQUEST="true").content.decode()
    assert "The IVR needs" not in html
    assert "Rp 50000" in html  # the sample contact's variables

    data["var_1"] = "{amount_due}"
    html = supervisor_client.post(CHECK, data, HTTP_HX_REQUEST="true").content.decode()
    assert "{amount_due} is not a field of Jakarta." in html

    data["var_1"] = "Rp {amount}"
    response = supervisor_client.post(CREATE, data)
    assert response.status_code == 302
    campaign = Campaign.objects.get()
    assert campaign.ivr_id == ivr_id and campaign.caller_id == SEED_NUMBERS[0]
    assert campaign.ivr_variables == {
        "name": "{name}",
        "amount": "Rp {amount}",
        "audio_1": "https://example.com/a.mp3",
    }
    assert campaign.problems() == {}
    # The saved draft opens with its IVR and mapping.
    page = supervisor_client.get(reverse("campaigns:campaign_edit", args=[campaign.pk]))
    assert 'value="Rp {amount}"' in page.content.decode()


def test_a_vendor_error_is_shown_in_the_vendors_words(live_server, supervisor_client, jakarta):
    account = oca_account(live_server, name="OCA wrong password", password="not-it")
    client = account.client()
    with pytest.raises(VendorError) as raised:
        client.list_ivrs()
    client.http.session.close()
    vendor_words = raised.value.message
    assert vendor_words
    response = supervisor_client.post(CHECK, ivr_data(account, jakarta), HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert f"Could not load the vendor's lists. OCA wrong password: {vendor_words}" in html
    assert vendor_catalogue(account).error == f"OCA wrong password: {vendor_words}"
