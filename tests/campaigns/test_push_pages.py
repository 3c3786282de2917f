"""The push pages: choosing a CPaaS account, starting a push, and its status card."""

import pytest
from django.urls import reverse

from campaigns.models import Contact, ContactList, DndList, VendorPush
from tests.factories import ProviderAccountFactory


@pytest.fixture(autouse=True)
def no_retry_pauses(monkeypatch):
    monkeypatch.setattr(VendorPush, "RETRY_DELAYS", ())


@pytest.fixture
def contact_list(db):
    contact_list = ContactList.objects.create(name="April renewals")
    for index in range(3):
        Contact.objects.create(contact_list=contact_list, number=f"+91980030000{index}")
    Contact.objects.create(contact_list=contact_list, number="+919800399999", is_active=False)
    return contact_list


@pytest.fixture
def cpaas(db):
    # A closed local port: a push to it fails with a connection error, never a real vendor.
    return ProviderAccountFactory(
        kind="cpaas",
        name="Mumbai CPaaS",
        base_url="http://127.0.0.1:9/",
        config={"account": "account_1"},
        secrets={"auth": "some-auth-value"},
    )


def test_the_page_offers_only_enabled_accounts_that_hold_campaign_lists(
    supervisor_client, contact_list, cpaas
):
    ProviderAccountFactory(kind="cpaas", name="Old CPaaS", is_active=False)
    ProviderAccountFactory(kind="oca", name="OCA gateway")

    response = supervisor_client.get(reverse("campaigns:list_push", args=[contact_list.pk]))

    page = response.content.decode()
    assert response.status_code == 200
    assert "Mumbai CPaaS" in page
    assert "Old CPaaS" not in page and "OCA gateway" not in page
    assert "Never pushed" in page
    assert "its 3 rows" in page  # the active contacts only
    assert "Inactive contacts are not pushed" in page and "(1 in this list)" in page


def test_without_a_cpaas_account_the_page_says_where_to_add_one(admin_client, contact_list):
    response = admin_client.get(reverse("campaigns:list_push", args=[contact_list.pk]))

    assert "No CPaaS account to push to" in response.content.decode()
    assert reverse("telephony:account_index") in response.content.decode()


def test_starting_a_push_runs_it_and_shows_the_vendors_error(
    supervisor_client, supervisor_user, contact_list, cpaas
):
    url = reverse("campaigns:list_push", args=[contact_list.pk])

    response = supervisor_client.post(url, {"account": cpaas.pk}, follow=True)

    push = VendorPush.objects.get(account=cpaas, contact_list=contact_list)
    assert push.status == "failed" and push.requested_by == supervisor_user
    assert push.error == "Could not connect to the vendor (ConnectionError)."
    page = response.content.decode()
    assert response.redirect_chain[-1][0] == url
    assert "Could not connect to the vendor (ConnectionError)." in page
    assert "Try again" in page


def test_an_htmx_post_swaps_in_the_accounts_status_card(supervisor_client, contact_list, cpaas):
    response = supervisor_client.post(
        reverse("campaigns:list_push", args=[contact_list.pk]),
        {"account": cpaas.pk},
        headers={"HX-Request": "true"},
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in page and f'id="push-card-{cpaas.pk}"' in page
    assert "Failed" in page and "Could not connect" in page


def test_a_disabled_account_is_refused_and_nothing_is_pushed(
    supervisor_client, contact_list, cpaas
):
    cpaas.is_active = False
    cpaas.save()

    response = supervisor_client.post(
        reverse("campaigns:list_push", args=[contact_list.pk]), {"account": cpaas.pk}, follow=True
    )

    assert "Choose an enabled CPaaS account" in response.content.decode()
    assert not VendorPush.objects.exists()


def test_a_dnd_list_has_its_own_push_page(supervisor_client, cpaas):
    dnd_list = DndList.objects.create(name="Complaints")

    response = supervisor_client.get(reverse("campaigns:dnd_push", args=[dnd_list.pk]))

    page = response.content.decode()
    assert "Push Complaints to CPaaS" in page and "Mumbai CPaaS" in page
    assert "Inactive contacts" not in page


def test_a_viewer_reads_a_push_status_but_cannot_start_one(viewer_client, contact_list, cpaas):
    push = VendorPush.objects.create(
        account=cpaas,
        contact_list=contact_list,
        status="done",
        vendor_list_id="LSdb6a12e1f1",
        last_pushed_id=contact_list.contacts.order_by("id").last().pk,
        pushed_count=3,
        rows_total=3,
        note="Pushed 3 new contacts.",
    )

    status = viewer_client.get(reverse("campaigns:push_status", args=[push.pk]))
    start = viewer_client.post(
        reverse("campaigns:list_push", args=[contact_list.pk]), {"account": cpaas.pk}
    )

    page = status.content.decode()
    assert status.status_code == 200 and start.status_code == 403
    assert "LSdb6a12e1f1" in page and "<strong>3</strong> of 3 rows pushed" in page
    assert "Nothing new since the last push" in page
    assert "Push new rows" not in page


def test_the_status_card_polls_while_the_push_runs_and_stops_when_it_ends(
    viewer_client, contact_list, cpaas
):
    push = VendorPush.objects.create(
        account=cpaas, contact_list=contact_list, status="running", pushed_count=1, rows_total=3
    )
    url = reverse("campaigns:push_status", args=[push.pk])

    running = viewer_client.get(url, headers={"HX-Request": "true"})
    VendorPush.objects.filter(pk=push.pk).update(status="failed", error="list_id not found")
    failed = viewer_client.get(url, headers={"HX-Request": "true"})

    assert 'hx-trigger="every 2s"' in running.content.decode()
    assert "<strong>1</strong> of 3 rows pushed" in running.content.decode()
    assert "<html" not in running.content.decode()
    assert "HX-Request" in running["Vary"]
    assert 'hx-trigger="every 2s"' not in failed.content.decode()
    assert "list_id not found" in failed.content.decode()


def test_a_second_post_while_a_push_runs_does_not_start_another(
    supervisor_client, contact_list, cpaas
):
    push = VendorPush.objects.create(account=cpaas, contact_list=contact_list, status="running")

    response = supervisor_client.post(
        reverse("campaigns:list_push", args=[contact_list.pk]), {"account": cpaas.pk}, follow=True
    )

    push.refresh_from_db()
    assert push.status == "running"
    assert "already being pushed" in response.content.decode()
