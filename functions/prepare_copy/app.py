"""PrepareCopy: validate and normalize the execution input of any trigger into the plan the
state machine runs, with the source's settings it needs (no AWS calls)."""

from typing import Any

from model_copy.config import SourceConfig
from model_copy.observability import logger
from model_copy.request import plan_copy

CONFIG = SourceConfig.from_env()


@logger.inject_lambda_context
def handler(event: dict[str, Any], _context: Any) -> dict[str, Any]:
    # Raises InvalidCopyRequest (the execution's error name) with a message saying what to fix.
    plan = plan_copy(event.get("input"), CONFIG, correlation_id=event["correlationId"])
    logger.append_keys(correlation_id=plan.correlationId)
    logger.info("copy planned", extra={"trigger": plan.trigger, "model": plan.sourceModelArn,
                                       "targets": [t.account for t in plan.targets]})
    state = plan.as_state()
    state["importTimeoutSeconds"] = CONFIG.import_timeout_s
    state["revokeAfterImport"] = CONFIG.revoke_after_import
    state["approvalTimeoutSeconds"] = CONFIG.approval_timeout_s
    state["maxConcurrency"] = CONFIG.max_concurrent_targets
    for target in state["targets"]:
        target["busArn"] = CONFIG.target_bus_arn(target["account"])
    # The training poll in progress: seconds of the next wait, and seconds waited so far.
    return {"plan": state, "wait": {"next": plan.trainingPollFirstSeconds, "waited": 0,
                                    "seconds": 0}}
