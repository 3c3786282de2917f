"""Shared by the engine's unit tests: sandbox accounts on the live server, a campaign open
around the clock over a small list, and helpers to read outcomes as they come."""

import time
from datetime import time as clock

import pytest

from campaigns.engine import Runner
from campaigns.models import Campaign, Contact, ContactList, DndList
from telephony.models import ProviderAccount, SandboxCall, SandboxConfig
from telephony.vendors.myoperator import sandbox as mo_sandbox
from telephony.vendors.oca import sandbox as oca_sandbox
from telephony.vendors.oca.client import national_number
from telephony.vendors.sandbox_kit import outcome_for

OCA_CALLER = "02184788101"
MO_IVR = next(iter(mo_sandbox.PUBLIC_IVRS))
ALL_DAY = {
    "window_start": clock(0),
    "window_end": clock(23, 59, 59, 999999),
    "contact_start": clock(0),
    "contact_end": clock(23, 59, 59, 999999),
}


def oca_number(outcome: str, skip: int = 0) -> str:
    """An E.164 Indonesian number whose simulated OCA call ends with `outcome`."""
    found = 0
    for n in range(20_000):
        number = f"+62812{n:08d}"
        if outcome_for("62" + national_number(number), 0).status == outcome:
            if found == skip:
                return number
            found += 1
    raise AssertionError(outcome)


def mo_number(outcome: str, skip: int = 0) -> str:
    found = 0
    for n in range(20_000):
        number = f"+9198{n:08d}"
        if outcome_for(number, 0).status == outcome:
            if found == skip:
                return number
            found += 1
    raise AssertionError(outcome)


@pytest.fixture
def sandbox_url(live_server):
    return f"{live_server.url}/sandbox"


@pytest.fixture
def fast_engine(settings):
    """Dial inline (one thread) whatever the rate, and read outcomes at every loop."""
    settings.CAMPAIGN_DIAL_LATENCY = 0.001
    settings.CAMPAIGN_OUTCOME_POLL_SECONDS = 0
    return settings


def make_account(vendor: str, sandbox_url: str, **secret_overrides) -> ProviderAccount:
    if vendor == "oca":
        oca_sandbox.seed_demo()
        oca_sandbox.update_tenant(
            oca_sandbox.SANDBOX_CREDENTIALS["username"], max_concurrent_calls=100_000
        )
        kwargs = oca_sandbox.demo_account(sandbox_url)
    else:
        mo_sandbox.seed_demo()
        kwargs = mo_sandbox.demo_account(sandbox_url)
    config = SandboxConfig.for_vendor(vendor)
    config.time_scale = 1000.0
    config.seed = 0
    config.save()
    secrets = {**kwargs.pop("secrets"), **secret_overrides}
    kwargs["name"] = f"{kwargs['name']} {ProviderAccount.objects.count() + 1}"
    account = ProviderAccount(**kwargs)
    account.set_secrets(secrets)
    account.save()
    return account


def make_campaign(account, numbers, *, zones=None, dnd_lists=(), **overrides) -> Campaign:
    """A running campaign over `numbers` (contacts in `zones`, blank by default)."""
    contact_list = ContactList.objects.create(
        name=f"List {ContactList.objects.count() + 1}", custom_fields=["amount"]
    )
    Contact.objects.bulk_create(
        [
            Contact(
                contact_list=contact_list,
                number=number,
                name=f"Customer {n}",
                fields={"amount": str(100 + n)},
                time_zone=(zones or {}).get(number, ""),
            )
            for n, number in enumerate(numbers)
        ]
    )
    fields = {
        "name": f"Campaign {Campaign.objects.count() + 1}",
        "account": account,
        "kind": "ivr",
        "time_zone": "UTC",
        "calls_per_minute": 6000,
        "state": Campaign.State.RUNNING,
        **ALL_DAY,
    }
    if account.kind == "oca":
        tenant = oca_sandbox.SANDBOX_CREDENTIALS["username"]
        fields.update(ivr_id=oca_sandbox.ivr_id_for(tenant, "recording"), caller_id=OCA_CALLER)
    else:
        fields.update(ivr_id=MO_IVR)
    fields.update(overrides)
    campaign = Campaign.objects.create(**fields)
    campaign.contact_lists.set([contact_list])
    campaign.dnd_lists.set(list(dnd_lists))
    return campaign


def global_dnd() -> DndList:
    return DndList.objects.filter(is_global=True).first() or DndList.objects.create(
        name="Global DND", is_global=True
    )


def sandbox_calls(number: str = "", **filters):
    calls = SandboxCall.objects.filter(**filters)
    if number:
        digits = number.lstrip("+")
        calls = calls.filter(to_number__endswith=digits[-9:])
    return calls


def settle(runner: Runner, campaign: Campaign, timeout: float = 10.0):
    """Read outcomes until no attempt of `campaign` waits for one."""
    deadline = time.monotonic() + timeout
    while True:
        runner.read_outcomes(force=True)
        if not campaign.attempts.filter(status="placed").exists():
            return
        if time.monotonic() > deadline:
            raise AssertionError(
                f"outcomes never came: {list(campaign.attempts.values('reference_id', 'status'))}"
            )
        time.sleep(0.05)
