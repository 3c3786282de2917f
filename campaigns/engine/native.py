"""CPaaS native campaigns: the vendor dials, Dialdesk pushes, creates, stops and reads back.

CPaaS's create_campaign takes ONE contact list and ONE DND list, so each campaign pushes
its own: its pending targets (already deduplicated and scrubbed by build_targets) and the
entries of its DND lists merged with the global one (VendorPush with campaign=…; the DND
push is run again on every sync, so numbers added to those lists mid-run reach the
vendor before it dials them).

Entry points (called by the engine's jobs and by Campaign.stop):
- launch(campaign): push both lists, create the vendor's campaign once, SCHEDULED -> RUNNING.
- sync(campaign): the vendor's status, its CDRs as CampaignAttempt rows, the targets'
  states, DND forwarding, completion.
- stop_at_vendor(campaign) -> '' or the vendor's own words.
- statistics(campaign) -> the vendor's CdrStatistics for the campaign (read live).

What CPaaS cannot do, said plainly: it has a start and an end only (no daily window, no
weekdays, no contact-local hours), it cannot pause, and it cannot take a number back
out of a DND list it holds.
"""

import logging
import time
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from campaigns.models.pushes import vendor_field
from telephony.vendors.cpaas import errors as cpaas_errors

from .rotation import wire_caller_id

log = logging.getLogger("campaigns")

# Our normalized retry statuses -> the vendor's DIALSTATUS names. Asterisk records both
# CHANUNAVAIL and CONGESTION with the disposition FAILED, so "failed" is both.
RETRY_STATUS_MAP = {
    "busy": ("BUSY",),
    "no_answer": ("NOANSWER",),
    "unavailable": ("CHANUNAVAIL",),
    "congestion": ("CONGESTION",),
    "failed": ("CHANUNAVAIL", "CONGESTION"),
}
# The vendor's DIALSTATUS names -> the normalized status its CDRs then carry.
DIAL_STATUS_NORMALIZED = {
    "BUSY": "busy",
    "NOANSWER": "no_answer",
    "CHANUNAVAIL": "unavailable",
    "CONGESTION": "congestion",
}
# Vendor campaign states in which it still dials (and retries).
VENDOR_ACTIVE = ("pending", "running")
# Pauses (seconds) before creating again after an answer that never came, when the
# vendor's campaign list shows the create did not happen.
CREATE_RETRY_DELAYS = (2, 10)
# How long a launch waits for a push another worker is running, before handing over to
# a fresh launch task (django-q2 kills a task after 600 s).
PUSH_WAIT_SECONDS = 480
PUSH_POLL_SECONDS = 2
LAUNCH_TASK = "campaigns.tasks.launch_campaign"


def vendor_text(text: str) -> str:
    """The announcement with each {field} renamed as vendor_field() names it."""
    from campaigns.models.campaigns import PLACEHOLDER_RE

    return PLACEHOLDER_RE.sub(lambda match: "{" + vendor_field(match.group(1)) + "}", text or "")


def vendor_campaign_name(campaign) -> str:
    """Unique per campaign and run: a launch run twice finds its own campaign by it."""
    return f"{campaign.name[:150]} (Dialdesk #{campaign.pk}.{campaign.run})"


def vendor_retry_statuses(campaign) -> list[str]:
    statuses = []
    for status in campaign.retry_statuses or ():
        for name in RETRY_STATUS_MAP.get(status, ()):
            if name not in statuses:
                statuses.append(name)
    return statuses


def vendor_max_retries(campaign) -> int:
    """No status to retry on means no retry: the vendor retries every failure when
    retry_on_statuses is absent, so max_retries goes as 0 instead."""
    return campaign.max_retries if vendor_retry_statuses(campaign) else 0


def create_arguments(campaign, *, list_id: str, dnd_list_id: str, now=None) -> dict:
    """create_campaign's keyword arguments for `campaign`; raises ValueError with the
    reason in words when the campaign cannot be expressed for CPaaS."""
    from telephony.vendors.cpaas.types import CampaignType

    now = now or timezone.now()
    if campaign.ends_at is None:
        raise ValueError("CPaaS campaigns need an end date and time: the vendor requires one.")
    start = max(campaign.starts_at or now, now)
    if campaign.ends_at <= start:
        raise ValueError("The campaign's end has passed: CPaaS would not dial anyone.")
    kwargs = {
        "list_id": list_id,
        "dnd_list_id": dnd_list_id,
        "campaign_name": vendor_campaign_name(campaign),
        "caller_id": wire_caller_id("cpaas", campaign.caller_id),
        "start": start,
        "end": campaign.ends_at,
        "time_zone": campaign.time_zone,
        "calls_per_minute": campaign.calls_per_minute,
        "repeat": campaign.repeat_count,
        "max_retries": vendor_max_retries(campaign),
        "retry_time": campaign.retry_interval,
        "retry_on_statuses": vendor_retry_statuses(campaign),
        "tts": campaign.tts_options(),
    }
    kind = campaign.Kind
    if campaign.kind == kind.TTS:
        kwargs.update(campaign_type=CampaignType.ANNOUNCEMENT)
        kwargs["announcement_text"] = vendor_text(campaign.announcement_text)
    elif campaign.kind == kind.AUDIO:
        kwargs.update(
            campaign_type=CampaignType.ANNOUNCEMENT, recorded_filename=campaign.audio_file
        )
    else:
        # Type 1 connects the answered call to the IVR, voicebot or voicemail configured
        # on the CPaaS server; the API still wants something to play first (its example
        # sends a dynamic text).
        kwargs["campaign_type"] = CampaignType.IVR
        if campaign.announcement_text.strip():
            kwargs["announcement_text"] = vendor_text(campaign.announcement_text)
        elif campaign.audio_file.strip():
            kwargs["recorded_filename"] = campaign.audio_file
        else:
            raise ValueError(
                "A CPaaS IVR campaign (type 1) needs an announcement text or a recorded "
                "file to play before connecting to the IVR: the vendor requires one."
            )
    return kwargs


# -- pushes --------------------------------------------------------------------------


def campaign_push(campaign, *, dnd: bool):
    from campaigns.models import VendorPush

    push, _ = VendorPush.objects.get_or_create(
        campaign=campaign, campaign_dnd=dnd, defaults={"account": campaign.account}
    )
    return push


def _run_push(push):
    """Run the push to the end (waiting for another worker that holds it). Returns the
    push, refreshed; None when the wait ran out."""
    deadline = time.monotonic() + PUSH_WAIT_SECONDS
    while True:
        push.run()
        push.refresh_from_db()
        if push.status in (push.Status.DONE, push.Status.FAILED):
            return push
        if time.monotonic() > deadline:
            return None
        time.sleep(PUSH_POLL_SECONDS)


def forward_dnd(campaign) -> str:
    """Send DND entries added since the last push to the vendor's DND list; '' when
    there was nothing new or it went through, else what went wrong."""
    push = campaign_push(campaign, dnd=True)
    if not push.vendor_list_id or push.is_active or not push.pending_rows().exists():
        return ""
    push.run()
    push.refresh_from_db()
    if push.status == push.Status.FAILED:
        return f"Forwarding new DND numbers to CPaaS failed: {push.error}"
    return ""


# -- launch --------------------------------------------------------------------------

# A push or create refused for the account (the kinds a push row records, and the prefix
# _create_once gives such a refusal): the campaign pauses by the vendor, not fails.
ACCOUNT_KINDS = ("authentication failed", "refused for the account")
ACCOUNT_REFUSED = "account refused: "
ACCOUNT_HINT = next(rule.hint for rule in cpaas_errors.ERRORS if rule.key == "auth")


def launch(campaign) -> str:
    """Push the campaign's targets and DND lists and create the vendor's campaign.
    Safe to run twice: a stored vendor_campaign_id, or a vendor campaign already named
    like ours (a create whose answer was lost), is used, never created again."""
    from django_q.tasks import async_task

    from campaigns.models import CampaignTarget

    campaign.refresh_from_db()
    State = campaign.State
    if campaign.state != State.SCHEDULED:
        return f"not launched: the campaign is {campaign.state}"
    if campaign.vendor_campaign_id:
        return _mark_running(campaign, campaign.vendor_campaign_id)
    if not campaign.targets.filter(status=CampaignTarget.Status.PENDING).exists():
        campaign.fail("No contact left to call: every number is DND-blocked, invalid or gone.")
        return campaign.state_reason
    try:
        create_arguments(campaign, list_id="-", dnd_list_id="-")
    except ValueError as exc:
        campaign.fail(str(exc))
        return campaign.state_reason

    pushes = {}
    for dnd in (False, True):
        push = _run_push(campaign_push(campaign, dnd=dnd))
        if push is None:
            async_task(LAUNCH_TASK, campaign.pk, task_name=f"campaign-{campaign.pk}-launch")
            return "the push is still running: launch continues in a new task"
        if push.status == push.Status.FAILED:
            if push.note.startswith(ACCOUNT_KINDS):
                # Refused for the account (credentials): nothing reached the vendor's
                # dialer, so the campaign waits for the fix instead of failing.
                campaign.pause_for_vendor(push.error, ACCOUNT_HINT)
                return campaign.state_reason
            what = "DND list" if dnd else "contacts"
            campaign.fail(f"Pushing the {what} to CPaaS failed: {push.error}")
            return campaign.state_reason
        pushes[dnd] = push

    campaign.refresh_from_db()
    if campaign.state != State.SCHEDULED:
        return f"not launched: the campaign is {campaign.state}"
    arguments = create_arguments(
        campaign, list_id=pushes[False].vendor_list_id, dnd_list_id=pushes[True].vendor_list_id
    )
    vendor_id, error = _create_once(campaign.account.client(), arguments)
    if error and error.startswith(ACCOUNT_REFUSED):
        campaign.pause_for_vendor(error.removeprefix(ACCOUNT_REFUSED), ACCOUNT_HINT)
        return campaign.state_reason
    if error:
        campaign.fail(error)
        return error
    return _mark_running(campaign, vendor_id)


def _find(client, name: str) -> str:
    return next((row.campaign_id for row in client.get_campaign_details() if row.name == name), "")


def _create_once(client, arguments) -> tuple[str, str]:
    """(vendor campaign id, '') or ('', the reason in words). Looks the name up first:
    a previous run's create may have reached the vendor with its answer lost."""
    from telephony.vendors.base import AuthFailed, InvalidRequest, Rejected, VendorError

    name = arguments["campaign_name"]
    delays = list(CREATE_RETRY_DELAYS)
    while True:
        try:
            existing = _find(client, name)
            if existing:
                return existing, ""
            return client.create_campaign(**arguments), ""
        except InvalidRequest as exc:
            return "", f"The campaign cannot be sent to CPaaS: {exc}"
        except Rejected as exc:
            if "exists" in exc.message.lower():
                # Created meanwhile (a lost answer, or a second worker): take it.
                try:
                    existing = _find(client, name)
                except VendorError as lookup:
                    return "", f"CPaaS: {lookup.message}"
                if existing:
                    return existing, ""
            return "", f"CPaaS refused the campaign: {exc.message}"
        except VendorError as exc:
            if isinstance(exc, AuthFailed):
                return "", f"{ACCOUNT_REFUSED}{exc.message}"
            if not exc.retryable or not delays:
                return "", f"CPaaS: {exc.message}"
            # The answer may be lost with the campaign created: the next turn looks the
            # name up before creating again.
            time.sleep(delays.pop(0))


def _mark_running(campaign, vendor_id: str) -> str:
    from campaigns.models import Campaign

    State = Campaign.State
    now = timezone.now()
    # Stored first, whatever the state: a campaign stopped while we created it must
    # still be stopped at the vendor.
    Campaign.objects.filter(pk=campaign.pk).update(vendor_campaign_id=vendor_id, updated_at=now)
    if campaign._move((State.SCHEDULED,), state=State.RUNNING, idle_reason="", idle_since=None):
        from .jobs import runner_enqueue

        sync(campaign)
        runner_enqueue(campaign)  # follow(): the page sees progress every few seconds
        return f"running at CPaaS as {vendor_id}"
    if campaign.state in Campaign.FINAL_STATES and campaign.state != State.COMPLETED:
        error = stop_at_vendor(campaign)
        return f"stopped at CPaaS as it is {campaign.state}" + (f" ({error})" if error else "")
    return f"created {vendor_id}; the campaign is {campaign.state}"


# -- stop ----------------------------------------------------------------------------


def stop_at_vendor(campaign) -> str:
    """Stop the vendor's campaign; '' when stopped, else the vendor's own words."""
    from telephony.vendors.base import InvalidRequest, VendorError

    if not campaign.vendor_campaign_id:
        return ""
    try:
        campaign.account.client().stop_campaign(campaign_id=campaign.vendor_campaign_id)
    except VendorError as exc:
        return f"CPaaS: {exc.message}"
    except InvalidRequest as exc:
        return f"Account settings incomplete: {exc}"
    return ""


# -- reading back --------------------------------------------------------------------


def statistics(campaign):
    """The vendor's CDR statistics of the campaign (CdrStatistics), read live; None
    before the campaign exists at the vendor. Raises VendorError as the client does."""
    if not campaign.vendor_campaign_id:
        return None
    client = campaign.account.client()
    return client.get_campaign_cdr_statistics(campaign_id=campaign.vendor_campaign_id)


def sync(campaign) -> str:
    """Read the vendor's campaign and CDRs into the campaign, its attempts and targets;
    forward new DND numbers; complete the campaign when the vendor has. Idempotent."""
    from campaigns.models import Campaign
    from telephony.vendors.base import InvalidRequest, RateLimited, VendorError

    campaign.refresh_from_db()
    if not campaign.vendor_campaign_id:
        return "not at the vendor yet"
    client = campaign.account.client()
    try:
        detail = client.get_campaign(campaign.vendor_campaign_id)
        cdrs = client.get_cdr_by_campaign_id(campaign_id=campaign.vendor_campaign_id)
    except (VendorError, InvalidRequest) as exc:
        if isinstance(exc, RateLimited):
            reason = f"The vendor is rate limiting us: {exc.message}"
        elif isinstance(exc, VendorError):
            reason = f"Cannot read the campaign from CPaaS: {exc.message}"
        else:
            reason = f"Account settings incomplete: {exc}"
        _note(campaign, idle_reason=reason)
        return reason

    vendor_status = detail.status if detail else "missing"
    vendor_active = vendor_status in VENDOR_ACTIVE
    record_cdrs(campaign, cdrs, vendor_active=vendor_active)

    State = Campaign.State
    notes = []
    if campaign.state == State.RUNNING and vendor_active:
        error = forward_dnd(campaign)
        if error:
            notes.append(error)
    if vendor_status == "completed":
        if campaign.state == State.RUNNING:
            _close_undialed(campaign)
            campaign.complete()
    elif vendor_status == "stopped" and campaign.state in Campaign.ACTIVE_STATES:
        campaign._move(
            Campaign.ACTIVE_STATES,
            state=State.STOPPED,
            state_reason="Stopped at the vendor, outside Dialdesk.",
            finished_at=timezone.now(),
        )
    elif vendor_status == "failed":
        campaign.fail("CPaaS reports the campaign failed.")
    elif detail is None:
        notes.append(f"CPaaS no longer lists campaign {campaign.vendor_campaign_id}.")
    elif vendor_status == "pending" and detail.start:
        notes.append(f"CPaaS starts dialing at {detail.start:%Y-%m-%d %H:%M} {campaign.time_zone}.")
    changes = {"vendor_status": vendor_status}
    dialed = [cdr.started_at for cdr in cdrs if cdr.started_at]
    if dialed and (campaign.last_dial_at is None or max(dialed) > campaign.last_dial_at):
        changes["last_dial_at"] = max(dialed)  # the page's "dialing recently" and pace
    _note(campaign, idle_reason=" ".join(notes), **changes)
    return f"{vendor_status}: {len(cdrs)} calls"


def sync_seconds() -> float:
    """How often a native campaign's runner syncs it (CAMPAIGN_NATIVE_SYNC_SECONDS)."""
    from django.conf import settings

    return float(getattr(settings, "CAMPAIGN_NATIVE_SYNC_SECONDS", 30))


def follow(campaign, budget: float) -> tuple[str, bool]:
    """The runner of a native campaign: sync under the campaign's runner lease, so its
    page moves while the vendor dials (the watchdog alone would sync once a minute).
    Syncs every CAMPAIGN_NATIVE_SYNC_SECONDS (30) within `budget` while that is short
    (up to CAMPAIGN_RUNNER_HOLD_SECONDS); a longer wait is not spent in the worker: it
    syncs once and jobs.py wakes the next runner then. Returns (what happened, whether
    a next runner should carry on)."""
    import uuid

    from .idle import hold_seconds

    token = str(uuid.uuid4())
    interval = sync_seconds()
    if not campaign.take_lease(token):
        return "another runner holds this campaign", False
    deadline = time.monotonic() + budget
    result = ""
    try:
        while True:
            result = sync(campaign)
            if interval > hold_seconds() or time.monotonic() + interval > deadline:
                break
            if not campaign.take_lease(token):
                break
            time.sleep(interval)
    finally:
        campaign.give_back_lease(token)
    running = type(campaign).objects.filter(pk=campaign.pk, state=campaign.State.RUNNING)
    return result, running.exists()


def sync_due(now=None):
    """Native campaigns the watchdog should sync: running ones, and for a quarter of an
    hour after they finish (calls live at a stop end later, and only then have CDRs)."""
    from django.db.models import Q

    from campaigns.models import Campaign

    now = now or timezone.now()
    return (
        Campaign.objects.select_related("account")
        .filter(account__kind="cpaas")
        .exclude(vendor_campaign_id="")
        .filter(
            Q(state=Campaign.State.RUNNING)
            | Q(state__in=Campaign.FINAL_STATES, finished_at__gte=now - timedelta(minutes=15))
        )
    )


def _note(campaign, *, idle_reason: str, **changes):
    from campaigns.models import Campaign

    now = timezone.now()
    row = Campaign.objects.filter(pk=campaign.pk)
    if idle_reason and not campaign.idle_reason:
        changes["idle_since"] = now
    elif not idle_reason:
        changes["idle_since"] = None
    row.update(idle_reason=idle_reason, last_synced_at=now, **changes)
    campaign.refresh_from_db()


def record_cdrs(campaign, cdrs, *, vendor_active: bool) -> int:
    """Upsert one CampaignAttempt per CDR (the k-th CDR of a number is its attempt k)
    and set each dialed target's state. Returns how many CDRs matched a target."""
    from campaigns.clock import attempt_reference
    from campaigns.models import CampaignAttempt, CampaignTarget

    by_number = {}
    for cdr in sorted(cdrs, key=lambda item: (_row_id(item), item.vendor_call_id)):
        by_number.setdefault(cdr.customer_number.removeprefix("+"), []).append(cdr)
    targets = {
        target.number.removeprefix("+"): target
        for target in CampaignTarget.objects.filter(campaign=campaign).only(
            "id", "number", "status", "attempts", "last_status", "last_error"
        )
    }
    retry_on = {DIAL_STATUS_NORMALIZED[name] for name in vendor_retry_statuses(campaign)}
    max_retries = vendor_max_retries(campaign)
    now = timezone.now()
    attempts, changed = [], []
    for number, rows in by_number.items():
        target = targets.get(number)
        if target is None:
            log.warning("campaign %s: CDR for %s matches no target", campaign.pk, number)
            continue
        for index, cdr in enumerate(rows, start=1):
            status = str(cdr.status)
            if status not in CampaignAttempt.Status.values:
                status = CampaignAttempt.Status.PLACED
            attempts.append(
                CampaignAttempt(
                    campaign=campaign,
                    target=target,
                    number=target.number,
                    attempt=index,
                    reference_id=attempt_reference(campaign.pk, campaign.run, target.pk, index),
                    vendor_call_id=cdr.vendor_call_id[:64],
                    status=status,
                    error=_error_of(cdr),
                    dialed_at=cdr.started_at,
                    answered_at=cdr.answered_at,
                    ended_at=cdr.ended_at,
                    duration=cdr.duration_seconds,
                    checked_at=now,
                    created_at=cdr.started_at or now,
                    updated_at=now,
                )
            )
        last = rows[-1]
        last_status = str(last.status)
        answered = any(str(row.status) == "answered" for row in rows)
        retry_due = None
        if answered:
            new_status, last_status = CampaignTarget.Status.ANSWERED, "answered"
        elif last_status == "dnd_blocked":
            new_status = CampaignTarget.Status.DND
        elif vendor_active and last_status in retry_on and len(rows) - 1 < max_retries:
            new_status = CampaignTarget.Status.RETRY
            ended = last.ended_at or now
            retry_due = ended + timedelta(seconds=campaign.retry_interval)
        else:
            new_status = CampaignTarget.Status.FAILED
        target.status, target.last_status = new_status, last_status
        target.attempts, target.next_attempt_at = len(rows), retry_due
        target.last_error, target.updated_at = _error_of(last), now
        changed.append(target)
    with transaction.atomic():
        CampaignAttempt.objects.bulk_create(
            attempts,
            batch_size=500,
            update_conflicts=True,
            unique_fields=["reference_id"],
            update_fields=[
                "vendor_call_id",
                "status",
                "error",
                "dialed_at",
                "answered_at",
                "ended_at",
                "duration",
                "checked_at",
                "updated_at",
            ],
        )
        CampaignTarget.objects.bulk_update(
            changed,
            ["status", "last_status", "attempts", "next_attempt_at", "last_error", "updated_at"],
            batch_size=500,
        )
    return len(changed)


def _close_undialed(campaign):
    """When the vendor's campaign is over, numbers it never dialed will not be."""
    campaign.close_open_targets("CPaaS ended the campaign without dialing this number.")


def _row_id(cdr) -> int:
    try:
        return int(cdr.raw.get("id"))
    except (TypeError, ValueError):
        return 0


def _error_of(cdr) -> str:
    status = str(cdr.status)
    if status == "answered":
        return ""
    if status == "dnd_blocked":
        return "CPaaS skipped it: the number is in the campaign's DND list."
    return cdr.vendor_status or status
