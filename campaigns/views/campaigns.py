"""The campaign builder: the index, the create/edit page (checked as you type, with a
preview), clone and delete. The campaign's own page and its lifecycle buttons live in
views/campaign_page.py."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from telephony.access import role_required
from telephony.htmx import render_page

from ..forms import CampaignForm
from ..forms.filters import CampaignFilterForm
from ..models import Campaign

PAGE_SIZE = 25


@role_required("view_reports")
@require_GET
def campaign_index(request):
    """Campaigns by newest; an htmx request (search, state filter, paging) gets the
    table only."""
    state = request.GET.get("state", "")
    q = request.GET.get("q", "").strip()
    if state not in Campaign.index_states():
        state = ""
    campaigns = (
        Campaign.objects.visible()
        .prefetch_related("contact_lists")
        .filtered(state=state, q=q)
        .with_progress()
    )
    page = Paginator(campaigns, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=2),
        "state": state,
        "q": q,
        "states": list(Campaign.index_states().items()),
        "filter_form": CampaignFilterForm(initial={"q": q, "state": state}),
        "filtered": bool(state or q),
    }
    return render_page(request, "campaigns/campaign_index.html", context, "campaign_table")


def _preview(form):
    """The preview of the campaign as the form has it (unsaved, lists by id)."""
    campaign = form.instance
    if not form.account or campaign.account_id != form.account.pk:
        return None
    return campaign.preview(form.now, form.chosen_list_ids(), form.chosen_dnd_ids())


def _builder(request, form, campaign=None):
    context = {"form": form, "campaign": campaign, "preview": None}
    if form.is_bound:
        form.is_valid()
        context["preview"] = _preview(form)
    elif campaign is not None:
        # A saved draft opens with its checks and preview showing.
        form.problems = campaign.problems(required_variables=form.required_variables())
        context["preview"] = campaign.preview(form.now)
    return render(request, "campaigns/campaign_form.html", context)


def _save(request, form):
    campaign = form.save(commit=False)
    if not campaign.pk:
        campaign.created_by = request.user
    campaign.save()
    form.save_m2m()
    return campaign


@role_required("run_campaigns")
@require_http_methods(["GET", "POST"])
def campaign_create(request):
    form = CampaignForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        campaign = _save(request, form)
        _saved_message(request, form, campaign)
        return redirect("campaigns:campaign_detail", pk=campaign.pk)
    return _builder(request, form)


def _only_drafts(request, campaign, rest: str):
    """A started campaign's settings are its record: say so and show its page."""
    state = campaign.get_state_display().lower()
    messages.warning(request, f"{campaign.name} is {state}: only drafts can be {rest}")
    return redirect("campaigns:campaign_detail", pk=campaign.pk)


@role_required("run_campaigns")
@require_http_methods(["GET", "POST"])
def campaign_edit(request, pk):
    campaign = get_object_or_404(Campaign.objects.visible(), pk=pk)
    if not campaign.is_editable:
        return _only_drafts(request, campaign, "edited. Clone it to change its settings.")
    form = CampaignForm(request.POST or None, instance=campaign)
    if request.method == "POST" and form.is_valid():
        campaign = _save(request, form)
        _saved_message(request, form, campaign)
        return redirect("campaigns:campaign_detail", pk=campaign.pk)
    return _builder(request, form, campaign)


def _saved_message(request, form, campaign):
    if form.problems:
        messages.warning(
            request,
            f"Saved the draft {campaign.name}. Before it can start: "
            + " ".join(form.problems.values()),
        )
    else:
        messages.success(request, f"Saved the draft {campaign.name}. It is ready to start.")


@role_required("run_campaigns")
@require_POST
def campaign_check(request):
    """The builder as you type: the whole form in, per-field messages and the preview
    out (out-of-band swaps); nothing is saved. When the account, the kind or the OCA
    IVR changed, the vendor-dependent sections come back redrawn (with the vendor's
    IVR list and numbers)."""
    instance = None
    pk = request.POST.get("campaign")
    if pk and pk.isdigit():
        instance = Campaign.objects.filter(pk=int(pk), state=Campaign.State.DRAFT).first()
    form = CampaignForm(request.POST, instance=instance)
    form.is_valid()
    context = {
        "form": form,
        "campaign": instance,
        "preview": _preview(form),
        "redraw": request.POST.get("layout") != form.layout_key,
        "checked_at": timezone.now(),
    }
    return render(request, "campaigns/campaign_form.html#check", context)


@role_required("run_campaigns")
@require_POST
def campaign_clone(request, pk):
    campaign = get_object_or_404(Campaign, pk=pk)
    copy = campaign.clone(user=request.user)
    messages.success(request, f"Cloned {campaign.name}: this is the new draft.")
    return redirect("campaigns:campaign_edit", pk=copy.pk)


@role_required("run_campaigns")
@require_http_methods(["GET", "POST"])
def campaign_delete(request, pk):
    campaign = get_object_or_404(Campaign.objects.visible(), pk=pk)
    if not campaign.is_editable:
        return _only_drafts(request, campaign, "deleted, so its record of calls is kept.")
    if request.method == "POST":
        # Conditional delete: a draft started in another tab meanwhile is not deleted.
        deleted, _ = Campaign.objects.filter(pk=campaign.pk, state=Campaign.State.DRAFT).delete()
        if deleted:
            messages.success(request, f"Deleted the draft {campaign.name}.")
            return redirect("campaigns:campaign_index")
        messages.warning(request, f"{campaign.name} is no longer a draft; it was not deleted.")
        return redirect("campaigns:campaign_detail", pk=campaign.pk)
    context = {"campaign": campaign, "lists": campaign.contact_lists.all()}
    return render(request, "campaigns/campaign_confirm_delete.html", context)
