"""Merging our statements into a model version's resource policy, never clobbering others.

Pure functions over the policy document; `sharing` does the reading and writing.
Each target account gets one statement with a Sid we own, so sharing twice
changes nothing and revoking removes only ours.
"""

from __future__ import annotations

import copy
import json
from typing import Any

IMPORT_ACTION = "comprehend:ImportModel"
SID_PREFIX = "ModelCopyImportBy"
Policy = dict[str, Any]


def statement_id(account: str) -> str:
    return f"{SID_PREFIX}{account}"


def import_statement(account: str, principal_arn: str) -> dict[str, Any]:
    """Allow exactly one principal of the target account to import, and nothing else."""
    return {
        "Sid": statement_id(account),
        "Effect": "Allow",
        "Principal": {"AWS": principal_arn},
        "Action": IMPORT_ACTION,
        # A resource policy applies to the resource it is attached to; Comprehend's own
        # examples name it as "*".
        "Resource": "*",
    }


def parse_policy(text: str | None) -> Policy:
    if not text:
        return {"Version": "2012-10-17", "Statement": []}
    policy = json.loads(text)
    statements = policy.get("Statement", [])
    if isinstance(statements, dict):  # a single statement may be written without a list
        statements = [statements]
    return {**policy, "Statement": list(statements)}


def grant_import(policy: Policy, account: str, principal_arn: str) -> tuple[Policy, bool]:
    """Add or update our statement for `account`; return the new policy and whether it changed."""
    wanted = import_statement(account, principal_arn)
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


def revoke_import(policy: Policy, account: str) -> tuple[Policy, bool]:
    """Remove our statement for `account` only; others' statements stay as they were."""
    sid = statement_id(account)
    kept = [s for s in policy.get("Statement", []) if s.get("Sid") != sid]
    if len(kept) == len(policy.get("Statement", [])):
        return policy, False
    return {**policy, "Statement": kept}, True


def render(policy: Policy) -> str:
    return json.dumps(policy, separators=(",", ":"), sort_keys=True)
