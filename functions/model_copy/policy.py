"""Merging our statements into a model version's resource policy, never clobbering others.

Pure functions over the policy document; `sharing` does the reading and writing.
Each copy (target account, model name, version name) gets one statement with a Sid we own,
so sharing twice changes nothing, and revoking after one copy's import removes only that
copy's statement: another copy to the same account, still importing, keeps its own.
"""

from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import dataclass
from typing import Any

IMPORT_ACTION = "comprehend:ImportModel"
SID_PREFIX = "ModelCopy"
# IAM's Sid alphabet is [A-Za-z0-9]; AWS documents no length for a Comprehend policy's Sid, so
# we stay within 100 (the shortest Sid limit among AWS resource policies, Lambda's).
SID_MAX_LENGTH = 100
_NAME_PART, _VERSION_PART, _DIGEST = 32, 24, 10
Policy = dict[str, Any]


@dataclass(frozen=True)
class TargetCopy:
    """The copy a statement lets import: where it goes and under which name and version."""

    account: str
    model_name: str
    version_name: str | None


def _readable(name: str, length: int) -> str:
    return "".join(c for c in name if c.isascii() and c.isalnum())[:length]


def statement_id(target: TargetCopy) -> str:
    """`ModelCopy<account><name>V<version>H<digest>`: readable, and unique per copy because
    the digest covers the exact names (hyphens dropped and long names cut from the readable
    part cannot make two copies collide)."""
    exact = f"{target.account}/{target.model_name}/{target.version_name or ''}"
    digest = hashlib.sha256(exact.encode()).hexdigest()[:_DIGEST]
    return (f"{SID_PREFIX}{target.account}{_readable(target.model_name, _NAME_PART)}"
            f"V{_readable(target.version_name or '', _VERSION_PART)}H{digest}")


def import_statement(target: TargetCopy, principal_arn: str) -> dict[str, Any]:
    """Allow exactly one principal of the target account to import, and nothing else."""
    return {
        "Sid": statement_id(target),
        "Effect": "Allow",
        "Principal": {"AWS": principal_arn},
        "Action": IMPORT_ACTION,
        # A resource policy applies to the resource it is attached to; Comprehend's own
        # examples name it as "*".
        "Resource": "*",
    }


# PutResourcePolicy takes at most 20000 characters (the `Policy` shape, Comprehend API model);
# each copy adds a statement of its own, so many copies of one version can reach it.
MAX_POLICY_CHARACTERS = 20000


def parse_policy(text: str | None) -> Policy:
    if not text:
        return {"Version": "2012-10-17", "Statement": []}
    policy = json.loads(text)
    statements = policy.get("Statement", [])
    if isinstance(statements, dict):  # a single statement may be written without a list
        statements = [statements]
    return {**policy, "Statement": list(statements)}


def grant_import(policy: Policy, target: TargetCopy,
                 principal_arn: str) -> tuple[Policy, bool]:
    """Add or update the statement of `target`; return the new policy and whether it changed."""
    wanted = import_statement(target, principal_arn)
    merged = copy.deepcopy(policy)
    statements = merged.setdefault("Statement", [])
    for index, statement in enumerate(statements):
        if statement.get("Sid") == wanted["Sid"]:
            if statement == wanted:
                return policy, False
            statements[index] = wanted
            return merged, True
    statements.append(wanted)
    return merged, True


def revoke_import(policy: Policy, target: TargetCopy) -> tuple[Policy, bool]:
    """Remove the statement of `target` only; others' statements stay as they were."""
    sid = statement_id(target)
    kept = [s for s in policy.get("Statement", []) if s.get("Sid") != sid]
    if len(kept) == len(policy.get("Statement", [])):
        return policy, False
    return {**policy, "Statement": kept}, True


def render(policy: Policy) -> str:
    return json.dumps(policy, separators=(",", ":"), sort_keys=True)
