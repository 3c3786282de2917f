"""An unbalanced quote in a CSV, found and recovered from instead of swallowing the file.

A row such as `Ravi,"9876543210,Pune` opens a quoted field that no quote closes: the csv
module then reads every following line into that one cell, to the end of the file or to
the next quote, and the import saw three rows where the file had three thousand.

`unswallowed` wraps the rows a CSV reader yields. A cell that holds line breaks is a
swallow when a line inside it reads as a row of its own (it holds a phone number);
otherwise it is a genuine multi-line cell (an address) and passes untouched. For a
swallow it yields, in the rows' places:
- the row that opened the quote, as an invalid row saying why (its cells cannot be
  trusted: where the quote should have closed is unknown);
- each swallowed line, read again as its own row (it held no quote, or the swallow would
  have ended there);
- the line where a later quote ended the swallow, as an invalid row too: that quote was
  taken as the closing one, so its own quoting is off and its cells may be shifted.
So every line of the file is still one row, with its right row number, and nothing is
dropped without a word. Only a row with a line break in a cell pays for the check."""

import csv
import re
from contextlib import suppress

from .reading import TooBig

# A cell that is a phone number or tried to be one (7+ digits, little else).
_PHONE_LIKE = re.compile(r"\s*\+?[\d\s().\-/]{7,}\s*")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
CHECKED_LINES = 50


def _reported(problem: str, hint: str) -> TooBig:
    row = TooBig(problem, hint)
    # Not a size limit: the upload goes on and the job reports the row. (A TooBig without
    # `fatal` makes the upload refuse the file instead, naming the row: also clear.)
    with suppress(AttributeError):
        row.fatal = False
    return row


def unbalanced_quote() -> TooBig:
    return _reported(
        'opens a quote (") that is never closed, so the lines after it were read as one '
        "cell; it was skipped and the lines after it were read on their own",
        "Fix the quote in that row (or remove it) and import that row again.",
    )


def closing_quote(lines_above: int) -> TooBig:
    return _reported(
        f"holds the quote that closed the unbalanced one {lines_above} rows above, so "
        "its cells may be shifted; it was skipped",
        "Check the quotes in this row and import it again.",
    )


def _swallowed(lines: list[str], delimiter: str) -> bool:
    for line in lines[1 : 1 + CHECKED_LINES]:
        for cell in line.split(delimiter):
            if _PHONE_LIKE.fullmatch(cell) and sum(ch.isdigit() for ch in cell) >= 7:
                return True
    return False


def unswallowed(rows, delimiter: str = ","):
    """The rows, with any swallow undone (see the module docstring)."""
    rows = iter(rows)
    row = next(rows, None)
    while row is not None:
        joined = "".join(row) if row.__class__ is list else ""
        if "\n" not in joined and "\r" not in joined:
            yield row
            row = next(rows, None)
            continue
        following = next(rows, None)
        at = next(i for i, cell in enumerate(row) if "\n" in cell or "\r" in cell)
        cell, after = row[at], row[at + 1 :]
        to_the_end = following is None and not after
        lines = _LINE_BREAK.split(cell)
        # A quoted cell that holds the file's last line break was never closed.
        if _swallowed(lines, delimiter) or (to_the_end and cell[-1:] in "\r\n"):
            if to_the_end and lines[-1] == "":
                lines.pop()  # the file's last line break
            yield unbalanced_quote()
            middle = lines[1:] if to_the_end else lines[1:-1]
            for line in middle:
                yield next(csv.reader([line], delimiter=delimiter), [])
            if not to_the_end:
                # The swallow ended at a later quote: that line's quoting is off.
                yield closing_quote(len(lines) - 1)
        else:
            yield row  # a genuine multi-line cell
        row = following
