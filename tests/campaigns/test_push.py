"""Pushing contact and DND lists to a CPaaS account, against the CPaaS sandbox over real
HTTP: the vendor's lists, incremental pushes, and resuming after faults without
duplicates (read from the sandbox's own database)."""

import json
from collections import Counter
from datetime import timedelta

import pytest
import requests
from django.utils import timezone

from campaigns.models import Contact, ContactList, DndEntry, DndList, VendorPush
from telephony.models import ProviderAccount, ProviderRequest, SandboxRecord
from tests.telephony.vendors.cpaas_helpers import account_kwargs

# Serialized rollback: its flush must not leave role groups the next live-server test
# (which restores the serialized database) would create a second time.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture(autouse=True)
def small_batches(monkeypatch):
    monkeypatch.setattr(VendorPush, "BATCH_SIZE", 5)
    monkeypatch.setattr(VendorPush, "RETRY_DELAYS", ())


@pytest.fixture
def account(live_server):
    kwargs = account_kwargs(f"{live_server.url}/sandbox")
    secrets = kwargs.pop("secrets")
    account = ProviderAccount(kind="cpaas", name="CPaaS sandbox", **kwargs)
    account.set_secrets(secrets)
    account.save()
    return account


@pytest.fixture
def contact_list():
    return ContactList.objects.create(name="March dues", custom_fields=["amount", "due"])


def add_contacts(contact_list, start, count, *, active=True):
    return [
        Contact.objects.create(
            contact_list=contact_list,
            number=f"+9198001{index:05d}",
            raw_number=f"98001{index:05d}",
            name=f"Customer {index}",
            fields={"amount": str(100 + index), "due": "2026-12-01"},
            is_active=active,
        )
        for index in range(start, start + count)
    ]


def vendor_members(list_id, kind="contact"):
    """What the sandbox holds in the vendor list: number -> stored member."""
    records = SandboxRecord.objects.filter(vendor="cpaas", kind=kind, parent=list_id)
    numbers = [record.data["number"] for record in records]
    assert len(numbers) == len(set(numbers))
    return {record.data["number"]: record.data for record in records}


def sent_numbers(account, endpoint="add_contact_to_list", *, ok=True):
    """How many times each number was in a request the vendor answered (or not)."""
    sent = Counter()
    for row in ProviderRequest.objects.filter(account=account, endpoint=endpoint, ok=ok):
        body = json.loads(row.request_excerpt)
        for member in body.get("contacts") or body.get("dnd_contacts"):
            sent[member.get("contact_number") or member.get("dnd_contact_number")] += 1
    return sent


def digits(contacts):
    return {contact.number.removeprefix("+") for contact in contacts}


def push_now(account, target):
    push = VendorPush.for_target(account, target)
    push.enqueue()  # Q_CLUSTER is sync in tests: the job runs here
    push.refresh_from_db()
    return push


def with_hook(monkeypatch, account, hook):
    """Make the push's client call `hook(response)` after every vendor answer."""
    client = account.client()
    client.http.session.hooks["response"].append(lambda response, *a, **k: hook(client, response))
    monkeypatch.setattr(ProviderAccount, "client", lambda self: client)
    return client


def test_a_contact_list_is_pushed_as_a_vendor_list_with_every_active_contact_and_its_fields(
    account, contact_list
):
    active = add_contacts(contact_list, 0, 11)
    add_contacts(contact_list, 50, 2, active=False)

    push = push_now(account, contact_list)

    assert push.status == "done" and push.error == ""
    assert push.vendor_list_id.startswith("LS")
    vendor_list = SandboxRecord.objects.get(vendor="cpaas", kind="list", key=push.vendor_list_id)
    assert vendor_list.data["name"] == push.vendor_list_name
    members = vendor_members(push.vendor_list_id)
    assert set(members) == digits(active)
    assert members["919800100003"] == {
        "name": "Customer 3",
        "number": "919800100003",
        "fields": {"amount": "103", "due": "2026-12-01"},
    }
    assert push.pushed_count == 11 and push.rows_total == 11 and push.percent == 100
    assert push.last_pushed_id == active[-1].pk
    assert push.last_pushed_at is not None
    assert push.note == "Pushed 11 new contacts."
    # 11 rows in batches of 5: three requests.
    adds = ProviderRequest.objects.filter(account=account, endpoint="add_contact_to_list")
    assert adds.count() == 3


def test_pushing_again_sends_only_the_rows_added_since_the_last_push(account, contact_list):
    first = add_contacts(contact_list, 0, 7)
    push = push_now(account, contact_list)
    list_id = push.vendor_list_id
    later = add_contacts(contact_list, 7, 3)

    push = push_now(account, contact_list)

    assert push.status == "done" and push.vendor_list_id == list_id
    assert push.pushed_count == 10 and push.last_pushed_id == later[-1].pk
    assert push.note == "Pushed 3 new contacts."
    assert set(vendor_members(list_id)) == digits(first + later)
    assert set(sent_numbers(account).values()) == {1}
    assert ProviderRequest.objects.filter(endpoint="create_campaign_list").count() == 1


def test_a_push_with_nothing_new_says_so_and_sends_nothing(account, contact_list):
    add_contacts(contact_list, 0, 3)
    push = push_now(account, contact_list)
    requests_before = ProviderRequest.objects.count()

    queued, message = push.enqueue()
    assert (queued, message) == (False, "Nothing new to push.")
    # The job itself, run again (a duplicate task), finds nothing either.
    assert push.run() == "Nothing new to push."
    push.refresh_from_db()
    assert push.status == "done" and push.note == "Nothing new to push."
    assert ProviderRequest.objects.count() == requests_before


def test_a_push_that_fails_halfway_resumes_without_sending_any_number_twice(
    account, contact_list, monkeypatch
):
    contacts = add_contacts(contact_list, 0, 23)
    accepted = []

    def fail_after_two_batches(client, response):
        if response.url.endswith("add_contact_to_list") and response.ok:
            accepted.append(response)
            if len(accepted) == 2:  # the sandbox answers HTTP 500 from now on
                client.http.session.headers["X-Sandbox-Fault"] = "error"

    client = with_hook(monkeypatch, account, fail_after_two_batches)
    push = push_now(account, contact_list)

    assert push.status == "failed"
    assert push.error == "internal server error"  # the sandbox's own words
    assert push.last_pushed_id == contacts[9].pk and push.pushed_count == 10
    assert set(vendor_members(push.vendor_list_id)) == digits(contacts[:10])

    del client.http.session.headers["X-Sandbox-Fault"]
    push = push_now(account, contact_list)

    assert push.status == "done" and push.error == ""
    assert push.pushed_count == 23 and push.last_pushed_id == contacts[-1].pk
    members = vendor_members(push.vendor_list_id)
    assert set(members) == digits(contacts) and len(members) == 23
    # Every number reached the vendor exactly once: the resume began at batch 3.
    assert sent_numbers(account) == Counter(dict.fromkeys(digits(contacts), 1))


def test_a_batch_whose_answer_was_lost_is_sent_again_and_the_vendor_holds_each_number_once(
    account, contact_list, monkeypatch
):
    contacts = add_contacts(contact_list, 0, 12)
    answers = []

    def lose_the_second_answer(client, response):
        if response.url.endswith("add_contact_to_list"):
            answers.append(response)
            if len(answers) == 2:  # the vendor stored batch 2, we never hear so
                raise requests.Timeout("read timed out")

    with_hook(monkeypatch, account, lose_the_second_answer)
    push = push_now(account, contact_list)

    assert push.status == "failed" and push.error == "The vendor did not answer in time."
    assert push.last_pushed_id == contacts[4].pk
    # Ambiguous: the vendor has batch 2 although the push does not count it.
    assert set(vendor_members(push.vendor_list_id)) == digits(contacts[:10])

    push = push_now(account, contact_list)

    assert push.status == "done" and push.pushed_count == 12
    members = vendor_members(push.vendor_list_id)
    assert set(members) == digits(contacts) and len(members) == 12
    assert members["919800100007"]["fields"] == {"amount": "107", "due": "2026-12-01"}
    # Batch 2 went twice (its first answer lost), every other number once.
    sends = sent_numbers(account) + sent_numbers(account, ok=False)
    assert {number for number, times in sends.items() if times == 2} == digits(contacts[5:10])
    assert set(sends.values()) == {1, 2}


def test_a_transient_failure_is_retried_within_the_run(account, contact_list, monkeypatch):
    monkeypatch.setattr(VendorPush, "RETRY_DELAYS", (0, 0))
    contacts = add_contacts(contact_list, 0, 8)
    account.client()
    seen = []

    def fail_once(client, response):
        if response.url.endswith("add_contact_to_list"):
            seen.append(response)
            if len(seen) == 1:
                raise requests.ConnectionError("reset by peer")

    with_hook(monkeypatch, account, fail_once)
    push = push_now(account, contact_list)

    assert push.status == "done" and push.pushed_count == 8
    assert set(vendor_members(push.vendor_list_id)) == digits(contacts)


def test_a_dnd_list_is_pushed_as_a_vendor_dnd_list(account):
    dnd_list = DndList.objects.create(name="Complaints")
    entries = [
        DndEntry.objects.create(dnd_list=dnd_list, number=f"+9198002{index:05d}", name=f"n{index}")
        for index in range(7)
    ]

    push = push_now(account, dnd_list)

    assert push.status == "done" and push.vendor_list_id.startswith("DN")
    assert SandboxRecord.objects.filter(kind="dnd_list", key=push.vendor_list_id).exists()
    members = vendor_members(push.vendor_list_id, kind="dnd_contact")
    assert set(members) == digits(entries)
    assert members["919800200002"]["name"] == "n2"
    assert push.note == "Pushed 7 new DND numbers."
    assert sent_numbers(account, "add_dnd_contact_to_list") == Counter(
        dict.fromkeys(digits(entries), 1)
    )


def test_the_vendors_own_error_is_kept_when_it_refuses_the_account(account, contact_list):
    account.set_secrets({"auth": "not-the-right-auth"})
    account.save()
    add_contacts(contact_list, 0, 2)

    push = push_now(account, contact_list)

    assert push.status == "failed"
    assert push.error == "Invalid account or auth"
    assert push.note == "authentication failed (HTTP 401)"
    assert push.vendor_list_id == "" and push.pushed_count == 0


def test_a_running_push_is_not_started_twice_but_a_stalled_one_resumes(account, contact_list):
    contacts = add_contacts(contact_list, 0, 6)
    push = VendorPush.for_target(account, contact_list)
    VendorPush.objects.filter(pk=push.pk).update(status="running", updated_at=timezone.now())
    push.refresh_from_db()

    assert push.enqueue() == (False, "This list is already being pushed to this account.")
    assert push.run() == "already running"
    assert not ProviderRequest.objects.exists()

    stalled = timezone.now() - timedelta(seconds=VendorPush.STALE_AFTER_SECONDS + 5)
    VendorPush.objects.filter(pk=push.pk).update(updated_at=stalled)
    push.refresh_from_db()
    assert not push.is_active
    queued, _ = push.enqueue()
    push.refresh_from_db()
    assert queued and push.status == "done" and push.pushed_count == 6
    assert set(vendor_members(push.vendor_list_id)) == digits(contacts)


def test_numbers_the_vendor_cannot_take_are_skipped_and_counted(account, contact_list):
    good = add_contacts(contact_list, 0, 3)
    Contact.objects.create(contact_list=contact_list, number="+6841234", name="Samoa")

    push = push_now(account, contact_list)

    assert push.status == "done"
    assert push.pushed_count == 3 and push.skipped_count == 1 and push.percent == 100
    assert set(vendor_members(push.vendor_list_id)) == digits(good)


def test_a_long_push_hands_over_to_a_new_task_and_finishes(account, contact_list, monkeypatch):
    monkeypatch.setattr(VendorPush, "TIME_BUDGET_SECONDS", -1)
    contacts = add_contacts(contact_list, 0, 12)

    push = push_now(account, contact_list)

    assert push.status == "done" and push.pushed_count == 12
    assert set(vendor_members(push.vendor_list_id)) == digits(contacts)


def test_resending_every_row_updates_what_the_vendor_holds(account, contact_list):
    contacts = add_contacts(contact_list, 0, 4)
    push = push_now(account, contact_list)
    Contact.objects.filter(pk=contacts[0].pk).update(name="Renamed")

    push.enqueue(resend_all=True)
    push.refresh_from_db()

    assert push.status == "done" and push.pushed_count == 4
    members = vendor_members(push.vendor_list_id)
    assert len(members) == 4 and members["919800100000"]["name"] == "Renamed"


def test_a_lost_create_list_answer_falls_back_to_a_fresh_name(account, contact_list, monkeypatch):
    add_contacts(contact_list, 0, 2)
    created = []

    def lose_the_create_answer(client, response):
        if response.url.endswith("create_campaign_list"):
            created.append(response)
            if len(created) == 1:
                raise requests.Timeout("read timed out")

    with_hook(monkeypatch, account, lose_the_create_answer)
    push = push_now(account, contact_list)
    assert push.status == "failed" and push.vendor_list_id == ""

    push = push_now(account, contact_list)

    assert push.status == "done" and push.vendor_list_name.endswith("#2")
    assert len(vendor_members(push.vendor_list_id)) == 2
