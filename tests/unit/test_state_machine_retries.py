"""The state machine retries what AWS documents as transient for each integration it calls."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ASL = Path(__file__).resolve().parents[2] / "statemachine" / "copy_model.asl.json"
# Step Functions fails a PutEvents task with EventBridge.FailedEntry when an entry fails
# (FailedEntryCount > 0), which includes throttled and internal-failure entries (Step Functions
# Developer Guide, "Add EventBridge events with Step Functions"; aws-facts.md items 6 and 7).
PUT_EVENTS_TRANSIENT = {"EventBridge.FailedEntry", "EventBridge.InternalException",
                        "EventBridge.ThrottlingException"}


def _states(states: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for name, state in states.items():
        yield name, state
        for nested in ("ItemProcessor", "Iterator"):
            if nested in state:
                yield from _states(state[nested]["States"])
        for branch in state.get("Branches", []):
            yield from _states(branch["States"])


def put_events_tasks() -> dict[str, dict[str, Any]]:
    definition = json.loads(ASL.read_text())
    return {name: state for name, state in _states(definition["States"])
            if str(state.get("Resource", "")).startswith("arn:aws:states:::events:putEvents")}


def test_the_state_machine_has_the_put_events_tasks_this_test_expects() -> None:
    assert {"AnnounceShareAndWait", "AwaitApproval"} <= set(put_events_tasks())


@pytest.mark.parametrize("name", sorted(put_events_tasks()))
def test_every_put_events_task_retries_failed_entries_with_jittered_backoff(name: str) -> None:
    """Issue 13 item 5: a failed entry (throttled, internal failure) is retried, not final."""
    state = put_events_tasks()[name]
    retried = {error for retrier in state.get("Retry", []) for error in retrier["ErrorEquals"]}
    assert PUT_EVENTS_TRANSIENT <= retried, f"{name} retries only {sorted(retried)}"
    for retrier in state["Retry"]:
        assert retrier.get("BackoffRate", 1) > 1 and retrier.get("JitterStrategy") == "FULL"
        # States.Timeout is the wait's own end (no answer): never retried into a second wait.
        assert "States.Timeout" not in retrier["ErrorEquals"]
        assert "States.ALL" not in retrier["ErrorEquals"]
