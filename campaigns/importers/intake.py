"""Creating an import from an upload or a paste, and previewing it.

The upload's first rows are read once, strictly (reading.py refuses a row too wide or a
cell too long, naming it), and kept on the job as `sample`: the mapping page and its
preview work from that and never open the file again, however often they are loaded."""

import itertools
from itertools import islice

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from ..models import ImportJob
from .cells import apply_kinds, encode_kinds
from .job import data_rows, default_region, file_info, target_rows
from .mapping import Row, RowParser, explain_map, looks_like_data, looks_like_header
from .reading import TooBig, UnreadableFile, open_rows, paste_to_csv, sniff

PREVIEW_ROWS = 20
# The head kept on the job (header + preview rows), each cell cut to this many characters.
SAMPLE_ROWS = PREVIEW_ROWS + 1
SAMPLE_CELL_CHARS = 300
COLUMN_NAME_CHARS = 200
# Blank rows before the table are skipped up to this many (the head read at upload stops
# there, so a file of blank lines costs no more); titles and "sep=;" up to PREAMBLE_ROWS.
MAX_LEADING_BLANK = 10_000
PREAMBLE_ROWS = 10
# An .xlsx whose first sheets are empty: the first of these with data is read.
MAX_SHEETS_TRIED = 10


def max_upload_bytes() -> int:
    return settings.IMPORT_MAX_UPLOAD_MB * 1024 * 1024


def create_job(kind, target, user, *, upload=None, pasted="") -> ImportJob:
    """Store the upload (or paste), read what it is, and return the unstarted job.
    Raises UnreadableFile with the message the form shows; nothing is kept then (the
    stored upload is deleted whatever the failure; campaigns.tasks.sweep_import_uploads
    removes any a killed process left)."""
    job = ImportJob(kind=kind, created_by=user if user and user.is_authenticated else None)
    if kind == ImportJob.Kind.CONTACTS:
        job.contact_list = target
    else:
        job.dnd_list = target
    if upload is not None:
        if upload.size > max_upload_bytes():
            raise UnreadableFile(too_large_message(upload.size))
        content, job.original_name, job.size_bytes = upload, upload.name[:255], upload.size
    else:
        data = paste_to_csv(pasted)
        if data.count(b"\n") <= 1:
            raise UnreadableFile("Paste at least one number")
        content, job.original_name, job.size_bytes = ContentFile(data), "pasted.csv", len(data)
    content.seek(0)
    info = sniff(content, job.original_name)
    job.file_format = "paste" if upload is None else info.file_format
    job.encoding, job.delimiter, job.notes = info.encoding, info.delimiter, info.notes
    content.seek(0)
    job.upload.save(f"upload.{info.file_format}", content, save=False)
    try:
        read_head(job)
        job.save()
    except BaseException:
        default_storage.delete(job.upload.name)
        raise
    return job


def reread(job, *, encoding="", delimiter="", sheet="", has_header=None) -> None:
    """The user's choices on the mapping page: read the stored file again with them
    (its columns, sample and mapping are redone). Raises UnreadableFile, leaving the
    job as it was."""
    if not job.upload or not default_storage.exists(job.upload.name):
        raise UnreadableFile("The uploaded file is no longer there; upload it again.")
    if job.file_format != "xlsx":
        with default_storage.open(job.upload.name, "rb") as fh:
            info = sniff(fh, job.original_name, encoding=encoding, delimiter=delimiter)
        job.encoding, job.delimiter, job.notes = info.encoding, info.delimiter, info.notes
    elif sheet:
        job.sheet = sheet
    read_head(job, has_header=has_header, choose_sheet=False)
    job.save()


def read_head(job, has_header=None, choose_sheet=True) -> None:
    """Read the upload's first rows (strictly: a row past the limits refuses the file),
    find where the table starts and whether it has a header, and keep that head on the
    job with its columns and mapping."""
    if job.file_format == "xlsx" and choose_sheet:
        job.sheets, job.sheet, head = _first_sheet_with_data(job)
    else:
        head = _head(job)
    _describe_columns(job, head, has_header)


def _head(job):
    """(leading rows, table rows): rows up to the table's first rows plus the preview's,
    blank rows before the table counted but not kept."""
    rows = open_rows(job.upload.name, file_info(job), strict=True)
    kept, blank = [], 0
    for number, row in enumerate(rows, 1):
        if isinstance(row, TooBig) and row.fatal:
            if len(kept) < SAMPLE_ROWS:
                raise UnreadableFile(row.message(number))
            # Past the rows an upload always read strictly: the job reports it.
            break
        if not kept and not isinstance(row, TooBig) and not any(cell.strip() for cell in row):
            blank += 1
            if blank > MAX_LEADING_BLANK:
                raise UnreadableFile(
                    f"The file's first {blank:,} rows are empty. Delete them and upload the "
                    "file again."
                )
            continue
        kept.append(row)
        if len(kept) >= PREAMBLE_ROWS + SAMPLE_ROWS:
            break
    return blank, kept


def _first_sheet_with_data(job):
    from .reading import xlsx_sheets

    sheets = xlsx_sheets(job.upload.name)
    for name in sheets[:MAX_SHEETS_TRIED]:
        job.sheet = name
        head = _head(job)
        if any(not isinstance(row, TooBig) and any(c.strip() for c in row) for row in head[1]):
            return sheets, name, head
    job.sheet = sheets[0] if sheets else ""
    return sheets, job.sheet, _head(job)


def too_large_message(size: int) -> str:
    return (
        f"This file is {size / 1024 / 1024:,.0f} MB; imports take files up to "
        f"{settings.IMPORT_MAX_UPLOAD_MB} MB. Split it into smaller files."
    )


def _describe_columns(job, head, has_header=None):
    blank, rows = head
    start = _table_start(rows)
    if start is None:
        raise UnreadableFile("The file is empty")
    job.skip_rows = blank + start
    table = rows[start : start + SAMPLE_ROWS]
    first = table[0]
    if has_header is not None:
        job.has_header = has_header
    elif isinstance(first, TooBig):
        job.has_header = False
    else:
        job.has_header = job.file_format == "paste" or not looks_like_data(first, table[1:])
    width = max((len(row) for row in table), default=1) or 1
    if job.has_header:
        job.columns = [
            (first[i].strip()[:COLUMN_NAME_CHARS] if i < len(first) else "") or f"Column {i + 1}"
            for i in range(width)
        ]
        if not any(_has_cells(row) for row in table[1:]) and not _has_data_after(job):
            # Only a header (and perhaps blank lines) is not worth a job.
            raise UnreadableFile("The file has a header but no rows")
    else:
        job.columns = [f"Column {i + 1}" for i in range(width)]
    kept = table[: SAMPLE_ROWS if job.has_header else SAMPLE_ROWS - 1]
    job.sample = [_stored(row) for row in kept]
    job.sample_kinds = encode_kinds(kept)  # dates, formulas…: JSON keeps only the text
    sample = table[1:] if job.has_header else table
    job.mapping = explain_map(job.kind, job.columns, sample, default_region(job), job.has_header)[0]


def _has_cells(row) -> bool:
    return isinstance(row, TooBig) or any(cell.strip() for cell in row)


def _table_start(rows) -> int | None:
    """Where the table starts among the first rows: the first row that holds a number,
    or is as wide as the table (titles are one cell wide, "sep=;" is no row at all)."""
    widths = []
    for row in rows:
        cells = [] if isinstance(row, TooBig) else list(row)
        while cells and not cells[-1].strip():
            cells.pop()
        widths.append(len(cells))
    counts = {}
    for width in widths:
        if width:
            counts[width] = counts.get(width, 0) + 1
    if not counts and not any(isinstance(row, TooBig) for row in rows):
        return None
    table_width = max(counts.items(), key=lambda item: (item[1], item[0]))[0] if counts else 1
    window = rows[: PREAMBLE_ROWS + 1]
    for index, row in enumerate(window):
        if isinstance(row, TooBig):
            return index
        if not widths[index] or _is_sep_line(row):
            continue
        # A title ("Customer list, March") is narrower than the table, holds no number
        # (nor a try at one) and no header word. A one-column file has no titles.
        title = (
            table_width >= 2
            and widths[index] < table_width
            and not any(map(_digit_heavy, row))
            and not looks_like_header(row)
        )
        if not title:
            return index
    return next(i for i, width in enumerate(widths) if width)


def _digit_heavy(cell: str) -> bool:
    digits = sum(ch.isdigit() for ch in cell)
    return digits >= 5 and digits * 2 >= len(cell.replace(" ", ""))


def _is_sep_line(cells) -> bool:
    joined = ",".join(cells).strip(",")
    return joined.lower().startswith("sep=") and len(joined) <= 6


def _stored(row):
    """A row as kept in `sample`: its cells cut short; a row that could not be decoded
    as its reason, so the preview shows it as the job will report it."""
    if isinstance(row, TooBig):
        return {"unreadable": row.problem, "hint": row.hint}
    return [cell[:SAMPLE_CELL_CHARS] for cell in row]


def _has_data_after(job) -> bool:
    # Strict, so an .xlsx is read within the same budget as the first rows.
    rows = open_rows(job.upload.name, file_info(job), strict=True)
    for _ in islice(rows, job.skip_rows + 1):
        pass
    return any(isinstance(row, TooBig) or any(cell.strip() for cell in row) for row in rows)


def column_reasons(job, mapping=None) -> dict[str, str]:
    """Why each column got its automatic target ("18 of 20 values are phone numbers"),
    from the stored sample, for the columns whose target is still the one detected."""
    if not job.sample:
        return {}
    rows = [row for row in job.sample if isinstance(row, list)]
    sample = rows[1:] if job.has_header else rows
    detected, why = explain_map(job.kind, job.columns, sample, default_region(job), job.has_header)
    mapping = mapping or job.mapping
    return {key: text for key, text in why.items() if mapping.get(key) == detected.get(key)}


def sample_rows(job):
    """(row number, cells) of the first rows after the header, from the head stored on
    the job at upload; a job from before `sample` existed reads its file (bounded). A
    row that could not be decoded comes as the TooBig the job reads."""
    if not job.sample:
        return list(islice(data_rows(job), PREVIEW_ROWS))
    sample = apply_kinds(job.sample, job.sample_kinds)
    rows = sample[1:] if job.has_header else sample
    start = job.skip_rows + (2 if job.has_header else 1)
    rows = [
        TooBig(row["unreadable"], row.get("hint", ""), fatal=False)
        if isinstance(row, dict)
        else row
        for row in rows[:PREVIEW_ROWS]
    ]
    return list(zip(itertools.count(start), rows))


def preview(job, mapping=None):
    """The first rows as the job would see them: (row number, cells, Row, verdict).
    Built from the stored sample: reloading the page or changing a select never opens
    the file."""
    parser = RowParser(job.kind, mapping or job.mapping, default_region(job))
    seen, results = set(), []
    for row_no, cells in sample_rows(job):
        parsed = parser.parse(cells)
        if isinstance(cells, TooBig):
            parsed = Row("invalid", error=cells.reason)
        if parsed.status == "ok" and parsed.number in seen:
            verdict = "duplicate"
        else:
            verdict = parsed.status
            seen.add(parsed.number)
        results.append({"row": row_no, "cells": cells, "parsed": parsed, "verdict": verdict})
    existing = set(
        target_rows(job)
        .filter(number__in=[r["parsed"].number for r in results if r["parsed"].number])
        .values_list("number", flat=True)
    )
    for result in results:
        if result["verdict"] == "ok" and result["parsed"].number in existing:
            result["verdict"] = "in_list"
    return results
