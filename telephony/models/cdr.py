from django.db import models

from .accounts import ProviderAccount
from .calls import Call


class CallRecord(models.Model):
    """The one normalized CDR for every vendor (DESIGN.md, "CDRs")."""

    account = models.ForeignKey(ProviderAccount, on_delete=models.CASCADE, related_name="cdrs")
    vendor_call_id = models.CharField(max_length=100)
    direction = models.CharField(
        max_length=10, choices=[("outbound", "Outbound"), ("inbound", "Inbound")]
    )
    status = models.CharField(max_length=20, db_index=True)
    vendor_status = models.CharField(max_length=50, blank=True)
    caller_id = models.CharField(max_length=32, blank=True)
    customer_number = models.CharField(max_length=32, blank=True, db_index=True)
    agent = models.CharField(max_length=100, blank=True)
    started_at = models.DateTimeField(null=True, blank=True, db_index=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    duration_seconds = models.PositiveIntegerField(default=0)
    billable_seconds = models.PositiveIntegerField(default=0)
    recording_ref = models.CharField(max_length=300, blank=True)
    reference_id = models.CharField(max_length=64, blank=True, db_index=True)
    vendor_campaign_id = models.CharField(max_length=64, blank=True)
    call = models.ForeignKey(
        Call, null=True, blank=True, on_delete=models.SET_NULL, related_name="records"
    )
    dtmf = models.CharField(max_length=100, blank=True)
    raw = models.JSONField(default=dict)
    synced_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "vendor_call_id"], name="unique_cdr_per_account"
            )
        ]

    def __str__(self):
        return f"{self.vendor_call_id} {self.status}"

    @classmethod
    def upsert(cls, account, cdr) -> "CallRecord":
        """Insert or update from a NormalizedCDR; safe to repeat."""
        fields = {
            name: getattr(cdr, name)
            for name in (
                "direction",
                "vendor_status",
                "caller_id",
                "customer_number",
                "agent",
                "started_at",
                "answered_at",
                "ended_at",
                "duration_seconds",
                "billable_seconds",
                "recording_ref",
                "reference_id",
                "vendor_campaign_id",
                "dtmf",
                "raw",
            )
        }
        fields["status"] = str(cdr.status)
        if cdr.reference_id:
            fields["call"] = Call.objects.filter(reference_id=cdr.reference_id).first()
        record, _ = cls.objects.update_or_create(
            account=account, vendor_call_id=cdr.vendor_call_id, defaults=fields
        )
        return record
