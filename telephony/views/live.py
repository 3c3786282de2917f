"""Live calls on CPaaS accounts: the live panel (home, running CPaaS campaigns) and the
modify_call actions on a call in progress (transfer, hang up, record).

The panel polls (static/js/live_panel.js, only while the page is visible); each poll
reads the vendor's live-call statistics and, where the account has its server's ARI
login, the channels in progress (vendors/cpaas/live.py says why ARI: no documented CPaaS
answer names a channel). Answers are cached for a few seconds per account, so many open
pages cost the vendor one read per account, not one per viewer."""

from dataclasses import dataclass, field

from django import forms
from django.core.cache import cache
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET, require_http_methods

from ..access import role_required
from ..models import ProviderAccount
from ..vendors.base import InvalidRequest, VendorError
from ..vendors.cpaas.live import LiveChannel, has_ari, live_channels
from ..vendors.cpaas.types import CHANNEL_RE, ModifyType

CACHE_SECONDS = 3
NO_CHANNEL_NOTE = (
    "The CPaaS API documents live-call counts but no answer that names a call's channel, "
    "which transfer, hang-up and recording need. An admin can give this account its "
    "server's ARI (Asterisk REST Interface) login to list calls in progress."
)
ACTIONS = {
    "blind": (ModifyType.BLIND_TRANSFER, "Blind transfer", "Transfer"),
    "attended": (ModifyType.ATTENDED_TRANSFER, "Attended transfer", "Transfer"),
    "hangup": (ModifyType.HANGUP, "Hang up", "Hang up"),
    "record": (ModifyType.START_RECORDING, "Start recording", "Record"),
}


@dataclass
class LiveView:
    account: ProviderAccount
    stats: object = None
    stats_error: str = ""
    channels: list[LiveChannel] = field(default_factory=list)
    channels_error: str = ""
    channels_known: bool = False


def _read(account) -> LiveView:
    """One account's live statistics and channels, as the vendor says them now."""
    view = LiveView(account=account)
    client = account.client()
    try:
        try:
            view.stats = client.get_live_call_statistics()
        except (VendorError, InvalidRequest) as exc:
            view.stats_error = getattr(exc, "message", "") or str(exc)
        if has_ari(account):
            view.channels_known = True
            try:
                view.channels = live_channels(client)
            except (VendorError, InvalidRequest) as exc:
                view.channels_error = getattr(exc, "message", "") or str(exc)
    finally:
        client.http.session.close()
    return view


def live_view(account) -> LiveView:
    key = f"live-panel:{account.pk}:{account.updated_at:%s%f}"
    cached = cache.get(key)
    if cached is None:
        cached = _read(account)
        cache.set(key, cached, CACHE_SECONDS)
    cached.account = account
    return cached


def _int(value):
    return int(value) if str(value or "").isdigit() else None


@role_required("view_reports")
@require_GET
def live_panel(request):
    """The panel's body: every active CPaaS account (or `account`), and with
    `scope=campaign` only campaign calls (the vendor does not say which campaign a
    channel dials for, so all the account's campaign channels show)."""
    accounts = ProviderAccount.objects.active().filter(kind="cpaas").order_by("name")
    account_id = _int(request.GET.get("account"))
    if account_id is not None:
        accounts = accounts.filter(pk=account_id)
    scope = "campaign" if request.GET.get("scope") == "campaign" else ""
    views = [live_view(account) for account in accounts[:10]]
    for view in views:
        view.shown = [c for c in view.channels if not scope or c.kind == "campaign"]
    context = {
        "views": views,
        "scope": scope,
        "no_channel_note": NO_CHANNEL_NOTE,
        "actions": ACTIONS,
    }
    return render(request, "telephony/partials/live_panel.html#body", context)


class LiveActionForm(forms.Form):
    channel = forms.CharField(max_length=200)
    action = forms.ChoiceField(choices=[(key, value[1]) for key, value in ACTIONS.items()])
    transfer_to = forms.CharField(
        label="Transfer to",
        required=False,
        max_length=16,
        help_text="A SIP extension (102) or a number with its country code (919876543210).",
    )

    def clean_channel(self):
        channel = self.cleaned_data["channel"].strip()
        if not CHANNEL_RE.fullmatch(channel):
            raise forms.ValidationError("Not an Asterisk channel such as PJSIP/101-0000023c.")
        return channel

    def clean(self):
        cleaned = super().clean()
        action = cleaned.get("action")
        target = (cleaned.get("transfer_to") or "").strip().removeprefix("+")
        transfer = action in ("blind", "attended")
        if transfer and not (target.isdigit() and 2 <= len(target) <= 15):
            self.add_error("transfer_to", "Give an extension or a number, digits only.")
        cleaned["transfer_to"] = target
        return cleaned


@role_required("run_campaigns")
@require_http_methods(["GET", "POST"])
def live_action(request, pk):
    """GET: confirm the action on a channel; POST: send modify_call and show the
    vendor's answer. The panel refreshes after it (HX-Trigger: live-refresh)."""
    account = get_object_or_404(ProviderAccount.objects.filter(kind="cpaas"), pk=pk)
    data = request.POST if request.method == "POST" else request.GET
    form = LiveActionForm(data)
    result, error = "", ""
    if request.method == "POST" and form.is_valid():
        kind = ACTIONS[form.cleaned_data["action"]][0]
        client = account.client()
        try:
            result = client.modify_call(
                channel=form.cleaned_data["channel"],
                modify_type=kind,
                transfer_to=form.cleaned_data["transfer_to"],
            )
        except InvalidRequest as exc:
            error = str(exc)
        except VendorError as exc:
            error = exc.message or str(exc)
        finally:
            client.http.session.close()
    context = {
        "account": account,
        "form": form,
        "action": ACTIONS.get(form.data.get("action", ""), ("", "", "")),
        "result": result,
        "error": error,
        "posted": request.method == "POST",
    }
    if request.htmx:
        response = render(request, "telephony/partials/live_panel.html#action", context)
        if request.method == "POST":
            response["HX-Trigger"] = "live-refresh"
        return response
    return render(request, "telephony/live_action.html", context)
