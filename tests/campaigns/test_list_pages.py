"""Contact list pages: index counts, create/edit/delete, search, filters, keyset
paging, DND badges, contact edit and bulk actions."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from campaigns.models import Contact, ContactList, DndEntry, DndList, ImportJob

pytestmark = pytest.mark.django_db


def make_list(name="Customers", count=0, **kwargs):
    contact_list = ContactList.objects.create(
        name=name, custom_fields=kwargs.pop("custom_fields", ["city"]), **kwargs
    )
    Contact.objects.bulk_create(
        Contact(
            contact_list=contact_list,
            number=f"+9198765{i:05d}",
            name=f"Person {i}",
            fields={"city": "Pune" if i % 2 else "Delhi"},
            time_zone="Asia/Kolkata",
        )
        for i in range(count)
    )
    contact_list.refresh_count()
    return contact_list


def detail(client, contact_list, **params):
    return client.get(reverse("campaigns:list_detail", args=[contact_list.pk]), params)


def numbers_on(response):
    return [contact.number for contact in response.context["page"].rows]


def test_the_index_shows_each_list_with_its_counts(viewer_client):
    contact_list = make_list(count=3)
    Contact.objects.filter(number="+919876500001").update(is_active=False)
    response = viewer_client.get(reverse("campaigns:list_index"))
    row = next(item for item in response.context["lists"] if item.pk == contact_list.pk)
    assert (row.contact_count, row.active_count, row.inactive) == (3, 2, 1)
    assert b"Customers" in response.content


def test_viewers_see_no_write_buttons_and_supervisors_do(viewer_client, supervisor_client):
    contact_list = make_list(count=1)
    create_url = reverse("campaigns:list_create").encode()
    import_url = reverse("campaigns:contact_import", args=[contact_list.pk]).encode()
    assert create_url not in viewer_client.get(reverse("campaigns:list_index")).content
    assert import_url not in detail(viewer_client, contact_list).content
    assert create_url in supervisor_client.get(reverse("campaigns:list_index")).content
    assert import_url in detail(supervisor_client, contact_list).content


def test_an_empty_index_explains_what_to_do(supervisor_client):
    response = supervisor_client.get(reverse("campaigns:list_index"))
    assert b"No contact lists yet" in response.content


def test_creating_a_list_records_its_country_and_author(supervisor_client, supervisor_user):
    response = supervisor_client.post(
        reverse("campaigns:list_create"),
        {"name": "Renewals", "description": "", "default_country": "GB"},
    )
    contact_list = ContactList.objects.get(name="Renewals")
    assert response.status_code == 302
    assert (contact_list.default_country, contact_list.created_by) == ("GB", supervisor_user)


def test_a_list_name_must_be_unique_and_the_country_real(supervisor_client):
    make_list(name="Renewals")
    response = supervisor_client.post(
        reverse("campaigns:list_create"), {"name": "renewals", "default_country": "XX"}
    )
    form = response.context["form"]
    assert "already exists" in form.errors["name"][0]
    assert "default_country" in form.errors


def test_deleting_a_list_says_how_many_contacts_go_with_it(supervisor_client):
    contact_list = make_list(count=4)
    url = reverse("campaigns:list_delete", args=[contact_list.pk])
    assert b"<strong>4</strong> contacts" in supervisor_client.get(url).content
    supervisor_client.post(url)
    assert not ContactList.objects.filter(pk=contact_list.pk).exists()
    assert not Contact.objects.exists()


def test_search_finds_a_number_written_in_national_format(viewer_client):
    contact_list = make_list(count=5)
    response = detail(viewer_client, contact_list, q="098765 00003")
    assert numbers_on(response) == ["+919876500003"]


def test_search_by_partial_digits_name_and_custom_field(viewer_client):
    contact_list = make_list(count=12)
    assert numbers_on(detail(viewer_client, contact_list, q="500011")) == ["+919876500011"]
    assert numbers_on(detail(viewer_client, contact_list, q="Person 7")) == ["+919876500007"]
    assert len(numbers_on(detail(viewer_client, contact_list, q="pune"))) == 6


def test_filters_by_status_time_zone_and_dnd(viewer_client):
    contact_list = make_list(count=4)
    Contact.objects.filter(number="+919876500000").update(is_active=False)
    Contact.objects.filter(number="+919876500001").update(time_zone="Europe/London")
    DndEntry.objects.create(dnd_list=DndList.objects.create(name="X"), number="+919876500002")
    assert numbers_on(detail(viewer_client, contact_list, status="inactive")) == ["+919876500000"]
    assert numbers_on(detail(viewer_client, contact_list, tz="Europe/London")) == ["+919876500001"]
    assert numbers_on(detail(viewer_client, contact_list, dnd="blocked")) == ["+919876500002"]
    assert len(numbers_on(detail(viewer_client, contact_list, dnd="clear"))) == 3
    zones = dict(detail(viewer_client, contact_list).context["form"].fields["tz"].choices)
    assert {"Asia/Kolkata", "Europe/London"} <= set(zones)


def test_keyset_paging_walks_forward_back_and_to_the_last_page(viewer_client):
    contact_list = make_list(count=120)
    first = detail(viewer_client, contact_list)
    page = first.context["page"]
    assert (len(page.rows), page.has_previous, page.has_next) == (50, False, True)
    second = detail(viewer_client, contact_list, after=page.last_id)
    assert numbers_on(second)[0] == "+919876500050"
    assert second.context["page"].has_previous
    back = detail(viewer_client, contact_list, before=second.context["page"].first_id)
    assert numbers_on(back) == numbers_on(first)
    last = detail(viewer_client, contact_list, page="last")
    assert numbers_on(last)[-1] == "+919876500119" and len(numbers_on(last)) == 50
    assert not last.context["page"].has_next and last.context["page"].has_previous
    assert f"after={page.last_id}".encode() in first.content


def test_a_page_neither_counts_nor_offsets_the_contacts(viewer_client):
    contact_list = make_list(count=60)
    with CaptureQueriesContext(connection) as queries:
        detail(viewer_client, contact_list, after=10, q="Person")
    contact_sql = [
        q["sql"].upper()
        for q in queries.captured_queries
        if "CAMPAIGNS_CONTACT" in q["sql"].upper()
    ]
    assert contact_sql, "the page read no contacts"
    assert not [sql for sql in contact_sql if "OFFSET" in sql or "COUNT(" in sql]


def test_contacts_any_dnd_list_blocks_get_a_badge(viewer_client):
    contact_list = make_list(count=3)
    DndEntry.objects.create(
        dnd_list=DndList.objects.create(name="Opt-outs"), number="+919876500001"
    )
    response = detail(viewer_client, contact_list)
    badges = {c.number: c.is_blocked for c in response.context["page"].rows}
    assert badges == {"+919876500000": False, "+919876500001": True, "+919876500002": False}
    assert response.content.count(b">DND</span>") == 1


def test_an_htmx_request_gets_only_the_table(viewer_client):
    contact_list = make_list(count=2)
    response = viewer_client.get(
        reverse("campaigns:list_detail", args=[contact_list.pk]), HTTP_HX_REQUEST="true"
    )
    assert response.content.lstrip().startswith(b'<div id="contact-table"')
    assert "HX-Request" in response["Vary"]


def test_editing_a_contact_renormalises_its_number_and_custom_fields(supervisor_client):
    contact_list = make_list(count=1)
    contact = contact_list.contacts.get()
    response = supervisor_client.post(
        reverse("campaigns:contact_edit", args=[contact.pk]),
        {"number": "091234 56789", "name": "Asha", "time_zone": "Asia/Kolkata",
         "is_active": "on", "custom_0": "Mumbai"},
    )  # fmt: skip
    contact.refresh_from_db()
    assert response.status_code == 302
    assert (contact.number, contact.name, contact.fields) == (
        "+919123456789",
        "Asha",
        {"city": "Mumbai"},
    )


def test_a_contact_number_already_in_the_list_is_refused_with_a_reason(supervisor_client):
    contact_list = make_list(count=2)
    contact = contact_list.contacts.get(number="+919876500000")
    response = supervisor_client.post(
        reverse("campaigns:contact_edit", args=[contact.pk]),
        {"number": "9876500001", "time_zone": "Mars/Olympus", "is_active": "on"},
    )
    errors = response.context["form"].errors
    assert "+919876500001 is already in this list." in errors["number"]
    assert "time_zone" in errors


def bulk(client, contact_list, **data):
    return client.post(reverse("campaigns:contact_bulk", args=[contact_list.pk]), data)


def test_bulk_deactivate_changes_only_the_ticked_contacts(supervisor_client):
    contact_list = make_list(count=4)
    ids = list(contact_list.contacts.order_by("pk").values_list("pk", flat=True))
    response = bulk(supervisor_client, contact_list, action="deactivate", ids=ids[:2])
    assert response.status_code == 302
    assert list(contact_list.contacts.order_by("pk").values_list("is_active", flat=True)) == [
        False, False, True, True,
    ]  # fmt: skip


def test_bulk_delete_asks_first_and_says_how_many_then_keeps_the_count_right(supervisor_client):
    contact_list = make_list(count=6)
    confirm = bulk(supervisor_client, contact_list, action="delete", scope="all", q="pune")
    assert confirm.status_code == 200 and b"Delete 3 contacts?" in confirm.content
    assert contact_list.contacts.count() == 6
    bulk(supervisor_client, contact_list, action="delete", scope="all", q="pune", confirmed="yes")
    contact_list.refresh_from_db()
    assert contact_list.contacts.count() == contact_list.contact_count == 3
    assert not contact_list.contacts.filter(fields__city="Pune").exists()


def test_bulk_without_a_selection_changes_nothing(supervisor_client):
    contact_list = make_list(count=2)
    response = bulk(supervisor_client, contact_list, action="deactivate")
    assert response.status_code == 302
    assert contact_list.contacts.filter(is_active=True).count() == 2


def test_bulk_ids_from_another_list_are_ignored(supervisor_client):
    mine, other = make_list(count=1), make_list(name="Other", count=0)
    Contact.objects.create(contact_list=other, number="+919999900000")
    outsider = other.contacts.get()
    bulk(supervisor_client, mine, action="deactivate", ids=[outsider.pk])
    outsider.refresh_from_db()
    assert outsider.is_active


def test_the_index_and_the_list_page_show_the_latest_imports(viewer_client):
    contact_list = make_list(count=1)
    job = ImportJob.objects.create(
        kind=ImportJob.Kind.CONTACTS,
        contact_list=contact_list,
        original_name="march.csv",
        status=ImportJob.Status.DONE,
        imported=41,
    )
    job_url = reverse("campaigns:import_detail", args=[job.pk]).encode()
    index = viewer_client.get(reverse("campaigns:list_index")).content
    assert job_url in index and b">Done</span>" in index
    page = detail(viewer_client, contact_list).content
    assert job_url in page and b"march.csv" in page and b"41 imported" in page
