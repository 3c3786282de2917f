"""Omilia number sets through the pages, against the sandbox over HTTP, in one flow:
create, list for the user and for a group, rename, add and remove numbers, attach and
detach the set, release its purchased numbers and delete it, each delete confirmed on a
page that names what goes; the inventory's NumberSet rows follow."""

import pytest

from phone_numbers.models import NumberSet, PhoneNumber
from telephony.vendors.omilia.sandbox_state import SANDBOX_MINIAPPS

from .omilia_pages import demo_omilia_account, page_text, sandbox_numbers, url

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

SUPPORT_IVR = next(app for app in SANDBOX_MINIAPPS if app["miniAppName"] == "Support_IVR")
ATHENS, LONDON = "+302101234567", "+442071838750"


@pytest.fixture
def account(live_server):
    return demo_omilia_account(live_server)


def test_an_admin_runs_a_set_from_creation_to_deletion(admin_client, account):
    created = admin_client.post(
        url("omilia_sets", account), {"new-name": "Pilots", "new-group": "dialdesk"}
    )
    assert created.status_code == 302
    set_id = created["Location"].rstrip("/").rsplit("/", 1)[-1]
    assert NumberSet.objects.get(account=account, vendor_id=set_id).name == "Pilots"
    clash = admin_client.post(
        url("omilia_sets", account), {"new-name": "Pilots", "new-group": "dialdesk"}
    )
    assert clash.context["create"].errors["group"] == [
        "A phone numbers set named Pilots already exists in group dialdesk"
    ]

    mine = {s.name for s in admin_client.get(url("omilia_sets", account)).context["sets"]}
    assert {"Pilots", "US lines", "EMEA"} <= mine
    support = admin_client.get(url("omilia_sets", account, group="dialdesk-support"))
    assert [s.name for s in support.context["sets"]] == ["EMEA"]

    renamed = admin_client.post(
        url("omilia_set_edit", account, set_id), {"name": "Pilot lines", "group": "dialdesk"}
    )
    assert renamed.status_code == 302
    assert NumberSet.objects.get(vendor_id=set_id).name == "Pilot lines"

    members = url("omilia_set_members", account, set_id)
    admin_client.post(members, {"add-numbers": f"{ATHENS}\n{LONDON}"})
    detail = admin_client.get(url("omilia_set", account, set_id))
    assert sorted(m.number for m in detail.context["members"]) == [ATHENS, LONDON]
    assert set(
        PhoneNumber.objects.filter(sets__vendor_id=set_id).values_list("number", flat=True)
    ) == {ATHENS, LONDON}
    foreign = admin_client.post(members, {"add-numbers": "+493012345678"})
    assert foreign.context["add_form"].errors["numbers"] == [
        "Phone number +493012345678 is not in group dialdesk"
    ]

    attached = admin_client.post(
        url("omilia_set_attach", account, set_id),
        {"attach-mini_app_id": SUPPORT_IVR["miniAppId"], "attach-locale": "en-US"},
    )
    assert attached.status_code == 302
    assert {sandbox_numbers()[n]["miniAppName"] for n in (ATHENS, LONDON)} == {"Support_IVR"}
    admin_client.post(url("omilia_set_detach", account, set_id))
    assert {sandbox_numbers()[n]["miniAppId"] for n in (ATHENS, LONDON)} == {None}

    admin_client.post(members, {"action": "remove", "numbers": [LONDON]})
    detail = admin_client.get(url("omilia_set", account, set_id))
    assert [m.number for m in detail.context["members"]] == [ATHENS]

    # London (bought) goes back in; "delete purchased" releases it and keeps Athens
    # (added directly), after a page that lists the set's numbers.
    admin_client.post(members, {"add-numbers": LONDON})
    confirm = admin_client.get(url("omilia_set_delete_purchased", account, set_id))
    assert "Release the purchased numbers of the set Pilot lines?" in page_text(confirm)
    assert ATHENS in page_text(confirm) and LONDON in page_text(confirm)
    admin_client.post(url("omilia_set_delete_purchased", account, set_id))
    assert LONDON not in sandbox_numbers() and ATHENS in sandbox_numbers()
    assert not PhoneNumber.objects.filter(account=account, number=LONDON).exists()

    confirm = admin_client.get(url("omilia_set_delete", account, set_id))
    assert "Delete the set Pilot lines?" in page_text(confirm) and ATHENS in page_text(confirm)
    gone = admin_client.post(url("omilia_set_delete", account, set_id))
    assert gone.status_code == 302
    assert not NumberSet.objects.filter(account=account, vendor_id=set_id).exists()
    assert ATHENS in sandbox_numbers()
