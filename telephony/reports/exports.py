"""CSV and XLSX exports of the CDR search, as a background job with progress.

The file holds exactly the search page's filter: the job rebuilds the same queryset from
the stored query string (search_state), in the user's time zone, with the range frozen
to the days the page showed. Rows stream from the database in chunks (`iterator`), into
a csv writer or openpyxl's write-only sheet, so a million rows never sit in memory.
Cells go through campaigns' `neutralise` (formulas and control characters)."""

import csv
import io
import os
import tempfile
import zoneinfo

from django.core.files import File
from django.db.models import F
from django.http import QueryDict
from django.utils import timezone
from openpyxl import Workbook

from campaigns.exports import neutralise

CHUNK = 2000
PROGRESS_EVERY = 10_000

# key -> (header, values_list field)
COLUMNS = {
    "started_at": ("Started", "started_at"),
    "answered_at": ("Answered at", "answered_at"),
    "ended_at": ("Ended", "ended_at"),
    "account": ("Account", "account__name"),
    "campaign": ("Campaign", "campaign__name"),
    "direction": ("Direction", "direction"),
    "status": ("Status", "status"),
    "vendor_status": ("Vendor status", "vendor_status"),
    "caller_id": ("Caller id", "caller_id"),
    "customer_number": ("Number", "customer_number"),
    "agent": ("Agent", "agent"),
    "duration_seconds": ("Duration (s)", "duration_seconds"),
    "billable_seconds": ("Billable (s)", "billable_seconds"),
    "recording_ref": ("Recording", "recording_ref"),
    "vendor_call_id": ("Vendor call id", "vendor_call_id"),
    "reference_id": ("Reference id", "reference_id"),
    "dtmf": ("DTMF", "dtmf"),
}
DEFAULT_COLUMNS = [
    "started_at",
    "account",
    "campaign",
    "status",
    "caller_id",
    "customer_number",
    "duration_seconds",
    "billable_seconds",
]
TIME_COLUMNS = {"started_at", "answered_at", "ended_at"}


def frozen_query(request_get, period) -> str:
    """The page's query string with its range pinned to the days it showed (a "today"
    export run after midnight still holds the page's day); paging keys dropped."""
    query = request_get.copy()
    for key in ("older", "newer", "live", "format", "columns", "csrfmiddlewaretoken"):
        query.pop(key, None)
    query["range"] = "custom"
    query["start"] = period.first.isoformat()
    query["end"] = period.last.isoformat()
    return query.urlencode()[:2000]


def export_queryset(export):
    """The export's records, newest first, as the page lists them."""
    from . import search as cdr_search
    from .views.calls import search_state

    _, period, search, _ = search_state(None, QueryDict(export.query))
    return cdr_search.records(period, search), period, search


def rows(export, queryset):
    tz = zoneinfo.ZoneInfo(export.time_zone)
    keys = [key for key in export.columns if key in COLUMNS] or DEFAULT_COLUMNS
    yield [COLUMNS[key][0] for key in keys]
    fields = [COLUMNS[key][1] for key in keys]
    ordered = queryset.order_by(F("started_at").desc(), F("id").desc()).values_list(*fields)
    times = [n for n, key in enumerate(keys) if key in TIME_COLUMNS]
    for values in ordered.iterator(chunk_size=CHUNK):
        values = list(values)
        for n in times:
            if values[n] is not None:
                values[n] = values[n].astimezone(tz).strftime("%Y-%m-%d %H:%M:%S")
        yield values


def write(export, queryset, progress) -> str:
    """Write the file to a temp path; `progress(n)` every PROGRESS_EVERY rows. Returns
    the path (the caller stores and removes it)."""
    handle, path = tempfile.mkstemp(suffix=f".{export.file_format}")
    os.close(handle)
    written = -1  # the header is not a row
    if export.file_format == "xlsx":
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet(title="Calls")
        for row in rows(export, queryset):
            sheet.append([neutralise(cell) for cell in row])
            written += 1
            if written and written % PROGRESS_EVERY == 0:
                progress(written)
        workbook.save(path)
    else:
        with open(path, "w", newline="", encoding="utf-8-sig") as out:
            writer = csv.writer(out)
            for row in rows(export, queryset):
                writer.writerow([neutralise(cell) for cell in row])
                written += 1
                if written and written % PROGRESS_EVERY == 0:
                    progress(written)
    progress(written)
    return path


def run(export) -> None:
    """Write `export`'s file and mark it done (or failed, with the reason)."""
    from .search import count

    with timezone.override(zoneinfo.ZoneInfo(export.time_zone)):
        queryset, period, search = export_queryset(export)
    known = count(period, search)
    total = queryset.order_by().count() if known.bounded else known.value
    type(export).objects.filter(pk=export.pk).update(rows_total=total)

    def progress(n):
        type(export).objects.filter(pk=export.pk).update(rows_written=n)

    path = write(export, queryset, progress)
    try:
        with open(path, "rb") as handle:
            export.file.save(export.filename, File(handle), save=False)
        export.refresh_from_db(fields=["rows_written", "rows_total"])
        export.size_bytes = os.path.getsize(path)
        export.status = export.Status.DONE
        export.finished_at = timezone.now()
        export.save(update_fields=["file", "size_bytes", "status", "finished_at"])
    finally:
        os.unlink(path)


def read_rows(export) -> list[list[str]]:
    """The data rows of a finished export (for tests and checks), header dropped."""
    with export.file.open("rb") as handle:
        data = handle.read()
    if export.file_format == "xlsx":
        from openpyxl import load_workbook

        sheet = load_workbook(io.BytesIO(data), read_only=True).active
        cells = sheet.iter_rows(values_only=True)
        return [["" if c is None else str(c) for c in row] for row in cells][1:]
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))[1:]
