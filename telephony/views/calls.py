"""One-off calls: the Call dialog, the OTP form, a call's live page and the Calls list.

Supervisors and admins place calls (`run_campaigns`); viewers read them
(`view_reports`). The dialog takes `?to=<number>&account=<id>` so a contact, a CDR row
or a number can link to it prefilled: {% url 'telephony:call_new' %}?to=%2B91…&account=3
"""

from datetime import datetime, time, timedelta

from django.contrib import messages
from django.db import IntegrityError, transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ..access import role_required
from ..forms_calls import (
    KINDS_BY_VENDOR,
    CallFilterForm,
    CallForm,
    OtpForm,
    callable_accounts,
    new_token,
)
from ..htmx import render_page, wants_partial
from ..models import Call
from ..one_off_calls import dial, refresh, vendor_client
from ..phone import InvalidNumber, normalize
from ..vendors.base import InvalidRequest, VendorError

PAGE_SIZE = 50

# Our own pre-send checks name the vendor's fields; the form's field for each.
CLIENT_FIELDS = {
    "number": "to_number",
    "customer_number": "to_number",
    "destination_number": "to_number",
    "to_number": "to_number",
    "user_id": "agent",
    "support_user_id": "agent",
    "number_2": "number_2",
    "public_ivr_id": "public_ivr_id",
    "caller_id": "caller_id",
    "agent_number": "agent_number",
    "from_number": "from_number",
    "ivr_id": "ivr_id",
    "otp": "otp",
    "announce_template_id": "announce_template_id",
    "repeat": "repeat",
}


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _add_client_errors(form, errors: dict):
    for name, message in errors.items():
        field = CLIENT_FIELDS.get(name, name)
        if field.startswith("variable"):
            field = "ivr_id"
        form.add_error(field if field in form.fields else None, message)


def _create_call(request, form_token: str, **fields) -> tuple[Call, bool]:
    """The call row for this person and form token: (call, created). A second submit of
    the same form (double click, reload, lost answer) gets the existing row."""
    reference = Call.reference_for(request.user.pk, form_token)
    existing = Call.objects.filter(reference_id=reference).first()
    if existing is not None:
        return existing, False
    fields["params"] = Call.safe_params(fields.get("params") or {})
    try:
        with transaction.atomic():
            call = Call.objects.create(reference_id=reference, requested_by=request.user, **fields)
    except IntegrityError:
        return Call.objects.get(reference_id=reference), False
    return call, True


def _already(request, call):
    messages.info(
        request,
        "This form was already sent: here is the call it placed. Nothing was dialled again.",
    )
    return redirect("telephony:call_detail", pk=call.pk)


def _account_for(accounts, number: str):
    """With no account chosen: one that dials this number's country (OCA dials
    Indonesia only; the others are given the rest), else the first."""
    try:
        indonesian = normalize(number, default_region="IN").startswith("+62") if number else None
    except InvalidNumber:
        indonesian = None
    if indonesian is not None:
        fitting = accounts.filter(kind="oca") if indonesian else accounts.exclude(kind="oca")
        if fitting.exists():
            return fitting.first()
    return accounts.first()


@role_required("run_campaigns")
@require_http_methods(["GET", "POST"])
def call_new(request):
    """The Call dialog. GET ?account=&kind=&to= prefills it (and the htmx refresh when
    the account or type changes re-renders the form only); POST places the call once."""
    accounts = callable_accounts()
    source = request.POST if request.method == "POST" else request.GET
    account = accounts.filter(pk=_int(source.get("account"))).first() or _account_for(
        accounts, source.get("to", "")
    )
    if account is None:
        return render(request, "telephony/calls/new.html", {"form": None})
    kinds = KINDS_BY_VENDOR[account.kind]
    kind = source.get("kind") if source.get("kind") in kinds else kinds[0].value
    ivrs, numbers, catalogue_error = None, None, ""
    if account.kind == "oca":
        try:
            with vendor_client(account) as client:
                ivrs = client.list_ivrs()
                numbers = client.list_numbers()
        except VendorError as exc:
            catalogue_error = exc.message
    initial = {
        "account": account.pk,
        "kind": kind,
        "to_number": source.get("to", source.get("to_number", ""))[:32],
        "token": source.get("token") or new_token(),
        "ivr_id": source.get("ivr_id", ""),
    }
    options = {"account": account, "kind": kind, "ivrs": ivrs, "oca_numbers": numbers}
    form = CallForm(initial=initial, **options)
    status = 200
    if request.method == "POST":
        form = CallForm(request.POST, **options)
        if form.is_valid():
            call, created = _create_call(
                request,
                form.cleaned_data["token"],
                account=account,
                kind=kind,
                **form.call_fields(),
            )
            if not created:
                return _already(request, call)
            try:
                dial(call)
            except InvalidRequest as exc:
                call.delete()  # nothing was sent: the same form may be sent again
                _add_client_errors(form, exc.errors)
            else:
                return redirect("telephony:call_detail", pk=call.pk)
        status = 400
    context = {"form": form, "account": account, "kind": kind, "catalogue_error": catalogue_error}
    return (
        render_page(request, "telephony/calls/new.html", context, "call_form")
        if (request.method == "GET")
        else render(request, "telephony/calls/new.html", context, status=status)
    )


@role_required("run_campaigns")
@require_http_methods(["GET", "POST"])
def otp_new(request):
    """An OTP announcement call. The OTP goes to the vendor in this one request and is
    kept nowhere: not on the Call, not in the audit rows (the seam redacts it), not in
    the form when it is shown again."""
    form = OtpForm(request.POST or None, initial={"token": new_token()})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            d = form.cleaned_data
            call, created = _create_call(
                request,
                d["token"],
                account=d["account"],
                kind=Call.Kind.OTP,
                to_number=d["to_number"],
                params=form.call_params(),
            )
            if not created:
                return _already(request, call)
            try:
                dial(call, otp=d["otp"])
            except InvalidRequest as exc:
                call.delete()
                _add_client_errors(form, exc.errors)
            else:
                messages.success(request, "OTP call sent. The OTP is not kept anywhere.")
                return redirect("telephony:call_detail", pk=call.pk)
        status = 400
    return render(request, "telephony/calls/otp.html", {"form": form}, status=status)


def _record_url(record) -> str:
    """A link to the CDR's own page where the reports app has one."""
    for name, kwargs in (("reports:call_detail", {"pk": record.pk}),):
        try:
            return reverse(name, kwargs=kwargs)
        except NoReverseMatch:
            continue
    return ""


@role_required("view_reports")
@require_GET
def call_detail(request, pk):
    """The call's page; its status part polls itself (htmx, every 2 s) while the call is
    open, and each poll asks the vendor (at most once per 2 s per call)."""
    call = get_object_or_404(Call.objects.select_related("account", "vendor_user"), pk=pk)
    if wants_partial(request) and not call.is_final:
        call = refresh(call)
    record = call.record if call.is_final else None
    context = {
        "call": call,
        "record": record,
        "record_url": _record_url(record) if record else "",
        "may_place": request.user.has_perm("telephony.run_campaigns"),
    }
    return render_page(request, "telephony/calls/detail.html", context, "status")


@role_required("run_campaigns")
@require_POST
def call_check(request, pk):
    """Ask the vendor about an open call now (an unknown OBD call: the same reference id
    again, which never dials twice)."""
    call = get_object_or_404(Call, pk=pk)
    refresh(call, force=True)
    return redirect("telephony:call_detail", pk=call.pk)


def call_page(queryset, *, older=None, newer=None, size=PAGE_SIZE):
    """Newest first by id: `older` follows a page, `newer` goes back. No OFFSET or COUNT."""
    from campaigns.models import KeysetPage

    if newer is not None:
        rows = list(queryset.filter(pk__gt=newer).order_by("pk")[: size + 1])
        has_previous = len(rows) > size
        return KeysetPage(rows[:size][::-1], has_previous, queryset.filter(pk__lte=newer).exists())
    if older is not None:
        rows = list(queryset.filter(pk__lt=older).order_by("-pk")[: size + 1])
        return KeysetPage(rows[:size], queryset.filter(pk__gte=older).exists(), len(rows) > size)
    rows = list(queryset.order_by("-pk")[: size + 1])
    return KeysetPage(rows[:size], False, len(rows) > size)


def _day_bounds(value):
    if not value:
        return None
    zone = timezone.get_current_timezone()
    start = datetime.combine(value, time.min, tzinfo=zone)
    return start, start + timedelta(days=1)


@role_required("view_reports")
@require_GET
def call_index(request):
    """Every one-off call, newest first, with filters; htmx gets the table only."""
    form = CallFilterForm(request.GET or None)
    filters = {"account": "", "kind": "", "status": "", "number": "", "day": None}
    if form.is_bound and form.is_valid():
        d = form.cleaned_data
        filters.update(
            account=_int(d["account"]) or "",
            kind=d["kind"],
            status=d["status"],
            number=d["number"],
            day=_day_bounds(d["day"]),
        )
    calls = Call.objects.select_related("account", "vendor_user").filtered(**filters)
    page = call_page(
        calls, older=_int(request.GET.get("older")), newer=_int(request.GET.get("newer"))
    )
    context = {
        "page": page,
        "filter_form": form if form.is_bound else CallFilterForm(),
        "filtered": any(v for v in filters.values()),
        "may_place": request.user.has_perm("telephony.run_campaigns"),
    }
    return render_page(request, "telephony/calls/index.html", context, "call_table")
