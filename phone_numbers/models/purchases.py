"""Omilia number purchases, one row per purchase the admin confirmed.

Buying is not idempotent at Omilia (seed 003: `PUT /api/numbers` has no idempotency
key) and it costs money, so a purchase is a row with a unique token and a state that
moves once, by conditional UPDATE:

    pending --(claim)--> sent --> done     (the vendor answered: per-number results)
                              \\-> failed   (the vendor refused before buying anything)
                              \\-> unknown  (the answer was lost: it may have bought)
    unknown --(re-read the account's numbers)--> done
    sent, for longer than any answer can take (the process died mid-request) --> the same

Only the request that moves pending -> sent talks to the vendor; a double submit, a
reload or a second tab finds the row already sent and does nothing. An unknown purchase
is never re-sent: the account's numbers are read first, and only the numbers not there
can be bought again, as a new purchase with a new token.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

MAX_NUMBERS_PER_PURCHASE = 20
# Past this, a purchase still "sent" has no request waiting for its answer (the HTTP seam
# stops reading after three read timeouts): its outcome is unknown.
STALE_SENT_SECONDS = 300


class PurchaseState(models.TextChoices):
    PENDING = "pending", "Waiting for confirmation"
    SENT = "sent", "Sent to Omilia"
    DONE = "done", "Done"
    FAILED = "failed", "Refused by Omilia"
    UNKNOWN = "unknown", "Answer lost"


class OmiliaPurchaseQuerySet(models.QuerySet):
    def claim(self, pk) -> bool:
        """Move a pending purchase to sent; True for the one caller that did it."""
        return bool(
            self.filter(pk=pk, state=PurchaseState.PENDING).update(
                state=PurchaseState.SENT, sent_at=timezone.now(), updated_at=timezone.now()
            )
        )


class OmiliaPurchase(models.Model):
    account = models.ForeignKey(
        "telephony.ProviderAccount", on_delete=models.CASCADE, related_name="omilia_purchases"
    )
    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    provider = models.CharField(max_length=80)
    group = models.CharField(max_length=80)
    note = models.CharField(max_length=500, blank=True)
    # E.164 strings, as chosen (at most MAX_NUMBERS_PER_PURCHASE).
    numbers = models.JSONField(default=list)
    state = models.CharField(
        max_length=10, choices=PurchaseState.choices, default=PurchaseState.PENDING
    )
    # [{"number", "id"}] the vendor bought; [number] it refused; [number] found in the
    # account when an unknown purchase was checked, and [number] not found.
    purchased = models.JSONField(default=list, blank=True)
    failed = models.JSONField(default=list, blank=True)
    not_bought = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    checked_at = models.DateTimeField(null=True, blank=True)

    objects = OmiliaPurchaseQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state__in=PurchaseState.values),
                name="omiliapurchase_state_known",
            )
        ]

    def __str__(self):
        return f"Purchase of {len(self.numbers)} number(s) for {self.group}"

    @property
    def needs_check(self) -> bool:
        """Unknown, or sent so long ago that nobody is waiting for the answer."""
        if self.state == PurchaseState.UNKNOWN:
            return True
        return (
            self.state == PurchaseState.SENT
            and self.sent_at is not None
            and (timezone.now() - self.sent_at).total_seconds() > STALE_SENT_SECONDS
        )

    @property
    def purchased_numbers(self) -> list[str]:
        return [item.get("number", "") for item in self.purchased]

    def outcome_rows(self) -> list[dict]:
        """One row per chosen number: bought (with the vendor's id), refused, not
        bought, or unknown."""
        ids = {item.get("number"): item.get("id", "") for item in self.purchased}
        rows = []
        for number in self.numbers:
            if number in ids:
                rows.append({"number": number, "outcome": "bought", "id": ids[number]})
            elif number in self.failed:
                rows.append({"number": number, "outcome": "failed", "id": ""})
            elif number in self.not_bought:
                rows.append({"number": number, "outcome": "not_bought", "id": ""})
            else:
                rows.append({"number": number, "outcome": self.state, "id": ""})
        return rows

    def finish(self, *, purchased, failed):
        self.state = PurchaseState.DONE
        self.purchased, self.failed = list(purchased), list(failed)
        self.save(update_fields=["state", "purchased", "failed", "updated_at"])

    def refuse(self, message: str):
        self.state = PurchaseState.FAILED
        self.error = message[:2000]
        self.save(update_fields=["state", "error", "updated_at"])

    def lose(self, message: str):
        self.state = PurchaseState.UNKNOWN
        self.error = message[:2000]
        self.save(update_fields=["state", "error", "updated_at"])

    def settle_unknown(self, owned: set[str]) -> bool:
        """Record what a re-read of the account found; False if another request already
        did (or the purchase's answer arrived meanwhile)."""
        found = [{"number": n, "id": ""} for n in self.numbers if n in owned]
        missing = [n for n in self.numbers if n not in owned]
        if not self.needs_check:
            return False
        updated = OmiliaPurchase.objects.filter(pk=self.pk, state=self.state).update(
            state=PurchaseState.DONE,
            purchased=found,
            not_bought=missing,
            checked_at=timezone.now(),
            updated_at=timezone.now(),
        )
        self.refresh_from_db()
        return bool(updated)
