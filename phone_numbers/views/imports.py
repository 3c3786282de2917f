"""Importing MyOperator DIDs and CPaaS caller ids from CSV/XLSX (phone_numbers/resources.py):
the whole file or nothing, with every failing row named by its line and reason."""

import csv

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from ..forms import ImportForm
from ..resources import COLUMNS, import_numbers
from .inventory import manage

REPORT_SHOWN = 200


@manage
@require_http_methods(["GET", "POST"])
def number_import(request):
    form = ImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        report = import_numbers(
            data["account"],
            data["file"],
            default_country=data["default_country"],
            default_kind=data["default_kind"],
        )
        if report.ok:
            messages.success(
                request,
                f"Imported into {data['account'].name}: {report.created} added, "
                f"{report.updated} updated, {report.unchanged} unchanged.",
            )
            return redirect(f"{reverse('numbers:number_index')}?account={data['account'].pk}")
    context = {
        "form": form,
        "report": report,
        "problems": report.problems[:REPORT_SHOWN] if report else [],
        "more_problems": max(0, len(report.problems) - REPORT_SHOWN) if report else 0,
    }
    return render(request, "phone_numbers/number_import.html", context, status=200)


@manage
@require_GET
def import_template(request):
    """A CSV with the columns and two example rows, to fill in."""
    response = HttpResponse(content_type="text/csv")
    response["Content-Disposition"] = 'attachment; filename="numbers-template.csv"'
    writer = csv.writer(response)
    writer.writerow(COLUMNS)
    writer.writerow(["+919876543210", "did", "Mumbai", "sales", "Main sales DID", "500"])
    writer.writerow(["+918041234567", "caller_id", "Karnataka", "support", "", ""])
    return response
