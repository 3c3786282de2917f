# ruff: noqa: F811 (pytest fixtures are imported by name, then requested as arguments)
"""MyOperator panel users against the sandbox over real HTTP: the sync (safe twice, a run
row each time), search, add and edit through POST / PUT /user, and the vendor's
refusals in its own words next to the field they concern."""

from django.urls import reverse

from telephony.models import SandboxRecord, SyncRun, VendorUser
from telephony.tasks_calls import sync_vendor_users
from tests.telephony.calls_support import LIVE, make_account, sandbox_url  # noqa: F401


def user_data(**fields):
    data = {
        "name": "Nina Agent",
        "phone": "+919876543210",
        "extension": "21",
        "email": "nina@example.com",
        "panel_access": "on",
        "receive_calls": "on",
        "contact_type": "mobile",
    }
    data.update(fields)
    return data


@LIVE
def test_panel_users_sync_twice_add_edit_and_the_vendors_refusals(sandbox_url, admin_client):
    account = make_account(sandbox_url, "myoperator")
    sync_vendor_users(account.pk)
    sync_vendor_users(account.pk)  # safe twice: the same rows, a second run row
    users = {user.name: user for user in VendorUser.objects.filter(account=account)}
    assert set(users) == {"Asha Demo", "Ravi Demo", "Meera Demo", "Kabir Demo"}
    assert users["Asha Demo"].role_name == "SuperAdmin" and users["Kabir Demo"].role_name == "Basic"
    assert users["Asha Demo"].phone == "+919000000101"
    runs = list(SyncRun.objects.filter(account=account, kind="users").order_by("id"))
    assert (
        [run.ok for run in runs] == [True, True] and runs[1].created == 0 and runs[1].updated == 4
    )

    index = reverse("telephony:vendor_user_index", args=[account.pk])
    page = admin_client.get(index).content.decode()
    assert "SuperAdmin" in page and "Manager" in page and "+919000000103" in page
    found = admin_client.get(index, {"q": "meera"}, headers={"HX-Request": "true"})
    assert "Meera Demo" in found.content.decode() and "Ravi Demo" not in found.content.decode()

    create = reverse("telephony:vendor_user_create", args=[account.pk])
    added = admin_client.post(create, user_data(phone="98765 43210"))
    assert added.status_code == 302
    nina = VendorUser.objects.get(account=account, name="Nina Agent")
    assert nina.phone == "+919876543210" and nina.extension == 21
    at_vendor = SandboxRecord.objects.get(vendor="myoperator", kind="user", key=nina.vendor_id)
    assert (
        at_vendor.data["contact_number"] == "9876543210" and at_vendor.data["country_code"] == "91"
    )

    # The vendor refuses a taken extension: its words, next to the extension field.
    clash = admin_client.post(create, user_data(name="Omar", phone="+919876543211"))
    assert clash.status_code == 400
    form = clash.context["form"]
    assert form.errors["extension"] == ["MyOperator: Extension is already assigned to another user"]
    # Our own check first: a number that is not a phone number never reaches the vendor.
    bad = admin_client.post(create, user_data(name="Omar", phone="12", extension="31"))
    assert "phone" in bad.context["form"].errors

    edit = reverse("telephony:vendor_user_edit", args=[account.pk, nina.pk])
    assert admin_client.get(edit).context["form"].initial["phone"] == "+919876543210"
    taken = admin_client.post(edit, user_data(phone="+919000000101"))
    assert taken.context["form"].errors["phone"] == [
        "MyOperator: Contact number already exists in your company"
    ]
    saved = admin_client.post(edit, user_data(name="Nina Sharma", extension="22"))
    assert saved.status_code == 302
    at_vendor.refresh_from_db()
    assert at_vendor.data["name"] == "Nina Sharma" and at_vendor.data["extension"] == "22"
    assert VendorUser.objects.get(pk=nina.pk).name == "Nina Sharma"


@LIVE
def test_a_sync_that_the_vendor_refuses_records_its_words_and_keeps_the_users(
    sandbox_url, admin_client
):
    account = make_account(sandbox_url, "myoperator")
    sync_vendor_users(account.pk)
    account.set_secrets({"rest_token": "not-the-token"})
    account.save()
    admin_client.post(reverse("telephony:vendor_user_sync", args=[account.pk]))
    run = SyncRun.objects.filter(account=account, kind="users").first()
    assert run.ok is False and run.errors == "This not an authorized request"
    assert VendorUser.objects.filter(account=account).count() == 4
    page = admin_client.get(reverse("telephony:vendor_user_index", args=[account.pk]))
    assert "This not an authorized request" in page.content.decode()


def test_only_admins_manage_panel_users(supervisor_client, viewer_client):
    from tests.factories import ProviderAccountFactory

    account = ProviderAccountFactory(kind="myoperator", config={"company_id": "x"})
    url = reverse("telephony:vendor_user_index", args=[account.pk])
    assert supervisor_client.get(url).status_code == 403
    assert viewer_client.get(url).status_code == 403


def test_the_users_sync_is_scheduled_hourly_and_not_at_every_worker_start(db):
    from django.utils import timezone
    from django_q.models import Schedule

    from telephony.signals import ensure_schedules

    ensure_schedules(sender=None)
    ensure_schedules(sender=None)
    schedule = Schedule.objects.get(name="MyOperator panel users sync")
    assert schedule.func == "telephony.tasks_calls.sync_vendor_users"
    assert schedule.schedule_type == Schedule.HOURLY and schedule.next_run > timezone.now()
