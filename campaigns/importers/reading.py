"""Reading an uploaded file: what it is (CSV or XLSX, by its bytes), its encoding and
delimiter, its columns, and its rows, streamed so memory stays flat at any size."""

import codecs
import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time

from django.core.files.storage import default_storage

from telephony.phone import InvalidNumber, normalize


class UnreadableFile(ValueError):
    """Why a file cannot be imported, in words for the upload form."""


# Signatures of files people upload by mistake; anything else with NUL bytes is binary too.
_NOT_CSV = {
    b"%PDF": "a PDF",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"\xd0\xcf\x11\xe0": "an old Excel (.xls) or Word file; save it as .xlsx or CSV",
    b"\x1f\x8b": "a gzip archive",
    b"Rar!": "a RAR archive",
    b"7z\xbc\xaf": "a 7-Zip archive",
}
NOT_CSV_OR_XLSX = "This is not a CSV or XLSX file"
SAMPLE_BYTES = 64 * 1024
DELIMITERS = ",;\t"
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab"}
PASTE_SPLIT = re.compile(r"[,;\s]+")


@dataclass
class FileInfo:
    file_format: str  # csv, xlsx
    encoding: str = ""
    delimiter: str = ""
    notes: list = field(default_factory=list)


def sniff(fh, name="") -> FileInfo:
    """What the file is, from its bytes (never its extension); UnreadableFile if unusable.

    `fh` is a binary file object positioned at the start; it is read through once to
    check the whole file decodes (so a Latin-1 byte on row 900,000 is not a surprise)."""
    head = fh.read(SAMPLE_BYTES)
    if not head:
        raise UnreadableFile("The file is empty")
    if head.startswith(b"PK\x03\x04"):
        fh.seek(0)
        try:
            with zipfile.ZipFile(fh) as archive:
                names = set(archive.namelist())
        except zipfile.BadZipFile:
            raise UnreadableFile(f"{NOT_CSV_OR_XLSX}: it is a damaged ZIP archive") from None
        if "xl/workbook.xml" not in names:
            raise UnreadableFile(f"{NOT_CSV_OR_XLSX}: it is a ZIP archive, not an Excel workbook")
        return FileInfo("xlsx")
    for magic, what in _NOT_CSV.items():
        if head.startswith(magic):
            raise UnreadableFile(f"{NOT_CSV_OR_XLSX}: it looks like {what}")
    if b"\x00" in head:
        raise UnreadableFile(f"{NOT_CSV_OR_XLSX}: it holds binary data, not text")

    encoding = _detect_encoding(fh)
    notes = []
    if encoding == "cp1252":
        notes.append("The file is not UTF-8; it was read as Windows-1252 (Latin-1).")
    text = head.decode(encoding, errors="replace")
    if encoding == "utf-8-sig":
        text = text.removeprefix("\ufeff")
    # Cut the sample at the last full line: a half line confuses the sniffer.
    if len(head) == SAMPLE_BYTES and "\n" in text:
        text = text[: text.rindex("\n")]
    if not text.strip():
        raise UnreadableFile("The file is empty")
    if text.lstrip()[:1] in ("<", "{", "["):
        raise UnreadableFile(f"{NOT_CSV_OR_XLSX}: it looks like HTML, XML or JSON")
    return FileInfo("csv", encoding, _detect_delimiter(text), notes)


def _detect_encoding(fh) -> str:
    """utf-8-sig when the whole file decodes as UTF-8 (with or without BOM), else cp1252
    (Latin-1 as Windows writes it), else latin-1, which decodes any byte."""
    fh.seek(0)
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    try:
        while chunk := fh.read(1 << 20):
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
        return "utf-8-sig"
    except UnicodeDecodeError:
        pass
    fh.seek(0)
    try:
        while chunk := fh.read(1 << 20):
            chunk.decode("cp1252")
        return "cp1252"
    except UnicodeDecodeError:
        return "latin-1"
    finally:
        fh.seek(0)


def _detect_delimiter(sample: str) -> str:
    try:
        return csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        pass
    # The sniffer gives up on one-column files and ragged rows: count instead.
    lines = [line for line in sample.splitlines()[:50] if line.strip()]
    counts = {d: sum(line.count(d) for line in lines) for d in DELIMITERS}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def cell_text(value) -> str:
    """A spreadsheet cell as text: 919876543210.0 becomes "919876543210", not 9.19E+11."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return repr(value)
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    return str(value)


def open_rows(name: str, info: FileInfo):
    """Every row of a stored file as a list of strings, header included, streamed."""
    fh = default_storage.open(name, "rb")
    try:
        if info.file_format == "xlsx":
            yield from _xlsx_rows(fh)
        else:
            text = io.TextIOWrapper(fh, encoding=info.encoding or "utf-8-sig", newline="")
            yield from csv.reader(text, delimiter=info.delimiter or ",")
    finally:
        fh.close()


def _xlsx_rows(fh):
    from openpyxl import load_workbook

    try:
        book = load_workbook(fh, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a broken workbook
        raise UnreadableFile(f"This Excel file cannot be read ({exc})") from None
    try:
        sheet = book.worksheets[0]
        for values in sheet.iter_rows(values_only=True):
            yield [cell_text(value) for value in values]
    finally:
        book.close()


def xlsx_row_estimate(name: str) -> int | None:
    """The first sheet's row count from its stored dimension (None when not recorded)."""
    from openpyxl import load_workbook

    with default_storage.open(name, "rb") as fh:
        book = load_workbook(fh, read_only=True, data_only=True)
        try:
            return book.worksheets[0].max_row
        finally:
            book.close()


def count_lines(name: str) -> int:
    """Lines in a text file, counted in binary chunks (a few ms per 10 MB)."""
    total, last = 0, b"\n"
    with default_storage.open(name, "rb") as fh:
        while chunk := fh.read(1 << 20):
            total += chunk.count(b"\n")
            last = chunk[-1:]
    return total + (last != b"\n")


def paste_to_csv(text: str) -> bytes:
    """A pasted block of numbers (one a line, or split by commas, semicolons or
    whitespace) as a one-column CSV with a header, ready to store and import."""
    # Spaces inside a number ("98765 43210") are common, so a line that is one number
    # with spaces stays whole; only lines that hold several numbers are split.
    out = io.StringIO()
    out.write("number\n")
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        for value in _split_paste_line(line):
            out.write(value.replace('"', "") + "\n")
    return out.getvalue().encode("utf-8")


def _split_paste_line(line: str) -> list[str]:
    if re.search(r"[,;\t]", line):
        return [part.strip() for part in re.split(r"[,;\t]+", line) if part.strip()]
    try:
        normalize(line, "")
        return [line]
    except InvalidNumber:
        pass
    parts = [part for part in PASTE_SPLIT.split(line) if part]
    # "+91 98765 43210": the parts are not numbers on their own, so keep the line whole.
    if len(parts) > 1 and all(len(re.sub(r"\D", "", part)) >= 7 for part in parts):
        return parts
    return [line]
