# ruff: noqa: F811 (pytest fixtures are imported by name, then requested as arguments)
"""The builder's caller id comes from the number inventory for every vendor (issue 12),
and a MyOperator or OCA campaign may rotate over a number set or a pool of its account's
numbers with a strategy. With an empty inventory the field says where numbers are added."""

import pytest
from django.urls import reverse

from campaigns.forms.campaigns import CampaignForm
from campaigns.models import Campaign
from phone_numbers.models import NumberSet, PhoneNumber
from tests.campaigns.test_builder_offers import (  # noqa: F401 (fixtures)
    customers,
    data,
    myoperator,
    options,
)
from tests.factories import ProviderAccountFactory

DELHI, MUMBAI = "+911123456789", "+912223456789"


def inventory(account, *numbers, **fields):
    return [
        PhoneNumber.objects.create(account=account, number=n, kind="caller_id", **fields)
        for n in numbers
    ]


@pytest.mark.parametrize("kind", ["myoperator", "oca", "cpaas"])
def test_every_vendors_caller_id_is_chosen_from_the_accounts_inventory(db, customers, kind):
    account = ProviderAccountFactory(kind=kind, name=f"{kind} account", config={})
    inventory(account, DELHI, MUMBAI, region="Delhi")
    other = ProviderAccountFactory(kind=kind, name=f"{kind} other", config={})
    inventory(other, "+918023456789")

    form = CampaignForm(data(account, [customers], kind="tts" if kind == "cpaas" else "ivr"))

    assert options(form, "caller_id") == ["", DELHI, MUMBAI]
    assert "Delhi" in dict(form.fields["caller_id"].choices)[DELHI]


def test_the_accounts_catalogue_stays_choosable_beside_the_inventory(db, customers, myoperator):
    inventory(myoperator, DELHI)

    form = CampaignForm(data(myoperator, [customers]))

    assert options(form, "caller_id") == ["", DELHI, "011609821", "011609822"]


def test_a_skipped_number_says_so_in_the_choice(db, customers, myoperator):
    inventory(myoperator, DELHI, status="resting")

    form = CampaignForm(data(myoperator, [customers]))

    assert dict(form.fields["caller_id"].choices)[DELHI].endswith("(resting: skipped)")


def test_an_empty_inventory_says_where_numbers_are_added(db, customers):
    account = ProviderAccountFactory(kind="oca", name="OCA empty", config={"caller_ids": []})

    form = CampaignForm(data(account, [customers]))

    help_text = str(form.fields["caller_id"].help_text)
    assert "No caller ids in the inventory for this account: add them under" in help_text
    assert f'href="{reverse("numbers:number_index")}"' in help_text
    assert options(form, "caller_id") == [""]


def test_a_pool_campaign_is_saved_with_its_numbers_and_strategy(
    db, customers, myoperator, supervisor_client
):
    delhi, mumbai = inventory(myoperator, DELHI, MUMBAI)
    posted = data(
        myoperator,
        [customers],
        ivr_id="66f2a1c0b3d94",
        caller_source="pool",
        caller_strategy="least_used",
        caller_pool=[str(delhi.pk), str(mumbai.pk)],
    )

    as_lists = {name: posted.getlist(name) for name in posted}
    response = supervisor_client.post(reverse("campaigns:campaign_create"), as_lists)

    assert response.status_code == 302, response.content.decode()[:2000]
    campaign = Campaign.objects.get(name="Reminder")
    assert campaign.caller_source == "pool" and campaign.caller_strategy == "least_used"
    assert set(campaign.caller_pool.all()) == {delhi, mumbai}


def test_a_set_or_pool_must_be_chosen_and_belong_to_the_account(db, customers, myoperator):
    other = ProviderAccountFactory(kind="myoperator", name="Other", config={})
    foreign = inventory(other, MUMBAI)[0]
    foreign_set = NumberSet.objects.create(account=other, name="Theirs")

    no_set = CampaignForm(data(myoperator, [customers], caller_source="set"))
    no_pool = CampaignForm(
        data(myoperator, [customers], caller_source="pool", caller_pool=[str(foreign.pk)])
    )
    their_set = CampaignForm(
        data(myoperator, [customers], caller_source="set", caller_set=str(foreign_set.pk))
    )

    assert no_set.errors["caller_set"] == ["Choose the number set to rotate over."]
    assert "caller_pool" in no_pool.errors  # not one of this account's numbers
    assert "caller_set" in their_set.errors


def test_myoperators_order_needs_something_to_prefer(db, customers, myoperator):
    delhi = inventory(myoperator, DELHI)[0]
    form = CampaignForm(
        data(
            myoperator,
            [customers],
            caller_source="pool",
            caller_strategy="preference",
            caller_pool=[str(delhi.pk)],
        )
    )

    assert form.errors["caller_strategy"] == [
        "MyOperator's order needs a caller id, a group or a region to prefer."
    ]


def test_cpaas_runs_its_own_campaign_so_it_offers_no_rotation(db, customers):
    account = ProviderAccountFactory(kind="cpaas", name="CPaaS", config={})
    inventory(account, DELHI)

    form = CampaignForm(data(account, [customers], kind="tts"))

    assert "caller_pool" not in form.shown and "caller_source" not in form.shown
    assert "caller_id" in form.shown


def test_the_builder_page_draws_the_rotation_fields(db, customers, myoperator, supervisor_client):
    inventory(myoperator, DELHI)
    campaign = Campaign.objects.create(name="Draft", account=myoperator, kind="ivr")

    body = supervisor_client.get(reverse("campaigns:campaign_edit", args=[campaign.pk]))

    html = body.content.decode()
    assert 'name="caller_source"' in html and 'name="caller_pool"' in html
    assert "Least used today" in html and DELHI in html
