"""Home, by role: today's call figures (from the rollups, in the viewer's day), running
campaigns with their progress, and how fresh each account's call data is. Admins also
see the users/jobs/workers figures they had before."""

from django.shortcuts import render
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.utils import timezone
from django.views.decorators.http import require_GET

from ..access import role_required
from ..models import ProviderAccount, dashboard_figures
from ..models.cdr import SyncRun
from ..reports import queries
from ..reports.periods import resolve

RUNNING_SHOWN = 8
LIVE_PANEL = "telephony/partials/live_panel.html"


def running_campaigns():
    from campaigns.models import Campaign  # the home page reads campaigns; never the reverse

    rows = list(
        Campaign.objects.visible().running().with_progress().order_by("-pk")[: RUNNING_SHOWN + 1]
    )
    for campaign in rows:
        total = campaign.target_count or 0
        campaign.percent = int(campaign.finished_count * 100 / total) if total else 0
    return rows[:RUNNING_SHOWN], len(rows) > RUNNING_SHOWN


def freshness():
    """(account, Freshness) for each active account, failing ones first."""
    accounts = list(ProviderAccount.objects.active().order_by("name"))
    by_id = SyncRun.objects.freshness(accounts)
    rows = [(account, by_id.get(account.pk)) for account in accounts]
    return sorted(rows, key=lambda row: not (row[1] and row[1].failing))


def live_panel_available() -> bool:
    """The CPaaS live panel is another part of issue 11: home includes it once its
    template exists, and shows nothing until then."""
    try:
        get_template(LIVE_PANEL)
    except TemplateDoesNotExist:
        return False
    return True


@role_required("view_reports")
@require_GET
def home(request):
    today = resolve("today", None, None, timezone.get_current_timezone())
    report = queries.overview(today, {})
    campaigns, more_campaigns = running_campaigns()
    context = {
        "figures": dashboard_figures(request.user),
        "today": today,
        "today_figures": report.figures,
        "today_calls": report.totals["calls"],
        "campaigns": campaigns,
        "more_campaigns": more_campaigns,
        "freshness": freshness(),
        "now": timezone.now(),
        "live_panel": live_panel_available(),
    }
    return render(request, "telephony/home.html", context)
