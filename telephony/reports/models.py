"""An export of the CDR search as the user filtered it: one row per request, which is
also the user's download history. A django-q2 job writes the file (tasks.run_export)."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class ReportExportQuerySet(models.QuerySet):
    def of(self, user):
        return self.filter(user=user)


class ReportExport(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for a worker"
        RUNNING = "running", "Writing"
        DONE = "done", "Ready"
        FAILED = "failed", "Failed"

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "Excel (XLSX)"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="report_exports"
    )
    file_format = models.CharField(max_length=4, choices=Format.choices, default=Format.CSV)
    query = models.CharField(
        max_length=2000, help_text="The search page's query string: exactly its filter"
    )
    columns = models.JSONField(default=list)
    time_zone = models.CharField(max_length=64, default="UTC")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    rows_total = models.PositiveBigIntegerField(null=True, blank=True)
    rows_written = models.PositiveBigIntegerField(default=0)
    file = models.FileField(upload_to="exports/%Y/%m/", blank=True)
    size_bytes = models.PositiveBigIntegerField(default=0)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = ReportExportQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"], name="export_user_latest")]

    def __str__(self):
        return f"Export {self.pk} ({self.file_format}, {self.status})"

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        if not self.rows_total:
            return 0
        return min(99, int(self.rows_written * 100 / self.rows_total))

    @property
    def filename(self) -> str:
        stamp = timezone.localtime(self.created_at).strftime("%Y%m%d-%H%M")
        return f"calls-{stamp}-{self.pk}.{self.file_format}"
