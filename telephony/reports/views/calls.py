"""/reports/calls/: CDR search. Keyset pages of stored CallRecords, newest first; for a
MyOperator account, a builder over its synced `/filters` that filters stored records or
runs the same search live at the vendor (one bounded page)."""

from django.db.models import Q
from django.utils import timezone
from django.views.decorators.http import require_GET

from telephony.access import role_required
from telephony.htmx import render_page
from telephony.models import ProviderAccount, VendorKind
from telephony.vendors.base import InvalidRequest, VendorError

from .. import search as cdr_search
from .. import vendor_filters
from ..exports import COLUMNS, DEFAULT_COLUMNS
from ..forms import CallSearchForm
from ..models import ReportExport

LIVE_PAGE_SIZE = 50


def search_state(request, params):
    """The form, period and search dict of a query string: shared with the export, so
    the file holds exactly what the page lists."""
    form = CallSearchForm(params)
    period = form.period(timezone.get_current_timezone())
    search = form.search()
    builder = {"account": None, "tree": [], "chosen": [], "join": "and", "live_only": []}
    account = None
    if search.get("account"):
        account = ProviderAccount.objects.filter(pk=search["account"]).first()
    if account is not None and account.kind == VendorKind.MYOPERATOR:
        join = "or" if params.get("join") == "or" else "and"
        chosen = vendor_filters.chosen(account.pk, params.getlist("lf"))
        query, live_only = vendor_filters.stored_query(chosen, join)
        if chosen and query is None:
            # A filter the stored log cannot answer: nothing stored is claimed to match.
            search["log_filter"] = Q(pk__in=[])
        elif query is not None:
            search["log_filter"] = query
        builder = {
            "account": account,
            "tree": vendor_filters.tree(account.pk),
            "chosen": chosen,
            "chosen_ids": {f.vendor_id for f in chosen},
            "join": join,
            "live_only": live_only,
            "expression": vendor_filters.expression(chosen, join),
        }
    return form, period, search, builder


def live_search(account, period, builder, search) -> dict:
    """One page of the vendor's `/search` for the same range and filters."""
    try:
        page = account.client().search_logs(
            date_from=period.start,
            date_to=period.end,
            filters=builder["expression"] or None,
            search_key=search.get("number") or None,
            page_size=LIVE_PAGE_SIZE,
        )
    except InvalidRequest as exc:
        return {"error": str(exc)}
    except VendorError as exc:
        return {"error": f"MyOperator answered: {exc.message}"}
    from telephony.vendors.myoperator.mapping import is_call, log_to_cdr

    rows = []
    for source in page.items[:LIVE_PAGE_SIZE]:
        if isinstance(source, dict) and is_call(source):
            try:
                rows.append(log_to_cdr(source))
            except (ValueError, TypeError, KeyError):
                continue
    return {"rows": rows, "total": page.total, "more": page.next_cursor is not None}


@role_required("view_reports")
@require_GET
def calls(request):
    form, period, search, builder = search_state(request, request.GET)
    records = cdr_search.records(period, search).select_related("account", "campaign")
    page = cdr_search.page(records, older=request.GET.get("older"), newer=request.GET.get("newer"))
    live = None
    if request.GET.get("live") and builder["account"] is not None:
        live = live_search(builder["account"], period, builder, search)
    query = request.GET.copy()
    for key in ("older", "newer", "live"):
        query.pop(key, None)
    context = {
        "form": form,
        "period": period,
        "page": page,
        "count": cdr_search.count(period, search),
        "builder": builder,
        "live": live,
        "filtered": any(v for k, v in search.items() if k not in ("match",)),
        "export_pairs": [(key, value) for key in query for value in query.getlist(key)],
        "columns": COLUMNS,
        "default_columns": DEFAULT_COLUMNS,
        "recent_exports": ReportExport.objects.of(request.user)[:3],
    }
    return render_page(request, "reports/calls.html", context, "call_results")
