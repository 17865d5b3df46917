"""The import poll schedule's rules, on a fake clock: no AWS, no sleeping.

`follow` plays the import function's loop: describe, and unless the import has ended, sleep
`next_wait(elapsed)`; each describe may take a little time, as a real call does.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from model_copy.poll_schedule import (
    SPARSE_MAX_CAPS,
    ExpectedEnd,
    PollSchedule,
    PollSettings,
    poll_intervals,
    todays_times,
)

BENCH = PollSettings(first_s=1, cap_s=2, wait_max_s=600)  # make bench's settings
DEFAULTS = PollSettings(first_s=15, cap_s=120, wait_max_s=21600)  # template.yaml's


@dataclass
class Followed:
    describes: int
    seen_at: float  # seconds since the import started
    gaps: list[float]  # between consecutive describes

    def lag(self, ends_at: float) -> float:
        return self.seen_at - ends_at


def follow(schedule: PollSchedule, ends_at: float, describe_s: float = 0.0) -> Followed:
    """The follower's loop on a fake clock; stops at the wait limit as the function does."""
    now, describes, polled = 0.0, 0, []
    while True:
        polled.append(now)
        describes += 1
        now += describe_s
        if polled[-1] >= ends_at or now > schedule.settings.wait_max_s:
            break
        now += schedule.next_wait(polled[-1], now)
    return Followed(describes, polled[-1], gaps(polled))


def gaps(times: list[float]) -> list[float]:
    return [b - a for a, b in pairwise(times)]


def today(settings_: PollSettings) -> PollSchedule:
    return PollSchedule(settings_)


# ---------------------------------------------------------------- nothing known

def test_nothing_known_polls_as_today() -> None:
    """Growing intervals from the first, doubling up to the cap: today's schedule, exactly."""
    schedule = PollSchedule(DEFAULTS)
    assert schedule.expected is None
    assert schedule.times[:8] == [0, 15, 45, 105, 225, 345, 465, 585]
    intervals = poll_intervals(15, 120, 21600)
    assert gaps(schedule.times) == intervals
    assert follow(schedule, ends_at=600).describes == 9  # as today: 0, 15, ..., 585, 705


def test_nothing_known_resumes_where_the_plan_is() -> None:
    """A follower in a new invocation (after a hand-over) continues the plan, not restarts it."""
    schedule = PollSchedule(DEFAULTS)
    assert schedule.next_wait(0.3) == 15  # never sooner than the first interval after a poll
    assert schedule.next_wait(400) == 65  # next planned poll at 465
    assert schedule.next_wait(465) == 120


def test_a_slow_describe_does_not_delay_the_plan() -> None:
    """The wait counts from when the describe started: polls stay on the plan, never drift."""
    schedule = PollSchedule(DEFAULTS)
    assert schedule.next_wait(45, now=45.8) == pytest.approx(59.2)  # next planned poll: 105
    followed = follow(PollSchedule(BENCH, [20]), ends_at=40, describe_s=0.3)
    # Sparse to the window [17, 23], every second inside it, growing to the cap after it.
    assert followed.gaps == pytest.approx([4.25] * 4 + [1.0] * 6 + [2.0] * 9)


# ---------------------------------------------------------------- known durations

def test_expected_end_is_a_window_around_the_known_durations() -> None:
    assert ExpectedEnd.around([], first_s=1) is None
    window = ExpectedEnd.around([17.5, 20, 22.5], first_s=1)
    assert window == ExpectedEnd(16.5, 23.5)
    # One sample: still at least 10 % either side of it.
    window = ExpectedEnd.around([20], first_s=1)
    assert window is not None
    assert (window.low_s, window.high_s) == (pytest.approx(17), pytest.approx(23))


def test_known_durations_poll_sparsely_then_densely_around_the_expected_end() -> None:
    schedule = PollSchedule(BENCH, durations=[17.5, 19, 20, 21, 22.5])
    window = schedule.expected
    assert window is not None
    before = [t for t in schedule.times if 0 < t < window.low_s]
    inside = [t for t in schedule.times if window.low_s <= t <= window.high_s]
    assert all(gap > BENCH.cap_s for gap in gaps([0.0, *before]))  # sparser than today
    assert len(before) < len([t for t in todays_times(BENCH) if 0 < t < window.low_s])
    assert gaps(inside) == pytest.approx(
        [BENCH.first_s] * (len(inside) - 1))  # as dense as allowed
    for ends_at in (17, 18.2, 19.9, 20.5, 22.9):
        followed = follow(schedule, ends_at)
        assert followed.lag(ends_at) <= BENCH.first_s
        assert followed.describes <= follow(today(BENCH), ends_at).describes


def test_known_durations_with_template_defaults_see_a_ten_minute_import_sooner() -> None:
    """The budget is scarce with a 120 s cap: the window's polls are spread, still sooner."""
    learned = PollSchedule(DEFAULTS, durations=[540, 600, 660])
    for ends_at in (530, 580, 610, 650, 670):  # in the window, 525 to 675 s
        seen, baseline = follow(learned, ends_at), follow(today(DEFAULTS), ends_at)
        assert seen.describes <= baseline.describes
        assert seen.lag(ends_at) < baseline.lag(ends_at) or seen.lag(ends_at) <= 60


def test_an_import_much_longer_than_expected_is_seen_within_a_cap_as_today() -> None:
    schedule = PollSchedule(BENCH, durations=[20, 20, 20])
    for ends_at in (40, 95.5, 300):
        followed, baseline = follow(schedule, ends_at), follow(today(BENCH), ends_at)
        assert followed.lag(ends_at) <= BENCH.cap_s
        assert followed.describes <= baseline.describes


def test_an_import_much_shorter_than_expected_is_seen_within_the_sparse_interval() -> None:
    schedule = PollSchedule(DEFAULTS, durations=[3600, 3700])
    for ends_at in (20, 500, 1700):
        followed = follow(schedule, ends_at)
        assert followed.lag(ends_at) <= SPARSE_MAX_CAPS * DEFAULTS.cap_s
        assert followed.describes <= follow(today(DEFAULTS), ends_at).describes


def test_an_expected_end_past_the_wait_limit_still_polls_until_the_limit() -> None:
    schedule = PollSchedule(BENCH, durations=[5000])
    assert schedule.times[-1] >= BENCH.wait_max_s
    assert len(schedule.times) <= len(todays_times(BENCH))


def test_a_poll_at_its_planned_time_counts_as_that_poll_whatever_the_float_rounding() -> None:
    """Found by hypothesis: the follower's clock reached the third planned poll (160.333...)
    as 160.33333333333331, a hair before the plan's float; counted as not yet done, it polled
    again 32 s later, 5 describes where today's schedule makes 4."""
    settings_ = PollSettings(first_s=32, cap_s=128, wait_max_s=417.0)
    schedule = PollSchedule(settings_, [1.0, 385.0])
    planned = schedule.times[2]
    assert schedule.next_wait(planned - 1e-12, planned) == schedule.times[3] - planned
    followed = follow(schedule, ends_at=193.0, describe_s=0.2)
    assert followed.describes <= follow(today(settings_), 193.0, 0.2).describes


# ---------------------------------------------------------------- the bounds, for any input

durations = st.lists(st.floats(min_value=0.5, max_value=30_000), min_size=0, max_size=12)
poll_settings = st.builds(
    lambda first, cap_factor, wait: PollSettings(first, first * cap_factor, wait),
    st.integers(min_value=1, max_value=60), st.integers(min_value=1, max_value=20),
    st.floats(min_value=10, max_value=3_000))


@settings(max_examples=200, deadline=None)
@given(poll_settings, durations, st.floats(min_value=0, max_value=4_000),
       st.floats(min_value=0, max_value=0.5))
def test_bounds_hold_whatever_is_known(settings_: PollSettings, known: list[float],
                                       ends_at: float, describe_s: float) -> None:
    schedule = PollSchedule(settings_, known)
    baseline = todays_times(settings_)
    times = schedule.times
    # Never more often than the first interval, never longer than the lease covers.
    assert all(gap >= settings_.first_s - 1e-9 for gap in gaps(times))
    assert all(gap <= settings_.longest_wait_s + 1e-9 for gap in gaps(times))
    # The n-th poll never before today's n-th: never more calls by any moment.
    assert len(times) <= len(baseline)
    assert all(t >= b - 1e-9 for t, b in zip(times, baseline, strict=False))
    # Polls until today's schedule stops.
    assert times[-1] >= settings_.wait_max_s
    # Played on the clock, with describes that take time: same bounds.
    followed = follow(schedule, ends_at, describe_s)
    assert all(gap >= settings_.first_s - 1e-9 for gap in followed.gaps)
    assert followed.describes <= follow(today(settings_), ends_at, describe_s).describes
    if ends_at + settings_.longest_wait_s + describe_s < settings_.wait_max_s:
        assert followed.seen_at >= ends_at  # seen, not given up on


@given(first=st.floats(0.1, 600), cap=st.floats(5, 3600), total=st.floats(1, 86400))
def test_poll_intervals_grow_are_capped_and_cover_the_wait(first: float, cap: float,
                                                           total: float) -> None:
    intervals = poll_intervals(first, cap, total)
    assert sum(intervals) >= total
    assert sum(intervals[:-1]) < total  # no interval more than needed
    assert all(i >= 1 for i in intervals)
    assert all(i <= max(1, round(cap)) for i in intervals)
    assert intervals == sorted(intervals)


def test_poll_intervals_double_then_stay_at_the_cap() -> None:
    assert poll_intervals(30, 300, 3600)[:6] == [30, 60, 120, 240, 300, 300]
