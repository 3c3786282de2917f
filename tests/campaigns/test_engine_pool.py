# ruff: noqa: F811 (pytest fixtures are imported by name, then requested as arguments)
"""At high rates the runner dials from a pool of threads: every target is dialed exactly
once, each outcome is recorded, and the pool's threads let go of their connections."""

import pytest

from campaigns.engine import Runner
from campaigns.models import Campaign, CampaignTarget
from telephony.models import SandboxCall
from tests.campaigns.engine_support import (
    make_account,
    make_campaign,
    oca_number,
    sandbox_url,  # noqa: F401
)
from tests.qcluster import ON_POSTGRES

pytestmark = [
    pytest.mark.services,
    # Threads writing at once: SQLite's shared in-memory test database locks whole tables.
    pytest.mark.skipif(not ON_POSTGRES, reason="concurrent dialing threads need PostgreSQL"),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_a_fast_campaign_dials_from_a_thread_pool_and_completes_with_each_number_once(
    sandbox_url, settings
):
    settings.CAMPAIGN_DIAL_LATENCY = 0.3
    settings.CAMPAIGN_DIAL_THREADS = 4
    settings.CAMPAIGN_OUTCOME_POLL_SECONDS = 0.1
    account = make_account("oca", sandbox_url)
    numbers = [oca_number("answered", skip=n) for n in range(12)] + [
        oca_number("no_answer", skip=n) for n in range(8)
    ]
    campaign = make_campaign(account, numbers, calls_per_minute=6000, retry_statuses=[])
    runner = Runner(campaign)
    assert runner.threads == 4

    result = runner.run(budget=30)

    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.COMPLETED, (result, campaign.idle_reason)
    assert runner.pool is None  # shut down, threads joined
    assert campaign.attempts.count() == 20
    assert SandboxCall.objects.filter(vendor="oca").count() == 20
    assert SandboxCall.objects.values("to_number").distinct().count() == 20
    funnel = campaign.funnel()
    assert funnel["answered"] == 12
    assert funnel["failed_by"] == {"no_answer": 8}
    assert not campaign.targets.exclude(
        status__in=[CampaignTarget.Status.ANSWERED, CampaignTarget.Status.FAILED]
    ).exists()
