"""CSV and XLSX export of contact and DND lists, as filtered on their pages.

Both stream from the database in chunks, so a million-row list never sits in memory.
Every cell that a spreadsheet would read as a formula (one starting with = + - @, tab or
carriage return; OWASP "CSV injection") gets a leading apostrophe. That includes E.164
numbers (+91…): spreadsheet apps hide the apostrophe and keep the number as text, which
is what a phone number should be anyway.

Control characters other than tab, CR and LF are dropped from every cell: XML (so an
.xlsx) cannot hold them, and a NUL stored in a name once made the export a 500. Imports
remove them now (campaigns/importers/reading.py); rows stored before that still export.
"""

import csv
import re
import tempfile

from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.text import slugify
from openpyxl import Workbook

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# C0 controls but tab, LF and CR (openpyxl's ILLEGAL_CHARACTERS_RE), DEL and C1 controls.
CONTROL_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
CHUNK = 2000


def neutralise(value) -> str:
    """The cell's text, with a leading ' when a spreadsheet would run it as a formula."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    text = str(value)
    if CONTROL_CHARS.search(text):
        text = CONTROL_CHARS.sub("", text)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def contact_rows(contact_list, contacts):
    """Header, then one row per contact: number, name, time zone, active, custom fields."""
    custom = list(contact_list.custom_fields)
    yield ["number", "name", "time_zone", "active", *custom]
    rows = contacts.order_by("pk").values_list("number", "name", "time_zone", "is_active", "fields")
    for number, name, zone, active, fields in rows.iterator(chunk_size=CHUNK):
        fields = fields or {}
        yield [number, name, zone, active, *(fields.get(key, "") for key in custom)]


def dnd_rows(entries):
    yield ["number", "name", "reason", "source", "added_by", "added_at"]
    rows = entries.order_by("pk").values_list(
        "number", "name", "reason", "source", "added_by__username", "created_at"
    )
    for number, name, reason, source, user, created in rows.iterator(chunk_size=CHUNK):
        yield [number, name, reason, source, user or "", created.isoformat() if created else ""]


class _Echo:
    """A file-like object whose write() hands the line back, for csv.writer streaming."""

    def write(self, value):
        return value


def csv_response(rows, filename: str) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())

    def lines():
        yield "\ufeff"  # a BOM, so Excel opens the UTF-8 file with the right characters
        for row in rows:
            yield writer.writerow([neutralise(cell) for cell in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


def xlsx_response(rows, filename: str, title: str) -> FileResponse:
    """A write-only workbook (rows go straight to disk) in a temp file that is removed
    when the response closes it."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=re.sub(r"[\[\]:*?/\\]", " ", title)[:31] or "Sheet")
    for row in rows:
        sheet.append([neutralise(cell) for cell in row])
    handle = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 (FileResponse closes it)
    workbook.save(handle)
    handle.seek(0)
    return FileResponse(
        handle,
        as_attachment=True,
        filename=f"{filename}.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


def export_response(rows, *, name: str, file_format: str):
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    filename = f"{slugify(name) or 'list'}-{stamp}"
    if file_format == "xlsx":
        return xlsx_response(rows, filename, title=name)
    return csv_response(rows, filename)
