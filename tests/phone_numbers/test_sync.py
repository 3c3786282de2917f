"""The numbers sync against the Omilia and OCA sandboxes over real HTTP: it brings the
vendor's numbers and sets in, a second run changes nothing, a change at the vendor
comes through, and a failing vendor leaves the inventory as it was with its words on
the run row."""

import pytest
from django.urls import reverse

from phone_numbers.models import NumberSet, NumberSource, PhoneNumber
from phone_numbers.tasks import sync_numbers
from telephony.models import ProviderAccount
from telephony.models.cdr import SyncRun
from telephony.vendors.oca import sandbox as oca_sandbox
from telephony.vendors.omilia import sandbox as omilia_sandbox
from tests.telephony.vendors.omilia_support import omilia_account

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

# The demo user's groups see 7 of the sandbox's numbers, in two sets (sandbox.DEMO_*).
OMILIA_VISIBLE = 7


@pytest.fixture
def sandbox_url(live_server):
    return f"{live_server.url}/sandbox"


def make_account(kind, **fields):
    secrets = fields.pop("secrets", {})
    name = fields.pop("name", None) or f"{kind} numbers"
    account = ProviderAccount(kind=kind, name=name, **fields)
    account.set_secrets(secrets)
    account.save()
    return account


@pytest.fixture
def omilia(sandbox_url):
    omilia_sandbox.seed_demo()
    return omilia_account(lambda kind, **kw: make_account(kind, **kw), sandbox_url)


@pytest.fixture
def oca(sandbox_url):
    return make_account(
        "oca",
        base_url=f"{sandbox_url}/oca/api/v1",
        config={"username": oca_sandbox.SANDBOX_CREDENTIALS["username"]},
        secrets={"password": oca_sandbox.SANDBOX_CREDENTIALS["password"]},
    )


def snapshot(account) -> list[tuple]:
    """Everything a sync may write, but the time it last confirmed each row."""
    numbers = PhoneNumber.objects.filter(account=account).order_by("number")
    rows = [
        (n.pk, n.number, n.kind, n.country, n.group, n.note, n.vendor_id, n.updated_at)
        + tuple(sorted(n.sets.values_list("vendor_id", flat=True)))
        for n in numbers
    ]
    sets = NumberSet.objects.filter(account=account).order_by("vendor_id")
    return rows + [(s.pk, s.vendor_id, s.name, s.attached_to, s.updated_at) for s in sets]


def test_the_omilia_sync_brings_numbers_and_sets_and_a_second_run_changes_nothing(omilia):
    first = sync_numbers(omilia.pk)
    numbers = PhoneNumber.objects.filter(account=omilia)
    assert numbers.count() == OMILIA_VISIBLE, first
    assert set(numbers.values_list("source", flat=True)) == {NumberSource.SYNC}
    us = numbers.get(number="+12025550143")
    assert (us.kind, us.country, us.group, us.note) == (
        "did",
        "US",
        "dialdesk",
        "Main support line",
    )
    assert list(us.sets.values_list("name", flat=True)) == ["US lines"]
    assert set(NumberSet.objects.filter(account=omilia).values_list("name", flat=True)) >= {
        "US lines",
        "EMEA",
    }
    before = snapshot(omilia)
    sync_numbers(omilia.pk)
    assert snapshot(omilia) == before
    runs = list(SyncRun.objects.filter(account=omilia, kind="numbers").order_by("pk"))
    assert [run.ok for run in runs] == [True, True]
    assert runs[0].created == OMILIA_VISIBLE + 2 and (runs[1].created, runs[1].updated) == (0, 0)


def test_a_change_at_omilia_comes_through_and_local_facts_stay(omilia):
    sync_numbers(omilia.pk)
    us = PhoneNumber.objects.get(account=omilia, number="+12025550143")
    PhoneNumber.objects.filter(pk=us.pk).update(status="resting", daily_cap=40)
    client = omilia.client()
    client.update_number_note(number="+12025550143", note="Moved to billing")
    client.remove_numbers_from_set(set_id=us.sets.get().vendor_id, numbers=["+12025550143"])
    client.delete_number(number="+302101234567")
    sync_numbers(omilia.pk)
    us.refresh_from_db()
    assert (us.note, us.status, us.daily_cap) == ("Moved to billing", "resting", 40)
    assert not us.sets.exists()
    assert not PhoneNumber.objects.filter(number="+302101234567").exists()


def test_a_failing_omilia_leaves_the_inventory_and_says_why(omilia):
    sync_numbers(omilia.pk)
    before = snapshot(omilia)
    omilia.set_secrets({"password": "wrong-password"})
    omilia.save()
    from django.core.cache import cache

    cache.clear()  # the cached token would still work
    result = sync_numbers(omilia.pk)
    run = SyncRun.objects.filter(account=omilia).latest("pk")
    assert run.ok is False and run.errors and "wrong-password" not in run.errors
    assert result.startswith("failed")
    assert snapshot(omilia) == before


def test_the_oca_sync_brings_its_caller_ids_in_e164_and_twice_changes_nothing(oca):
    sync_numbers(oca.pk)
    numbers = PhoneNumber.objects.filter(account=oca)
    assert set(numbers.values_list("number", flat=True)) == {
        "+622184788101",
        "+622184788102",
        "+6285711220033",
    }
    assert set(numbers.values_list("kind", flat=True)) == {"caller_id"}
    before = snapshot(oca)
    sync_numbers(oca.pk)
    assert snapshot(oca) == before


def test_an_admin_syncs_an_account_now_from_the_index(oca, admin_client):
    response = admin_client.post(reverse("numbers:account_sync", args=[oca.pk]))
    assert response.status_code == 302
    assert PhoneNumber.objects.filter(account=oca).count() == 3
    page = admin_client.get(reverse("numbers:number_index")).content.decode()
    assert "3 added" in page
