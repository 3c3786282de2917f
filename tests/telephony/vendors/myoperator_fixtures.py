"""Fixtures and helpers shared by the MyOperator test modules (import fixtures by name)."""

import time
import uuid

import pytest

from telephony.vendors.myoperator import sandbox
from telephony.vendors.myoperator.client import MyOperatorClient
from telephony.vendors.sandbox_kit import outcome_for

CREDENTIALS = sandbox.SANDBOX_CREDENTIALS
COMPANY = CREDENTIALS["company_id"]
IVR = next(iter(sandbox.PUBLIC_IVRS))
AGENT = sandbox.DEMO_USERS[0][0]  # a seeded panel user's uuid (OBD user_id)
AGENT_2 = sandbox.DEMO_USERS[1][0]


def ref() -> str:
    """A fresh OBD reference_id."""
    return "t-" + uuid.uuid4().hex[:20]


def number_with(outcome: str, seed: int = 0, start: int = 0) -> str:
    """An E.164 Indian mobile number whose simulated call ends with `outcome`."""
    for n in range(start, start + 20_000):
        number = f"+9198{n:08d}"
        if outcome_for(number, seed).status == outcome:
            return number
    raise AssertionError(f"no number ends {outcome}")


def wait_for_logs(client: MyOperatorClient, references, timeout: float = 5.0, **criteria):
    """Poll /search until a log exists for every reference id (the call has ended)."""
    wanted = set(references)
    deadline = time.monotonic() + timeout
    while True:
        logs = {log["_cri"]: log for log in client.iter_logs(**criteria) if log["_cri"] in wanted}
        if set(logs) == wanted or time.monotonic() > deadline:
            return logs
        time.sleep(0.05)


@pytest.fixture
def mo_account(make_account, sandbox_url):
    """The demo account on the sandbox, with the demo users and logs seeded."""
    sandbox.seed_demo()
    return make_account(**sandbox.demo_account(sandbox_url))


@pytest.fixture
def mo(mo_account):
    return MyOperatorClient(mo_account)


@pytest.fixture
def fast_calls(sandbox_config):
    """Simulated calls finish within a fraction of a second."""
    return sandbox_config("myoperator", time_scale=1000)
