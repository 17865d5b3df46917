"""Share a model version with a target account: read, merge, write with optimistic concurrency."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from model_copy import policy
from model_copy.errors import ShareFailed
from model_copy.retry import call_with_retries, error_code, is_retryable

# Someone else wrote the policy between our read and our write: read again and re-merge.
REVISION_CONFLICT_CODES = frozenset({"InvalidRequestException", "ResourceInUseException",
                                     "ConcurrentModificationException"})
MAX_CONFLICT_RETRIES = 10


@dataclass(frozen=True)
class ShareResult:
    model_version_arn: str
    account: str
    changed: bool
    policy_revision_id: str | None


def _read_policy(comprehend: Any, arn: str) -> tuple[policy.Policy, str | None]:
    try:
        response = call_with_retries(lambda: comprehend.describe_resource_policy(ResourceArn=arn))
    except ClientError as error:
        if error_code(error) == "ResourceNotFoundException":
            # No policy yet. (If the model itself were missing, the write fails clearly.)
            return policy.parse_policy(None), None
        raise
    return policy.parse_policy(response.get("ResourcePolicy")), response.get("PolicyRevisionId")


def _is_conflict(error: ClientError, had_revision: bool) -> bool:
    code = error_code(error)
    message = str(error.response.get("Error", {}).get("Message", "")).lower()
    return code in REVISION_CONFLICT_CODES and (had_revision or "revision" in message)


def _write(comprehend: Any, arn: str, updated: policy.Policy,
           revision: str | None) -> str | None:
    """Write `updated` at `revision`; the new revision id, or None when the policy is gone.

    Comprehend refuses a policy with no statement, so when nothing is left the policy is
    deleted instead, at the revision we read (a concurrent writer's statement is not lost).
    """
    request: dict[str, Any] = {"ResourceArn": arn}
    if revision:
        request["PolicyRevisionId"] = revision
    if not updated.get("Statement"):
        call_with_retries(lambda: comprehend.delete_resource_policy(**request))
        return None
    request["ResourcePolicy"] = policy.render(updated)
    response = call_with_retries(lambda: dict(comprehend.put_resource_policy(**request)))
    return response.get("PolicyRevisionId")


def _update(comprehend: Any, arn: str, account: str, merge: Any) -> ShareResult:
    for _ in range(MAX_CONFLICT_RETRIES):
        current, revision = _read_policy(comprehend, arn)
        updated, changed = merge(current)
        if not changed:
            return ShareResult(arn, account, False, revision)
        try:
            new_revision = _write(comprehend, arn, updated, revision)
        except ClientError as error:
            if _is_conflict(error, revision is not None) and not is_retryable(error):
                continue
            raise ShareFailed(f"could not write the resource policy of {arn}: "
                              f"{error_code(error)}: {error}") from error
        return ShareResult(arn, account, True, new_revision)
    raise ShareFailed(f"the resource policy of {arn} kept changing under us "
                      f"({MAX_CONFLICT_RETRIES} attempts); try again")


def share_model_version(comprehend: Any, arn: str, account: str, principal_arn: str) -> ShareResult:
    """Let `principal_arn` of `account` import `arn`; others' statements stay untouched."""
    return _update(comprehend, arn, account,
                   lambda current: policy.grant_import(current, account, principal_arn))


def unshare_model_version(comprehend: Any, arn: str, account: str) -> ShareResult:
    """Remove our statement for `account` (after it imported), leaving everything else;
    when ours was the only statement, the policy is deleted."""
    return _update(comprehend, arn, account,
                   lambda current: policy.revoke_import(current, account))
