"""Share a model version with a target account: read, merge, write with optimistic concurrency."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from model_copy import policy
from model_copy.errors import ShareFailed
from model_copy.retry import call_with_retries, error_code, is_retryable

# Codes a stale PolicyRevisionId may come back as: AWS does not document which one it is
# (aws-facts.md item 5; most likely InvalidRequestException). The same codes also mean a real
# validation error, so a conflict is only believed when a re-read shows a new revision.
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


def _revision_now(comprehend: Any, arn: str) -> str | None:
    return _read_policy(comprehend, arn)[1]


def _message(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Message", "")) or str(error)


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


def _update(comprehend: Any, arn: str, account: str, merge: Any, fix: str = "") -> ShareResult:
    for _ in range(MAX_CONFLICT_RETRIES):
        current, revision = _read_policy(comprehend, arn)
        updated, changed = merge(current)
        if not changed:
            return ShareResult(arn, account, False, revision)
        try:
            new_revision = _write(comprehend, arn, updated, revision)
        except ClientError as error:
            if (error_code(error) in REVISION_CONFLICT_CODES and not is_retryable(error)
                    and _revision_now(comprehend, arn) != revision):
                continue  # someone else wrote meanwhile: merge into what they wrote
            raise ShareFailed(f"could not write the resource policy of {arn}: "
                              f"{error_code(error)}: {_message(error)}{fix}") from error
        return ShareResult(arn, account, True, new_revision)
    raise ShareFailed(f"the resource policy of {arn} kept changing under us "
                      f"({MAX_CONFLICT_RETRIES} attempts); try again")


def share_model_version(comprehend: Any, arn: str, account: str, principal_arn: str) -> ShareResult:
    """Let `principal_arn` of `account` import `arn`; others' statements stay untouched."""
    # The likeliest refusal of a well-formed statement: AWS validates principals, and the
    # import role is created by the target stack.
    fix = (f". If {principal_arn} does not exist yet, deploy the target stack in account "
           f"{account} first (it creates the import role), then copy again")
    return _update(comprehend, arn, account,
                   lambda current: policy.grant_import(current, account, principal_arn), fix)


def unshare_model_version(comprehend: Any, arn: str, account: str) -> ShareResult:
    """Remove our statement for `account` (after it imported), leaving everything else;
    when ours was the only statement, the policy is deleted."""
    return _update(comprehend, arn, account,
                   lambda current: policy.revoke_import(current, account))
