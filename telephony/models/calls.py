"""One-off calls placed from the dashboard, and the vendor-side users who take them.

A Call's reference id is derived from the person and the one-time token of the form
that placed it (`Call.reference_for`), and is unique: a double click, a resubmitted form
or a retry after a lost answer finds the row that already exists instead of dialling
again. The OTP of an OTP call is never stored (see `Call.safe_params`)."""

import hashlib

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from .accounts import ProviderAccount

# MyOperator panel roles (seed 001, "Note": 1 SuperAdmin, 2 Admin, 4 Manager, 8 Basic).
VENDOR_ROLES = {1: "SuperAdmin", 2: "Admin", 4: "Manager", 8: "Basic"}


class VendorUserQuerySet(models.QuerySet):
    def search(self, q: str):
        q = (q or "").strip()
        if not q:
            return self
        digits = "".join(ch for ch in q if ch.isdigit())
        match = Q(name__icontains=q) | Q(email__icontains=q) | Q(vendor_id__icontains=q)
        if digits:
            match |= Q(phone__contains=digits)
        if q.isdigit():
            match |= Q(extension=int(q))
        return self.filter(match)

    def usable(self):
        """Users who can take a call: enabled at the vendor."""
        return self.filter(is_enabled=True)


class VendorUser(models.Model):
    """A MyOperator panel user as last read from `GET /user` (or written by us).

    `vendor_id` is the user's `uuid`: what OBD's `user_id`, `/clickOcall`'s
    `support_user_id` and `PUT /user` take."""

    account = models.ForeignKey(
        ProviderAccount, on_delete=models.CASCADE, related_name="vendor_users"
    )
    vendor_id = models.CharField("vendor user id", max_length=64)
    vendor_number_id = models.CharField(max_length=32, blank=True)  # the numeric user_id
    name = models.CharField(max_length=200, blank=True)
    email = models.CharField(max_length=254, blank=True)
    phone = models.CharField("phone (E.164)", max_length=32, blank=True)
    extension = models.PositiveIntegerField(null=True, blank=True)
    role = models.PositiveSmallIntegerField(
        null=True, blank=True, choices=sorted(VENDOR_ROLES.items())
    )
    is_enabled = models.BooleanField(default=True)
    raw = models.JSONField(default=dict, blank=True)
    last_synced_at = models.DateTimeField(null=True, blank=True)

    objects = VendorUserQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "vendor_id"], name="unique_vendor_user_per_account"
            )
        ]

    def __str__(self):
        return f"{self.name or self.vendor_id} ({self.role_name or 'no role'})"

    @property
    def role_name(self) -> str:
        return VENDOR_ROLES.get(self.role, "")

    @classmethod
    def store(cls, account, user, *, at=None) -> "VendorUser":
        """Insert or update from a client `MyOperatorUser`; safe to repeat."""
        from telephony.phone import InvalidNumber, normalize

        phone = ""
        if user.contact_number:
            try:
                phone = normalize(
                    f"+{user.country_code}{user.contact_number}"
                    if user.country_code
                    else user.contact_number
                )
            except InvalidNumber:
                phone = ""
        row, _ = cls.objects.update_or_create(
            account=account,
            vendor_id=user.uuid,
            defaults={
                "vendor_number_id": user.user_id[:32],
                "name": user.name[:200],
                "email": user.email[:254],
                "phone": phone,
                "extension": user.extension if (user.extension or 0) > 0 else None,
                "role": user.role_id if user.role_id in VENDOR_ROLES else None,
                "is_enabled": user.is_enabled,
                "raw": user.raw,
                "last_synced_at": at or timezone.now(),
            },
        )
        return row

    @classmethod
    def sync(cls, account):
        """Read every panel user of `account` (`GET /user`, page by page) and mirror them;
        a user no longer listed is removed once the whole list was read. Safe to run
        twice. Returns the SyncRun row it recorded."""
        from telephony.vendors.base import InvalidRequest, VendorError

        from .cdr import SyncRun

        run = SyncRun.objects.create(account=account, kind="users")
        at = timezone.now()
        before = set(cls.objects.filter(account=account).values_list("vendor_id", flat=True))
        seen: set[str] = set()
        client = account.client()
        try:
            page = 1
            while page:
                result = client.list_users(page=page, page_size=100)
                run.pages += 1
                for user in result.items:
                    if user.uuid and user.uuid not in seen:
                        seen.add(user.uuid)
                        cls.store(account, user, at=at)
                page = result.next_cursor
        except (VendorError, InvalidRequest) as exc:
            run.created = len(seen - before)
            run.updated = len(seen & before)
            return run.finish(ok=False, errors=getattr(exc, "message", "") or str(exc))
        finally:
            client.http.session.close()
        gone = cls.objects.filter(account=account).exclude(vendor_id__in=seen)
        gone.delete()
        run.created = len(seen - before)
        run.updated = len(seen & before)
        return run.finish(ok=True)


class CallQuerySet(models.QuerySet):
    def open(self):
        return self.filter(is_final=False)

    def filtered(self, *, account="", kind="", status="", number="", day=None):
        """The Calls page's filters, named after its query string."""
        calls = self
        if account:
            calls = calls.filter(account_id=account)
        if kind:
            calls = calls.filter(kind=kind)
        if status == "open":
            calls = calls.filter(is_final=False)
        elif status:
            calls = calls.filter(status=status)
        if number:
            digits = "".join(ch for ch in number if ch.isdigit())
            if digits:
                calls = calls.filter(to_number__contains=digits)
        if day is not None:
            calls = calls.filter(created_at__gte=day[0], created_at__lt=day[1])
        return calls


class Call(models.Model):
    """A call placed from the dashboard (the Call dialog or the OTP form)."""

    class Kind(models.TextChoices):
        CLICK_TO_CALL = "click_to_call", "MyOperator click-to-call"
        P2P = "p2p", "MyOperator peer-to-peer"
        IVR = "ivr", "MyOperator IVR"
        CLICK2CALL = "click2call", "CPaaS click2call"
        OTP = "otp", "CPaaS OTP announcement"
        OCA_IVR = "oca_ivr", "OCA IVR call"

    class Status(models.TextChoices):
        SENDING = "sending", "Sending"
        ACCEPTED = "accepted", "Accepted by the vendor"
        RINGING = "ringing", "Ringing"
        IN_PROGRESS = "in_progress", "In progress"
        ANSWERED = "answered", "Answered"
        BUSY = "busy", "Busy"
        NO_ANSWER = "no_answer", "No answer"
        CANCELLED = "cancelled", "Cancelled"
        FAILED = "failed", "Failed"
        CONGESTION = "congestion", "Congestion"
        UNAVAILABLE = "unavailable", "Unavailable"
        DND_BLOCKED = "dnd_blocked", "Blocked (DND)"
        VOICEMAIL = "voicemail", "Voicemail"
        REJECTED = "rejected", "Refused by the vendor"
        UNKNOWN = "unknown", "Answer lost"

    OPEN_STATUSES = {"sending", "accepted", "ringing", "in_progress"}

    account = models.ForeignKey(ProviderAccount, on_delete=models.PROTECT, related_name="calls")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    to_number = models.CharField(max_length=32)
    from_number = models.CharField(max_length=32, blank=True)
    reference_id = models.CharField(max_length=64, unique=True)
    vendor_call_id = models.CharField(max_length=100, blank=True, db_index=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.SENDING)
    is_final = models.BooleanField(default=False, db_index=True)
    vendor_status = models.CharField(max_length=50, blank=True)
    error = models.CharField(max_length=500, blank=True)
    note = models.CharField(max_length=500, blank=True)
    # What was asked of the vendor, for the page; never an OTP (safe_params).
    params = models.JSONField(default=dict, blank=True)
    vendor_user = models.ForeignKey(
        VendorUser, null=True, blank=True, on_delete=models.SET_NULL, related_name="calls"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    duration_seconds = models.PositiveIntegerField(null=True, blank=True)
    checked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CallQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["account", "-created_at"], name="call_account_created"),
            models.Index(fields=["kind", "-created_at"], name="call_kind_created"),
        ]

    def __str__(self):
        return f"{self.kind} call to {self.to_number} ({self.status})"

    # Keys an OTP could hide under; dropped from params whatever the caller passes.
    SECRET_PARAM_KEYS = {"otp", "password", "pin", "code"}

    @classmethod
    def safe_params(cls, params: dict) -> dict:
        return {k: v for k, v in (params or {}).items() if k.lower() not in cls.SECRET_PARAM_KEYS}

    @staticmethod
    def reference_for(user_id, form_token: str) -> str:
        """The call's reference id: the same person and form token give the same id, so a
        resubmitted form is recognized; anything else gives a different one."""
        digest = hashlib.sha256(f"dialdesk-call:{user_id}:{form_token}".encode()).hexdigest()
        return f"dd-{digest[:29]}"

    @property
    def tone(self) -> str:
        return {
            "answered": "success",
            "rejected": "danger",
            "failed": "danger",
            "unknown": "warning",
            "busy": "warning",
            "no_answer": "warning",
        }.get(self.status, "secondary" if self.is_final else "info")

    @property
    def record(self):
        """The CDR the sync stored for this call, if any (by link, reference or id)."""
        from .cdr import CallRecord

        match = Q(call=self) | Q(account_id=self.account_id, reference_id=self.reference_id)
        if self.vendor_call_id:
            match |= Q(account_id=self.account_id, vendor_call_id=self.vendor_call_id)
        return CallRecord.objects.filter(match).order_by("id").first()

    def finish(self, status: str, **fields):
        """Move to a final status (once: a final call never changes again)."""
        fields.update(status=status, is_final=True, checked_at=timezone.now())
        updated = Call.objects.filter(pk=self.pk, is_final=False).update(**fields)
        self.refresh_from_db()
        return bool(updated)

    def advance(self, status: str, **fields):
        """An intermediate status (accepted, ringing, in progress); a final call stays."""
        fields.update(status=status, checked_at=timezone.now())
        Call.objects.filter(pk=self.pk, is_final=False).update(**fields)
        self.refresh_from_db()
