"""Fixtures and helpers of the one-off calls, OTP and panel users tests: accounts on the
sandboxes (over a live server), the Call dialog's forms, and a lost-answer switch."""

import re
import time

import pytest
from django.urls import reverse

from telephony.models import Call, ProviderAccount, SandboxCall, SandboxConfig
from telephony.vendors.cpaas import sandbox as cpaas_sandbox
from telephony.vendors.myoperator import sandbox as mo_sandbox
from telephony.vendors.oca import sandbox as oca_sandbox
from telephony.vendors.sandbox_kit import drop_next_answers, outcome_for

LIVE = pytest.mark.django_db(transaction=True, serialized_rollback=True)
IVR = next(iter(mo_sandbox.PUBLIC_IVRS))
CPAAS_CALLER_ID = "15168148111"


def number_with(outcome: str, start: int = 0, prefix: str = "+9198") -> str:
    """A valid number whose simulated call ends with `outcome` (seed 0)."""
    for n in range(start, start + 20_000):
        number = f"{prefix}{n:08d}"
        if outcome_for(number, 0).status == outcome:
            return number
    raise AssertionError(f"no number ends {outcome}")


def make_account(sandbox_url: str, vendor: str) -> ProviderAccount:
    module = {"myoperator": mo_sandbox, "cpaas": cpaas_sandbox, "oca": oca_sandbox}[vendor]
    if hasattr(module, "seed_demo"):
        module.seed_demo()
    kwargs = module.demo_account(sandbox_url)
    secrets = kwargs.pop("secrets")
    account = ProviderAccount(**kwargs)
    account.set_secrets(secrets)
    account.save()
    return account


@pytest.fixture
def sandbox_url(live_server):
    return f"{live_server.url}/sandbox"


@pytest.fixture
def fast(transactional_db):
    """Simulated calls of every vendor end within a fraction of a second."""
    for vendor in ("myoperator", "cpaas", "oca"):
        config = SandboxConfig.for_vendor(vendor)
        config.time_scale = 1000
        config.save()


@pytest.fixture
def lose_answer(settings):
    """lose_answer("oca"): the vendor's next request is processed, then its answer hangs
    past our read timeout (the sandbox's `lost` fault)."""
    armed = []

    def lose(vendor: str, endpoint: str):
        # Short enough to give up on the lost answer; set only now, so the test's
        # set-up reads (a sync, a seed) keep the normal timeout on a loaded machine.
        settings.VENDOR_HTTP = {**settings.VENDOR_HTTP, "read_timeout": 1.0, "max_retries": 0}
        config = SandboxConfig.for_vendor(vendor)
        config.timeout_seconds = 1.6
        config.save()
        drop_next_answers(vendor, 1, endpoint)
        armed.append(time.monotonic())

    yield lose
    # The live server's thread still sleeps on the last lost answer: let it finish
    # before the database is torn down under it (it would fail a later test).
    # By now our client gave up on it (read timeout 1.0 s), so at most the rest of the
    # sandbox's 1.6 s hang remains.
    if armed:
        time.sleep(2.0)


def dialog(client, **params) -> dict:
    """The Call dialog's fields as GET renders them (token included)."""
    url = reverse("telephony:call_new")
    response = client.get(url, params)
    assert response.status_code == 200, response.content[:500]
    html = response.content.decode()
    token = re.search(r'name="token" value="([^"]+)"', html).group(1)
    return {"token": token, "html": html}


def place(client, account, kind, to_number, **fields):
    """POST the Call dialog once; returns (response, token)."""
    token = fields.pop("token", None) or dialog(client, account=account.pk, kind=kind)["token"]
    data = {"account": account.pk, "kind": kind, "to_number": to_number, "token": token, **fields}
    return client.post(reverse("telephony:call_new"), data), data


def sandbox_calls(vendor: str, **filters):
    return SandboxCall.objects.filter(vendor=vendor, **filters)


def only_call() -> Call:
    calls = list(Call.objects.all())
    assert len(calls) == 1, calls
    return calls[0]
