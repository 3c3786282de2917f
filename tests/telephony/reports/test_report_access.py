"""Who gets what (beside tests/test_access.py, which walks every URL for every persona):
the htmx partials are guarded like their pages, a call's DND button is for supervisors
and admins, and adding a number to a DND list goes through campaigns' own add."""

import pytest

from campaigns.models import DndEntry, DndList
from telephony.models import CallRecord
from tests.factories import ProviderAccountFactory

pytestmark = pytest.mark.django_db

PARTIALS = ["/reports/", "/reports/calls/", "/reports/exports/"]
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.mark.parametrize("url", PARTIALS)
def test_each_partial_is_guarded_like_its_page(url, persona):
    name, _, client = persona
    response = client.get(url, **HTMX)
    if name == "anonymous":
        assert response.status_code == 401 and "/accounts/login/" in response["HX-Redirect"]
        return
    assert response.status_code == 200
    body = response.content.decode()
    assert "<html" not in body and "<nav" not in body.split("group")[0]


def test_the_export_progress_partial_is_only_for_its_owner(
    viewer_user, viewer_client, supervisor_client
):
    from telephony.reports.models import ReportExport

    export = ReportExport.objects.create(user=viewer_user, query="range=today")
    url = f"/reports/exports/{export.pk}/"
    assert viewer_client.get(url, **HTMX).status_code == 200
    assert supervisor_client.get(url, **HTMX).status_code == 404


@pytest.fixture
def record():
    account = ProviderAccountFactory(kind="cpaas")
    return CallRecord.objects.create(
        account=account, vendor_call_id="x1", status="answered", customer_number="+919876543210"
    )


def test_a_viewer_sees_no_dnd_button_and_cannot_post_one(record, viewer_client):
    dnd_list = DndList.objects.create(name="Opt-outs")
    body = viewer_client.get(f"/reports/calls/{record.pk}/").content.decode()
    assert 'id="dnd-form"' not in body
    response = viewer_client.post(f"/reports/calls/{record.pk}/dnd/", {"dnd_list": dnd_list.pk})
    assert response.status_code == 403
    assert not DndEntry.objects.exists()


def test_a_supervisor_adds_the_number_to_a_dnd_list(record, supervisor_client):
    dnd_list = DndList.objects.create(name="Opt-outs")
    assert 'id="dnd-form"' in supervisor_client.get(f"/reports/calls/{record.pk}/").content.decode()
    form = {"dnd_list": dnd_list.pk, "reason": "asked"}
    supervisor_client.post(f"/reports/calls/{record.pk}/dnd/", form)
    entry = DndEntry.objects.get()
    assert (entry.dnd_list, entry.number, entry.reason) == (dnd_list, "+919876543210", "asked")
    page = supervisor_client.get(f"/reports/calls/{record.pk}/").content.decode()
    assert "Blocked by" in page and "Opt-outs" in page


def test_the_raw_record_is_escaped_and_bounded(record, viewer_client):
    # "js" sorts first both in Python's order and in PostgreSQL's jsonb (shorter keys first).
    record.raw = {"js": "<script>alert(1)</script>", "big": "x" * 5000, "many": list(range(500))}
    record.save()
    body = viewer_client.get(f"/reports/calls/{record.pk}/").content.decode()
    assert "<script>alert(1)</script>" not in body and "&lt;script&gt;" in body
    assert "x" * 501 not in body and "5,000 characters" in body
    assert "more fields not shown" in body
