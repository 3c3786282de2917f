"""CallRollup is always exact: over random calls, random updates that move calls between
statuses, buckets, caller ids and campaigns, and random time zones (+05:30, +05:45,
-03:30, ...), every figure the rollups give for a local day equals the same figure
computed by SQL over the raw CallRecords; and `rebuild_rollups` gives the same table."""

import random
import zoneinfo
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.db.models import Count, Q, Sum

from telephony.models import CallRecord, CallRollup
from telephony.models.cdr import ROLLUP_MEASURES
from telephony.sync.ingest import ingest
from telephony.vendors.base import CallStatus, NormalizedCDR
from tests.factories import CampaignFactory, ProviderAccountFactory

pytestmark = pytest.mark.django_db

ZONES = [
    "Asia/Kolkata",  # +05:30
    "Asia/Kathmandu",  # +05:45
    "America/St_Johns",  # -03:30 / -02:30
    "Australia/Eucla",  # +08:45
    "Pacific/Chatham",  # +12:45 / +13:45
    "America/Sao_Paulo",
    "UTC",
]
CALLER_IDS = ["+919876543210", "+919876543211", ""]
START = datetime(2026, 11, 28, 0, 0, tzinfo=UTC)


def sql_figures(rows) -> dict:
    """The report figures by SQL over raw CallRecords (the reference)."""
    answered = Q(status="answered")
    figures = rows.aggregate(
        calls=Count("id"),
        answered=Count("id", filter=answered),
        busy=Count("id", filter=Q(status="busy")),
        no_answer=Count("id", filter=Q(status="no_answer")),
        failed=Count("id", filter=Q(status="failed")),
        billable=Sum("billable_seconds"),
        short_calls=Count("id", filter=answered & Q(billable_seconds__lt=10)),
    )
    figures["billable_seconds"] = figures.pop("billable")
    return {name: int(figures[name] or 0) for name in ROLLUP_MEASURES}


def random_cdr(rng, index: int, campaigns) -> NormalizedCDR:
    status = rng.choice(list(CallStatus))
    return NormalizedCDR(
        vendor_call_id=f"call-{index}",
        status=status,
        caller_id=rng.choice(CALLER_IDS),
        customer_number=f"+9198765{rng.randrange(10**5):05d}",
        started_at=START + timedelta(seconds=rng.randrange(5 * 86400)),
        billable_seconds=rng.choice([0, 3, 9, 10, 11, 45, 300]),
        vendor_campaign_id=rng.choice(campaigns + [""]),
    )


def rollup_table():
    return sorted(
        CallRollup.objects.values_list(
            "bucket", "account_id", "campaign_id", "caller_id", "status", *ROLLUP_MEASURES
        ),
        key=lambda row: tuple(str(value) for value in row),
    )


@pytest.fixture
def random_calls():
    return make_random_calls()


def make_random_calls():
    rng = random.Random(20261204)
    accounts = [ProviderAccountFactory(kind="cpaas"), ProviderAccountFactory(kind="cpaas")]
    vendor_campaigns = {}
    for account in accounts:
        for n in range(2):
            campaign = CampaignFactory(account=account, vendor_campaign_id=f"c{account.pk}-{n}")
            vendor_campaigns.setdefault(account.pk, []).append(campaign.vendor_campaign_id)
    cdrs = {account.pk: [] for account in accounts}
    for index in range(600):
        account = rng.choice(accounts)
        cdrs[account.pk].append(random_cdr(rng, index, vendor_campaigns[account.pk]))
    for account in accounts:
        batch = cdrs[account.pk]
        for start in range(0, len(batch), 97):
            ingest(account, batch[start : start + 97])
    # Updates: a third of the calls change status, start, caller id, billable seconds
    # or campaign, sent in mixed batches with unchanged copies.
    for account in accounts:
        changed = []
        for cdr in cdrs[account.pk]:
            if rng.random() < 0.33:
                cdr.status = rng.choice(list(CallStatus))
                if rng.random() < 0.5:
                    cdr.started_at += timedelta(minutes=rng.choice([-20, -1, 1, 14, 16, 90]))
                if rng.random() < 0.3:
                    cdr.caller_id = rng.choice(CALLER_IDS)
                if rng.random() < 0.3:
                    cdr.billable_seconds = rng.choice([0, 5, 12, 600])
                if rng.random() < 0.2:
                    cdr.vendor_campaign_id = rng.choice(vendor_campaigns[account.pk])
            changed.append(cdr)
        rng.shuffle(changed)
        for start in range(0, len(changed), 131):
            ingest(account, changed[start : start + 131])
    return accounts, rng


def test_every_local_day_in_random_zones_matches_sql_over_raw_records(random_calls):
    accounts, rng = random_calls
    for zone_name in ZONES + rng.sample(sorted(zoneinfo.available_timezones()), 5):
        zone = zoneinfo.ZoneInfo(zone_name)
        first = START.astimezone(zone).date()
        for offset in range(7):
            day = first + timedelta(days=offset)
            start = datetime.combine(day, datetime.min.time(), tzinfo=zone).astimezone(UTC)
            end = datetime.combine(
                day + timedelta(days=1), datetime.min.time(), tzinfo=zone
            ).astimezone(UTC)
            raw = CallRecord.objects.filter(started_at__gte=start, started_at__lt=end)
            assert CallRollup.objects.window(start, end).totals() == sql_figures(raw), (
                zone_name,
                day,
            )
            account = rng.choice(accounts)
            assert CallRollup.objects.window(start, end, account=account).totals() == (
                sql_figures(raw.filter(account=account))
            )


def test_group_by_status_caller_id_and_campaign_matches_sql(random_calls):
    start, end = START, START + timedelta(days=6)
    for field in ("status", "caller_id", "campaign_id", "account_id"):
        by_rollup = {
            row[field]: row["calls"]
            for row in CallRollup.objects.window(start, end)
            .values(field)
            .annotate(calls=Sum("calls"))
        }
        by_sql = {
            row[field]: row["calls"]
            for row in CallRecord.objects.filter(started_at__gte=start, started_at__lt=end)
            .values(field)
            .annotate(calls=Count("id"))
        }
        assert by_rollup == by_sql, field


def test_filters_of_the_window_match_sql(random_calls):
    accounts, rng = random_calls
    start, end = START + timedelta(hours=7, minutes=45), START + timedelta(days=3, minutes=30)
    raw = CallRecord.objects.filter(started_at__gte=start, started_at__lt=end)
    campaign_id = raw.exclude(campaign=None).values_list("campaign_id", flat=True).first()
    assert CallRollup.objects.window(start, end, campaign=campaign_id).totals() == sql_figures(
        raw.filter(campaign_id=campaign_id)
    )
    assert CallRollup.objects.window(start, end, campaign="none").totals() == sql_figures(
        raw.filter(campaign=None)
    )
    assert CallRollup.objects.window(
        start, end, caller_id=CALLER_IDS[0], status=["answered", "busy"]
    ).totals() == sql_figures(raw.filter(caller_id=CALLER_IDS[0], status__in=["answered", "busy"]))


def test_no_rollup_row_is_left_empty_after_calls_move_away(random_calls):
    assert not CallRollup.objects.filter(calls=0).exists()


def test_rebuild_rollups_gives_the_same_table(random_calls):
    before = rollup_table()
    CallRollup.objects.all().delete()
    call_command("rebuild_rollups", "--batch-size", "50", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert rollup_table() == before


def test_a_status_change_moves_the_call_between_buckets():
    account = ProviderAccountFactory(kind="cpaas")
    started = datetime(2026, 12, 1, 10, 14, 59, tzinfo=UTC)
    cdr = NormalizedCDR(
        vendor_call_id="x1", status=CallStatus.IN_PROGRESS, started_at=started, caller_id="+1"
    )
    ingest(account, [cdr])
    assert list(CallRollup.objects.values_list("bucket", "status", "calls")) == [
        (datetime(2026, 12, 1, 10, 0, tzinfo=UTC), "in_progress", 1)
    ]
    cdr.status, cdr.billable_seconds = CallStatus.ANSWERED, 7
    cdr.started_at = started + timedelta(seconds=1)
    ingest(account, [cdr])
    assert list(
        CallRollup.objects.values_list("bucket", "status", "calls", "answered", "short_calls")
    ) == [(datetime(2026, 12, 1, 10, 15, tzinfo=UTC), "answered", 1, 1, 1)]
