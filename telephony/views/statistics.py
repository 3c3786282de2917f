"""CPaaS statistics beside Dialdesk's own counts: the account's CDR statistics on its
page, a native campaign's CDR statistics on the campaign page.

The vendor's counters (get_cdr_statistics, get_campaign_cdr_statistics) count every CDR
it holds; Dialdesk's come from CallRollup (kept exact with every stored CallRecord), so
a difference means the CDR sync has not stored some calls yet, or the two count a call
differently (the account statistics have no DND counter; the campaign ones do)."""

from dataclasses import dataclass

from django.core.cache import cache
from django.db.models import Sum
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from ..access import role_required
from ..models import CallRollup, ProviderAccount
from ..vendors.base import CallStatus, InvalidRequest, VendorError

CACHE_SECONDS = 30
# The vendor's counters, in its document's order (mapping.STATISTICS_KEYS).
VENDOR_ORDER = [
    CallStatus.ANSWERED,
    CallStatus.BUSY,
    CallStatus.NO_ANSWER,
    CallStatus.CANCELLED,
    CallStatus.UNAVAILABLE,
    CallStatus.CONGESTION,
    CallStatus.DND_BLOCKED,
]


@dataclass
class Row:
    status: str
    label: str
    vendor: int | None
    ours: int

    @property
    def differs(self) -> bool:
        return self.vendor is not None and self.vendor != self.ours

    @property
    def difference(self) -> str:
        """The vendor's count minus ours, signed ("+3": the vendor has 3 more)."""
        if self.vendor is None:
            return ""
        return f"{self.vendor - self.ours:+,d}".replace("-", "\u2212")


def our_counts(rollups) -> dict[str, int]:
    return {
        row["status"]: row["n"] or 0
        for row in rollups.values("status").annotate(n=Sum("calls")).order_by()
    }


def compare(vendor_stats, ours: dict[str, int]) -> tuple[list[Row], Row]:
    counts = vendor_stats.counts if vendor_stats else {}
    statuses = [s for s in VENDOR_ORDER if s in counts or ours.get(s)]
    statuses += sorted(s for s in ours if s not in statuses and ours[s])
    rows = [
        Row(
            status=str(status),
            label=str(status).replace("_", " ").capitalize(),
            vendor=counts.get(status) if vendor_stats else None,
            ours=ours.get(status, 0),
        )
        for status in statuses
    ]
    total = Row(
        status="total",
        label="All calls",
        vendor=vendor_stats.total if vendor_stats else None,
        ours=sum(ours.values()),
    )
    return rows, total


def _vendor(account, key, read):
    """The vendor's counters (cached briefly), or its error in its own words."""
    cached = cache.get(key)
    if cached is not None:
        return cached
    client = account.client()
    try:
        result = (read(client), "")
    except (VendorError, InvalidRequest) as exc:
        result = (None, getattr(exc, "message", "") or str(exc))
    finally:
        client.http.session.close()
    if result[0] is not None:
        cache.set(key, result, CACHE_SECONDS)
    return result


@role_required("view_reports")
@require_GET
def cpaas_statistics(request):
    """`?account=<pk>`: the account's CDR statistics; `?campaign=<pk>`: a native
    campaign's. Loaded into its page (hx-trigger load)."""
    campaign = None
    if str(request.GET.get("campaign", "")).isdigit():
        from campaigns.models import Campaign  # the page that asks is the campaign's

        campaign = get_object_or_404(
            Campaign.objects.select_related("account"), pk=request.GET["campaign"]
        )
        account = campaign.account
    elif str(request.GET.get("account", "")).isdigit():
        account = get_object_or_404(ProviderAccount, pk=request.GET["account"])
    else:
        return render(request, "telephony/partials/cpaas_statistics.html#body", {"applies": False})
    context = {"account": account, "campaign": campaign, "applies": account.kind == "cpaas"}
    if account.kind == "cpaas":
        if campaign is not None:
            vendor_id = campaign.vendor_campaign_id
            if vendor_id:
                stats, error = _vendor(
                    account,
                    f"cpaas-stats:{account.pk}:campaign:{vendor_id}",
                    lambda client: client.get_campaign_cdr_statistics(campaign_id=vendor_id),
                )
            else:
                stats, error = None, "The campaign has no campaign id at the vendor yet."
            ours = our_counts(CallRollup.objects.filter(campaign=campaign))
        else:
            stats, error = _vendor(
                account, f"cpaas-stats:{account.pk}:cdr", lambda client: client.get_cdr_statistics()
            )
            ours = our_counts(CallRollup.objects.filter(account=account))
        rows, total = compare(stats, ours)
        context.update({"rows": rows, "total": total, "error": error, "has_vendor": bool(stats)})
    return render(request, "telephony/partials/cpaas_statistics.html#body", context)
