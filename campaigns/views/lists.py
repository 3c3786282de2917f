"""Contact lists: the index, a list's page (search, filters, keyset paging, DND badges,
bulk actions), its create/edit/delete pages, contact edit, and the CSV/XLSX export."""

from urllib.parse import urlencode

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from telephony.access import role_required
from telephony.htmx import render_page

from ..exports import contact_rows, export_response
from ..forms import ContactFilterForm, ContactForm, ContactListForm
from ..models import Contact, ContactList, DndEntry, ImportJob, keyset_page
from ..models.search import search_hint

FILTER_KEYS = ("q", "status", "dnd", "tz")


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _list_url(contact_list, filters) -> str:
    url = reverse("campaigns:list_detail", args=[contact_list.pk])
    query = urlencode({key: value for key, value in filters.items() if value})
    return f"{url}?{query}" if query else url


@role_required("view_reports")
@require_GET
def list_index(request):
    lists = ContactList.objects.with_counts()
    return render(request, "campaigns/list_index.html", {"lists": lists})


@role_required("run_campaigns")
@require_http_methods(["GET", "POST"])
def list_create(request):
    form = ContactListForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        contact_list = form.save(commit=False)
        contact_list.created_by = request.user
        contact_list.save()
        messages.success(request, f"Created the list {contact_list.name}. Import contacts next.")
        return redirect("campaigns:list_detail", pk=contact_list.pk)
    return render(request, "campaigns/list_form.html", {"form": form, "creating": True})


@role_required("run_campaigns")
@require_http_methods(["GET", "POST"])
def list_edit(request, pk):
    contact_list = get_object_or_404(ContactList, pk=pk)
    form = ContactListForm(request.POST or None, instance=contact_list)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, f"Saved the list {contact_list.name}.")
        return redirect("campaigns:list_detail", pk=contact_list.pk)
    context = {"form": form, "creating": False, "contact_list": contact_list}
    return render(request, "campaigns/list_form.html", context)


@role_required("run_campaigns")
@require_http_methods(["GET", "POST"])
def list_delete(request, pk):
    contact_list = get_object_or_404(ContactList, pk=pk)
    if request.method == "POST":
        name = contact_list.name
        contact_list.delete()
        messages.success(request, f"Deleted the list {name} and its contacts.")
        return redirect("campaigns:list_index")
    context = {
        "contact_list": contact_list,
        "contacts": contact_list.contacts.count(),
        "imports": contact_list.imports.count(),
    }
    return render(request, "campaigns/list_confirm_delete.html", context)


@role_required("view_reports")
@require_GET
def list_detail(request, pk):
    """A page of contacts; an htmx request (search, filters, paging) gets the table only.
    Paging is by id (?after=, ?before=, ?page=last): page 10,000 costs what page 1 does."""
    contact_list = get_object_or_404(ContactList, pk=pk)
    form = ContactFilterForm(request.GET, zones=contact_list.time_zones())
    filters = form.filters()
    contacts = Contact.objects.filtered(contact_list, **filters)
    page = keyset_page(
        contacts,
        after=_int(request.GET.get("after")),
        before=_int(request.GET.get("before")),
        last=request.GET.get("page") == "last",
    )
    contact_list.prepare_rows(page.rows)
    filtered = any(filters.values())
    export_query = urlencode({key: value for key, value in filters.items() if value})
    context = {
        "contact_list": contact_list,
        "form": form,
        "page": page,
        "filters": filters,
        "filtered": filtered,
        "search_hint": search_hint(filters.get("q", "")),
        "export_query": export_query,
        "imports": contact_list.imports.select_related("created_by")[:5],
        "import_statuses": ImportJob.Status,
    }
    return render_page(request, "campaigns/list_detail.html", context, "contact_table")


@role_required("run_campaigns")  # personal data: supervisors and admins
@require_GET
def list_export(request, pk):
    """The list as filtered on its page, as CSV (streamed) or XLSX (?format=xlsx)."""
    contact_list = get_object_or_404(ContactList, pk=pk)
    filters = ContactFilterForm(request.GET).filters()
    contacts = Contact.objects.filtered(contact_list, **filters)
    return export_response(
        contact_rows(contact_list, contacts),
        name=contact_list.name,
        file_format=request.GET.get("format", "csv"),
    )


@role_required("run_campaigns")
@require_POST
def contact_bulk(request, pk):
    """Activate, deactivate or delete the ticked contacts, or all that match the page's
    filters (scope=all). Deleting first shows how many go, and asks to confirm."""
    contact_list = get_object_or_404(ContactList, pk=pk)
    filters = ContactFilterForm(request.POST).filters()
    back = _list_url(contact_list, filters)
    action = request.POST.get("action", "")
    if action not in ContactList.BULK_ACTIONS:
        messages.warning(request, "Choose what to do with the contacts.")
        return redirect(back)
    if request.POST.get("scope") == "all":
        contacts = Contact.objects.filtered(contact_list, **filters)
        ids = []
    else:
        ids = [pk for pk in map(_int, request.POST.getlist("ids")) if pk is not None]
        if not ids:
            messages.warning(request, "Tick the contacts first, or choose all matching ones.")
            return redirect(back)
        contacts = contact_list.contacts.filter(pk__in=ids)
    if action == "delete" and request.POST.get("confirmed") != "yes":
        context = {
            "contact_list": contact_list,
            "count": contacts.count(),
            "scope": request.POST.get("scope", ""),
            "ids": ids,
            "filters": filters,
            "filtered": any(filters.values()),
            "back": back,
        }
        return render(request, "campaigns/contact_confirm_delete.html", context)
    changed = contact_list.apply_bulk(action, contacts)
    verb = ContactList.BULK_ACTIONS[action]
    messages.success(request, f"{verb} {changed} contact{'' if changed == 1 else 's'}.")
    return redirect(back)


@role_required("run_campaigns")
@require_http_methods(["GET", "POST"])
def contact_edit(request, pk):
    contact = get_object_or_404(Contact.objects.select_related("contact_list"), pk=pk)
    form = ContactForm(request.POST or None, instance=contact)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, f"Saved {contact.name or contact.number}.")
        return redirect(_list_url(contact.contact_list, {"q": contact.number}))
    blocking = DndEntry.objects.filter(number=contact.number).select_related("dnd_list")
    context = {"form": form, "contact": contact, "contact_list": contact.contact_list}
    context["blocking"] = blocking
    return render(request, "campaigns/contact_form.html", context)
