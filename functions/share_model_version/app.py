"""ShareModelVersion: grant (or revoke) the import statement of one copy (target account,
model name, version name), and before that, for a model encrypted with a customer managed
key, check what A's key policy and B's service role need (`check-key-access`)."""

from typing import Any

from model_copy.arns import parse_model_arn, validate_account, validate_name
from model_copy.clients import client
from model_copy.errors import InvalidCopyRequest
from model_copy.key_access import read_key_policy, requirements
from model_copy.observability import logger
from model_copy.policy import TargetCopy
from model_copy.sharing import share_model_version, unshare_model_version


def check_key_access(event: dict[str, Any]) -> dict[str, Any]:
    arn = parse_model_arn(event.get("sourceModelArn"))
    key_id = event.get("keyId")
    if not isinstance(key_id, str) or not key_id:
        raise InvalidCopyRequest("check-key-access needs the model's keyId")
    accounts = [validate_account(a, "target account") for a in event.get("accounts") or []]
    key_arn, key_policy = read_key_policy(client("kms"), key_id, arn.account)
    needed = requirements(str(arn), key_arn, accounts, key_policy)
    logger.info("key access checked", extra={"model": str(arn), "key": key_arn,
                                             "missing": needed["missing"],
                                             "policyRead": key_policy is not None})
    return needed


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    if event.get("action") == "check-key-access":
        return check_key_access(event)

    # Conflict re-reads and throttling backoff stop while the function can still report why.
    def time_left() -> float:
        return float(context.get_remaining_time_in_millis()) / 1000

    arn = str(parse_model_arn(event.get("sourceModelArn")))
    account = validate_account(event.get("account"), "target account")
    version = event.get("targetVersionName")
    name = validate_name(event.get("targetModelName", ""), "targetModelName")
    target = TargetCopy(account, name, None if version is None
                        else validate_name(version, "targetVersionName"))
    action = event.get("action")
    if action == "share":
        result = share_model_version(client("comprehend"), arn, target, str(event.get("principal")),
                                     time_left=time_left)
    elif action == "unshare":
        result = unshare_model_version(client("comprehend"), arn, target, time_left=time_left)
    else:
        raise InvalidCopyRequest("action must be 'share', 'unshare' or 'check-key-access', "
                                 f"not {action!r}")
    logger.info("resource policy updated" if result.changed else "resource policy already right",
                extra={"action": action, "model": arn, "account": account,
                       "targetModelName": target.model_name,
                       "targetVersionName": target.version_name})
    return {"changed": result.changed, "policyRevisionId": result.policy_revision_id}
