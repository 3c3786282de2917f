"""Pushing a contact list or DND list to a CPaaS account: choose the account, start the
push (a django-q2 job), and watch its status (an htmx-polled partial)."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from telephony.access import role_required
from telephony.htmx import render_page

from ..forms import PushForm
from ..models import ContactList, DndList, VendorPush


def _accounts_with_pushes(target, row_count):
    """Each eligible account with this list's push row to it (None if never pushed) and
    how many rows a push would send now."""
    field = "dnd_list" if isinstance(target, DndList) else "contact_list"
    pushes = {
        push.account_id: push
        for push in VendorPush.objects.filter(**{field: target}).select_related("account")
    }
    rows = []
    for account in VendorPush.eligible_accounts():
        push = pushes.get(account.pk)
        pending = push.pending_count() if push else row_count
        rows.append({"account": account, "push": push, "pending": pending})
    return rows


def _push_page(request, target):
    """GET: the accounts and each one's push state. POST: start a push to one account;
    htmx swaps that account's status card, a plain form post comes back to the page."""
    is_dnd = isinstance(target, DndList)
    page_url = "campaigns:dnd_push" if is_dnd else "campaigns:list_push"
    form = PushForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            push = VendorPush.for_target(form.cleaned_data["account"], target)
            queued, message = push.enqueue(
                user=request.user, resend_all=form.cleaned_data["resend_all"]
            )
            (messages.success if queued else messages.info)(request, message)
            if request.htmx:
                return _status_response(request, push)
            return redirect(page_url, pk=target.pk)
        for error in form.errors.get("account", []):
            messages.error(request, error)
        if request.htmx:
            # The account list changed under the page: reload it (the toast says why).
            response = HttpResponse(status=204)
            response["HX-Refresh"] = "true"
            return response
        return redirect(page_url, pk=target.pk)

    source = VendorPush(dnd_list=target) if is_dnd else VendorPush(contact_list=target)
    row_count = source.source_rows().count()
    context = {
        "target": target,
        "is_dnd": is_dnd,
        "rows": _accounts_with_pushes(target, row_count),
        "row_count": row_count,
        "inactive_count": (0 if is_dnd else target.contacts.filter(is_active=False).count()),
        "batch_size": VendorPush.BATCH_SIZE,
        "back_url": reverse(
            "campaigns:dnd_detail" if is_dnd else "campaigns:list_detail", args=[target.pk]
        ),
        "push_url": reverse(page_url, args=[target.pk]),
        "can_push": True,
    }
    return render(request, "campaigns/push_detail.html", context)


@role_required("run_campaigns")
@require_http_methods(["GET", "POST"])
def list_push(request, pk):
    return _push_page(request, get_object_or_404(ContactList, pk=pk))


@role_required("run_campaigns")
@require_http_methods(["GET", "POST"])
def dnd_push(request, pk):
    return _push_page(request, get_object_or_404(DndList, pk=pk))


def _status_response(request, push):
    target = push.target
    page_url = "campaigns:dnd_push" if push.is_dnd else "campaigns:list_push"
    context = {
        "push": push,
        "account": push.account,
        "target": target,
        "pending": None if push.is_active else push.pending_count(),
        "push_url": reverse(page_url, args=[target.pk]),
        "can_push": request.user.has_perm("telephony.run_campaigns"),
    }
    return render_page(request, "campaigns/push_status.html", context, "push_card")


@role_required("view_reports")
@require_GET
def push_status(request, pk):
    """One push's state: pushed of total, the vendor's list id, its error in the vendor's
    words, when it last sent rows. htmx polls the card while the push runs."""
    push = get_object_or_404(
        VendorPush.objects.select_related("account", "contact_list", "dnd_list"),
        pk=pk,
        campaign__isnull=True,  # a campaign's own pushes show on the campaign's page
    )
    return _status_response(request, push)
