"""Campaigns: what a campaign plays, to whom, when and how fast; its targets (one row per
number to call) and its attempts (one row per dial). The engine (campaigns/engine/)
moves targets and attempts; the models hold the states, the counts and the lifecycle."""

import re
import uuid
from datetime import time

from django.conf import settings
from django.db import models, transaction
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from ..clock import Schedule
from .lease import RunnerLease
from .lifecycle import engine
from .lists import ContactList, DndEntry, DndList, e164_check, validate_e164
from .preview import CampaignPreview
from .progress import CampaignProgress, progress_annotations, target_funnel

PLACEHOLDER_RE = re.compile(r"\{([A-Za-z_][A-Za-z0-9_ ]*)\}")
# Contact attributes every contact has, usable as {placeholders} besides custom fields.
BUILTIN_FIELDS = ("name", "number")
# Normalized statuses (telephony.vendors.base.CallStatus) a campaign may retry on.
RETRYABLE_STATUSES = ("busy", "no_answer", "failed", "congestion", "unavailable")
DEFAULT_RETRY_STATUSES = ["busy", "no_answer"]
# A target's last_status when the campaign ended before it was ever dialed.
NOT_DIALED = "not_dialed"


def placeholders(text: str) -> list[str]:
    """The {field} names in `text`, in order, without repeats."""
    seen = []
    for name in PLACEHOLDER_RE.findall(text or ""):
        if name not in seen:
            seen.append(name)
    return seen


def render_template(text: str, values: dict) -> str:
    """`text` with each {field} replaced by the contact's value ('' when missing)."""
    return PLACEHOLDER_RE.sub(lambda match: str(values.get(match.group(1)) or ""), text or "")


def default_weekdays():
    return list(range(7))


def default_retry_statuses():
    return list(DEFAULT_RETRY_STATUSES)


class CampaignQuerySet(models.QuerySet):
    def visible(self):
        return self.select_related("account", "created_by")

    def running(self):
        return self.filter(state=Campaign.State.RUNNING)

    def with_progress(self):
        """target_count, finished_count, done_count and answered_count on each row."""
        return self.annotate(**progress_annotations(CampaignTarget))

    def filtered(self, *, state="", q=""):
        """The index's filters (the names of its query string): a state (or
        "vendor_paused"), and text in the name, the vendor account's name or a contact
        list's name."""
        campaigns = self
        if state == Campaign.VENDOR_PAUSED:
            campaigns = campaigns.filter(
                state=Campaign.State.PAUSED,
                paused_by__in=[Campaign.PausedBy.VENDOR, Campaign.PausedBy.SETUP],
            )
        elif state:
            campaigns = campaigns.filter(state=state)
        if q:
            campaigns = campaigns.filter(
                Q(name__icontains=q)
                | Q(account__name__icontains=q)
                | Q(contact_lists__name__icontains=q)
            ).distinct()
        return campaigns


class CallerSource(models.TextChoices):
    ONE = "one", "One number"
    SET = "set", "A number set"
    POOL = "pool", "A pool of numbers"


class CallerStrategy(models.TextChoices):
    ROUND_ROBIN = "round_robin", "Round robin"
    LEAST_USED = "least_used", "Least used today"
    REGION = "region", "Match the contact's region or area code"
    PREFERENCE = "preference", "Caller id, then group, then region (MyOperator's order)"


class Campaign(CampaignPreview, CampaignProgress, RunnerLease, models.Model):
    class Kind(models.TextChoices):
        TTS = "tts", "Text-to-speech announcement"
        AUDIO = "audio", "Recorded audio announcement"
        IVR = "ivr", "IVR"

    class State(models.TextChoices):
        DRAFT = "draft", "Draft"
        SCHEDULED = "scheduled", "Scheduled"
        RUNNING = "running", "Running"
        PAUSED = "paused", "Paused"
        STOPPED = "stopped", "Stopped"
        COMPLETED = "completed", "Completed"
        FAILED = "failed", "Failed"

    class PausedBy(models.TextChoices):
        PERSON = "person", "Paused"
        VENDOR = "vendor", "Paused by the vendor"
        SETUP = "setup", "Paused: cannot dial"

    # The index's filter for campaigns the vendor paused (a paused state, not a state).
    VENDOR_PAUSED = "vendor_paused"

    # States a campaign leaves only by a person's action or the engine.
    ACTIVE_STATES = (State.SCHEDULED, State.RUNNING, State.PAUSED)
    FINAL_STATES = (State.STOPPED, State.COMPLETED, State.FAILED)

    name = models.CharField(max_length=200)
    account = models.ForeignKey(
        "telephony.ProviderAccount", on_delete=models.PROTECT, related_name="campaigns"
    )
    # What it plays
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.TTS)
    announcement_text = models.TextField(
        blank=True, help_text="Text-to-speech with {field} placeholders filled per contact"
    )
    audio_file = models.CharField(
        max_length=255, blank=True, help_text="A recorded file the vendor holds (CPaaS: a .wav)"
    )
    ivr_id = models.CharField(
        max_length=64, blank=True, help_text="MyOperator public_ivr_id or OCA ivr_id"
    )
    ivr_variables = models.JSONField(
        default=dict,
        blank=True,
        help_text="OCA IVR variable -> value template with {field} placeholders",
    )
    # Who it calls
    contact_lists = models.ManyToManyField(ContactList, related_name="campaigns", blank=True)
    dnd_lists = models.ManyToManyField(
        DndList,
        related_name="campaigns",
        blank=True,
        help_text="Excluded besides the global DND list, which always applies",
    )
    # Caller id: one number, or a rotation over a set or a pool of the inventory's numbers
    # (issue 12; the engine's campaigns/engine/rotation.py picks one per call).
    caller_id = models.CharField(max_length=32, blank=True)
    caller_region = models.CharField(max_length=64, blank=True, help_text="MyOperator region")
    caller_group = models.CharField(max_length=64, blank=True, help_text="MyOperator group")
    caller_source = models.CharField(
        max_length=8, choices=CallerSource.choices, default=CallerSource.ONE
    )
    caller_strategy = models.CharField(
        max_length=12, choices=CallerStrategy.choices, default=CallerStrategy.ROUND_ROBIN
    )
    caller_set = models.ForeignKey(
        "phone_numbers.NumberSet",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="campaigns",
    )
    caller_pool = models.ManyToManyField(
        "phone_numbers.PhoneNumber", blank=True, related_name="campaign_pools"
    )
    # When
    time_zone = models.CharField(max_length=64, default="UTC")
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    window_start = models.TimeField(default=time(9))
    window_end = models.TimeField(default=time(21))
    weekdays = models.JSONField(default=default_weekdays, help_text="Monday is 0")
    contact_start = models.TimeField(default=time(9))
    contact_end = models.TimeField(default=time(21))
    # Pace and retries
    calls_per_minute = models.PositiveIntegerField(default=30)
    max_retries = models.PositiveSmallIntegerField(default=2)
    retry_interval = models.PositiveIntegerField(default=1800, help_text="Seconds")
    retry_statuses = models.JSONField(default=default_retry_statuses)
    repeat_count = models.PositiveSmallIntegerField(
        default=1, help_text="Times the announcement plays in each call (CPaaS)"
    )
    # CPaaS text-to-speech (blank = the vendor's default)
    tts_voice = models.CharField(max_length=40, blank=True)
    tts_volume = models.CharField(max_length=20, blank=True)
    tts_rate = models.CharField(max_length=20, blank=True)
    tts_pitch = models.CharField(max_length=20, blank=True)
    tts_language = models.CharField(max_length=10, blank=True)
    tts_engine = models.CharField(max_length=20, blank=True)
    # Lifecycle
    state = models.CharField(max_length=10, choices=State.choices, default=State.DRAFT)
    state_reason = models.TextField(blank=True, help_text="Why it failed or stopped")
    # A paused campaign: who paused it; for the vendor, its own words and what to do.
    paused_by = models.CharField(max_length=10, choices=PausedBy.choices, blank=True)
    vendor_error = models.TextField(blank=True, help_text="The vendor's words that paused it")
    vendor_hint = models.TextField(blank=True, help_text="What to do before resuming")
    vendor_campaign_id = models.CharField(max_length=64, blank=True)
    vendor_status = models.CharField(max_length=40, blank=True)
    run = models.PositiveSmallIntegerField(
        default=1, help_text="Part of every reference id; a clone starts again at 1"
    )
    # The engine's notes: a lease so one runner dials at a time, and why it is idle.
    runner_token = models.CharField(max_length=36, blank=True)
    runner_seen_at = models.DateTimeField(null=True, blank=True)
    idle_reason = models.TextField(blank=True)
    idle_since = models.DateTimeField(null=True, blank=True)
    last_dial_at = models.DateTimeField(null=True, blank=True)
    last_synced_at = models.DateTimeField(null=True, blank=True)
    targets_built_at = models.DateTimeField(null=True, blank=True)
    cloned_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="clones"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    started_at = models.DateTimeField(null=True, blank=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = CampaignQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["state"], name="campaign_state")]

    def __str__(self):
        return self.name

    # -- what it plays --------------------------------------------------------------------

    @property
    def vendor(self) -> str:
        return self.account.kind

    @property
    def is_native(self) -> bool:
        """The vendor runs the campaign itself (CPaaS); else Dialdesk's engine dials."""
        return self.vendor == "cpaas"

    def render_for(self, values: dict) -> str:
        """The announcement as `values` (a target's or contact's fields) hears it."""
        return render_template(self.announcement_text, values)

    def ivr_values_for(self, values: dict) -> dict[str, str]:
        return {
            name: render_template(str(template), values)
            for name, template in (self.ivr_variables or {}).items()
        }

    def dnd_list_ids(self) -> list[int]:
        """The DND lists that exclude numbers: the chosen ones and the global list."""
        return self._dnd_ids(None)

    # -- who it calls ---------------------------------------------------------------------

    def invalid_number_q(self, field: str = "number") -> Q:
        """Numbers this vendor cannot dial, as a filter on `field` (E.164 strings):
        OCA calls Indonesian numbers only; CPaaS takes 10 to 15 digits."""
        if self.vendor == "oca":
            return ~Q(**{f"{field}__startswith": "+62"})
        if self.vendor == "cpaas":
            return Q(**{f"{field}__regex": r"^\+?(\d{0,9}|\d{16,})$"})
        # MyOperator dials any E.164 number, and every stored number is one (a CHECK
        # constraint): nothing matches. An equality, not a regex (SQLite runs a regex
        # in Python, a second per million rows when a campaign starts).
        return Q(**{f"{field}__in": ["", "+"]})

    def invalid_reason(self) -> str:
        if self.vendor == "oca":
            return "OCA calls Indonesian numbers (+62) only."
        if self.vendor == "cpaas":
            return "CPaaS takes numbers of 10 to 15 digits."
        return "Not a dialable number."

    def dnd_blocking(self, field: str = "number"):
        """A subquery filter: the row's number is in one of the campaign's DND lists."""
        from django.db.models import Exists, OuterRef

        return Exists(
            DndEntry.objects.filter(number=OuterRef(field), dnd_list_id__in=self.dnd_list_ids())
        )

    def tts_options(self):
        from telephony.vendors.cpaas.types import TtsOptions

        return TtsOptions(
            voice=self.tts_voice,
            volume=self.tts_volume,
            rate=self.tts_rate,
            pitch=self.tts_pitch,
            language_code=self.tts_language,
            tts_engine_type=self.tts_engine,
        )

    def schedule(self):
        return Schedule(
            time_zone=self.time_zone,
            starts_at=self.starts_at,
            ends_at=self.ends_at,
            window_start=self.window_start,
            window_end=self.window_end,
            weekdays=frozenset(int(day) for day in self.weekdays or ()),
            contact_start=self.contact_start,
            contact_end=self.contact_end,
        )

    # -- state ----------------------------------------------------------------------------

    @property
    def is_editable(self) -> bool:
        return self.state == self.State.DRAFT

    @property
    def is_finished(self) -> bool:
        return self.state in self.FINAL_STATES

    def _move(self, allowed, **changes) -> bool:
        """Conditional UPDATE from one of `allowed` states: two clicks, or a click and
        the engine, never both win."""
        changes.setdefault("updated_at", timezone.now())
        moved = Campaign.objects.filter(pk=self.pk, state__in=list(allowed)).update(**changes)
        self.refresh_from_db()
        return bool(moved)

    @classmethod
    def index_states(cls) -> dict[str, str]:
        """The index's state filter: every state, plus "Paused by the vendor"."""
        states = {}
        for key, label in cls.State.choices:
            states[key] = label
            if key == cls.State.PAUSED:
                states[cls.VENDOR_PAUSED] = cls.PausedBy.VENDOR.label
        return states

    @property
    def can_pause(self) -> bool:
        """CPaaS has no pause call (only stop); the engine's campaigns pause."""
        return not self.is_native and self.state in (self.State.SCHEDULED, self.State.RUNNING)

    @property
    def can_resume(self) -> bool:
        return self.state == self.State.PAUSED

    @property
    def can_stop(self) -> bool:
        return self.state in self.ACTIVE_STATES

    def start(self, *, user=None) -> tuple[bool, str]:
        """Draft -> scheduled; a worker then builds the targets and launches (the engine
        or the vendor's campaign). Refused, with the reasons, while the builder finds
        problems."""
        problems = self.problems()
        if problems:
            return False, " ".join(problems.values())
        if not self._move(
            (self.State.DRAFT,),
            state=self.State.SCHEDULED,
            state_reason="",
            started_at=timezone.now(),
        ):
            return False, f"This campaign is {self.get_state_display().lower()}, not a draft."
        engine().launch_enqueue(self)
        return True, f"Starting {self.name}."

    def pause(self, *, user=None) -> tuple[bool, str]:
        if not self.can_pause:
            if self.is_native:
                return (
                    False,
                    "CPaaS campaigns cannot be paused: the vendor's API can only stop them.",
                )
            return False, f"A {self.get_state_display().lower()} campaign cannot be paused."
        if not self._move(
            (self.State.SCHEDULED, self.State.RUNNING),
            state=self.State.PAUSED,
            state_reason=f"Paused by {user}." if user else "Paused.",
            paused_by=self.PausedBy.PERSON,
            vendor_error="",
            vendor_hint="",
            paused_at=timezone.now(),
            # Free the runner lease now: the runner stops at its next loop, and a prompt
            # Resume's runner must not find the lease taken.
            runner_token="",
            runner_seen_at=None,
        ):
            return False, "The campaign changed state; reload the page."
        return True, "Paused: no new calls start; calls in progress finish."

    def pause_for_vendor(self, words: str, hint: str = "", *, by: str = PausedBy.VENDOR) -> bool:
        """The vendor refused the account or the campaign (its `words`): every call would
        fail the same way, so stop dialing until someone fixes it and resumes. No number
        is consumed: the engine puts the refused attempt back first. `by` SETUP: Dialdesk
        itself found the campaign cannot be sent (e.g. an IVR the account's list lacks)."""
        label = self.PausedBy(by).label
        return self._move(
            (self.State.SCHEDULED, self.State.RUNNING),
            state=self.State.PAUSED,
            state_reason=f"{label}: {words}",
            paused_by=by,
            vendor_error=words,
            vendor_hint=hint,
            paused_at=timezone.now(),
            runner_token="",
            runner_seen_at=None,
        )

    @property
    def paused_by_vendor(self) -> bool:
        """Paused because of what the vendor answered (or the campaign cannot be sent),
        not by a person: the page shows the words and what to do."""
        return self.state == self.State.PAUSED and self.paused_by in (
            self.PausedBy.VENDOR,
            self.PausedBy.SETUP,
        )

    @property
    def state_label(self) -> str:
        """The state in words; a vendor's pause reads differently from a person's."""
        if self.paused_by_vendor:
            return self.PausedBy(self.paused_by).label
        return self.get_state_display()

    def resume(self) -> tuple[bool, str]:
        # Paused by the vendor before CPaaS had the campaign: launch it again.
        relaunch = self.is_native and not self.vendor_campaign_id
        if not self._move(
            (self.State.PAUSED,),
            state=self.State.SCHEDULED if relaunch else self.State.RUNNING,
            state_reason="",
            paused_by="",
            vendor_error="",
            vendor_hint="",
            paused_at=None,
        ):
            return False, "Only a paused campaign can be resumed."
        if relaunch:
            engine().launch_enqueue(self)
            return True, "Resumed: launching at the vendor again."
        engine().runner_enqueue(self)
        return True, "Resumed."

    def stop(self, *, user=None) -> tuple[bool, str]:
        """Stop for good. A native campaign is stopped at the vendor first; if the vendor
        refuses, the campaign stays as it was and its words are shown."""
        if not self.can_stop:
            return False, f"A {self.get_state_display().lower()} campaign cannot be stopped."
        if self.is_native and self.vendor_campaign_id:
            error = engine().stop_at_vendor(self)
            if error:
                return False, error
        if not self._move(
            self.ACTIVE_STATES,
            state=self.State.STOPPED,
            state_reason=f"Stopped by {user}." if user else "Stopped.",
            finished_at=timezone.now(),
            runner_token="",
            runner_seen_at=None,
        ):
            return False, "The campaign changed state; reload the page."
        self.close_open_targets("The campaign was stopped before this number was called.")
        return True, "Stopped: no new calls start."

    def fail(self, reason: str) -> bool:
        failed = self._move(
            self.ACTIVE_STATES,
            state=self.State.FAILED,
            state_reason=reason,
            finished_at=timezone.now(),
        )
        if failed:
            self.close_open_targets(f"The campaign failed: {reason}")
        return failed

    def close_open_targets(self, reason: str) -> int:
        """A campaign that ends early will not call its waiting numbers: pending ones
        fail as "not dialed", ones waiting for a retry keep their last outcome. Calls in
        progress are left to finish; their outcomes still come in."""
        now = timezone.now()
        Status = CampaignTarget.Status
        closed = self.targets.filter(status=Status.PENDING).update(
            status=Status.FAILED, last_status=NOT_DIALED, last_error=reason, updated_at=now
        )
        closed += self.targets.filter(status=Status.RETRY).update(
            status=Status.FAILED, last_error=f"No retry: {reason}", updated_at=now
        )
        return closed

    def complete(self) -> bool:
        return self._move(
            (self.State.RUNNING,), state=self.State.COMPLETED, finished_at=timezone.now()
        )

    def clone(self, *, user=None) -> "Campaign":
        """A new draft with the same settings, lists and DND lists."""
        copy = Campaign.objects.get(pk=self.pk)
        copy.pk = None
        copy.id = None
        copy._state.adding = True
        for name, value in {
            "name": f"Copy of {self.name}"[:200],
            "state": self.State.DRAFT,
            "state_reason": "",
            "paused_by": "",
            "vendor_error": "",
            "vendor_hint": "",
            "vendor_campaign_id": "",
            "vendor_status": "",
            "run": 1,
            "runner_token": "",
            "runner_seen_at": None,
            "idle_reason": "",
            "idle_since": None,
            "last_dial_at": None,
            "last_synced_at": None,
            "targets_built_at": None,
            "cloned_from": self,
            "created_by": user,
            "created_at": timezone.now(),
            "started_at": None,
            "paused_at": None,
            "finished_at": None,
        }.items():
            setattr(copy, name, value)
        with transaction.atomic():
            copy.save()
            copy.contact_lists.set(self.contact_lists.all())
            copy.dnd_lists.set(self.dnd_lists.all())
        return copy

    # -- counts ---------------------------------------------------------------------------

    def funnel(self) -> dict:
        """Targets by state and the sums the page shows (CampaignTargetQuerySet.funnel)."""
        return self.targets.funnel()

    @property
    def rotates_caller_ids(self) -> bool:
        return self.caller_source in (CallerSource.SET, CallerSource.POOL)

    def caller_id_split(self) -> list[dict]:
        """Attempts per caller id (caller_ids.caller_id_split), for the page."""
        from .caller_ids import caller_id_split

        return caller_id_split(self)


class CampaignTargetQuerySet(models.QuerySet):
    def funnel(self) -> dict:
        """The campaign figures every page shows: one grouped query (progress.py)."""
        return target_funnel(self)

    def open(self):
        """Targets that still need a dial or an outcome."""
        return self.filter(
            status__in=[
                CampaignTarget.Status.PENDING,
                CampaignTarget.Status.IN_PROGRESS,
                CampaignTarget.Status.RETRY,
            ]
        )

    def due(self, now):
        """Targets waiting for a dial whose time has come."""
        return self.filter(
            Q(status=CampaignTarget.Status.PENDING) | Q(status=CampaignTarget.Status.RETRY),
            next_attempt_at__lte=now,
        )


class CampaignTarget(models.Model):
    """One number a campaign calls: a snapshot of the contact taken at start, so edits
    to the list during the run do not move the numbers under the engine."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        IN_PROGRESS = "in_progress", "In progress"
        RETRY = "retry", "Retry scheduled"
        ANSWERED = "answered", "Answered"
        FAILED = "failed", "Failed"
        DND = "dnd", "DND-skipped"
        INVALID = "invalid", "Invalid"

    class WaitReason(models.TextChoices):
        VENDOR_DAY_LIMIT = "vendor_day_limit", "The vendor's daily limit for the number"

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="targets")
    contact = models.ForeignKey(
        "campaigns.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    number = models.CharField(max_length=20, validators=[validate_e164])
    name = models.CharField(max_length=200, blank=True)
    fields = models.JSONField(default=dict, blank=True)
    time_zone = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0, help_text="Attempts placed so far")
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status = models.CharField(max_length=20, blank=True, help_text="Last call outcome")
    last_error = models.TextField(blank=True)
    wait_reason = models.CharField(
        max_length=20,
        choices=WaitReason.choices,
        blank=True,
        db_default="",  # the target build inserts rows in SQL, without this column
        help_text="Why a waiting target is not due yet, when the engine set it aside",
    )
    claim_token = models.CharField(max_length=36, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = CampaignTargetQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["campaign", "number"], name="one_target_per_number"),
            e164_check("target_number_e164"),
        ]
        indexes = [
            models.Index(fields=["campaign", "status", "next_attempt_at"], name="target_due"),
            models.Index(fields=["campaign", "claim_token"], name="target_claim"),
        ]

    def __str__(self):
        return f"{self.number} in {self.campaign_id}"

    def values(self) -> dict:
        """What {placeholders} read: custom fields, then name and number."""
        return {**(self.fields or {}), "name": self.name, "number": self.number}


def new_token() -> str:
    return str(uuid.uuid4())


class CampaignAttemptQuerySet(models.QuerySet):
    def in_time_order(self):
        """Newest first by the time an attempt shows (dialed, else created); `at` is it."""
        return self.annotate(at=Coalesce("dialed_at", "created_at")).order_by("-at", "-pk")

    def filtered(self, *, status="", number=""):
        """The attempts page's filters: a status ("open": not yet ended), and digits of
        the number in any format."""
        attempts = self
        if status == "open":
            attempts = attempts.filter(status__in=CampaignAttempt.OPEN_STATUSES)
        elif status:
            attempts = attempts.filter(status=status)
        if number:
            digits = "".join(ch for ch in number if ch.isdigit())
            attempts = attempts.filter(number__contains=digits) if digits else attempts.none()
        return attempts


class CampaignAttempt(models.Model):
    """One dial of one target. Created before the vendor request, with the reference id
    derived from (campaign, run, target, attempt number), so a retried or re-run request
    carries the same id and a vendor that keys on it never places it twice."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        DIALING = "dialing", "Sending to the vendor"
        PLACED = "placed", "Placed, waiting for the outcome"
        ANSWERED = "answered", "Answered"
        BUSY = "busy", "Busy"
        NO_ANSWER = "no_answer", "No answer"
        CANCELLED = "cancelled", "Cancelled"
        FAILED = "failed", "Failed"
        CONGESTION = "congestion", "Congestion"
        UNAVAILABLE = "unavailable", "Unavailable"
        DND_BLOCKED = "dnd_blocked", "DND-blocked by the vendor"
        VOICEMAIL = "voicemail", "Voicemail"
        REJECTED = "rejected", "Rejected by the vendor"
        UNKNOWN = "unknown", "Outcome unknown"

    OPEN_STATUSES = (Status.QUEUED, Status.DIALING, Status.PLACED)

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="attempts")
    target = models.ForeignKey(CampaignTarget, on_delete=models.CASCADE, related_name="dials")
    number = models.CharField(max_length=20, db_index=True)
    attempt = models.PositiveSmallIntegerField()
    reference_id = models.CharField(max_length=64, unique=True)
    caller_id = models.CharField(
        max_length=32, blank=True, help_text="The caller id it was sent with (E.164 when rotated)"
    )
    vendor_call_id = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED)
    error = models.TextField(blank=True, help_text="The vendor's own words, or what went wrong")
    created_at = models.DateTimeField(default=timezone.now)
    dialed_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    duration = models.PositiveIntegerField(null=True, blank=True, help_text="Seconds")
    checked_at = models.DateTimeField(null=True, blank=True, help_text="Last outcome check")
    updated_at = models.DateTimeField(default=timezone.now)

    objects = CampaignAttemptQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["target", "attempt"], name="one_row_per_attempt")
        ]
        indexes = [
            models.Index(fields=["campaign", "status"], name="attempt_open"),
            models.Index(fields=["number", "dialed_at"], name="attempt_daily_cap"),
            models.Index(fields=["campaign", "dialed_at"], name="attempt_pace"),
        ]

    def __str__(self):
        return self.reference_id
