"""The whole file's summary before an import is committed: a dry run of the job.

The mapping page showed the first 20 rows only, so a user committed without seeing the
bad rows further down. The summary reads every row through the job's own pipeline
(Importer._batches: the same RowParser, in-file duplicate check and error rows), then
asks the database what the job's INSERT would find (numbers already in the list) and
what dnd_matches would count (new numbers on a DND list), so its figures are the ones
ImportJob.tally() shows after the commit. It writes nothing to any list, no error report
and no custom field: only `ImportJob.summary`, the result and its progress.

A small file is summarised when it is uploaded (or read again with other settings); a
big one runs as a django-q2 job (`run_summary`, safe to run twice) whose progress the
page polls. A changed mapping asks for a new summary with one click: the mapping page
never reads the file on its own (see tests/campaigns/test_upload_limits.py)."""

import csv
import io
import re

from django.db import transaction
from django.utils import timezone

from ..models import Contact, DndEntry, ImportJob
from .job import Importer, target_rows
from .reading import UnreadableFile, count_lines, xlsx_row_estimate

# Files up to this size are summarised inline (about 20,000 short rows: well under 1 s).
INLINE_BYTES = 1024 * 1024
SAMPLES = 5  # rows shown for each kind of problem
MAX_REASONS = 30  # kinds of invalid row kept apart; the rest count as "other reasons"
LOOKUP_CHUNK = 500  # numbers a query (SQLite's variable limit is far above)
OTHER = "other reasons"


def reading_key(job, mapping) -> dict:
    """What the summary depends on: a change to any of it makes the summary stale."""
    return {
        "mapping": mapping,
        "encoding": job.encoding,
        "delimiter": job.delimiter,
        "sheet": job.sheet,
        "has_header": job.has_header,
        "skip_rows": job.skip_rows,
    }


def current(job, mapping) -> dict | None:
    """The job's summary when it is for this mapping and these file settings."""
    summary = job.summary or {}
    return summary if summary.get("key") == reading_key(job, mapping) else None


def reason_kind(message: str, value: str) -> str:
    """ "98765 is too short for +91" -> "is too short for +91": the reason without the
    value it quotes, so rows can be grouped by it."""
    text = message.replace(value, "") if value else message
    text = re.sub(r"\d{4,}", "…", text)
    return re.sub(r"\s+", " ", text).strip(" :,") or message


def _new_summary(job, mapping, state) -> dict:
    return {
        "key": reading_key(job, mapping),
        "state": state,
        "rows_done": 0,
        "rows_total": None,
        "started_at": timezone.now().isoformat(),
        "counts": dict.fromkeys(
            (
                "rows",
                "imported",
                "dnd_blocked",
                "invalid",
                "duplicates_in_file",
                "already_in_list",
                "empty_rows",
            ),
            0,
        ),
        "reasons": {},
        "samples": {"invalid": [], "duplicates": [], "already_in_list": [], "dnd_blocked": []},
        "error": "",
    }


def summarize(job, mapping=None, progress=None) -> dict:
    """Read the whole file as the import would and return (and store) its summary."""
    mapping = mapping or job.mapping
    summary = _new_summary(job, mapping, "running")
    summary["rows_total"] = _estimate(job)
    try:
        _read(job, mapping, summary, progress)
    except UnreadableFile as exc:
        summary["state"], summary["error"] = "failed", str(exc)
    except FileNotFoundError:
        summary["state"] = "failed"
        summary["error"] = "The uploaded file is no longer there; upload it again."
    else:
        summary["state"] = "done"
    _store(job, summary)
    return summary


def _estimate(job):
    try:
        if job.file_format == "xlsx":
            estimate = xlsx_row_estimate(job.upload.name, job.sheet)
        else:
            estimate = count_lines(job.upload.name)
    except (OSError, UnreadableFile):
        return None
    return max(0, (estimate or 0) - job.skip_rows - (1 if job.has_header else 0)) or None


def _read(job, mapping, summary, progress):
    job.mapping = mapping  # in memory only: the importer parses with the user's choices
    importer = Importer(job, parallel=False)
    counts, samples, reasons = summary["counts"], summary["samples"], summary["reasons"]
    contacts = job.kind == ImportJob.Kind.CONTACTS
    for params, consumed, invalid, duplicates, empty, errors in importer._batches():
        counts["rows"] += consumed
        counts["invalid"] += invalid
        counts["duplicates_in_file"] += duplicates
        counts["empty_rows"] += empty
        for row, value, reason in csv.reader(io.StringIO(errors)):
            if reason.startswith("duplicate of row "):
                _sample(samples["duplicates"], row, value, reason)
                continue
            kind = reason_kind(reason, value)
            if kind not in reasons and len(reasons) >= MAX_REASONS:
                kind = OTHER
            entry = reasons.setdefault(kind, {"count": 0, "samples": []})
            entry["count"] += 1
            _sample(entry["samples"], row, value, reason)
            _sample(samples["invalid"], row, value, reason)
        numbers = [row[1] for row in params]
        existing = _existing(target_rows(job), numbers)
        fresh = [number for number in numbers if number not in existing]
        counts["already_in_list"] += len(numbers) - len(fresh)
        for number in sorted(existing)[: SAMPLES - len(samples["already_in_list"])]:
            _sample(samples["already_in_list"], "", number, "already in the list")
        if contacts:
            # Contacts: what dnd_matches counts (a new contact that any DND list blocks).
            blocked = _existing(DndEntry.objects.all(), fresh)
            counts["dnd_blocked"] += len(blocked)
            for number in sorted(blocked)[: SAMPLES - len(samples["dnd_blocked"])]:
                _sample(samples["dnd_blocked"], "", number, "on a DND list")
            counts["imported"] += len(fresh) - len(blocked)
        else:
            counts["imported"] += len(fresh)
            # What dnd_matches will count: contacts, in any list, these new entries block.
            summary["contacts_blocked"] = summary.get("contacts_blocked", 0) + _contacts(fresh)
        summary["rows_done"] = counts["rows"]
        if progress is not None:
            progress(summary)


def _existing(rows, numbers) -> set[str]:
    found = set()
    for start in range(0, len(numbers), LOOKUP_CHUNK):
        chunk = numbers[start : start + LOOKUP_CHUNK]
        found.update(rows.filter(number__in=chunk).values_list("number", flat=True))
    return found


def _contacts(numbers) -> int:
    total = 0
    for start in range(0, len(numbers), LOOKUP_CHUNK):
        total += Contact.objects.filter(number__in=numbers[start : start + LOOKUP_CHUNK]).count()
    return total


def _sample(rows: list, row, value, reason):
    if len(rows) < SAMPLES:
        rows.append({"row": row, "value": value, "reason": reason})


def _store(job, summary):
    ImportJob.objects.filter(pk=job.pk).update(summary=summary)
    job.summary = summary


def refresh_summary(job, mapping=None) -> dict:
    """After an upload, a re-read or the user's request: a small file is summarised at
    once, a big one queued. The mapping page itself never reads the file (a reload or a
    changed select costs no more for a 100 MB file than for a small one)."""
    mapping = mapping or job.mapping
    if job.size_bytes <= INLINE_BYTES:
        return summarize(job, mapping)
    return start_summary(job, mapping)


def start_summary(job, mapping) -> dict:
    """Queue the summary of a big file on a django-q2 worker (the page polls it)."""
    from django_q.tasks import async_task

    summary = _new_summary(job, mapping, "queued")
    summary["rows_total"] = _estimate(job)
    _store(job, summary)
    async_task(
        "campaigns.importers.summary.run_summary", job.pk, task_name=f"import-summary-{job.pk}"
    )
    job.refresh_from_db(fields=["summary"])
    return job.summary


def run_summary(job_id):
    """The django-q2 job: summarise with the mapping the page queued. Safe to run twice
    (it starts over); does nothing once the import itself has started."""
    job = ImportJob.objects.select_related("contact_list", "dnd_list").filter(pk=job_id).first()
    if job is None or job.task_id or job.started_at or not job.summary:
        return
    mapping = job.summary.get("key", {}).get("mapping") or job.mapping
    last = [timezone.now()]

    def progress(summary):
        # At most once a second: the page polls every two.
        now = timezone.now()
        if (now - last[0]).total_seconds() >= 1:
            last[0] = now
            if not ImportJob.objects.filter(pk=job.pk, task_id="", started_at=None).exists():
                raise _ImportStarted  # the import itself now reads the file: no second pass
            with transaction.atomic():
                _store(job, summary)

    try:
        summarize(job, mapping, progress)
    except _ImportStarted:
        return


class _ImportStarted(Exception):
    pass
