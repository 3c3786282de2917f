"""Omilia's CSV: export the vendor's file (POST /api/numbers/csv), and apply a file of
operations (PUT /api/numbers/csv) after a preview of what each row changes, computed
against the account's numbers as OCP has them now. Nothing is sent before the admin
confirms the preview; the file confirmed is the file previewed (signed, 30 minutes)."""

import csv
import io

from django.core import signing
from django.http import StreamingHttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from phone_numbers.forms_omilia import CsvExportForm, CsvUploadForm
from telephony.vendors.base import InvalidRequest, VendorError
from telephony.vendors.omilia.validation import CSV_OPERATION_COLUMN, validate_csv_text

from .omilia_common import admin_only, attach_error, omilia_account, refresh_inventory, report
from .omilia_numbers import numbers_url

SIGNING_SALT = "phone_numbers.omilia.csv"
PREVIEW_MAX_AGE = 30 * 60
CHUNK = 64 * 1024
FAILURES = (VendorError, InvalidRequest)


@admin_only
@require_GET
def omilia_csv_export(request, account_pk):
    """The export's filters; with ?download=1 the vendor's CSV, streamed in chunks (the
    HTTP seam has already bounded its size)."""
    account = omilia_account(account_pk)
    form = CsvExportForm(request.GET if "download" in request.GET else None)
    error = ""
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        try:
            text = account.client().export_numbers_csv(
                number=data["number"] or None,
                note=data["note"] or None,
                set_id=data["set_id"] or None,
                groups=[data["group"]] if data["group"] else None,
            )
        except FAILURES as exc:
            attach_error(form, exc, fallback="number")
        else:
            chunks = (text[i : i + CHUNK] for i in range(0, len(text), CHUNK))
            response = StreamingHttpResponse(chunks, content_type="text/csv; charset=utf-8")
            name = f"omilia-numbers-{account.pk}.csv"
            response["Content-Disposition"] = f'attachment; filename="{name}"'
            return response
    context = {"account": account, "form": form, "error": error, "tab": "csv"}
    return render(request, "phone_numbers/omilia/csv_export.html", context)


def preview_rows(text: str, current: dict) -> list[dict]:
    """What each row of the file would change, against `current` (number -> record).
    Rows after a create or delete see the state those rows leave."""
    rows = []
    exists = {number: True for number in current}
    for line, row in enumerate(csv.DictReader(io.StringIO(text)), start=2):
        op = (row.get(CSV_OPERATION_COLUMN) or "").strip().lower()
        number = (row.get("number") or "").strip()
        record = current.get(number)
        present = exists.get(number, False)
        changes, problem = [], ""
        if op == "create":
            if present:
                problem = "already exists: Omilia will refuse the file"
            else:
                changes.append(f"new number in group {row.get('groupId', '').strip()}")
                exists[number] = True
        elif not present:
            problem = "not found in this account: Omilia will refuse the file"
        elif op == "delete":
            changes.append("removes it" + (f" (group {record.group_id})" if record else ""))
            exists[number] = False
        elif op == "detach":
            if record and record.mini_app_id:
                changes.append(f"detaches it from miniApp {record.mini_app_name}")
            else:
                changes.append("no change: not attached to a miniApp")
        elif op == "attach":
            before = record.mini_app_name if record and record.mini_app_id else "none"
            changes.append(
                f"miniApp: {before} → {row.get('miniAppId', '').strip()} "
                f"({row.get('locale', '').strip()})"
            )
        elif op == "update":
            fields = (
                ("note", "note"), ("groupId", "group_id"), ("locale", "locale"),
                ("applicationTag", "application_tag"), ("country", "country"),
            )  # fmt: skip
            for column, attr in fields:
                new = (row.get(column) or "").strip()
                old = getattr(record, attr, "") if record else ""
                if new and new != old:
                    changes.append(f"{column}: “{old}” → “{new}”")
            if not changes:
                changes.append("no change")
        rows.append(
            {"line": line, "operation": op, "number": number, "changes": changes,
             "problem": problem}
        )  # fmt: skip
    return rows


def sign(account, text: str) -> str:
    return signing.dumps({"account": account.pk, "csv": text}, salt=SIGNING_SALT, compress=True)


def unsign(account, payload: str) -> str | None:
    try:
        data = signing.loads(payload, salt=SIGNING_SALT, max_age=PREVIEW_MAX_AGE)
    except signing.BadSignature:
        return None
    if data.get("account") != account.pk or not isinstance(data.get("csv"), str):
        return None
    return data["csv"]


@admin_only
@require_http_methods(["GET", "POST"])
def omilia_csv_apply(request, account_pk):
    """Upload -> preview (no vendor write) -> confirm -> PUT /api/numbers/csv."""
    account = omilia_account(account_pk)
    context = {"account": account, "tab": "csv"}
    if request.method == "POST" and "payload" in request.POST:
        text = unsign(account, request.POST["payload"])
        if text is None:
            context.update(
                form=CsvUploadForm(), error="The preview expired; upload the file again."
            )
            return render(request, "phone_numbers/omilia/csv_apply.html", context)
        try:
            result = account.client().apply_numbers_csv(csv_text=text)
        except FAILURES as exc:
            context.update(
                form=CsvUploadForm(),
                error="Omilia refused the file; nothing was changed. "
                + str(getattr(exc, "message", exc)),
            )
            return render(request, "phone_numbers/omilia/csv_apply.html", context)
        if report(request, result, "Applied the CSV file."):
            refresh_inventory(request, account)
            return redirect(numbers_url(account))
        context.update(form=CsvUploadForm(), error=result.message)
        return render(request, "phone_numbers/omilia/csv_apply.html", context)
    form = CsvUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        text = form.cleaned_data["file"]
        try:
            validate_csv_text(text)
            current = {row.number: row for row in account.client().iter_numbers(page_size=100)}
        except FAILURES as exc:
            attach_error(form, exc, fallback="file")
        else:
            rows = preview_rows(text, current)
            context.update(
                rows=rows,
                payload=sign(account, text),
                problems=sum(1 for row in rows if row["problem"]),
                file_name=request.FILES["file"].name,
            )
    context["form"] = form
    return render(request, "phone_numbers/omilia/csv_apply.html", context)
