"""The engine's clock: campaign windows and weekdays in the campaign's zone, each
contact's calling hours in the contact's zone, across midnight and DST changes."""

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import time_machine

from campaigns.engine import Schedule, attempt_reference, local_day_bounds

KOLKATA = ZoneInfo("Asia/Kolkata")
NEW_YORK = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")


def at(tz, *args):
    return datetime(*args, tzinfo=tz)


def test_a_campaign_dials_only_inside_its_daily_window_in_its_own_zone():
    schedule = Schedule(time_zone="Asia/Kolkata", window_start=time(9), window_end=time(18))
    assert not schedule.is_open(at(KOLKATA, 2026, 11, 23, 8, 59))
    assert schedule.is_open(at(KOLKATA, 2026, 11, 23, 9, 0))
    assert schedule.is_open(at(KOLKATA, 2026, 11, 23, 17, 59))
    assert not schedule.is_open(at(KOLKATA, 2026, 11, 23, 18, 0))
    # 03:30 UTC is 09:00 in Kolkata: the window is the campaign's wall clock, not UTC's.
    assert schedule.is_open(datetime(2026, 11, 23, 3, 30, tzinfo=UTC))


def test_before_the_window_the_reason_says_until_when_in_the_campaigns_zone():
    schedule = Schedule(time_zone="Asia/Kolkata", window_start=time(9), window_end=time(18))
    reason = schedule.closed_reason(at(KOLKATA, 2026, 11, 23, 7, 15))
    assert reason == "Outside the calling window until 09:00 Asia/Kolkata."
    assert schedule.next_open(at(KOLKATA, 2026, 11, 23, 7, 15)) == at(KOLKATA, 2026, 11, 23, 9)


def test_after_the_window_the_next_opening_is_tomorrow_morning():
    schedule = Schedule(time_zone="Asia/Kolkata", window_start=time(9), window_end=time(18))
    evening = at(KOLKATA, 2026, 11, 23, 19, 0)  # a Monday
    assert schedule.next_open(evening) == at(KOLKATA, 2026, 11, 24, 9)
    assert schedule.closed_reason(evening) == (
        "Outside the calling window until Tuesday 2026-11-24 09:00 Asia/Kolkata."
    )


def test_weekdays_skip_the_weekend():
    weekdays_only = Schedule(time_zone="Europe/London", weekdays=frozenset(range(5)))
    saturday = at(LONDON, 2026, 11, 28, 12, 0)
    assert not weekdays_only.is_open(saturday)
    assert weekdays_only.next_open(saturday) == at(LONDON, 2026, 11, 30, 9)


def test_a_window_across_midnight_belongs_to_the_day_it_opens():
    night = Schedule(
        time_zone="Europe/London",
        window_start=time(20),
        window_end=time(2),
        weekdays=frozenset({4}),  # opens on Fridays only
    )
    assert night.is_open(at(LONDON, 2026, 11, 27, 23, 0))  # Friday night
    assert night.is_open(at(LONDON, 2026, 11, 28, 1, 30))  # still Friday's window
    assert not night.is_open(at(LONDON, 2026, 11, 28, 2, 0))
    assert not night.is_open(at(LONDON, 2026, 11, 28, 21, 0))  # Saturday night: no
    assert night.next_open(at(LONDON, 2026, 11, 28, 21, 0)) == at(LONDON, 2026, 12, 4, 20)


def test_start_and_end_bound_the_windows():
    schedule = Schedule(
        time_zone="Asia/Kolkata",
        starts_at=at(KOLKATA, 2026, 12, 1, 11, 0),
        ends_at=at(KOLKATA, 2026, 12, 2, 12, 0),
    )
    assert schedule.closed_reason(at(KOLKATA, 2026, 11, 30, 10)) == (
        "The campaign starts at 2026-12-01 11:00 Asia/Kolkata."
    )
    assert schedule.next_open(at(KOLKATA, 2026, 12, 1, 22)) == at(KOLKATA, 2026, 12, 2, 9)
    assert not schedule.is_open(at(KOLKATA, 2026, 12, 2, 12, 0))
    assert schedule.next_open(at(KOLKATA, 2026, 12, 2, 12, 0)) is None
    assert schedule.closed_reason(at(KOLKATA, 2026, 12, 3, 10)) == (
        "The campaign ended at 2026-12-02 12:00 Asia/Kolkata."
    )


def test_a_window_that_cannot_open_before_the_end_says_so():
    schedule = Schedule(
        time_zone="Asia/Kolkata",
        starts_at=at(KOLKATA, 2026, 12, 1, 19, 0),
        ends_at=at(KOLKATA, 2026, 12, 1, 23, 0),
        window_start=time(9),
        window_end=time(18),
    )
    assert schedule.next_open(at(KOLKATA, 2026, 12, 1, 20)) is None
    assert schedule.closed_reason(at(KOLKATA, 2026, 12, 1, 20)) == (
        "The schedule has no window left before the campaign ends."
    )


def test_the_window_keeps_its_wall_clock_time_across_a_dst_change():
    schedule = Schedule(time_zone="America/New_York", window_start=time(9), window_end=time(17))
    # New York moves to daylight time on Sunday 2026-03-08: 09:00 is 14:00 UTC the day
    # before and 13:00 UTC on the day.
    assert schedule.is_open(datetime(2026, 3, 7, 14, 0, tzinfo=UTC))
    assert not schedule.is_open(datetime(2026, 3, 8, 12, 59, tzinfo=UTC))
    assert schedule.is_open(datetime(2026, 3, 8, 13, 0, tzinfo=UTC))
    assert schedule.next_open(datetime(2026, 3, 7, 23, 0, tzinfo=UTC)) == datetime(
        2026, 3, 8, 13, 0, tzinfo=UTC
    )


def test_a_window_edge_in_the_skipped_hour_opens_after_the_gap():
    schedule = Schedule(time_zone="America/New_York", window_start=time(2, 30), window_end=time(5))
    # 02:30 does not exist on 2026-03-08; the window opens at 03:30 EDT (07:30 UTC).
    assert not schedule.is_open(at(NEW_YORK, 2026, 3, 8, 3, 15))
    assert schedule.next_open(at(NEW_YORK, 2026, 3, 8, 1, 0)) == datetime(
        2026, 3, 8, 7, 30, tzinfo=UTC
    )


def test_contacts_are_called_only_inside_their_own_calling_hours():
    schedule = Schedule(time_zone="Asia/Kolkata")
    noon_utc = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)  # 17:30 Kolkata, 07:00 New York
    assert schedule.contact_may_be_called(noon_utc, "Asia/Kolkata")
    assert not schedule.contact_may_be_called(noon_utc, "America/New_York")
    assert schedule.contact_may_be_called(noon_utc, "Europe/London")
    assert schedule.open_zones(noon_utc, ["Asia/Kolkata", "America/New_York", "Europe/London"]) == [
        "Asia/Kolkata",
        "Europe/London",
    ]
    assert schedule.contact_next_open(noon_utc, "America/New_York") == at(NEW_YORK, 2026, 11, 23, 9)


def test_a_contact_without_a_known_zone_is_called_in_the_campaigns_zone():
    schedule = Schedule(time_zone="Asia/Kolkata")
    morning_kolkata = at(KOLKATA, 2026, 11, 23, 10)
    assert schedule.contact_may_be_called(morning_kolkata, "")
    assert schedule.contact_may_be_called(morning_kolkata, "Not/AZone")


def test_the_builder_gets_a_message_for_each_impossible_schedule():
    problems = Schedule(
        time_zone="Mars/Olympus",
        starts_at=at(KOLKATA, 2026, 12, 2),
        ends_at=at(KOLKATA, 2026, 12, 1),
        window_start=time(9),
        window_end=time(9),
        weekdays=frozenset(),
        contact_start=time(21),
        contact_end=time(9),
    ).errors()
    assert set(problems) == {"ends_at", "window_end", "weekdays", "contact_end", "time_zone"}
    assert Schedule(time_zone="Asia/Kolkata").errors() == {}


def test_the_daily_cap_day_is_the_contacts_local_day_even_when_it_has_23_hours():
    start, end = local_day_bounds(datetime(2026, 3, 8, 15, 0, tzinfo=UTC), "America/New_York")
    assert start == datetime(2026, 3, 8, 5, 0, tzinfo=UTC)
    assert end == datetime(2026, 3, 9, 4, 0, tzinfo=UTC)
    assert (end - start).total_seconds() == 23 * 3600


def test_the_schedule_reads_the_current_time_when_given_none():
    schedule = Schedule(time_zone="Asia/Kolkata", window_start=time(9), window_end=time(18))
    with time_machine.travel(at(KOLKATA, 2026, 11, 23, 10, 0), tick=False):
        assert schedule.is_open() and schedule.closed_reason() is None
    with time_machine.travel(at(KOLKATA, 2026, 11, 23, 20, 0), tick=False):
        assert not schedule.is_open()
        assert schedule.closed_reason().startswith("Outside the calling window until Tuesday")


def test_attempt_reference_ids_are_derived_not_random():
    assert attempt_reference(7, 1, 42, 2) == attempt_reference(7, 1, 42, 2) == "dd-7-1-42-2"
    assert len({attempt_reference(7, 1, 42, n) for n in range(1, 4)}) == 3
