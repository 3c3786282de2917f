"""Column auto-mapping and the preview's per-row verdicts."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from campaigns.importers import auto_map, create_job, field_name, mapping_problems, preview
from campaigns.models import Contact, ContactList, ImportJob

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]


@pytest.mark.parametrize(
    "header",
    [
        "number",
        "Mobile",
        "phone",
        "contact_number",
        "MSISDN",
        "Phone Number",
        "Mobile No.",
        "Customer Mobile",
    ],
)
def test_number_like_headers_map_to_the_number(header):
    assert auto_map("contacts", ["Name", header])["1"] == "number"


def test_contact_columns_map_to_name_time_zone_and_custom_fields():
    mapping = auto_map(
        "contacts", ["Full Name", "Mobile No", "timezone", "Due Amount", "2nd Visit"]
    )
    assert mapping == {
        "0": "name",
        "1": "number",
        "2": "time_zone",
        "3": "field:due_amount",
        "4": "field:f_2nd_visit",
    }


def test_first_and_last_name_columns_are_joined_into_the_name():
    mapping = auto_map("contacts", ["First Name", "Last Name", "phone"])
    assert (mapping["0"], mapping["1"]) == ("first_name", "last_name")


def test_a_dnd_file_maps_the_reason_and_ignores_the_rest():
    assert auto_map("dnd", ["msisdn", "Remarks", "Agent"]) == {
        "0": "number",
        "1": "reason",
        "2": "ignore",
    }


def test_field_names_are_safe_identifiers():
    assert field_name("Due Amount") == "due_amount"
    assert field_name("  ₹ Balance (INR) ") == "balance_inr"
    assert field_name("!!!", 3) == "column_4"


def test_a_mapping_needs_exactly_one_number_and_no_field_twice():
    assert mapping_problems("contacts", {"0": "name"}) == ["Map exactly one column to Number."]
    assert "Two columns map to the same custom field" in " ".join(
        mapping_problems("contacts", {"0": "number", "1": "field:a", "2": "field:a"})
    )


def test_the_preview_gives_each_row_its_verdict_and_writes_nothing():
    contact_list = ContactList.objects.create(name="L")
    Contact.objects.create(contact_list=contact_list, number="+919876543212")
    data = (
        b"phone,name,tz\n"
        b"9876543210,A,Europe/Paris\n"
        b"98765-43210,Again,\n"
        b"12,Short,\n"
        b",,\n"
        b"9876543212,Known,\n"
        b"9876543213,Odd zone,Moon/Base\n"
    )
    job = create_job(
        ImportJob.Kind.CONTACTS, contact_list, None, upload=SimpleUploadedFile("p.csv", data)
    )
    rows = preview(job)
    assert [r["verdict"] for r in rows] == ["ok", "duplicate", "invalid", "empty", "in_list", "ok"]
    assert [r["row"] for r in rows] == [2, 3, 4, 5, 6, 7]
    assert rows[0]["parsed"].time_zone == "Europe/Paris"
    assert (
        rows[5]["parsed"].time_zone == "Asia/Kolkata"
        and "unknown time zone" in rows[5]["parsed"].note
    )
    assert Contact.objects.count() == 1
