"""Share a model version with a target account: read, merge, write with optimistic concurrency.

Everything here runs inside the share function's timeout, so retries and conflict re-reads are
bounded by the time the Lambda has left (`time_left`), not only by a count.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, TypeVar

from botocore.exceptions import ClientError

from model_copy import policy
from model_copy.errors import ShareFailed
from model_copy.retry import (
    BACKOFF_BASE_S,
    BACKOFF_CAP_S,
    RETRY_ATTEMPTS,
    backoff_delay,
    call_with_retries,
    error_code,
    is_retryable,
)

T = TypeVar("T")


class PolicyComprehend(Protocol):
    """The Comprehend calls on a model version's resource policy (a boto3 client has them)."""

    def describe_resource_policy(self, *, ResourceArn: str) -> dict[str, Any]: ...

    def put_resource_policy(self, **request: Any) -> dict[str, Any]: ...

    def delete_resource_policy(self, **request: Any) -> dict[str, Any]: ...

# Codes a stale PolicyRevisionId may come back as: AWS does not document which one it is
# (aws-facts.md item 5; most likely InvalidRequestException). The same codes also mean a real
# validation error, so a conflict is only believed when a re-read shows a new revision.
REVISION_CONFLICT_CODES = frozenset({"InvalidRequestException", "ResourceInUseException",
                                     "ConcurrentModificationException"})
MAX_CONFLICT_RETRIES = 10
# Kept back from the Lambda's time left: enough to raise, log and return the failure.
TIME_MARGIN_S = 2.0
# Creating the first policy of a version carries no PolicyRevisionId (Comprehend takes none
# for a create, and documents no create-only condition), so two first shares at once (a copy
# to many targets) can both create, and a create that lands late overwrites every statement
# merged since, conditionally or not. So every share that writes into a policy created less
# than the last of these many seconds ago (by its CreationTime, or by our own create) reads
# it again at these seconds after the creation, and merges again if its statement is gone;
# and a create is never retried in place (after a refusal it reads again first), which keeps
# a create within one read and one write of the read that found no policy.
CREATE_CHECKS_AT_S = (1.0, 3.0)


@dataclass(frozen=True)
class ShareResult:
    model_version_arn: str
    account: str
    changed: bool
    policy_revision_id: str | None


class _Budget:
    """The time left to the caller (the Lambda), spent by calls and backoff sleeps."""

    def __init__(self, arn: str, time_left: Callable[[], float] | None,
                 sleep: Callable[[float], None], clock: Callable[[], float]) -> None:
        self.arn = arn
        self.time_left = time_left or (lambda: math.inf)
        self._sleep = sleep
        self.clock = clock  # wall-clock seconds, comparable with a policy's CreationTime

    def out_of_time(self, doing: str) -> ShareFailed:
        return ShareFailed(f"the share function ran out of time while {doing} the resource "
                           f"policy of {self.arn}; try again")

    def check(self, doing: str, needs: float = 0.0) -> None:
        if self.time_left() < needs + TIME_MARGIN_S:
            raise self.out_of_time(doing)

    def pause(self, seconds: float) -> None:
        self._sleep(seconds)

    def call(self, call: Callable[[], T], doing: str, *, retried: bool = True) -> T:
        """`call` with throttling retries (unless not `retried`), never sleeping past the
        time left."""
        def sleep(seconds: float) -> None:
            if self.time_left() - seconds < TIME_MARGIN_S:
                raise self.out_of_time(doing)
            self._sleep(seconds)

        self.check(doing)
        return call_with_retries(call, sleep=sleep, attempts=RETRY_ATTEMPTS if retried else 0)


@dataclass(frozen=True)
class _Read:
    policy: policy.Policy
    revision: str | None  # None: no policy yet
    created_at: float | None  # its CreationTime, in epoch seconds, when the service gives it


def _read_policy(comprehend: PolicyComprehend, arn: str, budget: _Budget) -> _Read:
    try:
        response = budget.call(lambda: comprehend.describe_resource_policy(ResourceArn=arn),
                               "reading")
    except ClientError as error:
        if error_code(error) == "ResourceNotFoundException":
            # No policy yet. (If the model itself were missing, the write fails clearly.)
            return _Read(policy.parse_policy(None), None, None)
        raise
    created = response.get("CreationTime")
    return _Read(policy.parse_policy(response.get("ResourcePolicy")),
                 response.get("PolicyRevisionId"),
                 created.timestamp() if isinstance(created, datetime) else None)


def _message(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Message", "")) or str(error)


def _write(comprehend: PolicyComprehend, arn: str, updated: policy.Policy, revision: str | None,
           budget: _Budget) -> str | None:
    """Write `updated` at `revision`; the new revision id, or None when the policy is gone.

    Comprehend refuses a policy with no statement, so when nothing is left the policy is
    deleted instead, at the revision we read (a concurrent writer's statement is not lost).
    """
    request: dict[str, Any] = {"ResourceArn": arn}
    if revision:
        request["PolicyRevisionId"] = revision
    if not updated.get("Statement"):
        budget.call(lambda: comprehend.delete_resource_policy(**request), "deleting")
        return None
    request["ResourcePolicy"] = policy.render(updated)
    if len(request["ResourcePolicy"]) > policy.MAX_POLICY_CHARACTERS:
        raise ShareFailed(
            f"{arn}: its resource policy would be {len(request['ResourcePolicy'])} characters "
            f"with {len(updated['Statement'])} statements, over Comprehend's "
            f"{policy.MAX_POLICY_CHARACTERS} limit. Deploy the source with "
            "RevokeAfterImport=true so finished copies give their statement back, or remove "
            "statements of copies that are done")
    # A create (no revision) is not retried in place: the caller reads again first.
    response = budget.call(lambda: dict(comprehend.put_resource_policy(**request)), "writing",
                           retried=revision is not None)
    return response.get("PolicyRevisionId")


def _kept(comprehend: PolicyComprehend, arn: str, merge: Any, budget: _Budget,
          created_at: float, written_from: float) -> bool:
    """Whether our change, written no earlier than `written_from`, is still in the policy at
    each moment CREATE_CHECKS_AT_S after the policy's creation that came after our write was
    sent (a late create landing before our write would have refused a conditional write, or
    been the policy we read)."""
    for offset in CREATE_CHECKS_AT_S:
        moment = created_at + offset
        if moment <= written_from:
            continue
        wait = moment - budget.clock()
        if wait > 0:
            budget.check("checking", needs=wait)
            budget.pause(wait)
        if merge(_read_policy(comprehend, arn, budget).policy)[1]:
            return False  # merging again would change it: our statement is gone
    return True


def _update(comprehend: PolicyComprehend, arn: str, account: str, merge: Any, budget: _Budget,
            fix: str = "") -> ShareResult:
    last_attempt_s = 0.0  # another attempt starts only if one as long as the last still fits
    for attempt in range(MAX_CONFLICT_RETRIES):
        budget.check("updating", needs=last_attempt_s)
        started = budget.time_left()
        read = _read_policy(comprehend, arn, budget)
        updated, changed = merge(read.policy)
        if not changed:
            return ShareResult(arn, account, False, read.revision)
        written_from = budget.clock()
        try:
            new_revision = _write(comprehend, arn, updated, read.revision, budget)
        except ClientError as error:
            if read.revision is None and is_retryable(error):
                budget.pause(backoff_delay(attempt, BACKOFF_BASE_S, BACKOFF_CAP_S))
                continue  # a refused create: read again, someone may have created meanwhile
            if (error_code(error) in REVISION_CONFLICT_CODES and not is_retryable(error)
                    and _read_policy(comprehend, arn, budget).revision != read.revision):
                last_attempt_s = started - budget.time_left() if math.isfinite(started) else 0.0
                continue  # someone else wrote meanwhile: merge into what they wrote
            raise ShareFailed(f"could not write the resource policy of {arn}: "
                              f"{error_code(error)}: {_message(error)}{fix}") from error
        created_at = budget.clock() if read.revision is None else read.created_at
        if new_revision is not None and created_at is not None and not _kept(
                comprehend, arn, merge, budget, created_at, written_from):
            continue  # a first share's create overwrote ours: merge into what it wrote
        return ShareResult(arn, account, True, new_revision)
    raise ShareFailed(f"the resource policy of {arn} kept changing under us "
                      f"({MAX_CONFLICT_RETRIES} attempts); try again")


def share_model_version(comprehend: PolicyComprehend, arn: str, target: policy.TargetCopy,
                        principal_arn: str, *, time_left: Callable[[], float] | None = None,
                        sleep: Callable[[float], None] = time.sleep,
                        clock: Callable[[], float] = time.time) -> ShareResult:
    """Let `principal_arn` import `arn` as `target`, in a statement of that copy's own;
    others' statements stay untouched.

    `time_left` (seconds) bounds the retries, normally the Lambda's remaining time.
    """
    # The likeliest refusal of a well-formed statement: AWS validates principals, and the
    # import role is created by the target stack.
    fix = (f". If {principal_arn} does not exist yet, deploy the target stack in account "
           f"{target.account} first (it creates the import role), then copy again")
    return _update(comprehend, arn, target.account,
                   lambda current: policy.grant_import(current, target, principal_arn),
                   _Budget(arn, time_left, sleep, clock), fix)


def unshare_model_version(comprehend: PolicyComprehend, arn: str, target: policy.TargetCopy, *,
                          time_left: Callable[[], float] | None = None,
                          sleep: Callable[[float], None] = time.sleep,
                          clock: Callable[[], float] = time.time) -> ShareResult:
    """Remove the statement of `target` (after it imported), leaving everything else, also
    other copies' statements for the same account; when it was the only statement, the
    policy is deleted."""
    return _update(comprehend, arn, target.account,
                   lambda current: policy.revoke_import(current, target),
                   _Budget(arn, time_left, sleep, clock))
