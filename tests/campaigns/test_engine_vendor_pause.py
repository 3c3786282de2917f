# ruff: noqa: F811 (pytest fixtures are imported by name, then requested as arguments)
"""A vendor answer about the account or the campaign pauses the campaign "by the vendor",
with its words and what to do, and consumes no contact: the refused attempt goes back
uncounted and Resume dials it exactly once. Driven from the vendors' error tables,
through the sandboxes over HTTP."""

import time
from datetime import timedelta
from unittest import mock

import pytest
import time_machine
from django.utils import timezone

from campaigns.engine import Runner
from campaigns.engine.claims import NOT_COUNTED
from campaigns.models import Campaign, CampaignAttempt, CampaignTarget
from telephony.models import SandboxConfig
from telephony.vendors.base import Fault
from telephony.vendors.myoperator import errors as mo_errors
from telephony.vendors.oca import errors as oca_errors
from telephony.vendors.oca import sandbox as oca_sandbox
from tests.campaigns.engine_support import (
    MO_IVR,
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

TENANT = oca_sandbox.SANDBOX_CREDENTIALS["username"]


def switch(vendor: str, *keys: str):
    config = SandboxConfig.for_vendor(vendor)
    config.account_faults = list(keys)
    config.save()


def later(seconds: float = 3):
    """A moment later: the runner's pace starts a new bucket after a recent dial."""
    return time_machine.travel(timezone.now() + timedelta(seconds=seconds), tick=True)


def resume(campaign):
    with mock.patch("campaigns.engine.runner_enqueue"):
        ok, message = campaign.resume()
    assert ok, message


def run_to_the_end(campaign, *, loops: int = 60):
    runner = Runner(campaign)
    try:
        for _ in range(loops):
            if not runner.step():
                time.sleep(runner.pause_seconds())
            settle(runner, campaign)
            campaign.refresh_from_db()
            if campaign.state != Campaign.State.RUNNING:
                return
        raise AssertionError(f"still {campaign.state}")
    finally:
        runner.close()


# How each account-or-campaign error of the tables meets a running campaign: the sandbox
# switch (or account setting) that produces it, and how to put it right.
MO_CASES = {
    "ip_unauthorized": {"switch": "ip_unauthorized"},
    "billing_expired": {"switch": "billing_expired"},
    "company_details_incomplete": {"switch": "company_details_incomplete"},
    "unknown_ivr": {"campaign": {"ivr_id": "no-such-ivr"}},
    "invalid_api_key": {"secrets": {"x_api_key": "not-the-key-0000"}},
}
OCA_CASES = {
    "invalid_credentials": {"secrets": {"password": "not-the-password"}},
    "user_not_exist": {"tenant": {"status": "missing"}},
    "account_expired": {"switch": "account_expired"},
    "quota_not_enough": {"switch": "quota_not_enough"},
}
CASES = [
    pytest.param("myoperator", rule, MO_CASES[rule.key], id=f"myoperator-{rule.key}")
    for rule in mo_errors.OBD_ERRORS
    if rule.key in MO_CASES
] + [
    pytest.param("oca", rule, OCA_CASES[rule.key], id=f"oca-{rule.code}-{rule.key}")
    for rule in oca_errors.ERRORS
    if rule.key in OCA_CASES
]


def test_every_account_error_a_campaign_can_meet_is_a_case():
    """The rest are about the agent (type 1) or our request's shape, which the engine's
    IVR calls never send, or are tested in test_vendor_error_tables."""
    assert all(rule.fault == Fault.ACCOUNT for _, rule, _ in (case.values for case in CASES))
    assert len(CASES) == len(MO_CASES) + len(OCA_CASES)


@pytest.mark.parametrize(("vendor", "rule", "case"), CASES)
def test_an_account_or_campaign_error_pauses_by_the_vendor_and_resume_dials_each_contact_once(
    sandbox_url, fast_engine, vendor, rule, case
):
    account = make_account(vendor, sandbox_url, **case.get("secrets", {}))
    pick = oca_number if vendor == "oca" else mo_number
    numbers = [pick("answered", skip=n) for n in range(3)]
    campaign = make_campaign(account, numbers, **case.get("campaign", {}))
    if "switch" in case:
        switch(vendor, case["switch"])
    if "tenant" in case:
        oca_sandbox.update_tenant(TENANT, **case["tenant"])

    runner = Runner(campaign)
    runner.step()
    runner.close()

    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.PAUSED and campaign.paused_by_vendor
    assert campaign.state_label == "Paused by the vendor"
    assert rule.matches(campaign.vendor_error) and campaign.vendor_hint == rule.hint
    # No contact consumed: every target waits, none has an attempt counted.
    targets = list(campaign.targets.all())
    assert {(t.status, t.attempts) for t in targets} == {(CampaignTarget.Status.PENDING, 0)}
    # The one that met the error, and the ones claimed with it that were never sent.
    attempts = list(campaign.attempts.all())
    assert {(a.status, a.dialed_at) for a in attempts} == {(CampaignAttempt.Status.QUEUED, None)}
    assert CampaignAttempt.Status.QUEUED in NOT_COUNTED
    (refused,) = [a for a in attempts if a.error.startswith("Refused by the vendor")]
    assert campaign.pace().last_minute == 0
    assert sandbox_calls(vendor=vendor).exclude(call_id__startswith="demo-").count() == 0

    # Put right, then resumed: each contact is dialed exactly once, the refused one too.
    switch(vendor)
    if "tenant" in case:
        oca_sandbox.update_tenant(TENANT, status="active")
    if "secrets" in case:
        fixed = make_account(vendor, sandbox_url)
        account.set_secrets(fixed.secrets)
        account.save()
    if "campaign" in case:
        Campaign.objects.filter(pk=campaign.pk).update(ivr_id=MO_IVR)
    resume(campaign)
    with later():
        run_to_the_end(campaign)

    assert campaign.state == Campaign.State.COMPLETED
    for number in numbers:
        assert sandbox_calls(number, vendor=vendor).count() == 1, number
    assert sorted(campaign.attempts.values_list("attempt", flat=True)) == [1, 1, 1]
    refused.refresh_from_db()
    assert refused.status == "answered"


def test_a_refused_myoperator_call_is_resent_with_a_fresh_reference_id(sandbox_url, fast_engine):
    """The docs do not say whether a refused request's reference id is locked; resending it
    could come back "already taken", which means "placed". A fresh id cannot."""
    account = make_account("myoperator", sandbox_url)
    number = mo_number("answered")
    campaign = make_campaign(account, [number])
    switch("myoperator", "billing_expired")
    Runner(campaign).step()
    attempt = campaign.attempts.get()
    first = attempt.reference_id
    assert first.endswith("-r1") and attempt.error.startswith("Refused by the vendor")

    switch("myoperator")
    resume(campaign)
    with later():
        run_to_the_end(campaign)
    attempt.refresh_from_db()
    assert attempt.reference_id == first and attempt.status == "answered"
    assert sandbox_calls(number, vendor="myoperator").get().reference_id == first


def test_oca_quota_running_out_mid_run_pauses_and_every_contact_is_dialed_once_after_resume(
    sandbox_url, fast_engine
):
    account = make_account("oca", sandbox_url)
    numbers = [oca_number("answered", skip=n) for n in range(6)]
    campaign = make_campaign(account, numbers)
    oca_sandbox.update_tenant(TENANT, quota=2)  # two calls left, then code 55
    runner = Runner(campaign)
    runner.step()
    runner.close()
    campaign.refresh_from_db()
    assert campaign.paused_by_vendor and campaign.vendor_error == "Your Quota Is not Enough"
    assert "top up" in campaign.vendor_hint
    assert campaign.targets.filter(attempts=0, status="pending").count() == 4
    assert sandbox_calls(vendor="oca").count() == 2

    oca_sandbox.update_tenant(TENANT, quota=None)  # topped up
    resume(campaign)
    with later(10):
        run_to_the_end(campaign)
    assert campaign.state == Campaign.State.COMPLETED
    for number in numbers:
        assert sandbox_calls(number, vendor="oca").count() == 1
    assert campaign.attempts.count() == 6
    assert set(campaign.attempts.values_list("attempt", flat=True)) == {1}


def test_the_sandbox_quota_switch_pauses_a_running_campaign_until_it_is_switched_off(
    sandbox_url, fast_engine
):
    account = make_account("oca", sandbox_url)
    numbers = [oca_number("answered", skip=n) for n in range(3)]
    campaign = make_campaign(account, numbers, calls_per_minute=60)
    runner = Runner(campaign)
    assert runner.step() == 1  # one call a second
    switch("oca", "quota_not_enough")
    time.sleep(1.05)
    assert runner.step() == 1
    runner.close()
    campaign.refresh_from_db()
    assert campaign.paused_by_vendor

    switch("oca")
    resume(campaign)
    with later(5):
        run_to_the_end(campaign)
    assert [sandbox_calls(number, vendor="oca").count() for number in numbers] == [1, 1, 1]


def test_claimed_calls_not_yet_sent_when_the_vendor_pauses_are_put_back_unsent(
    sandbox_url, fast_engine
):
    account = make_account("oca", sandbox_url)
    numbers = [oca_number("answered", skip=n) for n in range(4)]
    campaign = make_campaign(account, numbers)
    switch("oca", "quota_not_enough")
    runner = Runner(campaign)
    runner.step()  # claims all four inline; the first is refused, the rest never go
    runner.close()

    attempts = list(campaign.attempts.order_by("id"))
    assert len(attempts) == 4
    assert all(a.status == "queued" and a.dialed_at is None for a in attempts)
    refused = [a for a in attempts if a.error.startswith("Refused by the vendor")]
    assert len(refused) == 1
    assert all(a.error == "Not sent: the vendor paused the campaign." for a in attempts[1:])
    assert not attempts[1].reference_id.endswith("-r1")  # never sent: its own id still
    assert campaign.targets.filter(status="pending", attempts=0).count() == 4


def test_a_refused_rest_token_pauses_the_campaign_before_more_calls_go_unheard(
    sandbox_url, fast_engine
):
    """MyOperator: OBD places calls, the REST logs tell their outcomes. A REST token the
    vendor refuses is an account error too: no more calls, and no call given up on."""
    account = make_account("myoperator", sandbox_url, rest_token="not-the-rest-token")
    campaign = make_campaign(account, [mo_number("answered", skip=n) for n in range(3)])
    runner = Runner(campaign)
    runner.step()
    runner.read_outcomes(force=True)
    runner.close()

    campaign.refresh_from_db()
    assert campaign.paused_by_vendor
    assert campaign.vendor_error == ("Reading call outcomes failed: This not an authorized request")
    assert "REST API token" in campaign.vendor_hint
    placed = campaign.attempts.filter(status="placed")
    assert placed.exists() and not placed.filter(checked_at__isnull=False).exists()


def test_an_oca_account_expiring_while_calls_are_out_pauses_and_gives_up_on_no_call(
    sandbox_url, fast_engine
):
    account = make_account("oca", sandbox_url)
    campaign = make_campaign(account, [oca_number("answered", skip=n) for n in range(2)])
    runner = Runner(campaign)
    assert runner.step() == 2
    switch("oca", "account_expired")
    runner.read_outcomes(force=True)
    runner.close()

    campaign.refresh_from_db()
    assert campaign.paused_by_vendor
    assert campaign.vendor_error == "Reading call outcomes failed: Account Expired"
    placed = campaign.attempts.filter(status="placed")
    assert placed.count() == 2 and not placed.filter(checked_at__isnull=False).exists()

    switch("oca")
    resume(campaign)
    with later():
        run_to_the_end(campaign)
    assert set(campaign.attempts.values_list("status", flat=True)) == {"answered"}
