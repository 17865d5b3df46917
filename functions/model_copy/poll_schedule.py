"""When to describe a running import next: the target side's poll schedule.

Comprehend announces no end of an import, so the import function polls Describe*. While nothing
is known of how long imports take, it polls as it always has: growing intervals from
ImportPollFirstSeconds, doubling up to ImportPollMaxSeconds. Once the durations of earlier
imports are known (model_copy.import_durations), it expects the end in a window around them:
it polls sparsely before that window, densely inside it, and on growing intervals again after
it, for an import that runs longer than those before it.

Three rules bound every schedule, whatever it knows:
- no two polls are closer than ImportPollFirstSeconds;
- its n-th poll is never earlier than today's n-th poll, so at any moment it has made no more
  Describe calls than today's schedule would have, and an import of any duration costs no more
  calls than today;
- it polls until today's schedule would stop, at the import's wait limit.

Pure: times are seconds since the import started, and `next_wait` depends on nothing else, so a
follower that resumes in a new invocation carries on where the plan is.
"""

from __future__ import annotations

import math
import statistics
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

# With few or alike samples the window is still at least this far either side of their median:
# imports of one model vary (service load, model size) more than a handful of samples shows.
MIN_SPREAD = 0.10
# Before the window: about this many polls, each interval at least today's cap and at most
# SPARSE_MAX_CAPS caps, so an import that ends much sooner than expected is still seen within
# a few caps (and an early IN_ERROR too).
SPARSE_POLLS = 4
SPARSE_MAX_CAPS = 4
# A poll this close before a planned time is that planned poll: the follower's elapsed time is
# float arithmetic on a clock, and a hair short of the plan must not count as a poll not yet
# made (it would add a describe after one more shortest interval).
PLANNED_TOLERANCE_S = 1e-3


@dataclass(frozen=True)
class PollSettings:
    first_s: float  # ImportPollFirstSeconds: the shortest interval, ever
    cap_s: float  # ImportPollMaxSeconds: the longest interval of today's schedule
    wait_max_s: float  # how long an import is followed at all

    @property
    def longest_wait_s(self) -> float:
        """No wait of any schedule is longer: what a lease held across one wait must cover."""
        return max(self.first_s, SPARSE_MAX_CAPS * self.cap_s)


@dataclass(frozen=True)
class ExpectedEnd:
    """Where an import is expected to end, in seconds since it started."""

    low_s: float
    high_s: float

    @classmethod
    def around(cls, durations: Sequence[float], first_s: float) -> ExpectedEnd | None:
        """The earlier durations widened by MIN_SPREAD around their median and by one
        shortest interval either side (a poll a little before or after still finds the end)."""
        if not durations:
            return None
        middle = statistics.median(durations)
        low = min(min(durations), middle * (1 - MIN_SPREAD)) - first_s
        high = max(max(durations), middle * (1 + MIN_SPREAD)) + first_s
        return cls(max(low, 0.0), high)


def poll_intervals(first: float, cap: float, total: float) -> list[int]:
    """Growing intervals (doubling up to `cap`) whose sum covers `total` seconds."""
    intervals: list[int] = []
    step, waited = first, 0.0
    while waited < total:
        seconds = max(1, round(min(step, cap)))
        intervals.append(seconds)
        waited += seconds
        step *= 2
    return intervals


def todays_times(settings: PollSettings) -> list[float]:
    """Today's schedule: a poll at once, then after each growing interval."""
    times = [0.0]
    for interval in poll_intervals(settings.first_s, settings.cap_s, settings.wait_max_s):
        times.append(times[-1] + interval)
    return times


def plan_poll_times(settings: PollSettings, expected: ExpectedEnd | None = None) -> list[float]:
    """Every poll of one import, in seconds since it started; the first is at once."""
    today = todays_times(settings)
    if expected is None:
        return today
    return _within_rules(_wanted_times(settings, expected, today), settings, today)


def _wanted_times(settings: PollSettings, expected: ExpectedEnd,
                  today: list[float]) -> list[float]:
    first, cap = settings.first_s, settings.cap_s
    low = min(max(expected.low_s, first), settings.wait_max_s)
    high = min(max(expected.high_s, low), settings.wait_max_s)
    every = min(max(low / SPARSE_POLLS, cap), SPARSE_MAX_CAPS * cap)
    sparse = [every * k for k in range(1, math.ceil(low / every))]
    start = max(low, sparse[-1] + first if sparse else first)
    # What today's schedule spends by the window's end pays for the window's polls, spread
    # evenly from its start to its end.
    budget = bisect_right(today, high) - 1 - len(sparse)
    window: list[float] = [start] if budget >= 1 else []
    step = cap
    if budget >= 2 and high > start:
        step = max(first, (high - start) / (budget - 1))
        window = [start + step * k for k in range(budget) if start + step * k <= high + 1e-9]
    # Longer than expected: grow again from the window's spacing, up to today's cap.
    after, at = [], (sparse + window or [0.0])[-1]
    while at < today[-1]:
        step = min(step * 2, cap)
        at += step
        after.append(at)
    return sparse + window + after


def _within_rules(wanted: list[float], settings: PollSettings,
                  today: list[float]) -> list[float]:
    times = [0.0]
    for at in wanted:
        if len(times) == len(today):
            break
        if at <= times[-1]:
            continue  # an earlier poll was pushed past this one: it already looks then
        times.append(max(at, times[-1] + settings.first_s, today[len(times)]))
    return times


class PollSchedule:
    """The plan of one import; `next_wait` after each poll says how long to sleep."""

    def __init__(self, settings: PollSettings, durations: Sequence[float] = ()) -> None:
        self.settings = settings
        self.expected = ExpectedEnd.around(durations, settings.first_s)
        self.times = plan_poll_times(settings, self.expected)

    def next_wait(self, polled_at: float, now: float | None = None) -> float:
        """Seconds from `now` until the next planned poll after the one that started at
        `polled_at`, and at least the first interval after it: counted from the describe's
        start, so a slow describe delays nothing and a late poll is not followed by a hurried
        one."""
        now = polled_at if now is None else now
        index = bisect_right(self.times, polled_at + PLANNED_TOLERANCE_S)
        if index == len(self.times):
            return self.settings.cap_s  # past the plan: the follower stops at its wait limit
        return max(0.0, max(self.times[index], polled_at + self.settings.first_s) - now)
