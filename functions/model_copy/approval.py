"""Approving or rejecting a copy to one target: answer the execution's approval task.

The decision is the task's result, so who decided, when and why stays in the execution
history (and in the target's result) without a store of our own.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from model_copy.retry import call_with_retries

REJECTED_ERROR = "ModelCopyRejected"
REQUESTED_DETAIL_TYPE = "Model Copy Approval Requested"


@dataclass(frozen=True)
class Decision:
    decision: str  # APPROVED | REJECTED
    by: str
    at: str
    reason: str | None = None


def decide(sfn: Any, task_token: str, approved: bool, by: str,
           reason: str | None = None) -> Decision:
    decision = Decision("APPROVED" if approved else "REJECTED", by,
                        datetime.now(UTC).isoformat(timespec="seconds"), reason)
    payload = json.dumps(asdict(decision))
    if approved:
        call_with_retries(lambda: sfn.send_task_success(taskToken=task_token, output=payload))
    else:
        call_with_retries(lambda: sfn.send_task_failure(
            taskToken=task_token, error=REJECTED_ERROR, cause=payload))
    return decision


def pending_approval_tokens(history_events: list[dict[str, Any]]) -> dict[str, str]:
    """Target account -> task token of approval requests in a history that are still open."""
    open_tokens: dict[int, tuple[str, str]] = {}
    for event in history_events:
        details = event.get("taskScheduledEventDetails")
        if details and "waitForTaskToken" in str(details.get("resource", "")):
            entries = json.loads(details.get("parameters") or "{}").get("Entries", [])
            for entry in entries:
                if entry.get("DetailType") != REQUESTED_DETAIL_TYPE:
                    continue
                detail = entry.get("Detail")
                detail = json.loads(detail) if isinstance(detail, str) else detail
                open_tokens[event["id"]] = (detail["targetAccount"], detail["taskToken"])
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
