"""MyOperator panel users (Admin): the mirror of `GET /user` per account, search, add and
edit through `POST` / `PUT /user`, and a sync on demand. The vendor's refusals are shown
in its own words next to the field they concern."""

from django.contrib import messages
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_q.tasks import async_task

from ..access import role_required
from ..forms_calls import VendorUserForm
from ..htmx import render_page
from ..models import ProviderAccount, SyncRun, VendorUser
from ..one_off_calls import vendor_client
from ..vendors.base import InvalidRequest, VendorError

PAGE_SIZE = 50


def _account(pk) -> ProviderAccount:
    return get_object_or_404(ProviderAccount, pk=pk, kind="myoperator")


@role_required("manage_vendors")
@require_GET
def vendor_user_index(request, pk):
    """The account's panel users; the search (htmx) gets the table only."""
    account = _account(pk)
    q = request.GET.get("q", "").strip()[:100]
    users = account.vendor_users.search(q).annotate(call_count=Count("calls"))
    rows = list(users.order_by("name", "id")[: PAGE_SIZE + 1])
    context = {
        "account": account,
        "users": rows[:PAGE_SIZE],
        "more": len(rows) > PAGE_SIZE,
        "q": q,
        "total": account.vendor_users.count(),
        "last_run": SyncRun.objects.filter(account=account, kind="users").first(),
    }
    return render_page(request, "telephony/vendor_users/index.html", context, "user_table")


@role_required("manage_vendors")
@require_POST
def vendor_user_sync(request, pk):
    """Queue a sync of this account's panel users now (the schedule runs it hourly)."""
    account = _account(pk)
    async_task("telephony.tasks_calls.sync_vendor_users", account.pk, group="Vendor users")
    messages.info(request, f"Reading {account.name}'s panel users from MyOperator.")
    return redirect("telephony:vendor_user_index", pk=account.pk)


@role_required("manage_vendors")
@require_http_methods(["GET", "POST"])
def vendor_user_create(request, pk):
    account = _account(pk)
    form = VendorUserForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            with vendor_client(account) as client:
                user = client.add_user(**form.vendor_fields())
        except InvalidRequest as exc:
            form.add_client_errors(exc.errors)
        except VendorError as exc:
            form.add_vendor_error(exc.message or str(exc))
        else:
            VendorUser.store(account, user)
            messages.success(request, f"{user.name} added to the MyOperator panel.")
            return redirect("telephony:vendor_user_index", pk=account.pk)
    return render(
        request,
        "telephony/vendor_users/form.html",
        {"account": account, "form": form, "vendor_user": None},
        status=400 if form.errors else 200,
    )


@role_required("manage_vendors")
@require_http_methods(["GET", "POST"])
def vendor_user_edit(request, pk, user_pk):
    account = _account(pk)
    vendor_user = get_object_or_404(VendorUser, pk=user_pk, account=account)
    form = VendorUserForm(request.POST or None, initial=VendorUserForm.initial_for(vendor_user))
    if request.method == "POST" and form.is_valid():
        fields = form.vendor_fields()
        try:
            with vendor_client(account) as client:
                message = client.update_user(uuid=vendor_user.vendor_id, **fields)
        except InvalidRequest as exc:
            form.add_client_errors(exc.errors)
        except VendorError as exc:
            form.add_vendor_error(exc.message or str(exc))
        else:
            raw = dict(vendor_user.raw or {})
            raw.update({k: str(v) for k, v in fields.items()})
            VendorUser.objects.filter(pk=vendor_user.pk).update(
                name=form.cleaned_data["name"],
                phone=form.cleaned_data["phone"],
                email=form.cleaned_data.get("email") or "",
                extension=form.cleaned_data.get("extension"),
                raw=raw,
            )
            messages.success(request, message or f"{form.cleaned_data['name']} updated.")
            return redirect("telephony:vendor_user_index", pk=account.pk)
    return render(
        request,
        "telephony/vendor_users/form.html",
        {"account": account, "form": form, "vendor_user": vendor_user},
        status=400 if form.errors else 200,
    )
