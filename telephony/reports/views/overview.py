"""/reports/: the overview. One view serves the page and its htmx partial (the figures,
charts and group-by table), so a changed range, filter, grouping or sort is a URL."""

from urllib.parse import urlencode

from django.utils import timezone
from django.views.decorators.http import require_GET

from telephony.access import role_required
from telephony.htmx import render_page

from .. import queries
from ..forms import OverviewForm
from ..metrics import DEFINITIONS, LABELS

COLUMNS = ("calls", "answered", "asr", "ner", "acd", "talk_minutes", "short_pct")


def filter_query(form, **overrides) -> str:
    """The page's query string with `overrides`, empty values dropped."""
    data = {key: value for key, value in form.data.items() if value not in ("", None)}
    data.update(overrides)
    return urlencode({key: value for key, value in data.items() if value not in ("", None)})


def heatmap_rows(cells) -> list:
    """(weekday, [(css class, title)] * 24): the words are built here, once, rather than
    by 168 template filter chains."""
    rows = []
    for weekday, row in zip(queries.WEEKDAYS, cells, strict=True):
        shown = []
        for hour, cell in enumerate(row):
            if cell["calls"]:
                title = (
                    f"{weekday} {hour:02d}:00 · {cell['rate'] * 100:.0f}% answered "
                    f"of {cell['calls']:,} call{'s' if cell['calls'] != 1 else ''}"
                )
                shown.append((f"heat-{cell['level']}", title))
            else:
                shown.append(("heat-none", f"{weekday} {hour:02d}:00 · no calls"))
        rows.append((weekday, shown))
    return rows


@role_required("view_reports")
@require_GET
def overview(request):
    form = OverviewForm(request.GET)
    period = form.period(timezone.get_current_timezone())
    filters = form.filters()
    report = queries.overview(period, filters)
    chart_data = report.chart_data()
    group, sort, descending = form.grouping()
    grouped = queries.group_by(period, filters, group, report=report)
    rows = queries.sort_rows(grouped, sort, descending)
    shown = rows[: queries.GROUP_LIMIT]
    for row in shown:
        row.drill = row.calls_query = ""
        row.cells = [row.shown[key] for key in COLUMNS]
        if group == "day":
            day = {"range": "custom", "start": row.key, "end": row.key}
            row.drill = filter_query(form, group="hour", sort=None, **day)
            row.calls_query = filter_query(form, group=None, sort=None, **day)
        elif group != "hour" and row.filter_value:
            row.drill = filter_query(form, **{group: row.filter_value})
            row.calls_query = filter_query(form, group=None, sort=None, **{group: row.filter_value})
    columns = [
        {
            "key": key,
            "label": LABELS[key],
            "definition": DEFINITIONS[key],
            "sorted": sort == key,
            "descending": descending,
            # A click sorts by the column, descending first; a second click flips it.
            "query": filter_query(form, sort=(key if sort == key and descending else f"-{key}")),
        }
        for key in COLUMNS
    ]
    context = {
        "form": form,
        "period": period,
        "previous": period.previous(),
        "report": report,
        "chart_data": chart_data,
        "group": group,
        "group_label": queries.GROUPS[group],
        "groups": queries.GROUPS,
        "rows": shown,
        "hidden_rows": len(rows) - len(shown),
        "columns": columns,
        "key_query": filter_query(form, sort="key" if sort != "key" or descending else "-key"),
        "key_sorted": sort == "key",
        "descending": descending,
        "calls_query": filter_query(form, group=None, sort=None),
        "filtered": any(filters.values()),
        "definitions": DEFINITIONS,
        "hours": [f"{hour:02d}" for hour in range(24)],
        "heatmap_rows": heatmap_rows(chart_data["heatmap"]["cells"]),
    }
    return render_page(request, "reports/overview.html", context, "report_body")
