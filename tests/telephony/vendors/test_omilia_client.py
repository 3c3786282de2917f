"""Every Omilia client method on its success path, against the sandbox over real HTTP,
on every regional base URL."""

import csv
import io

import pytest

from telephony.vendors.base import Rejected
from telephony.vendors.omilia import sandbox
from telephony.vendors.omilia.client import (
    CsvOperation,
    NumberCsvRow,
    NumberStatus,
    OmiliaNumber,
)
from telephony.vendors.omilia.sandbox_state import SANDBOX_MINIAPPS
from telephony.vendors.omilia.validation import CSV_COLUMNS, CSV_OPERATION_COLUMN

from .omilia_support import TOKEN_ENDPOINT, api_rows, omilia_account, row_summary

SUPPORT_IVR = next(a for a in SANDBOX_MINIAPPS if a["miniAppName"] == "Support_IVR")
SURVEY = next(a for a in SANDBOX_MINIAPPS if a["miniAppName"] == "Survey_Flow")
VISIBLE = 7  # demo numbers in the demo user's groups (dialdesk, dialdesk-support)


@pytest.fixture
def account(make_account, sandbox_url):
    sandbox.seed_demo()
    return omilia_account(make_account, sandbox_url)


@pytest.fixture
def ocp(account):
    return account.client()


def by_number(numbers) -> dict[str, OmiliaNumber]:
    return {item.number: item for item in numbers}


def test_check_connection_signs_in_and_lists_one_number(account, audit_rows):
    result = account.test_connection()

    assert result.ok, result.message
    assert result.message == f"Signed in as dialdesk-demo; {VISIBLE} number(s) visible."
    rows = audit_rows(account)
    assert row_summary(rows) == [
        ("POST", TOKEN_ENDPOINT, 200, ""),
        ("GET", "/api/numbers", 200, ""),
    ]
    assert "pageSize=1" in rows[1].url


def test_the_demo_account_passes_its_connection_test(make_account, sandbox_url):
    sandbox.seed_demo()
    sandbox.seed_demo()  # idempotent
    kwargs = sandbox.demo_account(sandbox_url)
    account = make_account(
        kwargs["kind"],
        name=kwargs["name"],
        base_url=kwargs["base_url"],
        config=kwargs["config"],
        secrets=kwargs["secrets"],
    )
    assert account.test_connection().ok


def test_list_numbers_returns_one_page_of_normalized_numbers(ocp):
    page = ocp.list_numbers(page=1, page_size=3, order_by="number")

    assert [item.number for item in page.items] == ["+12025550143", "+12025550178", "+302101234567"]
    assert page.total == VISIBLE and page.next_cursor == 2
    main = page.items[0]
    assert main.country == "US" and main.status is NumberStatus.ATTACHED
    assert main.set_name == "US lines" and main.set_id
    assert main.note == "Main support line" and main.mini_app_name == "Support_IVR"


def test_iter_numbers_walks_every_page(ocp, account, audit_rows):
    numbers = ocp.all_numbers(page_size=2)

    assert len(numbers) == VISIBLE
    assert len({item.number for item in numbers}) == VISIBLE
    assert "+13125550199" not in {item.number for item in numbers}  # another group's
    assert len(api_rows(audit_rows(account))) == 4  # ceil(7 / 2) pages


def test_list_numbers_searches_numbers_and_notes_and_orders(ocp):
    assert [n.number for n in ocp.list_numbers(search_term="athens").items] == ["+302101234567"]
    assert [n.number for n in ocp.list_numbers(search_term="+4420").items] == ["+442071838750"]
    assert len(ocp.list_numbers(search_term="%").items) == VISIBLE
    descending = ocp.list_numbers(order_by="number", direction="DESC").items
    assert [n.number for n in descending] == sorted((n.number for n in descending), reverse=True)


def test_available_numbers_offers_numbers_with_the_prefix(ocp):
    offers = ocp.available_numbers(provider="twilio", code="GB", prefix="+4420", group="dialdesk")

    assert 1 <= len(offers) <= 5
    for offer in offers:
        assert offer.number.startswith("+4420") and offer.country == "GB"
        assert isinstance(offer.price, int) and offer.region == "United Kingdom"


def test_buy_numbers_purchases_free_numbers_and_reports_the_rest(ocp):
    offer = ocp.available_numbers(provider="twilio", code="GB", group="dialdesk")[0]

    result = ocp.buy_numbers(
        provider="twilio",
        numbers=[offer.number, "+12025550143"],
        group="dialdesk",
        note="Bought in a test",
    )

    assert [p.number for p in result.purchased] == [offer.number]
    assert result.purchased[0].id
    assert result.failed == ["+12025550143"]  # already ours
    bought = by_number(ocp.all_numbers())[offer.number]
    assert bought.note == "Bought in a test" and bought.status is NumberStatus.UNATTACHED


def test_update_numbers_group_moves_numbers(ocp):
    result = ocp.update_numbers_group(numbers=["+302101234567"], group="dialdesk-support")

    assert result.success and "moved" in result.message
    assert by_number(ocp.all_numbers())["+302101234567"].group_id == "dialdesk-support"


def test_attach_and_detach_numbers(ocp):
    attached = ocp.attach_numbers(
        numbers=["+302101234567"],
        mini_app_id=SUPPORT_IVR["miniAppId"],
        locale="el-GR",
        application_tag="greek",
    )
    assert attached.success
    number = by_number(ocp.all_numbers())["+302101234567"]
    assert number.status is NumberStatus.ATTACHED
    assert (number.mini_app_name, number.locale, number.application_tag) == (
        "Support_IVR",
        "el-GR",
        "greek",
    )

    assert ocp.detach_numbers(numbers=["+302101234567"]).success
    assert by_number(ocp.all_numbers())["+302101234567"].status is NumberStatus.UNATTACHED
    with pytest.raises(Rejected, match="None of the numbers is attached"):
        ocp.detach_numbers(numbers=["+302101234567"])


def test_update_number_note(ocp):
    assert ocp.update_number_note(number="+919876543210", note="Mumbai pilot").success
    assert by_number(ocp.all_numbers())["+919876543210"].note == "Mumbai pilot"


def test_search_numbers_filters_and_pages(ocp):
    support = ocp.search_numbers(groups=["dialdesk-support"], order_by="number")
    assert [n.number for n in support.items] == ["+35722123456", "+493012345678", "+919876543210"]
    assert support.total == 3 and support.next_cursor is None

    flows = ocp.search_numbers(mini_app_type="Flow")
    assert {n.mini_app_name for n in flows.items} == {"Support_IVR", "Survey_Flow"}

    us_set = ocp.search_numbers(number="+1202").items[0].set_id
    members = list(ocp.iter_search_numbers(set_id=us_set, page_size=1))
    assert sorted(n.number for n in members) == ["+12025550143", "+12025550178"]
    assert all(n.set_id == us_set for n in members)


def test_add_numbers_directly_then_delete_one(ocp):
    result = ocp.add_numbers(
        numbers=["+35799123456", "+35799123457"],
        group="dialdesk",
        country="CY",
        mini_app_id=SUPPORT_IVR["miniAppId"],
        locale="el-CY",
        log_ani=True,
        log_dnis=False,
        note="Limassol",
        application_tag="cy",
    )
    assert result.success
    added = by_number(ocp.all_numbers())
    assert added["+35799123456"].country == "CY"
    assert added["+35799123456"].status is NumberStatus.ATTACHED

    assert ocp.delete_number(number="+35799123456").success
    assert "+35799123456" not in by_number(ocp.all_numbers())


def test_export_numbers_csv_gives_every_match(ocp):
    text = ocp.export_numbers_csv(groups=["dialdesk"], order_by="number")

    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == CSV_COLUMNS
    assert [row["number"] for row in rows] == [
        "+12025550143",
        "+12025550178",
        "+302101234567",
        "+442071838750",
    ]
    last_page = ocp.export_numbers_csv(page=3, page_size=3)
    assert len(list(csv.DictReader(io.StringIO(last_page)))) == VISIBLE - 6


def test_apply_numbers_csv_runs_each_rows_operation(ocp):
    result = ocp.apply_numbers_csv(
        [
            NumberCsvRow(CsvOperation.CREATE, "+306912345678", group_id="dialdesk", note="new"),
            NumberCsvRow(
                CsvOperation.ATTACH,
                "+306912345678",
                mini_app_id=SUPPORT_IVR["miniAppId"],
                locale="el-GR",
            ),
            NumberCsvRow(CsvOperation.UPDATE, "+919876543210", note="updated by CSV"),
            NumberCsvRow(CsvOperation.DETACH, "+442071838750"),
            NumberCsvRow(CsvOperation.DELETE, "+302101234567"),
        ]
    )

    assert result.success and result.message.startswith("Processed 5 rows")
    numbers = by_number(ocp.all_numbers())
    assert numbers["+306912345678"].status is NumberStatus.ATTACHED
    assert numbers["+919876543210"].note == "updated by CSV"
    assert numbers["+442071838750"].status is NumberStatus.UNATTACHED
    assert "+302101234567" not in numbers


def test_an_exported_csv_with_an_operation_column_can_be_applied(ocp):
    exported = list(csv.DictReader(io.StringIO(ocp.export_numbers_csv(number="+9198"))))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=[*CSV_COLUMNS, CSV_OPERATION_COLUMN])
    writer.writeheader()
    for row in exported:
        writer.writerow({**row, "note": "from the export", CSV_OPERATION_COLUMN: "update"})

    assert ocp.apply_numbers_csv(csv_text=buffer.getvalue()).success
    assert by_number(ocp.all_numbers())["+919876543210"].note == "from the export"


def test_numbers_sets_lifecycle(ocp):
    created = ocp.create_set(name="Greek lines", group_id="dialdesk")
    assert (created.name, created.group_id, created.phone_number_count) == (
        "Greek lines",
        "dialdesk",
        0,
    )
    assert ocp.get_set(set_id=created.id).id == created.id
    assert "Greek lines" in {s.name for s in ocp.sets_for_group(group_id="dialdesk")}
    assert {s.name for s in ocp.list_sets()} == {"US lines", "EMEA", "Greek lines"}

    assert ocp.update_set(set_id=created.id, name="Hellas").success
    assert ocp.get_set(set_id=created.id).name == "Hellas"

    assert ocp.add_numbers_to_set(set_id=created.id, numbers=["+302101234567"]).success
    members = ocp.set_numbers(set_id=created.id)
    assert [m.number for m in members] == ["+302101234567"]
    assert members[0].set_id == created.id
    assert ocp.get_set(set_id=created.id).phone_number_count == 1

    assert ocp.remove_numbers_from_set(set_id=created.id, numbers=["+302101234567"]).success
    assert ocp.set_numbers(set_id=created.id) == []

    assert ocp.delete_set(set_id=created.id).success
    assert "Hellas" not in {s.name for s in ocp.list_sets()}


def test_attach_and_detach_a_whole_set(ocp):
    emea = next(s for s in ocp.list_sets() if s.name == "EMEA")

    attached = ocp.attach_set(set_id=emea.id, mini_app_id=SURVEY["miniAppId"], locale="en-GB")
    assert attached.success and attached.message.startswith("2 numbers attached")
    assert {m.status for m in ocp.set_numbers(set_id=emea.id)} == {NumberStatus.ATTACHED}

    assert ocp.detach_set(set_id=emea.id).success
    assert {m.status for m in ocp.set_numbers(set_id=emea.id)} == {NumberStatus.UNATTACHED}

    only_one = ocp.attach_set(
        set_id=emea.id,
        mini_app_id=SURVEY["miniAppId"],
        locale="de-DE",
        numbers=["+493012345678"],
        application_tag="berlin",
    )
    assert only_one.message.startswith("1 number attached")


def test_delete_purchased_numbers_in_a_set_keeps_the_others(ocp):
    emea = next(s for s in ocp.list_sets() if s.name == "EMEA")

    result = ocp.delete_purchased_numbers_in_set(set_id=emea.id)

    assert result.success
    assert [m.number for m in ocp.set_numbers(set_id=emea.id)] == ["+35722123456"]  # added directly
    with pytest.raises(Rejected, match="has no purchased numbers"):
        ocp.delete_purchased_numbers_in_set(set_id=emea.id)


@pytest.mark.parametrize("region", ["eu1", "us1", "us2", "us1-w"])
def test_the_client_works_against_each_regional_base_url(region, make_account, sandbox_url):
    account = omilia_account(make_account, sandbox_url, region=region)
    ocp = account.client()

    assert ocp.urls.api_base.endswith(f"/omilia/{region}/integrations")
    assert ocp.add_numbers(numbers=["+12025550100"], group="dialdesk").success
    assert [n.number for n in ocp.all_numbers()] == ["+12025550100"]
    assert ocp.check_connection().ok


def test_regions_are_separate_environments(make_account, sandbox_url):
    eu = omilia_account(make_account, sandbox_url, region="eu1", name="eu").client()
    us = omilia_account(make_account, sandbox_url, region="us2", name="us").client()

    eu.add_numbers(numbers=["+442071838799"], group="dialdesk")

    assert [n.number for n in eu.all_numbers()] == ["+442071838799"]
    assert us.all_numbers() == []
