"""Vendor accounts (Admin): list, add, edit, test, disable and delete accounts, read each
one's audit trail, and set the fault injection of the vendor simulators."""

import importlib.util
from collections import Counter
from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.db import router
from django.db.models import Count, Q
from django.db.models.deletion import Collector, ProtectedError, RestrictedError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ..access import role_required
from ..forms import CREDENTIAL_FORMS, SandboxConfigForm
from ..htmx import render_page
from ..models import CallRecord, ProviderAccount, ProviderRequest, SandboxConfig, VendorKind
from ..sandbox_forms import AccountFaultsForm
from ..vendors.base import ConnectionCheck, InvalidRequest
from ..vendors.registry import feature_badges

REQUEST_LOG_SIZE = 100

# What each kind is, in a sentence, for the "pick a vendor" cards.
KIND_BLURBS = {
    "myoperator": "OBD calls (peer-to-peer and IVR) and the REST API: call logs, "
    "click-to-call, recordings and users.",
    "cpaas": "A self-hosted Asterisk CPaaS: click2call and OTP calls, native campaigns, "
    "callbacks and CDRs.",
    "omilia": "Omilia OCP numbers and number sets, per region.",
    "oca": "OCA Telkom call gateway: IVR calls with variables, audio files and call status.",
}


def short_label(label: str) -> str:
    """The label without its parenthesis, for badges, tabs and tight columns."""
    return label.split(" (")[0]


def capability_badges(kind: str, account=None) -> list[dict]:
    """What a user can do with an account of this kind, each linking to where it is done
    (the registry of implemented features; a feature without its page is not claimed)."""
    return feature_badges(kind, account)


def kind_cards():
    return [
        {
            "kind": kind,
            "label": label,
            "blurb": KIND_BLURBS.get(kind, ""),
            "capabilities": capability_badges(kind),
        }
        for kind, label in VendorKind.choices
    ]


# What the records an account owns are called on the delete page.
PLAIN_NAMES = {
    ProviderRequest: ("vendor request in the audit trail", "vendor requests in the audit trail"),
    CallRecord: ("call record (CDR)", "call records (CDRs)"),
}


def deletion_summary(account) -> tuple[list[str], list[str]]:
    """(what deleting the account removes, what stops it), as "3 call records" phrases."""

    def phrases(objects) -> list[str]:
        counts = Counter()
        for model, count in objects:
            counts[model] += count
        names = {
            m: PLAIN_NAMES.get(m, (m._meta.verbose_name, m._meta.verbose_name_plural))
            for m in counts
        }
        return [f"{count} {names[m][count != 1]}" for m, count in counts.items()]

    collector = Collector(using=router.db_for_write(ProviderAccount))
    try:
        collector.collect([account])
    except ProtectedError as exc:
        return [], phrases((type(obj), 1) for obj in exc.protected_objects)
    except RestrictedError as exc:
        return [], phrases((type(obj), 1) for obj in exc.restricted_objects)
    removed = [
        (model, len(instances))
        for model, instances in collector.data.items()
        if model is not ProviderAccount
    ]
    removed += [(qs.model, qs.count()) for qs in collector.fast_deletes]
    return phrases((model, count) for model, count in removed if count), []


@role_required("manage_vendors")
@require_GET
def account_index(request):
    """The accounts table; an htmx request (the kind filter) gets the table only."""
    kind = request.GET.get("kind", "")
    if kind not in VendorKind.values:
        kind = ""
    since = timezone.now() - timedelta(hours=24)
    accounts = ProviderAccount.objects.annotate(
        recent_requests=Count("requests", filter=Q(requests__created_at__gte=since)),
        recent_errors=Count(
            "requests", filter=Q(requests__created_at__gte=since, requests__ok=False)
        ),
    )
    all_count = accounts.count()
    counts = dict(
        ProviderAccount.objects.values_list("kind").annotate(n=Count("id")).values_list("kind", "n")
    )
    if kind:
        accounts = accounts.of_kind(kind)
    rows = list(accounts)
    for account in rows:
        account.capability_list = capability_badges(account.kind, account)
        account.kind_short = short_label(account.get_kind_display())
    context = {
        "accounts": rows,
        "kind": kind,
        "kind_label": VendorKind(kind).label if kind else "",
        "kind_tabs": [("", "All", all_count)]
        + [
            (value, short_label(label), counts.get(value, 0)) for value, label in VendorKind.choices
        ],
        "total": all_count,
    }
    return render_page(request, "telephony/account_index.html", context, "account_table")


@role_required("manage_vendors")
@require_http_methods(["GET", "POST"])
def account_create(request):
    """Pick a vendor kind (cards), then fill in that vendor's credential form."""
    kind = request.GET.get("kind", "")
    form_class = CREDENTIAL_FORMS.get(kind)
    if form_class is None:
        if request.method == "POST":
            raise Http404("Unknown vendor kind.")
        return render(request, "telephony/account_form.html", {"cards": kind_cards()})
    form = form_class(request.POST or None)
    if request.method == "POST" and form.is_valid():
        account = form.save()
        messages.success(
            request, f"Added {account.name}. Test the connection to check its credentials."
        )
        return redirect("telephony:account_detail", pk=account.pk)
    context = {
        "form": form,
        "kind": kind,
        "kind_label": VendorKind(kind).label,
        "cards": kind_cards(),
        "creating": True,
    }
    if request.htmx and request.method == "GET" and not request.htmx.history_restore_request:
        return render(request, "telephony/account_form.html#credential_form", context)
    return render(request, "telephony/account_form.html", context)


@role_required("manage_vendors")
@require_http_methods(["GET", "POST"])
def account_edit(request, pk):
    account = get_object_or_404(ProviderAccount, pk=pk)
    form = CREDENTIAL_FORMS[account.kind](request.POST or None, instance=account)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, f"Saved {account.name}.")
        return redirect("telephony:account_detail", pk=account.pk)
    context = {
        "form": form,
        "account": account,
        "kind": account.kind,
        "kind_label": account.get_kind_display(),
        "creating": False,
    }
    return render(request, "telephony/account_form.html", context)


@role_required("manage_vendors")
@require_GET
def account_detail(request, pk):
    """An account's settings, capabilities, connection test and last vendor requests.
    The request log refreshes itself: an htmx request for it gets that table only."""
    account = get_object_or_404(ProviderAccount, pk=pk)
    context = {
        "account": account,
        "request_log": account.requests.all()[:REQUEST_LOG_SIZE],
        "request_log_size": REQUEST_LOG_SIZE,
    }
    if request.htmx and request.htmx.target == "request-log":
        return render(request, "telephony/account_detail.html#request_log", context)
    stored = account.secrets
    form_class = CREDENTIAL_FORMS.get(account.kind)
    settings_rows, secret_rows = [], []
    if form_class is not None:
        # In the form's own order, so the page reads like the form that set it.
        form = form_class(instance=account)
        for name, field in form.fields.items():
            if name == "base_url":
                settings_rows.append((field.label, account.base_url))
            elif name in form_class.config_fields:
                settings_rows.append((field.label, account.config.get(name, "")))
            elif name in form_class.secret_fields:
                secret_rows.append((field.label, bool(stored.get(form_class.secret_fields[name]))))
        if hasattr(form, "catalogue_rows"):
            settings_rows += form.catalogue_rows()
    context.update(
        {
            "settings_rows": settings_rows,
            "secret_rows": secret_rows,
            "capabilities": capability_badges(account.kind, account),
        }
    )
    return render(request, "telephony/account_detail.html", context)


@role_required("manage_vendors")
@require_POST
def account_test(request, pk):
    """Call the vendor's cheapest read endpoint and show its answer (green or red)."""
    account = get_object_or_404(ProviderAccount, pk=pk)
    try:
        result = account.test_connection()
    except InvalidRequest as exc:
        # Our own validation refused to send: the account's settings are incomplete.
        result = ConnectionCheck(ok=False, message=str(exc))
    if not request.htmx:
        level = messages.success if result.ok else messages.error
        level(request, f"{account.name}: {result.message}")
        return redirect("telephony:account_detail", pk=account.pk)
    account.refresh_from_db()
    response = render(
        request,
        "telephony/account_detail.html#test_result",
        {"account": account, "result": result},
    )
    # The request log on the page reloads to show the test's audit rows.
    response["HX-Trigger"] = "vendor-requests-changed"
    return response


@role_required("manage_vendors")
@require_POST
def account_toggle(request, pk):
    account = get_object_or_404(ProviderAccount, pk=pk)
    account.is_active = not account.is_active
    account.save(update_fields=["is_active", "updated_at"])
    if account.is_active:
        messages.success(request, f"Enabled {account.name}.")
    else:
        messages.success(
            request, f"Disabled {account.name}: it places no calls and syncs nothing until enabled."
        )
    return redirect("telephony:account_detail", pk=account.pk)


@role_required("manage_vendors")
@require_http_methods(["GET", "POST"])
def account_delete(request, pk):
    """GET: what deleting removes, or why it cannot be deleted. POST: delete."""
    account = get_object_or_404(ProviderAccount, pk=pk)
    if request.method == "POST":
        name = account.name
        try:
            account.delete()
        except (ProtectedError, RestrictedError):
            messages.error(
                request,
                f"{name} cannot be deleted: calls placed through it still refer to it. "
                "Disable it instead.",
            )
            return redirect("telephony:account_delete", pk=pk)
        messages.success(request, f"Deleted {name} and its history.")
        return redirect("telephony:account_index")
    removed, blockers = deletion_summary(account)
    context = {"account": account, "removed": removed, "blockers": blockers}
    return render(request, "telephony/account_confirm_delete.html", context)


# --- the vendor simulators' fault injection ---------------------------------------------


def sandbox_card(vendor: str, label: str, form=None, switches=None) -> dict:
    # Unsaved defaults until someone changes them: a GET creates no rows.
    config = SandboxConfig.objects.filter(vendor=vendor).first() or SandboxConfig(vendor=vendor)
    switches = switches or AccountFaultsForm(config=config)
    return {
        "vendor": vendor,
        "label": label,
        "config": config,
        "faults": fault_summary(config) + switches.labels(),
        "form": form or SandboxConfigForm(instance=config),
        "switches": switches,
        "path": f"/sandbox/{vendor}/",
        "installed": simulator_installed(vendor),
    }


def fault_summary(config) -> list[str]:
    """The faults a simulator injects now, in words ("12.5 % server errors")."""
    faults = [
        f"{format(round(rate * 100, 2), 'g')} % {what}"
        for rate, what in (
            (config.error_rate, "server errors"),
            (config.timeout_rate, "timeouts"),
            (config.malformed_rate, "malformed bodies"),
        )
        if rate
    ]
    if config.latency_ms:
        faults.append(f"+{config.latency_ms} ms latency")
    if config.rate_limit_per_minute:
        faults.append(f"{config.rate_limit_per_minute} requests/minute")
    return faults


def simulator_installed(vendor: str) -> bool:
    try:
        return importlib.util.find_spec(f"telephony.vendors.{vendor}.sandbox") is not None
    except ModuleNotFoundError:
        return False


def require_sandboxes():
    if not settings.SANDBOX_ENABLED:
        raise Http404("The vendor sandboxes are off (SANDBOX_ENABLED).")


@role_required("manage_vendors")
@require_GET
def sandbox_settings(request):
    require_sandboxes()
    cards = [sandbox_card(vendor, label) for vendor, label in VendorKind.choices]
    return render(request, "telephony/sandbox_settings.html", {"cards": cards})


@role_required("manage_vendors")
@require_POST
def sandbox_update(request, vendor):
    require_sandboxes()
    if vendor not in VendorKind.values:
        raise Http404("No such vendor.")
    label = VendorKind(vendor).label
    config = SandboxConfig.for_vendor(vendor)
    form = SandboxConfigForm(request.POST, instance=config)
    switches = AccountFaultsForm(request.POST, config=config)
    saved = form.is_valid() and switches.is_valid()
    if saved:
        form.save()
        switches.save()
        messages.success(request, f"Saved the {label} sandbox settings.")
        if not request.htmx:
            return redirect("telephony:sandbox_settings")
        form = SandboxConfigForm(instance=config)
        switches = AccountFaultsForm(config=config)
    card = sandbox_card(vendor, label, form, switches)
    if request.htmx:
        return render(request, "telephony/sandbox_settings.html#sandbox_card", {"card": card})
    cards = [
        card if kind == vendor else sandbox_card(kind, kind_label)
        for kind, kind_label in VendorKind.choices
    ]
    return render(request, "telephony/sandbox_settings.html", {"cards": cards})
