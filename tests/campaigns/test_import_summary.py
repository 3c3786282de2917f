"""The whole file's summary before an import is committed (issue 14, "The preview"): a
dry run of the job that writes nothing, whose counts are what the commit then does."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from campaigns.importers import create_job, run_import
from campaigns.importers import summary as summary_module
from campaigns.importers.summary import summarize
from campaigns.models import Contact, ContactList, DndEntry, DndList, ImportJob
from tests.campaigns.import_corpus import corpus_file

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]

MESSY = (
    "Mobile,Name,City\n"
    "9876500011,Asha,Pune\n"
    "12345,Short,Delhi\n"  # too short
    "98765abc12,Letters,Goa\n"  # not digits
    "9876500011,Asha again,Pune\n"  # duplicate of row 2
    ",,\n"  # empty
    "9876500001,Already,Pune\n"  # already in the list
    "9876500002,Blocked,Pune\n"  # on a DND list
    "+91 98765 00013,Ravi,Kochi\n"
    "123,Tiny,Goa\n"  # too short again
    "9876500013,Ravi twice,Kochi\n"  # duplicate of row 9
)


def upload(target, data, kind=ImportJob.Kind.CONTACTS, name="messy.csv"):
    return create_job(kind, target, None, upload=SimpleUploadedFile(name, data))


@pytest.fixture
def messy_list(contact_list):
    Contact.objects.create(contact_list=contact_list, number="+919876500001", name="Old")
    DndList.objects.create(name="Blocked").add_numbers("9876500002")
    contact_list.refresh_count()
    return contact_list


def written(contact_list):
    contact_list.refresh_from_db()
    return (
        Contact.objects.count(),
        DndEntry.objects.count(),
        contact_list.custom_fields,
        contact_list.contact_count,
    )


def test_the_summary_counts_every_row_and_writes_nothing(messy_list):
    job = upload(messy_list, MESSY.encode())
    before = written(messy_list)
    summary = summarize(job)
    assert written(messy_list) == before
    job.refresh_from_db()
    assert not job.error_report and not job.started_at and job.committed_rows == 0
    assert summary["state"] == "done"
    assert summary["counts"] == {
        "rows": 10,
        "imported": 2,
        "dnd_blocked": 1,
        "invalid": 3,
        "duplicates_in_file": 2,
        "already_in_list": 1,
        "empty_rows": 1,
    }
    reasons = summary["reasons"]
    assert sum(entry["count"] for entry in reasons.values()) == 3
    short = next(entry for reason, entry in reasons.items() if "too short" in reason)
    assert short["count"] == 2 and [s["row"] for s in short["samples"]] == ["3", "10"]
    duplicates = summary["samples"]["duplicates"]
    assert [(d["row"], d["reason"]) for d in duplicates] == [
        ("5", "duplicate of row 2"),
        ("11", "duplicate of row 9"),
    ]
    assert [s["value"] for s in summary["samples"]["already_in_list"]] == ["+919876500001"]
    assert [s["value"] for s in summary["samples"]["dnd_blocked"]] == ["+919876500002"]


def test_the_commit_then_does_what_the_summary_said(messy_list):
    job = upload(messy_list, MESSY.encode())
    counts = summarize(job)["counts"]
    run_import(job.pk)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    assert job.tally() == {key: value for key, value in counts.items() if key != "rows"}
    assert job.committed_rows == counts["rows"]


@pytest.mark.parametrize("index", [3, 11, 40, 77, 150, 333])
def test_corpus_files_commit_what_their_summary_said(index):
    corpus = corpus_file(14, index)
    if corpus.refused:
        pytest.skip("a file the upload refuses has no summary")
    if corpus.kind == "contacts":
        target = ContactList.objects.create(name=f"Corpus {index}", default_country="IN")
        kind = ImportJob.Kind.CONTACTS
    else:
        target = DndList.objects.create(name=f"Corpus {index}")
        kind = ImportJob.Kind.DND
    job = upload(target, corpus.data, kind, corpus.name)
    summary = summarize(job)
    assert Contact.objects.count() == 0 and DndEntry.objects.count() == 0
    run_import(job.pk, parallel=False)
    job.refresh_from_db()
    counts = summary["counts"]
    assert job.tally() == {key: value for key, value in counts.items() if key != "rows"}
    assert counts["rows"] == sum(counts[key] for key in counts if key != "rows")


def test_a_dnd_summary_says_which_contacts_the_new_entries_block(contact_list):
    Contact.objects.create(contact_list=contact_list, number="+919876500021", name="Meera")
    dnd_list = DndList.objects.create(name="Do not call")
    job = upload(dnd_list, b"number\n9876500021\n9876500022\nabc\n", ImportJob.Kind.DND)
    summary = summarize(job)
    assert summary["counts"]["imported"] == 2 and summary["counts"]["invalid"] == 1
    assert summary["contacts_blocked"] == 1
    assert DndEntry.objects.count() == 0
    run_import(job.pk)
    job.refresh_from_db()
    assert job.dnd_matches == 1


def post_upload(client, contact_list, data=None):
    url = reverse("campaigns:contact_import", args=[contact_list.pk])
    data = MESSY.encode() if data is None else data
    response = client.post(url, {"file": SimpleUploadedFile("messy.csv", data)})
    assert response.status_code == 302, response.content[:500]
    return ImportJob.objects.get(contact_list=contact_list), response["Location"]


def test_the_mapping_page_shows_a_small_files_summary_before_the_import(
    supervisor_client, messy_list
):
    job, url = post_upload(supervisor_client, messy_list)
    response = supervisor_client.get(url)
    assert response.status_code == 200
    content = response.content.decode()
    assert "Summary of the whole file" in content
    assert 'data-count="invalid">3' in content and 'data-count="dnd_blocked">1' in content
    assert "is too short for +91" in content
    assert Contact.objects.count() == 1  # only the one that was there


def test_a_changed_mapping_asks_for_its_own_summary(supervisor_client, messy_list):
    job, url = post_upload(supervisor_client, messy_list)
    # The name column as the number: the summary shown is stale, and says so.
    changed = {"col_0": "ignore", "col_1": "number", "col_2": "field:city"}
    response = supervisor_client.get(url, changed, HTTP_HX_REQUEST="true")
    assert response.context["summary"] is None
    assert b"The columns changed since the whole file was checked" in response.content
    supervisor_client.post(url, {**changed, "summarize": "1"})
    job.refresh_from_db()
    assert job.mapping["1"] == "number" and not job.started_at
    assert job.summary["counts"]["invalid"] == 9


def test_a_big_file_is_summarised_by_a_background_job_with_progress(
    supervisor_client, messy_list, monkeypatch
):
    monkeypatch.setattr(summary_module, "INLINE_BYTES", 0)
    queued = []
    monkeypatch.setattr("django_q.tasks.async_task", lambda *args, **kw: queued.append(args))
    job, url = post_upload(supervisor_client, messy_list)
    job.refresh_from_db()
    assert job.summary["state"] == "queued"
    assert queued == [("campaigns.importers.summary.run_summary", job.pk)]
    page = supervisor_client.get(url).content.decode()
    assert "Waiting for a background worker" in page and 'hx-trigger="every 2s"' in page
    summary_module.run_summary(job.pk)  # what the worker runs
    job.refresh_from_db()
    assert job.summary["state"] == "done" and job.summary["rows_done"] == 10
    assert not job.started_at and Contact.objects.count() == 1
    assert 'data-count="imported">2' in supervisor_client.get(url).content.decode()


def test_a_viewer_cannot_start_a_summary(viewer_client, messy_list):
    job = upload(messy_list, MESSY.encode())
    url = reverse("campaigns:import_mapping", args=[job.pk])
    response = viewer_client.post(url, {"summarize": "1"})
    assert response.status_code in (302, 403)
    job.refresh_from_db()
    assert job.summary == {}
