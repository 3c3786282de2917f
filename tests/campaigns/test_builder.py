"""The campaign builder: create and edit drafts per persona, the checks as you type,
clone and delete."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.urls import reverse

from campaigns.models import Campaign, Contact, ContactList, DndEntry, DndList
from tests.factories import CampaignFactory, ProviderAccountFactory

CREATE = reverse("campaigns:campaign_create")
CHECK = reverse("campaigns:campaign_check")
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # a Monday


@pytest.fixture
def cpaas(db):
    return ProviderAccountFactory(kind="cpaas", name="CPaaS one")


@pytest.fixture
def myoperator(db):
    return ProviderAccountFactory(kind="myoperator", name="MyOperator one")


@pytest.fixture
def customers(db):
    contact_list = ContactList.objects.create(name="Customers", custom_fields=["due_amount"])
    for n in range(3):
        Contact.objects.create(
            contact_list=contact_list,
            number=f"+9198765432{n:02d}",
            name=f"Customer {n}",
            fields={"due_amount": str(100 * (n + 1))},
            time_zone="Asia/Kolkata",
        )
    contact_list.refresh_count()
    return contact_list


@pytest.fixture
def leads(db):
    contact_list = ContactList.objects.create(name="Leads", custom_fields=["city"])
    Contact.objects.create(contact_list=contact_list, number="+919876500001", name="Lead")
    contact_list.refresh_count()
    return contact_list


def tts_data(account, lists, **changes):
    data = {
        "name": "November dues",
        "account": str(account.pk),
        "kind": "tts",
        "announcement_text": "Hello {name}, you owe {due_amount}.",
        "caller_id": "918000000001",
        "contact_lists": [str(item.pk) for item in lists],
        "time_zone": "Asia/Kolkata",
        "starts_at": "2026-11-24T09:00",
        "ends_at": "2026-11-30T18:00",
        "window_start": "09:00",
        "window_end": "21:00",
        "weekdays": ["0", "1", "2", "3", "4"],
        "contact_start": "09:00",
        "contact_end": "21:00",
        "calls_per_minute": "60",
        "max_retries": "2",
        "retry_minutes": "30",
        "retry_statuses": ["busy", "no_answer"],
        "repeat_count": "2",
        "tts_voice": "",
        "tts_volume": "loud",
        "tts_rate": "",
        "tts_pitch": "",
        "tts_language": "en-IN",
        "tts_engine": "neural",
    }
    data.update(changes)
    return data


@pytest.fixture(autouse=True)
def frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield


def check(client, data):
    response = client.post(CHECK, data, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    return response.content.decode()


# -- who may build --------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["admin", "supervisor"])
def test_supervisors_and_admins_open_the_builder(request, persona, cpaas):
    client = request.getfixturevalue(f"{persona}_client")
    response = client.get(CREATE)
    assert response.status_code == 200
    assert "Save draft" in response.content.decode()


def test_viewers_cannot_open_the_builder_check_or_save(viewer_client, cpaas, customers):
    assert viewer_client.get(CREATE).status_code == 403
    assert viewer_client.post(CREATE, tts_data(cpaas, [customers])).status_code == 403
    assert viewer_client.post(CHECK, tts_data(cpaas, [customers])).status_code == 403
    assert not Campaign.objects.exists()


def test_anonymous_visitors_are_sent_to_log_in(anonymous_client):
    response = anonymous_client.get(CREATE)
    assert response.status_code == 302
    assert "/login" in response["Location"]


def test_the_account_choice_offers_only_active_accounts_that_run_campaigns(
    supervisor_client, cpaas, myoperator
):
    ProviderAccountFactory(kind="omilia", name="Omilia one")
    ProviderAccountFactory(kind="oca", name="OCA disabled", is_active=False)
    page = supervisor_client.get(CREATE).content.decode()
    assert "CPaaS one" in page and "MyOperator one" in page
    assert "Omilia one" not in page and "OCA disabled" not in page


# -- drafts ---------------------------------------------------------------------------


def test_saving_a_new_campaign_stores_a_draft_in_utc_and_opens_its_page(
    supervisor_client, supervisor_user, cpaas, customers
):
    response = supervisor_client.post(CREATE, tts_data(cpaas, [customers]))
    campaign = Campaign.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("campaigns:campaign_detail", args=[campaign.pk])
    assert campaign.state == Campaign.State.DRAFT
    assert campaign.created_by == supervisor_user
    assert list(campaign.contact_lists.all()) == [customers]
    # 09:00 in Kolkata (UTC+5:30) is 03:30 UTC.
    assert campaign.starts_at == datetime(2026, 11, 24, 3, 30, tzinfo=UTC)
    assert campaign.ends_at == datetime(2026, 11, 30, 12, 30, tzinfo=UTC)
    assert campaign.retry_interval == 30 * 60
    assert campaign.retry_statuses == ["busy", "no_answer"]
    assert (campaign.tts_volume, campaign.tts_engine, campaign.repeat_count) == (
        "loud",
        "neural",
        2,
    )
    assert campaign.problems() == {}


def test_a_draft_with_things_to_settle_saves_and_says_what_stops_it_starting(
    supervisor_client, cpaas
):
    response = supervisor_client.post(CREATE, tts_data(cpaas, []), follow=False)
    campaign = Campaign.objects.get()
    assert response.status_code == 302
    assert campaign.problems() == {"contact_lists": "Choose at least one contact list."}
    message = [str(m) for m in response.wsgi_request._messages][0]
    assert "Before it can start: Choose at least one contact list." in message


def test_an_error_in_the_settings_stops_the_save_and_shows_the_form_again(
    supervisor_client, cpaas, customers
):
    data = tts_data(cpaas, [customers], ends_at="2026-11-24T08:00")
    response = supervisor_client.post(CREATE, data)
    assert response.status_code == 200
    assert "The end must be after the start." in response.content.decode()
    assert not Campaign.objects.exists()


def test_editing_a_draft_changes_its_settings_and_lists(supervisor_client, cpaas, customers, leads):
    supervisor_client.post(CREATE, tts_data(cpaas, [customers]))
    campaign = Campaign.objects.get()
    url = reverse("campaigns:campaign_edit", args=[campaign.pk])
    page = supervisor_client.get(url).content.decode()
    assert 'value="2026-11-24T09:00"' in page  # shown back in the campaign's zone
    data = tts_data(
        cpaas, [customers, leads], name="Renamed", announcement_text="Hi {name}", campaign=""
    )
    response = supervisor_client.post(url, data)
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.name == "Renamed"
    assert set(campaign.contact_lists.all()) == {customers, leads}
    assert Campaign.objects.count() == 1


def test_only_drafts_can_be_edited(supervisor_client, myoperator):
    campaign = CampaignFactory(account=myoperator, state=Campaign.State.RUNNING)
    url = reverse("campaigns:campaign_edit", args=[campaign.pk])
    response = supervisor_client.get(url)
    assert response.status_code == 302
    assert response["Location"] == reverse("campaigns:campaign_detail", args=[campaign.pk])
    response = supervisor_client.post(url, {"name": "Changed"})
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.name != "Changed"


# -- checks as you type ---------------------------------------------------------------


def test_the_check_saves_nothing_and_shows_the_preview(supervisor_client, cpaas, customers):
    html = check(supervisor_client, tts_data(cpaas, [customers]))
    assert not Campaign.objects.exists()
    assert 'id="campaign-preview"' in html and 'hx-swap-oob="true"' in html
    assert "Hello Customer 0, you owe 100." in html


def test_a_placeholder_the_lists_lack_names_the_lists_that_lack_it(
    supervisor_client, cpaas, customers, leads
):
    data = tts_data(cpaas, [customers, leads], announcement_text="Hi {name} from {city}")
    html = check(supervisor_client, data)
    assert "{city} is not a field of Customers." in html
    data = tts_data(cpaas, [customers, leads], announcement_text="{due_amount} {city}")
    html = check(supervisor_client, data)
    assert "{due_amount} is not a field of Leads; {city} is not a field of Customers." in html


def test_an_end_before_the_start_is_an_error(supervisor_client, cpaas, customers):
    html = check(supervisor_client, tts_data(cpaas, [customers], ends_at="2026-11-24T08:59"))
    assert "The end must be after the start." in html


def test_an_empty_window_and_no_weekday_are_errors(supervisor_client, myoperator, customers):
    data = tts_data(
        myoperator,
        [customers],
        kind="ivr",
        ivr_id="ivr-1",
        window_start="10:00",
        window_end="10:00",
        weekdays=[],
    )
    html = check(supervisor_client, data)
    assert "The daily window is empty: its start and end are equal." in html
    assert "Choose at least one weekday." in html


def test_a_vendor_that_cannot_play_the_kind_says_so_in_words(
    supervisor_client, myoperator, customers
):
    # A kind posted for a layout already drawn for this account (so not switched).
    data = tts_data(myoperator, [customers], layout=f"{myoperator.pk}:tts:")
    html = check(supervisor_client, data)
    assert "MyOperator OBD plays an IVR, not text-to-speech: choose IVR." in html
    response = supervisor_client.post(CREATE, data)
    assert response.status_code == 200 and not Campaign.objects.exists()


def test_no_contact_list_is_a_problem(supervisor_client, cpaas):
    html = check(supervisor_client, tts_data(cpaas, []))
    assert "Choose at least one contact list." in html


@pytest.mark.parametrize("rate", ["0", "6001"])
def test_calls_per_minute_must_be_between_1_and_6000(supervisor_client, cpaas, customers, rate):
    html = check(supervisor_client, tts_data(cpaas, [customers], calls_per_minute=rate))
    assert "Calls per minute must be between 1 and 6,000." in html


def test_cpaas_needs_an_end_and_hides_what_it_does_not_honour(supervisor_client, cpaas, customers):
    html = check(supervisor_client, tts_data(cpaas, [customers], ends_at="", layout="x"))
    assert "CPaaS needs an end date and time." in html
    assert "honours only its start and end" in html
    assert 'name="window_start" value="09:00"' in html and "disabled" in html


def test_changing_the_account_redraws_the_vendor_sections(
    supervisor_client, cpaas, myoperator, customers
):
    data = tts_data(myoperator, [customers], kind="ivr", layout=f"{cpaas.pk}:tts:")
    html = check(supervisor_client, data)
    assert 'id="section-plays"' in html
    assert "MyOperator uses the caller id first, then the group, then the region" in html
    data["layout"] = f"{myoperator.pk}:ivr:"
    assert 'id="section-plays"' not in check(supervisor_client, data)


# -- clone and delete -----------------------------------------------------------------


def test_clone_copies_lists_and_settings_into_a_new_draft(
    supervisor_client, supervisor_user, cpaas, customers, leads
):
    dnd = DndList.objects.create(name="Opt-outs")
    source = CampaignFactory(
        account=cpaas,
        kind="tts",
        announcement_text="Hi {name}",
        calls_per_minute=120,
        tts_voice="Aditi",
        state=Campaign.State.STOPPED,
    )
    source.contact_lists.set([customers, leads])
    source.dnd_lists.set([dnd])
    response = supervisor_client.post(reverse("campaigns:campaign_clone", args=[source.pk]))
    copy = Campaign.objects.exclude(pk=source.pk).get()
    assert response["Location"] == reverse("campaigns:campaign_edit", args=[copy.pk])
    assert copy.state == Campaign.State.DRAFT and copy.cloned_from == source
    assert copy.name == f"Copy of {source.name}" and copy.created_by == supervisor_user
    assert (copy.announcement_text, copy.calls_per_minute, copy.tts_voice) == (
        "Hi {name}",
        120,
        "Aditi",
    )
    assert set(copy.contact_lists.all()) == {customers, leads}
    assert list(copy.dnd_lists.all()) == [dnd]


def test_viewers_cannot_clone_or_delete(viewer_client, myoperator):
    campaign = CampaignFactory(account=myoperator)
    assert (
        viewer_client.post(reverse("campaigns:campaign_clone", args=[campaign.pk])).status_code
        == 403
    )
    assert (
        viewer_client.post(reverse("campaigns:campaign_delete", args=[campaign.pk])).status_code
        == 403
    )
    assert Campaign.objects.count() == 1


def test_a_draft_is_deleted_after_its_confirmation_page(supervisor_client, myoperator, customers):
    campaign = CampaignFactory(account=myoperator, name="Old idea")
    campaign.contact_lists.set([customers])
    url = reverse("campaigns:campaign_delete", args=[campaign.pk])
    page = supervisor_client.get(url).content.decode()
    assert "Delete the draft Old idea?" in page and "Customers" in page
    assert Campaign.objects.filter(pk=campaign.pk).exists()
    response = supervisor_client.post(url)
    assert response["Location"] == reverse("campaigns:campaign_index")
    assert not Campaign.objects.filter(pk=campaign.pk).exists()
    assert ContactList.objects.filter(pk=customers.pk).exists()


@pytest.mark.parametrize("state", ["running", "stopped", "completed"])
def test_a_campaign_that_ran_cannot_be_deleted(supervisor_client, myoperator, state):
    campaign = CampaignFactory(account=myoperator, state=state)
    url = reverse("campaigns:campaign_delete", args=[campaign.pk])
    for response in (supervisor_client.get(url), supervisor_client.post(url)):
        assert response["Location"] == reverse("campaigns:campaign_detail", args=[campaign.pk])
    assert Campaign.objects.filter(pk=campaign.pk).exists()


def test_the_global_dnd_list_is_shown_as_always_excluded(supervisor_client, cpaas):
    global_list = DndList.objects.create(name="Everyone's DND", is_global=True)
    DndEntry.objects.create(dnd_list=global_list, number="+919876543200")
    DndList.objects.create(name="Marketing opt-outs")
    page = supervisor_client.get(CREATE).content.decode()
    assert "always excluded" in page and "Everyone&#x27;s DND" in page
    assert 'name="dnd_lists"' in page
    assert f'name="dnd_lists" value="{global_list.pk}"' not in page


def test_fields_drawn_only_after_a_change_start_from_their_defaults(
    supervisor_client, myoperator, cpaas, customers
):
    # The form was drawn for MyOperator (no repeat count); the account becomes CPaaS.
    data = tts_data(cpaas, [customers], layout=f"{myoperator.pk}:ivr:")
    del data["repeat_count"], data["tts_language"]
    html = check(supervisor_client, data)
    assert 'name="repeat_count" value="1"' in html
    assert "This field is required" not in html
