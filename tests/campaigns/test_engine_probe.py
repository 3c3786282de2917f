# ruff: noqa: F811 (pytest fixtures are imported by name, then requested as arguments)
"""A MyOperator campaign's first dial is a probe: until the vendor accepts one call, the
engine sends one at a time, so an IVR the vendor does not know pauses the campaign
before a second contact is touched, with a thread pool too. Through the MyOperator
sandbox over HTTP."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from unittest import mock

import pytest
import time_machine
from django.utils import timezone

from campaigns.engine import Runner
from campaigns.engine.probe import Probe
from campaigns.models import Campaign
from telephony.models import ProviderRequest
from telephony.vendors.base import Fault, Rejected
from tests.campaigns.engine_support import (
    MO_IVR,
    fast_engine,  # noqa: F401
    make_account,
    make_campaign,
    mo_number,
    sandbox_calls,
    sandbox_url,  # noqa: F401
)
from tests.qcluster import ON_POSTGRES

DB = pytest.mark.django_db(transaction=True, serialized_rollback=True)
# Threads writing at once: SQLite's shared in-memory test database locks whole tables.


@pytest.fixture
def pooled_engine(settings):
    """A slow vendor at a high rate: the runner dials from a pool of many threads."""
    settings.CAMPAIGN_DIAL_LATENCY = 0.2
    settings.CAMPAIGN_OUTCOME_POLL_SECONDS = 0
    return settings


def obd_requests(account) -> int:
    # The dials only: the outcome reads (REST log searches) are POSTs too.
    return ProviderRequest.objects.filter(account=account, endpoint="obd-api-v1").count()


def close(runner):
    """Close the runner after its outcome reads have ended: Runner.close leaves them to
    end on their own, and one still reading while the test database is flushed
    deadlocks the flush on PostgreSQL."""
    if runner.poll_pool is not None:
        runner.poll_pool.shutdown(wait=True)
        runner.poll_pool = None
    runner.close()


def step_for(runner, seconds: float, until=lambda: False):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not until():
        runner.step()
        time.sleep(0.02)


@DB
def test_an_unknown_ivr_pauses_the_campaign_after_one_request_to_the_vendor(
    sandbox_url, fast_engine
):
    account = make_account("myoperator", sandbox_url)
    numbers = [mo_number("answered", skip=n) for n in range(5)]
    campaign = make_campaign(account, numbers, ivr_id="66f2a1c0b3d99")
    runner = Runner(campaign)
    try:
        runner.step()
    finally:
        close(runner)
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.PAUSED and campaign.paused_by_vendor
    assert campaign.vendor_error == "Provide valid public_ivr_id in string format"
    assert obd_requests(account) == 1
    assert campaign.targets.filter(attempts=0, status="pending").count() == 5


@pytest.mark.services
@pytest.mark.skipif(not ON_POSTGRES, reason="concurrent dialing threads need PostgreSQL")
@DB
def test_an_unknown_ivr_pauses_the_campaign_after_one_dial_with_a_thread_pool(
    sandbox_url, pooled_engine
):
    account = make_account("myoperator", sandbox_url)
    numbers = [mo_number("answered", skip=n) for n in range(12)]
    campaign = make_campaign(account, numbers, ivr_id="66f2a1c0b3d99")
    runner = Runner(campaign)
    assert runner.threads > 1
    try:
        step_for(runner, 3, until=lambda: runner.stopped)
    finally:
        close(runner)
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.PAUSED and campaign.paused_by_vendor
    assert campaign.vendor_error == "Provide valid public_ivr_id in string format"
    # One request reached the vendor; no contact was consumed, and every attempt
    # claimed with the probe went back uncounted, to be sent on resume.
    assert obd_requests(account) == 1
    assert campaign.targets.filter(attempts=0, status="pending").count() == 12
    assert set(campaign.attempts.values_list("status", "dialed_at")) == {("queued", None)}


@pytest.mark.services
@pytest.mark.skipif(not ON_POSTGRES, reason="concurrent dialing threads need PostgreSQL")
@DB
def test_the_probe_sends_one_call_and_the_rest_follow_once_the_vendor_accepts_it(
    sandbox_url, pooled_engine
):
    account = make_account("myoperator", sandbox_url)
    numbers = [mo_number("answered", skip=n) for n in range(8)]
    campaign = make_campaign(account, numbers)
    runner = Runner(campaign)
    placed = campaign.attempts.exclude(status__in=["queued", "dialing"])
    try:
        step_for(runner, 8, until=lambda: placed.count() == 8)
    finally:
        close(runner)
    assert placed.count() == 8 and obd_requests(account) == 8
    assert sandbox_calls(vendor="myoperator").exclude(call_id__startswith="demo-").count() == 8


def test_held_calls_wait_for_the_probes_answer_then_go_together():
    """The probe itself, with a pool of threads and a slow vendor: one call in flight
    until the first is accepted, then as many as the pool has."""
    probe = Probe.__new__(Probe)
    probe.accepted, probe.refusal, probe._lock = False, None, threading.Lock()
    in_flight, most, order = 0, [], []
    lock = threading.Lock()

    def call(n):
        nonlocal in_flight
        with lock:
            in_flight += 1
            most.append(in_flight)
            order.append(n)
        time.sleep(0.1)
        with lock:
            in_flight -= 1
        return n

    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(lambda n: probe.send(lambda: call(n), RuntimeError), range(6)))
    assert sorted(results) == list(range(6))
    assert most[0] == 1 and max(most[1:]) > 1  # alone first, together after


def test_after_a_refused_probe_the_held_calls_are_never_sent():
    probe = Probe.__new__(Probe)
    probe.accepted, probe.refusal, probe._lock = False, None, threading.Lock()
    sent = []

    def refuse():
        sent.append(1)
        time.sleep(0.05)
        raise Rejected(
            "Provide valid public_ivr_id in string format", vendor="myoperator", fault=Fault.ACCOUNT
        )

    class Held(Exception):
        def __init__(self, error):
            self.error = error

    with ThreadPoolExecutor(4) as pool:
        futures = [pool.submit(probe.send, refuse, Held) for _ in range(4)]
    errors = [future.exception() for future in futures]
    assert len(sent) == 1
    assert sum(isinstance(error, Rejected) for error in errors) == 1
    assert all(error.error is probe.refusal for error in errors if isinstance(error, Held))


@DB
def test_a_resumed_campaign_probes_again_and_an_accepted_one_does_not(sandbox_url, fast_engine):
    account = make_account("myoperator", sandbox_url)
    campaign = make_campaign(account, [mo_number("answered")], ivr_id="66f2a1c0b3d99")
    assert Probe(campaign).accepted is False
    Runner(campaign).step()
    assert Probe(campaign).accepted is False  # refused: nothing was accepted
    Campaign.objects.filter(pk=campaign.pk).update(ivr_id=MO_IVR)
    campaign.refresh_from_db()
    with mock.patch("campaigns.engine.runner_enqueue"):
        ok, message = campaign.resume()
    assert ok, message
    with later(10):
        runner = Runner(campaign)
        try:
            for _ in range(50):
                if runner.step() or Probe(campaign).accepted:
                    break
                time.sleep(0.05)
        finally:
            close(runner)
    assert Probe(campaign).accepted is True


def later(seconds: float = 3):
    return time_machine.travel(timezone.now() + timedelta(seconds=seconds), tick=True)
