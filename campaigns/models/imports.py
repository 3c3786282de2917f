"""ImportJob: one upload or paste into a contact or DND list, run by a django-q2 job."""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

from .lists import ContactList, DndList


class ImportJob(models.Model):
    """One upload (or paste) into a contact list or DND list, run by a django-q2 job.

    Counters are written as the job goes, so the page can show progress and a crashed
    job shows how far it got; `committed_rows` is how many source rows are safely in."""

    class Kind(models.TextChoices):
        CONTACTS = "contacts", "Contacts"
        DND = "dnd", "DND numbers"

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for a worker"
        RUNNING = "running", "Importing"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    contact_list = models.ForeignKey(
        ContactList, null=True, blank=True, on_delete=models.CASCADE, related_name="imports"
    )
    dnd_list = models.ForeignKey(
        DndList, null=True, blank=True, on_delete=models.CASCADE, related_name="imports"
    )
    upload = models.FileField(upload_to="imports/%Y/%m/", blank=True)
    original_name = models.CharField(max_length=255, blank=True)
    size_bytes = models.BigIntegerField(default=0)
    file_format = models.CharField(max_length=10, blank=True)  # csv, xlsx, paste
    encoding = models.CharField(max_length=20, blank=True)
    delimiter = models.CharField(max_length=2, blank=True)
    has_header = models.BooleanField(default=True)
    mapping = models.JSONField(default=dict, blank=True, help_text="column -> field")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    rows_total = models.PositiveIntegerField(null=True, blank=True)
    rows_processed = models.PositiveIntegerField(default=0)
    committed_rows = models.PositiveIntegerField(default=0)
    imported = models.PositiveIntegerField(default=0)
    duplicates_in_file = models.PositiveIntegerField(default=0)
    already_in_list = models.PositiveIntegerField(default=0)
    invalid = models.PositiveIntegerField(default=0)
    dnd_matches = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    error_report = models.FileField(upload_to="import-reports/%Y/%m/", blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    # Added for the import engine (campaigns/importers/).
    columns = models.JSONField(default=list, blank=True, help_text="Column names, in file order")
    empty_rows = models.PositiveIntegerField(default=0)
    report_bytes = models.BigIntegerField(
        default=0, help_text="Length of the error report as of the last committed batch"
    )
    id_floor = models.BigIntegerField(
        default=0, help_text="Highest row id of the target list before this job wrote to it"
    )
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    notes = models.JSONField(default=list, blank=True, help_text="What reading the file noticed")
    sample = models.JSONField(
        default=list,
        blank=True,
        help_text="The file's first rows, header included, cells cut short: the mapping "
        "page's preview, so it never reads the file again",
    )
    sample_kinds = models.JSONField(
        default=list,
        blank=True,
        help_text="The sample's cells that held a date, time, TRUE/FALSE or formula, as "
        "[row, column, kind, address] (importers/cells.py): the preview refuses them in "
        "the number column as the job does",
    )
    # Where the table starts: rows before the header (titles, blank lines, Excel's
    # "sep=;"), and for an .xlsx the sheet read and the sheets there are.
    skip_rows = models.PositiveIntegerField(default=0)
    sheet = models.CharField(max_length=100, blank=True)
    sheets = models.JSONField(default=list, blank=True)

    # The whole file's dry run (importers/summary.py): counts, reasons and samples for a
    # mapping, shown before the import is committed; progress while it runs.
    summary = models.JSONField(default=dict, blank=True)

    # A running job that has not committed a batch for this long is taken as dead.
    STALL_AFTER = timedelta(minutes=5)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.get_kind_display()} import {self.original_name or self.pk}"

    def tally(self) -> dict[str, int]:
        """Where every data row of the file went; the parts add up to its data rows. A
        new contact that a DND list blocks is imported (campaigns skip it when dialing),
        and counted here as DND-blocked rather than imported."""
        blocked = self.dnd_matches if self.kind == self.Kind.CONTACTS else 0
        return {
            "imported": self.imported - blocked,
            "dnd_blocked": blocked,
            "invalid": self.invalid,
            "duplicates_in_file": self.duplicates_in_file,
            "already_in_list": self.already_in_list,
            "empty_rows": self.empty_rows,
        }

    @property
    def target(self):
        return self.contact_list if self.kind == self.Kind.CONTACTS else self.dnd_list

    @property
    def is_finished(self):
        return self.status in (self.Status.DONE, self.Status.FAILED) or self.is_stalled

    @property
    def is_stalled(self):
        """Running, but no batch committed for a while: its worker most likely died."""
        return (
            self.status == self.Status.RUNNING
            and self.heartbeat_at is not None
            and timezone.now() - self.heartbeat_at > self.STALL_AFTER
        )

    @property
    def can_resume(self):
        return self.status == self.Status.FAILED or self.is_stalled

    @property
    def is_mapped(self):
        return bool(self.mapping)

    @property
    def progress_percent(self):
        if self.status == self.Status.DONE:
            return 100
        if not self.rows_total:
            return 0
        return min(99, int(100 * self.rows_processed / self.rows_total))

    def start(self):
        """Queue the import (or its resumption) on a django-q2 worker."""
        from django_q.tasks import async_task

        ImportJob.objects.filter(pk=self.pk).update(task_id="", error="")
        task_id = async_task("campaigns.tasks.run_import", self.pk, task_name=f"import-{self.pk}")
        ImportJob.objects.filter(pk=self.pk).update(task_id=str(task_id or "")[:64])
        self.refresh_from_db()
        return self
