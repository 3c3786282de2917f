"""Files read as they are (issue 14): delimiters, where the table starts and whether it
has a header, encodings, sheets, control characters, and the user's say on each."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from campaigns.exports import neutralise
from campaigns.importers import create_job, preview, reread
from campaigns.importers.job import run_import
from campaigns.models import Contact, ImportJob

from . import hostile_files as hostile

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]

NAMES = ["Asha Rao", "Ravi Kumar", "Zoë Müller", "José Núñez", "山田太郎"]


def upload(contact_list, data: bytes, name="contacts.csv"):
    return create_job(
        ImportJob.Kind.CONTACTS, contact_list, None, upload=SimpleUploadedFile(name, data)
    )


def table(delimiter=",", newline="\n", names=NAMES[:4], header=True) -> str:
    rows = [["Mobile", "Name", "City"]] if header else []
    rows += [[f"98765432{i:02d}", name, "Pune, MH"] for i, name in enumerate(names)]
    lines = []
    for row in rows:
        cells = [f'"{c}"' if delimiter in c or "," in c and delimiter == "," else c for c in row]
        lines.append(delimiter.join(cells))
    return newline.join(lines) + newline


def imported(job):
    """Run the job as it was detected; (number, name, fields) per stored contact."""
    run_import(job.pk)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE, job.error
    return [
        (c.number, c.name, c.fields)
        for c in Contact.objects.filter(contact_list=job.contact_list).order_by("number")
    ]


def names_in_preview(job):
    return [row["parsed"].name for row in preview(job)]


# --- delimiters ---------------------------------------------------------------------


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
@pytest.mark.parametrize("delimiter", ["\t", ";", "|", ","])
def test_each_delimiter_is_found_with_each_line_ending(contact_list, delimiter, newline):
    job = upload(contact_list, table(delimiter, newline).encode())
    assert (job.delimiter, job.columns) == (delimiter, ["Mobile", "Name", "City"])
    assert names_in_preview(job) == NAMES[:4]
    assert imported(job)[0] == ("+919876543200", "Asha Rao", {"city": "Pune, MH"})


def test_a_semicolon_file_with_commas_in_every_row_is_still_semicolon_separated(contact_list):
    rows = "Mobile;Name;Amount\n" + "".join(
        f"98765432{i:02d};Rao, Asha {i};1,{i}00\n" for i in range(10)
    )
    job = upload(contact_list, rows.encode())
    assert job.delimiter == ";"
    assert names_in_preview(job)[0] == "Rao, Asha 0"


def test_excels_sep_line_names_the_delimiter_and_is_not_the_header(contact_list):
    job = upload(contact_list, ("sep=;\n" + table(";")).encode())
    assert (job.delimiter, job.skip_rows, job.columns[0]) == (";", 1, "Mobile")
    assert imported(job)[0][:2] == ("+919876543200", "Asha Rao")


# --- where the table starts, and its header -----------------------------------------


def test_title_lines_and_blank_lines_before_the_header_are_skipped(contact_list):
    data = "Customer list, March\nExported 2024-03-01\n\n\n" + table(",")
    job = upload(contact_list, data.encode())
    assert (job.skip_rows, job.has_header, job.columns[0]) == (4, True, "Mobile")
    assert [row["row"] for row in preview(job)][:2] == [6, 7], "rows keep the file's numbers"
    assert len(imported(job)) == 4


def test_more_than_twenty_blank_lines_before_the_data_are_not_a_refusal(contact_list):
    job = upload(contact_list, ("\n" * 500 + table(";")).encode())
    assert (job.skip_rows, job.columns[0]) == (500, "Mobile")
    assert len(imported(job)) == 4


def test_a_headerless_file_whose_first_row_is_invalid_keeps_that_row_as_data(contact_list):
    data = "98765-432,Bad Number\n9876543201,Ravi Kumar\n9876543202,Asha Rao\n"
    job = upload(contact_list, data.encode())
    assert job.has_header is False
    assert [row["verdict"] for row in preview(job)] == ["invalid", "ok", "ok"]
    assert preview(job)[0]["row"] == 1


def test_the_number_column_is_the_one_whose_values_are_numbers_and_the_page_says_why(
    supervisor_client, contact_list
):
    rows = "Customer ID,Contact,Alt Mobile,Phone\n" + "".join(
        f"10{i:04d},Name {i},,98765432{i:02d}\n" for i in range(20)
    )
    rows = rows.replace("Name 3,,", "Name 3,9876500000,")
    job = upload(contact_list, rows.encode())
    assert job.mapping["3"] == "number", "not the 'Alt Mobile' column of blanks"
    assert job.mapping["1"] != "number", "a 'Contact' column of names is not the number"
    page = supervisor_client.get(reverse("campaigns:import_mapping", args=[job.pk]))
    assert "20 of 20 values are phone numbers" in page.content.decode()


def test_a_headerless_file_gets_its_name_column_by_its_values(contact_list):
    data = "".join(f"{i},98765432{i:02d},{name},MH-{i}\n" for i, name in enumerate(NAMES))
    job = upload(contact_list, data.encode())
    assert job.has_header is False
    assert (job.mapping["1"], job.mapping["2"]) == ("number", "name")


# --- encodings ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "encoding, bom",
    [
        ("utf-16-le", b"\xff\xfe"),
        ("utf-16-be", b"\xfe\xff"),
        ("utf-16-le", b""),
        ("utf-16-be", b""),
        ("utf-32-le", b"\xff\xfe\x00\x00"),
        ("utf-32-be", b"\x00\x00\xfe\xff"),
        ("utf-32-le", b""),
    ],
)
def test_utf16_and_utf32_files_are_read_with_or_without_a_bom(contact_list, encoding, bom):
    job = upload(contact_list, bom + table("\t", "\r\n", NAMES).encode(encoding))
    assert job.columns == ["Mobile", "Name", "City"]
    assert names_in_preview(job) == NAMES
    assert [name for _, name, _ in imported(job)] == NAMES


def test_shift_jis_names_are_not_garbled(contact_list):
    names = ["山田太郎", "佐藤花子", "鈴木一郎", "高橋美咲"]
    job = upload(contact_list, table(",", "\r\n", names).encode("shift_jis"))
    assert job.encoding in ("shift_jis", "cp932")
    assert [name for _, name, _ in imported(job)] == names


def test_one_windows_1252_row_in_a_utf8_file_is_reported_not_garbled(contact_list):
    good = table(",", "\n", ["Zoë Müller", "山田太郎", "Ravi Kumar"]).encode("utf-8")
    data = good + "9876543299,Renée Côté,Lyon\n".encode("cp1252")
    job = upload(contact_list, data)
    assert job.encoding == "utf-8-sig"
    assert any("not" in note and "UTF-8" in note for note in job.notes)
    assert [name for _, name, _ in imported(job)] == ["Zoë Müller", "山田太郎", "Ravi Kumar"]
    job.refresh_from_db()
    assert job.invalid == 1
    report = job.error_report.open("rb").read().decode()
    assert "\r\n5,," in report and "not UTF-8 text" in report


def test_the_user_can_choose_the_encoding_and_the_delimiter(contact_list):
    data = "Mobile;Name\n9876543210;Ивана Петрова\n9876543211;Мария\n".encode("cp1251")
    job = upload(contact_list, data)
    reread(job, encoding="cp1251", delimiter=";")
    job.refresh_from_db()
    assert (job.encoding, job.delimiter, job.columns) == ("cp1251", ";", ["Mobile", "Name"])
    assert names_in_preview(job) == ["Ивана Петрова", "Мария"]
    reread(job, delimiter="|", encoding="cp1251")
    assert job.columns == ["Mobile;Name"], "the user's choice is used as given"


def test_the_mapping_page_reads_the_file_again_with_the_chosen_settings(
    supervisor_client, contact_list
):
    job = upload(contact_list, table(";").encode())
    url = reverse("campaigns:import_mapping", args=[job.pk])
    response = supervisor_client.post(
        url, {"reread": "1", "encoding": "utf-8-sig", "delimiter": ",", "has_header": "1"}
    )
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.delimiter == "," and job.columns == ["Mobile;Name;City", "Column 2"]
    response = supervisor_client.post(
        url, {"reread": "1", "encoding": "bogus", "delimiter": ";", "has_header": "1"}
    )
    assert response.status_code == 302
    page = supervisor_client.get(url).content.decode()
    assert "Those file settings cannot be used" in page


# --- layout -------------------------------------------------------------------------


def xlsx_bytes(sheets: dict) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_an_xlsx_with_its_data_on_the_second_sheet_reads_that_sheet(contact_list):
    rows = [["Phone", "Name"], ["9876543210", "Asha Rao"], ["9876543211", "Ravi Kumar"]]
    job = upload(contact_list, xlsx_bytes({"Notes": [], "Data": rows}), "c.xlsx")
    assert (job.sheets, job.sheet, job.columns) == (["Notes", "Data"], "Data", ["Phone", "Name"])
    assert [name for _, name, _ in imported(job)] == ["Asha Rao", "Ravi Kumar"]


def test_the_user_can_choose_another_sheet(supervisor_client, contact_list):
    first = [["Phone", "Name"], ["9876543210", "Asha Rao"]]
    second = [["Mobile", "Customer"], ["9876543219", "Ravi Kumar"]]
    job = upload(contact_list, xlsx_bytes({"One": first, "Two": second}), "c.xlsx")
    assert job.sheet == "One"
    response = supervisor_client.post(
        reverse("campaigns:import_mapping", args=[job.pk]),
        {"reread": "1", "sheet": "Two", "has_header": "1"},
    )
    assert response.status_code == 302
    job.refresh_from_db()
    assert (job.sheet, job.columns) == ("Two", ["Mobile", "Customer"])
    assert imported(job) == [("+919876543219", "Ravi Kumar", {"customer": "Ravi Kumar"})] or (
        job.mapping.get("1") == "name"
    )


def test_an_xlsx_with_title_rows_above_the_table_skips_them(contact_list):
    rows = [["Customer list"], [], ["Phone", "Name"], ["9876543210", "Asha Rao"]]
    job = upload(contact_list, xlsx_bytes({"Sheet": rows}), "c.xlsx")
    assert (job.skip_rows, job.columns) == (2, ["Phone", "Name"])
    assert imported(job) == [("+919876543210", "Asha Rao", {})]


# --- control characters, wide files --------------------------------------------------


def test_control_characters_are_removed_on_import(contact_list):
    data = "Phone,Name,Note\n9876543210,Asha\x00 Rao\x1b,ok\x07\n" + "".join(
        f"98765432{i:02d},Ravi Kumar {i},plain\n" for i in range(11, 20)
    )
    job = upload(contact_list, data.encode())
    assert imported(job)[0] == ("+919876543210", "Asha Rao", {"note": "ok"})
    assert neutralise("A\x00B") == "AB"


def test_control_characters_in_xlsx_cells_are_removed_on_import(contact_list):
    # Excel writes a control character as an escape ("_x0000_"), which readers turn back.
    data = hostile.xlsx([["Phone", "Name"], ["9876543210", "Asha_x0000_ Rao_x001B_"]])
    job = upload(contact_list, data, "c.xlsx")
    assert imported(job) == [("+919876543210", "Asha Rao", {})]


def test_a_mapping_post_for_the_widest_file_allowed_is_never_a_bare_400(
    supervisor_client, contact_list, settings
):
    width = settings.IMPORT_MAX_COLUMNS
    header = ["Phone"] + [f"c{i}" for i in range(1, width)]
    data = ",".join(header) + "\n" + ",".join(["9876543210"] + ["x"] * (width - 1)) + "\n"
    job = upload(contact_list, data.encode())
    url = reverse("campaigns:import_mapping", args=[job.pk])
    fields = {f"col_{i}": target for i, target in job.mapping.items()}
    bad = dict(fields, col_0="nonsense")
    response = supervisor_client.post(url, bad)
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    assert supervisor_client.post(url, fields).status_code == 302


def test_a_cr_only_file_has_its_rows_counted_for_the_progress_bar(contact_list):
    from campaigns.importers.reading import count_lines

    job = upload(contact_list, table(";", "\r").encode())
    assert count_lines(job.upload.name) == 5, "the header and four rows, not one line"


def test_blank_lines_before_the_table_are_skipped_within_a_bound(contact_list):
    from campaigns.importers import UnreadableFile

    with pytest.raises(UnreadableFile, match="first 10,001 rows are empty"):
        upload(contact_list, (",,,\n" * 10_001 + table(",")).encode())
    job = upload(contact_list, (",,,\n" * 9_000 + table(",")).encode())
    assert job.skip_rows == 9_000


def test_the_progress_estimate_of_an_xlsx_is_the_chosen_sheets(contact_list):
    from campaigns.importers import Importer

    rows = [["Phone", "Name"], ["9876543210", "Asha Rao"], ["9876543211", "Ravi Kumar"]]
    job = upload(contact_list, xlsx_bytes({"Notes": [], "Data": rows}), "c.xlsx")
    Importer(job)._prepare()
    assert job.rows_total == 2
