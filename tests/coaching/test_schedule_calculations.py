"""Checkpoint scheduling arithmetic on hand-checked calendars, without the database."""

import datetime as dt

import pytest

from coaching.calculations import meeting_days, period_key, snapshot_period, working_day


@pytest.mark.parametrize(
    ("kind", "day", "key"),
    [
        ("weekly", dt.date(2026, 11, 23), "2026-W48"),
        ("weekly", dt.date(2027, 1, 1), "2026-W53"),  # ISO: 1 Jan 2027 is in 2026's week 53
        ("monthly", dt.date(2026, 11, 3), "2026-11"),
        ("quarterly", dt.date(2026, 10, 5), "2026-Q4"),
        ("semiannual", dt.date(2026, 7, 6), "2026-H2"),
    ],
)
def test_period_keys(kind, day, key):
    assert period_key(kind, day) == key


def test_nth_working_day_skips_weekends():
    # November 2026 starts on a Sunday: working days 2, 3, 4 ...
    assert working_day(2026, 11, 1) == dt.date(2026, 11, 2)
    assert working_day(2026, 11, 3) == dt.date(2026, 11, 4)


def test_weekly_meetings_for_the_coming_eight_weeks():
    # Tuesday 24 Nov 2026, weekly on Monday: this week's Monday has passed, so 30 Nov to 18 Jan
    days = meeting_days(kind="weekly", today=dt.date(2026, 11, 24), weekday=0, monthly_day=3)
    assert days[0] == dt.date(2026, 11, 30) and days[-1] == dt.date(2027, 1, 18) and len(days) == 8
    # weekly on Thursday: this week's is still ahead
    assert meeting_days(kind="weekly", today=dt.date(2026, 11, 24), weekday=3, monthly_day=3)[0] == dt.date(
        2026, 11, 26
    )


def test_next_monthly_quarterly_and_semiannual():
    today = dt.date(2026, 11, 24)
    assert meeting_days(kind="monthly", today=today, weekday=0, monthly_day=3) == [dt.date(2026, 12, 3)]
    assert meeting_days(kind="monthly", today=dt.date(2026, 11, 1), weekday=0, monthly_day=3) == [
        dt.date(2026, 11, 4)
    ]
    # January 2027 starts on a Friday: working days 1, 4, 5, 6, 7 ...
    assert meeting_days(kind="quarterly", today=today, weekday=0, monthly_day=3) == [
        dt.date(2027, 1, 6)
    ]  # 4th
    assert meeting_days(kind="semiannual", today=today, weekday=0, monthly_day=3) == [
        dt.date(2027, 1, 7)
    ]  # 5th


def test_snapshot_period_runs_from_the_previous_held_meeting():
    assert snapshot_period(
        kind="weekly", meeting_day=dt.date(2026, 11, 30), previous_held=dt.date(2026, 11, 20)
    ) == (dt.date(2026, 11, 21), dt.date(2026, 11, 30))
    # none held before: the kind's usual length
    assert snapshot_period(kind="weekly", meeting_day=dt.date(2026, 11, 30), previous_held=None) == (
        dt.date(2026, 11, 24),
        dt.date(2026, 11, 30),
    )
    assert snapshot_period(kind="monthly", meeting_day=dt.date(2026, 11, 30), previous_held=None)[
        0
    ] == dt.date(2026, 11, 1)
