"""The import pages: upload or paste, map and preview, progress and summary, the error
CSV, and oversized uploads refused before their body is read."""

import io

import pytest
import tablib
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django.urls import reverse

from campaigns.models import Contact, DndList, ImportJob
from campaigns.resources import ContactResource, DndEntryResource

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]


CSV = (
    b"Mobile No;Customer Name;Due Amount\n98765 43210;Asha;1200\n12345;Bad;0\n9876543211;Ravi;10\n"
)


def test_a_supervisor_uploads_maps_and_imports_a_file(supervisor_client, contact_list):
    url = reverse("campaigns:contact_import", kwargs={"pk": contact_list.pk})
    assert supervisor_client.get(url).status_code == 200
    response = supervisor_client.post(url, {"file": SimpleUploadedFile("c.csv", CSV)})
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("campaigns:import_mapping", kwargs={"pk": job.pk})

    page = supervisor_client.get(response["Location"])
    html = page.content.decode()
    assert "Check the columns of c.csv" in html
    assert "+919876543210" in html and "too short" in html, "the preview validates each row"
    assert not Contact.objects.exists(), "the preview writes nothing"

    mapping = {"col_0": "number", "col_1": "name", "col_2": "field:due_amount"}
    response = supervisor_client.post(response["Location"], mapping)
    assert response["Location"] == reverse("campaigns:import_detail", kwargs={"pk": job.pk})
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    assert (job.imported, job.invalid) == (2, 1)
    assert Contact.objects.get(number="+919876543210").fields == {"due_amount": "1200"}

    detail = supervisor_client.get(response["Location"]).content.decode()
    assert "Download them (CSV)" in detail
    assert 'hx-trigger="every 2s"' not in detail, "polling stops once the job is done"


def test_editing_the_mapping_updates_the_preview_partial(supervisor_client, contact_list):
    url = reverse("campaigns:contact_import", kwargs={"pk": contact_list.pk})
    supervisor_client.post(url, {"file": SimpleUploadedFile("c.csv", CSV)})
    job = ImportJob.objects.get()
    mapping_url = reverse("campaigns:import_mapping", kwargs={"pk": job.pk})
    response = supervisor_client.get(
        mapping_url,
        {"col_0": "ignore", "col_1": "number", "col_2": "ignore"},
        headers={"HX-Request": "true"},
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="import-preview"')
    assert "Map exactly one column to Number" not in html
    assert "Asha has characters that are not digits" in html
    assert response["Vary"].count("HX-Request") == 1


def test_a_mapping_without_a_number_column_is_refused(supervisor_client, contact_list):
    supervisor_client.post(
        reverse("campaigns:contact_import", kwargs={"pk": contact_list.pk}),
        {"file": SimpleUploadedFile("c.csv", CSV)},
    )
    job = ImportJob.objects.get()
    response = supervisor_client.post(
        reverse("campaigns:import_mapping", kwargs={"pk": job.pk}),
        {"col_0": "ignore", "col_1": "name", "col_2": "ignore"},
    )
    assert response.status_code == 200
    assert "Map exactly one column to Number." in response.content.decode()
    job.refresh_from_db()
    assert job.status == ImportJob.Status.PENDING and not job.task_id


def test_pasted_numbers_become_a_dnd_import(supervisor_client):
    dnd_list = DndList.objects.create(name="Complaints")
    response = supervisor_client.post(
        reverse("campaigns:dnd_import", kwargs={"pk": dnd_list.pk}),
        {"pasted": "9876543210, 9876543211\n9876543212;junk"},
    )
    job = ImportJob.objects.get()
    assert job.file_format == "paste" and job.mapping == {"0": "number"}
    supervisor_client.post(response["Location"], {"col_0": "number"})
    job.refresh_from_db()
    assert (job.imported, job.invalid) == (3, 1)
    assert dnd_list.entries.count() == 3


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty"),
        (b"number,name\n", "The file has a header but no rows"),
        (b"%PDF-1.4 whatever", "This is not a CSV or XLSX file"),
    ],
)
def test_unusable_files_get_a_clear_message_on_the_form(
    supervisor_client, contact_list, data, message
):
    response = supervisor_client.post(
        reverse("campaigns:contact_import", kwargs={"pk": contact_list.pk}),
        {"file": SimpleUploadedFile("x.csv", data)},
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not ImportJob.objects.exists()


def test_a_form_with_neither_file_nor_paste_asks_for_one(supervisor_client, contact_list):
    response = supervisor_client.post(
        reverse("campaigns:contact_import", kwargs={"pk": contact_list.pk}), {}
    )
    assert "Choose a file to upload, or paste some numbers." in response.content.decode()


class EndlessBody(io.RawIOBase):
    """A request body that would be 2 GB; counts what the server actually reads."""

    def __init__(self, head: bytes, size: int):
        self.head, self.size, self.read_bytes = head, size, 0

    def readable(self):
        return True

    def readinto(self, buffer):
        if self.read_bytes >= self.size:
            return 0
        n = min(len(buffer), self.size - self.read_bytes)
        start = self.read_bytes
        chunk = (self.head[start : start + n] if start < len(self.head) else b"") or b"9" * n
        chunk = chunk.ljust(n, b"9")[:n]
        buffer[:n] = chunk
        self.read_bytes += n
        return n


def test_a_2_gb_upload_is_refused_before_its_body_is_read(supervisor_client, contact_list):
    size = 2 * 1024**3
    head = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\n'
        "Content-Type: text/csv\r\n\r\nnumber\r\n"
    ).encode()
    body = EndlessBody(head, size)
    response = supervisor_client.generic(
        "POST",
        reverse("campaigns:contact_import", kwargs={"pk": contact_list.pk}),
        CONTENT_TYPE=MULTIPART_CONTENT,
        CONTENT_LENGTH=str(size),
        **{"wsgi.input": body},
    )
    assert response.status_code == 413
    assert "This file is 2,048 MB; imports take files up to 200 MB" in response.content.decode()
    assert body.read_bytes == 0
    assert not ImportJob.objects.exists()


def test_a_file_over_the_limit_inside_an_allowed_body_is_stopped_at_the_limit(
    supervisor_client, contact_list, settings
):
    """The body passes the length check (limit + form overhead), but the upload handler
    stops reading as soon as the file passes the limit: nothing is spooled to disk."""
    settings.IMPORT_MAX_UPLOAD_MB = 1
    data = b"number\n" + b"9876543210\n" * 140_000  # 1.5 MB
    payload = encode_multipart(BOUNDARY, {"file": SimpleUploadedFile("big.csv", data)})
    body = EndlessBody(payload, len(payload))
    response = supervisor_client.generic(
        "POST",
        reverse("campaigns:contact_import", kwargs={"pk": contact_list.pk}),
        CONTENT_TYPE=MULTIPART_CONTENT,
        CONTENT_LENGTH=str(len(payload)),
        **{"wsgi.input": body},
    )
    assert response.status_code == 413
    assert "imports take files up to 1 MB" in response.content.decode()
    assert body.read_bytes < len(payload), "the rest of the body is never read"
    assert not ImportJob.objects.exists()


def test_the_error_csv_is_a_download_with_row_value_and_reason(
    supervisor_client, viewer_client, contact_list
):
    supervisor_client.post(
        reverse("campaigns:contact_import", kwargs={"pk": contact_list.pk}),
        {"file": SimpleUploadedFile("c.csv", CSV)},
    )
    job = ImportJob.objects.get()
    job.start()
    assert (
        viewer_client.get(reverse("campaigns:import_errors", kwargs={"pk": job.pk})).status_code
        == 403
    )
    response = supervisor_client.get(reverse("campaigns:import_errors", kwargs={"pk": job.pk}))
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    text = b"".join(response.streaming_content).decode()
    assert text.splitlines()[0] == "row,value,reason"
    assert text.splitlines()[1].startswith("3,12345,")


def test_a_failed_job_shows_resume_to_supervisors_only(
    supervisor_client, viewer_client, contact_list
):
    job = ImportJob.objects.create(
        kind="contacts",
        contact_list=contact_list,
        status=ImportJob.Status.FAILED,
        committed_rows=20000,
        task_id="x",
        error="OperationalError: disk full. 20,000 rows committed; run again to resume.",
        columns=["number"],
        mapping={"0": "number"},
    )
    url = reverse("campaigns:import_detail", kwargs={"pk": job.pk})
    html = supervisor_client.get(url).content.decode()
    assert "20,000 rows committed; run again to resume." in html and "Resume import" in html
    assert "Resume import" not in viewer_client.get(url).content.decode()


def test_a_running_job_polls_its_progress(viewer_client, contact_list):
    job = ImportJob.objects.create(
        kind="contacts",
        contact_list=contact_list,
        status=ImportJob.Status.RUNNING,
        rows_total=1000,
        rows_processed=250,
        task_id="x",
    )
    url = reverse("campaigns:import_detail", kwargs={"pk": job.pk})
    partial = viewer_client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert partial.lstrip().startswith('<div id="import-progress"')
    assert 'hx-trigger="every 2s"' in partial and 'data-width="25"' in partial


def test_the_import_export_resources_really_import(contact_list):
    data = tablib.Dataset(headers=["number", "name", "plan"])
    data.append(["9876543210", "Asha", "gold"])
    data.append(["12", "Bad", "x"])
    resource = ContactResource(contact_list)
    result = resource.import_data(data, dry_run=False, raise_errors=True)
    assert not result.has_errors()
    contact = Contact.objects.get(contact_list=contact_list)
    assert (contact.number, contact.fields, contact.time_zone) == (
        "+919876543210",
        {"plan": "gold"},
        "Asia/Kolkata",
    )
    assert resource.invalid[0][1:] == ("12", "12 is too short for +91")

    dnd_list = DndList.objects.create(name="D")
    dnd = tablib.Dataset(["09876543210", "asked"], headers=["number", "reason"])
    DndEntryResource(dnd_list).import_data(dnd, dry_run=False, raise_errors=True)
    assert dnd_list.entries.get().reason == "asked"
