"""Omilia phone-number sets (admins): the sets of the signed-in OCP user or of a group,
create, rename or move, delete; a set's numbers (add, remove), routing them all to a
miniApp or detaching them, and releasing the set's purchased numbers."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from phone_numbers.forms_omilia import AttachSetForm, SetForm, SetMembersForm, SetsForGroupForm
from telephony.vendors.base import InvalidRequest, VendorError

from .omilia_common import (
    admin_only,
    attach_error,
    omilia_account,
    refresh_inventory,
    report,
    vendor_words,
)
from .omilia_numbers import known_groups, suggestions

FAILURES = (VendorError, InvalidRequest)


def set_url(account, set_id) -> str:
    return reverse("numbers:omilia_set", args=[account.pk, set_id])


@admin_only
@require_http_methods(["GET", "POST"])
def omilia_sets(request, account_pk):
    """GET: the current user's sets (GET /api/numbers-set), or a group's
    (GET /api/numbers-set/group/{id}) when ?group= is given. POST: create a set."""
    account = omilia_account(account_pk)
    client = account.client()
    create = SetForm(request.POST or None, prefix="new")
    if request.method == "POST" and create.is_valid():
        try:
            created = client.create_set(
                name=create.cleaned_data["name"], group_id=create.cleaned_data["group"]
            )
        except FAILURES as exc:
            attach_error(create, exc, fallback="name")
        else:
            messages.success(request, f"Created the set {created.name}.")
            refresh_inventory(request, account)
            return redirect(set_url(account, created.id))
    filters = SetsForGroupForm(request.GET or None)
    sets, error = [], ""
    group = filters.cleaned_data.get("group", "") if filters.is_valid() else ""
    try:
        sets = client.sets_for_group(group_id=group) if group else client.list_sets()
    except FAILURES as exc:
        if group and filters.is_bound:
            attach_error(filters, exc, fallback="group")
        else:
            error = vendor_words(exc)
    context = {
        "account": account,
        "sets": sets,
        "group": group,
        "filters": filters,
        "create": create,
        "error": error,
        "known_groups": known_groups(account, (s.group_id for s in sets)),
        "tab": "sets",
    }
    return render(request, "phone_numbers/omilia/sets.html", context)


def detail_context(request, account, set_id, client, **forms):
    """The set (GET /api/numbers-set/{id}) and its numbers (…/numbers)."""
    error = ""
    try:
        the_set = client.get_set(set_id=set_id)
        members = client.set_numbers(set_id=set_id)
    except FAILURES as exc:
        the_set, members, error = None, [], vendor_words(exc)
    context = {
        "account": account,
        "set_id": set_id,
        "the_set": the_set,
        "members": members,
        "error": error,
        "add_form": forms.get("add_form") or SetMembersForm(prefix="add"),
        "attach_form": forms.get("attach_form") or AttachSetForm(prefix="attach"),
        "remove_error": forms.get("remove_error", ""),
        "tab": "sets",
    }
    context.update(suggestions(client, account))
    return context


@admin_only
@require_GET
def omilia_set(request, account_pk, set_id):
    account = omilia_account(account_pk)
    client = account.client()
    context = detail_context(request, account, set_id, client)
    return render(request, "phone_numbers/omilia/set_detail.html", context)


@admin_only
@require_POST
def omilia_set_members(request, account_pk, set_id):
    """Add the numbers typed (POST …/numbers), or remove those ticked (DELETE …/numbers)."""
    account = omilia_account(account_pk)
    client = account.client()
    removing = request.POST.get("action") == "remove"
    form = SetMembersForm(request.POST, prefix=None if removing else "add")
    if form.is_valid():
        numbers = form.cleaned_data["numbers"]
        try:
            if removing:
                result = client.remove_numbers_from_set(set_id=set_id, numbers=numbers)
            else:
                result = client.add_numbers_to_set(set_id=set_id, numbers=numbers)
        except FAILURES as exc:
            if removing:
                report(request, exc, "")
                return redirect(set_url(account, set_id))
            attach_error(form, exc, fallback="numbers")
        else:
            verb = "Removed" if removing else "Added"
            if report(request, result, f"{verb} {len(numbers)} number(s)."):
                refresh_inventory(request, account)
            return redirect(set_url(account, set_id))
    elif removing:
        messages.error(request, "Tick the numbers to remove from the set.")
        return redirect(set_url(account, set_id))
    context = detail_context(request, account, set_id, client, add_form=form)
    return render(request, "phone_numbers/omilia/set_detail.html", context)


@admin_only
@require_POST
def omilia_set_attach(request, account_pk, set_id):
    """PUT …/attach: route the set's numbers (all, or those listed) to a miniApp."""
    account = omilia_account(account_pk)
    client = account.client()
    form = AttachSetForm(request.POST, prefix="attach")
    if form.is_valid():
        data = form.cleaned_data
        try:
            result = client.attach_set(
                set_id=set_id,
                mini_app_id=data["mini_app_id"],
                locale=data["locale"],
                numbers=data["numbers"] or None,
                application_tag=data["application_tag"] or None,
            )
        except FAILURES as exc:
            attach_error(form, exc, fallback="mini_app_id")
        else:
            if report(request, result, "Attached the set."):
                refresh_inventory(request, account)
                return redirect(set_url(account, set_id))
            form.add_error(None, result.message)
    context = detail_context(request, account, set_id, client, attach_form=form)
    return render(request, "phone_numbers/omilia/set_detail.html", context)


@admin_only
@require_POST
def omilia_set_detach(request, account_pk, set_id):
    """PUT …/detach: every number of the set stops routing to its miniApp."""
    account = omilia_account(account_pk)
    try:
        result = account.client().detach_set(set_id=set_id)
    except FAILURES as exc:
        report(request, exc, "")
    else:
        if report(request, result, "Detached the set's numbers."):
            refresh_inventory(request, account)
    return redirect(set_url(account, set_id))


@admin_only
@require_http_methods(["GET", "POST"])
def omilia_set_edit(request, account_pk, set_id):
    """PATCH /api/numbers-set/{id}: a new name, a new group (its numbers follow), or both."""
    account = omilia_account(account_pk)
    client = account.client()
    try:
        current, error = client.get_set(set_id=set_id), ""
    except FAILURES as exc:
        current, error = None, vendor_words(exc)
    initial = {"name": current.name, "group": current.group_id} if current else None
    form = SetForm(request.POST or None, initial=initial)
    if request.method == "POST" and current and form.is_valid():
        name, group = form.cleaned_data["name"], form.cleaned_data["group"]
        changes = {
            "name": name if name != current.name else None,
            "group_id": group if group != current.group_id else None,
        }
        if not any(changes.values()):
            messages.info(request, "Nothing changed.")
            return redirect(set_url(account, set_id))
        try:
            result = client.update_set(set_id=set_id, **changes)
        except FAILURES as exc:
            attach_error(form, exc, fallback="name")
        else:
            if report(request, result, f"Saved the set {name}."):
                refresh_inventory(request, account)
                return redirect(set_url(account, set_id))
            form.add_error(None, result.message)
    context = {
        "account": account,
        "form": form,
        "error": error,
        "title": f"Edit the set {current.name}" if current else "Edit a set",
        "intro": "Moving a set to another group moves its numbers with it.",
        "submit_label": "Save",
        "cancel_url": set_url(account, set_id),
        "known_groups": known_groups(account, [current.group_id] if current else []),
        "tab": "sets",
    }
    return render(request, "phone_numbers/omilia/form_page.html", context)


def confirm_page(request, account, set_id, *, purchased_only: bool):
    client = account.client()
    try:
        the_set = client.get_set(set_id=set_id)
        members = client.set_numbers(set_id=set_id)
        error = ""
    except FAILURES as exc:
        the_set, members, error = None, [], vendor_words(exc)
    name = the_set.name if the_set else set_id
    listed = ", ".join(m.number for m in members[:50]) + (
        f" and {len(members) - 50} more" if len(members) > 50 else ""
    )
    if purchased_only:
        heading = f"Release the purchased numbers of the set {name}?"
        lead = (
            "OCP deletes the numbers of this set that were bought through it and gives "
            "them back to the provider; numbers added directly stay."
        )
        label = "Delete the purchased numbers"
        details = [("Numbers in the set", listed or "none")]
    else:
        heading = f"Delete the set {name}?"
        lead = "The set goes; its numbers stay in OCP, in no set."
        label = f"Delete the set {name}"
        details = [("Group", the_set.group_id if the_set else ""), ("Its numbers", listed)]
    context = {
        "account": account,
        "heading": heading,
        "lead": lead,
        "details": [(k, v) for k, v in details if v],
        "error": error,
        "confirm_label": label,
        "cancel_url": set_url(account, set_id),
        "set_crumb": (name, set_url(account, set_id)),
    }
    return render(request, "phone_numbers/omilia/confirm_delete.html", context)


@admin_only
@require_http_methods(["GET", "POST"])
def omilia_set_delete(request, account_pk, set_id):
    """DELETE /api/numbers-set/{id}, after a page that names the set and its numbers."""
    account = omilia_account(account_pk)
    if request.method == "GET":
        return confirm_page(request, account, set_id, purchased_only=False)
    try:
        result = account.client().delete_set(set_id=set_id)
    except FAILURES as exc:
        report(request, exc, "")
        return redirect("numbers:omilia_set_delete", account.pk, set_id)
    if report(request, result, "Deleted the set."):
        refresh_inventory(request, account)
        return redirect("numbers:omilia_sets", account.pk)
    return redirect(set_url(account, set_id))


@admin_only
@require_http_methods(["GET", "POST"])
def omilia_set_delete_purchased(request, account_pk, set_id):
    """DELETE /api/numbers-set/{id}/delete, after a page that lists the set's numbers."""
    account = omilia_account(account_pk)
    if request.method == "GET":
        return confirm_page(request, account, set_id, purchased_only=True)
    try:
        result = account.client().delete_purchased_numbers_in_set(set_id=set_id)
    except FAILURES as exc:
        report(request, exc, "")
        return redirect("numbers:omilia_set_delete_purchased", account.pk, set_id)
    if report(request, result, "Deleted the set's purchased numbers."):
        refresh_inventory(request, account)
    return redirect(set_url(account, set_id))
