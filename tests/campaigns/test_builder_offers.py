"""The builder offers only what can work: a MyOperator account's IVRs and DIDs from the
catalogue an admin keeps on the account page (the demo account comes pre-filled), only
the kinds of message the chosen vendor plays, and the creator's own time zone. An id
corrected in the catalogue carries its unfinished campaigns with it."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.http import QueryDict
from django.urls import reverse

from campaigns.forms.campaigns import CampaignForm
from campaigns.models import Campaign, Contact, ContactList
from campaigns.models.catalogue import ivr_renames
from telephony.models import ProviderAccount
from telephony.vendors.myoperator import sandbox as mo_sandbox
from tests.factories import ProviderAccountFactory

CREATE = reverse("campaigns:campaign_create")
CHECK = reverse("campaigns:campaign_check")
CATALOGUE = {
    "ivrs": [
        {"id": "66f2a1c0b3d94", "name": "Sales follow-up"},
        {"id": "66f2a1c0b3d95", "name": "Payment reminder"},
    ],
    "caller_ids": ["011609821", "011609822"],
}


@pytest.fixture
def myoperator(db):
    return ProviderAccountFactory(
        kind="myoperator", name="MyOperator one", config={"company_id": "c1", **CATALOGUE}
    )


@pytest.fixture
def cpaas(db):
    return ProviderAccountFactory(kind="cpaas", name="CPaaS one")


@pytest.fixture
def customers(db):
    contact_list = ContactList.objects.create(name="Customers")
    Contact.objects.create(contact_list=contact_list, number="+919876543200", name="C")
    contact_list.refresh_count()
    return contact_list


def data(account, lists, **changes) -> QueryDict:
    """The builder's POST, as the browser sends it."""
    fields = {
        "name": "Reminder",
        "account": str(account.pk),
        "kind": "ivr",
        "contact_lists": [str(item.pk) for item in lists],
        "time_zone": "Asia/Kolkata",
        "window_start": "09:00",
        "window_end": "21:00",
        "weekdays": ["0", "1", "2", "3", "4"],
        "contact_start": "09:00",
        "contact_end": "21:00",
        "calls_per_minute": "30",
        "max_retries": "1",
        "retry_minutes": "30",
        "retry_statuses": ["busy"],
        "repeat_count": "1",
        **changes,
    }
    posted = QueryDict(mutable=True)
    for name, value in fields.items():
        posted.setlist(name, value if isinstance(value, list) else [value])
    return posted


def options(form, name):
    return [value for value, _label in form.fields[name].choices]


# -- the catalogue ----------------------------------------------------------------------


def test_a_myoperator_ivr_and_caller_id_are_chosen_from_the_accounts_catalogue(
    myoperator, customers
):
    form = CampaignForm(data(myoperator, [customers]))
    assert options(form, "ivr_id") == ["", "66f2a1c0b3d94", "66f2a1c0b3d95"]
    assert (
        dict(form.fields["ivr_id"].choices)["66f2a1c0b3d95"] == "Payment reminder (66f2a1c0b3d95)"
    )
    assert options(form, "caller_id") == ["", "011609821", "011609822"]


def test_an_ivr_id_the_catalogue_lacks_cannot_be_chosen_but_a_saved_one_is_named_as_such(
    myoperator, customers
):
    posted = CampaignForm(data(myoperator, [customers], ivr_id="not-listed"))
    assert not posted.is_valid() and "ivr_id" in posted.errors
    saved = Campaign.objects.create(name="Old", account=myoperator, kind="ivr", ivr_id="gone-1")
    form = CampaignForm(instance=saved)
    assert (
        dict(form.fields["ivr_id"].choices)["gone-1"] == "gone-1 (not in the account's catalogue)"
    )


def test_an_account_with_no_ivrs_says_who_adds_them(db, customers):
    empty = ProviderAccountFactory(kind="myoperator", name="Empty", config={"company_id": "c"})
    form = CampaignForm(data(empty, [customers]))
    assert options(form, "ivr_id") == [""]
    assert "an admin adds them on the account's page" in form.fields["ivr_id"].help_text


def test_a_cpaas_caller_id_is_chosen_from_the_accounts_list_when_it_has_one(db, customers):
    listed = ProviderAccountFactory(
        kind="cpaas", name="Listed", config={"caller_ids": ["918045000000", "918045000001"]}
    )
    form = CampaignForm(data(listed, [customers], kind="tts"))
    assert options(form, "caller_id") == ["", "918045000000", "918045000001"]
    bare = ProviderAccountFactory(kind="cpaas", name="Bare")
    form = CampaignForm(data(bare, [customers], kind="tts"))
    assert not hasattr(form.fields["caller_id"], "choices")
    assert "No caller ids in the inventory for this account" in form.fields["caller_id"].help_text


def test_an_admin_keeps_the_catalogue_on_the_account_page(admin_client, myoperator):
    url = reverse("telephony:account_edit", args=[myoperator.pk])
    page = admin_client.get(url).content.decode()
    assert "66f2a1c0b3d94, Sales follow-up" in page
    form = {
        "name": myoperator.name,
        "company_id": "c1",
        "obd_url": "https://obd-api.myoperator.co/obd-api-v1",
        "rest_base_url": "https://developers.myoperator.co",
        "secret_token": "s" * 12,
        "x_api_key": "k" * 12,
        "rest_token": "t" * 12,
        "is_active": "on",
        "ivrs": "66f2a1c0b3d96, Survey\n\n  77aa, \n",
        "caller_ids": "011609821\n0122666661\n",
    }
    response = admin_client.post(url, form)
    assert response.status_code == 302
    myoperator.refresh_from_db()
    assert myoperator.ivr_catalogue == [
        {"id": "66f2a1c0b3d96", "name": "Survey"},
        {"id": "77aa", "name": ""},
    ]
    assert myoperator.caller_id_catalogue == ["011609821", "0122666661"]
    detail = admin_client.get(reverse("telephony:account_detail", args=[myoperator.pk]))
    assert "66f2a1c0b3d96 (Survey)" in detail.content.decode()


def test_a_catalogue_line_that_is_not_an_id_is_refused_with_its_line(admin_client, myoperator):
    url = reverse("telephony:account_edit", args=[myoperator.pk])
    response = admin_client.post(
        url,
        {
            "name": myoperator.name,
            "company_id": "c1",
            "obd_url": "https://obd-api.myoperator.co/obd-api-v1",
            "rest_base_url": "https://developers.myoperator.co",
            "ivrs": "66f2a1c0b3d96, Survey\nsales follow up\n66f2a1c0b3d96, Again",
            "caller_ids": "+91 11 6098",
        },
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Line 2: &#x27;sales follow up&#x27; is not an IVR id" in page
    assert "Line 3: 66f2a1c0b3d96 is listed twice." in page
    assert "Line 1: &#x27;+91 11 6098&#x27; is not a number" in page


def test_the_demo_myoperator_account_is_created_with_the_sandboxs_ivrs_and_dids(db):
    call_command("load_demo", sandbox_url="http://127.0.0.1:8000/sandbox", stdout=StringIO())
    account = ProviderAccount.objects.get(kind="myoperator")
    assert [ivr["id"] for ivr in account.ivr_catalogue] == list(mo_sandbox.PUBLIC_IVRS)
    assert account.caller_id_catalogue[0] == "011609821"


def test_correcting_an_ivr_id_in_the_catalogue_moves_its_unfinished_campaigns(myoperator):
    typo = dict(CATALOGUE, ivrs=[{"id": "66f2a1c0b3d99", "name": "Payment reminder"}])
    myoperator.config = {**myoperator.config, **typo}
    myoperator.save()
    paused = Campaign.objects.create(
        name="Paused", account=myoperator, kind="ivr", ivr_id="66f2a1c0b3d99", state="paused"
    )
    done = Campaign.objects.create(
        name="Done", account=myoperator, kind="ivr", ivr_id="66f2a1c0b3d99", state="completed"
    )
    myoperator.config = {**myoperator.config, **CATALOGUE}
    myoperator.save()
    paused.refresh_from_db()
    done.refresh_from_db()
    assert paused.ivr_id == "66f2a1c0b3d95"  # same name, corrected id
    assert done.ivr_id == "66f2a1c0b3d99"  # a finished campaign's record stays


def test_an_id_swapped_for_another_under_a_new_name_is_followed_too():
    before = [{"id": "a1", "name": "Old"}, {"id": "b2", "name": "Kept"}]
    after = [{"id": "c3", "name": "New"}, {"id": "b2", "name": "Kept"}]
    assert ivr_renames(before, after) == {"a1": "c3"}
    assert ivr_renames(before, [{"id": "b2", "name": "Kept"}]) == {}


# -- kinds and time zone ----------------------------------------------------------------


def test_the_builder_offers_only_the_kinds_the_vendor_plays(myoperator, cpaas, customers):
    assert options_of_kind(CampaignForm(data(myoperator, [customers]))) == ["ivr"]
    html = CampaignForm(data(cpaas, [customers]))["kind"].as_widget()
    assert all(f'value="{kind}"' in html for kind in ("tts", "audio", "ivr"))
    mo_html = CampaignForm(data(myoperator, [customers]))["kind"].as_widget()
    assert 'value="tts"' not in mo_html and 'value="ivr"' in mo_html


def options_of_kind(form):
    return [value for value, _label in form.fields["kind"].widget.choices]


def test_choosing_a_myoperator_account_switches_text_to_speech_to_ivr(
    supervisor_client, myoperator, cpaas, customers
):
    # The form was drawn for CPaaS (text-to-speech); the account just changed.
    posted = data(myoperator, [customers], kind="tts", layout=f"{cpaas.pk}:tts:")
    form = CampaignForm(posted)
    assert form.kind == "ivr" and options_of_kind(form) == ["ivr"]
    html = supervisor_client.post(CHECK, posted, HTTP_HX_REQUEST="true").content.decode()
    assert "plays an IVR, not text-to-speech" not in html


def test_a_new_campaign_starts_in_the_creators_time_zone(supervisor_client, supervisor_user):
    supervisor_user.profile.time_zone = "Asia/Jakarta"
    supervisor_user.profile.save()
    page = supervisor_client.get(CREATE).content.decode()
    assert '<option value="Asia/Jakarta" selected>' in page


def test_a_user_without_a_zone_starts_in_utc(db, supervisor_user):
    supervisor_user.profile.time_zone = ""
    supervisor_user.profile.save()
    assert CampaignForm(user=supervisor_user).initial["time_zone"] == "UTC"
