# ruff: noqa: F811 (pytest fixtures are imported by name, then requested as arguments)
"""The engine when the vendor misbehaves or a worker dies: a lost answer is resent with
the same reference id to MyOperator (never a second call) and never redialed on OCA;
rate limits and 5xx put the same attempt back in the queue; refused credentials or an
unknown IVR pause the campaign and consume no contact; a permanent rejection of a number
fails that contact with the vendor's words."""

import time
from datetime import timedelta
from unittest import mock

import pytest
import time_machine
from django.utils import timezone

from campaigns.engine import Runner, attempt_reference, build_targets
from campaigns.models import Campaign, CampaignAttempt, CampaignTarget
from telephony.models import SandboxCall, SandboxConfig
from telephony.vendors.oca import sandbox as oca_sandbox
from tests.campaigns.engine_support import (
    fast_engine,  # noqa: F401
    make_account,
    make_campaign,
    mo_number,
    oca_number,
    sandbox_calls,
    sandbox_url,  # noqa: F401
    settle,
)

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def oca(sandbox_url, fast_engine):
    return make_account("oca", sandbox_url)


@pytest.fixture
def myoperator(sandbox_url, fast_engine):
    return make_account("myoperator", sandbox_url)


@pytest.fixture
def short_timeout(settings):
    """The vendor's answer is given up on after half a second."""
    settings.VENDOR_HTTP = {**settings.VENDOR_HTTP, "read_timeout": 0.5}


def sandbox(vendor, **fields):
    config = SandboxConfig.for_vendor(vendor)
    for name, value in fields.items():
        setattr(config, name, value)
    config.save()


def make_due(campaign):
    CampaignTarget.objects.filter(campaign=campaign, status="pending").update(
        next_attempt_at=timezone.now()
    )


def test_an_oca_request_that_times_out_is_marked_unknown_and_never_redialed(oca, short_timeout):
    number = oca_number("answered")
    campaign = make_campaign(oca, [number])
    runner = Runner(campaign)
    runner.dialer.client.list_ivrs()  # a worker that has read the IVR list already
    sandbox("oca", timeout_rate=1.0, timeout_seconds=1.0)

    assert runner.step() == 1

    attempt = campaign.attempts.get()
    assert attempt.status == CampaignAttempt.Status.UNKNOWN
    assert "not redialed so the customer is not called twice" in attempt.error
    target = campaign.targets.get()
    assert (target.status, target.last_status, target.attempts) == ("failed", "unknown", 1)
    sandbox("oca", timeout_rate=0.0)
    assert runner.step() == 0
    assert campaign.attempts.count() == 1
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.COMPLETED


def test_a_timeout_before_the_call_request_itself_is_not_a_lost_call(oca, short_timeout):
    campaign = make_campaign(oca, [oca_number("answered")])
    sandbox("oca", timeout_rate=1.0, timeout_seconds=1.0)  # the IVR list read hangs
    runner = Runner(campaign)

    assert runner.step() == 1

    attempt = campaign.attempts.get()
    assert attempt.status == CampaignAttempt.Status.QUEUED
    assert attempt.error == "The vendor failed: The vendor did not answer in time."
    assert campaign.targets.get().status == CampaignTarget.Status.PENDING
    sandbox("oca", timeout_rate=0.0)
    make_due(campaign)
    assert runner.step() == 1
    attempt.refresh_from_db()
    assert attempt.status == CampaignAttempt.Status.PLACED


def test_a_myoperator_call_whose_answer_was_lost_is_resent_with_the_same_reference_and_not_placed_twice(  # noqa: E501
    myoperator, short_timeout
):
    number = mo_number("answered")
    campaign = make_campaign(myoperator, [number])
    # The sandbox takes 1.5 s, then places the call: we stop listening after 0.5 s.
    sandbox("myoperator", latency_ms=1500)
    runner = Runner(campaign)

    assert runner.step() == 1

    attempt = campaign.attempts.get()
    reference = attempt_reference(campaign.pk, campaign.run, attempt.target_id, 1)
    assert attempt.reference_id == reference
    assert attempt.status == CampaignAttempt.Status.QUEUED
    assert "same reference id" in attempt.error
    deadline = time.monotonic() + 5
    while not SandboxCall.objects.filter(reference_id=reference).exists():
        assert time.monotonic() < deadline, "the sandbox never placed the first call"
        time.sleep(0.05)
    sandbox("myoperator", latency_ms=0)
    make_due(campaign)

    assert runner.step() == 1  # sent again: the vendor says the id is taken

    attempt.refresh_from_db()
    assert attempt.status == CampaignAttempt.Status.PLACED
    assert "already" in attempt.error
    assert SandboxCall.objects.filter(reference_id=reference).count() == 1
    assert campaign.attempts.count() == 1
    settle(runner, campaign)
    attempt.refresh_from_db()
    assert attempt.status == CampaignAttempt.Status.ANSWERED
    assert attempt.vendor_call_id == SandboxCall.objects.get(reference_id=reference).call_id
    assert campaign.targets.get().status == CampaignTarget.Status.ANSWERED


def test_myoperator_outcomes_are_read_from_the_logs_by_reference_id(myoperator):
    answered, busy = mo_number("answered"), mo_number("busy")
    campaign = make_campaign(myoperator, [answered, busy], retry_statuses=[])
    runner = Runner(campaign)
    assert runner.step() == 2

    settle(runner, campaign)
    runner.step()

    targets = {target.number: target for target in campaign.targets.all()}
    assert targets[answered].status == CampaignTarget.Status.ANSWERED
    assert (targets[busy].status, targets[busy].last_status) == ("failed", "busy")
    for attempt in campaign.attempts.all():
        call = SandboxCall.objects.get(reference_id=attempt.reference_id)
        assert attempt.vendor_call_id == call.call_id
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.COMPLETED


def test_an_attempt_left_dialing_by_a_dead_oca_worker_becomes_unknown_and_is_not_redialed(oca):
    campaign = make_campaign(oca, [oca_number("answered")])
    crashed = Runner(campaign)
    build_targets(campaign)
    ids = list(campaign.targets.values_list("id", flat=True))
    crashed.take(ids, timezone.now())  # the row is written, the request never sent

    with time_machine.travel(timezone.now() + timedelta(minutes=5), tick=True):
        Runner(campaign).step()

    attempt = campaign.attempts.get()
    assert attempt.status == CampaignAttempt.Status.UNKNOWN
    assert campaign.targets.get().last_status == "unknown"
    assert sandbox_calls(vendor="oca").count() == 0


def test_an_attempt_left_dialing_by_a_dead_myoperator_worker_is_sent_once_with_its_own_reference(  # noqa: E501
    myoperator,
):
    campaign = make_campaign(myoperator, [mo_number("answered")])
    build_targets(campaign)
    ids = list(campaign.targets.values_list("id", flat=True))
    [(attempt, target)] = Runner(campaign).take(ids, timezone.now())

    with time_machine.travel(timezone.now() + timedelta(minutes=5), tick=True):
        assert Runner(campaign).step() == 1

    attempt.refresh_from_db()
    assert attempt.status == CampaignAttempt.Status.PLACED
    assert campaign.attempts.count() == 1
    assert SandboxCall.objects.filter(reference_id=attempt.reference_id).count() == 1


def test_rejected_credentials_pause_the_campaign_by_the_vendor_and_consume_no_contact(
    sandbox_url, fast_engine
):
    account = make_account("oca", sandbox_url, password="not-the-password")
    campaign = make_campaign(account, [oca_number("answered")])
    runner = Runner(campaign)

    assert runner.step() == 1
    attempt = campaign.attempts.get()
    assert attempt.status == CampaignAttempt.Status.QUEUED and attempt.dialed_at is None
    assert campaign.targets.get().status == CampaignTarget.Status.PENDING
    campaign.refresh_from_db()
    assert campaign.paused_by_vendor and campaign.state_label == "Paused by the vendor"
    assert campaign.vendor_error == "Invalid Authentication Credentials"
    assert "dashboard login" in campaign.vendor_hint
    assert runner.step() == 0 and runner.stopped
    runner.close()

    account.set_secrets({"password": oca_sandbox.SANDBOX_CREDENTIALS["password"]})
    account.save()
    with mock.patch("campaigns.engine.runner_enqueue"):
        assert campaign.resume()[0]
    with time_machine.travel(timezone.now() + timedelta(seconds=3), tick=True):
        assert Runner(campaign).step() == 1

    assert campaign.attempts.count() == 1
    attempt.refresh_from_db()
    assert attempt.status == CampaignAttempt.Status.PLACED and attempt.attempt == 1


def test_a_vendor_rate_limit_pauses_dialing_and_says_so(oca):
    oca_sandbox.update_tenant(oca_sandbox.SANDBOX_CREDENTIALS["username"], max_concurrent_calls=1)
    sandbox("oca", time_scale=1.0)  # calls last: the second one finds the line busy
    campaign = make_campaign(oca, [oca_number("answered"), oca_number("answered", skip=1)])
    runner = Runner(campaign)

    assert runner.step() == 2
    statuses = sorted(campaign.attempts.values_list("status", flat=True))
    assert statuses == ["placed", "queued"]
    assert runner.step() == 0
    campaign.refresh_from_db()
    assert campaign.idle_reason == "The vendor is rate limiting us."


def test_a_server_error_puts_the_attempt_back_and_the_retry_uses_the_same_reference(oca):
    campaign = make_campaign(oca, [oca_number("answered")])
    sandbox("oca", error_rate=1.0)
    runner = Runner(campaign)
    runner.step()
    attempt = campaign.attempts.get()
    assert attempt.status == CampaignAttempt.Status.QUEUED
    assert attempt.error.startswith("The vendor failed: ")

    sandbox("oca", error_rate=0.0)
    make_due(campaign)
    assert runner.step() == 1
    attempt.refresh_from_db()
    assert attempt.status == CampaignAttempt.Status.PLACED
    assert campaign.attempts.count() == 1 and sandbox_calls(vendor="oca").count() == 1


def test_a_contact_the_ivr_cannot_be_filled_for_is_rejected_with_the_reason(oca):
    tenant = oca_sandbox.SANDBOX_CREDENTIALS["username"]
    campaign = make_campaign(
        oca,
        [oca_number("answered")],
        ivr_id=oca_sandbox.ivr_id_for(tenant, "resti"),  # needs name and nomor_inet
        ivr_variables={"name": "{name}", "nomor_inet": "{nomor_inet}"},
    )
    Runner(campaign).step()

    attempt = campaign.attempts.get()
    assert attempt.status == CampaignAttempt.Status.REJECTED
    assert "nomor_inet" in attempt.error
    target = campaign.targets.get()
    assert (target.status, target.last_status) == ("failed", "rejected")
    assert "nomor_inet" in target.last_error


def test_an_ivr_the_account_does_not_have_pauses_the_campaign_with_the_reason(oca):
    campaign = make_campaign(oca, [oca_number("answered")], ivr_id="no-such-ivr")
    Runner(campaign).step()

    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.PAUSED and campaign.paused_by == "setup"
    assert "no IVR with id no-such-ivr" in campaign.state_reason
    # Nothing consumed: the number waits, undialed, for the campaign to be fixed.
    target = campaign.targets.get()
    assert (target.status, target.attempts) == (CampaignTarget.Status.PENDING, 0)
    attempt = campaign.attempts.get()
    assert attempt.status == CampaignAttempt.Status.QUEUED and attempt.dialed_at is None
    assert attempt.error.startswith("Not sent, sent again on resume: Dialdesk cannot send")
    assert sandbox_calls(vendor="oca").count() == 0


def test_a_placed_call_the_vendor_never_reports_on_is_given_up_as_unknown_after_hours(oca):
    campaign = make_campaign(oca, [oca_number("answered")])
    build_targets(campaign)
    [(attempt, _)] = Runner(campaign).take(
        list(campaign.targets.values_list("id", flat=True)), timezone.now()
    )
    CampaignAttempt.objects.filter(pk=attempt.pk).update(status="placed", vendor_call_id="gone")
    runner = Runner(campaign)
    runner.step()
    assert campaign.attempts.get().status == CampaignAttempt.Status.PLACED  # still asking

    with time_machine.travel(timezone.now() + timedelta(hours=7), tick=True):
        runner.read_outcomes(force=True)
        runner.step()

    attempt.refresh_from_db()
    assert attempt.status == CampaignAttempt.Status.UNKNOWN
    assert attempt.error == "The vendor reported no outcome within 6 hours."
    assert campaign.targets.get().last_status == "unknown"
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.COMPLETED


def test_a_myoperator_call_sent_by_a_worker_killed_before_it_read_the_answer_gets_its_outcome(
    sandbox_url, fast_engine
):
    account = make_account("myoperator", sandbox_url)
    campaign = make_campaign(account, [mo_number("answered")])
    build_targets(campaign)
    ids = list(campaign.targets.values_list("id", flat=True))
    crashed = Runner(campaign)
    [(attempt, target)] = crashed.take(ids, timezone.now())
    # The vendor places the call; the worker dies before it records the answer.
    crashed.dialer.dial(target, attempt.reference_id)
    crashed.dialer.close()

    # Minutes later (the lease went stale) a new runner resends the same reference id:
    # "already taken", so the first send placed it; the outcome search must still reach
    # back to that first send.
    with time_machine.travel(timezone.now() + timedelta(minutes=3), tick=True):
        runner = Runner(campaign)
        runner.step()  # stale DIALING -> resent with the same reference -> "already taken"
        for _ in range(20):
            runner.read_outcomes(force=True)
            attempt.refresh_from_db()
            if attempt.status != CampaignAttempt.Status.PLACED:
                break
            time.sleep(0.1)
        runner.close()

    assert SandboxCall.objects.filter(reference_id=attempt.reference_id).count() == 1
    attempt.refresh_from_db()
    assert attempt.status == CampaignAttempt.Status.ANSWERED, (attempt.status, attempt.dialed_at)
