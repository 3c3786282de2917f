"""Shared by the real-qcluster campaign tests (integration, faults, crash): a 500-number
audience per vendor, campaigns wide open in time, the vendor accounts pointed at the
sandboxes on the live server, waiting for a campaign to finish, and the checks that
compare our targets and attempts with the calls the sandbox saw.

The audience of every campaign here, for vendor V (numbers are V's spelling):
- list A: numbers 0..479 plus one inactive contact (never a target);
- list B: numbers 470..499 (470..479 are in list A too: one target each);
- numbers 0..9 are on a DND list the campaign excludes, 10..14 on the global DND list;
- OCA and CPaaS: numbers 15..19 are spelled so the vendor cannot dial them (invalid).
So 500 targets: 15 DND, 5 invalid (0 for MyOperator), and the rest eligible.
"""

import itertools
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import time as clock
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from django_q.brokers import get_broker

from campaigns.models import (
    Campaign,
    CampaignAttempt,
    CampaignTarget,
    Contact,
    ContactList,
    DndEntry,
    DndList,
)
from telephony.models import ProviderAccount, SandboxCall, SandboxConfig
from telephony.signals import ensure_schedules
from telephony.vendors.cpaas.simulation import OUTCOME_STATUSES as CPAAS_STATUSES
from telephony.vendors.myoperator import sandbox as myoperator_sandbox
from telephony.vendors.oca import sandbox as oca_sandbox
from telephony.vendors.oca.client import national_number
from tests.qcluster import REDIS_URL
from tests.telephony.vendors.cpaas_helpers import account_kwargs as cpaas_account_kwargs

SIZE = 500
LIST_A = range(0, 480)
LIST_B = range(470, 500)
INACTIVE = 900
CHOSEN_DND = range(0, 10)
GLOBAL_DND = range(10, 15)
INVALID = range(15, 20)
MAX_RETRIES = 1
RETRY_INTERVAL = 1  # seconds
FINISH_SECONDS = 180
WORKERS = 2  # the runner holds one worker; the watchdog and launches need another

# The sandbox's outcome (sandbox_kit.OUTCOME_TABLE) -> the normalized status our attempt
# must end with. MyOperator logs a generic failure as CONGESTION (sandbox_logs.py).
SANDBOX_TO_STATUS = {
    "myoperator": {"failed": "congestion"},
    "oca": {},
    "cpaas": {},
}
# Our normalized status -> CPaaS DIALSTATUS (what create_campaign's retry_on_statuses takes).
CPAAS_DIAL_STATUS = {"busy": "BUSY", "no_answer": "NOANSWER", "unavailable": "CHANUNAVAIL"}

MYOPERATOR_IVR = "66f2a1c0b3d94"
OCA_CALLER = "02184788101"
CPAAS_CALLER = "918069000000"


@pytest.fixture
def sandbox_url(live_server):
    return f"{live_server.url}/sandbox"


@pytest.fixture
def cluster_env():
    """Extra environment for the cluster (a module overrides it, e.g. a short vendor
    read timeout)."""
    return {}


@pytest.fixture
def cluster(start_cluster, enqueue_for_real, cluster_env):
    """A running cluster with the project's schedules (the engine watchdog among them),
    on the broker this process enqueues on (Redis when REDIS_URL is set)."""
    ensure_schedules(sender=None)
    if REDIS_URL:
        get_broker().purge_queue()  # nothing left over from an earlier test
    return start_cluster(REDIS_URL or None, workers=WORKERS, **cluster_env)


def number(vendor: str, n: int) -> str:
    """The n-th number of the audience, E.164 as contacts store them."""
    if vendor == "oca":
        if n in INVALID:
            return f"+9196{n:08d}"  # not Indonesian: OCA calls +62 only
        return f"+62812{n:08d}"
    if vendor == "cpaas":
        if n in INVALID:
            return f"+1555{n:04d}"  # 8 digits: CPaaS takes 10 to 15
        return f"+9197{n:08d}"
    return f"+9198{n:08d}"


def _contact(contact_list, vendor, n, **extra):
    return Contact(
        contact_list=contact_list,
        number=number(vendor, n),
        raw_number=number(vendor, n),
        name=f"Customer {n}",
        fields={"nomor_inet": f"1234{n:08d}", "amount": str(100 + n)},
        time_zone=("Asia/Kolkata", "Asia/Jakarta", "")[n % 3],
        **extra,
    )


@dataclass
class Audience:
    vendor: str
    lists: list
    dnd_list: DndList
    eligible: set = field(default_factory=set)
    dnd: set = field(default_factory=set)
    invalid: set = field(default_factory=set)
    inactive: str = ""


def make_audience(vendor: str) -> Audience:
    list_a = ContactList.objects.create(
        name=f"{vendor} list A", custom_fields=["nomor_inet", "amount"]
    )
    list_b = ContactList.objects.create(
        name=f"{vendor} list B", custom_fields=["nomor_inet", "amount"]
    )
    rows = [_contact(list_a, vendor, n) for n in LIST_A]
    rows.append(_contact(list_a, vendor, INACTIVE, is_active=False))
    rows += [_contact(list_b, vendor, n) for n in LIST_B]
    Contact.objects.bulk_create(rows)
    for contact_list in (list_a, list_b):
        contact_list.refresh_count()

    chosen = DndList.objects.create(name=f"{vendor} opt-outs")
    global_list = DndList.objects.filter(is_global=True).first() or DndList.objects.create(
        name="Global DND", is_global=True
    )
    DndEntry.objects.bulk_create(
        [DndEntry(dnd_list=chosen, number=number(vendor, n)) for n in CHOSEN_DND]
        + [DndEntry(dnd_list=global_list, number=number(vendor, n)) for n in GLOBAL_DND]
    )
    for dnd_list in (chosen, global_list):
        dnd_list.refresh_count()

    audience = Audience(vendor=vendor, lists=[list_a, list_b], dnd_list=chosen)
    audience.inactive = number(vendor, INACTIVE)
    for n in range(SIZE):
        if n in CHOSEN_DND or n in GLOBAL_DND:
            audience.dnd.add(number(vendor, n))
        elif n in INVALID and vendor != "myoperator":
            audience.invalid.add(number(vendor, n))
        else:
            audience.eligible.add(number(vendor, n))
    return audience


def make_account(vendor: str, sandbox_url: str) -> ProviderAccount:
    """The vendor's sandbox account, pointed at the live server."""
    if vendor == "myoperator":
        from telephony.vendors.myoperator import sandbox

        sandbox.seed_demo()
        kwargs = sandbox.demo_account(sandbox_url)
    elif vendor == "oca":
        oca_sandbox.seed_demo()
        # Room for every call at once: concurrency (code 57) is not what these test.
        oca_sandbox.update_tenant(
            oca_sandbox.SANDBOX_CREDENTIALS["username"], max_concurrent_calls=100_000
        )
        kwargs = oca_sandbox.demo_account(sandbox_url)
    else:
        kwargs = {"kind": "cpaas", "name": "CPaaS sandbox", **cpaas_account_kwargs(sandbox_url)}
    secrets = kwargs.pop("secrets")
    account = ProviderAccount(**kwargs)
    account.set_secrets(secrets)
    account.save()
    return account


def make_campaign(vendor: str, account, audience: Audience, **overrides) -> Campaign:
    """A draft campaign open around the clock, every day, for every contact, at a high
    pace, retrying busy calls once after a second."""
    now = timezone.now()
    settings = {
        "name": f"{vendor} integration campaign",
        "account": account,
        "time_zone": "UTC",
        "starts_at": None,
        "ends_at": now + timedelta(days=1),
        "window_start": clock(0),
        "window_end": clock(23, 59, 59, 999999),
        "weekdays": list(range(7)),
        "contact_start": clock(0),
        "contact_end": clock(23, 59, 59, 999999),
        "calls_per_minute": 3000,
        "max_retries": MAX_RETRIES,
        "retry_interval": RETRY_INTERVAL,
        "retry_statuses": ["busy"],
    }
    if vendor == "myoperator":
        settings.update(kind="ivr", ivr_id=MYOPERATOR_IVR)
    elif vendor == "oca":
        tenant = oca_sandbox.SANDBOX_CREDENTIALS["username"]
        settings.update(
            kind="ivr",
            ivr_id=oca_sandbox.ivr_id_for(tenant, "resti"),  # needs name and nomor_inet
            ivr_variables={"name": "{name}", "nomor_inet": "{nomor_inet}"},
            caller_id=OCA_CALLER,
        )
    else:
        settings.update(
            kind="tts",
            announcement_text="Hello {name}, your bill of {amount} rupees is due.",
            caller_id=CPAAS_CALLER,
        )
    settings.update(overrides)
    campaign = Campaign.objects.create(**settings)
    campaign.contact_lists.set(audience.lists)
    campaign.dnd_lists.set([audience.dnd_list])
    return campaign


def fast_sandbox(vendor: str, **fields) -> SandboxConfig:
    """Simulated calls end within about a second (time_scale), faults as given."""
    config = SandboxConfig.for_vendor(vendor)
    config.time_scale = 200.0
    config.seed = 0
    for name, value in fields.items():
        setattr(config, name, value)
    config.save()
    return config


def delay_sandbox_answers(monkeypatch, *, every: int, seconds: float) -> list[str]:
    """Make every `every`-th call the MyOperator or OCA sandbox places answer `seconds`
    late: the call is committed first, then the answer waits (the vendor placed it, the
    client is still waiting). Returns the numbers of those calls as the sandbox got them."""
    counter = itertools.count(1)
    lock = threading.Lock()
    delayed = []

    def delay_after_commit(number):
        with lock:
            nth = next(counter)
        if nth % every == 0:
            delayed.append(number)
            transaction.on_commit(lambda: time.sleep(seconds))

    create_call = myoperator_sandbox.create_call

    def myoperator_create_call(**kwargs):
        call = create_call(**kwargs)
        delay_after_commit(call.to_number)
        return call

    new_call_fields = oca_sandbox.new_call_fields

    def oca_new_call_fields(number, vendor):
        delay_after_commit(number)
        return new_call_fields(number, vendor)

    monkeypatch.setattr(myoperator_sandbox, "create_call", myoperator_create_call)
    monkeypatch.setattr(oca_sandbox, "new_call_fields", oca_new_call_fields)
    return delayed


def describe(campaign: Campaign) -> str:
    campaign.refresh_from_db()
    attempts = Counter(campaign.attempts.values_list("status", flat=True))
    return (
        f"state={campaign.state} reason={campaign.state_reason!r} "
        f"idle={campaign.idle_reason!r} funnel={campaign.funnel()} attempts={dict(attempts)}"
    )


def wait_until_finished(campaign: Campaign, cluster, *, timeout=FINISH_SECONDS, log=None):
    """Wait for a final state; fail with the funnel and the cluster's log tail if it does
    not come. Returns the seconds it took."""
    started = time.monotonic()
    deadline = started + timeout
    while time.monotonic() < deadline:
        campaign.refresh_from_db()
        if campaign.is_finished:
            return time.monotonic() - started
        if cluster is not None and cluster.poll() is not None:
            pytest.fail(f"the qcluster exited ({cluster.returncode}): {describe(campaign)}")
        time.sleep(0.5)
    tail = ""
    if cluster is not None:
        cluster.log.flush()
        tail = open(cluster.log.name, errors="replace").read()[-4000:]  # noqa: SIM115
    pytest.fail(f"not finished within {timeout} s: {describe(campaign)}\n{tail}")


# --- what the sandbox saw ------------------------------------------------------------------


def sandbox_calls(campaign: Campaign) -> list[SandboxCall]:
    """The calls the vendor's sandbox placed for this campaign."""
    vendor = campaign.vendor
    calls = SandboxCall.objects.filter(vendor=vendor)
    if vendor == "myoperator":
        calls = calls.filter(reference_id__startswith=f"dd-{campaign.pk}-")
    elif vendor == "oca":
        calls = calls.filter(tenant=oca_sandbox.SANDBOX_CREDENTIALS["username"], kind="ivr")
    else:
        assert campaign.vendor_campaign_id, "the CPaaS campaign was never created"
        calls = calls.filter(campaign_id=campaign.vendor_campaign_id)
    return list(calls.order_by("created_at", "id"))


def dialed_key(vendor: str, to_number: str) -> str:
    """The sandbox's to_number back in our E.164 spelling."""
    if vendor == "oca":
        national = national_number(to_number)
        return f"+62{national}" if national else to_number
    digits = "".join(ch for ch in to_number if ch.isdigit())
    return f"+{digits}"


def calls_by_number(campaign: Campaign) -> dict[str, list[SandboxCall]]:
    by_number = defaultdict(list)
    for call in sandbox_calls(campaign):
        by_number[dialed_key(campaign.vendor, call.to_number)].append(call)
    return dict(by_number)


# --- the checks ----------------------------------------------------------------------------


def assert_every_target_final(campaign: Campaign, audience: Audience):
    """Zero lost contacts: one target per distinct number, each in a final state, none
    open, and DND and invalid numbers set aside."""
    targets = {target.number: target for target in campaign.targets.all()}
    assert len(targets) == SIZE, f"{len(targets)} targets for {SIZE} distinct numbers"
    assert audience.inactive not in targets, "an inactive contact became a target"
    assert not campaign.targets.open().exists(), describe(campaign)
    Status = CampaignTarget.Status
    by_status = defaultdict(set)
    for number_, target in targets.items():
        by_status[target.status].add(number_)
    assert set(by_status) <= {Status.ANSWERED, Status.FAILED, Status.DND, Status.INVALID}
    assert by_status[Status.DND] == audience.dnd
    assert by_status[Status.INVALID] == audience.invalid
    assert by_status[Status.ANSWERED] | by_status[Status.FAILED] == audience.eligible
    open_attempts = campaign.attempts.filter(status__in=CampaignAttempt.OPEN_STATUSES)
    assert not open_attempts.exists(), list(open_attempts.values_list("reference_id", "status"))
    return targets


def assert_nothing_dialed_outside(campaign: Campaign, audience: Audience, by_number: dict):
    """The sandbox never saw a DND, invalid or inactive number."""
    leaked = set(by_number) & (audience.dnd | audience.invalid | {audience.inactive})
    assert not leaked, f"dialed numbers the campaign excludes: {sorted(leaked)}"


def assert_no_duplicate_reference(campaign: Campaign):
    """MyOperator keys a call on our reference id: the sandbox holds each at most once."""
    references = Counter(call.reference_id for call in sandbox_calls(campaign))
    twice = {reference: n for reference, n in references.items() if n > 1}
    assert not twice, f"reference ids the sandbox saw more than once: {twice}"


def assert_engine_counts_match_sandbox(campaign: Campaign, audience: Audience):
    """The engine paths (MyOperator, OCA), no faults: every eligible number dialed, busy
    numbers (the only retry status) 1 + max_retries times and every other number once,
    each attempt recorded with the vendor's call id, and answered counts equal."""
    vendor = campaign.vendor
    targets = assert_every_target_final(campaign, audience)
    by_number = calls_by_number(campaign)
    assert_nothing_dialed_outside(campaign, audience, by_number)
    assert set(by_number) == audience.eligible, "eligible numbers the sandbox never saw"

    attempts = list(campaign.attempts.all())
    assert len(attempts) == sum(len(calls) for calls in by_number.values())
    assert {attempt.vendor_call_id for attempt in attempts} == {
        call.call_id for calls in by_number.values() for call in calls
    }
    if vendor == "myoperator":
        assert_no_duplicate_reference(campaign)
        assert {attempt.reference_id for attempt in attempts} == {
            call.reference_id for calls in by_number.values() for call in calls
        }

    translate = SANDBOX_TO_STATUS[vendor]
    for number_, calls in by_number.items():
        target = targets[number_]
        outcome = calls[0].outcome  # the sandbox's fate of a number is fixed per seed
        expected_dials = 1 + MAX_RETRIES if outcome in campaign.retry_statuses else 1
        assert len(calls) == expected_dials, (number_, outcome, len(calls))
        assert target.attempts == expected_dials, (number_, target.attempts)
        status = translate.get(outcome, outcome)
        if outcome == "answered":
            assert target.status == CampaignTarget.Status.ANSWERED, (number_, target.status)
        else:
            assert target.status == CampaignTarget.Status.FAILED, (number_, target.status)
            assert target.last_status == status, (number_, outcome, target.last_status)
        dials = sorted(target.dials.all(), key=lambda attempt: attempt.attempt)
        assert [attempt.attempt for attempt in dials] == list(range(1, expected_dials + 1))
        assert {attempt.status for attempt in dials} == {status}, (number_, dials)

    funnel = campaign.funnel()
    sandbox_answered = sum(
        1 for calls in by_number.values() for call in calls if call.outcome == "answered"
    )
    assert funnel["answered"] == sandbox_answered
    assert funnel["dnd"] == len(audience.dnd)
    assert funnel["invalid"] == len(audience.invalid)
    assert funnel["failed"] == len(audience.eligible) - sandbox_answered
    assert funnel["done"] == len(audience.eligible)
    return funnel


def assert_native_counts_match_sandbox(campaign: Campaign, audience: Audience):
    """CPaaS dials by itself: every eligible number reached the vendor's list, each call
    of the vendor's campaign is one of our attempts, retries only followed a chosen
    status, and answered counts equal."""
    targets = assert_every_target_final(campaign, audience)
    by_number = calls_by_number(campaign)
    assert_nothing_dialed_outside(campaign, audience, by_number)
    assert set(by_number) == audience.eligible, "eligible numbers the vendor never dialed"

    attempts = list(campaign.attempts.all())
    calls = [call for calls in by_number.values() for call in calls]
    assert len(attempts) == len(calls)
    # A campaign call's CDR names it by Asterisk's uniqueid, "<start epoch>.<row id>".
    assert {attempt.vendor_call_id.rsplit(".", 1)[-1] for attempt in attempts} == {
        str(call.pk) for call in calls
    }
    chosen = {CPAAS_DIAL_STATUS[status] for status in campaign.retry_statuses}
    for number_, number_calls in by_number.items():
        number_calls.sort(key=lambda call: call.params["attempt"])
        assert len(number_calls) <= 1 + campaign.max_retries, number_
        for call in number_calls[:-1]:
            dial_status = CPAAS_STATUSES[call.outcome][1]
            assert dial_status in chosen, f"{number_} was retried after {call.outcome}"
        target = targets[number_]
        assert target.attempts == len(number_calls), (number_, target.attempts)
        answered = any(call.outcome == "answered" for call in number_calls)
        expected = CampaignTarget.Status.ANSWERED if answered else CampaignTarget.Status.FAILED
        assert target.status == expected, (number_, target.status, number_calls)

    funnel = campaign.funnel()
    answered_numbers = sum(
        1
        for number_calls in by_number.values()
        if any(c.outcome == "answered" for c in number_calls)
    )
    assert funnel["answered"] == answered_numbers
    assert funnel["dnd"] == len(audience.dnd)
    assert funnel["invalid"] == len(audience.invalid)
    assert funnel["done"] == len(audience.eligible)
    return funnel


def assert_myoperator_survived(campaign, audience):
    """Zero lost: every target final and every eligible number reached the vendor.
    Zero duplicates: no reference id twice, and a number's calls are exactly its
    attempts (busy numbers twice, the rest once: outcomes are fixed per number)."""
    targets = assert_every_target_final(campaign, audience)
    assert_no_duplicate_reference(campaign)
    by_number = calls_by_number(campaign)
    assert_nothing_dialed_outside(campaign, audience, by_number)
    assert set(by_number) == audience.eligible, "eligible numbers the vendor never got"
    attempts = {attempt.reference_id: attempt for attempt in campaign.attempts.all()}
    calls = {call.reference_id: call for call in sandbox_calls(campaign)}
    assert set(calls) == set(attempts), "attempts and the vendor's calls differ"
    for number, number_calls in by_number.items():
        target = targets[number]
        outcome = number_calls[0].outcome
        expected = 1 + MAX_RETRIES if outcome in campaign.retry_statuses else 1
        assert len(number_calls) == target.attempts == expected, (number, outcome)
        wanted = CampaignTarget.Status.ANSWERED if outcome == "answered" else "failed"
        assert target.status == wanted, (number, outcome, target.status)
    answered = sum(1 for call in calls.values() if call.outcome == "answered")
    assert campaign.funnel()["answered"] == answered
    assert not campaign.attempts.filter(status=CampaignAttempt.Status.UNKNOWN).exists()


def assert_oca_survived(campaign, audience):
    """Zero lost: every target final, every eligible number either reached the vendor or
    is accounted for as unknown (its request timed out; never redialed).
    Zero duplicates: no number dialed more often than we recorded attempts for it, and
    an unknown attempt is the number's last."""
    targets = assert_every_target_final(campaign, audience)
    by_number = calls_by_number(campaign)
    assert_nothing_dialed_outside(campaign, audience, by_number)
    attempts_of = {}
    for attempt in campaign.attempts.order_by("attempt"):
        attempts_of.setdefault(attempt.number, []).append(attempt)
    unknown = set()
    for number in audience.eligible:
        target, calls = targets[number], by_number.get(number, [])
        attempts = attempts_of.get(number, [])
        assert attempts, f"{number} was never attempted"
        assert len(calls) <= len(attempts) == target.attempts <= 1 + MAX_RETRIES, (
            number,
            len(calls),
            [(a.attempt, a.status) for a in attempts],
        )
        placed = {a.vendor_call_id for a in attempts if a.vendor_call_id}
        assert placed <= {call.call_id for call in calls}, number
        statuses = [a.status for a in attempts]
        if CampaignAttempt.Status.UNKNOWN in statuses:
            unknown.add(number)
            assert statuses[-1] == CampaignAttempt.Status.UNKNOWN, (number, statuses)
            assert statuses.count(CampaignAttempt.Status.UNKNOWN) == 1, (number, statuses)
            assert target.status == CampaignTarget.Status.FAILED
            assert target.last_status == "unknown", (number, target.last_status)
            assert len(calls) <= len(attempts)
        else:
            assert len(calls) == len(attempts), (number, len(calls), statuses)
    answered_ids = {
        attempt.vendor_call_id
        for attempt in campaign.attempts.filter(status=CampaignAttempt.Status.ANSWERED)
    }
    vendor_answered = {
        call.call_id
        for calls in by_number.values()
        for call in calls
        if call.outcome == "answered" and call.call_id in answered_ids
    }
    assert answered_ids == vendor_answered
    assert campaign.funnel()["answered"] == len(answered_ids)
    return unknown
