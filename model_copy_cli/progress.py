"""Turn a copy execution's history into where each target account stands.

Pure: no AWS calls. `reduce_history(events)` folds the events that
`stepfunctions:GetExecutionHistory` returns (dicts, as boto3 gives them) into a
`CopyProgress`. The state and error names are those of statemachine/copy_model.asl.json,
read from `asl_names`.

Inside the Map state the iterations of several targets interleave, so an event is
attributed to a target by following `previousEventId` back to the state entry whose
input names `target.account` (AWS and the local cloud both chain events that way).

A history cannot say that a target has the share: nothing the target does is written in it
until its outcome (even a task heartbeat is no history event: see the event types of
HistoryEvent in the Step Functions API Reference). The target's
`Model Import Started` is kept in the source's delivery log instead; what the caller found
there comes in as `Delivery` data and moves a target from "sent" to "delivered".
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from model_copy.contract import TRAINED_STATUSES

from model_copy_cli.asl_names import TARGET_ENDS, Error, State


class Stage(StrEnum):
    VALIDATING = "validating"
    WAITING_FOR_TRAINING = "waiting for training"
    AWAITING_APPROVAL = "awaiting approval"
    SHARING = "sharing"
    SHARED = "shared"
    SENT = "sent"
    DELIVERED = "delivered"
    TRAINED = "trained"
    FAILED = "failed"


@dataclass(frozen=True)
class Delivery:
    """A target's `Model Import Started` for this copy, as found in the delivery log."""

    account: str
    at: datetime | None  # when the target reported it


TERMINAL_STAGES = frozenset({Stage.TRAINED, Stage.FAILED})
TERMINAL_EXECUTION = {"ExecutionSucceeded": "SUCCEEDED", "ExecutionFailed": "FAILED",
                      "ExecutionTimedOut": "TIMED_OUT", "ExecutionAborted": "ABORTED"}


@dataclass
class TargetProgress:
    account: str
    stage: Stage = Stage.VALIDATING
    since: datetime | None = None  # when the target entered this stage
    model_status: str | None = None  # of the source model while waiting for training
    target_model_arn: str | None = None
    status: str | None = None  # the copy's Comprehend status (TRAINED, IN_ERROR...) or FAILED
    import_seconds: float | None = None
    error: str | None = None
    cause: str | None = None
    approval: dict[str, Any] | None = None  # who decided, when, why (approval gate only)

    @property
    def label(self) -> str:
        """One human phrase for the stage, the part a progress line shows."""
        if self.stage is Stage.WAITING_FOR_TRAINING:
            return f"waiting for training (model is {self.model_status or 'not trained yet'})"
        if self.stage is Stage.AWAITING_APPROVAL:
            return ("waiting for approval: model-copy approve|reject EXECUTION --target "
                    f"{self.account}")
        if self.stage is Stage.SHARING:
            return "sharing the model version"
        if self.stage is Stage.SHARED:
            return "shared; announcing to the target"
        if self.stage is Stage.SENT:
            return ("sent to the target's bus; waiting for the target to start the import (if "
                    "this lasts, see Troubleshooting in the README)")
        if self.stage is Stage.DELIVERED:
            return "delivered; the target is importing"
        if self.stage is Stage.TRAINED:
            return f"{self.status or 'TRAINED'}: {self.target_model_arn or '?'}"
        if self.stage is Stage.FAILED:
            return f"failed: {describe_failure(self.error, self.cause)}"
        return "validating the request"

    @property
    def key(self) -> tuple[Stage, str | None]:
        """What a progress line changes on."""
        return (self.stage, self.model_status if self.stage is Stage.WAITING_FOR_TRAINING
                else None)


@dataclass
class CopyProgress:
    started_at: datetime | None = None
    ended_at: datetime | None = None
    execution_status: str = "RUNNING"
    error: str | None = None
    cause: str | None = None
    source_model_arn: str | None = None
    model_status: str | None = None
    targets: dict[str, TargetProgress] = field(default_factory=dict)
    # event id -> target account, for attributing events inside the Map state
    _owner: dict[int, str] = field(default_factory=dict, repr=False)

    @property
    def finished(self) -> bool:
        return self.execution_status != "RUNNING"

    @property
    def succeeded(self) -> bool:
        """Every target's copy TRAINED and the execution itself SUCCEEDED."""
        return (self.execution_status == "SUCCEEDED" and bool(self.targets)
                and all(t.stage is Stage.TRAINED for t in self.targets.values()))

    def elapsed(self, at: datetime | None = None) -> float:
        """Seconds from the execution's start to `at` (or its end)."""
        end = at or self.ended_at
        if self.started_at is None or end is None:
            return 0.0
        return max(0.0, (end - self.started_at).total_seconds())


def describe_failure(error: str | None, cause: str | None) -> str:
    """A failure as one line a user can act on."""
    if error == Error.SOURCE_MODEL_NOT_TRAINED and cause and " is " in cause:
        # "<arn> is IN_ERROR: <message>" -> "model is IN_ERROR: <message>"
        return "model is " + cause.split(" is ", 1)[1]
    if error == Error.SOURCE_MODEL_NOT_FOUND:
        return f"the source model does not exist: {cause or 'check the ARN and its version'}"
    decision = rejection(error, cause)
    if decision is not None:
        reason = decision.get("reason") or "no reason given"
        return (f"rejected by {decision.get('by', '?')} at {decision.get('at', '?')}: "
                f"{reason}")
    cause = readable_cause(cause)
    if cause and error:
        return f"{error}: {cause}"
    return cause or error or "no reason given"


def readable_cause(cause: str | None) -> str | None:
    """A Lambda task's cause is its error document (message, type, stack): keep the message."""
    document = _json(cause)
    if isinstance(document, dict) and isinstance(document.get("errorMessage"), str):
        return str(document["errorMessage"])
    return cause


def rejection(error: str | None, cause: str | None) -> dict[str, Any] | None:
    """The decision of a rejected approval: the ASL keeps it, as JSON, as the cause."""
    if error != Error.MODEL_COPY_REJECTED:
        return None
    decision = _json(cause)
    return decision if isinstance(decision, dict) else None


def parse_time(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and value:
        return datetime.fromisoformat(value.replace(" ", "T", 1).replace("Z", "+00:00"))
    return None


def _json(text: Any) -> Any:
    if not isinstance(text, str):
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def _accounts_of_input(value: Any) -> list[str]:
    """Target accounts named by an execution input (manual or "Copy Model Requested")."""
    if not isinstance(value, dict):
        return []
    detail = value.get("detail")
    body: dict[str, Any] = detail if isinstance(detail, dict) else value
    accounts = body.get("targetAccounts")
    return [a for a in accounts if isinstance(a, str)] if isinstance(accounts, list) else []


class _Reducer:
    def __init__(self, progress: CopyProgress) -> None:
        self.p = progress

    def target(self, account: str) -> TargetProgress:
        if account not in self.p.targets:
            self.p.targets[account] = TargetProgress(account=account, since=self.p.started_at)
        return self.p.targets[account]

    def move_all(self, stage: Stage, at: datetime | None, **changes: Any) -> None:
        for target in self.p.targets.values():
            if target.stage not in TERMINAL_STAGES:
                self.move(target, stage, at, **changes)

    @staticmethod
    def move(target: TargetProgress, stage: Stage, at: datetime | None, **changes: Any) -> None:
        if target.stage is not stage:
            target.since = at
        target.stage = stage
        for name, value in changes.items():
            setattr(target, name, value)

    def apply(self, event: dict[str, Any]) -> None:
        kind = str(event.get("type", ""))
        at = parse_time(event.get("timestamp"))
        event_id = int(event.get("id", 0))
        owner = self.p._owner.get(int(event.get("previousEventId") or 0))
        entered = event.get("stateEnteredEventDetails") or {}
        exited = event.get("stateExitedEventDetails") or {}
        # A state entered with a `target` in its input belongs to that target's iteration.
        entered_input = _json(entered.get("input")) if entered else None
        if isinstance(entered_input, dict) and isinstance(entered_input.get("target"), dict):
            owner = entered_input["target"].get("account") or owner
        if owner:
            self.p._owner[event_id] = owner

        if kind == "ExecutionStarted":
            self.p.started_at = at
            details = event.get("executionStartedEventDetails") or {}
            execution_input = _json(details.get("input"))
            for account in _accounts_of_input(execution_input):
                self.target(account).since = at
            if isinstance(execution_input, dict):
                self.p.source_model_arn = execution_input.get("sourceModelArn")
        elif kind in TERMINAL_EXECUTION:
            self.finish(kind, at, event)
        elif owner:
            self.apply_to_target(self.target(owner), kind, at, entered, exited, event)
        else:
            self.apply_to_all(kind, at, entered, exited, event)

    def apply_to_all(self, kind: str, at: datetime | None, entered: dict[str, Any],
                     exited: dict[str, Any], event: dict[str, Any]) -> None:
        name = exited.get("name") or entered.get("name")
        if kind == "TaskStateExited" and name == State.PREPARE_COPY:
            plan = (_json(exited.get("output")) or {}).get("plan") or {}
            # The plan is authoritative: it resolved defaults and tag-based targets.
            for item in plan.get("targets") or []:
                if isinstance(item, dict) and item.get("account"):
                    self.target(str(item["account"]))
            self.p.source_model_arn = plan.get("sourceModelArn") or self.p.source_model_arn
        elif kind == "TaskSucceeded" and self._is_describe(event):
            output = _json((event.get("taskSucceededEventDetails") or {}).get("output")) or {}
            properties = (output.get("DocumentClassifierProperties")
                          or output.get("EntityRecognizerProperties") or {})
            self.p.model_status = properties.get("Status") or self.p.model_status
            if self.p.model_status not in TRAINED_STATUSES:
                self.move_all(Stage.WAITING_FOR_TRAINING, at, model_status=self.p.model_status)
        elif kind == "WaitStateEntered" and name == State.WAIT_FOR_TRAINING:
            self.move_all(Stage.WAITING_FOR_TRAINING, at, model_status=self.p.model_status)

    @staticmethod
    def _is_describe(event: dict[str, Any]) -> bool:
        resource = (event.get("taskSucceededEventDetails") or {}).get("resource", "")
        return str(resource).startswith(("describeDocumentClassifier", "describeEntityRecognizer"))

    def apply_to_target(self, target: TargetProgress, kind: str, at: datetime | None,
                        entered: dict[str, Any], exited: dict[str, Any],
                        event: dict[str, Any]) -> None:
        name = entered.get("name") or exited.get("name")
        if kind.endswith("StateEntered") and name == State.AWAIT_APPROVAL:
            self.move(target, Stage.AWAITING_APPROVAL, at)
        elif kind.endswith("StateExited") and name == State.AWAIT_APPROVAL:
            target.approval = (_json(exited.get("output")) or {}).get("approval")
        elif kind.endswith("StateEntered") and name == State.SHARE_WITH_TARGET:
            self.move(target, Stage.SHARING, at)
        elif kind.endswith("StateEntered") and name == State.ANNOUNCE_SHARE_AND_WAIT:
            self.move(target, Stage.SHARED, at)
        elif kind == "TaskSubmitted" and target.stage is Stage.SHARED:
            # The target's bus took the event (a refused entry fails the task instead);
            # whether the target's import function runs is known only when it answers.
            self.move(target, Stage.SENT, at)
        elif kind in ("TaskFailed", "TaskTimedOut"):
            details = (event.get("taskFailedEventDetails")
                       or event.get("taskTimedOutEventDetails") or {})
            target.error = details.get("error") or target.error
            target.cause = details.get("cause") or target.cause
        elif kind == "PassStateExited" and exited.get("name") in TARGET_ENDS:
            result = _json(exited.get("output")) or {}
            if isinstance(result.get("approval"), dict) and result["approval"].get(
                    "decision") != "NOT_REQUIRED":
                target.approval = result["approval"]
            rejected = rejection(result.get("error"), result.get("cause"))
            if rejected is not None:
                target.approval = rejected
            if exited["name"] == State.TARGET_SUCCEEDED:
                self.move(target, Stage.TRAINED, at, status=result.get("status"),
                          target_model_arn=result.get("targetModelArn"),
                          import_seconds=result.get("importSeconds"))
            else:
                self.move(target, Stage.FAILED, at, status="FAILED",
                          error=result.get("error") or target.error,
                          cause=result.get("cause") or target.cause)

    def finish(self, kind: str, at: datetime | None, event: dict[str, Any]) -> None:
        self.p.execution_status = TERMINAL_EXECUTION[kind]
        self.p.ended_at = at
        found = [v for k, v in event.items() if k.endswith("EventDetails") and v]
        details: dict[str, Any] = found[0] if found else {}
        self.p.error = details.get("error")
        self.p.cause = details.get("cause")
        if kind == "ExecutionTimedOut":
            self.p.error = self.p.error or Error.TIMEOUT
            self.p.cause = self.p.cause or "the copy execution ran out of time"
        if kind == "ExecutionAborted":
            self.p.error = self.p.error or "Aborted"
            self.p.cause = self.p.cause or "the copy execution was stopped"
        # Targets still on their way when the execution ends share the execution's reason.
        self.move_all(Stage.FAILED, at, status="FAILED", error=self.p.error, cause=self.p.cause)


def observe_deliveries(progress: CopyProgress, deliveries: Iterable[Delivery]) -> CopyProgress:
    """A target whose share was sent, and whose `Model Import Started` was found, is delivered.
    A delivery never moves a target that is not "sent" (not yet sent, or already ended)."""
    for delivery in deliveries:
        target = progress.targets.get(delivery.account)
        if target is not None and target.stage is Stage.SENT:
            _Reducer.move(target, Stage.DELIVERED, delivery.at or target.since)
    return progress


def reduce_history(events: list[dict[str, Any]], progress: CopyProgress | None = None,
                   deliveries: Iterable[Delivery] = ()) -> CopyProgress:
    """Fold history events (oldest first) into progress, then the deliveries found; pass
    `progress` to continue a fold."""
    progress = progress or CopyProgress()
    reducer = _Reducer(progress)
    for event in sorted(events, key=lambda e: int(e.get("id", 0))):
        reducer.apply(event)
    return observe_deliveries(progress, deliveries)
