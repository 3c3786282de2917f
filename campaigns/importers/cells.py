"""What a spreadsheet cell held, when it was not plain text: the contract between reading
(reading.cell_text, xlsx.py) and validation (mapping.RowParser).

Readers give rows as lists of strings. A cell that was a date, a time, a boolean or a
formula comes as a TypedCell: still a str (every consumer of rows keeps working, and
name or custom-field columns keep its text), but with a `kind` that the number column
refuses. A date cell 1990-05-17 is a birthday, not +9119900517.

Any str method (strip, slicing) returns a plain str, so a check must look at the cell as
the reader gave it; `kind_of` does that, and costs one class check for a plain str."""

from openpyxl.xml.constants import SHEET_MAIN_NS

DATE, TIME, BOOL, FORMULA = "date", "time", "bool", "formula"
FORMULA_TAG = f"{{{SHEET_MAIN_NS}}}f"  # a <c> with an <f> child holds a formula

_WHAT = {DATE: "a date", TIME: "a time", BOOL: "a TRUE/FALSE value", FORMULA: "a formula"}


class TypedCell(str):
    """A cell's text with the kind of value it held and, when known, its address ("B7")."""

    kind = ""
    ref = ""

    def __new__(cls, text: str, kind: str, ref: str = ""):
        cell = super().__new__(cls, text)
        cell.kind = kind
        if ref:
            cell.ref = ref
        return cell

    def __reduce__(self):  # survives pickling (the import's reader process)
        return (TypedCell, (str(self), self.kind, self.ref))

    def what(self) -> str:
        """ "a date (1990-05-17)" """
        shown = str(self).removesuffix("T00:00:00")[:40]
        if not shown:
            return f"{_WHAT.get(self.kind, self.kind)} with no saved value"
        return f"{_WHAT.get(self.kind, self.kind)} ({shown})"


def mark(text: str, formula: bool, column: int, row: int) -> str:
    """An .xlsx cell's text (from reading.cell_text) as the reader yields it: a formula
    marked so, and a typed cell given its address. `column` counts from 1."""
    if formula:
        text = TypedCell(text, FORMULA)
    elif text.__class__ is not TypedCell:
        return text
    text.ref = f"{column_letter(column - 1)}{row}"
    return text


def kind_of(cell) -> str:
    return cell.kind if cell.__class__ is TypedCell else ""


def column_letter(index: int) -> str:
    """0 -> "A", 27 -> "AB"."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def not_a_number(cell: TypedCell, column: int, row: int = 0) -> str:
    """The reason a typed cell in the number column is refused, naming the cell."""
    where = cell.ref or (
        f"{column_letter(column)}{row}" if row else f"column {column_letter(column)}"
    )
    return f"{where} holds {cell.what()}, not a phone number"


def encode_kinds(rows) -> list:
    """[[row index, column index, kind, ref], …] of the typed cells in `rows`: kept beside
    a stored sample (JSON keeps only the text) so the preview refuses what the job does."""
    return [
        [r, c, cell.kind, cell.ref]
        for r, row in enumerate(rows)
        for c, cell in enumerate(row)
        if cell.__class__ is TypedCell
    ]


def apply_kinds(rows: list, kinds) -> list:
    """The stored sample's rows with their typed cells restored (see encode_kinds)."""
    rows = list(rows)
    for r, c, kind, ref in kinds or ():
        if r < len(rows) and isinstance(rows[r], list) and c < len(rows[r]):
            rows[r] = list(rows[r])
            rows[r][c] = TypedCell(rows[r][c], kind, ref)
    return rows
