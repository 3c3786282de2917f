"""The fast import itself (intake.py creates the job and previews it).

The job streams the file, validates each row, and writes batches with one raw
`INSERT … ON CONFLICT DO NOTHING` executemany each. Every batch commits in the same
transaction as the job's counters (`committed_rows`, …) and the length of the error
report, so a crash leaves a state that a second run resumes from, with no duplicate
and no double count."""

import csv
import io
import itertools
import logging
import multiprocessing
import os
from contextlib import contextmanager
from itertools import islice

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import DatabaseError, connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from ..exports import neutralise
from ..models import Contact, ContactList, DndEntry, DndList, ImportJob
from ..models.search import BulkSearchFill
from .dedup import FirstRows
from .mapping import RowParser
from .reading import (
    FileInfo,
    TooBig,
    UnreadableFile,
    count_lines,
    open_rows,
    xlsx_row_estimate,
)

# Rows a batch (one transaction): each batch rewrites most leaf pages of the list+number
# index (its numbers are spread over all of it), so fewer, bigger batches write less.
BATCH_SIZE = 50_000
# A batch is also cut once its custom fields hold this many characters: 50,000 rows of
# 200 fields at the cell limit would otherwise sit in memory as one batch. A 15-column
# file's batch is cut at ~16,000 rows: with two processes both hold a batch, and 50,000
# such rows (~35 MB each) took the million-row import past 300 MB.
BATCH_MAX_CHARS = 6_000_000
PARALLEL_MIN_ROWS = 50_000
GIN_PENDING_KB = 65_536  # PostgreSQL: see Importer._insert
logger = logging.getLogger(__name__)
PIPE_PART = 2_000  # rows a message between the reader and the writer process
REPORT_HEADER = "row,value,reason\r\n"


def file_info(job) -> FileInfo:
    fmt = "xlsx" if job.file_format == "xlsx" else "csv"
    return FileInfo(fmt, job.encoding, job.delimiter, sheet=job.sheet)


def data_rows(job):
    """(spreadsheet row number, cells) for every row after the header, blank ones too."""
    if not job.upload:
        raise UnreadableFile("The uploaded file is no longer there; upload it again")
    rows = open_rows(job.upload.name, file_info(job))
    # Titles, blank lines and "sep=;" before the table are not data rows.
    start = 1 + job.skip_rows
    for _ in islice(rows, job.skip_rows):
        pass
    if job.has_header:
        next(rows, None)
        start += 1
    return zip(itertools.count(start), rows, strict=False)


def default_region(job) -> str:
    return job.contact_list.default_country if job.contact_list_id else "IN"


def target_rows(job):
    if job.kind == ImportJob.Kind.CONTACTS:
        return Contact.objects.filter(contact_list_id=job.contact_list_id)
    return DndEntry.objects.filter(dnd_list_id=job.dnd_list_id)


class Importer:
    """One run of a job: claims it, resumes from `committed_rows`, commits in batches."""

    def __init__(self, job: ImportJob, batch_size: int = BATCH_SIZE, parallel: bool | None = None):
        self.job = job
        self.batch_size = batch_size
        self.parallel = parallel
        self.parser = RowParser(job.kind, job.mapping, default_region(job))
        self.contacts = job.kind == ImportJob.Kind.CONTACTS
        self.search = BulkSearchFill(
            "contact" if self.contacts else "dnd",
            job.contact_list_id if self.contacts else job.dnd_list_id,
        )
        table = (Contact if self.contacts else DndEntry)._meta.db_table
        postgres = connection.vendor == "postgresql"
        if self.contacts:
            columns = (
                "contact_list_id, number, raw_number, name, fields, time_zone, is_active, "
                "created_at, updated_at"
            )
            values = "%s, %s, %s, %s, %s" + ("::jsonb" if postgres else "") + ", %s, %s, %s, %s"
            conflict = "contact_list_id, number"
        else:
            columns = "dnd_list_id, number, name, reason, source, added_by_id, created_at"
            values = "%s, %s, %s, %s, %s, %s, %s"
            conflict = "dnd_list_id, number"
        self.sql = (
            # Table and column names are constants of this module, never user input.
            f"INSERT INTO {table} ({columns}) VALUES ({values}) "  # noqa: S608
            f"ON CONFLICT ({conflict}) DO NOTHING"
        )
        # PostgreSQL: COPY a batch into a temporary table, then one INSERT … SELECT
        # (executemany costs a round trip per row there).
        self.staging = f"import_staging_{table}"
        self.copy_sql = (
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {self.staging} AS "  # noqa: S608
            f"SELECT {columns} FROM {table} WITH NO DATA",
            f"COPY {self.staging} ({columns}) FROM STDIN",
            f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {self.staging} "  # noqa: S608
            f"ON CONFLICT ({conflict}) DO NOTHING",
            f"TRUNCATE {self.staging}",
        )

    def run(self):
        job = self.job
        self._prepare()
        report_path = default_storage.path(job.error_report.name)
        with open(report_path, "r+b") as report, _bulk_connection():
            report.truncate(job.report_bytes)
            report.seek(job.report_bytes)
            batches = self._parallel_batches() if self._parallel() else self._batches()
            for batch in batches:
                self._commit(*batch, report)
        self._finish()

    def _insert(self, cursor, params) -> int:
        """Insert a batch, skipping numbers already in the list; returns how many went in."""
        if connection.vendor != "postgresql":
            # The search index (models/search.py) is filled for the batch at once: its
            # per-row trigger would cost 7x the insert itself.
            floor = self.search.pause(cursor)
            cursor.executemany(self.sql, params)
            inserted = cursor.rowcount
            self.search.fill(cursor, floor)
            return inserted
        create, copy_in, insert, clear = self.copy_sql
        raw = cursor.cursor  # psycopg's own cursor, for COPY
        raw.execute(create)
        # The word search's GIN index takes new entries into a pending list first, merged
        # into the index whenever the list passes this size (4 MB by default): merged
        # in bigger runs, a million rows indexed in about half the time. For this
        # transaction only; _finish merges what is left, so searches never scan it long.
        raw.execute(f"SET LOCAL gin_pending_list_limit = '{GIN_PENDING_KB}kB'")
        with raw.copy(copy_in) as copy:
            for row in params:
                copy.write_row(row)
        raw.execute(insert)
        inserted = raw.rowcount
        raw.execute(clear)
        return inserted

    def _parallel(self) -> bool:
        """Parse in a child process while this one writes, for big files: parsing and
        writing then cost max(a, b), not a + b. Only with a second core to run on: on
        one core (`taskset -c 0`) the two processes take turns, and sending the rows
        between them is pure cost. A daemonic process may not fork one (django-q2
        workers are not daemonic here: settings.Q_CLUSTER)."""
        if self.parallel is not None:
            return self.parallel
        return (
            (self.job.rows_total or 0) >= PARALLEL_MIN_ROWS
            and len(os.sched_getaffinity(0)) > 1
            and not multiprocessing.current_process().daemon
        )

    def _parallel_batches(self):
        context = multiprocessing.get_context("fork")
        receive, send = context.Pipe(duplex=False)
        reader = context.Process(target=_produce, args=(self, send), daemon=True)
        reader.start()
        send.close()
        parts = []
        try:
            while True:
                try:
                    kind, payload = receive.recv()
                except EOFError:
                    raise RuntimeError("The file reader process stopped unexpectedly") from None
                if kind == "part":
                    parts.extend(payload)
                elif kind == "batch":
                    if parts:
                        parts.extend(payload[0])
                        payload = (parts, *payload[1:])
                        parts = []
                    yield payload
                elif kind == "done":
                    return
                elif kind == "unreadable":
                    raise UnreadableFile(payload)
                else:
                    raise RuntimeError(payload)
        finally:
            receive.close()
            if reader.is_alive():
                reader.terminate()
            reader.join()

    def _prepare(self):
        """First run: custom fields, the id floor, the error report and a row estimate."""
        job = self.job
        if not job.error_report:
            name = default_storage.save(
                f"import-reports/import-{job.pk}-errors.csv", ContentFile(REPORT_HEADER.encode())
            )
            job.error_report.name = name
            job.report_bytes = len(REPORT_HEADER)
            job.id_floor = (
                target_rows(job).order_by("-id").values_list("id", flat=True).first() or 0
            )
            if job.file_format == "xlsx":
                # The declared dimension, capped: a progress figure, never a size.
                estimate = xlsx_row_estimate(job.upload.name, job.sheet)
            else:
                estimate = count_lines(job.upload.name)
            job.rows_total = max(0, (estimate or 0) - (1 if job.has_header else 0)) or None
            job.save(update_fields=["error_report", "report_bytes", "id_floor", "rows_total"])
        if self.contacts and self.parser.field_names:
            job.contact_list.add_custom_fields(self.parser.field_names)

    def _rebuild_seen(self) -> FirstRows:
        """The numbers of the already-committed part of the file, for in-file duplicates,
        with the row each first came on ("duplicate of row 12" in the error report).
        Numbers are kept as floats of their digits (E.164 without "+"): exact, since 15
        digits < 2**53, and 24 bytes each, against 32 for an int and ~60 for a string."""
        seen = FirstRows()
        if self.job.committed_rows:
            values = self.parser.values
            for row_no, cells in islice(data_rows(self.job), self.job.committed_rows):
                status, number, *_ = values(cells)
                if status == "ok" and (key := float(number[1:])) not in seen:
                    seen.add(key, row_no)
                if row_no % self.batch_size == 0:
                    seen.seal()
            seen.seal()
        return seen

    def _batches(self):
        """(params, consumed, invalid, duplicates, empty, error report text) per batch,
        from the first row no earlier run committed."""
        job = self.job
        seen = self._rebuild_seen()
        rows = data_rows(job)
        # Skip what earlier runs committed (re-read above to rebuild the duplicate set).
        for _ in islice(rows, job.committed_rows):
            pass
        values, first = self.parser.values, seen.first
        known, recent = seen.seen, seen.recent  # FirstRows.add, inline (the hot loop)
        params, errors = [], io.StringIO()
        write_error = csv.writer(errors, lineterminator="\r\n").writerow
        consumed = invalid = duplicates = empty = held = 0
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        target = job.contact_list_id if self.contacts else job.dnd_list_id
        user, source, contacts = job.created_by_id, DndEntry.Source.FILE, self.contacts
        batch_size, max_chars = self.batch_size, BATCH_MAX_CHARS
        for row_no, cells in rows:
            consumed += 1
            status, number, raw, name, fields, extra, message = values(cells)
            if status == "ok":
                key = float(number[1:])
                if key in known:
                    duplicates += 1
                    write_error((row_no, neutralise(raw), f"duplicate of row {first(key)}"))
                else:
                    known.add(key)
                    recent[key] = row_no
                    if contacts:
                        params.append((target, number, raw, name, fields, extra, True, now, now))
                        held += len(fields)
                    else:
                        params.append((target, number, name, extra, source, user, now))
            elif status == "empty":
                if cells.__class__ is TooBig:  # a row past the limits reads as empty
                    invalid += 1
                    write_error((row_no, "", neutralise(cells.reason)))
                else:
                    empty += 1
            else:
                invalid += 1
                # Both columns come from the file ("=1+1 has characters that are not
                # digits"): neither may start a formula in a spreadsheet.
                write_error((row_no, neutralise(raw), neutralise(message)))
            if consumed == batch_size or held > max_chars:
                # Numbers in order touch each index page once, not at random: ~25% faster.
                params.sort(key=_by_number)
                seen.seal()
                yield params, consumed, invalid, duplicates, empty, errors.getvalue()
                params, errors = [], io.StringIO()
                write_error = csv.writer(errors, lineterminator="\r\n").writerow
                consumed = invalid = duplicates = empty = held = 0
        params.sort(key=_by_number)
        yield params, consumed, invalid, duplicates, empty, errors.getvalue()

    def _commit(self, params, consumed, invalid, duplicates, empty, errors, report):
        job = self.job
        if errors:
            report.write(errors.encode("utf-8"))
            report.flush()
            os.fsync(report.fileno())
        with transaction.atomic():
            inserted = 0
            if params:
                with connection.cursor() as cursor:
                    parent = ContactList if self.contacts else DndList
                    if not parent.objects.filter(pk=params[0][0]).exists():
                        raise UnreadableFile("The list was deleted while the import ran")
                    inserted = self._insert(cursor, params)
            job.committed_rows += consumed
            job.rows_processed = job.committed_rows
            job.imported += inserted
            job.already_in_list += len(params) - inserted
            job.invalid += invalid
            job.duplicates_in_file += duplicates
            job.empty_rows += empty
            job.report_bytes = report.tell()
            job.heartbeat_at = timezone.now()
            job.save(update_fields=COUNTERS)

    def _finish(self):
        job = self.job
        job.rows_total = job.committed_rows
        job.dnd_matches = dnd_matches(job)
        job.status = ImportJob.Status.DONE
        job.finished_at = timezone.now()
        job.error = ""
        if not job.invalid and not job.duplicates_in_file and job.error_report:
            default_storage.delete(job.error_report.name)
            job.error_report = ""
        if job.upload:
            default_storage.delete(job.upload.name)
            job.upload = ""
        job.save()
        job.target.refresh_count()
        if connection.vendor == "postgresql":
            clean_gin_pending(target_rows(job).model._meta.db_table)


def clean_gin_pending(table: str):
    """Merge the word-search index's pending list into the index (PostgreSQL): a search
    reads the pending list whole, so an import leaves none behind. Skipped, with the
    database's reason logged, where this role may not (it must own the index)."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT gin_clean_pending_list(%s::regclass)", [f"{table}_words_idx"])
    except DatabaseError as exc:
        logger.warning("Could not merge the GIN pending list of %s: %s", table, exc)


def _produce(importer, send):
    """The reader process: parse the file and send the batches to the writing process.
    It never touches the database (it shares the parent's connection objects)."""
    try:
        for params, *counts in importer._batches():
            # In parts: pickling a whole batch at once held a second copy of it, in both
            # processes, at the peak of a million-row import's memory.
            while len(params) > PIPE_PART:
                send.send(("part", params[:PIPE_PART]))
                params = params[PIPE_PART:]
            send.send(("batch", (params, *counts)))
        send.send(("done", None))
    except UnreadableFile as exc:
        send.send(("unreadable", str(exc)))
    except Exception as exc:  # reported to the parent, which fails the job with it
        send.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        send.close()


def _by_number(params):
    return params[1]


COUNTERS = [
    "committed_rows",
    "rows_processed",
    "imported",
    "already_in_list",
    "invalid",
    "duplicates_in_file",
    "empty_rows",
    "report_bytes",
    "heartbeat_at",
]


@contextmanager
def _bulk_connection():
    """On SQLite: a bigger page cache while the indexes grow (32 MB: 64 MB was no faster
    at a million rows, and counted in the job's memory), fewer WAL checkpoints, and
    no per-row foreign key check (each batch checks that its list still exists instead).
    PRAGMAs are no-ops inside a transaction (tests), which is harmless."""
    if connection.vendor != "sqlite" or connection.in_atomic_block:
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size = -32768")
        cursor.execute("PRAGMA foreign_keys = OFF")
        # Checkpoint the WAL every ~40 MB, not every 4 MB: hot index pages are copied
        # back into the database once per checkpoint, not once per batch.
        cursor.execute("PRAGMA wal_autocheckpoint = 10000")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_autocheckpoint = 1000")
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.execute("PRAGMA cache_size = -2000")


def dnd_matches(job) -> int:
    """Contacts import: its new contacts that any DND list blocks. DND import: contacts
    (in every contact list) whose number this import newly put on the DND list."""
    if job.kind == ImportJob.Kind.CONTACTS:
        blocked = DndEntry.objects.filter(number=OuterRef("number"))
        return (
            Contact.objects.filter(contact_list_id=job.contact_list_id, id__gt=job.id_floor)
            .filter(Exists(blocked))
            .count()
        )
    added = DndEntry.objects.filter(dnd_list_id=job.dnd_list_id, id__gt=job.id_floor)
    return Contact.objects.filter(Exists(added.filter(number=OuterRef("number")))).count()


def claim(job_id) -> ImportJob | None:
    """Mark the job running if no live run holds it; None when there is nothing to do."""
    stale = timezone.now() - ImportJob.STALL_AFTER
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.status == ImportJob.Status.DONE or not job.mapping:
            return None
        if job.status == ImportJob.Status.RUNNING and job.heartbeat_at and job.heartbeat_at > stale:
            return None  # another run is alive
        job.status = ImportJob.Status.RUNNING
        job.started_at = job.started_at or timezone.now()
        job.heartbeat_at = timezone.now()
        job.error = ""
        job.save(update_fields=["status", "started_at", "heartbeat_at", "error"])
        return job


def run_import(job_id, batch_size=BATCH_SIZE, parallel=None):
    """The job body (campaigns.tasks.run_import): safe to run twice, resumes after a crash.
    `parallel` forces the two-process path on or off (by default: big files only)."""
    job = claim(job_id)
    if job is None:
        return
    try:
        Importer(job, batch_size, parallel).run()
    except Exception as exc:
        committed = ImportJob.objects.filter(pk=job.pk).values_list("committed_rows", flat=True)[0]
        reason = str(exc) if isinstance(exc, UnreadableFile) else f"{type(exc).__name__}: {exc}"
        ImportJob.objects.filter(pk=job.pk).update(
            status=ImportJob.Status.FAILED,
            error=f"{reason}. {committed:,} rows committed; run again to resume.",
            finished_at=timezone.now(),
        )
        raise
