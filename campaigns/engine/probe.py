"""A MyOperator campaign's first dial is a probe.

MyOperator has no list of IVRs, so an IVR id typed by an admin is only tested by placing
a call. Until the vendor has accepted one call of the campaign, the dialer lets one call
out at a time and holds the others until its answer is in: a refused IVR ("Provide valid
public_ivr_id") pauses the campaign and the held calls are never sent, whatever the
thread pool. After a Resume nothing has been accepted yet, so the first call with the
corrected IVR is a probe again."""

import threading

from telephony.vendors.base import Fault, VendorError

# Attempt statuses that say nothing of whether the vendor takes this campaign's calls.
NOT_ACCEPTED = ("queued", "dialing", "rejected")


def vendor_accepted(campaign) -> bool:
    """True once the vendor has taken a call of the campaign (placed, or an outcome)."""
    return campaign.attempts.exclude(status__in=NOT_ACCEPTED).exists()


class Probe:
    """One call at a time until one is accepted; after a refusal about the account or
    the campaign, no call at all (each held call raises the refusal, unsent)."""

    def __init__(self, campaign):
        self.accepted = vendor_accepted(campaign)
        self.refusal: VendorError | None = None
        self._lock = threading.Lock()

    def send(self, call, not_sent):
        """`call()` places the call; `not_sent(error)` makes the exception the engine
        reads as "certainly not placed"."""
        if self.accepted:
            return call()
        with self._lock:
            if self.refusal is not None:
                raise not_sent(self.refusal)
            if not self.accepted:
                try:
                    placed = call()
                except VendorError as exc:
                    if exc.fault == Fault.ACCOUNT:
                        self.refusal = exc
                    raise
                self.accepted = True
                return placed
        return call()
