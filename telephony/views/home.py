from django.shortcuts import render
from django.views.decorators.http import require_GET

from ..access import role_required
from ..models import dashboard_figures


@role_required("view_reports")
@require_GET
def home(request):
    return render(request, "telephony/home.html", {"figures": dashboard_figures(request.user)})
