"""Imports never store a wrong number (issue 14): a number is read by the list country's
numbering plan, a value that is not E.164 is refused with its reason, a date or formula
cell is not a number, the database refuses what is not E.164, and an unbalanced quote
loses no row."""

import csv
import io
import zipfile
from datetime import date, datetime, time

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction

from campaigns import tasks
from campaigns.importers import create_job, preview
from campaigns.models import Contact, DndEntry, DndList, ImportJob

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]


def import_file(contact_list, name: str, data: bytes) -> ImportJob:
    job = create_job(
        ImportJob.Kind.CONTACTS, contact_list, None, upload=SimpleUploadedFile(name, data)
    )
    tasks.run_import(job.pk)
    job.refresh_from_db()
    return job


def report(job) -> list[list[str]]:
    if not job.error_report:
        return []
    with default_storage.open(job.error_report.name) as fh:
        return list(csv.reader(io.StringIO(fh.read().decode())))[1:]


def numbers(contact_list) -> set[str]:
    return set(Contact.objects.filter(contact_list=contact_list).values_list("number", flat=True))


def test_an_indian_mobile_beginning_with_91_is_stored_as_itself(contact_list):
    job = import_file(contact_list, "c.csv", b"number,name\n9111852010,Asha\n9119900517,Ravi\n")
    assert numbers(contact_list) == {"+919111852010", "+919119900517"}
    assert job.imported == 2


def test_an_ambiguous_number_is_refused_with_the_reason_not_guessed(contact_list):
    job = import_file(contact_list, "c.csv", b"number,name\n9118003361,Asha\n")
    assert numbers(contact_list) == set()
    assert job.invalid == 1
    [(row, value, reason)] = report(job)
    assert (row, value) == ("2", "9118003361")
    assert "ambiguous" in reason and "+919118003361 or +9118003361" in reason


def test_a_zero_after_the_international_prefix_is_refused_not_stored_as_plus_zero(contact_list):
    text = "number\n+091 98765 43210\n00091 98765 43211\n+0 98765 43212\n9876543213\n"
    job = import_file(contact_list, "c.csv", text.encode())
    assert numbers(contact_list) == {"+919876543213"}
    assert job.invalid == 3
    assert all("no country calling code starts with 0" in r[2] for r in report(job))


def test_every_number_an_import_stores_passes_is_valid_number(contact_list):
    import phonenumbers

    text = "number\n" + "\n".join(
        ["+447700900123", "07400 123456", "+44 (0)20 7946 0958", "919876543210", "+9111852010"]
    )
    import_file(contact_list, "c.csv", text.encode())
    stored = numbers(contact_list)
    assert stored == {"+442079460958", "+919876543210", "+917400123456"}
    for number in stored:
        assert phonenumbers.is_valid_number(phonenumbers.parse(number))


def xlsx_bytes(rows, cached=None) -> bytes:
    """An .xlsx of `rows`; `cached` gives formulas the value Excel saves with them
    (openpyxl writes none)."""
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    if not cached:
        return out.getvalue()
    source, patched = zipfile.ZipFile(out), io.BytesIO()
    with zipfile.ZipFile(patched, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"<v />", f"<v>{cached}</v>".encode())
            target.writestr(item, data)
    return patched.getvalue()


def test_a_date_cell_in_the_number_column_is_refused_naming_the_cell(contact_list):
    data = xlsx_bytes(
        [
            ["Name", "Mobile"],
            ["Asha", "9876543210"],
            ["Born", date(1990, 5, 17)],
            ["Stamp", datetime(2024, 1, 2, 10, 30)],
            ["Clock", time(9, 15)],
            ["Yes", True],
            ["Sum", "=9876543000+211"],
            ["Ravi", 9876543212],
        ],
        cached="9876543211",
    )
    job = import_file(contact_list, "c.xlsx", data)
    assert numbers(contact_list) == {"+919876543210", "+919876543212"}
    reasons = {row: reason for row, _value, reason in report(job)}
    assert reasons["3"] == "B3 holds a date (1990-05-17), not a phone number"
    assert reasons["4"].startswith("B4 holds a date (2024-01-02T10:30")
    assert reasons["5"] == "B5 holds a time (09:15:00), not a phone number"
    assert reasons["6"] == "B6 holds a TRUE/FALSE value (TRUE), not a phone number"
    assert reasons["7"] == "B7 holds a formula (9876543211), not a phone number"
    assert (job.imported, job.invalid) == (2, 5)


def test_a_date_in_another_column_is_kept_as_text(contact_list):
    data = xlsx_bytes([["Mobile", "Due date"], ["9876543210", date(2026, 12, 1)]])
    import_file(contact_list, "c.xlsx", data)
    contact = Contact.objects.get(contact_list=contact_list)
    assert contact.fields["due_date"].startswith("2026-12-01")


def test_the_preview_refuses_a_date_cell_as_the_job_will(contact_list):
    data = xlsx_bytes([["Mobile", "Name"], [date(1990, 5, 17), "Born"], ["9876543210", "Asha"]])
    job = create_job(
        ImportJob.Kind.CONTACTS, contact_list, None, upload=SimpleUploadedFile("c.xlsx", data)
    )
    job.refresh_from_db()  # the preview reads the sample as stored (JSON)
    verdicts = [(r["row"], r["verdict"], r["parsed"].error) for r in preview(job)]
    assert verdicts[0] == (2, "invalid", "A2 holds a date (1990-05-17), not a phone number")
    assert verdicts[1][:2] == (3, "ok")


@pytest.mark.parametrize(
    "number", ["+0919876543210", "919876543210", "+91 9876543210", "+91987654321x", "+9", ""]
)
def test_the_database_refuses_a_number_that_is_not_e164(contact_list, number):
    with pytest.raises(IntegrityError), transaction.atomic():
        Contact.objects.create(contact_list=contact_list, number=number)
    with pytest.raises(IntegrityError), transaction.atomic():
        DndEntry.objects.create(dnd_list=DndList.objects.create(name="d"), number=number)


def test_model_validation_refuses_a_number_phonenumbers_finds_invalid(contact_list):
    with pytest.raises(ValidationError, match="not a valid phone number"):
        Contact(contact_list=contact_list, number="+447700900123").full_clean()
    with pytest.raises(ValidationError, match="not a valid phone number"):
        DndEntry(dnd_list=DndList.objects.create(name="d"), number="+9111852010").full_clean()
    Contact(contact_list=contact_list, number="+919111852010").full_clean()


def rows_with_quote_at(row: int, total: int) -> str:
    lines = ["name,number,city"] + [
        f"Person {i},98765{i:05d},Pune" for i in range(2, total + 2)
    ]  # line i holds row i (the header is row 1)
    lines[row - 1] = f'Person {row},"98765{row:05d},Pune'
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(("at", "total"), [(3, 50), (10, 3000), (45, 100)])
def test_an_unbalanced_quote_skips_its_row_and_loses_no_other(contact_list, at, total):
    job = import_file(contact_list, "c.csv", rows_with_quote_at(at, total).encode())
    assert job.committed_rows == total
    assert job.imported == total - 1
    assert job.invalid == 1
    [(row, _value, reason)] = report(job)
    assert row == str(at)
    assert "opens a quote" in reason and "never closed" in reason
    assert f"+9198765{at:05d}" not in numbers(contact_list)


def test_the_row_whose_quote_ended_the_swallow_is_skipped_too(contact_list):
    text = rows_with_quote_at(4, 10).splitlines()
    text[7] = 'Person 8,"9876500008",Pune'  # a later, well-formed quote
    job = import_file(contact_list, "c.csv", ("\n".join(text) + "\n").encode())
    assert [r[0] for r in report(job)] == ["4", "8"]
    assert job.imported == 8
    assert job.committed_rows == 10


def test_a_genuine_multi_line_cell_is_kept(contact_list):
    text = 'number,address\n9876543210,"12 Main St,\nPune"\n9876543211,Delhi\n'
    job = import_file(contact_list, "c.csv", text.encode())
    assert job.imported == 2 and job.invalid == 0
    assert Contact.objects.get(number="+919876543210").fields["address"] == "12 Main St,\nPune"


@pytest.mark.parametrize("kind", ["contacts", "dnd"])
@pytest.mark.parametrize("region", ["IN", "AE", "US"])
def test_the_import_hot_loop_reads_every_row_as_the_preview_does(kind, region):
    """RowParser.values (a closure with the number fast path, used by the job) against
    RowParser._values (the full path) over seeded random rows of many shapes: short rows,
    typed cells, blank and long cells, numbers of every form."""
    import random

    from campaigns.importers.cells import DATE, TypedCell
    from campaigns.importers.mapping import RowParser

    rng = random.Random(f"{kind}{region}")
    if kind == "dnd":
        mapping = {"0": "name", "1": "number", "2": "reason", "3": "ignore"}
    else:
        mapping = {"0": "name", "1": "number", "2": "field:city", "3": "field:note"}
    parser = RowParser(kind, mapping, region)
    numbers = [
        "9876543210", "9111852010", "+919876543210", "09876543210", "98765 43210", "",
        "+971501234567", "0501234567", "501234567", "2125551234", "+12125551234", "123",
        "+0919876543210", "00919876543210", "٩٨٧٦٥٤٣٢١٠", " 9876543210 ", "+91 98765 43210",
    ]  # fmt: skip
    for _ in range(5_000):
        number = rng.choice(numbers)
        if rng.random() < 0.3:
            number = rng.choice("6789") + "".join(rng.choice("0123456789") for _ in range(9))
        row = [rng.choice(["Ravi", " Anita Rao ", "", "x" * 250]), number]
        row += [rng.choice(["Pune", "", ' "quoted" ', "y" * 6000]), rng.choice(["a\\b", "ü"])]
        if rng.random() < 0.05:
            row[1] = TypedCell("1990-05-17", DATE)
        row = row[: rng.choice([4, 4, 4, 3, 2, 1, 0])]
        assert parser.values(row) == parser._values(row), row
