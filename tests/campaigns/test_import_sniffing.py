"""Reading uploads: formats by their bytes, encodings, delimiters, degenerate files and
the numbers spreadsheets mangle."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from campaigns.importers import UnreadableFile, create_job, paste_to_csv, preview, sniff
from campaigns.importers.mapping import RowParser
from campaigns.models import ImportJob

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]


def upload(contact_list, data: bytes, name="contacts.csv"):
    return create_job(
        ImportJob.Kind.CONTACTS, contact_list, None, upload=SimpleUploadedFile(name, data)
    )


def xlsx_bytes(rows) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def verdicts(job):
    return [(r["verdict"], r["parsed"].number or r["parsed"].error) for r in preview(job)]


def test_utf8_latin1_and_bom_files_keep_their_accented_names(contact_list):
    text = "number,name\n9876543210,José Ñúñez\n"
    for data, encoding in [
        (text.encode("utf-8"), "utf-8-sig"),
        (b"\xef\xbb\xbf" + text.encode("utf-8"), "utf-8-sig"),
        (text.encode("latin-1"), "cp1252"),
    ]:
        job = upload(contact_list, data)
        assert job.encoding == encoding
        assert job.columns == ["number", "name"], "a BOM must not stick to the first header"
        assert preview(job)[0]["parsed"].name == "José Ñúñez"


def test_a_latin1_file_says_how_it_was_read(contact_list):
    job = upload(contact_list, "number,name\n9876543210,Zoë\n".encode("latin-1"))
    assert any("Windows-1252" in note for note in job.notes)


def test_a_non_utf8_byte_late_in_the_file_still_switches_the_encoding(contact_list):
    rows = "".join(f"98765{i:05d},Name {i}\n" for i in range(8000))
    data = ("number,name\n" + rows).encode() + "9876512345,Zoë\n".encode("latin-1")
    assert len(data) > 64 * 1024
    job = upload(contact_list, data)
    assert job.encoding == "cp1252"


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_comma_semicolon_and_tab_files_are_split_into_columns(contact_list, delimiter):
    data = delimiter.join(["Mobile No", "Name", "Due Amount"]) + "\n"
    data += (
        delimiter.join(["98765 43210", "Asha, Rao" if delimiter != "," else "Asha", '"1,200"'])
        + "\n"
    )
    job = upload(contact_list, data.encode())
    assert job.delimiter == delimiter
    assert job.columns == ["Mobile No", "Name", "Due Amount"]
    assert verdicts(job) == [("ok", "+919876543210")]


def test_a_zero_byte_file_is_empty(contact_list):
    with pytest.raises(UnreadableFile, match="The file is empty"):
        upload(contact_list, b"")


def test_a_file_of_blank_lines_is_empty(contact_list):
    with pytest.raises(UnreadableFile, match="The file is empty"):
        upload(contact_list, b"\n\n  \n")


def test_a_header_only_file_reports_no_rows(contact_list, media):
    with pytest.raises(UnreadableFile, match="The file has a header but no rows"):
        upload(contact_list, b"number,name\n\n\n")
    assert not ImportJob.objects.exists()
    assert not any(p.is_file() for p in media.rglob("*")), "a refused upload is not kept"


@pytest.mark.parametrize(
    ("data", "what"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3 binary", "PDF"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "PNG"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 50, "xls"),
        (b"\x00\x01\x02 random binary", "binary"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"></svg>', "XML"),
    ],
)
def test_a_file_that_is_not_csv_or_xlsx_is_refused_whatever_its_name(contact_list, data, what):
    with pytest.raises(UnreadableFile, match="This is not a CSV or XLSX file") as error:
        upload(contact_list, data, name="contacts.csv")
    assert what in str(error.value)


def test_a_zip_that_is_not_a_workbook_is_refused(contact_list):
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("readme.txt", "hello")
    with pytest.raises(UnreadableFile, match="not an Excel workbook"):
        upload(contact_list, out.getvalue(), name="contacts.xlsx")


def test_an_xlsx_named_csv_is_read_as_xlsx_with_numeric_cells_as_digits(contact_list):
    data = xlsx_bytes([["Phone", "Name"], [919876543210.0, "Asha"], [9876543211, "Ravi"]])
    job = upload(contact_list, data, name="export.csv")
    assert job.file_format == "xlsx"
    assert verdicts(job) == [("ok", "+919876543210"), ("ok", "+919876543211")]
    assert preview(job)[0]["parsed"].raw == "919876543210", "never 9.19E+11"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("'9876543210", "+919876543210"),
        ("98765 43210", "+919876543210"),
        ("98765-43210", "+919876543210"),
        ("98765.43210", "+919876543210"),
        ("(0) 98765 43210", "+919876543210"),
        ("09876543210", "+919876543210"),
        ("9876543210", "+919876543210"),
        ("+44 20 7946 0958", "+442079460958"),
        ("9.19876543210E+11", "+919876543210"),
        ("919876543210.0", "+919876543210"),
    ],
)
def test_mangled_numbers_are_recovered(raw, expected):
    parser = RowParser("contacts", {"0": "number"}, "IN")
    assert parser.parse([raw]).number == expected


def test_excel_scientific_notation_that_lost_digits_is_invalid_not_a_wrong_number():
    # 9.19E+11 would expand to 919000000000, a valid-looking but wrong number.
    parsed = RowParser("contacts", {"0": "number"}, "IN").parse(["9.19E+11"])
    assert parsed.status == "invalid"
    assert "dropped its last digits" in parsed.error


def test_a_list_default_country_applies_to_numbers_without_a_country_code(contact_list):
    contact_list.default_country = "GB"
    contact_list.save()
    job = upload(contact_list, b"number\n020 7946 0958\n")
    assert verdicts(job) == [("ok", "+442079460958")]


def test_empty_rows_are_skipped_not_invalid(contact_list):
    job = upload(contact_list, b"number,name\n9876543210,A\n,\n\n9876543211,B\n")
    assert [r["verdict"] for r in preview(job)] == ["ok", "empty", "empty", "ok"]


def test_a_file_without_a_header_finds_its_number_column(contact_list):
    job = upload(contact_list, b"Asha,9876543210\nRavi,9876543211\n")
    assert not job.has_header
    assert job.mapping["1"] == "number"
    assert verdicts(job) == [("ok", "+919876543210"), ("ok", "+919876543211")]
    assert preview(job)[0]["row"] == 1


def test_pasted_numbers_split_on_lines_commas_semicolons_and_spaces():
    text = (
        "9876543210\n9876543211, 9876543212;9876543213\n9876543214 9876543215\n+91 98765 43216\n\n"
    )
    lines = paste_to_csv(text).decode().splitlines()
    assert lines == [
        "number",
        "9876543210",
        "9876543211",
        "9876543212",
        "9876543213",
        "9876543214",
        "9876543215",
        "+91 98765 43216",
    ]


def test_sniff_reads_bytes_not_names():
    assert sniff(io.BytesIO(b"a;b\n1;2\n")).delimiter == ";"
    assert sniff(io.BytesIO(xlsx_bytes([["number"], ["1"]]))).file_format == "xlsx"
