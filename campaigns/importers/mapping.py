"""Column mapping (auto-detected, editable) and the per-row validation shared by the
preview and the import job, so that the preview says exactly what the job will do."""

import json
import re
import zoneinfo
from dataclasses import dataclass
from functools import cache
from json.encoder import encode_basestring
from operator import itemgetter

from django.conf import settings
from phonenumbers.tzdata import TIMEZONE_DATA

from telephony.phone import InvalidNumber, normalize, time_zone_for

NUMBER, NAME, FIRST_NAME, LAST_NAME, TIME_ZONE, REASON, IGNORE = (
    "number",
    "name",
    "first_name",
    "last_name",
    "time_zone",
    "reason",
    "ignore",
)
FIELD_PREFIX = "field:"

_NUMBER_HEADERS = {
    "number",
    "numbers",
    "mobile",
    "mobiles",
    "phone",
    "phones",
    "msisdn",
    "cell",
    "cellphone",
    "contact",
    "contact number",
    "contact no",
    "phone number",
    "phone no",
    "mobile number",
    "mobile no",
    "mobile phone",
    "cell number",
    "cell phone",
    "telephone",
    "telephone number",
    "tel",
    "tel no",
    "whatsapp",
    "whatsapp number",
    "customer number",
    "customer mobile",
    "customer phone",
    "dnd number",
    "e164",
}
_NUMBER_WORDS = ("mobile", "phone", "msisdn", "cell")
_NAME_HEADERS = {"name", "full name", "fullname", "customer name", "contact name", "customer"}
_FIRST_HEADERS = {"first name", "firstname", "given name", "fname"}
_LAST_HEADERS = {"last name", "lastname", "surname", "family name", "lname"}
_TZ_HEADERS = {"time zone", "timezone", "tz", "zone"}
_REASON_HEADERS = {"reason", "remark", "remarks", "comment", "comments", "note", "notes"}


def header_key(header: str) -> str:
    """ "Mobile No." -> "mobile no"; "contact_number" -> "contact number"."""
    return " ".join(re.sub(r"[^0-9a-z]+", " ", header.lower()).split())


def field_name(header: str, index: int = 0) -> str:
    """A safe {field} identifier for a column: "Due Amount" -> "due_amount"."""
    name = re.sub(r"[^0-9a-z]+", "_", header.strip().lower()).strip("_")
    if not name:
        return f"column_{index + 1}"
    if name[0].isdigit():
        name = f"f_{name}"
    return name[:60]


def choices_for(kind: str, column: str, index: int, current: str = "") -> list[tuple[str, str]]:
    """What one column's select offers: the fixed targets, the column's own custom field
    (the one it is mapped to, else one named after its header) and Ignore. Offering every
    column's field in every select made the page grow with the square of the columns."""
    if kind == "dnd":
        return [(NUMBER, "Number"), (NAME, "Name"), (REASON, "Reason"), (IGNORE, "Ignore")]
    own = current if current.startswith(FIELD_PREFIX) else FIELD_PREFIX + field_name(column, index)
    name = own[len(FIELD_PREFIX) :]
    return [
        (NUMBER, "Number"),
        (NAME, "Name"),
        (FIRST_NAME, "First name (joined into Name)"),
        (LAST_NAME, "Last name (joined into Name)"),
        (TIME_ZONE, "Time zone"),
        (own, f"Custom field {{{name}}}"),
        (IGNORE, "Ignore"),
    ]


def auto_map(kind: str, columns: list[str], sample_rows=()) -> dict[str, str]:
    """column index (as a string) -> target. The number column is found by its header,
    else by its values; a contact file's unclaimed columns become custom fields."""
    keys = [header_key(column) for column in columns]
    mapping: dict[str, str] = {}

    def first(predicate):
        return next(
            (i for i, key in enumerate(keys) if str(i) not in mapping and predicate(key)), None
        )

    number = first(lambda k: k in _NUMBER_HEADERS)
    if number is None:
        number = first(lambda k: any(word in k.split() for word in _NUMBER_WORDS))
    if number is None:
        number = _column_of_numbers(len(columns), sample_rows)
    if number is not None:
        mapping[str(number)] = NUMBER
    name = first(lambda k: k in _NAME_HEADERS)
    if name is not None:
        mapping[str(name)] = NAME
    else:
        given, family = first(lambda k: k in _FIRST_HEADERS), first(lambda k: k in _LAST_HEADERS)
        if given is not None:
            mapping[str(given)] = FIRST_NAME if kind != "dnd" else NAME
        if family is not None and kind != "dnd":
            mapping[str(family)] = LAST_NAME
    if kind == "dnd":
        reason = first(lambda k: k in _REASON_HEADERS)
        if reason is not None:
            mapping[str(reason)] = REASON
    else:
        tz = first(lambda k: k in _TZ_HEADERS)
        if tz is not None:
            mapping[str(tz)] = TIME_ZONE
    used = set()
    for index, column in enumerate(columns):
        if str(index) in mapping:
            continue
        if kind == "dnd":
            mapping[str(index)] = IGNORE
            continue
        name = field_name(column, index)
        while name in used:
            name = f"{name}_{index + 1}"
        used.add(name)
        mapping[str(index)] = FIELD_PREFIX + name
    return mapping


def _column_of_numbers(width: int, rows) -> int | None:
    """The column whose sample values are mostly phone numbers (a file without headers)."""
    best, best_hits = None, 0
    for index in range(width):
        hits = 0
        for row in rows:
            value = row[index] if index < len(row) else ""
            try:
                normalize(value, "IN")
                hits += 1
            except InvalidNumber:
                pass
        if hits > best_hits:
            best, best_hits = index, hits
    return best


def looks_like_data(row: list[str]) -> bool:
    """A first row with a phone number in it is data, not a header."""
    for value in row:
        digits = sum(ch.isdigit() for ch in value)
        if digits >= 7:
            try:
                normalize(value, "IN")
                return True
            except InvalidNumber:
                continue
    return False


def mapping_problems(kind: str, mapping: dict[str, str]) -> list[str]:
    targets = list(mapping.values())
    problems = []
    if targets.count(NUMBER) != 1:
        problems.append("Map exactly one column to Number.")
    for single in (NAME, FIRST_NAME, LAST_NAME, TIME_ZONE, REASON):
        if targets.count(single) > 1:
            problems.append(f"Only one column can be {single.replace('_', ' ').capitalize()}.")
    fields = [t for t in targets if t.startswith(FIELD_PREFIX)]
    if len(fields) != len(set(fields)):
        problems.append("Two columns map to the same custom field; rename or ignore one.")
    if kind == "dnd" and fields:
        problems.append("DND entries have no custom fields.")
    return problems


@cache
def _zones() -> frozenset:
    return frozenset(zoneinfo.available_timezones())


@dataclass(frozen=True)
class Row:
    """One validated source row, for the preview: `status` is ok, invalid or empty."""

    status: str
    number: str = ""
    raw: str = ""
    name: str = ""
    fields: dict | None = None
    time_zone: str = ""
    reason: str = ""
    error: str = ""
    note: str = ""


EMPTY = ("empty", "", "", "", "", "", "")
# An invalid row's value and message, as shown and written to the error report, are cut:
# the message quotes the value, which may be a cell of thousands of characters.
MAX_VALUE = 200
MAX_MESSAGE = 300


def _short(message: str, raw: str) -> str:
    if len(message) <= MAX_MESSAGE:
        return message
    return message.replace(raw, raw[:40] + "…")[:MAX_MESSAGE]


@cache
def _constant_zone(digits3: str) -> str | None:
    """The one zone every number starting +<digits3> has (India: Asia/Kolkata), or None
    when it depends on more digits. Saves a cache lookup keyed by 8 digits per row."""
    zones = {
        zones
        for prefix, zones in TIMEZONE_DATA.items()
        if prefix.startswith(digits3) or digits3.startswith(prefix)
    }
    if len(zones) == 1:
        (only,) = zones
        if len(only) == 1:
            return time_zone_for("+" + digits3 + "0" * 12)
    return None


def zone_for(e164: str) -> str:
    zone = _constant_zone(e164[1:4])
    return time_zone_for(e164) if zone is None else zone


class RowParser:
    """Turns a source row (a list of strings) into a tuple the job inserts, or a Row for
    the preview. One code path, so the preview says what the job will do."""

    def __init__(self, kind: str, mapping: dict[str, str], default_region: str):
        self.kind = kind
        self.region = default_region
        self.cell_limit = settings.IMPORT_MAX_CELL_CHARS
        by_target = {}
        fields = []
        for index, target in mapping.items():
            if target.startswith(FIELD_PREFIX):
                fields.append((int(index), target[len(FIELD_PREFIX) :]))
            elif target != IGNORE:
                by_target[target] = int(index)
        self.number = by_target.get(NUMBER, 0)
        self.name = by_target.get(NAME)
        self.first = by_target.get(FIRST_NAME)
        self.last = by_target.get(LAST_NAME)
        self.tz = by_target.get(TIME_ZONE)
        self.reason = by_target.get(REASON)
        self.fields = sorted(fields)
        self.field_names = [name for _, name in self.fields]
        self.field_indexes = [index for index, _ in self.fields]
        # JSON of the custom fields, built from pre-encoded keys (3x faster than dumps).
        self.fields_template = (
            "{" + ", ".join(f"{encode_basestring(name)}: %s" for name in self.field_names) + "}"
        )
        # Rows as wide as every mapped column take the fast path: C-level getters.
        self.field_cells = itemgetter(*self.field_indexes, -1) if self.field_indexes else None
        self.full_width = (
            max(
                [
                    i
                    for i in (self.number, self.name, self.first, self.last, self.tz, self.reason)
                    if i is not None
                ]
                + self.field_indexes
            )
            + 1
        )

    def values(self, row: list[str]) -> tuple:
        """(status, number, raw, name, fields JSON, time zone or reason, error or note)."""
        width = len(row)
        n = self.number
        raw = row[n].strip() if n < width else ""
        if not raw:
            for cell in row:
                if cell.strip():
                    return ("invalid", "", "", "", "", "", "the number is empty")
            return EMPTY
        try:
            number = normalize(raw, self.region)
        except InvalidNumber as exc:
            return ("invalid", "", raw[:MAX_VALUE], "", "", "", _short(str(exc), raw))
        index = self.name
        if index is not None:
            name = row[index].strip() if index < width else ""
        elif self.first is None and self.last is None:
            name = ""
        else:
            get = self._get
            name = " ".join(p for p in (get(row, self.first), get(row, self.last)) if p)
        if self.kind == "dnd":
            return ("ok", number, raw[:64], name[:200], "", self._get(row, self.reason)[:300], "")
        note = ""
        zone = self._get(row, self.tz) if self.tz is not None else ""
        if zone and zone not in _zones():
            note = f"unknown time zone {zone!r}; using the number's"
            zone = ""
        if not zone:
            zone = zone_for(number)
        if self.field_cells is not None and width >= self.full_width:
            cells = self.field_cells(row)[:-1]  # the -1 keeps a 1-field getter a tuple
            fields = self.fields_template % tuple(map(encode_basestring, map(str.strip, cells)))
        elif self.field_indexes:
            fields = self.fields_template % tuple(
                encode_basestring(row[i].strip() if i < width else "") for i in self.field_indexes
            )
        else:
            fields = "{}"
        if len(fields) > self.cell_limit and (problem := self._long_field(row)):
            # Only a row whose fields together pass the limit pays for this check.
            return ("invalid", "", raw[:MAX_VALUE], "", "", "", problem)
        return ("ok", number, raw[:64], name[:200], fields, zone, note)

    def _long_field(self, row) -> str:
        for index, name in self.fields:
            size = len(row[index].strip()) if index < len(row) else 0
            if size > self.cell_limit:
                return (
                    f"the {name} value has {size:,} characters; imports take cells of up to "
                    f"{self.cell_limit:,}"
                )
        return ""

    @staticmethod
    def _get(row, index):
        if index is None or index >= len(row):
            return ""
        return row[index].strip()

    def parse(self, row: list[str]) -> Row:
        status, number, raw, name, fields, extra, message = self.values(row)
        if status == "empty":
            return Row("empty")
        if status == "invalid":
            return Row("invalid", raw=raw, error=message)
        if self.kind == "dnd":
            return Row("ok", number, raw, name, reason=extra)
        return Row("ok", number, raw, name, json.loads(fields), extra, note=message)
