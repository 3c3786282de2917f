from django.db import models
from django.utils import timezone

from .accounts import VendorKind

# --- sandbox state (the vendor simulators keep theirs in the database) -----------------


class SandboxConfig(models.Model):
    """Fault injection and pacing for one vendor's simulator, set from an Admin page."""

    vendor = models.CharField(max_length=20, choices=VendorKind.choices, unique=True)
    latency_ms = models.PositiveIntegerField(default=0)
    error_rate = models.FloatField(default=0.0, help_text="Share of requests answered 5xx")
    timeout_rate = models.FloatField(default=0.0, help_text="Share of requests that hang")
    malformed_rate = models.FloatField(default=0.0, help_text="Share answered with broken JSON")
    rate_limit_per_minute = models.PositiveIntegerField(
        default=0, help_text="Requests per minute per credential; 0 = unlimited"
    )
    timeout_seconds = models.FloatField(default=30.0, help_text="How long a 'timeout' hangs")
    seed = models.IntegerField(default=0, help_text="Changes every simulated call outcome")
    time_scale = models.FloatField(
        default=1.0, help_text="Simulated seconds per real second (60 = a minute per second)"
    )
    account_faults = models.JSONField(
        default=list,
        blank=True,
        help_text="Account-wide vendor errors switched on (keys of the vendor sandbox's "
        "ACCOUNT_FAULTS): every matching request gets the vendor's documented answer",
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"{self.vendor} sandbox"

    def has_fault(self, key: str) -> bool:
        return key in (self.account_faults or [])

    @classmethod
    def for_vendor(cls, vendor: str) -> "SandboxConfig":
        config, _ = cls.objects.get_or_create(vendor=vendor)
        return config


class SandboxCall(models.Model):
    """A call a simulator accepted; its lifecycle is computed from its creation time."""

    vendor = models.CharField(max_length=20)
    call_id = models.CharField(max_length=64)
    reference_id = models.CharField(max_length=64, blank=True, db_index=True)
    tenant = models.CharField(max_length=100, blank=True, help_text="Company/account it belongs to")
    kind = models.CharField(max_length=30)
    from_number = models.CharField(max_length=32, blank=True)
    to_number = models.CharField(max_length=32)
    params = models.JSONField(default=dict, blank=True)
    seed = models.IntegerField(default=0)
    time_scale = models.FloatField(default=1.0)
    outcome = models.CharField(max_length=20)
    ring_seconds = models.PositiveIntegerField()
    talk_seconds = models.PositiveIntegerField()
    campaign_id = models.CharField(max_length=64, blank=True, db_index=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["vendor", "call_id"], name="unique_sandbox_call")
        ]

    def __str__(self):
        return f"{self.vendor} {self.call_id} -> {self.to_number}"

    def state(self, now=None):
        from telephony.vendors.sandbox_kit import call_state

        return call_state(self, now or timezone.now())


class SandboxRecord(models.Model):
    """Any other object a simulator keeps (lists, contacts, users, numbers, audio, …)."""

    vendor = models.CharField(max_length=20)
    kind = models.CharField(max_length=40)
    key = models.CharField(max_length=100)
    tenant = models.CharField(max_length=100, blank=True)
    parent = models.CharField(max_length=100, blank=True, db_index=True)
    data = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["vendor", "kind", "tenant", "key"], name="unique_sandbox_record"
            )
        ]
        indexes = [models.Index(fields=["vendor", "kind", "tenant", "parent"])]

    def __str__(self):
        return f"{self.vendor}/{self.kind}/{self.key}"
