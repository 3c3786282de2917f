"""A supervisor builds an OCA IVR campaign in a real browser: the builder checks as they
type, loads the account's IVRs and numbers from the OCA sandbox, maps the IVR's
variables from list fields, previews who would be called, and saves a draft."""

import pytest

from campaigns.models import Campaign, Contact, ContactList, DndEntry, DndList
from telephony.models import ProviderAccount
from telephony.vendors.oca import sandbox
from tests.e2e.conftest import log_in

pytestmark = pytest.mark.e2e


@pytest.fixture
def oca_account(live_server, django_db_serialized_rollback):
    account = ProviderAccount(
        kind="oca",
        name="OCA sandbox",
        base_url=f"{live_server.url}/sandbox/oca/api/v1",
        config={"username": sandbox.SANDBOX_CREDENTIALS["username"]},
    )
    account.set_secrets({"password": sandbox.SANDBOX_CREDENTIALS["password"]})
    account.save()
    return account


@pytest.fixture
def jakarta(live_server, django_db_serialized_rollback):
    contact_list = ContactList.objects.create(name="Jakarta", custom_fields=["nomor_inet"])
    for n in range(6):
        Contact.objects.create(
            contact_list=contact_list,
            number=f"+62812000000{n:02d}",
            name=f"Pelanggan {n}",
            time_zone="Asia/Jakarta",
            fields={"nomor_inet": f"12200000000{n}"},
        )
    Contact.objects.create(contact_list=contact_list, number="+14155550100", name="Not ID")
    contact_list.refresh_count()
    global_dnd = DndList.objects.create(name="Global DND", is_global=True)
    DndEntry.objects.create(dnd_list=global_dnd, number="+6281200000000")
    return contact_list


def test_a_supervisor_builds_an_oca_ivr_campaign_checked_as_they_type(
    page, make_user, screenshots, oca_account, jakarta
):
    log_in(page, make_user("Supervisor").username)
    page.goto("/campaigns/new/")
    page.fill("[name=name]", "Gangguan internet")
    page.select_option("[name=account]", str(oca_account.pk))
    # The plays section is redrawn for OCA, which plays only an IVR: the one kind offered.
    page.wait_for_selector("#id_ivr_id", state="attached")
    assert page.locator("input[name=kind]").count() == 1
    assert page.locator("input[name=kind][value=ivr]").is_checked()
    page.wait_for_selector("#id_ivr_id option:has-text('IVR Resti')", state="attached")
    page.check(f"input[name=contact_lists][value='{jakarta.pk}']")
    page.select_option("[name=ivr_id]", label="IVR Resti")
    page.wait_for_selector("input[name=var_1]")
    assert page.input_value("[name=var_0]") == "{name}"
    assert page.input_value("[name=var_1]") == "{nomor_inet}"
    page.select_option("[name=caller_id]", index=1)
    preview = page.locator("#campaign-preview")
    preview.locator("[data-count=eligible]:has-text('5')").wait_for()
    assert preview.locator("[data-count=dnd]").inner_text() == "1"
    assert preview.locator("[data-count=invalid]").inner_text() == "1"
    assert "OCA calls Indonesian numbers (+62) only." in preview.inner_text()
    assert "Pelanggan 1" in preview.inner_text()

    # An end before the start shows under the end as soon as it is typed.
    page.fill("[name=starts_at]", "2030-01-10T09:00")
    page.fill("[name=ends_at]", "2030-01-09T09:00")
    page.wait_for_selector("#fb-ends_at:has-text('The end must be after the start.')")
    page.fill("[name=ends_at]", "2030-01-20T18:00")
    page.wait_for_selector("#fb-ends_at:empty", state="attached")
    page.locator("#campaign-preview:has-text('No problems found')").wait_for()
    page.screenshot(path=str(screenshots / "campaign_builder.png"), full_page=True)
    assert page.console.take() == []

    with page.expect_navigation():
        page.get_by_role("button", name="Save draft").click()
    campaign = Campaign.objects.get(name="Gangguan internet")
    assert campaign.state == Campaign.State.DRAFT
    assert campaign.ivr_variables == {"name": "{name}", "nomor_inet": "{nomor_inet}"}
    assert list(campaign.contact_lists.all()) == [jakarta]

    page.goto("/campaigns/?state=draft")
    row = page.locator("#campaign-table tbody tr", has_text="Gangguan internet")
    assert "Draft" in row.inner_text() and "Jakarta" in row.inner_text()
    page.screenshot(path=str(screenshots / "campaign_index.png"))


def test_a_supervisor_types_an_announcement_and_sees_what_the_lists_lack(
    page, make_user, screenshots, jakarta, live_server
):
    cpaas = ProviderAccount.objects.create(kind="cpaas", name="CPaaS demo")
    myoperator = ProviderAccount.objects.create(kind="myoperator", name="MyOperator demo")
    log_in(page, make_user("Supervisor").username)
    page.goto("/campaigns/new/")
    page.fill("[name=name]", "Reminder")
    page.select_option("[name=account]", str(myoperator.pk))
    # MyOperator plays only an IVR: the kind switches to it, the only one offered, and
    # the IVR is chosen from the account's catalogue (empty here: who fills it is said).
    page.wait_for_selector("text=This account lists no IVRs yet")
    assert page.locator("input[name=kind]").count() == 1
    assert page.locator("input[name=kind]").is_checked()
    assert page.locator("[name=window_start]").is_enabled()

    page.select_option("[name=account]", str(cpaas.pk))
    page.wait_for_selector(
        "text=CPaaS runs this campaign itself and honours only its start and end"
    )
    assert page.locator("#fb-kind").inner_text() == ""
    assert page.locator("[name=window_start]").is_disabled()
    page.check(f"input[name=contact_lists][value='{jakarta.pk}']")
    page.fill("[name=announcement_text]", "Halo {name}, tagihan {amount} jatuh tempo.")
    page.wait_for_selector("#fb-announcement_text:has-text('{amount} is not a field of Jakarta.')")
    page.fill("[name=announcement_text]", "Halo {name}, nomor internet {nomor_inet}.")
    page.wait_for_selector("#fb-announcement_text:empty", state="attached")
    sample = page.locator("[data-sample]")
    sample.filter(has_text="Halo Pelanggan 1, nomor internet 122000000001.").wait_for()
    assert page.console.take() == []
    # Last: Playwright's screenshot leaves style="" behind, which a later swap would copy.
    page.screenshot(path=str(screenshots / "campaign_builder_cpaas.png"), full_page=True)
