"""The call-data sync on an account's page (Admin): the latest run of each kind, the
reconciliation against the vendor's own counts, and "Sync now"."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST
from django_q.tasks import async_task

from ..access import role_required
from ..models import ProviderAccount
from ..sync.status import sync_panel


@role_required("manage_vendors")
@require_GET
def account_sync_status(request, pk):
    """The sync panel alone (the account page includes it; htmx refreshes it)."""
    account = get_object_or_404(ProviderAccount, pk=pk)
    return render(request, "telephony/partials/account_sync.html", sync_panel(account))


@role_required("manage_vendors")
@require_POST
def account_sync_now(request, pk):
    """Queue a sync of every call source of the account (filters included)."""
    account = get_object_or_404(ProviderAccount, pk=pk)
    context = sync_panel(account)
    if not context["has_source"]:
        message = f"{account.get_kind_display()} has no call records to sync."
        queued = False
    elif not account.is_active:
        message = f"{account.name} is disabled; enable it to sync."
        queued = False
    else:
        async_task(
            "telephony.tasks.sync_calls",
            account.pk,
            True,
            task_name=f"Sync calls of account {account.pk} (sync now)",
            group="sync",
        )
        message = f"Sync of {account.name} queued; the runs appear here when the worker is done."
        queued = True
    if request.htmx:
        context.update(sync_message=message, sync_queued=queued)
        return render(request, "telephony/partials/account_sync.html", context)
    (messages.info if queued else messages.warning)(request, message)
    return redirect("telephony:account_detail", pk=account.pk)
