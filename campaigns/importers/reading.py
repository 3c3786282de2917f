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
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.core.files.storage import default_storage

from telephony.phone import InvalidNumber, normalize

from .cells import BOOL, DATE, TIME, TypedCell


class UnreadableFile(ValueError):
    """Why a file cannot be imported, in words for the upload form."""


class TooBig(list):
    """In place of a row past the limits: an empty row that says why. Being an empty
    list, it is skipped by code that only reads cells; the upload refuses it by row
    number (`message`) and the job reports it as an invalid row (`reason`)."""

    __slots__ = ("problem", "hint", "fatal")

    def __init__(self, problem: str, hint: str, fatal: bool = True):
        super().__init__()
        # `fatal`: among the upload's first rows it refuses the file (a size limit). A row
        # that only cannot be decoded is reported by the job instead.
        self.problem, self.hint, self.fatal = problem, hint, fatal

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


def undecodable(encoding: str) -> TooBig:
    return TooBig(
        f"has bytes that are not {encoding_label(encoding)} text, so it was not read",
        "Save the file as UTF-8, or choose its encoding on the mapping page, and import it again.",
        fatal=False,
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
DELIMITERS = ",;\t|"
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
PASTE_SPLIT = re.compile(r"[,;\s]+")
# The encodings the mapping page offers (the detected one is added when not listed).
ENCODINGS = {
    "utf-8-sig": "UTF-8",
    "utf-16": "UTF-16 (with byte order mark)",
    "utf-16-le": "UTF-16 little-endian",
    "utf-16-be": "UTF-16 big-endian",
    "utf-32": "UTF-32 (with byte order mark)",
    "utf-32-le": "UTF-32 little-endian",
    "utf-32-be": "UTF-32 big-endian",
    "cp1252": "Windows-1252 (Western European)",
    "latin-1": "ISO-8859-1 (Latin-1)",
    "cp1250": "Windows-1250 (Central European)",
    "cp1251": "Windows-1251 (Cyrillic)",
    "cp1253": "Windows-1253 (Greek)",
    "cp1254": "Windows-1254 (Turkish)",
    "cp1256": "Windows-1256 (Arabic)",
    "shift_jis": "Shift-JIS (Japanese)",
    "cp932": "Windows-31J (Japanese)",
    "euc_jp": "EUC-JP (Japanese)",
    "gb18030": "GB18030 (Chinese, simplified)",
    "big5": "Big5 (Chinese, traditional)",
    "cp949": "Windows-949 (Korean)",
    "iso8859_11": "TIS-620 (Thai)",
}
# Characters a cell may not hold: C0 controls but tab, CR and LF (which XML, and so an
# .xlsx export, cannot carry: a NUL in a name once made the export fail), DEL and the C1
# controls. Removed on import, with no trace: they are never meant.
CONTROL_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# What a byte that does not decode becomes while a line is read: a noncharacter, so the
# row holding it is reported (never imported mangled). See _mark_undecodable.
UNDECODABLE = "\ufdd0"
_BAD_LINE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufdd0]")


def _mark_undecodable(error):
    return UNDECODABLE, error.end


codecs.register_error("dialdesk-mark", _mark_undecodable)


def encoding_label(encoding: str) -> str:
    name = codec_name(encoding)
    return ENCODINGS.get(name, name.upper().replace("_", "-"))


def codec_name(encoding: str) -> str:
    """The spelling this module uses for an encoding: "utf_8" -> "utf-8-sig", "UTF-16LE"
    -> "utf-16-le", "ISO-8859-1" -> "latin-1"; "" for an unknown one."""
    try:
        name = codecs.lookup(encoding).name
    except (LookupError, TypeError):
        return ""
    return {
        "utf-8": "utf-8-sig",
        "utf_8": "utf-8-sig",
        "iso8859-1": "latin-1",
        "windows-1252": "cp1252",
    }.get(name, name)


@dataclass
class FileInfo:
    file_format: str  # csv, xlsx
    encoding: str = ""
    delimiter: str = ""
    notes: list = field(default_factory=list)
    sheet: str = ""  # .xlsx: the sheet read ("" = the first)


def sniff(fh, name="", encoding="", delimiter="") -> FileInfo:
    """What the file is, from its bytes (never its extension); UnreadableFile if unusable.
    `encoding` and `delimiter` are the user's choices on the mapping page, used as given.

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

    notes = []
    encoding = codec_name(encoding) if encoding else ""
    if not encoding:
        encoding = _wide_encoding(head)
    if not encoding:
        # One stray NUL (a name typed with one) is removed on import; text has no more.
        if head.count(b"\x00") > len(head) // 100:
            raise UnreadableFile(f"{NOT_CSV_OR_XLSX}: it holds binary data, not text")
        encoding, note = _detect_encoding(fh, head)
        if note:
            notes.append(note)
    text = _head_text(head, encoding)
    # Cut the sample at the last full line: a half line confuses the sniffer.
    if len(head) == SAMPLE_BYTES and "\n" in text:
        text = text[: text.rindex("\n")]
    if not text.strip(" \r\n\t" + UNDECODABLE):
        raise UnreadableFile("The file is empty")
    if text.lstrip()[:1] in ("<", "{", "["):
        raise UnreadableFile(f"{NOT_CSV_OR_XLSX}: it looks like HTML, XML or JSON")
    if delimiter not in DELIMITER_NAMES:
        delimiter = _detect_delimiter(text)
    return FileInfo("csv", encoding, delimiter, notes)


def _head_text(head: bytes, encoding: str) -> str:
    decoder = codecs.getincrementaldecoder(encoding)(errors="dialdesk-mark")
    return decoder.decode(head).removeprefix("\ufeff")


_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def _wide_encoding(head: bytes) -> str:
    """UTF-16 or UTF-32 by its byte order mark, or without one by its text: the head
    decodes in that encoding to text with no NUL and few controls ("" when neither)."""
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            return "" if encoding == "utf-8-sig" else encoding
    if b"\x00" not in head[:4096]:
        return ""
    sample = head[:16384]
    sample = sample[: len(sample) - len(sample) % 4]
    if len(sample) < 4:
        return ""

    def zeros(offset: int, step: int) -> float:
        part = sample[offset::step]
        return part.count(0) / len(part)

    # A CSV is mostly ASCII (digits, delimiters), so half or more of its code units
    # have their high bytes zero, and its low bytes almost never are.
    candidates = []
    if zeros(2, 4) > 0.9 and zeros(3, 4) > 0.9 and zeros(0, 4) < 0.1:
        candidates.append("utf-32-le")
    if zeros(0, 4) > 0.9 and zeros(1, 4) > 0.9 and zeros(3, 4) < 0.1:
        candidates.append("utf-32-be")
    if zeros(1, 2) > 0.3 and zeros(0, 2) < 0.05:
        candidates.append("utf-16-le")
    if zeros(0, 2) > 0.3 and zeros(1, 2) < 0.05:
        candidates.append("utf-16-be")
    for encoding in candidates:
        try:
            text = codecs.getincrementaldecoder(encoding)().decode(sample)
        except UnicodeDecodeError:
            continue
        # Text, not binary: at most a stray control character (a NUL typed in a name).
        if text and len(CONTROL_CHARS.findall(text)) <= max(1, len(text) // 100):
            return encoding
    return ""


# Bytes of lines with non-ASCII bytes, beyond the head, handed to the encoding detector.
DETECT_BYTES = 64 * 1024


def _detect_encoding(fh, head: bytes) -> tuple[str, str]:
    """(encoding, note). UTF-8 (with or without BOM) when most of the file's non-ASCII
    lines are UTF-8 (the others are then reported row by row); else what
    charset-normalizer finds in the head and in the lines holding non-ASCII bytes,
    checked against what people write: Windows-1252 for text that reads as Latin
    letters so, Shift-JIS rather than Korean when the Hangul would be rare syllables.
    Bounded: one streamed pass (cut short once the file is plainly not UTF-8), and at
    most 128 KB given to the detector."""
    fh.seek(0)
    decoder = codecs.getincrementaldecoder("utf-8")(errors="dialdesk-mark")
    bad_lines = good_lines = 0
    unusual = bytearray()
    tail = b""
    try:
        while chunk := fh.read(1 << 20):
            text = decoder.decode(chunk)
            if text.isascii():
                continue
            if UNDECODABLE not in text:
                # Clean UTF-8 with non-ASCII text: its lines count as good (roughly).
                good_lines += max(1, text.count("\n"))
                continue
            for line in text.splitlines():
                if not line.isascii():
                    if UNDECODABLE in line:
                        bad_lines += 1
                    else:
                        good_lines += 1
            if bad_lines >= 1000 and bad_lines > 10 * good_lines and len(unusual) >= 4096:
                break  # not UTF-8, beyond doubt: no need to read the rest for that
            if len(unusual) < DETECT_BYTES:
                for line in (tail + chunk).splitlines():
                    if not line.isascii():
                        unusual += line[:1024] + b"\n"
                        if len(unusual) >= DETECT_BYTES:
                            break
            tail = chunk[-1024:]
        decoder.decode(b"", final=True)
    finally:
        fh.seek(0)
    if not bad_lines:
        return "utf-8-sig", ""
    # A UTF-8 file with a few rows pasted from elsewhere: most of its non-ASCII lines are
    # UTF-8. (A Shift-JIS or Windows-1252 file has almost none: its bytes rarely happen
    # to form UTF-8.)
    if good_lines >= bad_lines:
        rows = "row" if bad_lines == 1 else "rows"
        return "utf-8-sig", (
            f"The file is UTF-8 but {bad_lines:,} {rows} of it are not; they are reported as "
            "invalid rows, not imported with garbled text."
        )
    from charset_normalizer import from_bytes

    candidates = [codec_name(match.encoding) for match in from_bytes(head + b"\n" + bytes(unusual))]
    candidates = [name for name in candidates if name and not name.startswith("utf")]
    sample = head + bytes(unusual)
    if len(candidates) > 1 and candidates[0] == "cp949" and not _common_hangul(sample):
        # Shift-JIS names, a few characters each, read as Korean by the detector; real
        # Korean text lives in KS X 1001's common syllables, Shift-JIS read so does not.
        candidates.pop(0)
    latin = _latin_text(sample)
    if not candidates:
        fallbacks = () if latin else _FALLBACKS
        candidates = [name for name in fallbacks if _decodes(sample, name)][:1]
    encoding = candidates[0] if candidates else "cp1252"
    if _western(encoding):
        # The detector cannot tell Western code pages apart on a few names ("Zoë" reads
        # the same in most); Windows-1252 is what Excel writes in India and the West.
        # Unless the text so read is not Latin letters: Shift-JIS names read as symbols.
        others = [name for name in candidates if not _western(name)]
        if not latin and others:
            encoding = others[0]
        elif _decodes(sample, "cp1252"):
            encoding = "cp1252"
    elif latin and encoding in _CJK and _decodes(sample, "cp1252"):
        encoding = "cp1252"  # "Søren Ågård" taken for Chinese or Japanese
    return encoding, (
        f"The file is not UTF-8; it was read as {encoding_label(encoding)}. If names look "
        "wrong in the preview, choose its encoding below."
    )


_LATIN = {
    "cp1250",
    "cp1252",
    "cp1257",
    "cp775",
    "cp850",
    "cp852",
    "cp437",
    "latin-1",
    "mac-roman",
    "mac-latin2",
    "mac-iceland",
    "hp-roman8",
}


_CJK = {"cp932", "shift_jis", "euc_jp", "euc_jis_2004", "cp949", "euc_kr", "gb18030", "gb2312"}
_CJK |= {"gbk", "big5", "big5hkscs", "cp950", "iso2022_jp", "shift_jis_2004", "shift_jisx0213"}
_CJK |= {"johab", "euc_jisx0213", "hz", "iso2022_kr"}
# When the detector has no answer (too little text): the first of these that decodes.
_FALLBACKS = ("cp932", "gb18030", "cp949", "big5")


def _western(encoding: str) -> bool:
    return encoding in _LATIN or encoding.startswith("iso8859")


def _latin_text(data: bytes) -> bool:
    """Read as Windows-1252, nine in ten of the data's non-ASCII characters are Latin
    letters (Shift-JIS so read is mostly dashes, quotes and symbols)."""
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        return False
    wide = [ch for ch in text if ord(ch) > 127]
    latin = sum(1 for ch in wide if unicodedata.name(ch, "").startswith("LATIN"))
    return bool(wide) and latin * 10 >= len(wide) * 9


def _common_hangul(data: bytes) -> bool:
    """Most Hangul syllables of the data, read as cp949, are among the 2,350 common
    ones (KS X 1001: lead bytes 0xB0-0xC8)."""
    text = data.decode("cp949", errors="ignore")
    hangul = [ch for ch in text if "\uac00" <= ch <= "\ud7a3"]
    common = sum(1 for ch in hangul if 0xB0 <= ch.encode("cp949")[0] <= 0xC8)
    return bool(hangul) and common * 2 >= len(hangul)


def _decodes(data: bytes, encoding: str) -> bool:
    try:
        codecs.getincrementaldecoder(encoding)().decode(data)
    except UnicodeDecodeError:
        return False
    return True


def _detect_delimiter(sample: str) -> str:
    """The delimiter that splits the most lines into the same number of fields (more
    than one). csv.Sniffer guessed from character frequencies and chose a comma for
    tab and semicolon files whose names held commas; consistency does not."""
    lines = [
        line for line in sample.splitlines() if line.strip() and not line.lower().startswith("sep=")
    ][:200]
    forced = _sep_line(sample)
    if forced:
        return forced
    best, best_score = ",", (0, 0, 0)
    for rank, delimiter in enumerate(("\t", "|", ";", ",")):
        counts = [len(row) for row in csv.reader(lines, delimiter=delimiter)]
        widths = {}
        for count in counts:
            if count > 1:
                widths[count] = widths.get(count, 0) + 1
        if not widths:
            continue
        width, agreeing = max(widths.items(), key=lambda item: (item[1], item[0]))
        score = (agreeing, width, -rank)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _sep_line(sample: str) -> str:
    """Excel's "sep=;" first line names the delimiter."""
    lines = sample.lstrip("\ufeff").splitlines()
    first = lines[0].strip(" ").strip('"') if lines else ""
    if first.lower().startswith("sep=") and len(first) == 5:
        return first[4] if first[4] in DELIMITER_NAMES else ""
    return ""


def cell_text(value) -> str:
    """A spreadsheet cell as text: 919876543210.0 becomes "919876543210", not 9.19E+11."""
    if value is None:
        return ""
    if isinstance(value, str):
        return CONTROL_CHARS.sub("", value) if CONTROL_CHARS.search(value) else value
    if isinstance(value, bool):
        return TypedCell("TRUE" if value else "FALSE", BOOL)  # cells.py: not a number
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return repr(value)
    if isinstance(value, (datetime, date, time, timedelta)):
        text = str(value) if isinstance(value, timedelta) else value.isoformat()
        return TypedCell(text, TIME if isinstance(value, (time, timedelta)) else DATE)
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
            rows = _xlsx_rows(fh, limits, strict, info.sheet)
        else:
            from .quotes import unswallowed  # issue 14: an unbalanced quote

            rows = unswallowed(_csv_rows(fh, info, limits), info.delimiter or ",")
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


def _lines(text, limit: int, flagged: list, held: list):
    """The text's lines for csv.reader; a line over `limit` characters is read through in
    pieces (never held whole) and then raises _LineTooLong. A line holding a control
    character or a byte that did not decode sets flagged[0], so only the rows that need
    it are cleaned (csv.reader reads no further than the row it returns). `held` keeps
    the lines of the row being read (the caller empties it after each row): when a quote
    that never closes runs a cell past the csv module's field limit, they are the lines
    it swallowed, read again one by one."""
    readline, bad, hold = text.readline, _BAD_LINE.search, held.append
    while line := readline(limit + 1):
        if len(line) > limit:
            while line and line[-1] not in "\r\n":
                line = readline(limit + 1)
            raise _LineTooLong
        if bad(line):
            flagged[0] = True
        hold(line)
        yield line


def _cleaned(row: list, encoding: str):
    """A flagged row: reported when a byte of it did not decode, else without controls."""
    if any(UNDECODABLE in cell for cell in row):
        return undecodable(encoding)
    return [CONTROL_CHARS.sub("", cell) for cell in row]


def _csv_rows(fh, info: FileInfo, limits: Limits):
    """csv.reader over bounded lines. A line too long, or a field past the csv module's
    own limit (131,072 characters), becomes a TooBig and reading goes on at the next
    line: with a fresh reader over the same text, as a reader that raised is spent. (A
    huge quoted field spanning lines leaves its later lines to be read as rows; they are
    reported as invalid like any row.)"""
    encoding = info.encoding or "utf-8-sig"
    text = io.TextIOWrapper(fh, encoding=encoding, errors="dialdesk-mark", newline="")
    delimiter = info.delimiter or ","
    flagged, held = [False], []
    clear = held.clear
    while True:
        reader = csv.reader(_lines(text, limits.line_chars, flagged, held), delimiter=delimiter)
        try:
            for row in reader:
                clear()
                if flagged[0]:
                    flagged[0] = False
                    row = _cleaned(row, encoding)
                yield row
            return
        except _LineTooLong:
            clear()
            yield too_long_line(limits.line_chars)
        except csv.Error as exc:
            lines = held[:]
            clear()
            flagged[0] = False
            if "field limit" in str(exc) and len(lines) > 1:
                # A quote that never closed ran the cell past the limit: its row is
                # reported, and every line it swallowed is read again as its own row.
                yield from _swallowed_lines(lines, delimiter, encoding)
            elif "field limit" in str(exc):
                yield too_long_cell(limits.cell_chars, over=csv.field_size_limit())
            else:
                yield TooBig(f"cannot be read as CSV ({exc})", "Fix it and upload the file again.")


def _swallowed_lines(lines: list[str], delimiter: str, encoding: str):
    """The row that opened a quote (reported), then each line after it as a row. A line
    that cannot be read alone (it holds a quote of its own) is reported too."""
    from .quotes import unbalanced_quote

    yield unbalanced_quote()
    for line in lines[1:]:
        line = line.rstrip("\r\n")
        try:
            row = next(csv.reader([line], delimiter=delimiter), [])
        except csv.Error as exc:
            row = TooBig(f"cannot be read as CSV ({exc})", "Fix it and upload the file again.")
            row.fatal = False
        else:
            if _BAD_LINE.search(line):
                row = _cleaned(row, encoding)
        yield row


def _xlsx_rows(fh, limits: Limits, strict: bool, sheet: str = ""):
    from .xlsx import Book

    with Book(fh, budget=HEAD_XML_BUDGET if strict else None, sheet=sheet) as book:
        yield from book.rows(limits.columns, strict)


def xlsx_sheets(name: str) -> list[str]:
    """The worksheets' names, in workbook order."""
    from .xlsx import Book

    with default_storage.open(name, "rb") as fh, Book(fh) as book:
        return list(book.sheets)


def xlsx_row_estimate(name: str, sheet: str = "") -> int | None:
    """The first sheet's row count from its stored dimension (None when not recorded);
    for the progress bar only. No shared strings are read."""
    from .xlsx import Book

    with default_storage.open(name, "rb") as fh, Book(fh, sheet=sheet) as book:
        return book.row_estimate()


def count_lines(name: str) -> int:
    """Lines in a text file, counted in binary chunks (a few ms per 10 MB); a file with
    only CR line endings (old Mac exports) counts its CRs. For the progress bar only."""
    total = returns = 0
    last = b"\n"
    with default_storage.open(name, "rb") as fh:
        while chunk := fh.read(1 << 20):
            total += chunk.count(b"\n")
            if not total:
                returns += chunk.count(b"\r")
            last = chunk[-1:]
    if not total and returns:
        return returns + (last != b"\r")
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
