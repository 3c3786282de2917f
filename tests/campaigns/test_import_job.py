"""The import job: the summary it ends with, its error report, and resuming after a crash
without duplicates or double counting."""

import csv
import io
from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from campaigns import tasks
from campaigns.importers import Importer, create_job, run_import
from campaigns.importers.reading import UnreadableFile
from campaigns.models import Contact, ContactList, DndEntry, DndList, ImportJob

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]


@pytest.fixture
def dnd_list():
    return DndList.objects.create(name="Complaints")


def contacts_job(contact_list, text: str):
    data = SimpleUploadedFile("c.csv", text.encode())
    return create_job(ImportJob.Kind.CONTACTS, contact_list, None, upload=data)


MESSY = (
    "Mobile No,Full Name,Due Amount,Time Zone\n"
    "98765 43210,Asha,1200,Asia/Kolkata\n"
    "9876543211,Ravi,300,Mars/Olympus\n"
    "98765-43210,Asha again,1200,\n"  # duplicate within the file
    "12345,Short,0,\n"  # invalid
    ",,,\n"  # empty row
    "9876543299,Already,5,\n"  # already in the list
    "=HYPERLINK(1),Evil,0,\n"  # invalid, and a formula
    "+44 20 7946 0958,London,10,\n"
)


def test_an_import_ends_with_a_summary_of_every_row(contact_list):
    Contact.objects.create(contact_list=contact_list, number="+919876543299")
    DndList.objects.create(name="Global", is_global=True).entries.create(number="+919876543211")
    job = contacts_job(contact_list, MESSY)
    tasks.run_import(job.pk)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    assert (job.imported, job.duplicates_in_file, job.already_in_list, job.invalid) == (3, 1, 1, 2)
    assert job.empty_rows == 1
    assert job.dnd_matches == 1
    assert job.committed_rows == job.rows_processed == job.rows_total == 8
    assert (
        job.imported + job.duplicates_in_file + job.already_in_list + job.invalid + job.empty_rows
        == 8
    )
    contact_list.refresh_from_db()
    assert contact_list.contact_count == 4
    assert set(contact_list.custom_fields) >= {"due_amount"}


def test_contacts_carry_their_fields_and_time_zones(contact_list):
    job = contacts_job(contact_list, MESSY)
    tasks.run_import(job.pk)
    asha = Contact.objects.get(number="+919876543210")
    assert asha.name == "Asha"
    assert asha.raw_number == "98765 43210"
    assert asha.fields == {"due_amount": "1200"}
    assert asha.time_zone == "Asia/Kolkata"
    # An unknown zone in the file falls back to the number's own.
    assert Contact.objects.get(number="+919876543211").time_zone == "Asia/Kolkata"
    assert Contact.objects.get(number="+442079460958").time_zone == "Europe/London"


def test_the_error_report_lists_row_value_and_reason_with_formulas_neutralised(contact_list):
    job = contacts_job(contact_list, MESSY)
    tasks.run_import(job.pk)
    job.refresh_from_db()
    with default_storage.open(job.error_report.name) as fh:
        rows = list(csv.reader(io.StringIO(fh.read().decode())))
    assert rows[0] == ["row", "value", "reason"]
    assert [(r[0], r[1]) for r in rows[1:]] == [
        ("4", "98765-43210"),
        ("5", "12345"),
        ("8", "'=HYPERLINK(1)"),
    ]
    assert rows[1][2] == "duplicate of row 2"
    assert "too short" in rows[2][2]


def test_the_upload_is_deleted_when_the_job_is_done(contact_list):
    job = contacts_job(contact_list, MESSY)
    name = job.upload.name
    assert default_storage.exists(name)
    tasks.run_import(job.pk)
    job.refresh_from_db()
    assert not job.upload and not default_storage.exists(name)
    assert default_storage.exists(job.error_report.name), "the error report is kept"


def test_a_dnd_import_counts_the_contacts_it_now_blocks(contact_list, dnd_list):
    Contact.objects.create(contact_list=contact_list, number="+919876543210")
    other = ContactList.objects.create(name="Other")
    Contact.objects.create(contact_list=other, number="+919876543210")
    dnd_list.entries.create(number="+919876543211")  # already on the list before
    Contact.objects.create(contact_list=other, number="+919876543211")
    data = SimpleUploadedFile("d.csv", b"msisdn;Remark\n9876543210;asked\n9876543211;again\n1;x\n")
    job = create_job(ImportJob.Kind.DND, dnd_list, None, upload=data)
    assert job.mapping == {"0": "number", "1": "reason"}
    tasks.run_import(job.pk)
    job.refresh_from_db()
    assert (job.imported, job.already_in_list, job.invalid) == (1, 1, 1)
    assert job.dnd_matches == 2, "both contacts with the newly blocked number"
    entry = DndEntry.objects.get(dnd_list=dnd_list, number="+919876543210")
    assert (entry.reason, entry.source) == ("asked", "file")


def big_file(rows: int, dup_every=7, bad_every=11) -> str:
    lines = ["number,name,city"]
    for i in range(rows):
        if i % bad_every == 5:
            lines.append(f"12{i},Bad {i},X")
        elif i % dup_every == 6:
            lines.append(f"98{i - 1:08d},Dup {i},Y")
        else:
            lines.append(f"98{i:08d},Name {i},Z")
    return "\n".join(lines) + "\n"


def counters(job):
    return (job.imported, job.duplicates_in_file, job.already_in_list, job.invalid)


@pytest.mark.parametrize("parallel", [False, True], ids=["one process", "reader process"])
def test_a_crash_mid_import_leaves_a_resumable_state_and_a_rerun_finishes_exactly(
    contact_list, monkeypatch, parallel
):
    text = big_file(230)
    reference_list = ContactList.objects.create(name="Reference")
    reference = contacts_job(reference_list, text)
    run_import(reference.pk, batch_size=50, parallel=False)
    reference.refresh_from_db()

    job = contacts_job(contact_list, text)
    original = Importer._commit
    calls = {"n": 0}

    def crash_on_third_batch(self, *args):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("worker killed")
        return original(self, *args)

    monkeypatch.setattr(Importer, "_commit", crash_on_third_batch)
    with pytest.raises(RuntimeError):
        run_import(job.pk, batch_size=50, parallel=parallel)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED
    assert job.committed_rows == 100
    assert "100 rows committed; run again to resume" in job.error
    assert Contact.objects.filter(contact_list=contact_list).count() == job.imported
    assert job.can_resume

    monkeypatch.setattr(Importer, "_commit", original)
    run_import(job.pk, batch_size=50, parallel=parallel)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    assert counters(job) == counters(reference)
    assert job.duplicates_in_file > 0 and job.invalid > 0
    numbers = set(
        Contact.objects.filter(contact_list=contact_list).values_list("number", flat=True)
    )
    assert numbers == set(
        Contact.objects.filter(contact_list=reference_list).values_list("number", flat=True)
    )
    with (
        default_storage.open(job.error_report.name) as a,
        default_storage.open(reference.error_report.name) as b,
    ):
        assert a.read() == b.read(), "no error row lost or written twice"


def test_a_worker_killed_without_cleanup_is_resumed_once_it_is_stale(contact_list, monkeypatch):
    job = contacts_job(contact_list, big_file(120))
    original = Importer._commit
    calls = {"n": 0}

    def die(self, *args):
        calls["n"] += 1
        if calls["n"] == 2:
            raise SystemExit  # not an Exception: nothing marks the job failed
        return original(self, *args)

    monkeypatch.setattr(Importer, "_commit", die)
    with pytest.raises(SystemExit):
        run_import(job.pk, batch_size=50)
    monkeypatch.setattr(Importer, "_commit", original)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.RUNNING and job.committed_rows == 50
    run_import(job.pk, batch_size=50)  # a live run holds it: nothing happens
    job.refresh_from_db()
    assert job.committed_rows == 50
    ImportJob.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - timedelta(minutes=10))
    job.refresh_from_db()
    assert job.is_stalled and job.can_resume
    run_import(job.pk, batch_size=50)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE and job.committed_rows == 120
    assert Contact.objects.filter(contact_list=contact_list).count() == job.imported


def test_running_a_done_job_again_changes_nothing(contact_list):
    job = contacts_job(contact_list, MESSY)
    tasks.run_import(job.pk)
    job.refresh_from_db()
    before = counters(job)
    tasks.run_import(job.pk)
    job.refresh_from_db()
    assert counters(job) == before
    assert Contact.objects.filter(contact_list=contact_list).count() == 4


def test_start_queues_the_job_on_django_q(contact_list):
    job = contacts_job(contact_list, MESSY)
    job.start()  # Q_CLUSTER is sync in tests: the task ran inline
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE and job.imported == 4


def test_an_xlsx_import_streams_its_rows(contact_list):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["Phone Number", "Name", "Plan"])
    for i in range(30):
        sheet.append([919876543200 + i, f"N{i}", "gold"])
    out = io.BytesIO()
    book.save(out)
    job = create_job(
        ImportJob.Kind.CONTACTS,
        contact_list,
        None,
        upload=SimpleUploadedFile("c.xlsx", out.getvalue()),
    )
    tasks.run_import(job.pk)
    job.refresh_from_db()
    assert job.imported == 30
    assert Contact.objects.filter(number="+919876543229", fields={"plan": "gold"}).exists()


def test_the_reader_process_imports_exactly_what_one_process_does(contact_list):
    text = big_file(330)
    reference_list = ContactList.objects.create(name="Reference")
    reference = contacts_job(reference_list, text)
    run_import(reference.pk, batch_size=40, parallel=False)
    job = contacts_job(contact_list, text)
    run_import(job.pk, batch_size=40, parallel=True)
    job.refresh_from_db()
    reference.refresh_from_db()
    assert job.status == ImportJob.Status.DONE and job.imported > 0
    assert counters(job) == counters(reference)
    assert list(
        Contact.objects.filter(contact_list=contact_list)
        .order_by("number")
        .values_list("number", "name", "fields", "time_zone")
    ) == list(
        Contact.objects.filter(contact_list=reference_list)
        .order_by("number")
        .values_list("number", "name", "fields", "time_zone")
    )


def test_a_file_the_reader_process_cannot_read_fails_the_job_with_its_message(
    contact_list, monkeypatch
):
    job = contacts_job(contact_list, big_file(60))

    def unreadable(*args, **kwargs):
        raise UnreadableFile("The uploaded file is no longer there; upload it again")

    monkeypatch.setattr("campaigns.importers.job.data_rows", unreadable)
    with pytest.raises(UnreadableFile):
        run_import(job.pk, batch_size=40, parallel=True)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED
    assert job.error.startswith("The uploaded file is no longer there; upload it again. 0 rows")
