"""A CPaaS native campaign through a faulty vendor (the sandbox answering 20% of requests
with 5xx and hanging 5% before a 5xx): one vendor campaign, every contact pushed once
into it, and the attempts still agree with the sandbox's calls."""

import random
from collections import Counter
from datetime import timedelta

import pytest

from campaigns.engine import native
from campaigns.models import VendorPush
from telephony.models import ProviderRequest, SandboxConfig, SandboxRecord
from tests.campaigns.native_helpers import (
    cpaas_account,
    digits,
    make_campaign,
    run_to_the_end,
    vendor_calls,
    vendor_campaign,
    vendor_members,
)

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def account(live_server):
    return cpaas_account(live_server)


@pytest.fixture
def faulty_sandbox(monkeypatch):
    monkeypatch.setattr(VendorPush, "BATCH_SIZE", 5)
    # Retries enough that a 20% fault rate does not beat them, without pauses.
    monkeypatch.setattr(VendorPush, "RETRY_DELAYS", (0,) * 6)
    monkeypatch.setattr(native, "CREATE_RETRY_DELAYS", (0,) * 6)
    config = SandboxConfig.for_vendor("cpaas")
    config.time_scale = 600
    config.error_rate = 0.20
    config.timeout_rate = 0.05
    config.timeout_seconds = 0.05
    config.save()
    # The sandbox rolls its faults with `random` in this process: the same faults each run.
    random.seed(5)


def test_a_campaign_through_a_faulty_vendor_is_created_once_and_counted_right(
    account, faulty_sandbox
):
    campaign = make_campaign(account, targets=30, starts_in=timedelta(0), calls_per_minute=600)

    native.launch(campaign)
    campaign.refresh_from_db()
    # Launch hands over to the runner, which syncs at once (in tests, inline): a fast
    # sandbox may have finished already.
    assert campaign.state in ("running", "completed"), campaign.state_reason
    run_to_the_end(campaign, timeout=60)

    faults = ProviderRequest.objects.filter(account=account, ok=False)
    assert faults.exists(), "the sandbox injected no fault"
    assert SandboxRecord.objects.filter(vendor="cpaas", kind="campaign").count() == 1
    record = vendor_campaign(campaign)
    assert set(vendor_members(record.data["list_id"])) == {
        digits(target.number) for target in campaign.targets.all()
    }
    calls = list(vendor_calls(campaign))
    attempts = list(campaign.attempts.all())
    assert Counter(digits(a.number) for a in attempts) == Counter(c.to_number for c in calls)
    assert campaign.funnel()["done"] == 30
