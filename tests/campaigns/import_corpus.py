"""A seeded corpus of messy contact and DND files, each with what every row must become
(issue 14). `corpus_file(seed, index)` is one file; `generate(seed, count)` the corpus.

Each file crosses the classes of the issue: encodings (UTF-8 with and without BOM,
UTF-16 and UTF-32 with and without BOM, Windows-1252, Shift-JIS, and UTF-8 with one
Windows-1252 row) × delimiters (comma, semicolon, tab, pipe) × line endings (LF, CRLF,
CR) × header shapes (a header; none; titles and blank lines above it; Excel's "sep=";
more than 20 blank lines; no header and an invalid first row) × number formats (national,
+91 with spaces or dashes, trunk 0, 91 prefix, 0091, a 10-digit mobile beginning with
91, and the invalid ones: +091, 00091, +0, too short, letters, empty) × XLSX layouts
(first sheet, data on the second sheet, titles above the table, numbers as numeric
cells, a date cell in the number column). Names carry accents, Japanese and Devanagari
where the encoding can hold them, and now and then a control character that the import
must remove. Rows repeat (duplicates), and blank lines sit among them (empty rows).

The expectation is the generator's own: it writes each row from a known number, so it
knows the E.164 number (or the rejection), the name and the custom fields, without
asking the code under test. Validity of the chosen numbers comes from phonenumbers."""

import csv
import io
import random
from dataclasses import dataclass, field

import phonenumbers

from campaigns.importers.mapping import field_name

SEED = 14
COUNT = 520

ENCODINGS = [
    "utf-8",
    "utf-8-sig",
    "utf-16",
    "utf-16-le",
    "utf-16-be",
    "utf-32",
    "cp1252",
    "shift_jis",
    "utf-8+cp1252-row",
]
DELIMITERS = [",", ";", "\t", "|"]
NEWLINES = ["\n", "\r\n", "\r"]
SHAPES = ["header", "none", "title", "sep", "blanks", "invalid-first"]
LAYOUTS = ["first", "second-sheet", "title", "numeric-cells", "date-cell"]

ASCII_NAMES = ["Asha Rao", "Ravi Kumar", "Priya Nair", "Imran Khan", "Meera Iyer", "Sunil Das"]
LATIN_NAMES = ["José Núñez", "Zoë Müller", "Renée Côté", "Søren Ågård", "Françoise Lefèvre"]
JAPANESE_NAMES = ["山田太郎", "佐藤花子", "鈴木一郎", "高橋美咲", "田中健"]
INDIAN_NAMES = ["अमित शर्मा", "প্রিয়া দাস", "சுரேஷ் குமார்"]
CITIES = ["Pune", "Navi Mumbai", "Mumbai, MH", "Chennai; TN", "Delhi | NCR", 'Goa "North"']
PLANS = ["gold", "silver", "basic", ""]
REASONS = ["Asked not to be called", "Complaint", "Wrong number", ""]

NUMBER_HEADERS = ["Mobile", "Phone", "Mobile No.", "Contact Number", "MSISDN", "phone_number"]
NAME_HEADERS = ["Name", "Customer Name", "Full Name", "NAME", "Contact Name"]
FIELD_HEADERS = [("City", CITIES), ("Plan", PLANS)]

# (how a valid national number is written, as a function of its 10 digits)
VALID_FORMATS = [
    lambda n: n,
    lambda n: f"+91 {n[:5]} {n[5:]}",
    lambda n: f"0{n}",
    lambda n: f"91{n}",
    lambda n: f"+91-{n[:5]}-{n[5:]}",
    lambda n: f"0091{n}",
    lambda n: f"(+91) {n[:5]} {n[5:]}",
    lambda n: f" {n} ",
]
# (how an invalid value is written, a piece of the reason it must be refused with)
INVALID_FORMATS = [
    (lambda n: f"+091{n}", "starts with 0"),
    (lambda n: f"00091{n}", "starts with 0"),
    (lambda n: f"+0{n}", "starts with 0"),
    (lambda n: n[:5], "too short"),
    (lambda n: "N/A", "not digits"),
    (lambda n: f"{n[:5]}-{n[5:8]}", ""),
]
CONTROLS = ["\x00", "\x1b", "\x07", "\x0b"]
QUOTE_MARK = "\ue000"  # written as a lone '"' opening the cell, after csv quoting


@dataclass
class Expected:
    """What one data row must become: ok (number, name, fields or reason), invalid
    (reason holds a piece of the message, or is empty), duplicate, or empty."""

    row: int
    outcome: str
    number: str = ""
    name: str = ""
    fields: dict = field(default_factory=dict)
    reason: str = ""


@dataclass
class CorpusFile:
    name: str
    kind: str  # contacts, dnd
    data: bytes
    rows: list
    traits: dict
    refused: str = ""  # a piece of the upload's refusal, for a file that must be refused

    def __str__(self):
        return self.name


def generate(seed: int = SEED, count: int = COUNT) -> list[CorpusFile]:
    return [corpus_file(seed, index) for index in range(count)]


def corpus_file(seed: int, index: int) -> CorpusFile:
    rng = random.Random(seed * 1_000_003 + index)
    xlsx = index % 5 == 4
    kind = "dnd" if index % 7 == 3 else "contacts"
    traits = {"kind": kind, "format": "xlsx" if xlsx else "csv"}
    if xlsx:
        traits["layout"] = LAYOUTS[(index // 5) % len(LAYOUTS)]
        traits["shape"] = ["header", "none", "title"][(index // 25) % 3]
        if traits["layout"] == "title":
            traits["shape"] = "title"
    else:
        traits["encoding"] = ENCODINGS[index % len(ENCODINGS)]
        traits["delimiter"] = DELIMITERS[(index // 2) % len(DELIMITERS)]
        traits["newline"] = NEWLINES[(index // 3) % len(NEWLINES)]
        traits["shape"] = SHAPES[(index // 4) % len(SHAPES)]
        if index % 13 == 6 and traits["encoding"] != "utf-8+cp1252-row":
            traits["quote"] = "unbalanced"
        if index % 50 == 17:
            return _wide(index, traits)
    return _build(rng, index, traits)


def _wide(index: int, traits: dict) -> CorpusFile:
    """Wider than IMPORT_MAX_COLUMNS (200 by default): refused at upload, saying so."""
    traits["shape"] = "wide"
    header = ["Mobile", "Name"] + [f"Extra {i}" for i in range(1, 300)]
    rows = [header] + [[f"98765432{i:02d}", "Asha Rao"] + ["x"] * 299 for i in range(5)]
    delimiter, newline = traits["delimiter"], traits["newline"]
    text = newline.join(delimiter.join(row) for row in rows) + newline
    encoding = traits["encoding"].split("+")[0]
    name = f"corpus-{index:03d}-wide.csv"
    return CorpusFile(name, "contacts", text.encode(encoding), [], traits, refused="columns")


def _valid_national(rng: random.Random, used: set, start: str = "") -> str:
    while True:
        digits = start or rng.choice("6789")
        digits += "".join(rng.choice("0123456789") for _ in range(10 - len(digits)))
        parsed = phonenumbers.parse("+91" + digits)
        if digits not in used and phonenumbers.is_valid_number(parsed):
            used.add(digits)
            return digits


def _names_for(traits, rng) -> list[str]:
    encoding = traits.get("encoding", "utf-8")
    if encoding == "cp1252":
        pool = ASCII_NAMES + LATIN_NAMES
    elif encoding == "shift_jis":
        pool = ASCII_NAMES + JAPANESE_NAMES * 2
    else:
        pool = ASCII_NAMES + LATIN_NAMES + JAPANESE_NAMES + INDIAN_NAMES
    return pool


def _build(rng: random.Random, index: int, traits: dict) -> CorpusFile:
    kind, shape, xlsx = traits["kind"], traits["shape"], traits["format"] == "xlsx"
    encoding = traits.get("encoding", "")
    headerless = shape in ("none", "invalid-first")
    names = _names_for(traits, rng)

    # Columns: number, name, then custom fields (contacts) or a reason (DND); in a
    # random order when there is a header (a file without one keeps the number before
    # the name, the order people write them in, so "which is the name" has one answer).
    columns = ["number", "name"]
    if kind == "contacts":
        if headerless:
            columns.append("code")  # values no name has: "GOLD-12"
        else:
            columns += [h for h, _ in rng.sample(FIELD_HEADERS, rng.randint(0, 2))]
    elif not headerless:
        columns.append("reason")
    if not headerless:
        rng.shuffle(columns)
    headers = {
        "number": rng.choice(NUMBER_HEADERS),
        "name": rng.choice(NAME_HEADERS),
        "reason": rng.choice(["Reason", "Remarks"]),
    }

    cities = CITIES
    if traits.get("quote"):
        cities = ["Pune", "Navi Mumbai", "Thane"]  # no other quote in the file
    used: set = set()
    records, seen = [], {}
    count = rng.randint(6, 18)
    japanese_left = 3 if encoding == "shift_jis" else 0
    for i in range(count):
        record = {"name": rng.choice(names), "fields": {}}
        if japanese_left:
            record["name"] = JAPANESE_NAMES[japanese_left]
            japanese_left -= 1
        if i == 0 and encoding == "utf-8+cp1252-row":
            record["name"] = rng.choice(LATIN_NAMES + JAPANESE_NAMES)  # UTF-8 text
        roll = rng.random()
        if i == 0 and shape == "invalid-first":
            record["raw"], record["reason"] = (
                rng.choice(INVALID_FORMATS[:4])[0](_valid_national(rng, used)),
                "",
            )
            record["outcome"] = "invalid"
        elif roll < 0.12 and seen:
            first_digits = rng.choice(list(seen))
            record["raw"] = rng.choice(VALID_FORMATS)(first_digits)
            record["outcome"], record["number"] = "duplicate", "+91" + first_digits
        elif roll < 0.24:
            make, reason = rng.choice(INVALID_FORMATS)
            record["raw"], record["reason"], record["outcome"] = (
                make(_valid_national(rng, used)),
                reason,
                "invalid",
            )
        elif roll < 0.28:
            record["raw"], record["outcome"], record["reason"] = "", "invalid", "empty"
        else:
            digits = _valid_national(rng, used, "91" if roll > 0.9 else "")
            record["raw"] = rng.choice(VALID_FORMATS)(digits)
            record["outcome"], record["number"] = "ok", "+91" + digits
            seen[digits] = True
        for column in columns:
            if column == "City":
                record["fields"]["City"] = rng.choice(cities)
            elif column == "Plan":
                record["fields"]["Plan"] = rng.choice(PLANS)
            elif column == "code":
                record["fields"]["code"] = f"GOLD-{rng.randint(1, 99)}"
            elif column == "reason":
                record["reason_text"] = rng.choice(REASONS)
        records.append(record)

    # Now and then a control character in a name, which the import must remove.
    if not xlsx and rng.random() < 0.3:
        record = rng.choice(records)
        cut = rng.randint(1, len(record["name"]) - 1)
        record["raw_name"] = record["name"][:cut] + rng.choice(CONTROLS) + record["name"][cut:]

    def spoil(position: int, reason: str):
        record = records[position]
        record.pop("raw_name", None)
        was_first = record["outcome"] == "ok"
        record["outcome"], record["reason"] = "invalid", reason
        # A later duplicate of this row's number is no duplicate any more.
        for later in records[position + 1 :] if was_first else ():
            if later["outcome"] == "duplicate" and later["number"] == record.get("number"):
                later["outcome"] = "ok"
                break
        return record

    # A utf-8 file with one row written in Windows-1252: that row is reported.
    bad_row = None
    if encoding == "utf-8+cp1252-row":
        bad_row = rng.randint(1, count - 1)
        spoil(bad_row, "not UTF-8 text")["name"] = rng.choice(LATIN_NAMES)
    # A name that opens a quote no quote closes: that row is reported, the rest read.
    if traits.get("quote"):
        position = rng.randint(1, count - 2)
        spoil(position, "never closed")["quote"] = True
        # The line after it holds a plain number: that is how the swallow is seen.
        following = records[position + 1]
        if following["outcome"] == "ok":
            following["raw"] = following["number"][3:]
        else:
            digits = _valid_national(rng, used)
            following.update(raw=digits, number="+91" + digits, outcome="ok", reason="")
    # A blank line among the rows is an empty row.
    blank_at = rng.randint(1, count - 1) if rng.random() < 0.3 else None

    # Lay the table out.
    header = [headers.get(c, c) for c in columns]
    table = [] if headerless else [header]
    expected_rows = []
    cells_of = []
    for i, record in enumerate(records):
        if i == blank_at:
            table.append(None)
        row = []
        for column in columns:
            if column == "number":
                row.append(record["raw"])
            elif column == "name" and record.get("quote"):
                row.append(QUOTE_MARK + record["name"])
            elif column == "name":
                row.append(record.get("raw_name", record["name"]))
            elif column == "reason":
                row.append(record.get("reason_text", ""))
            else:
                row.append(record["fields"][column])
        table.append(row)
        cells_of.append((record, row))

    preamble: list = []
    if shape == "title":
        preamble = [["Customer list"], ["Exported 2024-03-01"], None]
    elif shape == "blanks":
        preamble = [None] * rng.randint(21, 40)

    # Row numbers as the import counts them: every record of the file, 1-based.
    number_col = columns.index("number")
    xlsx_layout = traits.get("layout", "")
    first_row = len(preamble) + (0 if headerless else 1) + (1 if shape == "sep" else 0) + 1
    row_no = first_row
    date_rows = set()
    for item in table[0 if headerless else 1 :]:
        if item is None:
            expected_rows.append(Expected(row_no, "empty"))
            row_no += 1
            continue
        record = next(rec for rec, cells in cells_of if cells is item)
        fields = {}
        if kind == "contacts":
            for column in columns:
                if column not in ("number", "name"):
                    key = field_name(
                        f"Column {columns.index(column) + 1}" if headerless else column,
                        columns.index(column),
                    )
                    fields[key] = record["fields"][column].strip()
        if xlsx and xlsx_layout == "date-cell" and record["outcome"] == "ok" and not date_rows:
            date_rows.add(row_no)
            letter = chr(ord("A") + number_col)
            record["outcome"], record["reason"] = "invalid", f"{letter}{row_no}"
            # Its number becomes free: a later duplicate of it is then the first.
            for later_record, _ in cells_of:
                if (
                    later_record["outcome"] == "duplicate"
                    and later_record["number"] == record["number"]
                ):
                    later_record["outcome"] = "ok"
                    break
        expected = Expected(
            row_no,
            record["outcome"],
            number=record.get("number", "") if record["outcome"] in ("ok", "duplicate") else "",
            name=record["name"].strip(),
            fields=fields,
            reason=record.get("reason", "") if record["outcome"] == "invalid" else "",
        )
        if kind == "dnd":
            expected.fields = {}
            expected.reason = (
                record.get("reason_text", "") if record["outcome"] == "ok" else expected.reason
            )
        expected_rows.append(expected)
        row_no += 1

    traits["rows"] = len(expected_rows)
    if xlsx:
        data = _xlsx(preamble, table, traits, number_col, date_rows, first_row)
        name = f"corpus-{index:03d}-{traits['layout']}-{shape}.xlsx"
    else:
        data = _csv(preamble, table, traits, bad_row, headerless)
        enc = traits["encoding"].replace("+", "-")
        delim = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}[traits["delimiter"]]
        newline = {"\n": "lf", "\r\n": "crlf", "\r": "cr"}[traits["newline"]]
        name = f"corpus-{index:03d}-{enc}-{delim}-{newline}-{shape}.csv"
    return CorpusFile(name, kind, data, expected_rows, traits)


def _csv(preamble, table, traits, bad_row, headerless) -> bytes:
    delimiter, newline, encoding = traits["delimiter"], traits["newline"], traits["encoding"]
    lines = []
    if traits["shape"] == "sep":
        lines.append(f"sep={delimiter}")
    for item in preamble:
        lines.append("" if item is None else item[0])
    data_index = -1
    line_encodings = []
    for item in table:
        out = io.StringIO()
        if item is None:
            lines.append("")
            line_encodings.append(None)
            continue
        csv.writer(out, delimiter=delimiter, lineterminator="").writerow(item)
        lines.append(out.getvalue().replace(QUOTE_MARK, '"'))
        is_header = not headerless and item is table[0]
        if not is_header:
            data_index += 1
        line_encodings.append("cp1252" if not is_header and data_index == bad_row else None)
    head = len(lines) - len(table)
    if encoding == "utf-8+cp1252-row":
        chunks = []
        for i, line in enumerate(lines):
            special = i >= head and line_encodings[i - head] == "cp1252"
            chunks.append((line + newline).encode("cp1252" if special else "utf-8"))
        return b"".join(chunks)
    text = newline.join(lines) + newline
    if encoding in ("utf-8", "utf-8-sig", "cp1252", "shift_jis"):
        return text.encode(encoding)
    return text.encode(encoding)  # utf-16 / utf-32 add their BOM; -le/-be have none


def _xlsx(preamble, table, traits, number_col, date_rows, first_row) -> bytes:
    from datetime import date

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    if traits["layout"] == "second-sheet":
        sheet.title = "Notes"
        sheet = book.create_sheet("Contacts")
    for item in preamble:
        sheet.append([] if item is None else item)
    row_no = first_row - (0 if traits["shape"] == "none" else 1)
    for i, item in enumerate(table):
        if item is None:
            sheet.append([])
            row_no += 1
            continue
        values = list(item)
        is_data = traits["shape"] == "none" or i > 0
        if is_data and row_no in date_rows:
            values[number_col] = date(1990, 5, 17)
        elif (
            is_data
            and traits["layout"] == "numeric-cells"
            and values[number_col].isdigit()
            and not values[number_col].startswith("0")  # a number cell has no leading 0
        ):
            values[number_col] = int(values[number_col])
        sheet.append(values)
        row_no += 1
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
