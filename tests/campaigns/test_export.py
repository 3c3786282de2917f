"""CSV and XLSX export of lists as filtered, with spreadsheet formulas neutralised."""

import csv
import io

import pytest
from django.db import connection
from django.http import StreamingHttpResponse
from django.urls import reverse
from openpyxl import load_workbook

from campaigns.exports import neutralise
from campaigns.models import Contact, ContactList, DndList

pytestmark = pytest.mark.django_db


@pytest.fixture
def contact_list():
    contact_list = ContactList.objects.create(name="Dues", custom_fields=["due_amount", "note"])
    Contact.objects.create(
        contact_list=contact_list,
        number="+919876500001",
        name='=HYPERLINK("http://evil.example","click")',
        time_zone="Asia/Kolkata",
        fields={"due_amount": "-500", "note": "@SUM(1)"},
    )
    Contact.objects.create(
        contact_list=contact_list,
        number="+919876500002",
        name="Plain Name",
        fields={"due_amount": "200", "note": "\tTabbed"},
        is_active=False,
    )
    return contact_list


def export(client, url_name, pk, **params):
    return client.get(reverse(url_name, args=[pk]), params)


def csv_rows(response):
    assert isinstance(response, StreamingHttpResponse)
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


@pytest.mark.parametrize(
    "value, expected",
    [
        ("=1+1", "'=1+1"),
        ("+919876500001", "'+919876500001"),
        ("-5", "'-5"),
        ("@SUM(1)", "'@SUM(1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("Asha", "Asha"),
        ("", ""),
        (None, ""),
        (True, "yes"),
    ],
)
def test_cells_a_spreadsheet_would_run_get_an_apostrophe(value, expected):
    assert neutralise(value) == expected


def test_the_csv_export_neutralises_every_formula_cell(supervisor_client, contact_list):
    rows = csv_rows(
        export(supervisor_client, "campaigns:list_export", contact_list.pk, format="csv")
    )
    assert rows[0] == ["number", "name", "time_zone", "active", "due_amount", "note"]
    assert rows[1] == [
        "'+919876500001",
        '\'=HYPERLINK("http://evil.example","click")',
        "Asia/Kolkata",
        "yes",
        "'-500",
        "'@SUM(1)",
    ]
    assert rows[2][1] == "Plain Name" and rows[2][5] == "'\tTabbed"


def test_the_export_follows_the_page_filters(supervisor_client, contact_list):
    response = export(
        supervisor_client, "campaigns:list_export", contact_list.pk, format="csv", status="inactive"
    )
    rows = csv_rows(response)
    assert [row[0] for row in rows[1:]] == ["'+919876500002"]
    assert 'filename="dues-' in response["Content-Disposition"]


def test_the_xlsx_export_has_the_same_neutralised_rows(supervisor_client, contact_list):
    response = export(supervisor_client, "campaigns:list_export", contact_list.pk, format="xlsx")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    rows = [list(row) for row in workbook.active.iter_rows(values_only=True)]
    assert rows[0][:4] == ["number", "name", "time_zone", "active"]
    assert rows[1][1].startswith("'=HYPERLINK") and rows[1][5] == "'@SUM(1)"
    assert rows[1][0] == "'+919876500001" and len(rows) == 3


def test_a_dnd_list_exports_with_who_added_each_number(supervisor_client, supervisor_user):
    dnd_list = DndList.objects.create(name="Opt-outs")
    dnd_list.add_numbers("9876500001", user=supervisor_user, reason="=cmd|' /C calc'!A0")
    rows = csv_rows(export(supervisor_client, "campaigns:dnd_export", dnd_list.pk))
    assert rows[0] == ["number", "name", "reason", "source", "added_by", "added_at"]
    assert rows[1][:5] == [
        "'+919876500001", "", "'=cmd|' /C calc'!A0", "manual", supervisor_user.username,
    ]  # fmt: skip


@pytest.mark.parametrize("name", ["campaigns:list_export", "campaigns:dnd_export"])
def test_a_viewer_cannot_export_a_list_of_personal_data(viewer_client, contact_list, name):
    pk = contact_list.pk if name == "campaigns:list_export" else DndList.objects.create(name="X").pk
    assert viewer_client.get(reverse(name, kwargs={"pk": pk}), {"format": "csv"}).status_code == 403


def test_a_viewer_is_offered_no_export_button_on_list_pages(viewer_client, contact_list):
    dnd_list = DndList.objects.create(name="Opt-outs")
    dnd_list.add_numbers("9876500001")
    pages = [
        viewer_client.get(reverse("campaigns:list_detail", kwargs={"pk": contact_list.pk})),
        viewer_client.get(reverse("campaigns:dnd_detail", kwargs={"pk": dnd_list.pk})),
    ]
    for page in pages:
        assert page.status_code == 200
        assert "Export CSV" not in page.content.decode()


@pytest.mark.parametrize("file_format", ["xlsx", "csv"])
def test_a_control_character_in_a_stored_name_never_fails_the_export(
    supervisor_client, contact_list, file_format
):
    # Stored before imports removed them (issue 14): a NUL made the .xlsx export a 500.
    # PostgreSQL cannot store a NUL in text at all, so there the name holds the others.
    nul = "" if connection.vendor == "postgresql" else "\x00"
    Contact.objects.create(
        contact_list=contact_list,
        number="+919876500003",
        name=f"Asha{nul} Rao\x1b",
        fields={"due_amount": "\x07100", "note": "line\x0bbreak"},
    )
    response = export(
        supervisor_client, "campaigns:list_export", contact_list.pk, format=file_format
    )
    assert response.status_code == 200
    if file_format == "xlsx":
        workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
        rows = [list(row) for row in workbook.active.iter_rows(values_only=True)]
    else:
        rows = csv_rows(response)
    assert rows[3][1] == "Asha Rao"
    assert rows[3][4:6] == ["100", "linebreak"]
