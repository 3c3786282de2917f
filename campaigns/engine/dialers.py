"""How the engine talks to each vendor: place one call, and read outcomes back.

MyOperator OBD keys every call on our reference id (it refuses one it saw in the last two
days), so a request whose answer was lost is simply sent again with the same id. OCA has
no idempotency key and no call list: a lost answer can never be resolved, so the attempt
is marked unknown and the contact is not dialled again."""

import logging
import queue
import threading
import time
from datetime import timedelta

from django.db import connection
from django.utils import timezone

from telephony.vendors.base import (
    Fault,
    InvalidRequest,
    MalformedResponse,
    Unavailable,
    VendorError,
)

from .probe import Probe
from .rotation import wire_caller_id

logger = logging.getLogger("campaigns.engine")

# Fields of our own validation that are about the campaign or account, not the contact:
# every dial would fail the same way, so the campaign fails with the reason.
CAMPAIGN_FIELDS = {
    "company_id",
    "secret_token",
    "x_api_key",
    "public_ivr_id",
    "from_number",
    "ivr_id",
    "call_type",
    "user_id",
    "__all__",
}


def lost_answer(error: Exception) -> bool:
    """True when the request may have reached the vendor but we never read its answer:
    a timeout, a dropped connection, or an answer we cannot read."""
    if isinstance(error, MalformedResponse):
        return True
    return isinstance(error, Unavailable) and not error.status_code


class NotSent(Exception):
    """A request made before the call's own (e.g. reading the IVR list) failed: the call
    was certainly not placed, whatever `error` says about timeouts."""

    def __init__(self, error: Exception):
        super().__init__(str(error))
        self.error = error


def campaign_problem(error: InvalidRequest) -> bool:
    return any(name in CAMPAIGN_FIELDS for name in error.errors)


class Dialer:
    """One campaign's vendor: a client per thread (a client holds an HTTP session)."""

    resends_lost_requests = False  # MyOperator: True; OCA: False
    per_call_outcomes = False  # OCA asks per call; MyOperator walks the logs once

    def __init__(self, campaign):
        self.campaign = campaign
        self.account = campaign.account
        self._local = threading.local()
        self._clients = []
        self._lock = threading.Lock()

    @property
    def client(self):
        client = getattr(self._local, "client", None)
        if client is None:
            client = self.account.client()
            self._local.client = client
            with self._lock:
                self._clients.append(client)
        return client

    def close(self):
        with self._lock:
            for client in self._clients:
                client.http.session.close()
            self._clients.clear()

    def dial(self, target, reference_id: str, caller_id: str = ""):
        """Place the call from `caller_id` (the attempt's: a rotated inventory number, or
        the campaign's); returns a PlacedCall or raises a VendorError/InvalidRequest."""
        raise NotImplementedError

    def outcomes(self, attempts):
        """Yield (attempt, NormalizedCDR) for the attempts whose call has ended."""
        raise NotImplementedError


class MyOperatorDialer(Dialer):
    resends_lost_requests = True

    def __init__(self, campaign):
        super().__init__(campaign)
        # The first call is a probe of the IVR id (probe.py): the vendor has no IVR list.
        self.probe = Probe(campaign)

    def dial(self, target, reference_id, caller_id=""):
        campaign = self.campaign
        caller = wire_caller_id("myoperator", caller_id or campaign.caller_id)

        def call():
            return self.client.call_ivr(
                number=target.number,
                public_ivr_id=campaign.ivr_id,
                reference_id=reference_id,
                caller_id=caller or None,
                group=campaign.caller_group or None,
                region=campaign.caller_region or None,
            )

        return self.probe.send(call, NotSent)

    def outcomes(self, attempts):
        """One walk of the call logs over the span of the open attempts, matched by the
        reference id we sent (the log's `_cri`)."""
        by_reference = {attempt.reference_id: attempt for attempt in attempts}
        if not by_reference:
            return
        # From each attempt's creation, not its last send: a call resent after a crash
        # (same reference id) may have been placed by the first send, minutes earlier.
        earliest = min(attempt.created_at for attempt in attempts)
        date_from = earliest - timedelta(minutes=2)
        for cdr in self.client.iter_cdrs(date_from=date_from, date_to=timezone.now()):
            attempt = by_reference.pop(cdr.reference_id, None) if cdr.reference_id else None
            if attempt is not None:
                # The log's `_ri` is the OBD unique_id: the id a resent call never got.
                attempt.found_call_id = str(cdr.raw.get("_ri") or "")
                yield attempt, cdr


class OcaDialer(Dialer):
    resends_lost_requests = False
    per_call_outcomes = True

    def dial(self, target, reference_id, caller_id=""):
        campaign = self.campaign
        try:
            self.client.ivr(campaign.ivr_id)  # read once per client; make_call checks it
        except VendorError as exc:
            raise NotSent(exc) from exc
        return self.client.make_call(
            from_number=wire_caller_id("oca", caller_id or campaign.caller_id),
            to_number=target.number,
            ivr_id=campaign.ivr_id,
            variables=campaign.ivr_values_for(target.values()),
        )

    def outcomes(self, attempts):
        for attempt in attempts:
            if not attempt.vendor_call_id:
                continue
            try:
                cdr = self.client.call_status(call_id=attempt.vendor_call_id)
            except VendorError as exc:
                if exc.fault == Fault.ACCOUNT:
                    raise  # every read would fail the same way: the campaign pauses
                continue  # read again at the next poll
            except InvalidRequest:
                continue
            yield attempt, cdr


DIALERS = {"myoperator": MyOperatorDialer, "oca": OcaDialer}


def dialer_for(campaign) -> Dialer:
    try:
        return DIALERS[campaign.vendor](campaign)
    except KeyError:
        raise ValueError(f"Dialdesk's engine cannot dial through {campaign.vendor}.") from None


# --- a small pool of dialing threads ---------------------------------------------------------


class DialPool:
    """`size` threads taking jobs from a queue; each closes its own database connection
    when the pool shuts down."""

    def __init__(self, size: int):
        self.size = size
        self.jobs = queue.Queue()
        self.lock = threading.Lock()
        self.busy = 0
        self.threads = [
            threading.Thread(target=self._work, name=f"dialer-{n}", daemon=True)
            for n in range(size)
        ]
        for thread in self.threads:
            thread.start()

    def submit(self, fn, *args):
        with self.lock:
            self.busy += 1
        self.jobs.put((fn, args))

    @property
    def in_flight(self) -> int:
        with self.lock:
            return self.busy

    def _work(self):
        try:
            while True:
                job = self.jobs.get()
                if job is None:
                    return
                fn, args = job
                try:
                    fn(*args)
                except Exception:
                    logger.exception("A dial job failed")
                finally:
                    with self.lock:
                        self.busy -= 1
        finally:
            connection.close()

    def drain(self, timeout: float | None = None):
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.in_flight:
            if deadline is not None and time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True

    def shutdown(self, *, wait: bool = True):
        """Stop the threads once the queued jobs are done; `wait` for them."""
        if wait:
            self.drain()
        for _ in self.threads:
            self.jobs.put(None)
        if wait:
            for thread in self.threads:
                thread.join()
