"""Set-based measure upserts (telephony/sync/upserts.py), on whichever database the suite
runs: new keys are inserted, known keys summed, a key something left is decreased and
deleted at zero calls, and a key without a campaign is one row, not one per write."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from telephony.models import CallRollup
from telephony.models.cdr import ROLLUP_MEASURES
from telephony.sync.upserts import add_measures
from tests.factories import CampaignFactory, ProviderAccountFactory

pytestmark = pytest.mark.django_db

KEYS = ("bucket", "account_id", "campaign_id", "caller_id", "status")
BUCKET = datetime(2026, 11, 1, 5, 15, tzinfo=UTC)


def measures(calls, answered=0, seconds=0):
    values = dict.fromkeys(ROLLUP_MEASURES, 0)
    values.update(calls=calls, answered=answered, billable_seconds=seconds)
    return [values[name] for name in ROLLUP_MEASURES]


def table():
    return {
        (row.campaign_id, row.caller_id, row.status): (row.calls, row.billable_seconds)
        for row in CallRollup.objects.all()
    }


@pytest.fixture
def keys():
    account = ProviderAccountFactory()
    campaign = CampaignFactory(account=account)
    return (
        (BUCKET, account.pk, campaign.pk, "+918069000001", "answered"),
        (BUCKET, account.pk, None, "+918069000001", "answered"),
        (BUCKET, account.pk, None, "+918069000001", "busy"),
    ), campaign.pk


def test_new_keys_are_inserted_and_known_keys_are_summed(keys):
    (with_campaign, without, busy), campaign_id = keys
    add_measures(CallRollup, KEYS, ROLLUP_MEASURES, {with_campaign: measures(2, 2, 40)})
    add_measures(
        CallRollup,
        KEYS,
        ROLLUP_MEASURES,
        {with_campaign: measures(1, 1, 5), without: measures(3, 3, 30), busy: measures(1)},
    )
    add_measures(CallRollup, KEYS, ROLLUP_MEASURES, {without: measures(1, 1, 1)})

    assert table() == {
        (campaign_id, "+918069000001", "answered"): (3, 45),
        (None, "+918069000001", "answered"): (4, 31),
        (None, "+918069000001", "busy"): (1, 0),
    }


def test_a_key_something_left_is_decreased_and_deleted_at_zero_calls(keys):
    (with_campaign, without, busy), campaign_id = keys
    add_measures(
        CallRollup,
        KEYS,
        ROLLUP_MEASURES,
        {with_campaign: measures(2, 2, 40), busy: measures(1)},
    )
    # One answered call became busy; the busy call moved elsewhere.
    add_measures(
        CallRollup,
        KEYS,
        ROLLUP_MEASURES,
        {
            with_campaign: measures(-1, -1, -25),
            busy: [-value for value in measures(1)],
            without: measures(1),
        },
    )

    assert table() == {
        (campaign_id, "+918069000001", "answered"): (1, 15),
        (None, "+918069000001", "answered"): (1, 0),
    }


def test_a_batch_of_many_keys_is_a_few_statements_on_postgresql(keys):
    (with_campaign, _without, _busy), _campaign_id = keys
    many = {
        (BUCKET, with_campaign[1], None, f"+9180690{n:05d}", "answered"): measures(1, 1, n)
        for n in range(300)
    }
    with CaptureQueriesContext(connection) as queries:
        assert add_measures(CallRollup, KEYS, ROLLUP_MEASURES, many) == 300
    assert CallRollup.objects.count() == 300
    assert sum(CallRollup.objects.values_list("billable_seconds", flat=True)) == sum(range(300))
    if connection.vendor == "postgresql":
        assert len(queries) == 1  # one INSERT for the whole batch, not one per key
