"""DND list pages: create/edit with one global list, the entries table, quick add and
paste with a line-by-line report, remove, and delete with confirmation."""

import pytest
from django.urls import reverse

from campaigns.models import DndEntry, DndList

pytestmark = pytest.mark.django_db


def add(client, dnd_list, numbers, **data):
    url = reverse("campaigns:dnd_add", args=[dnd_list.pk])
    return client.post(url, {"numbers": numbers, **data}, **data.pop("headers", {}))


def test_the_index_shows_entry_counts_and_the_global_flag(viewer_client):
    DndList.objects.create(name="Global", is_global=True, entry_count=7)
    response = viewer_client.get(reverse("campaigns:dnd_index"))
    assert b"Global</span> every campaign" in response.content
    assert b">7</td>" in response.content
    assert reverse("campaigns:dnd_lookup").encode() in response.content
    assert reverse("campaigns:dnd_create").encode() not in response.content


def test_only_one_list_can_be_global(supervisor_client):
    DndList.objects.create(name="Regulator", is_global=True)
    response = supervisor_client.post(
        reverse("campaigns:dnd_create"), {"name": "Second", "is_global": "on"}
    )
    assert response.status_code == 200
    assert (
        "“Regulator” is already the global DND list"
        in response.context["form"].errors["is_global"][0]
    )
    assert not DndList.objects.filter(name="Second").exists()


def test_the_global_list_can_be_edited_and_stay_global(supervisor_client):
    dnd_list = DndList.objects.create(name="Regulator", is_global=True)
    response = supervisor_client.post(
        reverse("campaigns:dnd_edit", args=[dnd_list.pk]),
        {"name": "Regulator DND", "is_global": "on"},
    )
    dnd_list.refresh_from_db()
    assert response.status_code == 302 and dnd_list.name == "Regulator DND" and dnd_list.is_global


def test_pasting_many_adds_the_valid_ones_and_reports_the_rest_by_line(
    supervisor_client, supervisor_user
):
    dnd_list = DndList.objects.create(name="Opt-outs")
    DndEntry.objects.create(dnd_list=dnd_list, number="+919876500009")
    pasted = "+91 98765 00001\nnot a number\n098765-00001\n\n12\n9876500009\n+44 7400 123456"
    response = add(supervisor_client, dnd_list, pasted, reason="Asked by phone")
    result = response.context["result"]
    assert sorted(result.added) == ["+447400123456", "+919876500001"]
    assert [line for line, _value, _reason in result.invalid] == [2, 5]
    assert "too short" in result.invalid[1][2]
    assert result.duplicates == [
        (3, "098765-00001", "repeats line 1"),
        (6, "+919876500009", "already in this list"),
    ]
    entry = dnd_list.entries.get(number="+919876500001")
    assert (entry.source, entry.added_by, entry.reason) == (
        "manual",
        supervisor_user,
        "Asked by phone",
    )
    dnd_list.refresh_from_db()
    assert dnd_list.entry_count == 3


def test_a_quick_add_over_htmx_returns_the_panel_and_the_refreshed_table(supervisor_client):
    dnd_list = DndList.objects.create(name="Opt-outs")
    response = supervisor_client.post(
        reverse("campaigns:dnd_add", args=[dnd_list.pk]),
        {"numbers": "9876500001", "name": "Ravi"},
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="dnd-add"')
    assert 'id="entry-table" class="card shadow-sm htmx-indicator-hide" hx-swap-oob="true"' in body
    assert "+919876500001" in body and "Added 1 number to Opt-outs" in body


def test_removing_an_entry_over_htmx_swaps_its_row_out(supervisor_client):
    dnd_list = DndList.objects.create(name="Opt-outs")
    dnd_list.add_numbers("9876500001\n9876500002")
    entry = dnd_list.entries.get(number="+919876500001")
    response = supervisor_client.post(
        reverse("campaigns:dnd_remove", args=[entry.pk]), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200 and b"<tr" not in response.content
    assert b"Removed +919876500001" in response.content  # the toast
    assert b'hx-swap-oob="true">1 number in the list</span>' in response.content
    dnd_list.refresh_from_db()
    assert list(dnd_list.entries.values_list("number", flat=True)) == ["+919876500002"]
    assert dnd_list.entry_count == 1


def test_the_entries_table_searches_and_pages_by_id(viewer_client):
    dnd_list = DndList.objects.create(name="Big")
    dnd_list.add_numbers("\n".join(f"98765{i:05d}" for i in range(60)), reason="bulk")
    DndEntry.objects.filter(number="+919876500042").update(reason="court order")
    url = reverse("campaigns:dnd_detail", args=[dnd_list.pk])
    first = viewer_client.get(url).context["page"]
    assert len(first.rows) == 50 and first.has_next
    second = viewer_client.get(url, {"after": first.last_id}).context["page"]
    assert len(second.rows) == 10 and not second.has_next and second.has_previous
    found = viewer_client.get(url, {"q": "court"}).context["page"].rows
    assert [entry.number for entry in found] == ["+919876500042"]
    found = viewer_client.get(url, {"q": "098765 00007"}).context["page"].rows
    assert [entry.number for entry in found] == ["+919876500007"]


def test_deleting_a_dnd_list_says_how_many_numbers_go(supervisor_client):
    dnd_list = DndList.objects.create(name="Old")
    dnd_list.add_numbers("9876500001\n9876500002")
    url = reverse("campaigns:dnd_delete", args=[dnd_list.pk])
    assert b"<strong>2</strong> numbers" in supervisor_client.get(url).content
    assert supervisor_client.post(url).status_code == 302
    assert not DndEntry.objects.exists()


def test_viewers_cannot_add_numbers(viewer_client):
    dnd_list = DndList.objects.create(name="Opt-outs")
    assert add(viewer_client, dnd_list, "9876500001").status_code == 403
    assert not dnd_list.entries.exists()
