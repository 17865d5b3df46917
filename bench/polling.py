"""Series of copies whose imports vary: the learned poll schedule against today's, same run.

Each series runs in waves of concurrent copies of one source model, each copy with its own
emulated import time (SERIES_IMPORT_S ± SERIES_SPREAD, spread evenly). Per copy it measures the
detection lag, from the copy's end (Comprehend's EndTime) to the outcome the import function
recorded (importStartedAt + importSeconds), and per wave the target's Describe calls.

"Today's schedule" is the learned one with nothing known, which is today's by rule
(tests/unit/test_poll_schedule.py): before each of its waves the bench forgets what the ledger
table learned for its model and type, so none of its copies knows anything.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from model_copy.arns import parse_model_arn
from model_copy.contract import DetailType
from model_copy.import_durations import durations_keys

from bench.copies import Copier, CopyBroken
from bench.report import SeriesSummary, summarize_series

SERIES_IMPORT_S = 20.0
SERIES_SPREAD = 0.15
WAVE_COPIES = 5
WAVE_TIMEOUT_S = 150.0
OUTCOME_BUS = "model-copy"
DESCRIBES = "comprehend:target:DescribeModel"


def series_durations(count: int) -> list[float]:
    """Import times spread evenly over ±SERIES_SPREAD, interleaved so each wave gets a spread
    (7 is prime to the counts used, so the order is a permutation)."""
    steps = [2 * (i + 0.5) / count - 1 for i in range(count)]
    order = sorted(range(count), key=lambda i: (i * 7) % count)
    return [round(SERIES_IMPORT_S * (1 + SERIES_SPREAD * steps[i]), 2) for i in order]


@dataclass(frozen=True)
class SeriesCopy:
    name: str
    import_s: float  # Comprehend's EndTime - SubmitTime
    lag_s: float  # EndTime -> the outcome the import function recorded
    execution_s: float


@dataclass
class Series:
    label: str
    copies: list[SeriesCopy]
    describes: int

    @property
    def summary(self) -> SeriesSummary:
        return summarize_series([c.lag_s for c in self.copies],
                                [c.import_s for c in self.copies], self.describes)

    def as_dict(self) -> dict[str, Any]:
        return {"label": self.label, "describes": self.describes,
                "summary": asdict(self.summary), "copies": [asdict(c) for c in self.copies]}


def forget_durations(copier: Copier, source_arn: str) -> None:
    """Delete what the target learned for this model and its type: the next copies know nothing."""
    table = copier.target.resource("dynamodb").Table(
        copier.pipeline.target.outputs["ImportLedgerTableName"])
    for key in durations_keys(parse_model_arn(source_arn)):
        table.delete_item(Key={"copyKey": key})


def run_series(copier: Copier, label: str, source_arn: str, waves: int,
               say: Callable[[str], None], before_wave: Callable[[], None] = lambda: None,
               run_name: str = "") -> Series:
    """`run_name` keeps target names apart between runs: a name imported before is adopted,
    not imported again."""
    series = Series(label, [], 0)
    durations = series_durations(waves * WAVE_COPIES)
    for wave in range(waves):
        wave_durations = durations[wave * WAVE_COPIES:(wave + 1) * WAVE_COPIES]
        names = [f"{run_name}{label}-{wave}-{index}" for index in range(len(wave_durations))]
        copier.cloud.control("comprehend", "configure", models={
            name: {"import_s": seconds} for name, seconds in zip(names, wave_durations,
                                                                 strict=True)})
        before_wave()
        say(f"{label}: wave {wave + 1}/{waves}, imports of "
            + ", ".join(f"{s:.1f}" for s in wave_durations) + " s")
        copies, describes = _wave(copier, source_arn, names)
        series.copies.extend(copies)
        series.describes += describes
    return series


def _wave(copier: Copier, source_arn: str, names: list[str]) -> tuple[list[SeriesCopy], int]:
    copier.settle()
    before = copier.counters().get(DESCRIBES, 0)
    executions = [copier.start(source_arn, name) for name in names]
    finished = copier.wait(executions, WAVE_TIMEOUT_S)
    copier.settle()
    describes = copier.counters().get(DESCRIBES, 0) - before
    outcomes = {event["detail"].get("targetModelArn"): event["detail"]
                for event in copier.outcome_events(OUTCOME_BUS)
                if event.get("detail-type") == DetailType.MODEL_IMPORTED}
    copies = []
    for name, execution in zip(names, finished, strict=True):
        if execution.status != "SUCCEEDED" or execution.output is None:
            raise CopyBroken(f"series copy {name} ended {execution.status}: {execution.error}")
        [result] = execution.output["results"]
        target_arn = result["targetModelArn"]
        copy = copier.describe(target_arn, session=copier.target)
        outcome = outcomes[target_arn]
        seen = (datetime.fromisoformat(outcome["importStartedAt"]).timestamp()
                + float(outcome["importSeconds"]))
        ended = copy["EndTime"].timestamp()
        copies.append(SeriesCopy(name=name,
                                 import_s=round(ended - copy["SubmitTime"].timestamp(), 3),
                                 lag_s=round(seen - ended, 3), execution_s=execution.seconds))
    return copies, describes


def compare_schedules(copier: Copier, today_source: str, learned_source: str, waves: int,
                      say: Callable[[str], None], run_name: str = "") -> dict[str, Series]:
    """Today's schedule first (nothing known before each wave), then the learned one, which
    starts from what today's last wave taught the model type and learns from its own waves."""
    started = time.monotonic()
    today = run_series(copier, "today", today_source, waves, say,
                       before_wave=lambda: forget_durations(copier, today_source),
                       run_name=run_name)
    learned = run_series(copier, "learned", learned_source, waves, say, run_name=run_name)
    say(f"series done in {time.monotonic() - started:.0f} s")
    return {"today": today, "learned": learned}
