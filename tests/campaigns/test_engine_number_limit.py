# ruff: noqa: F811 (pytest fixtures are imported by name, then requested as arguments)
"""MyOperator's per-number daily limit (403 "Maximum number of requests for this number
have exceeded.") defers that one number to its own next local day; everyone else keeps
dialing, the refused dial is not counted, and the page says how many numbers wait."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse

from campaigns.engine import Runner, local_day_bounds
from campaigns.models import Campaign, CampaignAttempt, CampaignTarget
from telephony.models import SandboxConfig
from telephony.vendors.myoperator.client import MyOperatorClient
from tests.campaigns.engine_support import (
    MO_IVR,
    fast_engine,  # noqa: F401
    make_account,
    make_campaign,
    mo_number,
    sandbox_calls,
    sandbox_url,  # noqa: F401
    settle,
)

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

LIMIT = "Maximum number of requests for this number have exceeded."


def one_call_per_number(on: bool = True):
    config = SandboxConfig.for_vendor("myoperator")
    config.account_faults = ["one_call_per_number"] if on else []
    config.save()


@pytest.fixture
def limited(sandbox_url, fast_engine):
    """A MyOperator account whose number A was already called today, on a sandbox that
    allows one call per number a day; a running campaign over A, B and C, A in India."""
    account = make_account("myoperator", sandbox_url)
    a, b, c = (mo_number("answered", skip=n) for n in range(3))
    client = MyOperatorClient(account)
    client.call_ivr(number=a, public_ivr_id=MO_IVR, reference_id="earlier-today-1")
    client.http.session.close()
    one_call_per_number()
    campaign = make_campaign(account, [a, b, c], zones={a: "Asia/Kolkata"})
    return campaign, a, b, c


def test_the_limited_number_waits_for_its_next_local_day_and_the_others_are_dialed(limited):
    campaign, a, b, c = limited
    runner = Runner(campaign)
    assert runner.step() == 3
    settle(runner, campaign)

    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.RUNNING and runner.blocked_until is None
    target = campaign.targets.get(number=a)
    assert target.status == CampaignTarget.Status.PENDING and target.attempts == 0
    assert target.wait_reason == CampaignTarget.WaitReason.VENDOR_DAY_LIMIT
    _, next_day = local_day_bounds(target.updated_at, "Asia/Kolkata")
    assert target.next_attempt_at == next_day
    assert LIMIT in target.last_error
    for number in (b, c):
        assert campaign.targets.get(number=number).status == CampaignTarget.Status.ANSWERED
    # The refused dial is not a dial: uncounted, and sent later under a fresh reference id.
    attempt = campaign.attempts.get(number=a)
    assert (attempt.status, attempt.dialed_at) == (CampaignAttempt.Status.QUEUED, None)
    assert attempt.reference_id.endswith("-r1")
    assert campaign.waiting_for_vendor_day_limit() == 1
    runner.close()


def test_the_limited_number_is_not_tried_again_the_same_day(limited):
    campaign, a, b, c = limited
    runner = Runner(campaign)
    runner.step()
    settle(runner, campaign)
    for _ in range(3):
        runner.step()
    runner.close()
    assert sandbox_calls(a, vendor="myoperator").count() == 1  # only the earlier call
    assert campaign.attempts.filter(number=a).count() == 1


def test_on_its_next_local_day_the_number_is_dialed_once(limited):
    campaign, a, b, c = limited
    runner = Runner(campaign)
    runner.step()
    settle(runner, campaign)
    runner.close()
    due = campaign.targets.get(number=a).next_attempt_at

    one_call_per_number(False)  # the vendor's day turned too
    with time_machine.travel(due + timedelta(minutes=1), tick=True):
        runner = Runner(campaign)
        assert runner.step() == 1
        settle(runner, campaign)
        runner.close()
        campaign.refresh_from_db()

    target = campaign.targets.get(number=a)
    assert (target.status, target.attempts, target.wait_reason) == ("answered", 1, "")
    attempt = campaign.attempts.get(number=a)
    assert attempt.status == "answered" and attempt.attempt == 1
    assert (
        sandbox_calls(a, vendor="myoperator").filter(reference_id=attempt.reference_id).count() == 1
    )
    assert campaign.waiting_for_vendor_day_limit() == 0


def test_the_campaign_page_says_how_many_numbers_wait_for_the_vendors_daily_limit(
    limited, supervisor_client
):
    campaign, a, b, c = limited
    runner = Runner(campaign)
    runner.step()
    settle(runner, campaign)
    runner.close()

    page = supervisor_client.get(reverse("campaigns:campaign_detail", args=[campaign.pk]))
    text = page.content.decode()
    assert 'id="vendor-day-limit"' in text
    assert "1 number waits for its next local day" in text


def test_when_only_limited_numbers_are_left_the_campaign_says_why_it_waits(
    sandbox_url, fast_engine
):
    account = make_account("myoperator", sandbox_url)
    number = mo_number("answered")
    client = MyOperatorClient(account)
    client.call_ivr(number=number, public_ivr_id=MO_IVR, reference_id="earlier-today-2")
    client.http.session.close()
    one_call_per_number()
    campaign = make_campaign(account, [number])
    runner = Runner(campaign)
    assert runner.step() == 1
    assert runner.step() == 0
    runner.close()
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.RUNNING
    assert campaign.idle_reason.startswith(
        "Every remaining contact reached the vendor's daily limit of calls to its number; "
        "next try on its next local day, at "
    )
