"""'Is this number blocked?': every DND list that blocks a number, with when, who, why."""

import pytest
from django.urls import reverse

from campaigns.models import DndEntry, DndList

pytestmark = pytest.mark.django_db


def lookup(client, number):
    return client.get(reverse("campaigns:dnd_lookup"), {"number": number})


def test_a_blocked_number_shows_each_list_with_when_who_and_why(viewer_client, supervisor_user):
    regulator = DndList.objects.create(name="Regulator", is_global=True)
    opt_outs = DndList.objects.create(name="Opt-outs")
    DndList.objects.create(name="Unrelated").add_numbers("9876500999")
    DndEntry.objects.create(
        dnd_list=regulator,
        number="+919876500001",
        reason="TRAI complaint",
        added_by=supervisor_user,
    )
    DndEntry.objects.create(dnd_list=opt_outs, number="+919876500001", reason="Opted out by SMS")
    response = lookup(viewer_client, "098765-00001")
    entries = response.context["entries"]
    assert sorted(entry.dnd_list.name for entry in entries) == ["Opt-outs", "Regulator"]
    body = response.content.decode()
    assert "+919876500001 is blocked" in body and "by 2 DND lists" in body
    assert "TRAI complaint" in body and supervisor_user.get_full_name() in body


def test_a_number_on_no_list_is_reported_as_not_blocked(viewer_client):
    DndList.objects.create(name="Opt-outs").add_numbers("9876500001")
    response = lookup(viewer_client, "+91 98765 00002")
    assert b"+919876500002 is not blocked" in response.content


def test_an_invalid_number_gets_a_clear_message(viewer_client):
    response = lookup(viewer_client, "12345")
    assert b"12345 is not a phone number we can check: 12345 is too short for +91" in (
        response.content
    )


def test_the_lookup_form_alone_shows_no_verdict(viewer_client):
    response = viewer_client.get(reverse("campaigns:dnd_lookup"))
    assert b"is blocked" not in response.content and b"not blocked" not in response.content


def test_an_htmx_lookup_returns_only_the_result(viewer_client):
    response = viewer_client.get(
        reverse("campaigns:dnd_lookup"), {"number": "9876500002"}, HTTP_HX_REQUEST="true"
    )
    assert response.content.lstrip().startswith(b'<div id="lookup-result">')
