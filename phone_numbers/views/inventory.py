"""The numbers inventory: the index (search exact / begins / ends, filters, sort, keyset
paging), a number's page, adding and editing by hand, status, delete, and syncing an
Omilia or OCA account on demand.

Admins manage numbers; supervisors read the inventory (DESIGN.md, roles)."""

from django.contrib import messages
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from telephony.access import role_required
from telephony.htmx import render_page
from telephony.models import ProviderAccount

from ..forms import SORTS, NumberFilterForm, PhoneNumberEditForm, PhoneNumberForm, StatusForm
from ..health import figures_for
from ..models import NumberSet, NumberSource, PhoneNumber
from ..paging import sorted_page
from ..sync import SYNCED_KINDS

manage = role_required("manage_vendors")
read_inventory = role_required("run_campaigns")


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def inventory_context(params) -> dict:
    form = NumberFilterForm(params)
    filters = form.filters()
    sort = form.sort_key()
    numbers = (
        PhoneNumber.objects.filtered(**filters)
        .select_related("account")
        .prefetch_related(Prefetch("sets", queryset=NumberSet.objects.only("pk", "name")))
    )
    page = sorted_page(
        numbers,
        SORTS[sort][1],
        after=_int(params.get("after")),
        before=_int(params.get("before")),
        last=params.get("page") == "last",
    )
    searched = {key: value for key, value in filters.items() if key != "match"}
    return {"form": form, "page": page, "filtered": any(searched.values()), "sort": sort}


def sync_accounts() -> list:
    """The Omilia and OCA accounts, each with `last_run`: its latest numbers sync."""
    from telephony.models.cdr import SyncRun

    accounts = list(ProviderAccount.objects.active().filter(kind__in=SYNCED_KINDS))
    runs = SyncRun.objects.filter(kind=SyncRun.Kind.NUMBERS, account__in=accounts)
    for account in accounts:  # a handful of accounts: one indexed lookup each
        account.last_run = runs.filter(account=account).order_by("-id").first()
    return accounts


@read_inventory
@require_GET
def number_index(request):
    """Every number across vendors; an htmx request (search, filter, paging) gets the table."""
    context = inventory_context(request.GET)
    context["sync_accounts"] = sync_accounts()
    return render_page(request, "phone_numbers/number_index.html", context, "number_table")


@read_inventory
@require_GET
def number_detail(request, pk):
    number = get_object_or_404(PhoneNumber.objects.select_related("account"), pk=pk)
    health = figures_for([number])[number.pk]
    context = {
        "number": number,
        "sets": number.sets.order_by("name"),
        "health": health,
        "status_form": StatusForm(initial={"status": number.status}),
        "synced": number.account.kind in SYNCED_KINDS,
    }
    return render(request, "phone_numbers/number_detail.html", context)


@manage
@require_http_methods(["GET", "POST"])
def number_add(request):
    form = PhoneNumberForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        number = form.save(commit=False)
        number.source = NumberSource.MANUAL
        number.acquired_at = timezone.now()
        number.save()
        messages.success(request, f"Added {number.number} to {number.account.name}.")
        return redirect("numbers:number_detail", pk=number.pk)
    return render(request, "phone_numbers/number_form.html", {"form": form, "creating": True})


@manage
@require_http_methods(["GET", "POST"])
def number_edit(request, pk):
    number = get_object_or_404(PhoneNumber.objects.select_related("account"), pk=pk)
    form = PhoneNumberEditForm(request.POST or None, instance=number)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, f"Saved {number.number}.")
        return redirect("numbers:number_detail", pk=number.pk)
    context = {"form": form, "creating": False, "number": number}
    return render(request, "phone_numbers/number_form.html", context)


@manage
@require_POST
def number_status(request, pk):
    """An admin marks a number active, resting or spam-likely (the engine skips the last two)."""
    number = get_object_or_404(PhoneNumber, pk=pk)
    form = StatusForm(request.POST)
    if form.is_valid():
        number.status = form.cleaned_data["status"]
        number.save(update_fields=["status", "updated_at"])
        messages.success(request, f"{number.number} is now {number.get_status_display().lower()}.")
    else:
        messages.error(request, "Choose active, resting or spam-likely.")
    return redirect("numbers:number_detail", pk=number.pk)


@manage
@require_http_methods(["GET", "POST"])
def number_delete(request, pk):
    """Remove a number added by hand or imported. A synced number would come back with the
    next sync: it is released at the vendor (Omilia's pages), not here."""
    number = get_object_or_404(PhoneNumber.objects.select_related("account"), pk=pk)
    synced = number.source == NumberSource.SYNC
    if request.method == "POST" and not synced:
        text = f"{number.number} ({number.account.name})"
        number.delete()
        messages.success(request, f"Removed {text} from the inventory.")
        return redirect("numbers:number_index")
    context = {"number": number, "synced": synced, "set_count": number.sets.count()}
    return render(request, "phone_numbers/number_confirm_delete.html", context)


@manage
@require_POST
def account_sync(request, account_pk):
    """Sync one Omilia or OCA account's numbers now (a background job; its run row says how
    it went)."""
    from django_q.tasks import async_task

    account = get_object_or_404(ProviderAccount, pk=account_pk, kind__in=SYNCED_KINDS)
    async_task("phone_numbers.tasks.sync_numbers", account.pk, group="numbers-sync")
    messages.success(
        request,
        f"Syncing the numbers of {account.name}. The list updates when the job is done; "
        "its run is on the account's page.",
    )
    return redirect("numbers:number_index")
