"""Execution histories of the CopyModel state machine, built for the command's progress tests.

Events carry ids, previousEventId chains and timestamps as get_execution_history returns them.
Every state an event names is looked up in statemachine/copy_model.asl.json, and its event
type must fit the state's Type there: a state renamed or retyped in the ASL fails the tests
that build its events, instead of leaving them to pass against a history that cannot happen.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from local_cloud.core.accounts import SOURCE_ACCOUNT

ASL = Path(__file__).resolve().parents[2] / "statemachine" / "copy_model.asl.json"
ARN = f"arn:aws:comprehend:us-east-1:{SOURCE_ACCOUNT}:document-classifier/clf/version/v1"
T0 = datetime(2026, 1, 1, tzinfo=UTC)
STATE_DETAILS = ("stateEnteredEventDetails", "stateExitedEventDetails")


def _states(machine: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for name, state in machine.get("States", {}).items():
        found[name] = state
        for inner in (state.get("ItemProcessor"), state.get("Iterator"),
                      *state.get("Branches", [])):
            if inner:
                found.update(_states(inner))
    return found


@cache
def asl_states(path: Path = ASL) -> dict[str, dict[str, Any]]:
    """Every state of the ASL by name, those inside Map and Parallel states included."""
    return _states(json.loads(path.read_text()))


@cache
def asl_task_resources(path: Path = ASL) -> frozenset[str]:
    """What an SDK or service task's events call its resource: the Resource's last part."""
    return frozenset(str(state["Resource"]).rsplit(":", 1)[-1]
                     for state in asl_states(path).values() if "Resource" in state)


def state(name: str) -> str:
    """`name`, if the ASL has a state of that name; else the test fails, naming it."""
    if name not in asl_states():
        raise AssertionError(f"no state {name!r} in {ASL.name}: a renamed state? "
                             f"known: {sorted(asl_states())}")
    return name


def _check(kind: str, details: dict[str, Any]) -> None:
    for key in STATE_DETAILS:
        if key in details:
            name = state(details[key]["name"])
            state_type = asl_states()[name]["Type"]
            if not kind.startswith(state_type):
                raise AssertionError(f"{kind} for {name}, a {state_type} state in {ASL.name}")
    resource = details.get("taskSucceededEventDetails", {}).get("resource")
    if resource is not None and resource not in asl_task_resources():
        raise AssertionError(f"no task calls {resource!r} in {ASL.name}")


class History:
    """Builds events with ids, previousEventId chains and timestamps like Step Functions."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    def add(self, kind: str, after: int | None = None, at: float = 0.0, **details: Any) -> int:
        _check(kind, details)
        event_id = len(self.events) + 1
        event = {"id": event_id, "type": kind, "timestamp": T0 + timedelta(seconds=at),
                 "previousEventId": event_id - 1 if after is None else after}
        event.update(details)
        self.events.append(event)
        return event_id

    def entered(self, name: str, at: float, after: int | None = None, **details: Any) -> int:
        """`name` entered: the event type follows the state's Type in the ASL."""
        kind = f"{asl_states()[state(name)]['Type']}StateEntered"
        return self.add(kind, after=after, at=at,
                        stateEnteredEventDetails={"name": name, **details})

    def exited(self, name: str, at: float, after: int | None = None, **details: Any) -> int:
        kind = f"{asl_states()[state(name)]['Type']}StateExited"
        return self.add(kind, after=after, at=at,
                        stateExitedEventDetails={"name": name, **details})

    def started(self, targets: list[str]) -> History:
        self.add("ExecutionStarted", at=0, executionStartedEventDetails={
            "input": json.dumps({"sourceModelArn": ARN, "targetAccounts": targets})})
        self.entered("PrepareCopy", at=0.1)
        plan = {"sourceModelArn": ARN, "targets": [{"account": a} for a in targets]}
        self.exited("PrepareCopy", at=0.2, output=json.dumps({"plan": plan}))
        return self

    def described(self, status: str, at: float) -> History:
        self.add("TaskSucceeded", at=at, taskSucceededEventDetails={
            "resource": "describeDocumentClassifier",
            "output": json.dumps({"DocumentClassifierProperties": {"Status": status}})})
        return self

    def iteration(self, account: str, at: float) -> int:
        """ShareWithTarget entered for one target; returns its event id to chain from."""
        return self.entered("ShareWithTarget", at=at,
                            input=json.dumps({"target": {"account": account}}))

    def announced(self, account: str, after: int, at: float) -> int:
        entered = self.entered("AnnounceShareAndWait", after=after, at=at,
                               input=json.dumps({"target": {"account": account}}))
        return self.add("TaskSubmitted", after=entered, at=at + 0.1)

    def ended(self, after: int, name: str, output: dict[str, Any], at: float) -> int:
        return self.exited(name, after=after, at=at, output=json.dumps(output))
