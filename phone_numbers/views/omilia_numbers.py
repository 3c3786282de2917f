"""Omilia numbers (admins): the account's numbers as OCP lists them, and the operations
on them: change the group and the note, attach to or detach from a miniApp, add to or
remove from a set, add numbers directly and delete one. Every change is made at the
vendor first; the local inventory is then refreshed from it."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from phone_numbers.forms_omilia import AddNumbersForm, BulkForm, NumberEditForm, NumberSearchForm
from phone_numbers.models import PhoneNumber
from telephony.htmx import render_page
from telephony.phone import is_e164
from telephony.vendors.base import InvalidRequest, VendorError

from .omilia_common import (
    admin_only,
    attach_error,
    omilia_account,
    refresh_inventory,
    report,
    vendor_words,
)

PAGE_SIZE = 50
FAILURES = (VendorError, InvalidRequest)


def known_groups(account, extra=()) -> list[str]:
    """Groups to suggest in group fields: the inventory's, plus those on the page."""
    groups = set(
        PhoneNumber.objects.filter(account=account)
        .exclude(group="")
        .values_list("group", flat=True)
        .distinct()[:100]
    )
    groups.update(g for g in extra if g)
    return sorted(groups)


def known_miniapps(rows) -> list[tuple[str, str]]:
    apps = {row.mini_app_id: row.mini_app_name for row in rows if row.mini_app_id}
    return sorted(apps.items(), key=lambda item: item[1])


def suggestions(client, account) -> dict:
    """Datalists for the group and miniApp fields, from one page of the account's
    numbers (OCP has no miniApp list in this API)."""
    try:
        rows = client.list_numbers(page=1, page_size=100).items
    except FAILURES:
        rows = []
    return {
        "known_groups": known_groups(account, (row.group_id for row in rows)),
        "known_miniapps": known_miniapps(rows),
    }


def find_number(client, number: str):
    """The vendor's record of one of the account's numbers, or None."""
    page = client.search_numbers(number=number, page=1, page_size=50)
    return next((row for row in page.items if row.number == number), None)


def checked_number(number: str) -> str:
    if not is_e164(number):
        raise Http404("Not a phone number.")
    return number


def numbers_url(account, **query) -> str:
    url = reverse("numbers:omilia_numbers", args=[account.pk])
    if query:
        from urllib.parse import urlencode

        url += "?" + urlencode(query)
    return url


@admin_only
@require_GET
def omilia_numbers(request, account_pk):
    """The account's numbers: the plain search (searchTerm), or the advanced search
    when a group, miniApp or set is given; pages as OCP pages them."""
    account = omilia_account(account_pk)
    form = NumberSearchForm(request.GET or None)
    rows, error, page = [], "", None
    if form.is_bound and not form.is_valid():
        error = "Check the search fields."
    else:
        data = form.cleaned_data if form.is_bound else {}
        number = data.get("page") or 1
        client = account.client()
        try:
            if form.is_bound and form.advanced:
                q = data.get("q") or ""
                digits = q.replace("+", "").isdigit()
                page = client.search_numbers(
                    number=q if digits else None,
                    note=q if q and not digits else None,
                    mini_app_name=data.get("mini_app_name") or None,
                    set_id=data.get("set_id") or None,
                    groups=[data["group"]] if data.get("group") else None,
                    page=number,
                    page_size=PAGE_SIZE,
                )
            else:
                page = client.list_numbers(
                    page=number, page_size=PAGE_SIZE, search_term=data.get("q") or None
                )
            rows = page.items
        except FAILURES as exc:
            error = vendor_words(exc)
    current = (form.cleaned_data.get("page") if form.is_bound and form.is_valid() else 1) or 1
    context = {
        "account": account,
        "form": form,
        "rows": rows,
        "error": error,
        "total": page.total if page else None,
        "page_number": current,
        "previous_page": current - 1 if current > 1 else None,
        "next_page": page.next_cursor if page else None,
        "filtered": bool(request.GET),
        "known_groups": known_groups(account, (row.group_id for row in rows)),
        "tab": "numbers",
    }
    return render_page(request, "phone_numbers/omilia/numbers.html", context, "numbers_table")


@admin_only
@require_http_methods(["GET", "POST"])
def omilia_number_edit(request, account_pk, number):
    """A number's group and note; each is sent only if it changed."""
    account = omilia_account(account_pk)
    number = checked_number(number)
    client = account.client()
    try:
        current = find_number(client, number)
    except FAILURES as exc:
        current, error = None, vendor_words(exc)
    else:
        error = "" if current else f"Omilia has no number {number} in this account's groups."
    form = NumberEditForm(
        request.POST or None,
        initial={"group": current.group_id, "note": current.note} if current else None,
    )
    if request.method == "POST" and current and form.is_valid():
        changed = False
        ok = True
        if form.cleaned_data["group"] != current.group_id:
            changed = True
            try:
                result = client.update_numbers_group(
                    numbers=[number], group=form.cleaned_data["group"]
                )
                ok = report(request, result, f"Moved {number}.") and ok
            except FAILURES as exc:
                attach_error(form, exc, fallback="group")
                ok = False
        if form.cleaned_data["note"] != current.note and "group" not in form.errors:
            changed = True
            try:
                result = client.update_number_note(number=number, note=form.cleaned_data["note"])
                ok = report(request, result, f"Saved the note of {number}.") and ok
            except FAILURES as exc:
                attach_error(form, exc, fallback="note")
                ok = False
        if changed:
            refresh_inventory(request, account)
        else:
            messages.info(request, "Nothing changed.")
        if ok:
            return redirect(numbers_url(account))
    context = {
        "account": account,
        "form": form,
        "error": error,
        "title": f"Edit {number}",
        "intro": "The group moves the number (OCP takes it out of its set); the note is free text.",
        "submit_label": "Save",
        "cancel_url": numbers_url(account),
        "known_groups": known_groups(account, [current.group_id] if current else []),
        "tab": "numbers",
    }
    return render(request, "phone_numbers/omilia/form_page.html", context)


@admin_only
@require_http_methods(["GET", "POST"])
def omilia_number_add(request, account_pk):
    """POST /api/numbers/direct: numbers the company owns elsewhere."""
    account = omilia_account(account_pk)
    form = AddNumbersForm(request.POST or None)
    client = account.client()
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            result = client.add_numbers(
                numbers=data["numbers"],
                group=data["group"],
                country=data["country"] or None,
                mini_app_id=data["mini_app_id"] or None,
                locale=data["locale"] or None,
                log_ani=data["log_ani"],
                log_dnis=data["log_dnis"],
                note=data["note"] or None,
                application_tag=data["application_tag"] or None,
            )
        except FAILURES as exc:
            attach_error(form, exc, fallback="numbers")
        else:
            if report(request, result, f"Added {len(data['numbers'])} number(s)."):
                refresh_inventory(request, account)
                return redirect(numbers_url(account))
            form.add_error(None, result.message)
    context = {
        "account": account,
        "form": form,
        "title": "Add numbers directly",
        "intro": "Numbers the company already owns elsewhere, added to OCP without buying.",
        "submit_label": "Add numbers",
        "cancel_url": numbers_url(account),
        **suggestions(client, account),
        "tab": "numbers",
    }
    return render(request, "phone_numbers/omilia/form_page.html", context)


@admin_only
@require_http_methods(["GET", "POST"])
def omilia_number_delete(request, account_pk, number):
    """DELETE /api/numbers/delete/{number}, after a page that names what goes."""
    account = omilia_account(account_pk)
    number = checked_number(number)
    client = account.client()
    if request.method == "POST":
        try:
            result = client.delete_number(number=number)
        except FAILURES as exc:
            report(request, exc, "")
            return redirect("numbers:omilia_number_delete", account.pk, number)
        if report(request, result, f"Deleted {number}."):
            refresh_inventory(request, account)
        return redirect(numbers_url(account))
    try:
        current, error = find_number(client, number), ""
    except FAILURES as exc:
        current, error = None, vendor_words(exc)
    details = []
    if current:
        details = [
            ("Group", current.group_id),
            ("Note", current.note),
            ("MiniApp", current.mini_app_name),
            ("Set", current.set_name or current.set_id),
        ]
    context = {
        "account": account,
        "heading": f"Delete {number} from Omilia?",
        "lead": delete_lead(number, current),
        "details": [(label, value) for label, value in details if value],
        "error": error,
        "confirm_label": f"Delete {number}",
        "cancel_url": numbers_url(account),
    }
    return render(request, "phone_numbers/omilia/confirm_delete.html", context)


def delete_lead(number, current) -> str:
    if current is None:
        return f"OCP removes {number} from its database; Dialdesk could not read it first."
    lead = f"OCP removes {number} from its database"
    if current.set_id:
        lead += f" and from the set {current.set_name or current.set_id}"
    if current.mini_app_id:
        lead += f"; calls to it stop reaching the miniApp {current.mini_app_name}"
    return lead + "."


BULK_DONE = {
    "group": "Moved {n} number(s) to group {group}.",
    "add_to_set": "Added {n} number(s) to the set.",
    "remove_from_set": "Removed {n} number(s) from the set.",
    "attach": "Attached {n} number(s).",
    "detach": "Detached {n} number(s).",
}


def run_bulk(client, data):
    numbers = data["numbers"]
    action = data["action"]
    if action == "group":
        return client.update_numbers_group(numbers=numbers, group=data["group"])
    if action == "add_to_set":
        return client.add_numbers_to_set(set_id=data["set_id"], numbers=numbers)
    if action == "remove_from_set":
        return client.remove_numbers_from_set(set_id=data["set_id"], numbers=numbers)
    if action == "attach":
        return client.attach_numbers(
            numbers=numbers,
            mini_app_id=data["mini_app_id"],
            locale=data["locale"],
            application_tag=data["application_tag"] or None,
        )
    return client.detach_numbers(numbers=numbers)


@admin_only
@require_http_methods(["GET", "POST"])
def omilia_numbers_bulk(request, account_pk):
    """One operation on several numbers (ticked on the numbers page): a new group, a
    set's membership, or a miniApp's routing."""
    account = omilia_account(account_pk)
    client = account.client()
    try:
        sets, sets_error = client.list_sets(), ""
    except FAILURES as exc:
        sets, sets_error = [], vendor_words(exc)
    if request.method == "POST":
        form = BulkForm(request.POST, sets=sets)
    else:
        initial = {"action": request.GET.get("action", "group")}
        chosen = [n for n in request.GET.getlist("numbers")[:200] if is_e164(n)]
        initial["numbers"] = "\n".join(chosen)
        form = BulkForm(initial=initial, sets=sets)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            result = run_bulk(client, data)
        except FAILURES as exc:
            attach_error(form, exc, fallback="numbers")
        else:
            done = BULK_DONE[data["action"]].format(n=len(data["numbers"]), group=data["group"])
            if report(request, result, done):
                refresh_inventory(request, account)
                return redirect(numbers_url(account))
            form.add_error(None, result.message)
    context = {
        "account": account,
        "form": form,
        "error": sets_error,
        "title": "Change several numbers",
        "intro": "Choose the operation, and fill in the fields it needs.",
        "submit_label": "Apply",
        "cancel_url": numbers_url(account),
        **suggestions(client, account),
        "tab": "numbers",
    }
    return render(request, "phone_numbers/omilia/form_page.html", context)
