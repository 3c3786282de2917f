"""Imports into contact and DND lists: upload (or paste), map columns with a preview,
then watch the job's progress and read its summary and error report."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import RequestDataTooBig
from django.core.files.storage import default_storage
from django.http import FileResponse, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods

from telephony.access import role_required
from telephony.htmx import render_page

from ..forms import ImportMappingForm, ImportReadingForm, ImportUploadForm
from ..importers import (
    SizeLimitUploadHandler,
    UnreadableFile,
    column_reasons,
    create_job,
    max_upload_bytes,
    preview,
    reread,
    too_large_message,
)
from ..importers.reading import DELIMITER_NAMES, encoding_label
from ..importers.summary import current, refresh_summary
from ..models import ContactList, DndList, ImportJob

# Room for the multipart framing and the form's other fields around the file itself.
FORM_OVERHEAD = 1024 * 1024


@role_required("run_campaigns")
@require_http_methods(["GET", "POST"])
@csrf_exempt  # the CSRF check runs in _upload, after the size limit is in place
def contact_import(request, pk):
    contact_list = get_object_or_404(ContactList, pk=pk)
    return _upload(request, ImportJob.Kind.CONTACTS, contact_list)


@role_required("run_campaigns")
@require_http_methods(["GET", "POST"])
@csrf_exempt  # the CSRF check runs in _upload, after the size limit is in place
def dnd_import(request, pk):
    dnd_list = get_object_or_404(DndList, pk=pk)
    return _upload(request, ImportJob.Kind.DND, dnd_list)


def _upload(request, kind, target):
    """Refuse an oversized body before reading it; otherwise read it through a handler
    that stops at the limit, then check CSRF as usual."""
    limit = max_upload_bytes() + FORM_OVERHEAD
    if request.method == "POST":
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if declared > limit:
            return _upload_page(request, kind, target, too_large=declared, status=413)
        request.upload_handlers.insert(
            0, SizeLimitUploadHandler(request, max_upload_bytes(), limit)
        )
    try:
        return _upload_checked(request, kind, target)
    except RequestDataTooBig:
        return _upload_page(
            request,
            kind,
            target,
            error="The pasted text is too long to paste; save it as a CSV file and upload that.",
            status=413,
        )


@csrf_protect
def _upload_checked(request, kind, target):
    if request.method == "POST":
        request.FILES  # noqa: B018 (parse the body now: the size handler reports while parsing)
        if getattr(request, "upload_too_large", 0):
            return _upload_page(
                request, kind, target, too_large=request.upload_too_large, status=413
            )
        form = ImportUploadForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                job = create_job(
                    kind,
                    target,
                    request.user,
                    upload=form.cleaned_data["file"] or None,
                    pasted=form.cleaned_data["pasted"],
                )
            except UnreadableFile as exc:
                form.add_error("file" if form.cleaned_data["file"] else "pasted", str(exc))
            else:
                refresh_summary(job)
                return redirect("campaigns:import_mapping", pk=job.pk)
        return _upload_page(request, kind, target, form=form, status=200)
    return _upload_page(request, kind, target)


def _upload_page(request, kind, target, form=None, too_large=0, error="", status=200):
    form = form or ImportUploadForm()
    if too_large:
        error = too_large_message(too_large)
    jobs = target.imports.select_related("created_by")[:5]
    context = {
        "form": form,
        "page_error": error,
        "kind": kind,
        "target": target,
        "is_dnd": kind == ImportJob.Kind.DND,
        "jobs": jobs,
        "max_mb": settings.IMPORT_MAX_UPLOAD_MB,
        "back_url": _target_url(kind, target),
    }
    return render(request, "campaigns/import_upload.html", context, status=status)


def _target_url(kind, target):
    name = "campaigns:dnd_detail" if kind == ImportJob.Kind.DND else "campaigns:list_detail"
    return reverse(name, kwargs={"pk": target.pk})


def _job(pk):
    return get_object_or_404(
        ImportJob.objects.select_related("contact_list", "dnd_list", "created_by"), pk=pk
    )


@role_required("run_campaigns")
@require_http_methods(["GET", "POST"])
def import_mapping(request, pk):
    """Column -> field selects and a live preview; POST starts (or resumes) the job."""
    job = _job(pk)
    started = bool(job.task_id or job.started_at)
    if started:
        if request.method == "POST" and job.can_resume:
            job.start()
            messages.success(request, f"Resuming from row {job.committed_rows:,}.")
        elif request.method == "POST":
            messages.info(request, "This import has already started.")
        return redirect("campaigns:import_detail", pk=job.pk)
    if not job.columns:
        # A refused upload never gets a job; a job without columns cannot be mapped.
        messages.error(request, "This import has no readable columns; upload the file again.")
        return redirect(_target_url(job.kind, job.target))

    if request.method == "POST" and "reread" in request.POST:
        return _reread(request, job)
    edited = request.method == "POST" or any(key.startswith("col_") for key in request.GET)
    data = request.POST if request.method == "POST" else (request.GET if edited else None)
    form = ImportMappingForm(data, job=job)
    mapping = form.mapping() if form.is_bound and form.is_valid() else job.mapping
    if request.method == "POST" and "summarize" in request.POST:
        # A big file: its summary runs as a background job; the page polls it.
        if form.is_valid():
            job.mapping = mapping
            job.save(update_fields=["mapping"])
            refresh_summary(job, mapping)
        return redirect("campaigns:import_mapping", pk=job.pk)
    if request.method == "POST" and form.is_valid():
        job.mapping = form.mapping()
        job.save(update_fields=["mapping"])
        job.start()
        messages.success(request, f"Import of {job.original_name} started.")
        return redirect("campaigns:import_detail", pk=job.pk)

    try:
        rows = preview(job, mapping)
    except UnreadableFile as exc:
        rows, form_error = [], str(exc)
    except FileNotFoundError:
        rows, form_error = [], "The uploaded file is no longer there; upload it again."
    else:
        form_error = ""
    first = next((row["cells"] for row in rows if isinstance(row["cells"], list)), [])
    first_values = [first[i] if i < len(first) else "" for i in range(len(job.columns))]
    reasons = column_reasons(job, mapping)
    why = [reasons.get(str(i), "") for i in range(len(job.columns))]
    summary = current(job, mapping)
    context = {
        "job": job,
        "form": form,
        "reading_form": ImportReadingForm(job=job),
        "encoding_label": encoding_label(job.encoding or "utf-8-sig"),
        "delimiter_name": DELIMITER_NAMES.get(job.delimiter or ",", job.delimiter),
        "rows": rows,
        "columns": list(zip(job.columns, form, first_values, why, strict=False)),
        "preview_error": form_error,
        "back_url": _target_url(job.kind, job.target),
        "field_count": sum(1 for target in mapping.values() if target.startswith("field:")),
        "summary": summary,
        "summary_percent": _percent(summary),
        "summary_stale": bool(job.summary) and summary is None,
    }
    return render_page(request, "campaigns/import_mapping.html", context, "preview")


def _percent(summary) -> int:
    if not summary or summary.get("state") == "done":
        return 100 if summary else 0
    total = summary.get("rows_total") or 0
    return min(99, int(100 * summary.get("rows_done", 0) / total)) if total else 0


def _reread(request, job):
    """The file settings changed: read the stored file's head again with them (the
    mapping is detected afresh), then show the page (a plain reload reads nothing)."""
    form = ImportReadingForm(request.POST, job=job)
    if not form.is_valid():
        problems = [error for errors in form.errors.values() for error in errors]
        messages.error(request, "Those file settings cannot be used: " + " ".join(problems))
        return redirect("campaigns:import_mapping", pk=job.pk)
    data = form.cleaned_data
    try:
        reread(
            job,
            encoding=data.get("encoding") or "",
            delimiter=data.get("delimiter") or "",
            sheet=data.get("sheet") or "",
            has_header=data["has_header"],
        )
    except UnreadableFile as exc:
        messages.error(request, f"The file cannot be read that way: {exc}")
    else:
        refresh_summary(job)
        messages.success(request, "The file was read again with those settings.")
    return redirect("campaigns:import_mapping", pk=job.pk)


@role_required("view_reports")
@require_GET
def import_detail(request, pk):
    """Progress (polled by htmx until the job ends), then the summary."""
    job = _job(pk)
    context = {"job": job, "back_url": _target_url(job.kind, job.target)}
    return render_page(request, "campaigns/import_detail.html", context, "progress")


@role_required("run_campaigns")  # personal data: supervisors and admins
@require_GET
def import_errors(request, pk):
    """The invalid rows as CSV: row number, value, reason (a header only when none)."""
    job = _job(pk)
    filename = f"import-{job.pk}-invalid-rows.csv"
    if job.error_report and default_storage.exists(job.error_report.name):
        return FileResponse(
            default_storage.open(job.error_report.name, "rb"),
            as_attachment=True,
            filename=filename,
            content_type="text/csv; charset=utf-8",
        )
    response = HttpResponse("row,value,reason\r\n", content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
