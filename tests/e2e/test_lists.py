"""A supervisor in a real browser: a contact list from a messy file to the CPaaS sandbox.

Creates a list, uploads a semicolon-separated Latin-1 file with Excel damage and bad
rows, checks the mapping preview, watches the import finish, reads the error report,
searches, exports, and pushes the list to the CPaaS sandbox."""

import csv
import io

import pytest

from campaigns.models import Contact, ContactList, VendorPush
from telephony.models import ProviderAccount, SandboxRecord
from tests.e2e.conftest import log_in
from tests.telephony.vendors.cpaas_helpers import account_kwargs

pytestmark = pytest.mark.e2e

# Latin-1, semicolons, an apostrophe-prefixed number, an Excel-mangled number that lost
# digits, a national number with its 0, a duplicate, a blank line and a bad row.
MESSY = (
    "Mobile No;Name;Due Amount;City\r\n"
    "'9876543210;Zoë Fernandes;1200;Pune\r\n"
    "9.19E+11;Excel Damage;10;Goa\r\n"
    "098765 43211;Ravi Kumar;300;Delhi\r\n"
    "(987) 654-3212;=HYPERLINK(1);50;Mumbai\r\n"
    "\r\n"
    "9876543210;Zoë again;1;Pune\r\n"
    "12ab;Not A Number;5;Agra\r\n"
).encode("latin-1")


@pytest.fixture
def cpaas_account(live_server, django_db_serialized_rollback):
    kwargs = account_kwargs(f"{live_server.url}/sandbox")
    secrets = kwargs.pop("secrets")
    account = ProviderAccount(kind="cpaas", name="CPaaS sandbox", **kwargs)
    account.set_secrets(secrets)
    account.save()
    return account


def test_a_supervisor_imports_a_messy_file_searches_exports_and_pushes_it(
    page, make_user, screenshots, cpaas_account, tmp_path
):
    log_in(page, make_user("Supervisor").username)
    page.goto("/lists/new/")
    page.fill("[name=name]", "Collections")
    with page.expect_navigation():
        page.get_by_role("button", name="Create list").click()
    contact_list = ContactList.objects.get(name="Collections")

    page.goto(f"/lists/{contact_list.pk}/import/")
    messy = tmp_path / "dues.csv"
    messy.write_bytes(MESSY)
    page.set_input_files("input[type=file]", str(messy))
    with page.expect_navigation():
        page.get_by_role("button", name="Continue to column mapping").click()
    preview = page.locator("#import-preview")
    assert "dropped its last digits" in preview.inner_text()
    page.screenshot(path=screenshots / "supervisor-import-mapping.png", full_page=True)

    with page.expect_navigation():
        page.get_by_role("button", name="Start the import").click()
    page.wait_for_selector("text=Download them (CSV)")
    page.screenshot(path=screenshots / "supervisor-import-done.png", full_page=True)
    summary = page.locator("main").inner_text()
    assert "Imported" in summary and "Invalid rows" in summary

    numbers = set(
        Contact.objects.filter(contact_list=contact_list).values_list("number", flat=True)
    )
    assert numbers == {"+919876543210", "+919876543211", "+919876543212"}

    report_url = page.get_attribute("text=Download them (CSV)", "href")
    report = page.request.get(report_url)
    rows = list(csv.reader(io.StringIO(report.text())))
    assert rows[0] == ["row", "value", "reason"]
    # Row 7 repeats row 2: every duplicate is in the report with the row it repeats.
    assert [row[0] for row in rows[1:]] == ["3", "7", "8"]
    assert "duplicate of row 2" in rows[2][2]

    page.goto(f"/lists/{contact_list.pk}/")
    page.fill("input[type=search]", "98765 43211")
    page.wait_for_url("**q=*")
    page.wait_for_selector("text=Ravi Kumar")
    assert "Zo" not in page.locator("#contact-table").inner_text()
    page.screenshot(path=screenshots / "supervisor-list-search.png", full_page=True)

    export = page.request.get(page.get_attribute("#export-csv", "href"))
    exported = export.text()
    assert "Ravi Kumar" in exported and "Zo" not in exported

    page.goto(f"/lists/{contact_list.pk}/push/")
    page.locator(".push-card button[type=submit]").first.click()
    page.wait_for_selector("text=/3 of 3 rows pushed/")
    page.screenshot(path=screenshots / "supervisor-list-pushed.png", full_page=True)
    push = VendorPush.objects.get(contact_list=contact_list, account=cpaas_account)
    members = SandboxRecord.objects.filter(
        vendor="cpaas", kind="contact", parent=push.vendor_list_id
    )
    # The vendor takes numbers as digits, without the "+".
    assert sorted(record.data["number"] for record in members) == sorted(
        number[1:] for number in numbers
    )
    assert page.console.take() == []
