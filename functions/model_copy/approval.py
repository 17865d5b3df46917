"""Approving or rejecting a copy to one target: answer the execution's approval task, and
find the approval requests still open in an execution's history.

The decision is the task's result, so who decided, when and why stays in the execution
history (and in the target's result) without a store of our own. Both decisions are
task successes that name the copy they answer (`detailType`, `sourceModelArn`,
`correlationId`, `targetAccount`, echoed from the approval request): the state machine
checks them, so an answer meant for another copy, or of another kind, fails that target
instead of approving or rejecting it.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from model_copy.contract import DetailType
from model_copy.retry import call_with_retries

# The fields of an approval request an answer must echo to be taken for this copy.
ANSWER_KEYS = ("sourceModelArn", "correlationId", "targetAccount")


class TaskAnswers(Protocol):
    """The Step Functions call that answers a waiting task (a boto3 client has it)."""

    def send_task_success(self, *, taskToken: str, output: str) -> Any: ...


@dataclass(frozen=True)
class Decision:
    decision: str  # APPROVED | REJECTED
    by: str  # the caller's identity ARN (approve/reject), or what an approval event says
    at: str
    reason: str | None = None
    via: str | None = None  # how it arrived, e.g. "event ml.pipeline from 111111111111"


def answer(decision: Decision, request: dict[str, Any]) -> dict[str, Any]:
    """The task result: the decision, and the copy it claims to answer."""
    return {**asdict(decision),
            "detailType": DetailType.MODEL_COPY_APPROVED if decision.decision == "APPROVED"
            else DetailType.MODEL_COPY_REJECTED,
            **{key: request.get(key) for key in ANSWER_KEYS}}


def decide(sfn: TaskAnswers, task_token: str, approved: bool, by: str,
           reason: str | None = None, request: dict[str, Any] | None = None,
           via: str | None = None) -> Decision:
    """Answer one approval request; `request` is its detail (what the answer must name)."""
    decision = Decision("APPROVED" if approved else "REJECTED", by,
                        datetime.now(UTC).isoformat(timespec="seconds"), reason, via)
    payload = json.dumps(answer(decision, request or {}))
    call_with_retries(lambda: sfn.send_task_success(taskToken=task_token, output=payload))
    return decision


def pending_approval_tokens(history_events: list[dict[str, Any]]) -> dict[str, str]:
    """Target account -> task token of approval requests in a history that are still open."""
    return {account: detail["taskToken"]
            for account, detail in pending_approvals(history_events).items()}


def pending_approvals(history_events: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Target account -> detail (task token included) of the open approval requests."""
    open_tokens: dict[int, tuple[str, dict[str, Any]]] = {}
    for event in history_events:
        details = event.get("taskScheduledEventDetails")
        if details and "waitForTaskToken" in str(details.get("resource", "")):
            entries = json.loads(details.get("parameters") or "{}").get("Entries", [])
            for entry in entries:
                if entry.get("DetailType") != DetailType.MODEL_COPY_APPROVAL_REQUESTED:
                    continue
                detail = entry.get("Detail")
                detail = json.loads(detail) if isinstance(detail, str) else detail
                open_tokens[event["id"]] = (detail["targetAccount"], detail)
        elif event.get("type") in ("TaskSucceeded", "TaskFailed", "TaskTimedOut"):
            open_tokens.pop(_scheduled_id(event, history_events), None)
    return dict(open_tokens.values())


def _scheduled_id(event: dict[str, Any], history: list[dict[str, Any]]) -> int:
    """The TaskScheduled event a task's end belongs to (TaskStarted sits between them)."""
    by_id = {e["id"]: e for e in history}
    current = by_id.get(event.get("previousEventId", -1))
    while current is not None and current.get("type") != "TaskScheduled":
        current = by_id.get(current.get("previousEventId", -1))
    return int(current["id"]) if current else -1
