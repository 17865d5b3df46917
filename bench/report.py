"""The pure part of the bench: minimum call counts, ratios, target verdicts, the table.

Everything here is arithmetic on figures measured elsewhere, so it is unit tested without a
cloud and without timing anything.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from model_copy.poll_schedule import poll_intervals

Comparison = Literal["<=", "==", "within", "info"]
UNAVAILABLE = "unavailable"


@dataclass(frozen=True)
class Metric:
    """One row of the table: a measured value, its target and how the two compare.

    `within`: |value - target| <= tolerance; `<=`: value <= target; `==`: value == target;
    `info`: no target, a figure to compare others with (today's schedule, say).
    A value of None means it could not be measured in this run (reported, never a miss).
    """

    name: str
    value: float | None
    target: float | None
    comparison: Comparison = "<="
    tolerance: float = 0.0
    unit: str = ""
    note: str = ""

    @property
    def met(self) -> bool | None:
        if self.value is None or self.target is None or self.comparison == "info":
            return None
        if self.comparison == "<=":
            return self.value <= self.target
        if self.comparison == "==":
            return self.value == self.target
        return abs(self.value - self.target) <= self.tolerance

    @property
    def verdict(self) -> str:
        if self.comparison == "info":
            return ""
        return {True: "met", False: "MISSED", None: UNAVAILABLE}[self.met]

    @property
    def target_text(self) -> str:
        if self.comparison == "info":
            return "-"
        target = _number(self.target)
        if self.comparison == "within":
            return f"within {_number(self.tolerance)} of {target}"
        return f"{self.comparison} {target}"

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "met": self.met, "verdict": self.verdict}


@dataclass(frozen=True)
class CallCounts:
    """API calls of one copy per service, with their per-operation breakdown."""

    by_service: dict[str, int]
    by_operation: dict[str, int] = field(default_factory=dict)


def polls_until_done(duration_s: float, first_s: float, cap_s: float,
                     wait_max_s: float = 86_400) -> int:
    """Describe calls a poll loop makes when the work ends `duration_s` after it starts.

    The loop describes at once, then after each interval of the pipeline's own schedule
    (`model_copy.poll_schedule.poll_intervals`: doubling from first_s, capped at cap_s); it stops at
    the first describe that happens at or after the end. So: one describe at t=0, plus one per
    interval until the elapsed sum reaches duration_s.
    """
    if duration_s <= 0:
        return 1
    calls, elapsed = 1, 0.0
    for interval in poll_intervals(first_s, cap_s, max(wait_max_s, duration_s)):
        calls += 1
        elapsed += interval
        if elapsed >= duration_s:
            return calls
    return calls


def minimum_calls_per_copy(import_s: float, training_s: float, training_poll: tuple[float, float],
                           import_poll: tuple[float, float]) -> CallCounts:
    """The fewest API calls one copy to one target can make with this design and schedule.

    Comprehend: the state machine describes the source until TRAINED (one call when it is
    already trained); sharing reads the policy (the merge needs the current statements and
    PolicyRevisionId, AWS has no "append statement") and writes it once; the target calls
    ImportModel once and describes the copy until it is TRAINED, on the import poll schedule.
    EventBridge: two PutEvents, the share announcement A->B and the outcome B->A (a task token
    can only be answered in A's account, so the answer must travel back as an event).
    Lambda: the import in B (ImportModel has no Step Functions integration across accounts)
    and the relay in A that answers the task token; the rest could be SDK integrations.
    """
    training_describes = polls_until_done(training_s, *training_poll)
    import_describes = polls_until_done(import_s, *import_poll)
    operations = {"source:DescribeModel": training_describes,
                  "source:DescribeResourcePolicy": 1, "source:PutResourcePolicy": 1,
                  "target:ImportModel": 1, "target:DescribeModel": import_describes,
                  "events:PutEvents": 2, "lambda:ImportModel": 1, "lambda:RelayOutcome": 1}
    comprehend = training_describes + 1 + 1 + 1 + import_describes
    return CallCounts(by_service={"comprehend": comprehend, "events": 2, "lambda": 2},
                      by_operation=operations)


@dataclass(frozen=True)
class SeriesSummary:
    """A series of copies on one poll schedule: how late each end was seen, and at what cost."""

    copies: int
    describes_per_copy: float
    lag_fraction_mean: float  # detection lag / the import's own time, averaged over copies
    lag_fraction_max: float
    lag_s_mean: float


def summarize_series(lags_s: Sequence[float], imports_s: Sequence[float],
                     describes: int) -> SeriesSummary:
    """`lags_s[i]`: from copy i's end (Comprehend's EndTime) to its outcome; `imports_s[i]`: its
    import's time; `describes`: the target's Describe calls for the whole series."""
    if not lags_s or len(lags_s) != len(imports_s):
        raise ValueError("a series needs one lag and one import time per copy")
    fractions = [lag / ratio_base for lag, ratio_base in zip(lags_s, imports_s, strict=True)]
    return SeriesSummary(copies=len(lags_s), describes_per_copy=describes / len(lags_s),
                         lag_fraction_mean=statistics.fmean(fractions),
                         lag_fraction_max=max(fractions),
                         lag_s_mean=statistics.fmean(lags_s))


def counter_delta(before: Mapping[str, int], after: Mapping[str, int]) -> dict[str, int]:
    """What grew between two snapshots of counters; keys that did not grow are left out."""
    grown = {key: int(after[key]) - int(before.get(key, 0)) for key in after}
    return {key: value for key, value in sorted(grown.items()) if value}


def overhead_ratio(end_to_end_s: float, emulated_s: float) -> float:
    """Time the pipeline adds on top of the emulated work, relative to that work."""
    if emulated_s <= 0:
        raise ValueError("the emulated work must take time for an overhead ratio")
    return (end_to_end_s - emulated_s) / emulated_s


def ratio(numerator: float, denominator: float) -> float:
    if denominator <= 0:
        raise ValueError(f"cannot divide by {denominator}")
    return numerator / denominator


def median(values: Sequence[float]) -> float:
    if not values:
        raise ValueError("no values to take a median of")
    return float(statistics.median(values))


def _number(value: float | None) -> str:
    if value is None:
        return "-"
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.3f}" if abs(value) < 10 else f"{value:.1f}"


def render_table(metrics: Sequence[Metric]) -> str:
    """A fixed-width table: metric, value, target, verdict (and a note when there is one)."""
    rows = [("metric", "value", "target", "verdict", "note")]
    rows += [(m.name, _number(m.value) + (f" {m.unit}" if m.unit and m.value is not None else ""),
              m.target_text, m.verdict, m.note) for m in metrics]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = []
    for index, row in enumerate(rows):
        cells = [row[i].ljust(widths[i]) for i in range(4)] + [row[4]]
        lines.append("  ".join(cells).rstrip())
        if index == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def missed_lines(metrics: Sequence[Metric]) -> list[str]:
    """One sentence per missed target, for the end of the output."""
    return [f"target missed: {m.name} = {_number(m.value)}{' ' + m.unit if m.unit else ''} "
            f"(target {m.target_text}){': ' + m.note if m.note else ''}"
            for m in metrics if m.met is False]
