"""Building a campaign's targets: one per distinct number, invalid and DND numbers set
aside with the reason, in one set-based statement, and never twice."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from campaigns.engine import build_targets
from campaigns.models import CampaignTarget, Contact, ContactList, DndEntry, DndList
from tests.factories import CampaignFactory

pytestmark = pytest.mark.django_db


def contact_list(name, rows):
    the_list = ContactList.objects.create(name=name, custom_fields=["amount"])
    Contact.objects.bulk_create(
        [
            Contact(
                contact_list=the_list,
                number=number,
                name=person,
                fields={"amount": amount},
                time_zone=zone,
                is_active=active,
            )
            for number, person, amount, zone, active in rows
        ]
    )
    return the_list


@pytest.fixture
def campaign():
    first = contact_list(
        "First",
        [
            ("+6281200000001", "Ani", "10", "Asia/Jakarta", True),
            ("+6281200000002", "Budi", "20", "", True),
            ("+6281200000003", "Citra", "30", "Asia/Makassar", False),  # inactive
            ("+919800000001", "Dev", "40", "Asia/Kolkata", True),  # not Indonesian
            ("+6281200000004", "Eka", "50", "", True),  # on the global DND list
            ("+6281200000005", "Fajar", "60", "", True),  # on the campaign's DND list
        ],
    )
    second = contact_list(
        "Second",
        [
            ("+6281200000001", "Ani again", "99", "", True),  # same number, later id
            ("+6281200000006", "Gita", "70", "Asia/Jayapura", True),
        ],
    )
    opt_outs = DndList.objects.create(name="Opt-outs")
    regulator = DndList.objects.create(name="Regulator", is_global=True)
    DndEntry.objects.create(dnd_list=regulator, number="+6281200000004")
    DndEntry.objects.create(dnd_list=opt_outs, number="+6281200000005")
    DndEntry.objects.create(dnd_list=DndList.objects.create(name="Unused"), number="+6281200000006")
    campaign = CampaignFactory()  # an OCA account
    campaign.contact_lists.set([first, second])
    campaign.dnd_lists.set([opt_outs])
    return campaign


def test_each_distinct_active_number_becomes_one_target_and_the_first_contact_wins(campaign):
    added = build_targets(campaign)

    targets = {target.number: target for target in campaign.targets.all()}
    assert added == 6
    assert sorted(targets) == [
        "+6281200000001",
        "+6281200000002",
        "+6281200000004",
        "+6281200000005",
        "+6281200000006",
        "+919800000001",
    ]
    ani = targets["+6281200000001"]
    assert (ani.name, ani.fields, ani.time_zone) == ("Ani", {"amount": "10"}, "Asia/Jakarta")
    assert ani.contact.name == "Ani"
    assert targets["+6281200000006"].time_zone == "Asia/Jayapura"


def test_numbers_the_vendor_cannot_dial_and_dnd_numbers_are_set_aside_with_the_reason(campaign):
    build_targets(campaign)

    targets = {target.number: target for target in campaign.targets.all()}
    invalid = targets["+919800000001"]
    assert invalid.status == CampaignTarget.Status.INVALID
    assert invalid.last_error == "OCA calls Indonesian numbers (+62) only."
    assert invalid.next_attempt_at is None
    for number in ("+6281200000004", "+6281200000005"):  # global list, chosen list
        assert targets[number].status == CampaignTarget.Status.DND
        assert targets[number].next_attempt_at is None
    # A DND list the campaign did not choose does not apply.
    for number in ("+6281200000001", "+6281200000002", "+6281200000006"):
        assert targets[number].status == CampaignTarget.Status.PENDING
        assert targets[number].next_attempt_at is not None
        assert targets[number].attempts == 0
    campaign.refresh_from_db()
    assert campaign.targets_built_at is not None
    assert campaign.funnel()["dnd"] == 2 and campaign.funnel()["invalid"] == 1


def test_the_build_is_one_insert_whatever_the_number_of_contacts(campaign):
    with CaptureQueriesContext(connection) as queries:
        build_targets(campaign)

    inserts = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("INSERT")]
    assert len(inserts) == 1 and "SELECT" in inserts[0]
    assert len(queries.captured_queries) < 12


def test_building_again_adds_nothing_even_when_the_first_build_was_not_recorded(campaign):
    build_targets(campaign)
    assert build_targets(campaign) == 0

    type(campaign).objects.filter(pk=campaign.pk).update(targets_built_at=None)
    campaign.refresh_from_db()
    assert build_targets(campaign) == 0  # ON CONFLICT: unique (campaign, number)
    assert campaign.targets.count() == 6
