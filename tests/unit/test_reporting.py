"""The import job's report port: one contract event on the bus, retried while EventBridge
says try again, refused entries raised."""

from __future__ import annotations

import json

import pytest
from model_copy.contract import DetailType, ImportOutcome

from tests.support.fakes import FakeEvents
from tests.support.import_job import (
    EVENTS,
    SOURCE_ARN,
)


def test_put_outcome_sends_one_contract_event() -> None:
    from model_copy.reporting import put_outcome

    events = FakeEvents()
    outcome = ImportOutcome.model_validate(
        json.loads((EVENTS / "model-imported.json").read_text())["detail"])
    put_outcome(events, "model-copy", DetailType.MODEL_IMPORTED, outcome)
    [entry] = events.entries
    assert (entry["EventBusName"], entry["Source"], entry["DetailType"]) == (
        "model-copy", "model-copy", "Model Imported")
    assert ImportOutcome.model_validate_json(entry["Detail"]) == outcome
    assert entry["Resources"] == [SOURCE_ARN]


def test_put_outcome_retries_transient_entry_failures_then_delivers() -> None:
    from model_copy.reporting import put_outcome

    events = FakeEvents(failures=["ThrottlingException", "InternalFailure"])
    outcome = ImportOutcome.model_validate(
        json.loads((EVENTS / "model-imported.json").read_text())["detail"])
    bus = "arn:aws:events:us-east-1:111111111111:event-bus/model-copy"
    put_outcome(events, bus, DetailType.MODEL_IMPORTED, outcome, sleep=lambda _s: None)
    assert len(events.entries) == 3
    assert {entry["EventBusName"] for entry in events.entries} == {bus}


def test_put_outcome_gives_up_on_a_refused_entry_at_once() -> None:
    from model_copy.reporting import OutcomeNotDelivered, put_outcome

    events = FakeEvents(failures=["AccessDeniedException"])
    outcome = ImportOutcome.model_validate(
        json.loads((EVENTS / "model-imported.json").read_text())["detail"])
    with pytest.raises(OutcomeNotDelivered, match="AccessDeniedException"):
        put_outcome(events, "arn:aws:events:us-east-1:111111111111:event-bus/model-copy",
                    DetailType.MODEL_IMPORTED, outcome, sleep=lambda _s: None)
    assert len(events.entries) == 1


def test_put_outcome_raises_when_eventbridge_refuses() -> None:
    from model_copy.reporting import OutcomeNotDelivered, put_outcome

    outcome = ImportOutcome.model_validate(
        json.loads((EVENTS / "model-import-failed.json").read_text())["detail"])
    with pytest.raises(OutcomeNotDelivered, match="AccessDenied"):
        put_outcome(FakeEvents(failed=True), "model-copy", DetailType.MODEL_IMPORT_FAILED,
                    outcome)
