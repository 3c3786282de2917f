"""Hostile uploads (security issue #9): files too wide, cells too long, XLSX zip bombs and
declared dimensions, CSV fields past the csv module's limit, orphaned uploads, formula
characters in the error report, and the same limits in the background job."""

import csv
import io
import os
import time
import zipfile

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django_q.models import Schedule

from campaigns import tasks
from campaigns.importers import UnreadableFile, create_job, intake, preview, run_import
from campaigns.importers import job as job_module
from campaigns.models import Contact, ImportJob
from telephony.signals import ensure_schedules
from tests.campaigns import hostile_files as hostile

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]


def stored_files(media):
    return [p for p in media.rglob("*") if p.is_file()]


def upload(client, contact_list, data: bytes, name="c.csv"):
    return client.post(
        reverse("campaigns:contact_import", kwargs={"pk": contact_list.pk}),
        {"file": SimpleUploadedFile(name, data)},
    )


def new_job(contact_list, data: bytes, name="c.csv"):
    upload = SimpleUploadedFile(name, data)
    return create_job(ImportJob.Kind.CONTACTS, contact_list, None, upload=upload)


def error_report(job) -> list[list[str]]:
    with default_storage.open(job.error_report.name) as fh:
        return list(csv.reader(io.StringIO(fh.read().decode())))


# --- 1. columns and cells: refused at upload, and a linear mapping page ---------------


def test_a_csv_with_1000_columns_is_refused_with_the_count_and_the_limit(
    supervisor_client, contact_list, media
):
    response = upload(supervisor_client, contact_list, hostile.wide_csv(1000))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Row 1 has 1,000 columns; imports take up to 200 columns." in page
    assert not ImportJob.objects.exists()
    assert not stored_files(media), "a refused upload is not kept"


def test_an_xlsx_with_1000_real_columns_is_refused_with_the_count_and_the_limit(
    supervisor_client, contact_list, media
):
    response = upload(supervisor_client, contact_list, hostile.wide_xlsx(1000), "w.xlsx")
    assert "Row 1 has 1,000 columns; imports take up to 200 columns." in response.content.decode()
    assert not ImportJob.objects.exists() and not stored_files(media)


def test_the_column_limit_is_a_setting(supervisor_client, contact_list, settings):
    settings.IMPORT_MAX_COLUMNS = 5
    response = upload(supervisor_client, contact_list, hostile.wide_csv(6))
    assert "Row 1 has 6 columns; imports take up to 5 columns." in response.content.decode()
    assert upload(supervisor_client, contact_list, hostile.wide_csv(5)).status_code == 302


def test_trailing_empty_cells_do_not_count_as_columns(contact_list, settings):
    settings.IMPORT_MAX_COLUMNS = 5
    job = new_job(contact_list, b"number,name" + b"," * 300 + b"\n9876543210,Asha\n")
    assert job.columns == ["number", "name"]


@pytest.mark.parametrize("dimension", ["A1:ALL1000", "A1:XFD1048576"])
def test_an_xlsx_declared_dimension_is_ignored_only_real_cells_are_read(
    supervisor_client, contact_list, dimension
):
    response = upload(
        supervisor_client, contact_list, hostile.declared_dimension_xlsx(dimension), "d.xlsx"
    )
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert job.columns == ["Phone", "Name"]
    assert job.sample == [["Phone", "Name"], ["9876543210", "Asha"], ["9876543211", "Ravi"]]
    page = supervisor_client.get(response["Location"])
    assert page.status_code == 200 and len(page.content) < 100_000


def test_each_column_select_offers_only_its_own_custom_field(supervisor_client, contact_list):
    columns = 150
    response = upload(supervisor_client, contact_list, hostile.wide_csv(columns))
    page = supervisor_client.get(response["Location"]).content.decode()
    assert page.count("<option") <= 7 * columns, "a linear page, not columns squared"
    assert page.count("Custom field {c77}") == 1
    assert len(page) < 400_000


def test_the_mapping_page_and_its_preview_never_read_the_file_again(
    supervisor_client, contact_list, monkeypatch
):
    response = upload(supervisor_client, contact_list, b"phone,name\n9876543210,Asha\n12,Bad\n")
    job = ImportJob.objects.get()

    def no_reading(*args, **kwargs):
        raise AssertionError("the mapping page opened the upload")

    monkeypatch.setattr(intake, "open_rows", no_reading)
    monkeypatch.setattr(default_storage, "open", no_reading)
    for _ in range(2):
        html = supervisor_client.get(response["Location"]).content.decode()
        assert "+919876543210" in html and "too short" in html
    partial = supervisor_client.get(
        response["Location"], {"col_0": "number", "col_1": "ignore"}, headers={"HX-Request": "true"}
    ).content.decode()
    assert "+919876543210" in partial
    assert job.sample == [["phone", "name"], ["9876543210", "Asha"], ["12", "Bad"]]


def test_a_job_from_before_the_sample_was_kept_previews_from_its_file(contact_list):
    job = new_job(contact_list, b"phone,name\n9876543210,Asha\n")
    ImportJob.objects.filter(pk=job.pk).update(sample=[])
    job.refresh_from_db()
    assert [r["parsed"].number for r in preview(job)] == ["+919876543210"]


def test_the_stored_sample_is_bounded(contact_list):
    rows = "".join(f"98765{i:05d},{'x' * 1000}\n" for i in range(100))
    job = new_job(contact_list, ("number,note\n" + rows).encode())
    assert len(job.sample) == 21, "the header and the twenty rows the preview shows"
    assert max(len(cell) for row in job.sample for cell in row) == 300
    assert [r["row"] for r in preview(job)] == list(range(2, 22))
    assert preview(job)[0]["parsed"].fields == {"note": "x" * 300}


def test_a_cell_over_the_limit_in_the_first_rows_is_refused_naming_its_row(
    supervisor_client, contact_list, media
):
    data = hostile.long_field_csv(6000, row=4)
    response = upload(supervisor_client, contact_list, data)
    assert (
        "Row 4 has a cell of 6,000 characters; imports take cells of up to 5,000 characters."
        in response.content.decode()
    )
    assert not ImportJob.objects.exists() and not stored_files(media)


# --- 6. XLSX decompression bombs ----------------------------------------------------


def test_one_huge_cell_in_a_tiny_xlsx_is_refused_before_any_part_is_parsed(
    contact_list, media, monkeypatch
):
    data = hostile.big_cell_xlsx(5_000_000)
    assert len(data) < 20_000

    def no_parsing(*args, **kwargs):
        raise AssertionError("a part was parsed")

    monkeypatch.setattr("openpyxl.xml.functions.iterparse", no_parsing)
    monkeypatch.setattr("openpyxl.xml.functions.fromstring", no_parsing)
    monkeypatch.setattr("campaigns.importers.xlsx.iterparse", no_parsing, raising=False)
    monkeypatch.setattr("campaigns.importers.xlsx.fromstring", no_parsing, raising=False)
    with pytest.raises(UnreadableFile) as refused:
        new_job(contact_list, data, "bomb.xlsx")
    assert "This Excel file expands to 5 MB when unzipped" in str(refused.value)
    assert "1,004 times" in str(refused.value) and "more than 100 times" in str(refused.value)
    assert not ImportJob.objects.exists() and not stored_files(media)


def test_a_million_shared_strings_in_a_tiny_xlsx_is_refused_quickly(
    supervisor_client, contact_list
):
    data = hostile.many_strings_xlsx(1_000_000)
    assert len(data) < 50_000
    started = time.monotonic()
    response = upload(supervisor_client, contact_list, data, "strings.xlsx")
    assert time.monotonic() - started < 3, "openpyxl took 15 s to read these strings"
    assert "This Excel file expands to 16 MB when unzipped" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_the_upload_parses_only_the_shared_strings_its_first_rows_use(contact_list):
    from campaigns.importers.xlsx import Book

    # 200,000 more strings after the ones the rows use: a table of ~5 MB that compresses
    # like a real one (under the ratio rule), as a 200,000-row workbook's would.
    rows = [["Phone", "Name"]] + [[9876543200 + i, f"Name {i}"] for i in range(30)]
    body, shared = hostile.rows_xml(rows)
    strings = shared + [f"Other {i}" for i in range(200_000)]
    data = hostile.xlsx(sheet=hostile.sheet_xml(body), strings=hostile.strings_xml(strings))
    with Book(io.BytesIO(data), budget=16 * 1024 * 1024) as book:
        head = [row for _, row in zip(range(21), book.rows(200, strict=True), strict=False)]
        assert head[1] == ["9876543200", "Name 0"]
        assert len(book.strings.strings) < 1_000, "only the strings the first rows use"


def test_an_xlsx_with_too_many_parts_is_refused_before_they_are_listed(contact_list, monkeypatch):
    parts = {f"xl/media/pad{i}.xml": "<x/>" for i in range(1_001)}
    data = hostile.xlsx([["Phone"], [9876543210]], parts=parts)

    def no_listing(*args, **kwargs):
        raise AssertionError("the central directory was parsed")

    monkeypatch.setattr(zipfile.ZipFile, "_RealGetContents", no_listing)
    with pytest.raises(UnreadableFile, match="holds 1,008 parts; a workbook has a few dozen"):
        new_job(contact_list, data, "parts.xlsx")


def test_an_xlsx_that_expands_past_ten_times_the_upload_limit_is_refused(contact_list, settings):
    settings.IMPORT_MAX_UPLOAD_MB = 1  # so workbooks may expand to 10 MB
    # Parts under 4 MB may compress as well as they like; together they pass 10 MB.
    parts = {f"xl/media/pad{i}.xml": "<x>" + " " * 3_900_000 + "</x>" for i in range(3)}
    data = hostile.xlsx([["Phone"], [9876543210]], parts=parts)
    with pytest.raises(UnreadableFile, match="expands to 11 MB when unzipped; imports take"):
        new_job(contact_list, data, "big.xlsx")


def test_a_part_read_whole_is_capped(contact_list):
    padding = "<!--" + "p" * 3_000_000 + "-->"
    workbook = hostile.WORKBOOK.replace("<sheets>", padding + "<sheets>")
    data = hostile.xlsx([["Phone"], [9876543210]], parts={"xl/workbook.xml": workbook})
    with pytest.raises(UnreadableFile, match="part xl/workbook.xml expands to 3 MB; imports take"):
        new_job(contact_list, data, "book.xlsx")


def test_an_xlsx_row_past_excels_last_row_is_refused(contact_list):
    body = '<row r="1"><c r="A1"><v>9876543210</v></c></row><row r="99999999999"/>'
    data = hostile.xlsx(sheet=hostile.sheet_xml(body))
    with pytest.raises(UnreadableFile, match="row numbered 99,999,999,999, past Excel's last row"):
        new_job(contact_list, data, "rows.xlsx")
    job = new_job(contact_list, hostile.xlsx([["Phone"], [9876543210]]), "ok.xlsx")
    assert job.columns == ["Phone"]


def test_xlsx_values_read_as_openpyxl_reads_them(contact_list):
    rich = (
        '<si><r><t>Ri</t></r><r><rPr><b/></rPr><t xml:space="preserve">ch </t></r>'
        '<rPh sb="0" eb="1"><t>phonetic</t></rPh></si>'
    )
    strings = f'<sst xmlns="{hostile.MAIN}"><si><t>Phone</t></si><si><t>Note</t></si>{rich}</sst>'
    body = (
        '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c>'
        '<c r="C1" t="inlineStr"><is><t>When</t></is></c>'
        '<c r="D1" t="inlineStr"><is><t>Ok</t></is></c></row>'
        '<row r="2"><c r="A2"><v>919876543210</v></c><c r="B2" t="s"><v>2</v></c>'
        '<c r="C2" s="1"><v>45000</v></c><c r="D2" t="b"><v>1</v></c></row>'
        '<row r="4"><c r="A4"><v>9876543211.0</v></c><c r="XFD4"/></row>'
    )
    data = hostile.xlsx(sheet=hostile.sheet_xml(body, "A1:XFD1048576"), strings=strings)
    job = new_job(contact_list, data, "values.xlsx")
    assert job.sample == [
        ["Phone", "Note", "When", "Ok"],
        ["919876543210", "Rich ", "2023-03-15T00:00:00", "TRUE"],
        [],
        ["9876543211"],
    ]


def test_the_job_checks_the_stored_xlsx_again(contact_list):
    job = new_job(contact_list, hostile.xlsx([["Phone"], [9876543210]]), "ok.xlsx")
    job.mapping = {"0": "number"}
    job.save()
    with default_storage.open(job.upload.name, "wb") as fh:
        fh.write(hostile.big_cell_xlsx(5_000_000))
    with pytest.raises(UnreadableFile):
        run_import(job.pk)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED
    assert job.error.startswith("This Excel file expands to 5 MB when unzipped")


def test_the_row_estimate_of_a_hostile_dimension_is_capped_at_excels_last_row(contact_list):
    from campaigns.importers.reading import xlsx_row_estimate

    data = hostile.declared_dimension_xlsx("A1:XFD99999999")
    job = new_job(contact_list, data, "d.xlsx")
    assert xlsx_row_estimate(job.upload.name) == 1_048_576
    job.mapping = {"0": "number"}
    job.save()
    run_import(job.pk, parallel=False)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE and job.imported == 2


def test_a_cell_far_right_later_in_an_xlsx_is_cut_not_padded_in_the_job(contact_list):
    rows = [["Phone", "Name"]] + [[9876543200 + i, f"N{i}"] for i in range(25)]
    body, shared = hostile.rows_xml(rows)
    body = body.replace('</row><row r="25">', '<c r="XFD24"><v>7</v></c></row><row r="25">')
    data = hostile.xlsx(sheet=hostile.sheet_xml(body), strings=hostile.strings_xml(shared))
    job = new_job(contact_list, data, "far.xlsx")
    job.mapping = {"0": "number", "1": "name"}
    job.save()
    run_import(job.pk)
    job.refresh_from_db()
    assert (job.status, job.imported, job.invalid) == (ImportJob.Status.DONE, 25, 0)


# --- 8. CSV fields past the csv module's limit, orphaned uploads --------------------


def test_a_csv_field_over_131072_characters_is_refused_naming_its_row(
    supervisor_client, contact_list, media
):
    response = upload(supervisor_client, contact_list, hostile.long_field_csv(200_000, row=2))
    assert response.status_code == 200, "it was a 500 (csv.Error)"
    assert "Row 2 has a cell longer than 131,072 characters" in response.content.decode()
    assert not ImportJob.objects.exists()
    assert not stored_files(media), "the upload was left in MEDIA_ROOT"


def test_create_job_deletes_the_stored_upload_on_any_failure(contact_list, media, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(intake, "_describe_columns", broken)
    with pytest.raises(RuntimeError):
        new_job(contact_list, b"number\n9876543210\n")
    assert not stored_files(media)


def test_a_huge_field_later_in_the_file_is_an_invalid_row_of_the_job(contact_list):
    job = new_job(contact_list, hostile.long_field_csv(200_000, row=30, rows=40))
    job.mapping = {"0": "number", "1": "field:note"}
    job.save()
    run_import(job.pk)
    job.refresh_from_db()
    assert (job.status, job.imported, job.invalid) == (ImportJob.Status.DONE, 39, 1)
    report = error_report(job)
    assert report[1][0] == "30"
    assert report[1][2] == (
        "the row has a cell longer than 131,072 characters; imports take cells of up to "
        "5,000 characters"
    )
    assert Contact.objects.filter(number="+919876500031").exists(), "the rows after it go in"


def test_a_line_past_the_line_limit_is_an_invalid_row_never_read_whole(contact_list, settings):
    settings.IMPORT_MAX_COLUMNS, settings.IMPORT_MAX_CELL_CHARS = 5, 100  # lines of 515
    lines = ["number,note"] + [f"98765{i:05d},ok" for i in range(30)]
    lines[25] = "9876500024," + "1," * 5_000
    job = new_job(contact_list, ("\n".join(lines) + "\n").encode())
    job.mapping = {"0": "number", "1": "field:note"}
    job.save()
    run_import(job.pk)
    job.refresh_from_db()
    assert (job.imported, job.invalid) == (29, 1)
    assert error_report(job)[1][:2] == ["26", ""]
    assert error_report(job)[1][2] == (
        "the row is longer than 515 characters, the longest row imports read"
    )


def test_a_custom_field_past_the_cell_limit_later_is_an_invalid_row(contact_list, settings):
    settings.IMPORT_MAX_CELL_CHARS = 100
    lines = ["number,note"] + [f"98765{i:05d},ok" for i in range(30)]
    lines[25] = "9876500024," + "n" * 150
    job = new_job(contact_list, ("\n".join(lines) + "\n").encode())
    job.mapping = {"0": "number", "1": "field:note"}
    job.save()
    run_import(job.pk)
    job.refresh_from_db()
    assert (job.imported, job.invalid) == (29, 1)
    reason = error_report(job)[1][2]
    assert reason == "the note value has 150 characters; imports take cells of up to 100"


def test_the_sweep_removes_orphaned_uploads_over_an_hour_old_and_nothing_else(contact_list, media):
    job = new_job(contact_list, b"number\n9876543210\n")
    old = time.time() - 2 * 3600
    os.utime(default_storage.path(job.upload.name), (old, old))
    orphan = default_storage.save("imports/2026/01/upload.csv", io.BytesIO(b"number\n"))
    report = default_storage.save("import-reports/import-99-errors.csv", io.BytesIO(b"row\n"))
    fresh = default_storage.save("imports/2026/01/fresh.csv", io.BytesIO(b"number\n"))
    for name in (orphan, report):
        os.utime(default_storage.path(name), (old, old))

    assert tasks.sweep_import_uploads() == "2 orphaned files removed"
    assert tasks.sweep_import_uploads() == "0 orphaned files removed", "safe to run twice"
    assert default_storage.exists(job.upload.name), "a job's upload stays, however old"
    assert default_storage.exists(fresh), "a young file may be an upload being read"
    assert not default_storage.exists(orphan) and not default_storage.exists(report)


def test_the_sweep_is_scheduled_once_and_listed_on_the_jobs_page(admin_client):
    ensure_schedules(sender=None)
    ensure_schedules(sender=None)
    sweep = Schedule.objects.get(name="Import upload sweep")
    assert sweep.func == "campaigns.tasks.sweep_import_uploads"
    assert sweep.schedule_type == Schedule.HOURLY and sweep.repeats == -1
    page = admin_client.get(reverse("telephony:jobs")).content.decode()
    assert "Import upload sweep" in page


# --- 9. the error report is safe to open in a spreadsheet ---------------------------


def test_the_error_report_neutralises_a_reason_that_starts_like_a_formula(contact_list):
    job = new_job(contact_list, b"number,name\n9876543210,A\n=1+1,B\n-2+3,C\n")
    run_import(job.pk)
    job.refresh_from_db()
    report = error_report(job)
    assert report[1] == ["3", "'=1+1", "'=1+1 has characters that are not digits"]
    assert report[2][1].startswith("'-") and report[2][2].startswith("'-")
    for row in report[1:]:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r"))


def test_a_long_invalid_value_is_cut_in_the_error_report(contact_list):
    job = new_job(contact_list, ("number\n9876543210\n" + "x" * 4000 + "\n").encode())
    run_import(job.pk)
    job.refresh_from_db()
    row = error_report(job)[1]
    assert len(row[1]) == 200 and len(row[2]) <= 300
    assert row[2].startswith("x" * 40 + "…")


# --- elsewhere in the import path ----------------------------------------------------


def test_a_paste_too_big_for_a_form_is_refused_with_a_clear_message(supervisor_client):
    from campaigns.models import DndList

    dnd_list = DndList.objects.create(name="Complaints")
    response = supervisor_client.post(
        reverse("campaigns:dnd_import", kwargs={"pk": dnd_list.pk}),
        {"pasted": "9876543210\n" * 300_000},
    )
    assert response.status_code == 413
    assert "too long to paste" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_batches_are_cut_by_the_size_of_their_fields_too(contact_list, monkeypatch):
    monkeypatch.setattr(job_module, "BATCH_MAX_CHARS", 5_000)
    rows = "".join(f"98765{i:05d},{'f' * 1000}\n" for i in range(20))
    job = new_job(contact_list, ("number,note\n" + rows).encode())
    sizes = []
    commit = job_module.Importer._commit

    def counting(self, params, *args):
        sizes.append(len(params))
        return commit(self, params, *args)

    monkeypatch.setattr(job_module.Importer, "_commit", counting)
    run_import(job.pk, parallel=False)
    assert sum(sizes) == 20 and max(sizes) <= 5, sizes
