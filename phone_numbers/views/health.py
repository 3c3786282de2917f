"""The health page: each number's figures over 1, 7 and 30 days from the CDR rollups,
the rules' flags, and the numbers held but unused. Viewers may read it (DESIGN.md, roles)."""

from django.views.decorators.http import require_GET

from telephony.access import role_required
from telephony.htmx import render_page

from ..forms import HealthFilterForm
from ..health import Health, rules, unused
from ..models import PhoneNumber
from ..paging import sorted_page
from .inventory import _int

UNUSED_SHOWN = 50


def health_context(params) -> dict:
    form = HealthFilterForm(params)
    filters = form.filters()
    numbers = PhoneNumber.objects.filtered(**filters, match="ends" if filters["q"] else "")
    page = sorted_page(
        numbers.select_related("account"),
        "pk",
        after=_int(params.get("after")),
        before=_int(params.get("before")),
        last=params.get("page") == "last",
    )
    # The health job's stored figures: a page costs 50 small rows whatever the call volume.
    for number in page.rows:
        number.health = Health.from_json(number.health_figures)
    checked = [number.health_checked_at for number in page.rows if number.health_checked_at]
    return {
        "form": form,
        "page": page,
        "filtered": any(filters.values()),
        "checked_at": min(checked) if checked else None,
    }


@role_required("view_reports")
@require_GET
def health_index(request):
    """Figures of a page of numbers; an htmx request (search, filter, paging) gets the table."""
    context = health_context(request.GET)
    idle = unused().select_related("account").order_by("acquired_at", "pk")
    idle = list(idle[: UNUSED_SHOWN + 1])
    context.update(
        rules=rules(),
        unused=idle[:UNUSED_SHOWN],
        unused_more=len(idle) > UNUSED_SHOWN,
    )
    return render_page(request, "phone_numbers/health_index.html", context, "health_table")
