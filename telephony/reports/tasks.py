"""The export job (django-q2). Takes an id, is safe to run twice: only a pending export
is claimed (a conditional UPDATE), and a finished one is left alone."""

import logging

from django.utils import timezone

from .models import ReportExport

log = logging.getLogger(__name__)


def run_export(export_id: int) -> str:
    claimed = ReportExport.objects.filter(pk=export_id, status=ReportExport.Status.PENDING).update(
        status=ReportExport.Status.RUNNING
    )
    if not claimed:
        return "not pending"
    export = ReportExport.objects.get(pk=export_id)
    from .exports import run

    try:
        run(export)
    except Exception as exc:  # the row says why; the worker's log has the trace
        log.exception("Export %s failed", export_id)
        ReportExport.objects.filter(pk=export_id).update(
            status=ReportExport.Status.FAILED,
            error=f"The export stopped: {exc.__class__.__name__}: {str(exc)[:300]}",
            finished_at=timezone.now(),
        )
        return "failed"
    return "done"


def start_export(export: ReportExport):
    from django_q.tasks import async_task

    return async_task(
        "telephony.reports.tasks.run_export", export.pk, task_name=f"report-export-{export.pk}"
    )
