"""Hostile upload files, built by hand in memory (for tests/campaigns/test_upload_limits.py
and bench/upload_limits.py): minimal .xlsx zips whose parts say what a test needs, and
CSVs too wide or with a field too long."""

import io
import zipfile
from xml.sax.saxutils import escape

from openpyxl.utils import get_column_letter

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
DOC_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
SHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
BOOK_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
SST_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
RELS_TYPE = "application/vnd.openxmlformats-package.relationships+xml"
STYLES_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    f'<Default Extension="rels" ContentType="{RELS_TYPE}"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    f'<Override PartName="/xl/workbook.xml" ContentType="{BOOK_TYPE}"/>'
    f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{SHEET_TYPE}"/>'
    f'<Override PartName="/xl/sharedStrings.xml" ContentType="{SST_TYPE}"/>'
    f'<Override PartName="/xl/styles.xml" ContentType="{STYLES_TYPE}"/>'
    "</Types>"
)
ROOT_RELS = (
    f'<Relationships xmlns="{PKG_RELS}"><Relationship Id="rId1" '
    f'Type="{DOC_RELS}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
WORKBOOK = (
    f'<workbook xmlns="{MAIN}" xmlns:r="{DOC_RELS}"><sheets>'
    '<sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    f'<Relationships xmlns="{PKG_RELS}">'
    f'<Relationship Id="rId1" Type="{DOC_RELS}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{DOC_RELS}/sharedStrings" Target="sharedStrings.xml"/>'
    f'<Relationship Id="rId3" Type="{DOC_RELS}/styles" Target="styles.xml"/>'
    "</Relationships>"
)
# Cell style 1 shows a date (built-in number format 14), as Excel writes a date cell.
STYLES = (
    f'<styleSheet xmlns="{MAIN}"><fonts count="1"><font><sz val="11"/></font></fonts>'
    '<fills count="1"><fill><patternFill/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/>'
    "</cellStyles></styleSheet>"
)


def sheet_xml(rows_xml: str, dimension: str | None = None) -> str:
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    return f'<worksheet xmlns="{MAIN}">{dim}<sheetData>{rows_xml}</sheetData></worksheet>'


def strings_xml(strings) -> str:
    items = "".join(f"<si><t>{escape(text)}</t></si>" for text in strings)
    return f'<sst xmlns="{MAIN}">{items}</sst>'


def rows_xml(rows) -> tuple[str, list[str]]:
    """<row> elements for `rows` (strings go to the shared strings, numbers inline, None
    is no cell), and the shared strings they use."""
    shared, index, out = [], {}, []
    for number, row in enumerate(rows, 1):
        cells = []
        for column, value in enumerate(row, 1):
            ref = f"{get_column_letter(column)}{number}"
            if value is None:
                continue
            if isinstance(value, str):
                if value not in index:
                    index[value] = len(shared)
                    shared.append(value)
                cells.append(f'<c r="{ref}" t="s"><v>{index[value]}</v></c>')
            else:
                cells.append(f'<c r="{ref}"><v>{value}</v></c>')
        out.append(f'<row r="{number}">{"".join(cells)}</row>')
    return "".join(out), shared


def xlsx(rows=(), *, dimension=None, sheet=None, strings=None, parts=None) -> bytes:
    """A minimal workbook: `rows` (or a whole `sheet` XML), its shared strings (or a whole
    `strings` XML), and any `parts` added or replaced (name -> text or bytes)."""
    body, shared = rows_xml(rows)
    files = {
        "[Content_Types].xml": CONTENT_TYPES,
        "_rels/.rels": ROOT_RELS,
        "xl/workbook.xml": WORKBOOK,
        "xl/_rels/workbook.xml.rels": WORKBOOK_RELS,
        "xl/styles.xml": STYLES,
        "xl/worksheets/sheet1.xml": sheet if sheet is not None else sheet_xml(body, dimension),
        "xl/sharedStrings.xml": strings if strings is not None else strings_xml(shared),
    }
    files.update(parts or {})
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, content in files.items():
            archive.writestr(name, content.encode() if isinstance(content, str) else content)
    return out.getvalue()


def declared_dimension_xlsx(dimension: str) -> bytes:
    """Two real columns and three rows, in a sheet that declares `dimension`."""
    rows = [["Phone", "Name"], [9876543210, "Asha"], [9876543211, "Ravi"]]
    return xlsx(rows, dimension=dimension)


def wide_xlsx(columns: int) -> bytes:
    """A header and a data row, both `columns` wide, with real cells."""
    header = ["Phone"] + [f"c{i}" for i in range(2, columns + 1)]
    data = [9876543210] + list(range(2, columns + 1))
    return xlsx([header, data])


def big_cell_xlsx(size: int) -> bytes:
    """One shared string of `size` characters (row 2's note): ~1 KB zipped per MB."""
    body, _ = rows_xml([["Phone", "Note"], [9876543210, "x"]])
    strings = f'<sst xmlns="{MAIN}"><si><t>Phone</t></si><si><t>Note</t></si><si><t>'
    strings += "a" * size + "</t></si></sst>"
    return xlsx(sheet=sheet_xml(body), strings=strings)


def many_strings_xlsx(count: int) -> bytes:
    """A shared strings table of `count` one-letter strings (a few dozen KB zipped)."""
    body, _ = rows_xml([["Phone"], [9876543210]])
    strings = f'<sst xmlns="{MAIN}" count="{count}" uniqueCount="{count}">'
    strings += "<si><t>Phone</t></si>" + "<si><t>a</t></si>" * (count - 1) + "</sst>"
    return xlsx(sheet=sheet_xml(body), strings=strings)


def wide_csv(columns: int) -> bytes:
    header = ",".join(["phone"] + [f"c{i}" for i in range(2, columns + 1)])
    row = ",".join(["9876543210"] + ["1"] * (columns - 1))
    return f"{header}\n{row}\n".encode()


def long_field_csv(size: int, row: int = 2, rows: int = 3) -> bytes:
    """number,note with a note of `size` characters on row `row` (the header is row 1)."""
    lines = ["number,note"]
    for number in range(2, rows + 2):
        note = "n" * size if number == row else "ok"
        lines.append(f"98765{number:05d},{note}")
    return ("\n".join(lines) + "\n").encode()
