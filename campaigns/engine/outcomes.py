"""Outcomes: what the vendor says became of a placed call, and what that means for the
target (answered, a retry after the interval, or failed with the status)."""

import logging
import re
from collections import defaultdict
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from telephony.vendors.base import CallStatus, Fault, InvalidRequest, VendorError

logger = logging.getLogger("campaigns.engine")

# A lost MyOperator answer: send the same reference id again after this many seconds.
RESEND_AFTER_SECONDS = 5
# The suffix of a reference id given anew after the vendor refused the request.
REFUSED_SUFFIX = re.compile(r"-r(\d+)$")


def dialing_stale_seconds() -> float:
    """How long after its request an attempt may still be DIALING: the request timeouts
    plus a margin (CAMPAIGN_DIALING_STALE_SECONDS overrides)."""
    http = settings.VENDOR_HTTP
    default = http["connect_timeout"] + http["read_timeout"] + 30
    return float(getattr(settings, "CAMPAIGN_DIALING_STALE_SECONDS", default))


def settle_target(target_id: int, attempt_number: int, status: str, *, campaign, now=None):
    """Move a target after attempt `attempt_number` ended with `status` (conditional:
    only a target still in progress on that attempt moves)."""
    from campaigns.models import CampaignTarget

    now = now or timezone.now()
    Status = CampaignTarget.Status
    if status == CallStatus.ANSWERED:
        changes = {"status": Status.ANSWERED, "next_attempt_at": None}
    elif status in (campaign.retry_statuses or []) and attempt_number < 1 + campaign.max_retries:
        changes = {
            "status": Status.RETRY,
            "next_attempt_at": now + timedelta(seconds=campaign.retry_interval),
        }
    else:
        changes = {"status": Status.FAILED, "next_attempt_at": None}
    return CampaignTarget.objects.filter(
        pk=target_id, status=Status.IN_PROGRESS, attempts=attempt_number
    ).update(last_status=str(status), claim_token="", updated_at=now, **changes)


def record_outcome(campaign, attempt, cdr, *, upsert_record: bool = True) -> bool:
    """Fill the attempt from a NormalizedCDR and settle its target; False while the call
    is still going (or when another reader recorded it first)."""
    from campaigns.models import CampaignAttempt

    if not cdr.status.is_final:
        CampaignAttempt.objects.filter(pk=attempt.pk).update(checked_at=timezone.now())
        return False
    now = timezone.now()
    duration = cdr.duration_seconds or None
    with transaction.atomic():
        changes = {
            "status": str(cdr.status),
            "answered_at": cdr.answered_at,
            "ended_at": cdr.ended_at,
            "duration": duration,
            "checked_at": now,
            "updated_at": now,
        }
        call_id = getattr(attempt, "found_call_id", "") or cdr.vendor_call_id
        if call_id and not attempt.vendor_call_id:
            changes["vendor_call_id"] = call_id[:64]
        moved = CampaignAttempt.objects.filter(
            pk=attempt.pk, status=CampaignAttempt.Status.PLACED
        ).update(**changes)
        if not moved:
            return False
        settle_target(attempt.target_id, attempt.attempt, str(cdr.status), campaign=campaign)
    if upsert_record:
        try:
            from telephony.models import CallRecord

            CallRecord.upsert(campaign.account, cdr)
        except Exception:  # the attempt is recorded; the call log is a convenience
            logger.exception("Could not store the call record of %s", attempt.reference_id)
    return True


def waiting_attempts(campaign, *, min_age_seconds: float = 1.0, limit: int = 500) -> list:
    """Placed attempts whose outcome was not read in the last `min_age_seconds`."""
    from campaigns.models import CampaignAttempt

    recent = timezone.now() - timedelta(seconds=min_age_seconds)
    return list(
        CampaignAttempt.objects.filter(campaign=campaign, status=CampaignAttempt.Status.PLACED)
        .exclude(checked_at__gte=recent)
        .order_by("checked_at", "id")[:limit]
    )


def read_outcomes(campaign, dialer, attempts) -> int:
    """Ask the vendor about `attempts` once; returns how many ended."""
    from campaigns.models import CampaignAttempt

    if not attempts:
        return 0
    now = timezone.now()
    ended = 0
    try:
        for attempt, cdr in dialer.outcomes(attempts):
            ended += record_outcome(campaign, attempt, cdr)
    except (VendorError, InvalidRequest) as exc:
        logger.warning("Reading outcomes of campaign %s failed: %s", campaign.pk, exc)
        if isinstance(exc, VendorError) and exc.fault == Fault.ACCOUNT:
            # E.g. MyOperator's REST token refused while OBD still places calls: stop
            # placing calls nobody can hear back from, and do not count the silence that
            # follows against the calls (give_up_on_silent_calls reads checked_at).
            campaign.pause_for_vendor(f"Reading call outcomes failed: {exc.message}", exc.hint)
            return ended
    CampaignAttempt.objects.filter(
        pk__in=[attempt.pk for attempt in attempts], status=CampaignAttempt.Status.PLACED
    ).update(checked_at=now)
    return ended


def give_up_on_silent_calls(campaign, now=None) -> int:
    """Placed calls the vendor has said nothing about for CAMPAIGN_OUTCOME_GIVE_UP_SECONDS
    (6 hours): unknown, so the campaign can finish and the log walk stays short."""
    from campaigns.models import CampaignAttempt

    now = now or timezone.now()
    seconds = float(getattr(settings, "CAMPAIGN_OUTCOME_GIVE_UP_SECONDS", 6 * 3600))
    late = timedelta(seconds=seconds)
    silent = CampaignAttempt.objects.filter(
        campaign=campaign,
        status=CampaignAttempt.Status.PLACED,
        dialed_at__lt=now - late,
        checked_at__gte=F("dialed_at") + late,  # asked after the deadline, still silent
    )
    hours = f"{seconds / 3600:g} hours" if seconds >= 3600 else f"{seconds:g} seconds"
    why = f"The vendor reported no outcome within {hours}."
    return sum(mark_unknown(attempt, why, now=now, placed=True) for attempt in silent[:500])


def poll_outcomes(campaign, dialer, *, min_age_seconds: float = 1.0, limit: int = 500) -> int:
    """Read the outcomes of the campaign's placed calls once; returns how many ended."""
    attempts = waiting_attempts(campaign, min_age_seconds=min_age_seconds, limit=limit)
    ended = read_outcomes(campaign, dialer, attempts)
    give_up_on_silent_calls(campaign)
    return ended


# --- what became of a dial -------------------------------------------------------------


def mark_placed(attempt, vendor_call_id: str, note: str):
    from campaigns.models import CampaignAttempt, CampaignTarget

    now = timezone.now()
    with transaction.atomic():
        CampaignAttempt.objects.filter(pk=attempt.pk, status=CampaignAttempt.Status.DIALING).update(
            status=CampaignAttempt.Status.PLACED,
            vendor_call_id=vendor_call_id[:64],
            error=note,
            updated_at=now,
        )
        CampaignTarget.objects.filter(
            pk=attempt.target_id, status=CampaignTarget.Status.IN_PROGRESS
        ).update(attempts=attempt.attempt, last_error="", updated_at=now)


def mark_placed_many(placed):
    """mark_placed for many calls at once, `placed` [(attempt, vendor_call_id, note)]: a
    few statements for a whole loop's calls instead of a transaction each (issue 15,
    the engine's ceiling). Until it runs the attempts stay DIALING, as they would if the
    worker died right after the vendor's answer: recover_stale_dialing resends them with
    the same reference id (MyOperator) or marks them unknown (OCA), so deferring the
    record by one loop changes no guarantee."""
    from campaigns.models import CampaignAttempt, CampaignTarget

    if not placed:
        return
    now = timezone.now()
    by_attempt_number = defaultdict(list)
    for attempt, _call_id, _note in placed:
        by_attempt_number[attempt.attempt].append(attempt.target_id)
    dialing = CampaignAttempt.objects.filter(
        pk__in=[attempt.pk for attempt, _call_id, _note in placed],
        status=CampaignAttempt.Status.DIALING,
    )
    with transaction.atomic():
        # Locked (PostgreSQL; SQLite's write transactions are IMMEDIATE): an outcome
        # cannot land between this read and the write.
        still_dialing = set(dialing.select_for_update().values_list("pk", flat=True))
        rows = []
        for attempt, call_id, note in placed:
            if attempt.pk in still_dialing:
                attempt.status = CampaignAttempt.Status.PLACED
                attempt.vendor_call_id = call_id[:64]
                attempt.error = note
                attempt.updated_at = now
                rows.append(attempt)
        CampaignAttempt.objects.bulk_update(
            rows, ["status", "vendor_call_id", "error", "updated_at"], batch_size=500
        )
        for number, target_ids in by_attempt_number.items():
            CampaignTarget.objects.filter(
                pk__in=target_ids, status=CampaignTarget.Status.IN_PROGRESS
            ).update(attempts=number, last_error="", updated_at=now)


def mark_rejected(attempt, words: str):
    from campaigns.models import CampaignAttempt, CampaignTarget

    now = timezone.now()
    with transaction.atomic():
        CampaignAttempt.objects.filter(pk=attempt.pk, status=CampaignAttempt.Status.DIALING).update(
            status=CampaignAttempt.Status.REJECTED, error=words, updated_at=now
        )
        CampaignTarget.objects.filter(
            pk=attempt.target_id, status=CampaignTarget.Status.IN_PROGRESS
        ).update(
            status=CampaignTarget.Status.FAILED,
            attempts=attempt.attempt,
            last_status="rejected",
            last_error=words,
            next_attempt_at=None,
            claim_token="",
            updated_at=now,
        )


def requeue_attempt(attempt, words: str, seconds: float, *, keep_dialed_at: bool = False):
    """Not placed (or to be sent again with the same reference id): the same attempt
    row waits, and its target is due again after `seconds`."""
    from campaigns.models import CampaignAttempt, CampaignTarget

    now = timezone.now()
    changes = {"status": CampaignAttempt.Status.QUEUED, "error": words, "updated_at": now}
    if not keep_dialed_at:
        changes["dialed_at"] = None
    with transaction.atomic():
        CampaignAttempt.objects.filter(pk=attempt.pk, status=CampaignAttempt.Status.DIALING).update(
            **changes
        )
        CampaignTarget.objects.filter(
            pk=attempt.target_id, status=CampaignTarget.Status.IN_PROGRESS
        ).update(
            status=CampaignTarget.Status.PENDING,
            next_attempt_at=now + timedelta(seconds=seconds),
            claim_token="",
            updated_at=now,
        )


def refused_reference(reference_id: str) -> str:
    """The reference id an attempt is sent with after the vendor refused it: its own id
    with -r1, -r2, ... MyOperator's documents do not say whether a refused request's id
    is locked like a placed one's; if it were, resending the same id would come back
    "already taken", which the engine must read as "placed" (the very answer that tells
    a lost request went through). A fresh id keeps that answer meaning what it means."""
    match = REFUSED_SUFFIX.search(reference_id)
    base = reference_id[: match.start()] if match else reference_id
    return f"{base}-r{int(match.group(1)) + 1 if match else 1}"


def put_back(attempt, words: str, *, due_at, refused: bool = True, wait_reason: str = ""):
    """The vendor did not place this attempt (it refused it, or it was never sent): the
    same attempt row waits QUEUED and uncounted (no dialed_at), its target goes back to
    what it was before the claim, due at `due_at`. A refused attempt gets a fresh
    reference id (refused_reference). Returns True when it moved."""
    from campaigns.models import CampaignAttempt, CampaignTarget

    now = timezone.now()
    changes = {
        "status": CampaignAttempt.Status.QUEUED,
        "dialed_at": None,
        "error": words,
        "updated_at": now,
    }
    if refused:
        changes["reference_id"] = refused_reference(attempt.reference_id)
    # Before its claim, a target on its first attempt was pending, a later one a retry.
    waiting = CampaignTarget.Status.PENDING if attempt.attempt <= 1 else CampaignTarget.Status.RETRY
    with transaction.atomic():
        moved = CampaignAttempt.objects.filter(
            pk=attempt.pk, status=CampaignAttempt.Status.DIALING
        ).update(**changes)
        if not moved:
            return False
        CampaignTarget.objects.filter(
            pk=attempt.target_id, status=CampaignTarget.Status.IN_PROGRESS
        ).update(
            status=waiting,
            next_attempt_at=due_at,
            wait_reason=wait_reason,
            last_error=words if wait_reason else F("last_error"),
            claim_token="",
            updated_at=now,
        )
    if refused:
        attempt.reference_id = changes["reference_id"]
    return True


def defer_to_next_day(attempt, zone_name: str, vendor_words: str):
    """The vendor refused this number for today (its per-number daily limit): it waits,
    uncounted, until its own next local day; the campaign dials on."""
    from campaigns.clock import local_day_bounds
    from campaigns.models import CampaignTarget

    _, next_day = local_day_bounds(timezone.now(), zone_name)
    put_back(
        attempt,
        f"The vendor's daily limit for this number: {vendor_words} "
        "Called again on the contact's next day.",
        due_at=next_day,
        wait_reason=CampaignTarget.WaitReason.VENDOR_DAY_LIMIT,
    )


def mark_lost(attempt, words: str, *, resend: bool):
    """The request may have reached the vendor, but no answer came back."""
    if resend:
        requeue_attempt(
            attempt,
            f"{words} It is sent again with the same reference id, which the vendor "
            "refuses if the first one went through.",
            RESEND_AFTER_SECONDS,
            keep_dialed_at=True,
        )
    else:
        mark_unknown(
            attempt,
            f"{words} The request timed out; not redialed so the customer is not called twice.",
        )


# --- attempts left behind -----------------------------------------------------------------


def recover_stale_dialing(campaign, dialer, *, resend: bool = True, now=None) -> int:
    """Attempts still DIALING long after any request could last: their worker died
    between creating the row and reading the answer. MyOperator: send again with the
    same reference id (the vendor refuses it if the first went through); OCA: unknown,
    never redialled."""
    from campaigns.models import CampaignAttempt, CampaignTarget

    now = now or timezone.now()
    cutoff = now - timedelta(seconds=dialing_stale_seconds())
    stale = list(
        CampaignAttempt.objects.filter(
            campaign=campaign, status=CampaignAttempt.Status.DIALING, dialed_at__lt=cutoff
        )
    )
    for attempt in stale:
        with transaction.atomic():
            if dialer.resends_lost_requests and resend:
                moved = CampaignAttempt.objects.filter(
                    pk=attempt.pk, status=CampaignAttempt.Status.DIALING
                ).update(
                    status=CampaignAttempt.Status.QUEUED,
                    error="The worker stopped while sending this call; it is sent again "
                    "with the same reference id, which the vendor refuses if the first "
                    "one went through.",
                    updated_at=now,
                )
                if moved:
                    CampaignTarget.objects.filter(
                        pk=attempt.target_id, status=CampaignTarget.Status.IN_PROGRESS
                    ).update(
                        status=CampaignTarget.Status.PENDING,
                        next_attempt_at=now,
                        claim_token="",
                        updated_at=now,
                    )
            else:
                why = (
                    "The worker stopped while sending this call and the campaign was "
                    "stopped, so it was not sent again."
                    if dialer.resends_lost_requests
                    else "The worker stopped while sending this call; not redialed so the "
                    "customer is not called twice."
                )
                mark_unknown(attempt, why, now=now)
    return len(stale)


def mark_unknown(attempt, why: str, *, now=None, placed: bool = False):
    """The attempt's fate cannot be known: unknown, and its target failed for good."""
    from campaigns.models import CampaignAttempt, CampaignTarget

    now = now or timezone.now()
    statuses = [CampaignAttempt.Status.DIALING, CampaignAttempt.Status.QUEUED]
    if placed:
        statuses = [CampaignAttempt.Status.PLACED]
    with transaction.atomic():
        moved = CampaignAttempt.objects.filter(pk=attempt.pk, status__in=statuses).update(
            status=CampaignAttempt.Status.UNKNOWN, error=why, updated_at=now
        )
        if moved:
            CampaignTarget.objects.filter(pk=attempt.target_id).exclude(
                status__in=[CampaignTarget.Status.ANSWERED, CampaignTarget.Status.DND]
            ).update(
                status=CampaignTarget.Status.FAILED,
                attempts=attempt.attempt,
                last_status="unknown",
                last_error=why,
                next_attempt_at=None,
                claim_token="",
                updated_at=now,
            )
    return bool(moved)
