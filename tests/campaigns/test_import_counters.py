"""Every row of an imported file is accounted for (issue 14): imported + DND-blocked +
invalid + duplicates in the file + already in the list + empty rows = the file's data
rows, over generated files (seeded, so a failure names its seed); and every duplicate is
in the error report with the row it repeats."""

import csv
import io
import os
import random

import openpyxl
import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from campaigns.importers import create_job, run_import
from campaigns.models import Contact, ContactList, DndList, ImportJob

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]

# More with IMPORT_COUNTER_FILES=500 (the seeds are the same, so a run extends this one).
FILES = int(os.environ.get("IMPORT_COUNTER_FILES", "40"))


def mobile(rng) -> str:
    # Not 91…: those may be ambiguous (valid with and without +91), which the number
    # tests cover; here every valid number has one reading.
    return rng.choice("678") + "".join(rng.choice("0123456789") for _ in range(9))


def written(rng, national: str) -> str:
    """One of the ways people write an Indian mobile."""
    return rng.choice(
        [
            national,
            "+91" + national,
            "+91 " + national[:5] + " " + national[5:],
            "0" + national,
            "91" + national,
            "0091-" + national,
            national[:5] + "-" + national[5:],
        ]
    )


INVALID = ["12345", "+091 98765 43210", "00091 9876543210", "+0 7654321098", "call me", "9" * 14]


class Plan:
    """A generated file and what its import must count."""

    def __init__(self, seed: int):
        rng = self.rng = random.Random(seed)
        self.seed = seed
        self.xlsx = rng.random() < 0.3
        self.in_list = {mobile(rng) for _ in range(rng.randint(0, 4))}
        self.on_dnd = {mobile(rng) for _ in range(rng.randint(0, 4))}
        self.rows: list[list] = []
        self.expected = dict.fromkeys(
            ["imported", "dnd_blocked", "invalid", "duplicates_in_file"], 0
        ) | {"already_in_list": 0, "empty_rows": 0}
        self.first_row: dict[str, int] = {}  # national number -> row it first came on
        self.duplicates: dict[int, int] = {}  # row -> the row it repeats
        self.quote_row = None
        for _ in range(rng.randint(1, 60)):
            self._add_row()
        # Small batches too: a duplicate's first row is then in an earlier batch.
        self.batch_size = rng.choice([4, 9, 20_000])
        if self.xlsx:
            # An .xlsx has no trailing blank rows: they are not in the file.
            while self.rows and not any(self.rows[-1]):
                self.rows.pop()
                self.expected["empty_rows"] -= 1

    def _add_row(self):
        rng, row_no = self.rng, len(self.rows) + 2  # the header is row 1
        name = f"Person {row_no}"
        roll = rng.random()
        if roll < 0.08:
            self.rows.append([] if rng.random() < 0.5 else ["", "", ""])
            self.expected["empty_rows"] += 1
            return
        if roll < 0.18:
            self.rows.append([name, rng.choice(INVALID), "Pune"])
            self.expected["invalid"] += 1
            return
        if roll < 0.30 and self.first_row:
            national = rng.choice(sorted(self.first_row))
            self.duplicates[row_no] = self.first_row[national]
            self.rows.append([name, written(rng, national), "Pune"])
            self.expected["duplicates_in_file"] += 1
            return
        if roll < 0.36 and not self.xlsx and self.quote_row is None and row_no > 2:
            # An unbalanced quote: this row is reported, the rows after it still read.
            self.quote_row = row_no
            self.rows.append([f'"{name}', mobile(rng), "Pune"])
            self.expected["invalid"] += 1
            return
        if roll < 0.42 and self.in_list:
            national = rng.choice(sorted(self.in_list))
        elif roll < 0.48 and self.on_dnd:
            national = rng.choice(sorted(self.on_dnd))
        else:
            national = mobile(rng)
        if national in self.first_row:
            self.duplicates[row_no] = self.first_row[national]
            self.expected["duplicates_in_file"] += 1
        else:
            self.first_row[national] = row_no
            if national in self.in_list:
                self.expected["already_in_list"] += 1
            elif national in self.on_dnd:
                self.expected["dnd_blocked"] += 1
            else:
                self.expected["imported"] += 1
        self.rows.append([name, written(self.rng, national), "Pune"])

    @property
    def data_rows(self) -> int:
        return len(self.rows)

    def upload(self) -> SimpleUploadedFile:
        header = ["Name", "Mobile", "City"]
        if self.xlsx:
            book = openpyxl.Workbook()
            for row in [header, *self.rows]:
                book.active.append(row)
            out = io.BytesIO()
            book.save(out)
            return SimpleUploadedFile("file.xlsx", out.getvalue())
        ending = self.rng.choice(["\n", "\r\n"])
        lines = [",".join(header)] + [",".join(row) for row in self.rows]
        return SimpleUploadedFile("file.csv", (ending.join(lines) + ending).encode())


def error_report(job) -> list[list[str]]:
    if not job.error_report:
        return []
    with default_storage.open(job.error_report.name) as fh:
        return list(csv.reader(io.StringIO(fh.read().decode())))[1:]


@pytest.mark.parametrize("seed", range(FILES))
def test_the_counters_of_a_generated_file_add_up_to_its_rows(seed):
    plan = Plan(seed)
    contact_list = ContactList.objects.create(name=f"List {seed}", default_country="IN")
    for national in plan.in_list:
        Contact.objects.create(contact_list=contact_list, number="+91" + national)
    dnd = DndList.objects.create(name=f"DND {seed}", is_global=True)
    for national in plan.on_dnd:
        dnd.entries.create(number="+91" + national)
    job = create_job(ImportJob.Kind.CONTACTS, contact_list, None, upload=plan.upload())
    run_import(job.pk, batch_size=plan.batch_size, parallel=False)
    job.refresh_from_db()

    assert job.status == ImportJob.Status.DONE, job.error
    tally = job.tally()
    assert sum(tally.values()) == plan.data_rows == job.committed_rows
    assert tally == plan.expected

    reported = error_report(job)
    duplicates = {int(row): reason for row, _value, reason in reported if "duplicate" in reason}
    expected = {row: f"duplicate of row {first}" for row, first in plan.duplicates.items()}
    assert duplicates == expected
    if plan.quote_row:
        assert any(row == str(plan.quote_row) and "quote" in why for row, _v, why in reported)
