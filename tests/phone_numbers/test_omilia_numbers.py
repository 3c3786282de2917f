"""Omilia numbers through the pages, against the sandbox over HTTP: the list and its
searches, a number's group and note, the bulk operations (set membership, miniApp
routing), adding numbers directly, a confirmed delete, the CSV export and a CSV applied
after its preview, and a token that expires in the middle of the session."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from phone_numbers.models import PhoneNumber
from telephony.models import ProviderRequest
from telephony.vendors.omilia.sandbox_state import SANDBOX_MINIAPPS
from tests.telephony.vendors.omilia_support import expire_sandbox_tokens

from .omilia_pages import demo_omilia_account, page_text, sandbox_numbers, url

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

US_SET = "US lines"
SUPPORT_IVR = next(app for app in SANDBOX_MINIAPPS if app["miniAppName"] == "Support_IVR")


@pytest.fixture
def account(live_server):
    return demo_omilia_account(live_server)


def set_id_named(admin_client, account, name):
    sets = admin_client.get(url("omilia_sets", account)).context["sets"]
    return next(s.id for s in sets if s.name == name)


def test_an_admin_edits_moves_routes_adds_and_deletes_numbers(admin_client, account):
    listed = admin_client.get(url("omilia_numbers", account))
    assert "+302101234567" in page_text(listed) and "Athens pilot" in page_text(listed)
    advanced = admin_client.get(url("omilia_numbers", account, group="dialdesk-support"))
    assert {row.group_id for row in advanced.context["rows"]} == {"dialdesk-support"}

    # A number's note and group (two vendor operations from one form).
    athens = "+302101234567"
    edit = url("omilia_number_edit", account, athens)
    assert admin_client.get(edit).context["form"].initial["note"] == "Athens pilot"
    response = admin_client.post(edit, {"group": "dialdesk-support", "note": "Athens, live"})
    assert response.status_code == 302
    assert sandbox_numbers()[athens]["groupId"] == "dialdesk-support"
    assert sandbox_numbers()[athens]["note"] == "Athens, live"
    stored = PhoneNumber.objects.get(account=account, number=athens)
    assert (stored.group, stored.note) == ("dialdesk-support", "Athens, live")
    # The vendor's refusal, in its words, beside the field.
    refused = admin_client.post(edit, {"group": "acme", "note": "Athens, live"})
    assert refused.context["form"].errors["group"] == ["Access denied to group acme"]

    # Bulk: into a set, attached to a miniApp, detached, out of the set.
    bulk = url("omilia_numbers_bulk", account)
    overflow = "+12025550178"
    us_lines = set_id_named(admin_client, account, US_SET)
    london = "+442071838750"
    response = admin_client.post(
        bulk, {"numbers": [london], "action": "add_to_set", "set_id": us_lines}
    )
    assert response.status_code == 302
    assert PhoneNumber.objects.get(account=account, number=london).sets.get().name == US_SET
    admin_client.post(
        bulk,
        {"numbers": [overflow], "action": "attach", "mini_app_id": SUPPORT_IVR["miniAppId"],
         "locale": "en-US"},
    )  # fmt: skip
    assert sandbox_numbers()[overflow]["miniAppName"] == "Support_IVR"
    admin_client.post(bulk, {"numbers": [overflow], "action": "detach"})
    assert sandbox_numbers()[overflow]["miniAppId"] is None
    missing_locale = admin_client.post(
        bulk, {"numbers": [overflow], "action": "attach", "mini_app_id": "x"}
    )
    assert missing_locale.context["form"].errors["locale"] == ["Needed for this operation."]

    # Added directly, then deleted after a page that names it.
    added = "+919812345678"
    response = admin_client.post(
        url("omilia_number_add", account),
        {"numbers": added, "group": "dialdesk", "note": "Pune DID", "log_ani": "on"},
    )
    assert response.status_code == 302 and sandbox_numbers()[added]["note"] == "Pune DID"
    assert PhoneNumber.objects.filter(account=account, number=added).exists()
    twice = admin_client.post(
        url("omilia_number_add", account), {"numbers": added, "group": "dialdesk"}
    )
    assert "Phone numbers already exist: +919812345678" in str(twice.context["form"].errors)

    confirm = admin_client.get(url("omilia_number_delete", account, added))
    assert f"Delete {added} from Omilia?" in page_text(confirm) and "Pune DID" in page_text(confirm)
    admin_client.post(url("omilia_number_delete", account, added))
    assert added not in sandbox_numbers()
    assert not PhoneNumber.objects.filter(account=account, number=added).exists()


def test_a_token_that_expires_mid_session_is_renewed_and_the_change_goes_through(
    admin_client, account
):
    admin_client.get(url("omilia_numbers", account))
    expire_sandbox_tokens("access")  # OCP now answers 401 to the cached token
    response = admin_client.post(
        url("omilia_number_edit", account, "+35722123456"),
        {"group": "dialdesk-support", "note": "Nicosia, renewed"},
    )
    assert response.status_code == 302
    assert sandbox_numbers()["+35722123456"]["note"] == "Nicosia, renewed"
    statuses = list(
        ProviderRequest.objects.filter(account=account)
        .order_by("pk")
        .values_list("endpoint", "status_code")
    )
    first_401 = statuses.index(next(s for s in statuses if s[1] == 401))
    # After the 401: a token grant, then the same request again, answered.
    assert "openid-connect/token" in statuses[first_401 + 1][0]
    assert statuses[first_401 + 2][0] == statuses[first_401][0]
    assert statuses[first_401 + 2][1] == 200


def test_the_csv_is_exported_and_a_file_is_applied_only_after_its_preview(admin_client, account):
    export = admin_client.get(url("omilia_csv_export", account, download="1", group="dialdesk"))
    assert export.status_code == 200 and export["Content-Type"].startswith("text/csv")
    exported = b"".join(export.streaming_content).decode()
    assert exported.splitlines()[0].startswith("number,")
    assert "+12025550143" in exported and "+493012345678" not in exported

    csv_text = (
        "operation,number,groupId,note\n"
        "update,+12025550178,,Overflow, now noted\n"
        "create,+919812340000,dialdesk,New Pune line\n"
        "delete,+919876543210,,\n"
    ).replace("Overflow, now noted", '"Overflow, now noted"')
    upload = SimpleUploadedFile("changes.csv", csv_text.encode(), content_type="text/csv")
    preview = admin_client.post(url("omilia_csv_apply", account), {"file": upload})
    rows = preview.context["rows"]
    assert [row["changes"] for row in rows] == [
        ["note: “Overflow, not routed yet” → “Overflow, now noted”"],
        ["new number in group dialdesk"],
        ["removes it (group dialdesk-support)"],
    ]
    # Nothing was sent with the preview.
    assert "+919812340000" not in sandbox_numbers()

    applied = admin_client.post(
        url("omilia_csv_apply", account), {"payload": preview.context["payload"]}
    )
    assert applied.status_code == 302
    held = sandbox_numbers()
    assert held["+12025550178"]["note"] == "Overflow, now noted"
    assert "+919812340000" in held and "+919876543210" not in held
    assert PhoneNumber.objects.filter(account=account, number="+919812340000").exists()

    bad = SimpleUploadedFile("bad.csv", b"operation,number\nexplode,+12025550178\n")
    refused = admin_client.post(url("omilia_csv_apply", account), {"file": bad})
    assert refused.context["form"].errors["file"] == ["line 2: unknown operation 'explode'"]
    too_big = SimpleUploadedFile("big.csv", b"operation,number\n" + b"x" * (513 * 1024))
    refused = admin_client.post(url("omilia_csv_apply", account), {"file": too_big})
    assert "the limit is 512 KB" in refused.context["form"].errors["file"][0]
