"""Pre-send validation for the Omilia client (and the simulator's own checks): the
formats the seed document states, and the CSV operations file."""

import csv
import enum
import io
import re
from collections.abc import Sequence

from ..base import InvalidRequest

E164 = re.compile(r"^\+[1-9]\d{6,14}$")
# "Locale of the miniApp. Required format: pd-XY." (e.g. en-US, ee-DO)
LOCALE = re.compile(r"^[a-z]{2}-[A-Z]{2}$")
# "Telephone number prefix ... Regex pattern: ^\+?\d*$"
PREFIX = re.compile(r"^\+?\d*$")
COUNTRY = re.compile(r"^[A-Z]{2}$")
NUMBER_FRAGMENT = re.compile(r"^\+?\d+$")
ORDER_BY = ("miniapp", "miniapp-type", "number", "locale", "note", "group", "miniapp-group", "none")
DIRECTIONS = ("ASC", "DESC")
MAX_PAGES = 10_000  # a paging walk never loops forever on a vendor that misreports pages

# GUESS: the columns of "Fetch numbers as CSV" are not documented; we assume one per
# field of a number record. The CSV operations upload is that file plus an
# "operation" column ("create, delete, attach, detach, update", per the seed).
CSV_COLUMNS = [
    "number",
    "country",
    "groupId",
    "miniAppId",
    "miniAppName",
    "miniAppType",
    "locale",
    "note",
    "applicationTag",
    "phoneNumberSetId",
]
CSV_OPERATION_COLUMN = "operation"


class CsvOperation(enum.StrEnum):
    CREATE = "create"
    DELETE = "delete"
    ATTACH = "attach"
    DETACH = "detach"
    UPDATE = "update"


# GUESS: which columns each CSV operation needs (the document does not say).
CSV_REQUIRED = {
    CsvOperation.CREATE: ("number", "groupId"),
    CsvOperation.DELETE: ("number",),
    CsvOperation.ATTACH: ("number", "miniAppId", "locale"),
    CsvOperation.DETACH: ("number",),
    CsvOperation.UPDATE: ("number",),
}


class Checks:
    """Collects field errors; `done()` raises InvalidRequest if there were any."""

    def __init__(self):
        self.errors: dict[str, str] = {}

    def fail(self, name: str, message: str):
        self.errors.setdefault(name, message)

    def required(self, name: str, value) -> bool:
        if value is None or (isinstance(value, str) and not value.strip()):
            self.fail(name, "This field is required.")
            return False
        return True

    def numbers(self, name: str, values, *, required: bool = True):
        if values is None and not required:
            return
        if isinstance(values, str) or not isinstance(values, Sequence):
            self.fail(name, "Give a list of phone numbers.")
            return
        if required and not values:
            self.fail(name, "Give at least one phone number.")
            return
        bad = [str(value) for value in values if not E164.match(str(value))]
        if bad:
            self.fail(name, f"Not E.164 with a leading + (e.g. +12025550123): {', '.join(bad)}")
        if len(set(values)) != len(values):
            self.fail(name, "A phone number is listed twice.")

    def number(self, name: str, value):
        if self.required(name, value) and not E164.match(str(value)):
            self.fail(name, "Not E.164 with a leading + (e.g. +12025550123).")

    def locale(self, name: str, value, *, required: bool):
        if value is None and not required:
            return
        if self.required(name, value) and not LOCALE.match(str(value)):
            self.fail(name, "Use the pd-XY format, e.g. en-US.")

    def country(self, name: str, value, *, required: bool):
        if value is None and not required:
            return
        if self.required(name, value) and not COUNTRY.match(str(value)):
            self.fail(name, "Use a two-letter ISO country code in capitals, e.g. US.")

    def identifier(self, name: str, value):
        if self.required(name, value) and "/" in str(value):
            self.fail(name, "Must not contain '/'.")

    def paging(self, page, page_size, order_by, direction):
        if not isinstance(page, int) or isinstance(page, bool) or page < 1:
            self.fail("page", "Pages start from 1.")
        if not isinstance(page_size, int) or isinstance(page_size, bool) or page_size < 1:
            self.fail("page_size", "The page size starts from 1.")
        if order_by is not None and order_by not in ORDER_BY:
            self.fail("order_by", f"Order by one of {', '.join(ORDER_BY)}.")
        if direction is not None and direction not in DIRECTIONS:
            self.fail("direction", "Use ASC or DESC.")

    def done(self):
        if self.errors:
            raise InvalidRequest(self.errors)


def drop_none(body: dict) -> dict:
    return {key: value for key, value in body.items() if value is not None}


def validate_csv_text(text: str) -> list[dict]:
    """Parse and check a CSV operations file; returns its rows or raises InvalidRequest."""
    reader = csv.DictReader(io.StringIO(text))
    header = reader.fieldnames or []
    missing = [name for name in ("number", CSV_OPERATION_COLUMN) if name not in header]
    if missing:
        raise InvalidRequest({"csv": f"The header lacks the column(s): {', '.join(missing)}."})
    rows = list(reader)
    if not rows:
        raise InvalidRequest({"csv": "The file has no rows."})
    problems = []
    for line, row in enumerate(rows, start=2):
        op = (row.get(CSV_OPERATION_COLUMN) or "").strip().lower()
        if op not in CsvOperation.__members__.values():
            problems.append(f"line {line}: unknown operation {op!r}")
            continue
        empty = [name for name in CSV_REQUIRED[CsvOperation(op)] if not (row.get(name) or "")]
        if empty:
            problems.append(f"line {line}: {op} needs {', '.join(empty)}")
        number = (row.get("number") or "").strip()
        if number and not E164.match(number):
            problems.append(f"line {line}: {number} is not E.164")
        locale = (row.get("locale") or "").strip()
        if locale and not LOCALE.match(locale):
            problems.append(f"line {line}: locale {locale} is not pd-XY")
    if problems:
        raise InvalidRequest({"csv": "; ".join(problems)})
    return rows
