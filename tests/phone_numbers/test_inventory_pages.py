"""The inventory pages: index search (exact / begins / ends), filters, sort and keyset
paging; a number's page; adding, editing, status and delete by an admin."""

import pytest
from django.urls import reverse

from phone_numbers.models import NumberSet, NumberSource, NumberStatus, PhoneNumber

from .numbers_support import add_numbers, indian_mobiles, myoperator_account

pytestmark = pytest.mark.django_db
INDEX = reverse("numbers:number_index")


def listed(response) -> list[str]:
    return [number.number for number in response.context["page"].rows]


def test_the_index_finds_a_number_typed_in_any_format(supervisor_client):
    account = myoperator_account()
    add_numbers(account, ["+919876543210", "+919876543211"])
    response = supervisor_client.get(INDEX, {"q": "+91 98765-43210"})
    assert listed(response) == ["+919876543210"]


def test_the_index_searches_begins_and_ends_with(supervisor_client):
    account = myoperator_account()
    add_numbers(account, ["+919876543210", "+919876500010", "+918041234567"])
    begins = supervisor_client.get(INDEX, {"q": "+9198765", "match": "begins"})
    ends = supervisor_client.get(INDEX, {"q": "0010", "match": "ends"})
    assert listed(begins) == ["+919876543210", "+919876500010"]
    assert listed(ends) == ["+919876500010"]


def test_the_index_filters_by_account_kind_set_group_country_and_status(supervisor_client):
    first, second = myoperator_account(), myoperator_account()
    a, b = add_numbers(first, ["+919876543210", "+919876543211"], group="sales", country="IN")
    (c,) = add_numbers(second, ["+12025550143"], kind="caller_id", country="US")
    number_set = NumberSet.objects.create(account=first, name="Sales set")
    number_set.numbers.add(b)
    PhoneNumber.objects.filter(pk=a.pk).update(status=NumberStatus.RESTING)

    def get(**params):
        return listed(supervisor_client.get(INDEX, params))

    assert get(account=second.pk) == [c.number]
    assert get(kind="caller_id") == [c.number]
    assert get(set=number_set.pk) == [b.number]
    assert get(group="sales") == [a.number, b.number]
    assert get(country="US") == [c.number]
    assert get(status="resting") == [a.number]
    assert get(status="nonsense") == [a.number, b.number, c.number]  # a stale link still works


def test_the_index_pages_by_keys_and_keeps_its_sort(supervisor_client):
    account = myoperator_account()
    numbers = indian_mobiles(120)
    add_numbers(account, list(reversed(numbers)))
    first = supervisor_client.get(INDEX, {"sort": "number"})
    page = first.context["page"]
    assert listed(first) == numbers[:50] and page.has_next and not page.has_previous
    second = supervisor_client.get(INDEX, {"sort": "number", "after": page.last_id})
    assert listed(second) == numbers[50:100]
    back = supervisor_client.get(
        INDEX, {"sort": "number", "before": second.context["page"].first_id}
    )
    assert listed(back) == numbers[:50]
    last = supervisor_client.get(INDEX, {"sort": "number", "page": "last"})
    assert listed(last) == numbers[70:] and not last.context["page"].has_next


def test_a_deep_page_costs_the_queries_of_the_first_plus_its_boundary(supervisor_client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    account = myoperator_account()
    rows = add_numbers(account, indian_mobiles(150))
    with CaptureQueriesContext(connection) as first:
        supervisor_client.get(INDEX, {"sort": "-number"})
    with CaptureQueriesContext(connection) as deep:
        response = supervisor_client.get(INDEX, {"after": rows[120].pk, "sort": "-number"})
    assert response.status_code == 200 and len(response.context["page"].rows) == 50
    # The boundary row by id, and "is there a previous page" as one EXISTS: no OFFSET, no COUNT.
    assert len(deep) == len(first) + 2
    sql = " ".join(query["sql"].upper() for query in deep.captured_queries)
    assert "OFFSET" not in sql and "COUNT(" not in sql


def test_an_htmx_search_gets_only_the_table(supervisor_client):
    add_numbers(myoperator_account(), ["+919876543210"])
    response = supervisor_client.get(
        INDEX, {"q": "3210", "match": "ends"}, headers={"HX-Request": "true"}
    )
    body = response.content.decode()
    assert 'id="number-table"' in body and '<nav class="navbar' not in body
    assert "+919876543210" in body


def test_an_empty_search_says_so_and_offers_to_clear(supervisor_client):
    response = supervisor_client.get(INDEX, {"q": "5555", "match": "ends"})
    assert "No numbers match" in response.content.decode()


def test_an_admin_adds_a_myoperator_did_typed_nationally(admin_client):
    account = myoperator_account()
    response = admin_client.post(
        reverse("numbers:number_add"),
        {
            "account": account.pk,
            "number": "098765 43210",
            "default_country": "IN",
            "kind": "did",
            "region": "Mumbai",
            "group": "sales",
            "daily_cap": "300",
            "note": "Main sales line",
        },
    )
    number = PhoneNumber.objects.get()
    assert response.status_code == 302
    assert (number.number, number.country, number.region, number.daily_cap) == (
        "+919876543210",
        "IN",
        "Mumbai",
        300,
    )
    assert number.source == NumberSource.MANUAL and number.acquired_at is not None


def test_adding_a_number_twice_or_an_invalid_one_says_why(admin_client):
    account = myoperator_account()
    add_numbers(account, ["+919876543210"])
    url = reverse("numbers:number_add")
    base = {"account": account.pk, "default_country": "IN", "kind": "did"}
    twice = admin_client.post(url, {**base, "number": "+919876543210"})
    invalid = admin_client.post(url, {**base, "number": "12345"})
    zero_cap = admin_client.post(url, {**base, "number": "+919876543211", "daily_cap": "0"})
    assert "already has +919876543210" in twice.content.decode()
    assert "too short" in invalid.content.decode()
    assert "never dial" in zero_cap.content.decode()
    assert PhoneNumber.objects.count() == 1


def test_numbers_of_synced_vendors_cannot_be_added_by_hand(admin_client):
    from tests.factories import ProviderAccountFactory

    oca = ProviderAccountFactory(kind="oca")
    response = admin_client.post(
        reverse("numbers:number_add"),
        {"account": oca.pk, "number": "+622184788101", "default_country": "ID", "kind": "did"},
    )
    assert response.status_code == 200 and not PhoneNumber.objects.exists()


def test_an_admin_rests_a_number_and_it_leaves_the_usable_pool(admin_client):
    (number,) = add_numbers(myoperator_account(), ["+919876543210"])
    admin_client.post(reverse("numbers:number_status", args=[number.pk]), {"status": "resting"})
    number.refresh_from_db()
    assert number.status == NumberStatus.RESTING
    assert not PhoneNumber.objects.usable().exists()


def test_a_number_page_shows_its_sets_figures_and_note(supervisor_client):
    account = myoperator_account()
    (number,) = add_numbers(account, ["+919876543210"], note="Kept for Diwali")
    NumberSet.objects.create(account=account, name="Festive").numbers.add(number)
    body = supervisor_client.get(reverse("numbers:number_detail", args=[number.pk])).content
    text = body.decode()
    assert "Festive" in text and "Kept for Diwali" in text and "Last 30 days" in text
    assert f"numbers/{number.pk}/status/" not in text  # no status form for a supervisor


def test_an_admin_edits_a_number_and_deletes_it_after_confirming(admin_client):
    (number,) = add_numbers(myoperator_account(), ["+919876543210"], source="manual")
    admin_client.post(
        reverse("numbers:number_edit", args=[number.pk]),
        {"kind": "caller_id", "region": "Delhi", "group": "", "daily_cap": "", "note": "x"},
    )
    number.refresh_from_db()
    assert (number.kind, number.region, number.note) == ("caller_id", "Delhi", "x")
    confirm = admin_client.get(reverse("numbers:number_delete", args=[number.pk]))
    assert "Delete +919876543210?" in confirm.content.decode()
    admin_client.post(reverse("numbers:number_delete", args=[number.pk]))
    assert not PhoneNumber.objects.exists()


def test_a_synced_number_is_not_deleted_here(admin_client):
    from tests.factories import ProviderAccountFactory

    (number,) = add_numbers(ProviderAccountFactory(kind="oca"), ["+622184788101"], source="sync")
    response = admin_client.post(reverse("numbers:number_delete", args=[number.pk]))
    assert "would be back with the next sync" in response.content.decode()
    assert PhoneNumber.objects.filter(pk=number.pk).exists()


def test_an_omilia_numbers_vendor_fields_are_not_edited_here_but_an_oca_note_is(admin_client):
    from tests.factories import ProviderAccountFactory

    (omilia,) = add_numbers(ProviderAccountFactory(kind="omilia"), ["+12025550143"], note="v")
    (oca,) = add_numbers(ProviderAccountFactory(kind="oca"), ["+622184788101"])
    omilia_form = admin_client.get(reverse("numbers:number_edit", args=[omilia.pk]))
    assert set(omilia_form.context["form"].fields) == {"region", "daily_cap"}
    admin_client.post(
        reverse("numbers:number_edit", args=[oca.pk]),
        {"region": "Jakarta", "group": "", "daily_cap": "50", "note": "Collections line"},
    )
    oca.refresh_from_db()
    assert (oca.note, oca.daily_cap, oca.kind) == ("Collections line", 50, "did")
