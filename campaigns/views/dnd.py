"""DND lists: the index (with an "is this number blocked?" box), a list's entries page
(search, keyset paging, quick add / paste, remove), create/edit/delete, export, and the
lookup across every DND list."""

from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from telephony.access import role_required
from telephony.htmx import render_page
from telephony.phone import InvalidNumber, normalize

from ..exports import dnd_rows, export_response
from ..forms import DndAddForm, DndFilterForm, DndListForm, DndLookupForm
from ..models import DndEntry, DndList, keyset_page
from ..models.search import search_hint
from .lists import _int


@role_required("view_reports")
@require_GET
def dnd_index(request):
    context = {"dnd_lists": DndList.objects.all(), "lookup_form": DndLookupForm()}
    return render(request, "campaigns/dnd_index.html", context)


@role_required("run_campaigns")
@require_http_methods(["GET", "POST"])
def dnd_create(request):
    form = DndListForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        dnd_list = form.save()
        messages.success(request, f"Created the DND list {dnd_list.name}.")
        return redirect("campaigns:dnd_detail", pk=dnd_list.pk)
    return render(request, "campaigns/dnd_form.html", {"form": form, "creating": True})


@role_required("run_campaigns")
@require_http_methods(["GET", "POST"])
def dnd_edit(request, pk):
    dnd_list = get_object_or_404(DndList, pk=pk)
    form = DndListForm(request.POST or None, instance=dnd_list)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, f"Saved the DND list {dnd_list.name}.")
        return redirect("campaigns:dnd_detail", pk=dnd_list.pk)
    context = {"form": form, "creating": False, "dnd_list": dnd_list}
    return render(request, "campaigns/dnd_form.html", context)


@role_required("run_campaigns")
@require_http_methods(["GET", "POST"])
def dnd_delete(request, pk):
    dnd_list = get_object_or_404(DndList, pk=pk)
    if request.method == "POST":
        name = dnd_list.name
        dnd_list.delete()
        messages.success(request, f"Deleted the DND list {name} and its entries.")
        return redirect("campaigns:dnd_index")
    context = {"dnd_list": dnd_list, "entries": dnd_list.entries.count()}
    return render(request, "campaigns/dnd_confirm_delete.html", context)


def _entries_context(request, dnd_list, params):
    form = DndFilterForm(params)
    filters = form.filters()
    entries = DndEntry.objects.filtered(dnd_list, **filters).select_related("added_by")
    page = keyset_page(
        entries,
        after=_int(params.get("after")),
        before=_int(params.get("before")),
        last=params.get("page") == "last",
    )
    return {
        "dnd_list": dnd_list,
        "form": form,
        "page": page,
        "filters": filters,
        "filtered": any(filters.values()),
        "search_hint": search_hint(filters.get("q", ""), "names or reasons"),
        "export_query": urlencode({key: value for key, value in filters.items() if value}),
    }


@role_required("view_reports")
@require_GET
def dnd_detail(request, pk):
    """A DND list's entries; an htmx request (search, paging) gets the table only."""
    dnd_list = get_object_or_404(DndList, pk=pk)
    context = _entries_context(request, dnd_list, request.GET)
    context["add_form"] = DndAddForm()
    return render_page(request, "campaigns/dnd_detail.html", context, "entry_table")


@role_required("run_campaigns")
@require_POST
def dnd_add(request, pk):
    """Add one number or a pasted block. Invalid lines and duplicates are reported one by
    one; the valid new numbers go in. htmx gets the add panel and the refreshed table."""
    dnd_list = get_object_or_404(DndList, pk=pk)
    form = DndAddForm(request.POST)
    result = None
    if form.is_valid():
        result = dnd_list.add_numbers(
            form.cleaned_data["numbers"],
            user=request.user,
            name=form.cleaned_data["name"],
            reason=form.cleaned_data["reason"],
        )
        added = len(result.added)
        problems = len(result.invalid) + len(result.duplicates)
        if added:
            messages.success(
                request, f"Added {added} number{'' if added == 1 else 's'} to {dnd_list.name}."
            )
        if problems and not added:
            messages.warning(request, "No number was added; see why below the form.")
        if not request.htmx and not problems:
            return redirect("campaigns:dnd_detail", pk=dnd_list.pk)
        if not problems:
            form = DndAddForm()  # a clean form for the next number
    context = _entries_context(request, dnd_list, {})
    context.update({"add_form": form, "result": result})
    template = "campaigns/dnd_detail.html" + ("#add_response" if request.htmx else "")
    return render(request, template, context)


@role_required("run_campaigns")
@require_POST
def dnd_remove(request, pk):
    """Remove one entry; htmx swaps its row out of the table."""
    entry = DndEntry.objects.filter(pk=pk).select_related("dnd_list").first()
    if entry is None:
        messages.info(request, "That number was already removed.")
    else:
        dnd_list = entry.dnd_list
        dnd_list.remove(entry)
        messages.success(request, f"Removed {entry.number} from {dnd_list.name}.")
    if request.htmx:
        if entry is None:
            return HttpResponse("")
        # The row goes (empty swap); the count above the table follows, out of band.
        context = {"dnd_list": dnd_list, "oob": True}
        return render(request, "campaigns/dnd_detail.html#entry_count", context)
    if entry is None:
        return redirect("campaigns:dnd_index")
    return redirect("campaigns:dnd_detail", pk=entry.dnd_list_id)


@role_required("run_campaigns")  # personal data: supervisors and admins
@require_GET
def dnd_export(request, pk):
    dnd_list = get_object_or_404(DndList, pk=pk)
    filters = DndFilterForm(request.GET).filters()
    entries = DndEntry.objects.filtered(dnd_list, **filters)
    return export_response(
        dnd_rows(entries), name=dnd_list.name, file_format=request.GET.get("format", "csv")
    )


@role_required("view_reports")
@require_GET
def dnd_lookup(request):
    """Is this number blocked? Every DND list that blocks it, with when, who and why."""
    form = DndLookupForm(request.GET or None)
    context = {"form": form, "searched": False}
    if form.is_valid():
        value = form.cleaned_data["number"]
        context["searched"] = True
        try:
            context["number"] = normalize(value, "IN")
        except InvalidNumber as exc:
            context["error"] = f"{value} is not a phone number we can check: {exc}."
        else:
            context["entries"] = list(DndEntry.objects.blocking(context["number"]))
    return render_page(request, "campaigns/dnd_lookup.html", context, "lookup_result")
