"""Building a campaign's targets: one per distinct number, invalid and DND numbers set
aside with the reason, in one set-based statement, and never twice."""

import threading

import pytest
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext

from campaigns.engine import build_targets
from campaigns.models import Campaign, CampaignTarget, Contact, ContactList, DndEntry, DndList
from tests.factories import CampaignFactory
from tests.qcluster import ON_POSTGRES

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
    # The vendor's rule and the DND check are evaluated once per number, not once per
    # column that depends on them (status, due time, reason).
    insert = inserts[0]
    assert insert.count('FROM "campaigns_dndentry"') == 1
    assert insert.count("LIKE") == 1  # OCA: +62 numbers only
    assert ("DISTINCT ON" if connection.vendor == "postgresql" else "GROUP BY") in insert


def test_a_repeated_number_goes_to_its_first_active_contact(campaign):
    _, second = campaign.contact_lists.order_by("id")
    Contact.objects.create(contact_list=second, number="+6281200000003", name="Citra again")

    build_targets(campaign)

    citra = campaign.targets.get(number="+6281200000003")
    assert citra.contact.name == "Citra again"  # the first contact is inactive
    assert citra.status == CampaignTarget.Status.PENDING
    assert campaign.targets.count() == 7


@pytest.mark.parametrize(
    ("kind", "invalid", "reason"),
    [
        ("cpaas", ["+62812345"], "CPaaS takes numbers of 10 to 15 digits."),
        ("myoperator", [], ""),
    ],
)
def test_each_vendor_rule_sets_its_numbers_aside(kind, invalid, reason):
    the_list = contact_list(
        "Mixed",
        [
            ("+6281200000001", "Ani", "1", "", True),
            ("+62812345", "Short", "2", "", True),
            ("+919800000001", "Dev", "3", "", True),
        ],
    )
    campaign = CampaignFactory(account__kind=kind)
    campaign.contact_lists.set([the_list])

    assert build_targets(campaign) == 3

    targets = {target.number: target for target in campaign.targets.all()}
    assert sorted(n for n, t in targets.items() if t.status == "invalid") == invalid
    for number in invalid:
        assert targets[number].last_error == reason
        assert targets[number].next_attempt_at is None
    assert all(t.next_attempt_at for t in targets.values() if t.status == "pending")


def test_without_dnd_lists_every_dialable_number_is_pending():
    the_list = contact_list(
        "Plain",
        [("+6281200000001", "Ani", "1", "", True), ("+919800000001", "Dev", "2", "", True)],
    )
    DndEntry.objects.create(
        dnd_list=DndList.objects.create(name="Not chosen"), number="+6281200000001"
    )
    campaign = CampaignFactory()
    campaign.contact_lists.set([the_list])

    assert build_targets(campaign) == 2

    statuses = dict(campaign.targets.values_list("number", "status"))
    assert statuses == {"+6281200000001": "pending", "+919800000001": "invalid"}


def test_a_campaign_without_contact_lists_is_built_with_no_targets():
    campaign = CampaignFactory()

    assert build_targets(campaign) == 0

    campaign.refresh_from_db()
    assert campaign.targets_built_at is not None
    assert not campaign.targets.exists()


def test_building_again_adds_nothing_even_when_the_first_build_was_not_recorded(campaign):
    build_targets(campaign)
    assert build_targets(campaign) == 0

    type(campaign).objects.filter(pk=campaign.pk).update(targets_built_at=None)
    campaign.refresh_from_db()
    assert build_targets(campaign) == 0  # ON CONFLICT: unique (campaign, number)
    assert campaign.targets.count() == 6


@pytest.mark.skipif(not ON_POSTGRES, reason="two connections at once need PostgreSQL")
# serialized_rollback: a plain transactional test's flush re-runs post_migrate, whose
# roles get new ids on PostgreSQL, and the next serialized test cannot restore its own.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_build_that_starts_while_another_is_uncommitted_waits_and_adds_nothing(campaign):
    """Launch job, runner and watchdog may all build at once: the second waits for the
    first to commit, then finds the campaign built (no unique violation, no rows)."""
    first_inserted, results, errors = threading.Event(), {}, []

    def first():
        try:
            with transaction.atomic():
                results["first"] = build_targets(Campaign.objects.get(pk=campaign.pk))
                first_inserted.set()
                second_thread.join(timeout=1)  # the second waits for the lock meanwhile
                results["second_blocked"] = second_thread.is_alive()
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            first_inserted.set()
            connections.close_all()

    def second():
        try:
            first_inserted.wait(10)
            results["second"] = build_targets(Campaign.objects.get(pk=campaign.pk))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    second_thread = threading.Thread(target=second)
    first_thread = threading.Thread(target=first)
    second_thread.start()
    first_thread.start()
    first_thread.join(30)
    second_thread.join(30)

    assert not errors
    assert results == {"first": 6, "second_blocked": True, "second": 0}
    assert CampaignTarget.objects.filter(campaign_id=campaign.pk).count() == 6
