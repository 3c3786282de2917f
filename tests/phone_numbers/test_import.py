"""Importing MyOperator DIDs and CPaaS caller ids from CSV and XLSX: valid files go in,
a file with bad rows goes in not at all and the report names each row and reason, and a
file that is not a table is refused in words."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from phone_numbers.models import NumberSource, PhoneNumber

from .numbers_support import add_numbers, myoperator_account

pytestmark = pytest.mark.django_db
URL = reverse("numbers:number_import")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def csv_file(text: str, name="numbers.csv"):
    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


def post(client, account, upload, **extra):
    data = {"account": account.pk, "default_country": "IN", "default_kind": "did", "file": upload}
    return client.post(URL, {**data, **extra})


def test_an_admin_imports_dids_with_region_and_group(admin_client):
    account = myoperator_account()
    upload = csv_file(
        "number,kind,region,group,note,daily_cap\n"
        "098765 43210,,Mumbai,sales,Main line,300\n"
        "\n"
        "+91 80 4123 4567,caller_id,Karnataka,support,,\n"
    )
    response = post(admin_client, account, upload)
    assert response.status_code == 302
    rows = {n.number: n for n in PhoneNumber.objects.filter(account=account)}
    assert set(rows) == {"+919876543210", "+918041234567"}
    did = rows["+919876543210"]
    assert (did.kind, did.region, did.group, did.note, did.daily_cap, did.country) == (
        "did",
        "Mumbai",
        "sales",
        "Main line",
        300,
        "IN",
    )
    assert did.source == NumberSource.IMPORT and did.digits_reversed == "012345678919"
    assert rows["+918041234567"].kind == "caller_id"


def test_a_file_with_bad_rows_imports_nothing_and_names_each_row(admin_client):
    account = myoperator_account()
    upload = csv_file(
        "number,kind,region,group,note,daily_cap\n"
        "+919876543210,did,Mumbai,,,\n"
        "12345,did,,,,\n"
        "+919876543211,fax,,,,\n"
        "\n"
        "+919876543210,did,,,,\n"
        "+919876543212,did,,,,zero\n"
    )
    response = post(admin_client, account, upload)
    body = response.content.decode()
    assert not PhoneNumber.objects.exists()
    assert "Nothing was imported: 4 problems" in body
    problems = response.context["problems"]
    assert [(line, column) for line, column, _ in problems] == [
        (3, "number"),
        (4, "kind"),
        (6, "number"),
        (7, "daily_cap"),
    ]
    assert "too short" in problems[0][2]
    assert "repeats line 2" in problems[2][2]


def test_a_number_the_account_has_is_updated_not_duplicated(admin_client):
    account = myoperator_account()
    add_numbers(account, ["+919876543210"], region="Pune")
    post(admin_client, account, csv_file("number,region\n+919876543210,Mumbai\n"))
    assert PhoneNumber.objects.get(account=account).region == "Mumbai"


def test_an_xlsx_file_is_read_like_a_csv(admin_client):
    account = myoperator_account(kind="cpaas")
    book = Workbook()
    sheet = book.active
    sheet.append(["number", "group"])
    sheet.append([919876543210, "outbound"])  # a number cell, as Excel keeps it
    buffer = io.BytesIO()
    book.save(buffer)
    upload = SimpleUploadedFile("ids.xlsx", buffer.getvalue())
    response = post(admin_client, account, upload, default_kind="caller_id")
    assert response.status_code == 302
    number = PhoneNumber.objects.get(account=account)
    assert (number.number, number.kind, number.group) == ("+919876543210", "caller_id", "outbound")


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"%PDF-1.4 not a table", "looks like a PDF"),
        (b"phone,name\n+919876543210,A\n", "number"),
        (b"number,colour\n+919876543210,red\n", "Unknown column colour"),
        (b"number\n", "no numbers"),
    ],
)
def test_a_file_that_is_not_a_numbers_table_is_refused_in_words(admin_client, content, words):
    account = myoperator_account()
    response = post(admin_client, account, SimpleUploadedFile("x.csv", content))
    assert words in response.context["report"].file_error
    assert not PhoneNumber.objects.exists()


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(admin_client, monkeypatch):
    monkeypatch.setattr("phone_numbers.resources.MAX_UPLOAD_BYTES", 100)
    account = myoperator_account()
    response = post(admin_client, account, csv_file("number\n" + "+919876543210\n" * 20))
    assert "Split it" in response.context["report"].file_error


def test_the_template_names_the_columns(admin_client):
    response = admin_client.get(reverse("numbers:import_template"))
    assert response.content.decode().splitlines()[0] == "number,kind,region,group,note,daily_cap"
