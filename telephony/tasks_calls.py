"""django-q2 jobs of one-off calls and vendor users. Each takes ids, is safe to run twice
and records what it did (a SyncRun row for the users sync; the Call rows themselves for
status checks)."""

from datetime import timedelta

from django.utils import timezone

from .models import Call, ProviderAccount, VendorUser

# Calls left open longer than this are checked by the schedule even if nobody watches.
STALE_CHECK_SECONDS = 30


def sync_vendor_users(account_id: int | None = None) -> str:
    """Mirror the MyOperator panel users of one account (or of every active one)."""
    accounts = ProviderAccount.objects.active().of_kind("myoperator")
    if account_id is not None:
        accounts = ProviderAccount.objects.filter(pk=account_id, kind="myoperator")
    results = []
    for account in accounts:
        run = VendorUser.sync(account)
        results.append(f"{account.name}: {'ok' if run.ok else run.errors}")
    return "; ".join(results) or "no MyOperator account"


def refresh_open_calls() -> str:
    """Ask the vendors about one-off calls still open that nobody polled lately."""
    from .one_off_calls import refresh

    cutoff = timezone.now() - timedelta(seconds=STALE_CHECK_SECONDS)
    checked = 0
    for call in Call.objects.open().filter(created_at__gte=timezone.now() - timedelta(days=2)):
        if call.checked_at is None or call.checked_at < cutoff:
            refresh(call, force=True)
            checked += 1
    return f"{checked} open call(s) checked"
