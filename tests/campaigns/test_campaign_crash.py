# ruff: noqa: F811 (pytest fixtures are imported by name, then requested as arguments)
"""Crash (issue #5): kill -9 the whole qcluster three times mid-run (at about 25%, 50%
and 75% of the attempts) and start it again each time; the campaign completes, every
target is final, and the sandbox saw no reference id twice (MyOperator) and no number
dialed more often than we recorded attempts for it (OCA).

Each kill lands while the vendor has accepted a call whose answer the engine has not
recorded yet (every sandbox answer comes ANSWER_DELAY late, after the call is committed,
and the test waits for such a call before killing): the hardest moment, where a careless
engine dials the contact again or loses the call's outcome.

Nothing tells the new cluster that the old one died: the engine finds out by itself,
through its watchdog schedule (every minute) and the runner's lease going stale. Each
recovery (kill to the next attempt dialed) is measured and printed (`-s` shows it).
"""

import time

import pytest

from campaigns.models import Campaign, CampaignAttempt
from telephony.models import SandboxCall
from tests.campaigns.campaign_runs import (  # noqa: F401 (fixtures are used by name)
    WORKERS,
    assert_myoperator_survived,
    assert_oca_survived,
    cluster,
    delay_sandbox_answers,
    describe,
    dialed_key,
    fast_sandbox,
    make_account,
    make_audience,
    make_campaign,
    sandbox_url,
    wait_until_finished,
)
from tests.qcluster import (  # noqa: F401 (fixtures are used by name)
    CLUSTER_MARKS,
    REDIS_URL,
    enqueue_for_real,
    group_members,
    kill_9,
    restore_migrated_rows,
    start_cluster,
)

pytestmark = CLUSTER_MARKS

KILL_AT = (0.25, 0.50, 0.75)
# Slow enough that a kill lands mid-run: 500 numbers take about 50 s of dialing.
CALLS_PER_MINUTE = 600
# The watchdog runs every minute and a runner's lease goes stale after about 90 s, so a
# recovery may take a few minutes; the whole test is bounded.
RECOVERY_SECONDS = 300
FINISH_SECONDS = 240
ANSWER_DELAY = 0.3  # seconds; far below the read timeout: no request times out
IN_FLIGHT_WAIT = 15


# A killed runner's lease goes stale after this (90 s by default); the watchdog, every
# minute, then starts another. Shorter here so three kills do not cost six minutes.
LEASE_SECONDS = "15"


@pytest.fixture
def cluster_env():
    return {"CAMPAIGN_LEASE_SECONDS": LEASE_SECONDS}


@pytest.fixture
def slow_answers(monkeypatch):
    return delay_sandbox_answers(monkeypatch, every=1, seconds=ANSWER_DELAY)


def accepted_not_recorded(campaign) -> list[str]:
    """Reference ids (MyOperator) or numbers (OCA) of calls the sandbox has placed while
    our attempt for them is still DIALING: the answer is on its way back."""
    dialing = campaign.attempts.filter(status=CampaignAttempt.Status.DIALING)
    calls = SandboxCall.objects.filter(vendor=campaign.vendor)
    if campaign.vendor == "myoperator":
        references = set(dialing.values_list("reference_id", flat=True))
        return list(
            calls.filter(reference_id__in=references).values_list("reference_id", flat=True)
        )
    hits = []
    for number, dialed_at in dialing.values_list("number", "dialed_at"):
        placed = calls.filter(created_at__gte=dialed_at).values_list("to_number", flat=True)
        if any(dialed_key("oca", to_number) == number for to_number in placed):
            hits.append(number)
    return hits


def wait_for_a_call_in_flight(campaign) -> list[str]:
    deadline = time.monotonic() + IN_FLIGHT_WAIT
    while time.monotonic() < deadline:
        hits = accepted_not_recorded(campaign)
        if hits:
            return hits
        time.sleep(0.02)
    return []


def attempts_so_far(campaign) -> int:
    return campaign.attempts.count()


def wait_for_attempts(campaign, at_least: int, process, timeout: float) -> float:
    """Wait until the campaign has `at_least` attempts; returns when (monotonic)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if attempts_so_far(campaign) >= at_least:
            return time.monotonic()
        if process.poll() is not None:
            pytest.fail(f"the qcluster exited ({process.returncode}): {describe(campaign)}")
        campaign.refresh_from_db()
        if campaign.is_finished:
            pytest.fail(f"finished before {at_least} attempts: {describe(campaign)}")
        time.sleep(0.1)
    pytest.fail(f"fewer than {at_least} attempts within {timeout} s: {describe(campaign)}")


def crash_three_times(vendor, sandbox_url, cluster, start_cluster):
    fast_sandbox(vendor)
    account = make_account(vendor, sandbox_url)
    audience = make_audience(vendor)
    campaign = make_campaign(vendor, account, audience, calls_per_minute=CALLS_PER_MINUTE)
    # Each eligible number is dialed at least once; busy ones twice.
    expected = len(audience.eligible)

    started, message = campaign.start()
    assert started, message
    process = cluster
    recoveries, in_flight = [], []
    for share in KILL_AT:
        wait_for_attempts(campaign, int(expected * share), process, RECOVERY_SECONDS)
        in_flight += wait_for_a_call_in_flight(campaign)
        kill_9(process)
        assert not group_members(process.pid), "a process of the killed cluster survived"
        killed_at, attempts_at_kill = time.monotonic(), attempts_so_far(campaign)
        process = start_cluster(
            REDIS_URL or None, workers=WORKERS, CAMPAIGN_LEASE_SECONDS=LEASE_SECONDS
        )
        resumed = wait_for_attempts(campaign, attempts_at_kill + 1, process, RECOVERY_SECONDS)
        recoveries.append(resumed - killed_at)
        print(  # -s shows it, also when the run fails later
            f"\n{vendor}: kill -9 at {attempts_at_kill} attempts; dialing again after "
            f"{recoveries[-1]:.1f} s"
        )
    assert in_flight, "no kill landed on a call the vendor had accepted: the test proved nothing"
    print(f"\n{vendor}: killed with these calls accepted but not recorded: {in_flight}")
    seconds = wait_until_finished(campaign, process, timeout=FINISH_SECONDS)
    assert campaign.state == Campaign.State.COMPLETED, describe(campaign)
    print(
        f"\n{vendor}: recoveries after kill -9: "
        + ", ".join(f"{value:.1f} s" for value in recoveries)
        + f"; finished {seconds:.1f} s after the last restart: {describe(campaign)}"
    )
    return campaign, audience


def test_a_myoperator_campaign_survives_three_kill_9s_without_a_duplicate_reference(
    sandbox_url, slow_answers, cluster, start_cluster
):
    campaign, audience = crash_three_times("myoperator", sandbox_url, cluster, start_cluster)

    assert_myoperator_survived(campaign, audience)


def test_an_oca_campaign_survives_three_kill_9s_without_dialing_a_number_twice(
    sandbox_url, slow_answers, cluster, start_cluster
):
    campaign, audience = crash_three_times("oca", sandbox_url, cluster, start_cluster)

    assert_oca_survived(campaign, audience)
