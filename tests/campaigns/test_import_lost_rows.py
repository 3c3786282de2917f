"""Rows that used to vanish or be misnamed (issue 14): a quote that never closes and runs
a cell past the csv module's field limit, and an .xlsx formula with no saved value."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from campaigns.importers import create_job, run_import
from campaigns.models import Contact, ImportJob

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]


def import_bytes(contact_list, data: bytes, name: str):
    job = create_job(
        ImportJob.Kind.CONTACTS, contact_list, None, upload=SimpleUploadedFile(name, data)
    )
    run_import(job.pk, parallel=False)
    job.refresh_from_db()
    return job


def report(job) -> list[list[str]]:
    with job.error_report.open("rb") as fh:
        return list(csv.reader(io.StringIO(fh.read().decode())))[1:]


def test_a_quote_swallowing_more_than_the_field_limit_loses_no_line(contact_list):
    lines = ["number,name", "9876500001,Asha", '9876500002,"Ravi opens a quote']
    # 2,500 lines of ~75 characters: the open cell passes csv's 131,072-character limit.
    lines += [f"98765{i:05d},Person {i} {'x' * 60}" for i in range(3, 2503)]
    job = import_bytes(contact_list, ("\n".join(lines) + "\n").encode(), "quote.csv")
    assert job.status == ImportJob.Status.DONE
    assert job.committed_rows == len(lines) - 1  # every data line is a row
    assert job.imported == len(lines) - 2 and job.invalid == 1
    (row,) = report(job)
    assert row[0] == "3" and "never closed" in row[2]
    assert Contact.objects.filter(number="+919876500003").exists()
    assert Contact.objects.filter(number="+919876502502").exists()


def test_a_formula_with_no_saved_value_is_named_in_the_rejection(contact_list):
    book = Workbook()
    sheet = book.active
    sheet.append(["Number", "Name"])
    sheet.append(["9876500001", "Asha"])
    sheet.append(["=A2+1", "Formula"])  # openpyxl saves no value for a formula
    out = io.BytesIO()
    book.save(out)
    job = import_bytes(contact_list, out.getvalue(), "formula.xlsx")
    assert (job.imported, job.invalid, job.empty_rows) == (1, 1, 0)
    (row,) = report(job)
    assert row[0] == "3"
    assert row[2] == "A3 holds a formula with no saved value, not a phone number"
