"""Caller-id rotation in Dialdesk's own engine (issue 12): each strategy picks the number a
call goes out from, daily caps hold (also for two runners racing), unusable numbers are
skipped, the campaign pauses with the reason when none is left, every attempt records
its caller id and the campaign page shows the split. The runner's loop is driven
directly, on a fixed clock (time-machine), with a vendor that accepts every call."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from campaigns.engine import Runner
from campaigns.engine.rotation import Rotation, wire_caller_id
from campaigns.models import CallerIdDay, Campaign, Contact, ContactList
from phone_numbers.models import NumberSet, PhoneNumber
from telephony.models import ProviderAccount
from telephony.vendors.base import PlacedCall
from tests.campaigns.engine_support import ALL_DAY

NOW = datetime(2026, 12, 7, 6, 0, tzinfo=UTC)  # 11:30 in India
DELHI, DELHI_2, MUMBAI, BANGALORE = (
    "+911123456789",
    "+911123456790",
    "+912223456789",
    "+918023456789",
)


class RecordingDialer:
    """Accepts every call at once and remembers the caller id each was sent from."""

    sent = []
    resends_lost_requests = True
    per_call_outcomes = False

    def __init__(self, campaign):
        self.campaign = campaign

    def dial(self, target, reference_id, caller_id=""):
        RecordingDialer.sent.append((target.number, caller_id))
        return PlacedCall(vendor_call_id=f"call-{reference_id}", reference_id=reference_id)

    def outcomes(self, attempts):
        return iter(())

    def close(self):
        pass


@pytest.fixture
def engine(monkeypatch, settings):
    settings.CAMPAIGN_DIAL_LATENCY = 0.001  # dial inline
    settings.CAMPAIGN_DAILY_CAP = 10
    RecordingDialer.sent = []
    monkeypatch.setattr("campaigns.engine.dispatch.dialer_for", RecordingDialer)
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def account(db):
    account = ProviderAccount(kind="myoperator", name="MyOperator rotation", config={})
    account.set_secrets({})
    account.save()
    return account


def number(account, e164, **fields) -> PhoneNumber:
    return PhoneNumber.objects.create(account=account, number=e164, kind="caller_id", **fields)


def campaign_over(account, contacts, **fields) -> Campaign:
    """A running campaign over `contacts` ([(number, {fields})])."""
    contact_list = ContactList.objects.create(
        name=f"Rotation {ContactList.objects.count() + 1}", custom_fields=["region"]
    )
    Contact.objects.bulk_create(
        Contact(contact_list=contact_list, number=e164, fields=extra) for e164, extra in contacts
    )
    campaign = Campaign.objects.create(
        name="Rotation",
        account=account,
        kind="ivr",
        ivr_id="ivr-1",
        time_zone="UTC",
        calls_per_minute=6000,
        max_retries=0,
        retry_statuses=[],
        state=Campaign.State.RUNNING,
        **{"caller_source": "pool", **ALL_DAY, **fields},
    )
    campaign.contact_lists.set([contact_list])
    return campaign


def mobiles(count: int, region: str = "") -> list:
    return [(f"+9198765{n:05d}", {"region": region} if region else {}) for n in range(count)]


def run(campaign) -> list[str]:
    """One loop of the runner; the caller ids of the attempts it created, in order."""
    runner = Runner(campaign)
    runner.step()
    runner.close()
    return list(campaign.attempts.order_by("pk").values_list("caller_id", flat=True))


def test_round_robin_takes_the_pool_in_turn(account, engine):
    pool = [number(account, e164) for e164 in (DELHI, MUMBAI, BANGALORE)]
    campaign = campaign_over(account, mobiles(7), caller_strategy="round_robin")
    campaign.caller_pool.set(pool)

    used = run(campaign)

    assert used == [DELHI, MUMBAI, BANGALORE, DELHI, MUMBAI, BANGALORE, DELHI]
    assert [caller for _number, caller in RecordingDialer.sent] == used


def test_least_used_today_counts_every_campaigns_calls_of_the_day(account, engine):
    busy, quiet = number(account, DELHI), number(account, MUMBAI)
    CallerIdDay.objects.create(phone_number=busy, day=NOW.date(), calls=3)
    CallerIdDay.objects.create(phone_number=quiet, day=NOW.date() - timedelta(days=1), calls=50)
    campaign = campaign_over(account, mobiles(5), caller_strategy="least_used")
    campaign.caller_pool.set([busy, quiet])

    used = run(campaign)

    # MUMBAI starts at 0 today (yesterday's 50 do not count): it takes three calls to
    # draw level, then the two alternate from the lower id.
    assert used == [MUMBAI, MUMBAI, MUMBAI, DELHI, MUMBAI]


def test_region_matches_the_contacts_circle_then_its_area_code(account, engine):
    delhi = number(account, DELHI, region="Delhi")
    mumbai = number(account, MUMBAI, region="Mumbai")
    campaign = campaign_over(
        account,
        [
            ("+919876500001", {"region": "Mumbai"}),
            ("+919876500002", {"region": "delhi"}),
            ("+911126543210", {}),  # a Delhi landline: area code 11
            ("+919876500003", {}),  # a mobile with no region: the least used
        ],
        caller_strategy="region",
    )
    campaign.caller_pool.set([delhi, mumbai])

    run(campaign)

    sent = dict(RecordingDialer.sent)
    assert sent["+919876500001"] == MUMBAI
    assert sent["+919876500002"] == DELHI
    assert sent["+911126543210"] == DELHI
    assert sent["+919876500003"] == MUMBAI  # Delhi had two calls, Mumbai one


def test_preference_follows_myoperators_order_caller_id_then_group_then_region(account, engine):
    first = number(account, DELHI, group="gr1", region="Delhi", daily_cap=2)
    in_group = number(account, DELHI_2, group="gr1", region="Delhi", daily_cap=1)
    in_region = number(account, MUMBAI, group="gr3", region="Delhi")
    elsewhere = number(account, BANGALORE, group="gr9", region="Karnataka")
    campaign = campaign_over(
        account,
        mobiles(6),
        caller_strategy="preference",
        caller_id=DELHI,
        caller_group="gr1",
        caller_region="Delhi",
    )
    campaign.caller_pool.set([first, in_group, in_region, elsewhere])

    used = run(campaign)

    assert used == [DELHI, DELHI, DELHI_2, MUMBAI, MUMBAI, MUMBAI]


def test_a_number_at_its_daily_cap_is_not_used_again_until_its_next_day(account, engine):
    capped = number(account, DELHI, daily_cap=2)
    open_ended = number(account, MUMBAI)
    campaign = campaign_over(account, mobiles(6), caller_strategy="round_robin")
    campaign.caller_pool.set([capped, open_ended])

    used = run(campaign)

    assert used.count(DELHI) == 2 and used.count(MUMBAI) == 4
    assert CallerIdDay.objects.get(phone_number=capped, day=NOW.date()).calls == 2
    # The next day in India (the number's own day) the cap starts again.
    engine.move_to(datetime(2026, 12, 7, 19, 0, tzinfo=UTC))  # 00:30 on the 8th in India
    more = campaign_over(account, mobiles(2), caller_strategy="round_robin")
    more.caller_pool.set([capped])
    assert run(more) == [DELHI, DELHI]


def test_resting_spam_likely_and_flagged_numbers_are_skipped(account, engine):
    pool = [
        number(account, DELHI, status="resting"),
        number(account, DELHI_2, status="spam_likely"),
        number(account, MUMBAI, health_flag="ASR 4% is below 10% over 7 days"),
        number(account, BANGALORE),
    ]
    campaign = campaign_over(account, mobiles(3), caller_strategy="round_robin")
    campaign.caller_pool.set(pool)

    assert run(campaign) == [BANGALORE] * 3


def test_with_no_usable_number_left_the_campaign_pauses_and_says_why(account, engine):
    pool = [number(account, DELHI, status="resting"), number(account, MUMBAI, health_flag="Low")]
    campaign = campaign_over(account, mobiles(3))
    campaign.caller_pool.set(pool)

    assert run(campaign) == []

    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.PAUSED and campaign.paused_by == "setup"
    assert "every number in the campaign's pool is resting, spam-likely or flagged" in (
        campaign.vendor_error
    )
    assert f"{DELHI} resting" in campaign.vendor_error
    assert f"{MUMBAI} flagged: Low" in campaign.vendor_error
    assert "under Numbers" in campaign.vendor_hint
    assert not RecordingDialer.sent
    assert campaign.targets.filter(status="pending").count() == 3  # nothing consumed


def test_when_every_number_reached_its_cap_the_campaign_pauses_after_the_last_call(account, engine):
    numbers_set = NumberSet.objects.create(account=account, name="Delhi DIDs")
    capped = number(account, DELHI, daily_cap=2)
    capped.sets.add(numbers_set)
    campaign = campaign_over(account, mobiles(4), caller_source="set", caller_set=numbers_set)

    assert run(campaign) == [DELHI, DELHI]
    engine.shift(timedelta(seconds=1))
    run(campaign)  # the next loop finds nothing left

    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.PAUSED
    assert campaign.vendor_error == (
        "No caller id left to dial from today: every usable number in the number set "
        "Delhi DIDs reached its daily cap."
    )


def test_an_empty_set_pauses_the_campaign_with_its_name(account, engine):
    empty = NumberSet.objects.create(account=account, name="Unused")
    campaign = campaign_over(account, mobiles(1), caller_source="set", caller_set=empty)

    run(campaign)

    campaign.refresh_from_db()
    assert campaign.vendor_error == "No caller id to dial from: the number set Unused is empty."


def test_two_runners_racing_for_a_numbers_last_calls_never_pass_its_cap(account, engine):
    """Both read the number as free before either takes it: the conditional UPDATE lets
    only the cap's worth through."""
    shared = number(account, DELHI, daily_cap=3)
    first = campaign_over(account, mobiles(3))
    second = campaign_over(account, [(f"+9198123{n:05d}", {}) for n in range(3)])
    for campaign in (first, second):
        campaign.caller_pool.set([shared])
    one, two = Rotation(first), Rotation(second)
    stale = two.candidates(NOW)  # the second reads 0 calls today...
    two.candidates = lambda now: stale  # ...and still believes it after the first took two

    picked = one.pick([(1, "+919876500001", {}), (2, "+919876500002", {})], NOW)
    picked_too = two.pick([(3, "+919812300001", {}), (4, "+919812300002", {})], NOW)

    assert len(picked) + len(picked_too) == 3
    assert CallerIdDay.objects.get(phone_number=shared).calls == 3


def test_numbers_of_another_account_are_never_used(account, engine):
    other = ProviderAccount(kind="myoperator", name="Another company", config={})
    other.set_secrets({})
    other.save()
    foreign = number(other, MUMBAI)
    campaign = campaign_over(account, mobiles(1))
    campaign.caller_pool.set([foreign, number(account, DELHI)])

    assert run(campaign) == [DELHI]


def test_one_inventory_number_obeys_its_cap_and_status_too(account, engine):
    number(account, DELHI, daily_cap=1)
    campaign = campaign_over(account, mobiles(2), caller_source="one", caller_id=DELHI)

    assert run(campaign) == [DELHI]


def test_a_caller_id_typed_before_the_inventory_is_sent_as_it_is(account, engine):
    campaign = campaign_over(account, mobiles(2), caller_source="one", caller_id="011609822")

    assert run(campaign) == ["011609822", "011609822"]
    assert {caller for _number, caller in RecordingDialer.sent} == {"011609822"}


def test_each_vendor_gets_the_caller_id_in_its_own_form():
    assert wire_caller_id("myoperator", DELHI) == "01123456789"
    assert wire_caller_id("oca", "+622184788101") == "02184788101"
    assert wire_caller_id("cpaas", DELHI) == "911123456789"
    assert wire_caller_id("oca", "02184788101") == "02184788101"


def test_the_campaign_page_shows_the_calls_per_caller_id(account, engine, viewer_client):
    pool = [number(account, DELHI), number(account, MUMBAI)]
    campaign = campaign_over(account, mobiles(3), caller_strategy="round_robin")
    campaign.caller_pool.set(pool)
    run(campaign)

    body = viewer_client.get(reverse("campaigns:campaign_detail", args=[campaign.pk])).content
    body = body.decode()

    assert "Calls per caller id" in body
    assert f'data-caller-calls="{DELHI}">2<' in body
    assert f'data-caller-calls="{MUMBAI}">1<' in body
    assert "Round robin, from a pool of numbers" in body
