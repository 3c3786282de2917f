"""The builder's preview: who a campaign would call, counted on the lists by aggregate
queries, and the announcement as the first eligible contact hears it."""

from datetime import UTC, datetime

import pytest
import time_machine

from campaigns.models import Campaign, Contact, ContactList, DndEntry, DndList
from tests.factories import ProviderAccountFactory

# 10:00 UTC: 15:30 in Kolkata (open), 05:00 in New York (closed), 21:00 in Sydney (closed).
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def add(contact_list, number, *, zone="Asia/Kolkata", name="", active=True, **fields):
    return Contact.objects.create(
        contact_list=contact_list,
        number=number,
        name=name,
        time_zone=zone,
        fields=fields,
        is_active=active,
    )


@pytest.fixture
def engine_account(db):
    return ProviderAccountFactory(kind="myoperator", name="MyOperator")


@pytest.fixture
def lists(db):
    first = ContactList.objects.create(name="First", custom_fields=["due_amount"])
    second = ContactList.objects.create(name="Second", custom_fields=["due_amount"])
    add(first, "+919800000001", name="Asha", due_amount="250")  # eligible, open
    add(first, "+919800000002", name="Bala")  # in the campaign's DND list
    add(first, "+919800000003", name="Chitra")  # in the global DND list
    add(first, "+12125550100", zone="America/New_York", name="Dan")  # eligible, closed
    add(first, "+61291234567", zone="Australia/Sydney", name="Eve")  # eligible, closed
    add(first, "+919800000009", name="Inactive", active=False)  # not counted
    add(second, "+919800000001", name="Asha again")  # the same number: counted once
    add(second, "+919800000004", zone="", name="Farah")  # no zone: the campaign's zone
    return first, second


@pytest.fixture
def dnd(db):
    chosen = DndList.objects.create(name="Chosen DND")
    DndEntry.objects.create(dnd_list=chosen, number="+919800000002")
    global_list = DndList.objects.create(name="Global", is_global=True)
    DndEntry.objects.create(dnd_list=global_list, number="+919800000003")
    unchosen = DndList.objects.create(name="Not chosen")
    DndEntry.objects.create(dnd_list=unchosen, number="+919800000004")
    return chosen


def campaign_on(account, **fields):
    return Campaign(
        name="Preview",
        account=account,
        kind=fields.pop("kind", "ivr"),
        time_zone=fields.pop("time_zone", "Asia/Kolkata"),
        calls_per_minute=fields.pop("calls_per_minute", 2),
        **fields,
    )


@time_machine.travel(NOW, tick=False)
def test_the_preview_counts_dnd_outside_hours_and_duplicates_once(engine_account, lists, dnd):
    campaign = campaign_on(engine_account)
    preview = campaign.preview(NOW, [item.pk for item in lists], [dnd.pk])
    assert preview.contacts == 7  # active rows over both lists
    assert preview.numbers == 6  # +919800000001 is in both lists
    assert preview.duplicates == 1
    assert preview.dnd_blocked == 2  # the chosen list and the global list
    assert preview.invalid == 0  # MyOperator dials any stored (E.164) number
    assert preview.eligible == 4
    assert preview.outside_hours == 2  # New York and Sydney are closed at 10:00 UTC
    assert set(preview.closed_zones) == {"America/New_York", "Australia/Sydney"}


@time_machine.travel(NOW, tick=False)
def test_a_dnd_list_not_chosen_does_not_block(engine_account, lists, dnd):
    campaign = campaign_on(engine_account)
    without = campaign.preview(NOW, [item.pk for item in lists], [])
    assert without.dnd_blocked == 1  # only the global list applies
    assert without.eligible == 5


def test_calling_hours_are_read_in_each_contacts_own_zone(engine_account, lists, dnd):
    # 14:00 UTC is 09:00 in New York: New York opens; Kolkata (19:30) is still open.
    at = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
    with time_machine.travel(at, tick=False):
        preview = campaign_on(engine_account).preview(at, [item.pk for item in lists], [dnd.pk])
    assert preview.outside_hours == 1  # only Sydney (01:00) is closed


def test_the_duration_follows_the_rate_and_the_daily_window(engine_account, db):
    contact_list = ContactList.objects.create(name="Many")
    Contact.objects.bulk_create(
        Contact(contact_list=contact_list, number=f"+9198{n:08d}", time_zone="Asia/Kolkata")
        for n in range(300)
    )
    campaign = campaign_on(
        engine_account,
        calls_per_minute=1,
        window_start=datetime(2026, 1, 1, 22, 0).time(),
        window_end=datetime(2026, 1, 1, 0, 0).time(),  # 22:00-00:00: two hours a night
    )
    preview = campaign.preview(NOW, [contact_list.pk], [])
    assert preview.eligible == 300
    assert preview.minutes == 300
    assert preview.window_minutes == 120
    assert preview.days == 3
    assert preview.duration == "about 5 hours"


def test_the_sample_is_the_first_eligible_contact_rendered(engine_account, lists, dnd):
    cpaas = ProviderAccountFactory(kind="cpaas", name="CPaaS")
    campaign = campaign_on(cpaas, kind="tts", announcement_text="Hi {name}, pay {due_amount}.")
    preview = campaign.preview(NOW, [item.pk for item in lists], [dnd.pk])
    assert preview.sample["number"] == "+919800000001"
    assert preview.rendered == "Hi Asha, pay 250."
    assert preview.outside_hours is None  # CPaaS does not apply contact calling hours


def test_oca_previews_its_ivr_variables_and_counts_non_indonesian_numbers_invalid(db):
    oca = ProviderAccountFactory(kind="oca", name="OCA")
    contact_list = ContactList.objects.create(name="Jakarta", custom_fields=["amount"])
    add(contact_list, "+14155550100", zone="America/Los_Angeles")
    add(contact_list, "+6281200000001", zone="Asia/Jakarta", name="Budi", amount="50000")
    campaign = campaign_on(
        oca, ivr_id="x", ivr_variables={"name": "{name}", "amount": "Rp {amount}"}
    )
    preview = campaign.preview(NOW, [contact_list.pk], [])
    assert (preview.invalid, preview.eligible) == (1, 1)
    assert preview.invalid_reason == "OCA calls Indonesian numbers (+62) only."
    assert preview.rendered_variables == {"name": "Budi", "amount": "Rp 50000"}


def test_the_counts_take_a_fixed_number_of_queries(
    engine_account, lists, dnd, django_assert_max_num_queries
):
    extra = ContactList.objects.create(name="Big")
    Contact.objects.bulk_create(
        Contact(contact_list=extra, number=f"+9197{n:08d}", time_zone="Asia/Kolkata")
        for n in range(500)
    )
    ids = [item.pk for item in lists] + [extra.pk]
    with django_assert_max_num_queries(20):
        preview = campaign_on(engine_account).preview(NOW, ids, [dnd.pk])
    assert preview.eligible == 504


def test_problems_reads_the_saved_lists(engine_account, lists):
    campaign = campaign_on(engine_account, ivr_id="ivr-9")
    campaign.save()
    assert campaign.problems() == {"contact_lists": "Choose at least one contact list."}
    campaign.contact_lists.set(lists)
    assert campaign.problems() == {}


def test_an_unmapped_ivr_variable_is_a_problem(db):
    oca = ProviderAccountFactory(kind="oca", name="OCA")
    contact_list = ContactList.objects.create(name="Jakarta", custom_fields=["amount"])
    campaign = campaign_on(
        oca, ivr_id="x", caller_id="0218", ivr_variables={"name": "{name}", "amount": ""}
    )
    problems = campaign.problems(
        [contact_list.pk], required_variables=["name", "amount", "audio_1"]
    )
    assert problems == {
        "ivr_variables": "The IVR needs amount, audio_1: give each a value or a contact "
        "field such as {amount}."
    }
    campaign.ivr_variables = {"name": "{nama}", "amount": "{amount}"}
    problems = campaign.problems([contact_list.pk], required_variables=["name", "amount"])
    assert problems == {"ivr_variables": "{nama} is not a field of Jakarta."}


def test_start_refuses_a_campaign_with_problems_in_words(engine_account):
    campaign = campaign_on(engine_account, kind="tts")
    campaign.save()
    started, message = campaign.start()
    assert not started
    assert "MyOperator OBD plays an IVR, not text-to-speech: choose IVR." in message
    assert "Choose at least one contact list." in message
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.DRAFT
