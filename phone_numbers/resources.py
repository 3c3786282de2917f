"""CSV/XLSX import of numbers that have no vendor list API (MyOperator DIDs with region
and group, CPaaS caller ids), through django-import-export.

The file is read with the campaign importer's bounded readers (campaigns/importers:
bytes sniffed, not the extension; zip bombs and huge rows refused), then imported in one
transaction: any row that fails rolls the whole file back, and the report names every
failing row by its line in the file, with the reason. Nothing is half written.
"""

import uuid
from dataclasses import dataclass, field

import tablib
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.utils import timezone
from import_export import fields, resources
from import_export.widgets import ForeignKeyWidget

from campaigns.importers.cells import kind_of
from campaigns.importers.reading import TooBig, UnreadableFile, open_rows, sniff
from telephony.models import ProviderAccount
from telephony.phone import InvalidNumber, normalize

from .models import NOTE_MAX_LENGTH, NumberKind, NumberSource, PhoneNumber, reversed_digits
from .sync import country_of

MAX_UPLOAD_BYTES = 2 * 1024 * 1024
MAX_ROWS = 5_000
COLUMNS = ("number", "kind", "region", "group", "note", "daily_cap")
REQUIRED = ("number",)
TEXT_LIMITS = {"region": 80, "group": 80, "note": NOTE_MAX_LENGTH}
KIND_WORDS = {
    "did": NumberKind.DID,
    "caller_id": NumberKind.CALLER_ID,
    "caller id": NumberKind.CALLER_ID,
    "callerid": NumberKind.CALLER_ID,
    "cli": NumberKind.CALLER_ID,
}


class PhoneNumberResource(resources.ModelResource):
    """Rows of one account: `number` (any format; E.164 is stored), optional `kind`
    (did / caller_id; the account's default when empty), `region`, `group`, `note`,
    `daily_cap`. A number the account already has is updated, not duplicated."""

    account = fields.Field(
        attribute="account", column_name="account", widget=ForeignKeyWidget(ProviderAccount)
    )

    class Meta:
        model = PhoneNumber
        fields = ("account", "number", "kind", "region", "group", "note", "daily_cap", "country")
        import_id_fields = ("account", "number")
        clean_model_instances = True
        skip_unchanged = True
        skip_diff = True

    def __init__(self, account, default_country="IN", default_kind=NumberKind.DID, **kwargs):
        super().__init__(**kwargs)
        self.account = account
        self.default_country = default_country
        self.default_kind = default_kind
        self.seen = {}  # E.164 -> file line
        self.lines = []  # each dataset row's line in the file

    def line_of(self, row_number) -> int:
        if row_number and 0 < row_number <= len(self.lines):
            return self.lines[row_number - 1]
        return (row_number or 0) + 1  # the header is line 1

    def before_import(self, dataset, **kwargs):
        for column in ("account", "country"):
            if column not in (dataset.headers or []):
                dataset.append_col([""] * len(dataset), header=column)

    def before_import_row(self, row, row_number=None, **kwargs):
        line = self.line_of(row_number)
        errors = {}
        raw = str(row.get("number") or "").strip()
        row["account"] = self.account.pk
        if kind_of(row.get("number") or "") not in ("", None):
            errors["number"] = "the cell holds a date, time, TRUE/FALSE or formula, not a number"
        elif not raw:
            errors["number"] = "the number is empty"
        else:
            try:
                row["number"] = normalize(raw, self.default_country)
            except InvalidNumber as error:
                errors["number"] = str(error)
        if "number" not in errors:
            if row["number"] in self.seen:
                errors["number"] = f"{row['number']} repeats line {self.seen[row['number']]}"
            else:
                self.seen[row["number"]] = line
            row["country"] = country_of(row["number"])
        kind = str(row.get("kind") or "").strip().lower()
        if not kind:
            row["kind"] = self.default_kind
        elif kind in KIND_WORDS:
            row["kind"] = KIND_WORDS[kind]
        else:
            errors["kind"] = f"“{kind[:40]}” is not a kind; write did or caller_id"
        for name, limit in TEXT_LIMITS.items():
            value = str(row.get(name) or "").strip()
            if len(value) > limit:
                errors[name] = f"{name} is {len(value)} characters; at most {limit}"
            row[name] = value
        cap = str(row.get("daily_cap") or "").strip()
        if cap and (not cap.isdigit() or int(cap) == 0 or int(cap) > 1_000_000):
            errors["daily_cap"] = f"daily_cap “{cap[:20]}” must be a whole number from 1"
        row["daily_cap"] = int(cap) if cap.isdigit() else None
        if errors:
            raise ValidationError(errors)

    def before_save_instance(self, instance, row, **kwargs):
        instance.digits_reversed = reversed_digits(instance.number)
        if instance.pk is None:
            instance.source = NumberSource.IMPORT
            instance.acquired_at = timezone.now()


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list = field(default_factory=list)  # (line, column, reason)
    file_error: str = ""

    @property
    def ok(self) -> bool:
        return not self.problems and not self.file_error


def read_dataset(upload) -> tuple[tablib.Dataset, list[int]]:
    """The upload's rows as a Dataset with our column names, and each row's line in the
    file (blank lines are skipped); UnreadableFile, in words a person can act on, when
    the file cannot be used."""
    if upload.size > MAX_UPLOAD_BYTES:
        raise UnreadableFile(
            f"The file is {upload.size / 1024 / 1024:.1f} MB; at most "
            f"{MAX_UPLOAD_BYTES // 1024 // 1024} MB ({MAX_ROWS:,} numbers) is read. "
            "Split it into smaller files."
        )
    name = default_storage.save(f"number-imports/{uuid.uuid4().hex}", upload)
    try:
        with default_storage.open(name, "rb") as fh:
            info = sniff(fh)
        rows = open_rows(name, info, strict=True)
        header = next(rows, None)
        if not header:
            raise UnreadableFile("The file is empty")
        names = [str(cell).strip().lower().replace(" ", "_") for cell in header]
        missing = [column for column in REQUIRED if column not in names]
        if missing:
            raise UnreadableFile(
                "The first row must name the columns, and “number” is not among them "
                f"(the columns are {', '.join(COLUMNS)})"
            )
        unknown = [n for n in names if n and n not in COLUMNS]
        if unknown:
            raise UnreadableFile(
                f"Unknown column{'s' if len(unknown) > 1 else ''} "
                f"{', '.join(n[:30] for n in unknown[:5])}; the columns are {', '.join(COLUMNS)}"
            )
        dataset, lines = tablib.Dataset(headers=list(COLUMNS)), []
        for line, row in enumerate(rows, start=2):
            if isinstance(row, TooBig):
                raise UnreadableFile(row.message(line))
            if not any(str(cell).strip() for cell in row):
                continue
            if len(dataset) >= MAX_ROWS:
                raise UnreadableFile(f"The file has more than {MAX_ROWS:,} numbers; split it")
            values = dict(zip(names, row, strict=False))
            dataset.append([values.get(column, "") for column in COLUMNS])
            lines.append(line)
        return dataset, lines
    finally:
        default_storage.delete(name)


def import_numbers(account, upload, *, default_country="IN", default_kind=NumberKind.DID):
    """Import `upload` into `account`: everything or, when any row fails, nothing."""
    report = ImportReport()
    try:
        dataset, lines = read_dataset(upload)
    except UnreadableFile as error:
        report.file_error = str(error)
        return report
    if not len(dataset):
        report.file_error = "The file has a header but no numbers"
        return report
    resource = PhoneNumberResource(account, default_country, default_kind)
    resource.lines = lines
    result = resource.import_data(
        dataset,
        dry_run=False,
        use_transactions=True,
        rollback_on_validation_errors=True,
        raise_errors=False,
    )
    for invalid in result.invalid_rows:
        line = resource.line_of(invalid.number)
        for column, messages in invalid.error_dict.items():
            for message in messages:
                report.problems.append((line, "" if column == "__all__" else column, message))
    for number, errors in result.row_errors():
        line = resource.line_of(number)
        for error in errors:
            report.problems.append((line, "", str(error.error)[:300]))
    for error in result.base_errors:
        report.file_error = f"The import stopped: {str(error.error)[:300]}"
    report.problems.sort(key=lambda problem: problem[0])
    if report.ok:
        report.created = result.totals["new"]
        report.updated = result.totals["update"]
        report.unchanged = result.totals["skip"]
    return report
