"""Helpers shared by the CPaaS test modules (fixtures stay in each module)."""

import time
from datetime import timedelta

from django.utils import timezone

from telephony.models import SandboxCall
from telephony.vendors.cpaas.sandbox import SANDBOX_CREDENTIALS, demo_account
from telephony.vendors.sandbox_kit import QUEUE_SECONDS, outcome_for


def account_kwargs(sandbox_url: str, tenant: str = "account_1", **overrides) -> dict:
    kwargs = demo_account(sandbox_url)
    kwargs.pop("kind")
    kwargs.pop("name")
    kwargs["config"] = {"account": tenant}
    kwargs["secrets"] = {"auth": SANDBOX_CREDENTIALS[tenant]}
    kwargs.update(overrides)
    return kwargs


def number_for(outcome: str, *, seed: int = 0, skip: int = 0, attempt: int = 0) -> str:
    """A 12-digit number whose simulated call ends `outcome` under `seed` (and attempt)."""
    found = 0
    for tail in range(100000):
        number = f"9198{tail:08d}"
        if outcome_for(number, seed + attempt * 7919).status == outcome:
            if found == skip:
                return number
            found += 1
    raise AssertionError(f"no number ends {outcome}")


def wait_until(check, *, timeout: float = 5.0, interval: float = 0.05):
    """Poll `check()` until it returns something truthy (simulated calls finish fast
    with a large time_scale)."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(interval)


def put_mid_call(request_id: str, *, talk_seconds_in: int = 1):
    """Move a simulated (answered) call's start back so it is talking right now."""
    call = SandboxCall.objects.get(vendor="cpaas", reference_id=request_id)
    elapsed = (QUEUE_SECONDS + call.ring_seconds + talk_seconds_in) / call.time_scale
    SandboxCall.objects.filter(pk=call.pk).update(
        created_at=timezone.now() - timedelta(seconds=elapsed)
    )
    call.refresh_from_db()
    return call


def put_ringing(request_id: str):
    """Move a simulated call's start back so it is ringing right now."""
    call = SandboxCall.objects.get(vendor="cpaas", reference_id=request_id)
    elapsed = (QUEUE_SECONDS + 0.5) / call.time_scale
    SandboxCall.objects.filter(pk=call.pk).update(
        created_at=timezone.now() - timedelta(seconds=elapsed)
    )
    call.refresh_from_db()
    return call
