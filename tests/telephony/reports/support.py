"""Random calls for the reports' tests, put in through the sync's own ingest, so the
rollups are maintained exactly as in production."""

import random
from datetime import UTC, datetime, timedelta

from telephony.sync.ingest import ingest
from telephony.vendors.base import CallStatus, NormalizedCDR
from tests.factories import CampaignFactory, ProviderAccountFactory

START = datetime(2026, 11, 20, 0, 0, tzinfo=UTC)
SPAN_DAYS = 12
CALLER_IDS = ["+918069000001", "+918069000002", ""]


def random_cdr(rng, index: int, **overrides) -> NormalizedCDR:
    status = rng.choice(list(CallStatus))
    billable = rng.choice([0, 3, 9, 10, 11, 45, 300]) if status == CallStatus.ANSWERED else 0
    started = START + timedelta(seconds=rng.randrange(SPAN_DAYS * 86400))
    fields = {
        "vendor_call_id": f"call-{index}",
        "status": status,
        "caller_id": rng.choice(CALLER_IDS),
        "customer_number": f"+9198765{rng.randrange(10**5):05d}",
        "started_at": started,
        "answered_at": started if billable else None,
        "ended_at": started + timedelta(seconds=billable + 5),
        "duration_seconds": billable + rng.randrange(0, 30),
        "billable_seconds": billable,
        "raw": {"event": rng.choice([1, 2]), "status": rng.choice([1, 2, 3]), "type": 1},
    }
    fields.update(overrides)
    return NormalizedCDR(**fields)


def random_calls(seed: int = 20261204, count: int = 600, kinds=("cpaas", "myoperator")):
    """`count` random calls over two accounts, two campaigns each plus calls without one.
    Returns the accounts and campaigns."""
    rng = random.Random(seed)
    accounts = [ProviderAccountFactory(kind=kind) for kind in kinds]
    campaigns = [CampaignFactory(account=account) for account in accounts for _ in range(2)]
    index = 0
    for account in accounts:
        for campaign in [c for c in campaigns if c.account_id == account.pk] + [None]:
            batch = [random_cdr(rng, index + n) for n in range(count // (len(kinds) * 3))]
            index += len(batch)
            ingest(account, batch, campaign=campaign)
    return accounts, campaigns
