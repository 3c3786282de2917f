"""Reading a CPaaS native campaign back from the CPaaS sandbox over real HTTP: CDRs as
attempts, the targets' states, the counts against the sandbox's own SandboxCall rows,
the vendor's statistics, completion, and DND numbers added mid-run."""

from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone

from campaigns.engine import attempt_reference, native
from campaigns.models import CampaignAttempt, DndEntry
from campaigns.models.campaigns import NOT_DIALED
from telephony.models import SandboxCall, SandboxRecord
from telephony.vendors.base import CallStatus
from tests.campaigns.native_helpers import (
    cpaas_account,
    digits,
    dnd_list,
    make_campaign,
    quicken,
    run_to_the_end,
    sandbox_speed,
    start_now,
    vendor_calls,
    vendor_campaign,
    vendor_members,
)
from tests.factories import CampaignFactory
from tests.telephony.vendors.cpaas_helpers import number_for, wait_until

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture(autouse=True)
def quick(monkeypatch):
    quicken(monkeypatch)


@pytest.fixture
def account(live_server):
    return cpaas_account(live_server)


# Sandbox outcomes -> the normalized status our attempts carry (the vendor's DIALSTATUS).
OUTCOMES = {
    "answered": "answered",
    "busy": "busy",
    "no_answer": "no_answer",
    "unavailable": "unavailable",
    "failed": "congestion",
    "dnd_blocked": "dnd_blocked",
}


@pytest.fixture
def fast_sandbox():
    sandbox_speed(600)


def test_a_finished_campaign_s_attempts_and_targets_agree_with_the_sandbox_s_calls(
    account, fast_sandbox
):
    campaign = make_campaign(
        account,
        targets=24,
        starts_in=timedelta(0),
        calls_per_minute=600,
        max_retries=2,
        retry_statuses=["busy", "no_answer", "unavailable"],
    )
    native.launch(campaign)

    run_to_the_end(campaign)

    calls = list(vendor_calls(campaign).order_by("pk"))
    attempts = list(campaign.attempts.select_related("target"))
    assert len(calls) >= 24
    assert len(attempts) == len(calls)
    # Per number: as many attempts as the vendor placed calls, each outcome the same.
    assert Counter(digits(a.number) for a in attempts) == Counter(c.to_number for c in calls)
    by_number = {}
    for call in calls:
        by_number.setdefault(call.to_number, []).append(OUTCOMES[call.outcome])
    for attempt in attempts:
        assert attempt.status == by_number[digits(attempt.number)][attempt.attempt - 1]
        assert attempt.reference_id == attempt_reference(
            campaign.pk, campaign.run, attempt.target_id, attempt.attempt
        )
        assert attempt.dialed_at is not None and attempt.ended_at is not None
    assert len({attempt.vendor_call_id for attempt in attempts}) == len(attempts)
    # Targets: answered if any call was, else failed with the last call's status.
    for target in campaign.targets.all():
        outcomes = by_number[digits(target.number)]
        assert target.attempts == len(outcomes)
        if "answered" in outcomes:
            assert (target.status, target.last_status) == ("answered", "answered")
        else:
            assert (target.status, target.last_status) == ("failed", outcomes[-1])
    funnel = campaign.funnel()
    answered_numbers = {call.to_number for call in calls if call.outcome == "answered"}
    assert funnel["answered"] == len(answered_numbers)
    assert funnel["done"] == funnel["total"] == 24
    # The vendor's statistics count the same calls.
    stats = native.statistics(campaign)
    assert stats.total == len(calls)
    assert stats[CallStatus.ANSWERED] == sum(c.outcome == "answered" for c in calls)
    assert campaign.vendor_status == "completed" and campaign.last_synced_at is not None
    assert campaign.last_dial_at == max(attempt.dialed_at for attempt in attempts)


def test_the_vendor_speaks_each_contact_s_own_announcement(account, fast_sandbox):
    campaign = make_campaign(account, targets=3, starts_in=timedelta(0), calls_per_minute=600)
    native.launch(campaign)

    run_to_the_end(campaign)

    targets = {digits(target.number): target for target in campaign.targets.all()}
    for call in vendor_calls(campaign):
        target = targets[call.to_number]
        assert call.params["announcement"] == campaign.render_for(target.values())
        assert call.params["announcement"].startswith(f"Hello {target.fields['first name']},")


def test_sync_twice_changes_nothing(account, fast_sandbox):
    campaign = make_campaign(account, targets=6, starts_in=timedelta(0), calls_per_minute=600)
    native.launch(campaign)
    run_to_the_end(campaign)
    before = list(CampaignAttempt.objects.order_by("pk").values())

    native.sync(campaign)

    assert list(CampaignAttempt.objects.order_by("pk").values("id", "reference_id")) == [
        {"id": row["id"], "reference_id": row["reference_id"]} for row in before
    ]
    assert CampaignAttempt.objects.count() == vendor_calls(campaign).count()


def test_a_failure_the_vendor_will_retry_shows_as_retry_scheduled(account):
    sandbox_speed(600)
    campaign = make_campaign(
        account,
        targets=1,
        starts_in=timedelta(0),
        calls_per_minute=600,
        max_retries=1,
        retry_interval=36000,  # a real minute at this speed: still waiting when read
        retry_statuses=["busy", "no_answer", "unavailable", "congestion"],
    )
    # A number whose first call fails under the sandbox's seed.
    number = number_for("busy")
    campaign.targets.update(number=f"+{number}")
    native.launch(campaign)

    def first_call_over():
        native.sync(campaign)
        return campaign.attempts.exists()

    wait_until(first_call_over, timeout=20, interval=0.2)
    target = campaign.targets.get()
    assert (target.status, target.last_status, target.attempts) == ("retry", "busy", 1)
    assert target.next_attempt_at is not None
    assert campaign.state == "running" and campaign.vendor_status == "running"


def test_numbers_the_vendor_never_dialed_fail_with_the_reason_when_it_completes(
    account, fast_sandbox
):
    campaign = make_campaign(account, targets=2, calls_per_minute=600)
    native.launch(campaign)
    campaign.refresh_from_db()
    # The vendor lost one number (removed from its list before it dialed).
    record = vendor_campaign(campaign)
    SandboxRecord.objects.filter(
        vendor="cpaas", kind="contact", parent=record.data["list_id"], key__endswith="919800200001"
    ).delete()
    start_now(campaign)

    run_to_the_end(campaign)

    target = campaign.targets.get(number="+919800200001")
    assert (target.status, target.last_status) == ("failed", NOT_DIALED)
    assert target.last_error == "CPaaS ended the campaign without dialing this number."


def test_a_dnd_number_added_mid_run_is_forwarded_and_the_vendor_skips_it(account):
    sandbox_speed(600)
    chosen = dnd_list("Complaints", ["+919800300001"])
    campaign = make_campaign(account, targets=5, calls_per_minute=600)
    campaign.dnd_lists.set([chosen])
    native.launch(campaign)
    campaign.refresh_from_db()
    record = vendor_campaign(campaign)
    assert set(vendor_members(record.data["dnd_list_id"], "dnd_contact")) == {"919800300001"}

    # Mid-run: a customer asks not to be called, on the chosen list and the global one.
    DndEntry.objects.create(dnd_list=chosen, number="+919800200002", name="asked")
    dnd_list("Regulator", ["+919800200004"], is_global=True)
    native.sync(campaign)

    assert set(vendor_members(record.data["dnd_list_id"], "dnd_contact")) == {
        "919800300001",
        "919800200002",
        "919800200004",
    }
    start_now(campaign)
    run_to_the_end(campaign)

    for number in ("+919800200002", "+919800200004"):
        target = campaign.targets.get(number=number)
        assert (target.status, target.last_status) == ("dnd", "dnd_blocked")
        calls = SandboxCall.objects.filter(to_number=digits(number))
        assert [call.outcome for call in calls] == ["dnd_blocked"]
    assert campaign.funnel()["dnd"] == 2


def test_a_campaign_stopped_at_the_vendor_outside_dialdesk_is_stopped_here(account):
    campaign = make_campaign(account, targets=2)
    native.launch(campaign)
    campaign.refresh_from_db()
    account.client().stop_campaign(campaign_id=campaign.vendor_campaign_id)

    native.sync(campaign)

    assert campaign.state == "stopped"
    assert campaign.state_reason == "Stopped at the vendor, outside Dialdesk."


def test_unreadable_progress_says_why_in_the_vendor_s_words(account):
    campaign = make_campaign(account, targets=2)
    native.launch(campaign)
    campaign.refresh_from_db()
    account.set_secrets({"auth": "wrong"})
    account.save()

    assert native.sync(campaign) == ("Cannot read the campaign from CPaaS: Invalid account or auth")
    campaign.refresh_from_db()
    assert campaign.idle_reason == "Cannot read the campaign from CPaaS: Invalid account or auth"
    assert campaign.idle_since is not None and campaign.state == "running"


def test_the_watchdog_syncs_running_native_campaigns_and_for_a_while_after_they_finish(
    account,
):
    now = timezone.now()
    running = make_campaign(account, state="running", vendor_campaign_id="CM1")
    stopped = make_campaign(
        account, state="stopped", vendor_campaign_id="CM2", finished_at=now - timedelta(minutes=5)
    )
    make_campaign(
        account, state="completed", vendor_campaign_id="CM3", finished_at=now - timedelta(hours=1)
    )
    make_campaign(account, state="scheduled")  # not at the vendor yet
    CampaignFactory(state="running")  # the engine's, not native

    assert set(native.sync_due(now)) == {running, stopped}


def test_a_native_campaigns_runner_syncs_every_few_seconds_under_the_lease(
    account, settings, monkeypatch
):
    """The runner of a CPaaS campaign (native.follow) keeps its page moving: it syncs
    repeatedly within its budget, holds the runner lease meanwhile, and gives it back."""
    settings.CAMPAIGN_NATIVE_SYNC_SECONDS = 0.05
    campaign = make_campaign(account, targets=3, starts_in=timedelta(0))
    native.launch(campaign)
    campaign.refresh_from_db()
    synced, seen_tokens = [], []
    real_sync = native.sync

    def counting_sync(c):
        synced.append(1)
        seen_tokens.append(type(c).objects.get(pk=c.pk).runner_token)
        return real_sync(c)

    monkeypatch.setattr(native, "sync", counting_sync)
    campaign.state = "running"
    type(campaign).objects.filter(pk=campaign.pk).update(state="running")

    result, carry_on = native.follow(campaign, budget=0.4)

    assert len(synced) >= 3, result
    assert all(seen_tokens), "a sync ran without the runner lease held"
    campaign.refresh_from_db()
    assert campaign.runner_token == ""  # released for the next runner


def test_a_second_runner_of_a_native_campaign_steps_aside(account):
    campaign = make_campaign(account, targets=1, starts_in=timedelta(0))
    type(campaign).objects.filter(pk=campaign.pk).update(
        state="running", runner_token="someone-else", runner_seen_at=timezone.now()
    )

    result, carry_on = native.follow(campaign, budget=1)

    assert result == "another runner holds this campaign"
    assert carry_on is False
