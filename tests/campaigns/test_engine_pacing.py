"""The runner's pace is exact (issue 15, section 2): over N simulated minutes the calls
dialed are the target within 1%, from the opening and across the hand-over between two
runners. The runner runs on a simulated clock (the engine's clock seam,
campaigns.clock.monotonic/sleep, with time-machine moving the wall clock in step) and a
dialer that answers at once, so the counts are deterministic, not timed."""

import random
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from campaigns import clock
from campaigns.engine import Runner
from campaigns.engine.pace import Pace
from campaigns.models import Campaign, Contact, ContactList
from telephony.models import ProviderAccount
from telephony.vendors.base import PlacedCall
from tests.campaigns.engine_support import ALL_DAY

START = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)


class SimulatedClock:
    """The engine's monotonic clock and sleep, with the wall clock moved in step; each
    loop of the runner costs `step_cost` seconds (a little jitter, seeded)."""

    def __init__(self, traveller, step_cost: float = 0.004):
        self.traveller = traveller
        self.now = 1000.0
        self.step_cost = step_cost
        self.jitter = random.Random(7)

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float):
        self.advance(seconds)

    def advance(self, seconds: float):
        self.now += seconds
        self.traveller.shift(timedelta(seconds=seconds))

    def loop_cost(self):
        self.advance(self.step_cost * (0.5 + self.jitter.random()))


class InstantDialer:
    """A vendor that accepts every call at once and has no outcome yet."""

    resends_lost_requests = True
    per_call_outcomes = False

    def __init__(self, campaign):
        self.campaign = campaign

    def dial(self, target, reference_id, caller_id=""):
        return PlacedCall(vendor_call_id=f"call-{reference_id}", reference_id=reference_id)

    def outcomes(self, attempts):
        return iter(())

    def close(self):
        pass


@pytest.fixture
def simulated(monkeypatch, settings):
    settings.CAMPAIGN_DIAL_LATENCY = 0.001  # one dialing thread: calls go inline
    with time_machine.travel(START, tick=False) as traveller:
        sim = SimulatedClock(traveller)
        monkeypatch.setattr(clock, "monotonic", sim.monotonic)
        monkeypatch.setattr(clock, "sleep", sim.sleep)
        monkeypatch.setattr("campaigns.engine.dispatch.dialer_for", InstantDialer)
        original = Runner.step

        def costly_step(runner):
            started = original(runner)
            sim.loop_cost()
            return started

        monkeypatch.setattr(Runner, "step", costly_step)
        yield sim


def paced_campaign(calls_per_minute: int, contacts: int) -> Campaign:
    account = ProviderAccount(kind="myoperator", name="MyOperator pacing", config={})
    account.set_secrets({})
    account.save()
    contact_list = ContactList.objects.create(name="Pacing")
    Contact.objects.bulk_create(
        Contact(contact_list=contact_list, number=f"+9198{n:08d}") for n in range(contacts)
    )
    campaign = Campaign.objects.create(
        name=f"Pacing {calls_per_minute}",
        account=account,
        kind="ivr",
        ivr_id="ivr-1",
        time_zone="UTC",
        calls_per_minute=calls_per_minute,
        max_retries=0,
        retry_statuses=[],
        state=Campaign.State.RUNNING,
        started_at=START,
        **ALL_DAY,
    )
    campaign.contact_lists.set([contact_list])
    return campaign


def dialed_within(campaign, seconds: float) -> int:
    return campaign.attempts.filter(
        dialed_at__gte=START, dialed_at__lt=START + timedelta(seconds=seconds)
    ).count()


def within_one_percent(dialed: int, calls_per_minute: int, minutes: float) -> bool:
    target = calls_per_minute * minutes
    return abs(dialed - target) <= 0.01 * target


@pytest.mark.parametrize(("calls_per_minute", "minutes"), [(60, 2), (600, 1)])
def test_one_runner_dials_the_target_within_one_percent_from_the_first_call(
    db, simulated, calls_per_minute, minutes
):
    campaign = paced_campaign(calls_per_minute, int(calls_per_minute * minutes * 1.2) + 20)

    Runner(campaign).run(budget=minutes * 60 + 5)

    dialed = dialed_within(campaign, minutes * 60)
    assert within_one_percent(dialed, calls_per_minute, minutes), dialed


def test_runners_that_hand_over_every_budget_keep_the_pace(db, simulated):
    """A runner ends after its budget and the next starts 1.5 s later (a queue's poll):
    the gap is made up, not lost, and no hand-over opens a new burst."""
    calls_per_minute, minutes = 600, 3
    campaign = paced_campaign(calls_per_minute, int(calls_per_minute * minutes * 1.2))

    while simulated.now < 1000.0 + minutes * 60:
        Runner(campaign).run(budget=50)
        simulated.sleep(1.5)

    dialed = dialed_within(campaign, minutes * 60)
    assert within_one_percent(dialed, calls_per_minute, minutes), dialed


def test_the_opening_second_goes_at_once_and_is_paid_for_by_the_next(simulated):
    pace = Pace(600)

    assert pace.room() == 10  # the opening: a second of calls
    pace.spend(10)
    simulated.advance(0.95)
    assert pace.room() == 0  # the next second's calls went in the opening
    simulated.advance(0.06)
    assert pace.room() == 1


def test_a_slow_campaign_never_rings_two_people_at_once_after_a_late_wake_up(simulated):
    pace = Pace(60)
    assert pace.room() == 1
    pace.spend(1)

    simulated.advance(5.0)  # a loop that woke four seconds late

    assert pace.room() == 1


@pytest.mark.parametrize("calls_per_minute", [1, 7, 60, 600, 6000, 12000])
def test_the_pace_counts_exactly_over_an_hour_of_uneven_loops(simulated, calls_per_minute):
    pace = Pace(calls_per_minute)
    jitter = random.Random(calls_per_minute)
    end = simulated.now + 3600
    dialed = 0
    while simulated.now < end:
        room = pace.room()
        pace.spend(room)
        dialed += room
        simulated.advance(min(1.0, max(0.05, pace.wait())) + jitter.random() * 0.01)

    target = calls_per_minute * 60
    assert abs(dialed - target) <= max(1, 0.001 * target), dialed


def test_a_runner_woken_early_for_its_next_call_waits_for_it(simulated):
    pace = Pace(1, since_last_dial=45.0)  # one a minute; the wake-up came 15 s early

    assert pace.room() == 0
    assert pace.wait() == pytest.approx(15.0)


def test_a_loop_of_calls_costs_a_few_queries_not_a_transaction_per_call(
    db, simulated, django_assert_max_num_queries
):
    """The engine's ceiling (issue 15): one loop claims its calls in one UPDATE, writes
    their attempt rows in one INSERT and records what the vendor said in a few
    statements, so the database work per dialed call falls as the loop grows."""
    campaign = paced_campaign(6000, 300)
    runner = Runner(campaign)
    runner.step()  # the first loop builds the targets and sends the opening second
    simulated.advance(2.0)  # the opening paid for, a second of calls is due again

    with django_assert_max_num_queries(30) as context:
        dialed = runner.step()

    assert dialed == 100  # a second of calls at 6,000 a minute
    assert len(context.captured_queries) / dialed < 0.3
    assert campaign.attempts.filter(status="placed").count() == 200
