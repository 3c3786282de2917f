"""Scheduled callbacks (CPaaS): everyone with reports reads them; supervisors and admins
schedule, move and cancel them. Every change goes to the vendor first; its refusal is
shown in its own words next to the form."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ..access import role_required
from ..callback_forms import CallbackFilterForm, CallbackForm, RescheduleForm, cpaas_accounts
from ..htmx import render_page
from ..models import Callback, UserProfile
from ..tasks_callbacks import sync_callbacks
from ..vendors.base import InvalidRequest, VendorError

PAGE_SIZE = 50


def _int(value):
    return int(value) if str(value or "").isdigit() else None


def newest_first_page(rows, *, older=None, newer=None, size=PAGE_SIZE):
    """Keyset paging by id, newest first (no OFFSET, no COUNT): `older` follows a page
    (the id of its last row), `newer` goes back (the id of its first row)."""
    rows = rows.order_by("-pk")
    if newer is not None:
        page = list(rows.filter(pk__gt=newer).order_by("pk")[: size + 1])
        has_newer = len(page) > size
        page = page[:size][::-1]
        return page, has_newer, rows.filter(pk__lte=newer).exists()
    if older is not None:
        page = list(rows.filter(pk__lt=older)[: size + 1])
        return page[:size], rows.filter(pk__gte=older).exists(), len(page) > size
    page = list(rows[: size + 1])
    return page[:size], False, len(page) > size


class Page:
    def __init__(self, rows, has_previous, has_next):
        self.rows, self.has_previous, self.has_next = rows, has_previous, has_next
        self.first_id = rows[0].pk if rows else None
        self.last_id = rows[-1].pk if rows else None


def _user_zone(request) -> str:
    return UserProfile.for_user(request.user).time_zone or "UTC"


def _vendor_error_into(form, exc):
    """Our own validation per field; the vendor's words as a form error."""
    if isinstance(exc, InvalidRequest):
        for name, message in exc.errors.items():
            form.add_error(name if name in form.fields else None, message)
    else:
        form.add_error(None, f"The vendor refused: {exc.message or exc}")


@role_required("view_reports")
@require_GET
def callback_index(request):
    """Callbacks, newest first, filtered by state, account and number; the htmx filter
    and pager get the table only."""
    state = request.GET.get("state", "")
    q = request.GET.get("q", "").strip()[:64]
    account = request.GET.get("account", "")
    rows = Callback.objects.select_related("account", "created_by").filtered(
        state=state, q=q, account=account
    )
    page = Page(
        *newest_first_page(
            rows, older=_int(request.GET.get("older")), newer=_int(request.GET.get("newer"))
        )
    )
    due = Callback.objects.due().count()
    context = {
        "page": page,
        "state": state,
        "q": q,
        "account": account,
        "filter_form": CallbackFilterForm(request.GET),
        "due_count": due,
        "filtered": bool(state or q or account),
    }
    return render_page(request, "telephony/callbacks/callback_index.html", context, "table")


@role_required("run_campaigns")
@require_http_methods(["GET", "POST"])
def callback_create(request):
    zone = _user_zone(request)
    form = CallbackForm(request.POST or None, initial={"time_zone": zone})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            callback = Callback.schedule(
                account=data["account"],
                created_by=request.user,
                agent_number=data["agent_number"],
                destination_number=data["destination_number"],
                caller_id=data["caller_id"],
                recording=data["recording"],
                time_zone=data["time_zone"],
                scheduled_at=data["moment"],
            )
        except (InvalidRequest, VendorError) as exc:
            _vendor_error_into(form, exc)
        else:
            if callback.state == Callback.State.UNCONFIRMED:
                messages.warning(request, callback.vendor_message)
            else:
                messages.success(
                    request,
                    f"Callback {callback.request_id} scheduled for "
                    f"{timezone.localtime(callback.scheduled_at):%Y-%m-%d %H:%M}.",
                )
            return redirect("telephony:callback_index")
    return render(
        request,
        "telephony/callbacks/callback_form.html",
        {"form": form, "no_account": not cpaas_accounts().exists()},
    )


def _callback(pk):
    return get_object_or_404(Callback.objects.select_related("account"), pk=pk)


@role_required("run_campaigns")
@require_http_methods(["GET", "POST"])
def callback_reschedule(request, pk):
    callback = _callback(pk)
    zone = _user_zone(request)
    initial = {
        "time_zone": zone,
        "scheduled_at": timezone.localtime(callback.scheduled_at).replace(tzinfo=None),
    }
    form = RescheduleForm(request.POST or None, initial=initial)
    if not callback.can_change:
        form = None
    elif request.method == "POST" and form.is_valid():
        try:
            message = callback.reschedule(form.cleaned_data["moment"])
        except (InvalidRequest, VendorError) as exc:
            _vendor_error_into(form, exc)
        else:
            messages.success(request, f"Callback {callback.request_id}: {message}.")
            return redirect("telephony:callback_index")
    return render(
        request,
        "telephony/callbacks/callback_reschedule.html",
        {"form": form, "callback": callback},
    )


@role_required("run_campaigns")
@require_http_methods(["GET", "POST"])
def callback_cancel(request, pk):
    """Confirm, then delete at the vendor (the row stays, cancelled, for the record)."""
    callback = _callback(pk)
    error = ""
    if request.method == "POST" and callback.can_change:
        try:
            message = callback.cancel()
        except (InvalidRequest, VendorError) as exc:
            error = getattr(exc, "message", "") or str(exc)
        else:
            messages.success(request, f"Callback {callback.request_id}: {message}.")
            return redirect("telephony:callback_index")
    return render(
        request,
        "telephony/callbacks/callback_confirm_cancel.html",
        {"callback": callback, "error": error},
    )


@role_required("run_campaigns")
@require_POST
def callback_sync(request):
    """Ask the vendor now about every due callback (what the scheduled job does)."""
    summary = sync_callbacks()
    messages.info(request, f"Callbacks refreshed from the vendor: {summary}.")
    return redirect("telephony:callback_index")
