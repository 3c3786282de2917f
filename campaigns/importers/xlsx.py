"""Reading a sheet of an uploaded .xlsx (the first with data, or the one the user chose),
with every size bounded by Dialdesk, not by what the file claims.

An .xlsx is a zip of XML parts, so a 50 KB upload can expand to gigabytes, and a sheet's
own `<dimension ref="A1:XFD1048576"/>` (or one cell at column XFD) makes openpyxl's
read-only reader pad every row to 16,384 cells. This module therefore:

- reads the zip's central directory before any part is parsed: its entry count (from the
  end record, before `zipfile` builds one object per entry), the whole archive's expanded
  size, and the compression ratio of every large entry (`check_archive`);
- opens parts through a ZipFile that refuses any part over its own cap, so a part the
  reader holds whole (content types, workbook, relationships) stays small;
- streams the sheet with iterparse and drops each parsed cell and row from the tree as
  it goes; never reads the declared dimension to size anything; stops collecting a
  row's cells at the column cap; ends at `</sheetData>` (hyperlinks, merges and the like
  after it are never parsed) and refuses a row number past Excel's last row;
- parses shared strings lazily, only as far as the highest index a read row uses, so
  the upload's first rows never parse a table of a million strings;
- streams styles.xml for the one thing it is needed for: which styles are dates.

Cell values are converted by openpyxl's own `WorkSheetParser.parse_cell` (numbers,
booleans, dates, inline and rich strings, cached formula results), so the values are
what openpyxl would give."""

import re
import struct
import zipfile
from functools import cache
from xml.etree.ElementTree import ParseError

from django.conf import settings
from openpyxl.cell.text import Text
from openpyxl.packaging.manifest import Manifest
from openpyxl.reader.excel import _find_workbook_part
from openpyxl.reader.workbook import WorkbookParser
from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format, is_timedelta_format
from openpyxl.utils.cell import range_boundaries
from openpyxl.worksheet._reader import WorkSheetParser
from openpyxl.xml.constants import ARC_CONTENT_TYPES, ARC_STYLE, SHARED_STRINGS, SHEET_MAIN_NS
from openpyxl.xml.functions import fromstring, iterparse

from .cells import FORMULA_TAG, mark
from .reading import UnreadableFile, cell_text, too_wide

EXCEL_MAX_ROWS = 1_048_576
MAX_ENTRIES = 1_000  # a workbook has a few dozen parts; every entry costs memory to list
MAX_DIRECTORY = 1024 * 1024  # bytes of central directory: 1,000 entries with long names
RATIO_FROM = 4 * 1024 * 1024  # entries smaller than this may compress as well as they like
MAX_RATIO = 100  # real sheets compress 5-20 times; zip bombs about 1,000 times
MAX_SMALL_PART = 2 * 1024 * 1024  # content types, workbook, relationships: a few KB in life
MAX_STYLES = 16 * 1024 * 1024  # streamed, but each cell style costs an entry in a set
SAVE_AGAIN = "Save it again from Excel, or export the sheet as CSV, and upload that."

_ROW, _CELL, _DATA = (f"{{{SHEET_MAIN_NS}}}{tag}" for tag in ("row", "c", "sheetData"))
_DIMENSION, _SI, _T = (f"{{{SHEET_MAIN_NS}}}{tag}" for tag in ("dimension", "si", "t"))
_NUM_FMTS, _NUM_FMT, _CELL_XFS, _XF = (
    f"{{{SHEET_MAIN_NS}}}{tag}" for tag in ("numFmts", "numFmt", "cellXfs", "xf")
)
_EOCD = struct.Struct("<4s4H2LH")
_ZIP64_LOCATOR = struct.Struct("<4sLQL")
_ZIP64_EOCD = struct.Struct("<4sQ2H2L4Q")


def expanded_limit() -> int:
    """The most a workbook may expand to: ten times the upload limit (real sheets expand
    5-15 times, so any upload a real workbook fills is accepted)."""
    return settings.IMPORT_MAX_UPLOAD_MB * 10 * 1024 * 1024


def strings_limit() -> int:
    """The shared strings part is held in memory by the import job (a string per entry):
    half the upload limit, 100 MB by default (a million unique names take ~40 MB)."""
    return settings.IMPORT_MAX_UPLOAD_MB * 1024 * 1024 // 2


def size_text(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / 1024 / 1024:,.0f} MB"
    return f"{max(1, round(size / 1024)):,} KB"


def _directory(fh) -> tuple[int, int]:
    """(entries, bytes) of the zip's central directory, from its end record (zip64 too).
    zipfile lists entries for as many bytes as the directory declares, whatever count it
    gives, so both are checked before it lists anything."""
    fh.seek(0, 2)
    size = fh.tell()
    fh.seek(max(0, size - (_EOCD.size + 65_535)))
    tail = fh.read()
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < _EOCD.size:
        raise zipfile.BadZipFile("no end of central directory record")
    _, _, _, _, entries, directory, _, _ = _EOCD.unpack_from(tail, at)
    locator_at = at - _ZIP64_LOCATOR.size
    if locator_at >= 0 and tail[locator_at : locator_at + 4] == b"PK\x06\x07":
        fh.seek(_ZIP64_LOCATOR.unpack_from(tail, locator_at)[2])
        record = fh.read(_ZIP64_EOCD.size)
        if len(record) == _ZIP64_EOCD.size and record[:4] == b"PK\x06\x06":
            entries, directory = _ZIP64_EOCD.unpack(record)[7:9]
    return entries, directory


def check_archive(fh) -> zipfile.ZipFile:
    """The opened archive, once its entries are within the limits; UnreadableFile if not.
    Only the central directory is read: declared sizes are safe to trust, since zipfile
    never returns more bytes than an entry declares (and checks the CRC at its end)."""
    try:
        entries, directory = _directory(fh)
        if entries > MAX_ENTRIES:
            raise UnreadableFile(
                f"This Excel file holds {entries:,} parts; a workbook has a few dozen and "
                f"imports take at most {MAX_ENTRIES:,}. {SAVE_AGAIN}"
            )
        if directory > MAX_DIRECTORY:
            raise UnreadableFile(
                f"This Excel file's list of parts takes {size_text(directory)}; imports take "
                f"workbooks whose list takes at most {size_text(MAX_DIRECTORY)}. {SAVE_AGAIN}"
            )
        fh.seek(0)
        archive = CheckedZip(fh)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, struct.error) as exc:
        if isinstance(exc, UnreadableFile):
            raise
        raise UnreadableFile(
            "This is not a CSV or XLSX file: it is a damaged ZIP archive"
        ) from None
    infos = archive.infolist()
    total = sum(info.file_size for info in infos)
    if total > expanded_limit():
        archive.close()
        raise UnreadableFile(
            f"This Excel file expands to {size_text(total)} when unzipped; imports take "
            f"workbooks that expand to at most {size_text(expanded_limit())}. Split it into "
            "smaller files, or export the sheet as CSV."
        )
    for info in infos:
        if info.file_size > RATIO_FROM and info.file_size > MAX_RATIO * info.compress_size:
            archive.close()
            ratio = info.file_size / max(1, info.compress_size)
            raise UnreadableFile(
                f"This Excel file expands to {size_text(total)} when unzipped: its part "
                f"{info.filename[:80]} grows from {size_text(info.compress_size)} to "
                f"{size_text(info.file_size)} ({ratio:,.0f} times), as a zip bomb does; "
                f"imports refuse parts that expand more than {MAX_RATIO} times. {SAVE_AGAIN}"
            )
    return archive


class CheckedZip(zipfile.ZipFile):
    """A ZipFile whose parts open only within their cap: MAX_SMALL_PART unless the
    reader raised it for a part it streams (the sheet, shared strings, styles)."""

    caps: dict

    def open(self, name, mode="r", pwd=None, **kwargs):
        if mode == "r":
            info = name if isinstance(name, zipfile.ZipInfo) else self.getinfo(name)
            cap = getattr(self, "caps", {}).get(info.filename, MAX_SMALL_PART)
            if info.file_size > cap:
                raise UnreadableFile(
                    f"This Excel file's part {info.filename[:80]} expands to "
                    f"{size_text(info.file_size)}; imports take at most {size_text(cap)} "
                    f"there. {SAVE_AGAIN}"
                )
        return super().open(name, mode, pwd, **kwargs)


class SharedStrings:
    """The shared strings table, parsed only as far as the highest index asked for.
    Excel numbers strings in order of first use, so the first rows need the first few."""

    def __init__(self, archive, path, budget=None):
        self.archive, self.path, self.budget = archive, path, budget
        self.strings = []
        self.source = self.events = self.root = None

    def __getitem__(self, index):
        strings = self.strings
        if index >= len(strings):
            self._parse_to(index)
        return strings[index]

    def _parse_to(self, index):
        if self.events is None:
            if self.path is None:
                raise UnreadableFile("This Excel file uses shared text it does not contain")
            self.source = Metered(self.archive.open(self.path), self.budget, "shared text")
            self.events = iterparse(self.source, events=("start", "end"))
        strings = self.strings
        for event, node in self.events:
            if event == "start":
                if self.root is None:
                    self.root = node
                continue
            if node.tag == _SI:
                strings.append(_string_text(node))
                # Each string is dropped from the tree once read: the tree never grows.
                del self.root[:]
                if len(strings) > index:
                    return
        raise UnreadableFile(
            f"This Excel file refers to shared text number {index + 1:,}, which it does "
            f"not contain. {SAVE_AGAIN}"
        )

    def close(self):
        if self.source is not None:
            self.source.close()


def _string_text(node) -> str:
    """What openpyxl's read_string_table gives, without its per-string objects for the
    common shapes (<si/> and <si><t>…</t></si>)."""
    if len(node) == 0:
        text = ""
    elif len(node) == 1 and node[0].tag == _T and len(node[0]) == 0:
        text = node[0].text or ""
    else:
        text = Text.from_tree(node).content
    # OOXML escapes a character XML cannot hold as _xHHHH_ (Excel writes a control
    # character so) and a literal "_x" as _x005F_x: unescaped in one pass, so the
    # control characters reach cell_text, which removes them.
    return _ESCAPED.sub(_unescape, text) if "_x" in text else text


_ESCAPED = re.compile(r"_x([0-9A-Fa-f]{4})_")


def _unescape(match) -> str:
    return chr(int(match.group(1), 16))


@cache
def _format_kind(code: str) -> tuple[bool, bool]:
    return is_date_format(code), is_timedelta_format(code)


def _date_styles(archive) -> tuple[set, set]:
    """The cell styles (indexes into cellXfs) that show dates, and durations: what
    openpyxl's Stylesheet works out, streamed instead of built as objects."""
    if ARC_STYLE not in archive.NameToInfo:
        return set(), set()
    archive.caps[ARC_STYLE] = MAX_STYLES
    custom, dates, durations = {}, set(), set()
    index, section, stack = 0, None, []
    with archive.open(ARC_STYLE) as source:
        for event, node in iterparse(source, events=("start", "end")):
            tag = node.tag
            if event == "start":
                stack.append(node)
                if len(stack) == 2:
                    section = tag  # numFmts, cellXfs, dxfs…: <numFmt> and <xf> mean per section
                continue
            stack.pop()
            if tag == _NUM_FMT and section == _NUM_FMTS:
                custom[_int(node.get("numFmtId"))] = node.get("formatCode") or ""
            elif tag == _XF and section == _CELL_XFS:
                number_format = _int(node.get("numFmtId"))
                if number_format in custom:
                    code = custom[number_format]
                else:
                    code = BUILTIN_FORMATS.get(number_format, "General")
                is_date, is_duration = _format_kind(code)
                if is_date:
                    dates.add(index)
                if is_duration:
                    durations.add(index)
                index += 1
            if stack:
                del stack[-1][:]  # read elements leave the tree, so it never grows
    return dates, durations


def _int(value) -> int:
    try:
        return int(value or 0)
    except ValueError:
        return 0


class Metered:
    """A part being parsed, refused once more than `budget` bytes of it were read: the
    upload's first rows must lie within the first megabytes of the sheet and of its
    shared strings, or the upload would parse a whole part to show twenty rows."""

    def __init__(self, source, budget: int | None, what: str):
        self.source, self.budget, self.what, self.used = source, budget, what, 0

    def read(self, size=-1):
        data = self.source.read(size)
        self.used += len(data)
        if self.budget is not None and self.used > self.budget:
            raise UnreadableFile(
                f"The first rows of this Excel file need more than {size_text(self.budget)} "
                f"of its {self.what} to be read; imports read the first rows from the first "
                f"{size_text(self.budget)}. {SAVE_AGAIN}"
            )
        return data

    def close(self):
        self.source.close()


class Book:
    """An opened workbook: its worksheets (by name), where its shared strings are, and how
    its numbers become dates. Use as a context manager; it closes the archive. `budget`
    bounds how much of the sheet and of the shared strings may be read (the upload's
    first rows); None reads them whole (the import job)."""

    def __init__(self, fh, budget: int | None = None, sheet: str = ""):
        self.archive = check_archive(fh)
        self.archive.caps = {}
        self.budget = budget
        self.strings = None
        try:
            package = Manifest.from_tree(fromstring(self.archive.read(ARC_CONTENT_TYPES)))
            part = _find_workbook_part(package)
            parser = WorkbookParser(self.archive, part.PartName[1:], keep_links=False)
            parser.parse()
            self.epoch = parser.wb.epoch
            self.sheets = self._worksheets(parser)
            if not self.sheets:
                raise UnreadableFile("This Excel file has no worksheet")
            # A sheet chosen on the mapping page, by name; a name no longer there (or
            # none) is the first worksheet.
            self.sheet = self.sheets.get(sheet) or next(iter(self.sheets.values()))
            strings = package.find(SHARED_STRINGS)
            strings_path = strings.PartName[1:] if strings is not None else None
            if strings_path:
                self.archive.caps[strings_path] = strings_limit()
            self.strings = SharedStrings(self.archive, strings_path, budget)
            self.dates, self.durations = _date_styles(self.archive)
            for path in self.sheets.values():
                self.archive.caps[path] = expanded_limit()
        except UnreadableFile:
            self.close()
            raise
        except Exception as exc:  # openpyxl raises many types for a broken workbook
            self.close()
            raise UnreadableFile(f"This Excel file cannot be read ({exc})") from None

    def _worksheets(self, parser) -> dict[str, str]:
        """Sheet name -> part, for the sheets that are worksheets and exist, in workbook
        order (openpyxl's worksheets)."""
        rels = parser.rels  # a dict by id, parsed once
        names = self.archive.NameToInfo
        sheets = {}
        for sheet in parser.sheets[:MAX_ENTRIES]:
            rel = rels.get(sheet.id) if sheet.id else None
            if rel is not None and "chartsheet" not in rel.Type and rel.target in names:
                sheets.setdefault(str(sheet.name)[:100], rel.target)
        return sheets

    def use(self, name: str):
        """Read the sheet called `name` from now on."""
        self.sheet = self.sheets[name]

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        if self.strings is not None:
            self.strings.close()
        self.archive.close()

    def rows(self, max_columns: int, strict: bool):
        """Every row of the chosen worksheet as a list of strings, trailing empty cells
        dropped; missing rows are empty lists, so positions are row numbers. A row with a
        value past `max_columns` is cut there, or, when `strict`, is a TooBig."""
        source = Metered(self.archive.open(self.sheet), self.budget, "sheet")
        parser = WorkSheetParser(
            source,
            self.strings,
            data_only=True,
            epoch=self.epoch,
            date_formats=self.dates,
            timedelta_formats=self.durations,
        )
        parse_cell = parser.parse_cell
        stack, in_cell, next_row = [], False, 1
        values, number, last, widest = [], 0, 0, 0
        try:
            for event, element in iterparse(source, events=("start", "end")):
                tag = element.tag
                if event == "start":
                    stack.append(element)
                    if tag == _CELL:
                        in_cell = True
                    elif tag == _ROW:
                        number = _row_number(element.get("r"), next_row)
                        parser.col_counter = 0
                        values, last, widest = [], 0, 0
                    continue
                stack.pop()
                if tag == _CELL:
                    in_cell = False
                    cell = parse_cell(element)
                    # Parsed cells leave the tree (pending ones keep their own parts), so
                    # a row of a million cells costs no more memory than a row of ten.
                    del stack[-1][:]
                    column, value = cell["column"], cell["value"]
                    last = column
                    if value is None or value == "":
                        if element.find(FORMULA_TAG) is None or column > max_columns:
                            continue
                        # A formula the file saved no value for (written by a program,
                        # never opened in Excel): named in the rejection, not read as empty.
                        value = ""
                    if column > max_columns:
                        widest = max(widest, column)
                        continue
                    if column > len(values):
                        values.extend([""] * (column - len(values)))
                    formula = element.find(FORMULA_TAG) is not None
                    values[column - 1] = mark(cell_text(value), formula, column, number)
                elif in_cell:
                    continue  # a cell's own parts (<v>, <is>) are read when it ends
                elif tag == _ROW:
                    del stack[-1][:]
                    if number < next_row:
                        continue  # a row out of order: openpyxl skips it too
                    if number > EXCEL_MAX_ROWS:
                        raise UnreadableFile(
                            f"This Excel file has a row numbered {number:,}, past Excel's "
                            f"last row ({EXCEL_MAX_ROWS:,}). {SAVE_AGAIN}"
                        )
                    while next_row < number:
                        next_row += 1
                        yield []
                    next_row += 1
                    del values[last:]  # cells out of order past the last one: as openpyxl
                    while values and not values[-1]:
                        values.pop()
                    if widest and strict:
                        yield too_wide(widest, max_columns)
                    else:
                        yield values
                elif tag == _DATA:
                    return  # nothing after the rows is read
                elif stack:
                    del stack[-1][:]
        except UnreadableFile:
            raise
        except Exception as exc:  # a broken part: XML, zlib, CRC, openpyxl's descriptors
            raise UnreadableFile(
                f"This Excel file cannot be read after row {next_row - 1:,} ({exc})"
            ) from None
        finally:
            source.close()

    def row_estimate(self) -> int | None:
        """The last row the sheet's <dimension> names, capped at Excel's last row: for
        the progress bar only, never to size anything (a file can claim any size)."""
        stack = []
        with self.archive.open(self.sheet) as source:
            try:
                for event, element in iterparse(source, events=("start", "end")):
                    if event == "end":
                        stack.pop()
                        if stack:
                            del stack[-1][:]
                        continue
                    stack.append(element)
                    if element.tag == _DIMENSION:
                        bounds = range_boundaries(element.get("ref") or "")
                        return min(bounds[3] or 0, EXCEL_MAX_ROWS) or None
                    if element.tag == _DATA:
                        return None
            except (ParseError, ValueError, TypeError):
                return None
        return None


def _row_number(value, expected: int) -> int:
    if not value:
        return expected
    try:
        return int(value)
    except ValueError:
        try:
            number = float(value)
        except ValueError:
            number = 0.5
        if not number.is_integer():
            raise UnreadableFile(
                f"This Excel file has a row numbered {value[:20]!r}. {SAVE_AGAIN}"
            ) from None
        return int(number)
