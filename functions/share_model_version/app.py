"""ShareModelVersion: grant (or revoke) the import statement of one copy (target account,
model name, version name)."""

from typing import Any

import boto3
from model_copy.arns import parse_model_arn, validate_account, validate_name
from model_copy.errors import InvalidCopyRequest
from model_copy.observability import logger
from model_copy.policy import TargetCopy
from model_copy.sharing import share_model_version, unshare_model_version

comprehend = boto3.client("comprehend")


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    # Conflict re-reads and throttling backoff stop while the function can still report why.
    def time_left() -> float:
        return float(context.get_remaining_time_in_millis()) / 1000

    arn = str(parse_model_arn(event.get("sourceModelArn")))
    account = validate_account(event.get("account"), "target account")
    version = event.get("targetVersionName")
    target = TargetCopy(account, validate_name(event.get("targetModelName", ""), "targetModelName"),
                        None if version is None else validate_name(version, "targetVersionName"))
    action = event.get("action")
    if action == "share":
        result = share_model_version(comprehend, arn, target, str(event.get("principal")),
                                     time_left=time_left)
    elif action == "unshare":
        result = unshare_model_version(comprehend, arn, target, time_left=time_left)
    else:
        raise InvalidCopyRequest(f"action must be 'share' or 'unshare', not {action!r}")
    logger.info("resource policy updated" if result.changed else "resource policy already right",
                extra={"action": action, "model": arn, "account": account,
                       "targetModelName": target.model_name,
                       "targetVersionName": target.version_name})
    return {"changed": result.changed, "policyRevisionId": result.policy_revision_id}
