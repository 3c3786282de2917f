"""Reading an uploaded file: what it is (CSV or XLSX, by its bytes), its encoding and
delimiter, its columns, and its rows, streamed so memory stays flat at any size.

Every size is bounded by Dialdesk, never by the file: a CSV line is read in pieces up to
`Limits.line_chars` (a 200 MB line is never held whole), a field past the csv module's
limit is a row that says so instead of an error that stops the file, and an .xlsx goes
through xlsx.py (archive checks, streamed sheet, lazy shared strings). The upload's first
rows are read `strict`: a row wider than IMPORT_MAX_COLUMNS or a cell longer than
IMPORT_MAX_CELL_CHARS refuses the file, naming the row."""

import codecs
import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time

from django.conf import settings
from django.core.files.storage import default_storage

from telephony.phone import InvalidNumber, normalize


class UnreadableFile(ValueError):
    """Why a file cannot be imported, in words for the upload form."""


class TooBig(list):
    """In place of a row past the limits: an empty row that says why. Being an empty
    list, it is skipped by code that only reads cells; the upload refuses it by row
    number (`message`) and the job reports it as an invalid row (`reason`)."""

    __slots__ = ("problem", "hint")

    def __init__(self, problem: str, hint: str):
        super().__init__()
        self.problem, self.hint = problem, hint

    def message(self, row: int) -> str:
        return f"Row {row:,} {self.problem}. {self.hint}"

    @property
    def reason(self) -> str:
        return f"the row {self.problem}"


def too_wide(columns: int, limit: int) -> TooBig:
    return TooBig(
        f"has {columns:,} columns; imports take up to {limit:,} columns",
        "Delete the columns you do not need (or save only those as CSV) and upload it again.",
    )


def too_long_cell(limit: int, size: int = 0, over: int = 0) -> TooBig:
    length = f"of {size:,}" if size else f"longer than {over:,}"
    return TooBig(
        f"has a cell {length} characters; imports take cells of up to {limit:,} characters",
        "Shorten that cell (or delete its column) and upload the file again.",
    )


def too_long_line(limit: int) -> TooBig:
    return TooBig(
        f"is longer than {limit:,} characters, the longest row imports read",
        "Check the file is a CSV with one row a line, and upload it again.",
    )


@dataclass(frozen=True)
class Limits:
    """The import's size limits, from settings (IMPORT_MAX_COLUMNS, IMPORT_MAX_CELL_CHARS)."""

    columns: int
    cell_chars: int

    @classmethod
    def current(cls) -> "Limits":
        return cls(settings.IMPORT_MAX_COLUMNS, settings.IMPORT_MAX_CELL_CHARS)

    @property
    def line_chars(self) -> int:
        """The longest CSV line read: every column at the cell limit, quoted, separated."""
        return self.columns * (self.cell_chars + 3)


# The upload's first rows may read this much of an .xlsx sheet, and of its shared strings.
HEAD_XML_BUDGET = 16 * 1024 * 1024


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
        from .xlsx import check_archive

        fh.seek(0)
        # Entry count, expanded size and compression ratios, before any part is parsed.
        with check_archive(fh) as archive:
            names = set(archive.namelist())
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


def open_rows(name: str, info: FileInfo, strict: bool = False):
    """Every row of a stored file as a list of strings, header included, streamed. A row
    past the limits comes as a TooBig in its place, so row numbers stay right.

    `strict` (the upload's first rows) also makes a TooBig of a row wider than
    IMPORT_MAX_COLUMNS or with a cell longer than IMPORT_MAX_CELL_CHARS. The job reads
    lenient: cells past the mapped columns are never read (an .xlsx row is cut at the
    column limit), and RowParser makes a custom field past the cell limit an invalid row."""
    limits = Limits.current()
    fh = default_storage.open(name, "rb")
    try:
        if info.file_format == "xlsx":
            rows = _xlsx_rows(fh, limits, strict)
        else:
            rows = _csv_rows(fh, info, limits)
        yield from (_checked(rows, limits) if strict else rows)
    finally:
        fh.close()


def _checked(rows, limits: Limits):
    for row in rows:
        if row.__class__ is not TooBig:
            if len(row) > limits.columns:
                while row and not row[-1].strip():
                    row.pop()  # trailing empty cells (a CSV of ",,,,") are no columns
                if len(row) > limits.columns:
                    row = too_wide(len(row), limits.columns)
            if row and (longest := max(map(len, row))) > limits.cell_chars:
                row = too_long_cell(limits.cell_chars, size=longest)
        yield row


class _LineTooLong(Exception):
    pass


def _lines(text, limit: int):
    """The text's lines for csv.reader; a line over `limit` characters is read through in
    pieces (never held whole) and then raises _LineTooLong."""
    readline = text.readline
    while line := readline(limit + 1):
        if len(line) > limit:
            while line and line[-1] not in "\r\n":
                line = readline(limit + 1)
            raise _LineTooLong
        yield line


def _csv_rows(fh, info: FileInfo, limits: Limits):
    """csv.reader over bounded lines. A line too long, or a field past the csv module's
    own limit (131,072 characters), becomes a TooBig and reading goes on at the next
    line: with a fresh reader over the same text, as a reader that raised is spent. (A
    huge quoted field spanning lines leaves its later lines to be read as rows; they are
    reported as invalid like any row.)"""
    text = io.TextIOWrapper(fh, encoding=info.encoding or "utf-8-sig", newline="")
    delimiter = info.delimiter or ","
    while True:
        reader = csv.reader(_lines(text, limits.line_chars), delimiter=delimiter)
        try:
            yield from reader
            return
        except _LineTooLong:
            yield too_long_line(limits.line_chars)
        except csv.Error as exc:
            if "field limit" in str(exc):
                yield too_long_cell(limits.cell_chars, over=csv.field_size_limit())
            else:
                yield TooBig(f"cannot be read as CSV ({exc})", "Fix it and upload the file again.")


def _xlsx_rows(fh, limits: Limits, strict: bool):
    from .xlsx import Book

    with Book(fh, budget=HEAD_XML_BUDGET if strict else None) as book:
        yield from book.rows(limits.columns, strict)


def xlsx_row_estimate(name: str) -> int | None:
    """The first sheet's row count from its stored dimension (None when not recorded);
    for the progress bar only. No shared strings are read."""
    from .xlsx import Book

    with default_storage.open(name, "rb") as fh, Book(fh) as book:
        return book.row_estimate()


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
