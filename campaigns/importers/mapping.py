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

from telephony.phone import InvalidNumber, fast_path, normalize, time_zone_for

from .cells import TypedCell, not_a_number

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


def auto_map(kind: str, columns: list[str], sample_rows=(), region: str = "IN") -> dict[str, str]:
    """column index (as a string) -> target (explain_map gives the reasons too)."""
    return explain_map(kind, columns, sample_rows, region)[0]


def explain_map(
    kind: str, columns: list[str], sample_rows=(), region: str = "IN", has_header: bool = True
) -> tuple[dict[str, str], dict[str, str]]:
    """(mapping, why): the number column is the one whose sample values most often parse
    as phone numbers (its header only breaks ties, or decides when no value parses); the
    name column is named so in the header and holds words, or, in a file without a
    header, the column whose values are most often names. A contact file's unclaimed
    columns become custom fields. `why` says, per column index, why it was chosen
    ("18 of 20 values are phone numbers"). Choosing by header first picked the wrong
    number column in 3 files of 10 (a "Contact" column of names, an "Alt mobile" of
    blanks), and the wrong name column in 4."""
    keys = [header_key(column) for column in columns] if has_header else [""] * len(columns)
    rows = [row for row in sample_rows if isinstance(row, list) and any(c.strip() for c in row)]
    width = len(columns)
    mapping: dict[str, str] = {}
    why: dict[str, str] = {}

    def first(predicate):
        return next(
            (i for i, key in enumerate(keys) if str(i) not in mapping and predicate(key)), None
        )

    def values(index):
        return [row[index].strip() for row in rows if index < len(row) and row[index].strip()]

    numbers = [_number_hits(values(i), region) for i in range(width)]
    named = [
        2 if key in _NUMBER_HEADERS else 1 if any(w in key.split() for w in _NUMBER_WORDS) else 0
        for key in keys
    ]
    number = None
    if any(numbers):
        number = max(range(width), key=lambda i: (numbers[i], named[i], -i))
        shown = values(number)
        why[str(number)] = f"{numbers[number]} of {len(shown)} values are phone numbers"
    elif any(named):
        number = max(range(width), key=lambda i: (named[i], -i))
        why[str(number)] = f"its header {columns[number]!r} names a phone number"
    if number is not None:
        mapping[str(number)] = NUMBER

    words = [_name_hits(values(i)) if str(i) not in mapping else 0 for i in range(width)]

    def wordy(index) -> bool:
        # A column headed "Name" is the name unless it holds numbers ("N12" is a name).
        shown = values(index)
        return sum(map(numberish, shown)) * 2 <= len(shown)

    name = first(lambda k: k in _NAME_HEADERS or _names_a_name(k))
    if name is not None and wordy(name):
        mapping[str(name)] = NAME
        why[str(name)] = f"its header {columns[name]!r} names a name"
    else:
        given = first(lambda k: k in _FIRST_HEADERS)
        family = first(lambda k: k in _LAST_HEADERS)
        if given is not None:
            mapping[str(given)] = FIRST_NAME if kind != "dnd" else NAME
            why[str(given)] = f"its header {columns[given]!r} names a first name"
        if family is not None and kind != "dnd":
            mapping[str(family)] = LAST_NAME
            why[str(family)] = f"its header {columns[family]!r} names a last name"
        if given is None and family is None and not has_header and any(words):
            best = max(range(width), key=lambda i: (words[i], -i))
            shown = values(best)
            if words[best] * 2 > len(shown):
                mapping[str(best)] = NAME
                why[str(best)] = f"{words[best]} of {len(shown)} values are names"
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
    return mapping, why


_NOT_A_PERSON = {"company", "business", "firm", "file", "user", "username", "father", "mother"}
_NAME_VALUE = re.compile(r"^[^\W\d_][^\d@/\\:=]*$")


def _names_a_name(key: str) -> bool:
    """ "Customer Name", "Name of customer", "Contact person": not "Company name"."""
    parts = key.split()
    if "name" not in parts and "person" not in parts:
        return False
    return not (_NOT_A_PERSON & set(parts)) and not (_FIRST_HEADERS | _LAST_HEADERS) & {key}


def _name_hits(values) -> int:
    """How many values read as a person's name: letters (of any script) and spaces,
    no digits, no @ or slashes."""
    return sum(1 for value in values if _NAME_VALUE.match(value))


def _number_hits(values, region: str) -> int:
    hits = 0
    for value in values:
        if sum(ch.isdigit() for ch in value) < 7:
            continue
        try:
            normalize(value, region)
            hits += 1
        except InvalidNumber:
            pass
    return hits


_HEADER_WORDS = (
    {"name", "number", "phone", "mobile", "email", "city", "state", "country", "address"}
    | set(_NUMBER_WORDS)
    | {"first", "last", "surname", "reason", "remarks", "zone", "tz", "id", "amount", "due"}
)


def looks_like_header(row: list[str]) -> bool:
    """A cell of the row is a header word ("Mobile No.", "Customer Name", "City")."""
    return any(
        header_key(cell) in _NUMBER_HEADERS | _NAME_HEADERS
        or set(header_key(cell).split()) & _HEADER_WORDS
        for cell in row
    )


def numberish(value: str) -> bool:
    """A cell that is a phone number or tried to be one: 7+ digits, mostly digits."""
    digits = sum(ch.isdigit() for ch in value)
    return digits >= 7 and digits * 2 >= len(value.replace(" ", ""))


# What a spreadsheet holds where a value is missing: data, never a header.
_PLACEHOLDERS = {"", "n a", "na", "null", "none", "nil", "nan", "not available", "unknown"}


def looks_like_data(row: list[str], following=()) -> bool:
    """Whether the table's first row is data, not a header: it has a cell that is a
    phone number, or tried to be one ("98765-432", "+091…": a headerless file whose
    first row is invalid is still data). Failing that, it is a header when a cell is a
    header word; else data when, in a column where the rows after it hold numbers, it
    holds digits too."""
    if any(numberish(cell) for cell in row):
        return True
    if looks_like_header(row):
        return False
    rows = [r for r in following if isinstance(r, list)]
    for index, cell in enumerate(row):
        below = [r[index] for r in rows if index < len(r) and r[index].strip()]
        if not below:
            continue
        if sum(map(numberish, below)) * 2 > len(below):
            # Over a column of numbers a header names it; an empty cell or digits there
            # are a row whose number is missing or wrong.
            blank = header_key(cell) in _PLACEHOLDERS or cell.strip() in ("-", "--")
            if blank or sum(ch.isdigit() for ch in cell) >= 3:
                return True
        elif any(map(str.isdigit, cell)):
            # Over a column of codes or amounts, a header cell holds no digits.
            coded = sum(1 for value in below if any(map(str.isdigit, value)))
            if coded * 2 > len(below):
                return True
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
        self.values = self._hot_values()

    def _hot_values(self):
        """`values`, for a big import's hot loop: a closure over this mapping, taking the
        common row (as wide as the mapping, a text number cell that telephony.phone's
        fast_path reads, no first/last name or time zone column) with no attribute
        lookups, and handing any other row to `_values`, which says the same for it."""
        slow = self._values
        fast = fast_path(self.region)
        if fast is None or self.first is not None or self.last is not None or self.tz is not None:
            return slow
        n, name_at, reason_at, full_width = self.number, self.name, self.reason, self.full_width
        field_cells, template, limit = self.field_cells, self.fields_template, self.cell_limit
        encode, strip = encode_basestring, str.strip
        dnd = self.kind == "dnd"

        def values(row: list[str]) -> tuple:
            if len(row) < full_width:
                return slow(row)
            cell = row[n]
            if cell.__class__ is not str:
                return slow(row)
            raw = cell.strip()
            number = fast(raw)
            if number is None:
                return slow(row)
            name = row[name_at].strip()[:200] if name_at is not None else ""
            if dnd:
                reason = row[reason_at].strip()[:300] if reason_at is not None else ""
                return ("ok", number, raw[:64], name, "", reason, "")
            if field_cells is None:
                fields = "{}"
            else:
                fields = template % tuple(map(encode, map(strip, field_cells(row)[:-1])))
                if len(fields) > limit:
                    return slow(row)
            return ("ok", number, raw[:64], name, fields, zone_for(number), "")

        return values

    def _values(self, row: list[str]) -> tuple:
        """(status, number, raw, name, fields JSON, time zone or reason, error or note)."""
        width = len(row)
        n = self.number
        raw = row[n].strip() if n < width else ""
        if n < width and row[n].__class__ is TypedCell:
            # A date, time, TRUE/FALSE or formula: its text only looks like digits.
            return ("invalid", "", raw[:MAX_VALUE], "", "", "", not_a_number(row[n], n))
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
