"""A call's page: the record, every attempt and record to that number, the vendor's raw
fields (escaped by the template, bounded here), the recording (fetched from the vendor
only when asked), and "Add this number to a DND list" for supervisors and admins."""

from urllib.parse import urlsplit

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.csp import csp_override
from django.views.decorators.http import require_GET, require_POST

from telephony.access import role_required
from telephony.models import CallRecord, VendorKind
from telephony.vendors.base import InvalidRequest, VendorError

from ..search import PAGE_SIZE

RAW_KEYS = 200
RAW_VALUE_CHARS = 500
RAW_DEPTH = 4
OTHER_RECORDS = PAGE_SIZE


def raw_fields(raw, prefix="", depth=0, out=None) -> list[tuple[str, str]]:
    """The vendor's record as (dotted key, text) pairs, at most RAW_KEYS of them, each
    value cut at RAW_VALUE_CHARS: a vendor answer is hostile and may be huge."""
    out = [] if out is None else out
    if isinstance(raw, dict) and depth < RAW_DEPTH:
        items = raw.items()
    elif isinstance(raw, list) and depth < RAW_DEPTH:
        items = ((str(n), v) for n, v in enumerate(raw))
    else:
        text = "" if raw is None else str(raw)
        if len(text) > RAW_VALUE_CHARS:
            text = text[:RAW_VALUE_CHARS] + f"… ({len(text):,} characters)"
        out.append((prefix or "(value)", text))
        return out
    for key, value in items:
        if len(out) >= RAW_KEYS:
            out.append(("…", "more fields not shown"))
            break
        raw_fields(value, f"{prefix}.{key}" if prefix else str(key), depth + 1, out)
    return out


def playable_url(ref: str) -> str:
    parts = urlsplit(ref or "")
    return ref if parts.scheme in ("http", "https") and parts.netloc else ""


def recording_kind(record) -> str:
    """How the page offers the recording: "link" (MyOperator, fetched on demand), "url"
    (the reference is itself an audio URL), "reference" (a name only), or ""."""
    if not record.recording_ref:
        return ""
    if record.account.kind == VendorKind.MYOPERATOR:
        return "link"
    return "url" if playable_url(record.recording_ref) else "reference"


def _record(pk):
    return get_object_or_404(
        CallRecord.objects.select_related("account", "campaign", "attempt", "contact"), pk=pk
    )


# Recording links point at the vendor's storage, so the page lets <audio> load from any
# https origin (media only: scripts and the rest keep the project's policy).
MEDIA_POLICY = {"media-src": ["'self'", "https:"]}


def _with_media(view):
    from django.conf import settings

    return csp_override({**settings.SECURE_CSP, **MEDIA_POLICY})(view)


@role_required("view_reports")
@require_GET
@_with_media
def call_detail(request, pk):
    record = _record(pk)
    from campaigns.models import CampaignAttempt, DndEntry, DndList

    number = record.customer_number
    attempts = []
    others = []
    blocked = []
    if number:
        attempts = list(
            CampaignAttempt.objects.filter(number=number)
            .select_related("campaign")
            .order_by("-created_at", "-id")[:OTHER_RECORDS]
        )
        others = list(
            CallRecord.objects.filter(customer_number=number)
            .exclude(pk=record.pk)
            .select_related("account", "campaign")
            .order_by("-started_at", "-id")[:OTHER_RECORDS]
        )
        blocked = list(DndEntry.objects.blocking(number).select_related("dnd_list")[:20])
    can_dnd = request.user.has_perm("telephony.run_campaigns")
    context = {
        "record": record,
        "attempts": attempts,
        "others": others,
        "raw": raw_fields(record.raw),
        "recording": recording_kind(record),
        "recording_url": playable_url(record.recording_ref),
        "can_dnd": can_dnd,
        "dnd_lists": DndList.objects.order_by("name") if can_dnd and number else [],
        "blocked": blocked,
    }
    return render(request, "reports/call_detail.html", context)


@role_required("view_reports")
@require_GET
def call_recording(request, pk):
    """The player, with a fresh link from MyOperator's `/recordings/link` (valid 24 h),
    or the vendor's own words when it has none."""
    record = _record(pk)
    context = {"record": record, "url": "", "error": ""}
    if recording_kind(record) == "url":
        context["url"] = playable_url(record.recording_ref)
    elif recording_kind(record) != "link":
        context["error"] = "This call has no recording Dialdesk can fetch."
    else:
        try:
            link = record.account.client().recording_link(record.recording_ref)
        except InvalidRequest as exc:
            context["error"] = str(exc)
        except VendorError as exc:
            context["error"] = f"MyOperator answered: {exc.message}"
        else:
            context["url"] = playable_url(link)
            if not context["url"]:
                context["error"] = "MyOperator's answer held no web link to the recording."
    return render(request, "reports/call_detail.html#recording_player", context)


@role_required("run_campaigns")
@require_POST
def call_dnd(request, pk):
    """Add the call's number to a DND list (campaigns' own add, with its checks)."""
    record = _record(pk)
    from campaigns.models import DndList

    dnd_list = DndList.objects.filter(pk=request.POST.get("dnd_list") or 0).first()
    if dnd_list is None:
        messages.error(request, "Choose a DND list.")
    elif not record.customer_number:
        messages.error(request, "This call has no customer number to block.")
    else:
        reason = (request.POST.get("reason") or "").strip()[:200] or f"From call {record.pk}"
        result = dnd_list.add_numbers(record.customer_number, user=request.user, reason=reason)
        if result.added:
            messages.success(request, f"Added {record.customer_number} to {dnd_list.name}.")
        elif result.duplicates:
            messages.info(request, f"{record.customer_number} is already in {dnd_list.name}.")
        else:
            reasons = "; ".join(str(row[-1]) for row in result.invalid) or "not a valid number"
            messages.error(request, f"Not added: {reasons}.")
    return redirect("reports:call_detail", pk=record.pk)
