"""django-q2 jobs of the numbers inventory. Each takes ids (or nothing), is safe to run
twice, and records its run: a telephony SyncRun (kind "numbers") per account synced."""

import logging

from django.utils import timezone

from telephony.models import ProviderAccount

from .sync import SYNCED_KINDS, sync_account, vendor_words

log = logging.getLogger(__name__)


def sync_numbers(account_id):
    """Sync one Omilia or OCA account's numbers (and sets); returns the run's summary."""
    from telephony.models.cdr import SyncRun

    account = ProviderAccount.objects.filter(pk=account_id, kind__in=SYNCED_KINDS).first()
    if account is None:
        return "no such Omilia or OCA account"
    run = SyncRun.objects.create(account=account, kind=SyncRun.Kind.NUMBERS)
    try:
        result = sync_account(account)
    except Exception as error:  # the run row must say why, whatever broke
        log.warning("numbers sync of account %s failed: %s", account.pk, vendor_words(error))
        run.finish(ok=False, errors=vendor_words(error))
        return f"failed: {run.errors}"
    run.created, run.updated = result.created, result.updated
    run.pages = 1
    run.finish(ok=True, errors="; ".join(result.skipped)[:4000])
    return result.summary()


def sync_all_numbers():
    """Scheduled: queue a numbers sync for every active Omilia and OCA account."""
    from django_q.tasks import async_task

    ids = list(
        ProviderAccount.objects.active().filter(kind__in=SYNCED_KINDS).values_list("pk", flat=True)
    )
    for account_id in ids:
        async_task("phone_numbers.tasks.sync_numbers", account_id, group="numbers-sync")
    return f"queued {len(ids)} account{'' if len(ids) == 1 else 's'} at {timezone.now():%H:%M}"


def apply_health_rules():
    """Scheduled: set PhoneNumber.health_flag from the rollups (phone_numbers.health)."""
    from .health import apply_rules

    flagged, cleared = apply_rules()
    return f"{flagged} flagged, {cleared} cleared"
