"""Exports: the file holds exactly the search page's filter (rows == the page's count),
the columns the user chose, times in their zone, formulas neutralised; the job is safe to
run twice; each user sees and downloads only their own exports."""

import zoneinfo

import pytest
from django.test import override_settings

from telephony.models import CallRecord, UserProfile
from telephony.reports.exports import read_rows
from telephony.reports.models import ReportExport
from telephony.reports.tasks import run_export
from telephony.sync.ingest import ingest
from telephony.vendors.base import CallStatus, NormalizedCDR

from .support import START, random_calls

pytestmark = pytest.mark.django_db

RANGE = {"range": "custom", "start": "2026-11-19", "end": "2026-12-03"}


@pytest.fixture(autouse=True)
def media(tmp_path):
    with override_settings(MEDIA_ROOT=tmp_path):
        yield


@pytest.fixture
def calls(db):
    return random_calls(count=120)


def export(client, file_format="csv", columns=(), **query):
    data = {**RANGE, **query, "format": file_format}
    if columns:
        data["columns"] = list(columns)
    response = client.post("/reports/exports/new/", data)
    assert response.status_code == 302
    return ReportExport.objects.latest("pk")


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_the_file_has_as_many_rows_as_the_page_counts(calls, viewer_client, file_format):
    query = {"status": "answered", "account": calls[0][0].pk}
    page = viewer_client.get("/reports/calls/", {**RANGE, **query})
    count = page.context["count"]
    done = export(viewer_client, file_format, **query)
    assert done.status == "done", done.error
    assert len(read_rows(done)) == count.value == done.rows_written == done.rows_total
    stored = CallRecord.objects.filter(status="answered", account=calls[0][0])
    assert count.value == stored.count()


def test_a_number_search_exports_the_same_rows_as_its_pages(calls, viewer_client):
    query = {"number": "5", "match": "ends"}
    done = export(viewer_client, columns=["vendor_call_id"], **query)
    ids = {row[0] for row in read_rows(done)}
    ending = CallRecord.objects.filter(customer_number__endswith="5")
    expected = set(ending.values_list("vendor_call_id", flat=True))
    assert ids == expected and ids


def test_columns_are_the_chosen_ones_and_times_are_in_the_users_zone(
    calls, viewer_user, viewer_client
):
    profile = UserProfile.for_user(viewer_user)
    profile.time_zone = "Asia/Kathmandu"
    profile.save()
    done = export(viewer_client, columns=["vendor_call_id", "started_at"])
    with done.file.open("rb") as handle:
        header = handle.read().decode("utf-8-sig").splitlines()[0]
    assert header == "Vendor call id,Started"
    zone = zoneinfo.ZoneInfo("Asia/Kathmandu")
    first_id, first_start = read_rows(done)[0]
    record = CallRecord.objects.get(vendor_call_id=first_id, account__in=calls[0])
    assert first_start == record.started_at.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_formulas_are_neutralised(viewer_client, file_format):
    from tests.factories import ProviderAccountFactory

    account = ProviderAccountFactory(kind="cpaas")
    ingest(
        account,
        [
            NormalizedCDR(
                vendor_call_id='=HYPERLINK("http://evil")',
                status=CallStatus.ANSWERED,
                agent="@SUM(A1:A9)",
                vendor_status="-2+3",
                caller_id="+918069000001",
                started_at=START,
            )
        ],
    )
    done = export(
        viewer_client,
        file_format,
        columns=["vendor_call_id", "agent", "vendor_status", "caller_id"],
    )
    [row] = read_rows(done)
    assert row == ['\'=HYPERLINK("http://evil")', "'@SUM(A1:A9)", "'-2+3", "'+918069000001"]


def test_running_the_job_twice_writes_the_file_once(calls, viewer_client):
    done = export(viewer_client)
    name = done.file.name
    assert run_export(done.pk) == "not pending"
    done.refresh_from_db()
    assert done.file.name == name and done.status == "done"


def test_a_user_sees_only_their_own_exports(calls, viewer_client, supervisor_client):
    mine = export(viewer_client)
    assert supervisor_client.get(f"/reports/exports/{mine.pk}/").status_code == 404
    assert supervisor_client.get(f"/reports/exports/{mine.pk}/download/").status_code == 404
    theirs = supervisor_client.get("/reports/exports/").context["exports"]
    assert mine.pk not in [e.pk for e in theirs]
    history = viewer_client.get("/reports/exports/").context["exports"]
    assert [e.pk for e in history] == [mine.pk]
    download = viewer_client.get(f"/reports/exports/{mine.pk}/download/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content).startswith("\ufeffStarted".encode())


def test_a_today_export_keeps_the_day_the_page_showed(calls, viewer_client):
    done = export(viewer_client, range="today")
    assert "range=custom" in done.query and "start=" in done.query
