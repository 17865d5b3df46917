"""The import job polls on the schedule its earlier imports taught it (fake clock, a Comprehend
whose imports take a set time, the durations kept in moto's DynamoDB)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from model_copy.config import TargetConfig
from model_copy.contract import ModelVersionShared
from model_copy.import_durations import ImportDurations
from model_copy.importing import ImportJob, Ports, run
from model_copy.ledger import Ledger
from model_copy.poll_schedule import PollSettings, todays_times

from tests.support.template_environment import template_environment

EVENTS = Path(__file__).resolve().parents[2] / "events"
SOURCE, TARGET = "111111111111", "222222222222"
CONFIG = TargetConfig.from_env(template_environment(
    "ImportModelFunction", account=TARGET, SourceAccountIds=SOURCE, ImportPollFirstSeconds="1",
    ImportPollMaxSeconds="2", ImportWaitMaxSeconds="600", ImportHandoverMarginSeconds="5"))
SETTINGS = PollSettings(CONFIG.poll_first_s, CONFIG.poll_max_s, CONFIG.import_wait_max_s)


class TimedComprehend:
    """Each import takes `import_s` on the given clock, then is TRAINED with its EndTime."""

    def __init__(self, clock: Any, import_s: float) -> None:
        self.clock, self.import_s = clock, import_s
        self.models: dict[str, tuple[str, float]] = {}
        self.describes = 0

    def import_model(self, **request: Any) -> dict[str, Any]:
        arn = (f"arn:aws:comprehend:us-east-1:{TARGET}:document-classifier/"
               f"{request['ModelName']}/version/{request['VersionName']}")
        self.models[arn] = (request["SourceModelArn"], self.clock())
        return {"ModelArn": arn}

    def describe_document_classifier(self, DocumentClassifierArn: str) -> dict[str, Any]:
        self.describes += 1
        source, submitted = self.models[DocumentClassifierArn]
        ends = submitted + self.import_s
        properties: dict[str, Any] = {"Status": "TRAINING", "SourceModelArn": source}
        if self.clock() >= ends:
            properties.update(Status="TRAINED", EndTime=datetime.fromtimestamp(ends, UTC))
        return {"DocumentClassifierProperties": properties}

    def describe_entity_recognizer(self, EntityRecognizerArn: str) -> dict[str, Any]:
        raise AssertionError("these imports are document classifiers")

    def delete_document_classifier(self, DocumentClassifierArn: str) -> dict[str, Any]:
        raise AssertionError(f"unexpected delete of {DocumentClassifierArn}")

    def delete_entity_recognizer(self, EntityRecognizerArn: str) -> dict[str, Any]:
        raise AssertionError(f"unexpected delete of {EntityRecognizerArn}")


def share_of(version: str) -> ModelVersionShared:
    detail = json.loads((EVENTS / "model-version-shared.json").read_text())["detail"]
    arn = detail["sourceModelArn"].replace("/version/v3", f"/version/{version}")
    return ModelVersionShared(**{**detail, "sourceModelArn": arn, "targetVersionName": version})


@pytest.fixture
def copy(ledger: Ledger, ledger_table: Any, clock: Any) -> Any:
    """Copy one version with imports of `import_s`; returns the describes it took and when the
    copy was seen TRAINED, in seconds since its import began."""
    def copy_version(version: str, import_s: float) -> tuple[int, float]:
        comprehend = TimedComprehend(clock, import_s)
        ports = Ports(comprehend=comprehend, ledger=ledger, report=lambda *_: None,
                      hand_over=lambda _owner: None, clock=clock, sleep=clock.sleep,
                      durations=ImportDurations(ledger_table, clock=clock))
        began = clock()
        assert run(share_of(version), SOURCE, f"req-{version}", CONFIG, ports).endswith("TRAINED")
        return comprehend.describes, clock() - began
    return copy_version


def describes_today(import_s: float) -> int:
    return sum(1 for t in todays_times(SETTINGS) if t < import_s) + 1


def test_first_import_polls_as_today_and_the_next_learns_from_it(copy: Any) -> None:
    describes, seen_after = copy("v1", 20.0)
    assert describes == describes_today(20.0) == 12  # 0, 1, 3, ..., 19, 21
    assert seen_after == 21

    describes, seen_after = copy("v2", 20.4)
    assert describes < describes_today(20.4)
    assert 20.4 <= seen_after <= 20.4 + CONFIG.poll_first_s


def test_an_import_far_longer_than_its_predecessors_is_still_seen_within_a_cap(
        copy: Any) -> None:
    copy("v1", 20.0)
    describes, seen_after = copy("v2", 95.5)
    assert 95.5 <= seen_after <= 95.5 + CONFIG.poll_max_s
    assert describes <= describes_today(95.5)


def test_the_lease_outlasts_the_longest_wait_of_any_schedule() -> None:
    """A sparse wait is longer than the cap: a live follower must not lose its lease in it."""
    defaults = TargetConfig.from_env(template_environment("ImportModelFunction"))
    job = ImportJob(share=share_of("v1"), source=None, owner="req-1",  # type: ignore[arg-type]
                    config=defaults, ports=None)  # type: ignore[arg-type]
    assert job.lease_s > job.poll_settings.longest_wait_s + defaults.handover_margin_s


def test_the_outcome_says_when_the_end_was_seen_not_when_promotion_finished(
        ledger: Ledger, ledger_table: Any, clock: Any) -> None:
    """importSeconds is the import as the follower saw it; promoting and recording come after."""
    reports: list[Any] = []
    ports = Ports(comprehend=TimedComprehend(clock, 20.0), ledger=ledger,
                  report=lambda _type, outcome: reports.append(outcome),
                  hand_over=lambda _owner: None, clock=clock, sleep=clock.sleep,
                  promote=lambda *_: clock.sleep(5),
                  durations=ImportDurations(ledger_table, clock=clock))
    run(share_of("v1"), SOURCE, "req-1", CONFIG, ports)
    final = reports[-1]
    assert final.status == "TRAINED"
    assert final.importSeconds == 21  # seen at the describe 21 s in, promoted 5 s later


def test_the_import_start_is_kept_to_the_millisecond(ledger: Ledger, ledger_table: Any,
                                                     clock: Any) -> None:
    """The schedule counts from it: a start cut to the second would shift every poll by up to
    a second against the expected end."""
    clock.now += 0.75
    reports: list[Any] = []
    ports = Ports(comprehend=TimedComprehend(clock, 20.0), ledger=ledger,
                  report=lambda _type, outcome: reports.append(outcome),
                  hand_over=lambda _owner: None, clock=clock, sleep=clock.sleep,
                  durations=ImportDurations(ledger_table, clock=clock))
    run(share_of("v1"), SOURCE, "req-1", CONFIG, ports)
    started = datetime.fromisoformat(reports[-1].importStartedAt).timestamp()
    assert started == pytest.approx(1_800_000_000.75, abs=0.001)
    assert reports[-1].importSeconds == 21
