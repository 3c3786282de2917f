"""A campaign's page (live by htmx polling while it is active), its attempts, and the
lifecycle buttons: start, pause, resume, stop. The lifecycle is on the model; these
views ask it and show its answer as a message."""

from django.contrib import messages
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from telephony.access import role_required
from telephony.htmx import render_page

from ..forms.filters import AttemptFilterForm
from ..models import Campaign, CampaignAttempt
from ..models.lists import PAGE_SIZE, KeysetPage
from ..models.progress import FUNNEL_PARTS, funnel_segments, with_tones


def _campaign(pk) -> Campaign:
    return get_object_or_404(Campaign.objects.visible(), pk=pk)


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


# The funnel's numbers, in the order the page shows them: the total, its parts (which
# add up to it), and the finished ones the heading counts.
FUNNEL_ROW = (("total", "Total"), *FUNNEL_PARTS.items(), ("finished", "Finished"))


def _status_label(status: str) -> str:
    labels = dict(CampaignAttempt.Status.choices)
    return labels.get(status, status.replace("_", " ").capitalize())


def _idle_title(campaign: Campaign, funnel: dict) -> str:
    """The heading over why_idle: it must not say nothing is dialing while calls are."""
    if campaign.state == Campaign.State.PAUSED:
        return campaign.state_label
    if campaign.state == Campaign.State.SCHEDULED:
        return "Not dialing yet"
    if funnel["in_progress"]:
        return "No new calls are starting"
    return "Nothing is dialing"


def _live_context(campaign: Campaign) -> dict:
    now = timezone.now()
    funnel = campaign.funnel()
    why_idle = campaign.why_idle(now)
    return {
        "campaign": campaign,
        "funnel": funnel,
        "funnel_row": [(key, label, funnel[key]) for key, label in FUNNEL_ROW],
        "failed_by": [(_status_label(key), n) for key, n in funnel["failed_by"].items()],
        "segments": funnel_segments(funnel),
        "pace": campaign.pace(now),
        "why_idle": why_idle,
        "idle_title": _idle_title(campaign, funnel) if why_idle else "",
        # The pace is judged against the target only while something is left to dial and
        # nothing (a closed window, retries not due) says why it is not dialing.
        "pace_judged": (
            campaign.state == Campaign.State.RUNNING and funnel["to_dial"] > 0 and not why_idle
        ),
        "day_limited": campaign.waiting_for_vendor_day_limit() if not campaign.is_native else 0,
        "attempts": campaign.recent_attempts(),
        "contact_lists": campaign.contact_lists.order_by("name"),
        "dnd_lists": campaign.dnd_lists.order_by("name"),
        "retry_labels": [_status_label(status).lower() for status in campaign.retry_statuses or []],
    }


@role_required("view_reports")
@require_GET
def campaign_detail(request, pk):
    """The whole page; the htmx poll gets the live part only (state, buttons, funnel,
    pace, why idle, recent attempts), and the poll stops once the campaign finishes."""
    campaign = _campaign(pk)
    context = _live_context(campaign)
    return render_page(request, "campaigns/campaign_detail.html", context, "live")


def attempt_page(queryset, *, older_than=None, newer_than=None, size=PAGE_SIZE) -> KeysetPage:
    """Newest first by the time each attempt shows (dialed, else created), then id, as
    the campaign page's recent attempts: `older_than` follows a page (Next),
    `newer_than` goes back (Previous). The links carry an attempt's id; its time is read
    back, so no OFFSET and no COUNT."""
    rows = queryset.in_time_order()
    anchor_id = newer_than if newer_than is not None else older_than
    anchor = rows.filter(pk=anchor_id).values_list("at", flat=True).first()
    if anchor_id is None or anchor is None:
        page = list(rows[: size + 1])
        return KeysetPage(page[:size], False, len(page) > size)
    newer = Q(at__gt=anchor) | Q(at=anchor, pk__gt=anchor_id)
    if newer_than is not None:
        page = list(rows.filter(newer).order_by("at", "pk")[: size + 1])
        has_previous = len(page) > size
        return KeysetPage(page[:size][::-1], has_previous, rows.exclude(newer).exists())
    page = list(rows.exclude(newer).exclude(pk=anchor_id)[: size + 1])
    return KeysetPage(page[:size], rows.filter(newer | Q(pk=anchor_id)).exists(), len(page) > size)


@role_required("view_reports")
@require_GET
def campaign_attempts(request, pk):
    """Every attempt, newest first, filtered by status and number; an htmx request
    (filter, paging) gets the table only."""
    campaign = _campaign(pk)
    status = request.GET.get("status", "")
    if status not in CampaignAttempt.Status.values and status != "open":
        status = ""
    number = request.GET.get("number", "").strip()
    page = attempt_page(
        campaign.attempts.filtered(status=status, number=number),
        older_than=_int(request.GET.get("older")),
        newer_than=_int(request.GET.get("newer")),
    )
    page.rows = with_tones(page.rows)
    context = {
        "campaign": campaign,
        "page": page,
        "status": status,
        "number": number,
        "statuses": CampaignAttempt.Status.choices,
        "filter_form": AttemptFilterForm(initial={"status": status, "number": number}),
        "filtered": bool(status or number),
    }
    return render_page(request, "campaigns/campaign_attempts.html", context, "attempt_table")


def _confirm(request, campaign, action):
    context = {"campaign": campaign, "action": action}
    if action == "start":
        context["problems"] = campaign.problems() if campaign.is_editable else {}
        context["possible"] = campaign.is_editable
        if context["possible"] and not context["problems"]:
            context["preview"] = campaign.preview()
        context["contact_lists"] = campaign.contact_lists.order_by("name")
        context["dnd_lists"] = campaign.dnd_lists.order_by("name")
    else:
        context["possible"] = campaign.can_stop
    return render(request, "campaigns/campaign_confirm.html", context)


def _answer(request, campaign, ok: bool, message: str):
    (messages.success if ok else messages.error)(request, message)
    return redirect("campaigns:campaign_detail", pk=campaign.pk)


@role_required("run_campaigns")
@require_http_methods(["GET", "POST"])
def campaign_start(request, pk):
    """GET: what starting does, and the builder's problems if any; POST: start."""
    campaign = _campaign(pk)
    if request.method == "GET":
        return _confirm(request, campaign, "start")
    ok, message = campaign.start(user=request.user)
    return _answer(request, campaign, ok, message)


@role_required("run_campaigns")
@require_POST
def campaign_pause(request, pk):
    campaign = _campaign(pk)
    ok, message = campaign.pause(user=request.user)
    return _answer(request, campaign, ok, message)


@role_required("run_campaigns")
@require_POST
def campaign_resume(request, pk):
    campaign = _campaign(pk)
    ok, message = campaign.resume()
    return _answer(request, campaign, ok, message)


@role_required("run_campaigns")
@require_http_methods(["GET", "POST"])
def campaign_stop(request, pk):
    """GET: what stopping means; POST: stop (at the vendor first for CPaaS, whose
    refusal is shown in its own words)."""
    campaign = _campaign(pk)
    if request.method == "GET":
        return _confirm(request, campaign, "stop")
    ok, message = campaign.stop(user=request.user)
    return _answer(request, campaign, ok, message)
