"""Source side: answer the copy executions that wait on a task token, with what they wait for.

A target's import outcome (task token from the share event) and an approval decision
(task token from the approval request) both end a waitForTaskToken task. Every answer is
a task success that says what it is (`detailType`) and which copy it names; a task token
says nothing about what waits on it, so the state machine checks the answer against the
copy that waits and fails that target on any mismatch (an import outcome never approves,
a decision never ends an import).

Step Functions comes in as a port, so the rules can be tested with a fake.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from model_copy.approval import TaskAnswers, decide
from model_copy.config import RelayConfig
from model_copy.contract import OUTCOME_DETAIL_TYPES, DetailType, ImportOutcome
from model_copy.observability import logger
from model_copy.retry import call_with_retries, error_code

# The execution already moved on (answered, timed out or stopped): nothing is waiting.
STALE_TOKEN_CODES = frozenset({"TaskTimedOut", "TaskDoesNotExist", "InvalidToken"})


@dataclass(frozen=True)
class Ports:
    stepfunctions: TaskAnswers


def _send(outcome: ImportOutcome, detail_type: str, ports: Ports) -> str:
    token = outcome.taskToken or ""
    answer = {**outcome.model_dump(exclude={"taskToken"}), "detailType": detail_type}
    if answer["message"] is None:
        answer["message"] = "no message"
    output = json.dumps(answer)
    try:
        call_with_retries(lambda: ports.stepfunctions.send_task_success(taskToken=token,
                                                                        output=output))
    except ClientError as error:
        if error_code(error) in STALE_TOKEN_CODES:
            return f"nothing waiting ({error_code(error)})"
        raise
    return "answered"


def relay_decision(event: dict[str, Any], config: RelayConfig,
                   ports: Ports) -> dict[str, Any]:
    """`Model Copy Approved/Rejected` from an integration of this account answers a gate."""
    detail = event.get("detail") or {}
    if event.get("account") != config.account or not detail.get("taskToken"):
        logger.warning("decision ignored: not from this account or without a task token",
                       extra={"sender": event.get("account")})
        return {"result": "ignored"}
    approved = event.get("detail-type") == DetailType.MODEL_COPY_APPROVED
    by = str(detail.get("by") or f"{event.get('source')} in {event.get('account')}")
    try:
        # The decision echoes the copy its sender says it answers; the state machine checks.
        # `by` is the event's own claim: `via` records what was checked (source, account).
        decision = decide(ports.stepfunctions, detail["taskToken"], approved, by,
                          detail.get("reason"), request=detail,
                          via=f"event {event.get('source')} from {event.get('account')}")
    except ClientError as error:
        if error_code(error) in STALE_TOKEN_CODES:
            return {"result": f"nothing waiting ({error_code(error)})"}
        raise
    logger.info("approval decision relayed", extra={"decision": decision.decision, "by": by})
    return {"result": decision.decision}


def relay(event: dict[str, Any], config: RelayConfig, ports: Ports) -> dict[str, Any]:
    """Answer the execution that waits on the event's task token, if the event may."""
    if event.get("detail-type") in (DetailType.MODEL_COPY_APPROVED,
                                    DetailType.MODEL_COPY_REJECTED):
        return relay_decision(event, config, ports)
    sender = event.get("account")
    outcome = ImportOutcome.model_validate(event.get("detail"))
    logger.append_keys(correlation_id=outcome.correlationId)
    # Only a target may speak for itself: its outcome must come from its own account.
    if sender not in config.target_accounts or outcome.targetAccount != sender:
        logger.warning("outcome ignored: sender is not the target it names",
                       extra={"sender": sender, "target": outcome.targetAccount})
        return {"result": "ignored"}
    if not outcome.taskToken:
        return {"result": "no task token"}
    if outcome.status == "IMPORTING":  # progress, not an outcome: nothing to answer yet
        return {"result": "progress ignored"}
    if event.get("detail-type") not in OUTCOME_DETAIL_TYPES:
        return {"result": "ignored: not an outcome"}
    result = _send(outcome, str(event["detail-type"]), ports)
    logger.info("outcome relayed", extra={"status": outcome.status, "result": result})
    return {"result": result}
