from django.conf import settings
from django.db import models

from .accounts import ProviderAccount


class Call(models.Model):
    """A call placed from the dashboard (single call, click-to-call, OTP, campaign attempt)."""

    account = models.ForeignKey(ProviderAccount, on_delete=models.PROTECT, related_name="calls")
    kind = models.CharField(max_length=20)  # p2p, ivr, click2call, otp, announcement
    to_number = models.CharField(max_length=32)
    from_number = models.CharField(max_length=32, blank=True)
    reference_id = models.CharField(max_length=64, unique=True)
    vendor_call_id = models.CharField(max_length=100, blank=True, db_index=True)
    status = models.CharField(max_length=20, default="in_progress")
    error = models.CharField(max_length=500, blank=True)
    params = models.JSONField(default=dict, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.kind} call to {self.to_number} ({self.status})"
