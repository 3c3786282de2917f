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
from .job import data_rows, default_region, file_info, target_rows
from .mapping import RowParser, auto_map, looks_like_data
from .reading import TooBig, UnreadableFile, open_rows, paste_to_csv, sniff

PREVIEW_ROWS = 20
# The head kept on the job (header + preview rows), each cell cut to this many characters.
SAMPLE_ROWS = PREVIEW_ROWS + 1
SAMPLE_CELL_CHARS = 300
COLUMN_NAME_CHARS = 200


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
        head = list(islice(open_rows(job.upload.name, file_info(job), strict=True), SAMPLE_ROWS))
        for number, row in enumerate(head, 1):
            if isinstance(row, TooBig):
                raise UnreadableFile(row.message(number))
        _describe_columns(job, head)
        job.sample = [[cell[:SAMPLE_CELL_CHARS] for cell in row] for row in head]
        job.save()
    except BaseException:
        default_storage.delete(job.upload.name)
        raise
    return job


def too_large_message(size: int) -> str:
    return (
        f"This file is {size / 1024 / 1024:,.0f} MB; imports take files up to "
        f"{settings.IMPORT_MAX_UPLOAD_MB} MB. Split it into smaller files."
    )


def _describe_columns(job, head):
    rows = [row for row in head if any(cell.strip() for cell in row)]
    if not rows:
        raise UnreadableFile("The file is empty")
    first = rows[0]
    job.has_header = job.file_format == "paste" or not looks_like_data(first)
    if job.has_header:
        width = max(len(row) for row in rows)
        job.columns = [
            (first[i].strip()[:COLUMN_NAME_CHARS] if i < len(first) else "") or f"Column {i + 1}"
            for i in range(width)
        ]
        if len(rows) == 1:
            # Only a header (and perhaps blank lines) is not worth a job.
            if _has_data_after(job):
                return
            raise UnreadableFile("The file has a header but no rows")
    else:
        width = max(len(row) for row in rows)
        job.columns = [f"Column {i + 1}" for i in range(width)]
    sample = rows[1:] if job.has_header else rows
    job.mapping = auto_map(job.kind, job.columns, sample)


def _has_data_after(job) -> bool:
    # Strict, so an .xlsx is read within the same budget as the first rows.
    rows = open_rows(job.upload.name, file_info(job), strict=True)
    next(rows, None)
    return any(isinstance(row, TooBig) or any(cell.strip() for cell in row) for row in rows)


def sample_rows(job):
    """(row number, cells) of the first rows after the header, from the head stored on
    the job at upload; a job from before `sample` existed reads its file (bounded)."""
    if not job.sample:
        return list(islice(data_rows(job), PREVIEW_ROWS))
    rows = job.sample[1:] if job.has_header else job.sample
    return list(zip(itertools.count(2 if job.has_header else 1), rows[:PREVIEW_ROWS]))


def preview(job, mapping=None):
    """The first rows as the job would see them: (row number, cells, Row, verdict).
    Built from the stored sample: reloading the page or changing a select never opens
    the file."""
    parser = RowParser(job.kind, mapping or job.mapping, default_region(job))
    seen, results = set(), []
    for row_no, cells in sample_rows(job):
        parsed = parser.parse(cells)
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
