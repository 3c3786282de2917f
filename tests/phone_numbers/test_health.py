"""Number health: figures from the CDR rollups match the raw records, the rules flag and
clear numbers (and a second run writes nothing), idle numbers are listed, and viewers
read the health page."""

import random
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from phone_numbers.health import apply_rules, figures_for, unused
from phone_numbers.models import PhoneNumber
from telephony.models import CallRecord
from telephony.sync.ingest import ingest
from telephony.vendors.base import CallStatus, NormalizedCDR

from .numbers_support import add_numbers, myoperator_account

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 4, 12, 7, tzinfo=UTC)
STATUSES = [
    CallStatus.ANSWERED,
    CallStatus.ANSWERED,
    CallStatus.BUSY,
    CallStatus.NO_ANSWER,
    CallStatus.FAILED,
    CallStatus.CONGESTION,
    CallStatus.UNAVAILABLE,
]


def calls(account, caller_id, count, *, answered_share=None, days=30, seed=1, prefix=""):
    """`count` calls from `caller_id` spread over the last `days` days (seeded)."""
    rng = random.Random(seed)
    cdrs = []
    for i in range(count):
        if answered_share is None:
            status = rng.choice(STATUSES)
        else:
            status = CallStatus.ANSWERED if rng.random() < answered_share else CallStatus.NO_ANSWER
        billable = rng.choice([0, 4, 9, 10, 45, 130]) if status == CallStatus.ANSWERED else 0
        cdrs.append(
            NormalizedCDR(
                vendor_call_id=f"{prefix}{caller_id}-{seed}-{i}",
                status=status,
                caller_id=caller_id,
                customer_number="+919812345678",
                started_at=NOW - timedelta(minutes=rng.randrange(1, days * 24 * 60)),
                billable_seconds=billable,
            )
        )
    ingest(account, cdrs)


def raw_figures(account, caller_ids, days):
    start = NOW.replace(minute=0) + timedelta(minutes=15) - timedelta(days=days)
    records = CallRecord.objects.filter(
        account=account, caller_id__in=caller_ids, started_at__gte=start
    )
    answered = [r for r in records if r.status == "answered"]
    return {
        "calls": len(records),
        "answered": len(answered),
        "billable_seconds": sum(r.billable_seconds for r in records),
        "short_calls": sum(1 for r in answered if r.billable_seconds < 10),
        "congestion": sum(1 for r in records if r.status == "congestion"),
        "failed": sum(1 for r in records if r.status == "failed"),
    }


def test_figures_per_window_match_the_raw_records():
    account = myoperator_account()
    (number, other) = add_numbers(account, ["+919876543210", "+919876543211"])
    # The vendor may write the caller id with or without "+": both are this number.
    calls(account, "+919876543210", 150, seed=1)
    calls(account, "919876543210", 40, seed=2)
    calls(account, "+919876543211", 30, seed=3)
    health = figures_for([number, other], now=NOW)
    for days in (1, 7, 30):
        figures = health[number.pk][days]
        raw = raw_figures(account, ["+919876543210", "919876543210"], days)
        assert (
            figures.calls,
            figures.answered,
            figures.billable_seconds,
            figures.short_calls,
            figures.blocking["congestion"],
            figures.blocking["failed"],
        ) == (
            raw["calls"],
            raw["answered"],
            raw["billable_seconds"],
            raw["short_calls"],
            raw["congestion"],
            raw["failed"],
        ), days
    month = health[number.pk].month
    assert month.calls == 190 and month.asr == month.answered / 190
    assert health[other.pk].month.calls == 30


def test_calls_whose_caller_id_the_vendor_wrote_in_national_form_count_for_the_number():
    # OCA reports from_number as dialled in Indonesia ("021..."), the inventory holds E.164.
    account = myoperator_account(kind="oca")
    (number,) = add_numbers(account, ["+622184788101"])
    calls(account, "02184788101", 12, seed=4)
    calls(account, "02184788199", 5, seed=5)  # another number: not counted
    assert figures_for([number], now=NOW)[number.pk].month.calls == 12


def test_figures_are_one_rollup_query_for_a_page_of_numbers(django_assert_num_queries):
    account = myoperator_account()
    numbers = add_numbers(account, [f"+91987654321{i}" for i in range(10)])
    with django_assert_num_queries(1):
        figures_for(numbers, now=NOW)


def test_the_rules_flag_a_low_asr_number_and_clear_it_when_it_recovers(time_machine):
    time_machine.move_to(NOW, tick=False)
    account = myoperator_account()
    healthy, poor = add_numbers(account, ["+919876543210", "+919876543211"])
    calls(account, healthy.number, 60, answered_share=0.6, days=7, seed=4)
    calls(account, poor.number, 60, answered_share=0.03, days=7, seed=5)
    assert apply_rules() == (1, 0)
    poor.refresh_from_db()
    assert "below 15%" in poor.health_flag
    assert list(PhoneNumber.objects.usable()) == [healthy]
    assert apply_rules() == (0, 0)  # a second run writes nothing
    calls(account, poor.number, 200, answered_share=0.9, days=2, seed=6, prefix="later-")
    assert apply_rules() == (0, 1)
    assert PhoneNumber.objects.usable().count() == 2


def test_a_number_falling_below_half_its_own_baseline_is_flagged(time_machine):
    time_machine.move_to(NOW, tick=False)
    account = myoperator_account()
    (number,) = add_numbers(account, ["+919876543210"])
    # A month at ~80% (days 8-30), then a week at ~30%: above 15%, below half of 30 days.
    old = [
        NormalizedCDR(
            vendor_call_id=f"old-{i}",
            status=CallStatus.ANSWERED if i % 5 else CallStatus.NO_ANSWER,
            caller_id=number.number,
            started_at=NOW - timedelta(days=8 + i % 20, minutes=i),
            billable_seconds=30,
        )
        for i in range(400)
    ]
    ingest(account, old)
    calls(account, number.number, 60, answered_share=0.3, days=7, seed=7)
    apply_rules()
    number.refresh_from_db()
    assert "of its 30-day" in number.health_flag


def test_numbers_held_30_days_without_a_call_are_listed_as_unused(time_machine):
    time_machine.move_to(NOW, tick=False)
    account = myoperator_account()
    idle, busy, new = add_numbers(account, ["+919876543210", "+919876543211", "+919876543212"])
    PhoneNumber.objects.filter(pk__in=[idle.pk, busy.pk]).update(
        acquired_at=NOW - timedelta(days=45)
    )
    PhoneNumber.objects.filter(pk=new.pk).update(acquired_at=NOW - timedelta(days=3))
    calls(account, busy.number.lstrip("+"), 1, days=20, seed=8)
    apply_rules()  # the health job keeps last_used_at, which the list reads
    busy.refresh_from_db()
    assert busy.last_used_at is not None
    assert list(unused()) == [idle]


def test_a_viewer_reads_the_health_page_with_the_figures(viewer_client, time_machine):
    time_machine.move_to(NOW, tick=False)
    account = myoperator_account(name="Mumbai DIDs")
    (number,) = add_numbers(account, ["+919876543210"], acquired_at=NOW - timedelta(days=40))
    calls(account, number.number, 20, answered_share=1.0, days=1, seed=9)
    before = viewer_client.get(reverse("numbers:health")).content.decode()
    assert "No figures yet" in before
    apply_rules()  # the health job stores the figures the page shows
    response = viewer_client.get(reverse("numbers:health"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "+919876543210" in body and "Mumbai DIDs" in body
    row = response.context["page"].rows[0]
    assert row.health.day.calls == 20 and row.health.day.asr_text == "100%"
    assert row.health.as_json() == figures_for([number])[number.pk].as_json()
    assert "Figures as of" in body
    assert reverse("numbers:number_detail", args=[number.pk]) not in body  # no inventory link


def test_the_health_page_searches_by_the_last_digits(viewer_client):
    account = myoperator_account()
    add_numbers(account, ["+919876543210", "+919876500011"])
    response = viewer_client.get(reverse("numbers:health"), {"q": "0011"})
    assert [n.number for n in response.context["page"].rows] == ["+919876500011"]
