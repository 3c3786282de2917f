"""Exports of the CDR search: start one (POST from the search page), watch its progress
(htmx polling while it runs), download it, and the user's download history. A user
sees and downloads only their own exports."""

from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from telephony.access import role_required
from telephony.htmx import render_page

from ..exports import COLUMNS, DEFAULT_COLUMNS, frozen_query
from ..models import ReportExport
from ..tasks import start_export
from .calls import search_state

HISTORY_SIZE = 50


@role_required("view_reports")
@require_POST
def export_create(request):
    file_format = request.POST.get("format", "csv")
    if file_format not in ReportExport.Format.values:
        file_format = "csv"
    columns = [key for key in request.POST.getlist("columns") if key in COLUMNS][: len(COLUMNS)]
    _, period, _, _ = search_state(request, request.POST)
    export = ReportExport.objects.create(
        user=request.user,
        file_format=file_format,
        query=frozen_query(request.POST, period),
        columns=columns or DEFAULT_COLUMNS,
        time_zone=str(timezone.get_current_timezone()),
    )
    start_export(export)
    messages.info(request, "The export is being written; it is listed below when ready.")
    return redirect("reports:export_detail", pk=export.pk)


def _own(request, pk) -> ReportExport:
    return get_object_or_404(ReportExport.objects.of(request.user), pk=pk)


@role_required("view_reports")
@require_GET
def export_detail(request, pk):
    """One export's progress; htmx polls the status partial until it is finished."""
    export = _own(request, pk)
    return render_page(request, "reports/export_detail.html", {"export": export}, "status")


@role_required("view_reports")
@require_GET
def export_index(request):
    exports = ReportExport.objects.of(request.user)[:HISTORY_SIZE]
    return render_page(request, "reports/export_index.html", {"exports": exports}, "history")


@role_required("view_reports")
@require_GET
def export_download(request, pk):
    export = _own(request, pk)
    if export.status != ReportExport.Status.DONE or not export.file:
        messages.warning(request, "That export is not ready.")
        return redirect("reports:export_detail", pk=export.pk)
    try:
        handle = export.file.open("rb")
    except FileNotFoundError:
        raise Http404("The export's file is gone; export again.") from None
    return FileResponse(handle, as_attachment=True, filename=export.filename)
