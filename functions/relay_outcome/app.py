"""RelayOutcome: hand a target's import outcome to the copy execution waiting on its task token."""

from __future__ import annotations

import os
from typing import Any

import boto3
from botocore.exceptions import ClientError
from model_copy.config import _accounts
from model_copy.contract import DetailType, ImportOutcome
from model_copy.observability import logger
from model_copy.retry import call_with_retries, error_code

TARGET_ACCOUNTS = _accounts(os.environ.get("TARGET_ACCOUNT_IDS", ""))
# The execution already moved on (answered, timed out or stopped): nothing is waiting.
STALE_TOKEN_CODES = frozenset({"TaskTimedOut", "TaskDoesNotExist", "InvalidToken"})
sfn = boto3.client("stepfunctions")


def _send(outcome: ImportOutcome, detail_type: str) -> str:
    token = outcome.taskToken or ""
    if detail_type == DetailType.MODEL_IMPORT_STARTED:
        call = lambda: sfn.send_task_heartbeat(taskToken=token)  # noqa: E731
    elif outcome.succeeded:
        output = outcome.model_dump_json(exclude={"taskToken"})
        call = lambda: sfn.send_task_success(taskToken=token, output=output)  # noqa: E731
    else:
        cause = (f"account {outcome.targetAccount}: {outcome.status}: "
                 f"{outcome.message or 'no message'}")
        call = lambda: sfn.send_task_failure(  # noqa: E731
            taskToken=token, error="ModelImportFailed", cause=cause[:32768])
    try:
        call_with_retries(call)
    except ClientError as error:
        if error_code(error) in STALE_TOKEN_CODES:
            return f"nothing waiting ({error_code(error)})"
        raise
    return "answered"


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], _context: Any) -> dict[str, Any]:
    sender = event.get("account")
    outcome = ImportOutcome.model_validate(event.get("detail"))
    logger.append_keys(correlation_id=outcome.correlationId)
    # Only a target may speak for itself: its outcome must come from its own account.
    if sender not in TARGET_ACCOUNTS or outcome.targetAccount != sender:
        logger.warning("outcome ignored: sender is not the target it names",
                       extra={"sender": sender, "target": outcome.targetAccount})
        return {"result": "ignored"}
    if not outcome.taskToken:
        return {"result": "no task token"}
    result = _send(outcome, str(event.get("detail-type")))
    logger.info("outcome relayed", extra={"status": outcome.status, "result": result})
    return {"result": result}
