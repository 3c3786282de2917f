"""Scheduled callbacks (CPaaS `/api/callback`), mirrored: our row is what a user sees and
edits; the vendor holds the real schedule and dials it.

The vendor has no read endpoint for a callback (seed 002 documents POST, PATCH and
DELETE only), so its state is followed through what the vendor does answer:
- while the moment is in the future, it is as we last sent it;
- once due, the call it made shows up in `get_cdr_by_request_id` under the callback's
  request_id: the callback is then done, with that call's outcome;
- a PATCH or DELETE answered "already processed" means the vendor has dialed it, and
  "request_id not found" that it is gone at the vendor.
"""

from datetime import timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from .accounts import ProviderAccount

# How long after its moment a callback may take to show a CDR before we say so.
LATE_AFTER = timedelta(minutes=30)
VENDOR_DATETIME = "%Y-%m-%d %H:%M:%S"


class CallbackQuerySet(models.QuerySet):
    def open(self):
        """Callbacks whose outcome the vendor has not told us yet."""
        return self.filter(state__in=Callback.OPEN_STATES)

    def due(self, now=None):
        """Open callbacks whose moment has come: the sync job asks the vendor about them."""
        return self.open().filter(scheduled_at__lte=now or timezone.now())

    def filtered(self, *, state: str = "", q: str = "", account: str = ""):
        rows = self
        if state == "open":
            rows = rows.open()
        elif state in Callback.State.values:
            rows = rows.filter(state=state)
        if account.isdigit():
            rows = rows.filter(account_id=int(account))
        q = (q or "").strip()
        if q:
            digits = "".join(ch for ch in q if ch.isdigit())
            match = Q(request_id__iexact=q)
            if digits:
                match |= Q(destination_number__contains=digits) | Q(agent_number__contains=digits)
            rows = rows.filter(match)
        return rows


class Callback(models.Model):
    """A callback scheduled at a CPaaS account: at `scheduled_at` the vendor rings
    `agent_number`, then `destination_number`, and bridges them."""

    class State(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        DUE = "due", "Due: waiting for the vendor's call record"
        DONE = "done", "Called"
        CANCELLED = "cancelled", "Cancelled"
        GONE = "gone", "Gone at the vendor"
        UNCONFIRMED = "unconfirmed", "Not confirmed by the vendor"

    OPEN_STATES = (State.SCHEDULED, State.DUE)
    STATE_TONES = {
        "scheduled": "primary",
        "due": "info",
        "done": "success",
        "cancelled": "secondary",
        "gone": "warning",
        "unconfirmed": "warning",
    }

    account = models.ForeignKey(ProviderAccount, on_delete=models.CASCADE, related_name="callbacks")
    request_id = models.CharField(max_length=64, blank=True, db_index=True)
    agent_number = models.CharField(max_length=32)  # E.164
    destination_number = models.CharField(max_length=32)  # E.164
    caller_id = models.CharField(max_length=32)  # digits, as the vendor has them
    recording = models.BooleanField(default=False)
    time_zone = models.CharField(max_length=64, default="UTC")
    scheduled_at = models.DateTimeField(db_index=True)  # UTC
    state = models.CharField(max_length=20, choices=State.choices, default=State.SCHEDULED)
    outcome = models.CharField(max_length=20, blank=True)  # CallStatus of the vendor's CDR
    vendor_message = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    synced_at = models.DateTimeField(null=True, blank=True)

    objects = CallbackQuerySet.as_manager()

    class Meta:
        ordering = ["-scheduled_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "request_id"],
                condition=~Q(request_id=""),
                name="unique_callback_request_per_account",
            )
        ]
        indexes = [models.Index(fields=["state", "scheduled_at"])]

    def __str__(self):
        return f"callback to {self.destination_number} at {self.scheduled_at:%Y-%m-%d %H:%M} UTC"

    @property
    def is_open(self) -> bool:
        return self.state in self.OPEN_STATES

    @property
    def can_change(self) -> bool:
        """Reschedule and cancel make sense only before the vendor dials."""
        return self.state == self.State.SCHEDULED and self.scheduled_at > timezone.now()

    @property
    def outcome_label(self) -> str:
        return self.outcome.replace("_", " ").capitalize()

    @property
    def tone(self) -> str:
        return self.STATE_TONES.get(self.state, "secondary")

    @property
    def is_late(self) -> bool:
        return self.state == self.State.DUE and timezone.now() - self.scheduled_at > LATE_AFTER

    def local_moment(self):
        """The moment in the callback's own zone (what the vendor was sent)."""
        return self.scheduled_at.astimezone(ZoneInfo(self.time_zone))

    def vendor_scheduled_at(self) -> str:
        """scheduled_at as the vendor wants it: wall-clock in `time_zone`."""
        return self.local_moment().strftime(VENDOR_DATETIME)

    # --- what the vendor told us -----------------------------------------------------

    def mark(self, state: str, message: str = "", **fields):
        self.state = state
        self.vendor_message = (message or "")[:500]
        self.synced_at = timezone.now()
        for name, value in fields.items():
            setattr(self, name, value)
        self.save()

    def follow_cdrs(self, cdrs) -> bool:
        """Take the outcome from the vendor's CDRs for our request_id; True if final."""
        final = [cdr for cdr in cdrs if cdr.status.is_final]
        if final:
            last = max(final, key=lambda cdr: cdr.ended_at or cdr.started_at or timezone.now())
            self.mark(self.State.DONE, outcome=str(last.status))
            return True
        if self.state == self.State.SCHEDULED and self.scheduled_at <= timezone.now():
            self.mark(self.State.DUE)
        else:
            self.synced_at = timezone.now()
            self.save(update_fields=["synced_at", "updated_at"])
        return False

    # --- vendor operations (logic on the model; views only call these) -------------

    @classmethod
    def schedule(cls, *, account, created_by=None, **fields) -> "Callback":
        """Create the callback at the vendor, then keep it. Refused before sending if the
        moment is past. A lost answer is never re-sent (the vendor may have scheduled
        it, and a second POST would ring the customer twice): the row stays
        "unconfirmed" with the reason."""
        from telephony.vendors.base import InvalidRequest, Unavailable

        callback = cls(account=account, created_by=created_by, **fields)
        if callback.scheduled_at <= timezone.now():
            raise InvalidRequest({"scheduled_at": "The moment is in the past."})
        client = account.client()
        try:
            placed = client.create_callback(
                agent_number=callback.agent_number,
                destination_number=callback.destination_number,
                caller_id=callback.caller_id,
                recording_option="on" if callback.recording else "off",
                time_zone=callback.time_zone,
                scheduled_at=callback.vendor_scheduled_at(),
            )
        except Unavailable as exc:
            callback.state = cls.State.UNCONFIRMED
            callback.vendor_message = (
                f"The vendor's answer was lost ({exc.message}); it may have scheduled the "
                "callback. Its API cannot list callbacks, so Dialdesk does not send it again."
            )[:500]
            callback.save()
            return callback
        finally:
            client.http.session.close()
        callback.request_id = placed.vendor_call_id
        callback.state = cls.State.SCHEDULED
        callback.synced_at = timezone.now()
        callback.save()
        return callback

    def _vendor(self, operation):
        """Run `operation(client)`; "already processed" and "not found" move the state."""
        from telephony.vendors.base import InvalidRequest, Rejected

        if not self.request_id:
            raise InvalidRequest("The vendor never confirmed this callback: nothing to change.")
        client = self.account.client()
        try:
            return operation(client)
        except Rejected as exc:
            text = (exc.message or "").lower()
            if "already processed" in text:
                self.mark(self.State.DUE, exc.message)
            elif "not found" in text:
                self.mark(self.State.GONE, exc.message)
            raise
        finally:
            client.http.session.close()

    def reschedule(self, scheduled_at) -> str:
        """Move the callback to `scheduled_at` (aware). The document's PATCH has no
        time_zone field: the new moment is written in the callback's own zone, which
        the vendor still holds from the create."""
        from telephony.vendors.base import InvalidRequest

        if scheduled_at <= timezone.now():
            raise InvalidRequest({"scheduled_at": "The moment is in the past."})
        if not self.can_change:
            raise InvalidRequest("Only a callback still ahead can be moved.")
        local = scheduled_at.astimezone(ZoneInfo(self.time_zone)).strftime(VENDOR_DATETIME)
        message = self._vendor(
            lambda client: client.update_callback(request_id=self.request_id, scheduled_at=local)
        )
        self.scheduled_at = scheduled_at.replace(microsecond=0)
        self.mark(self.State.SCHEDULED, message)
        return message

    def cancel(self) -> str:
        from telephony.vendors.base import InvalidRequest

        if not self.can_change:
            raise InvalidRequest("Only a callback still ahead can be cancelled.")
        message = self._vendor(lambda client: client.delete_callback(request_id=self.request_id))
        self.mark(self.State.CANCELLED, message)
        return message

    @classmethod
    def sync_account(cls, account, now=None) -> dict:
        """Follow the account's due callbacks: each one's call record at the vendor.
        Safe to run twice (a done callback is not asked again)."""
        now = now or timezone.now()
        counts = {"asked": 0, "done": 0}
        rows = list(cls.objects.due(now).filter(account=account).exclude(request_id=""))
        if not rows:
            return counts
        client = account.client()
        try:
            for callback in rows:
                counts["asked"] += 1
                cdrs = client.get_cdr_by_request_id(request_id=callback.request_id)
                counts["done"] += callback.follow_cdrs(cdrs)
        finally:
            client.http.session.close()
        return counts

    @classmethod
    def sync_due(cls, account_id: int | None = None) -> str:
        """The sync job's body: every active CPaaS account with due callbacks (or the one
        given), one SyncRun row each ("callbacks"), a vendor error kept in its words."""
        from telephony.vendors.base import VendorError

        from .cdr import SyncRun

        accounts = ProviderAccount.objects.active().filter(
            kind="cpaas", pk__in=cls.objects.due().values("account_id")
        )
        if account_id is not None:
            accounts = accounts.filter(pk=account_id)
        summary = []
        for account in accounts:
            run = SyncRun.objects.create(account=account, kind="callbacks")
            try:
                counts = cls.sync_account(account)
            except VendorError as exc:
                run.finish(ok=False, errors=exc.message or str(exc))
                summary.append(f"{account.name}: {exc.message or exc}")
                continue
            run.pages, run.updated = counts["asked"], counts["done"]
            run.finish(ok=True)
            summary.append(f"{account.name}: {counts['done']} of {counts['asked']} called")
        return "; ".join(summary) or "no callback due"
