"""Buying Omilia numbers in three steps: search the numbers for sale and tick some
(`omilia_available`), confirm a page that lists them (`omilia_purchase`, GET), then
buy (`omilia_purchase`, POST).

OCP's purchase is not idempotent and costs money. The confirmation creates an
OmiliaPurchase row with a unique token; the POST that buys claims it (pending -> sent,
one conditional UPDATE), so a double submit, a reload or a second tab buys nothing
again. A lost answer leaves the purchase "unknown", never re-sent: the admin asks
Dialdesk to read the account's numbers (`omilia_purchase_check`) and only the numbers
not found there can be bought again, as a new purchase.
"""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from phone_numbers.forms_omilia import AvailableSearchForm, ChooseForm
from phone_numbers.models import OmiliaPurchase
from telephony.vendors.base import InvalidRequest, Unavailable, VendorError

from .omilia_common import admin_only, attach_error, omilia_account, refresh_inventory
from .omilia_numbers import known_groups

RECENT_PURCHASES = 10


@admin_only
@require_GET
def omilia_available(request, account_pk):
    """Step 1: numbers for sale in a country, an area and a pattern; tick the ones to buy."""
    account = omilia_account(account_pk)
    form = AvailableSearchForm(request.GET or None)
    offers, searched = [], False
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        searched = True
        try:
            found = account.client().available_numbers(
                provider=data["provider"], code=data["country"], group=data["group"],
                prefix=form.number_prefix,
            )  # fmt: skip
        except (VendorError, InvalidRequest) as exc:
            attach_error(form, exc, fallback="country")
            searched = False
        else:
            offers = [offer for offer in found if form.matches(offer.number)]
    context = {
        "account": account,
        "form": form,
        "offers": offers,
        "searched": searched,
        "choose": ChooseForm(
            initial={
                "provider": form.data.get("provider", ""),
                "group": form.data.get("group", ""),
            }
        ),
        "purchases": account.omilia_purchases.all()[:RECENT_PURCHASES],
        "known_groups": known_groups(account),
        "tab": "buy",
    }
    return render(request, "phone_numbers/omilia/available.html", context)


@admin_only
@require_POST
def omilia_buy(request, account_pk):
    """Step 1 -> 2: record the choice as a pending purchase and show its confirmation.
    Nothing is sent to Omilia here."""
    account = omilia_account(account_pk)
    form = ChooseForm(request.POST)
    if not form.is_valid():
        problems = "; ".join(
            f"{form.fields[name].label if name in form.fields else ''}: {' '.join(errors)}"
            for name, errors in form.errors.items()
        )
        messages.error(request, f"Nothing to buy yet. {problems}")
        back = reverse("numbers:omilia_available", args=[account.pk])
        return redirect(back)
    data = form.cleaned_data
    purchase = OmiliaPurchase.objects.create(
        account=account,
        provider=data["provider"],
        group=data["group"],
        note=data["note"],
        numbers=data["numbers"],
        created_by=request.user,
    )
    return redirect("numbers:omilia_purchase", account.pk, purchase.token)


def buy(request, purchase: OmiliaPurchase):
    """Send the purchase once. Called only by the request that claimed it."""
    client = purchase.account.client()
    try:
        result = client.buy_numbers(
            provider=purchase.provider,
            numbers=purchase.numbers,
            group=purchase.group,
            note=purchase.note or None,
        )
    except Unavailable as exc:
        # Timeout, 5xx, a broken connection or an unreadable answer: OCP may have bought.
        purchase.lose(exc.message)
        messages.warning(
            request,
            "Omilia's answer was lost, so Dialdesk does not know whether it bought the "
            "numbers. Check with Omilia before buying again.",
        )
        return
    except (VendorError, InvalidRequest) as exc:
        # Refused before buying (bad request, access denied, credentials): nothing bought.
        purchase.refuse(getattr(exc, "message", None) or str(exc))
        messages.error(request, f"Omilia refused the purchase: {purchase.error}")
        return
    purchase.finish(
        purchased=[{"number": p.number, "id": p.id} for p in result.purchased],
        failed=result.failed,
    )
    bought, failed = len(result.purchased), len(result.failed)
    if bought:
        refresh_inventory(request, purchase.account)
    if failed:
        messages.warning(request, f"Bought {bought} number(s); Omilia could not buy {failed}.")
    else:
        messages.success(request, f"Bought {bought} number(s).")


@admin_only
@require_http_methods(["GET", "POST"])
def omilia_purchase(request, account_pk, token):
    """Step 2 (GET, pending): the confirmation that lists the numbers. Step 3 (POST):
    the purchase, sent at most once per token. Afterwards, the outcome per number."""
    account = omilia_account(account_pk)
    purchase = get_object_or_404(OmiliaPurchase, account=account, token=token)
    if request.method == "POST":
        if OmiliaPurchase.objects.claim(purchase.pk):
            purchase.refresh_from_db()
            buy(request, purchase)
        else:
            messages.info(
                request,
                "This purchase was already sent to Omilia; nothing was sent again.",
            )
        return redirect("numbers:omilia_purchase", account.pk, purchase.token)
    context = {
        "account": account,
        "purchase": purchase,
        "rows": purchase.outcome_rows(),
        "retry_numbers": purchase.not_bought + purchase.failed,
        "tab": "buy",
    }
    return render(request, "phone_numbers/omilia/purchase.html", context)


@admin_only
@require_POST
def omilia_purchase_check(request, account_pk, token):
    """An unknown purchase (or one sent long ago and never answered): read the account's
    numbers and record which were bought."""
    account = omilia_account(account_pk)
    purchase = get_object_or_404(OmiliaPurchase, account=account, token=token)
    if not purchase.needs_check:
        messages.info(request, "This purchase's outcome is known, or its answer is awaited.")
        return redirect("numbers:omilia_purchase", account.pk, purchase.token)
    try:
        owned = {row.number for row in account.client().iter_numbers(page_size=100)}
    except (VendorError, InvalidRequest) as exc:
        messages.error(
            request,
            f"Dialdesk could not read the account's numbers ({getattr(exc, 'message', exc)}); "
            "the purchase stays unknown. Try again later.",
        )
        return redirect("numbers:omilia_purchase", account.pk, purchase.token)
    if purchase.settle_unknown(owned):
        found = len(purchase.purchased)
        missing = len(purchase.not_bought)
        if found:
            refresh_inventory(request, account)
        messages.success(
            request,
            f"Omilia's numbers read: {found} of the {len(purchase.numbers)} were bought"
            + (f", {missing} were not." if missing else "."),
        )
    return redirect("numbers:omilia_purchase", account.pk, purchase.token)
