"""Fixtures and helpers shared by the OCA test modules (import the fixtures by name)."""

import base64
import time

import pytest

from telephony.vendors.oca import sandbox
from telephony.vendors.oca.client import OcaClient, national_number
from telephony.vendors.sandbox_kit import outcome_for

USERNAME = sandbox.SANDBOX_CREDENTIALS["username"]
PASSWORD = sandbox.SANDBOX_CREDENTIALS["password"]

# Smallest files that pass the mp3 checks: an ID3 tag, and a bare MPEG-1 Layer III frame.
MP3_ID3 = b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\x00" * 64
MP3_FRAME = b"\xff\xfb\x90\x64" + b"\x00" * 64


def basic(username=USERNAME, password=PASSWORD) -> str:
    """The Authorization header the doc describes: Basic base64(username:password)."""
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def number_with(outcome: str, seed: int = 0) -> str:
    """A mobile number (08… spelling) whose simulated call ends with `outcome`."""
    for n in range(10_000):
        number = f"0812{n:08d}"
        if outcome_for("62" + national_number(number), seed).status == outcome:
            return number
    raise AssertionError(f"no number ends {outcome}")


def wait_final(client: OcaClient, call_id: str, timeout: float = 3.0):
    """Poll call_status until the call is over (time_scale makes that quick)."""
    deadline = time.monotonic() + timeout
    while True:
        cdr = client.call_status(call_id=call_id)
        if cdr.status.is_final or time.monotonic() > deadline:
            return cdr
        time.sleep(0.05)


@pytest.fixture
def oca_base(sandbox_url):
    return f"{sandbox_url}/oca/api/v1"


@pytest.fixture
def oca_account(make_account, oca_base):
    return make_account(
        "oca", base_url=oca_base, config={"username": USERNAME}, secrets={"password": PASSWORD}
    )


@pytest.fixture
def make_oca():
    """Build OcaClients whose keep-alive connections are closed before the live server
    stops (an open one makes its server thread touch the test database too late)."""
    clients = []

    def make(account):
        client = OcaClient(account)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.http.session.close()


@pytest.fixture
def oca(oca_account, make_oca):
    """A client for the sandbox's demo login."""
    return make_oca(oca_account)


@pytest.fixture
def ivrs(oca_account):
    """The demo login's seeded IVRs by name."""
    sandbox.ensure_tenant(USERNAME)
    return {ivr["ivr_name"]: sandbox.ivr_id_for(USERNAME, ivr["slug"]) for ivr in sandbox.SEED_IVRS}


@pytest.fixture
def fast_calls(sandbox_config):
    """Simulated calls finish in well under a second."""
    return sandbox_config("oca", time_scale=1000)
