"""Model resource policies: what a policy document may say, its revisions, and whether it lets a
caller from another account import the model.

AWS lets a model policy allow only `comprehend:ImportModel`, so that is all we accept and all
`may_import` evaluates; PutResourcePolicy's only declared client error is InvalidRequestException,
so every fault in a document is reported as one.
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime
from typing import Any

from local_cloud.iam.evaluator import Principal, Request, evaluate, parse
from local_cloud.iam.organization import org_id_of
from local_cloud.services.comprehend.caller import Caller
from local_cloud.services.comprehend.errors import invalid

IMPORT_ACTION = "comprehend:ImportModel"
POLICY_VERSIONS = ("2012-10-17", "2008-10-17")


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


# Matched whole (fullmatch): a principal with a trailing newline names nobody.
_PRINCIPAL = re.compile(r"\*|[0-9]{12}|arn:aws[a-zA-Z-]*:(iam|sts)::[0-9]{12}:[\x21-\x7e]+")


def _statements(policy: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for s in _as_list(policy.get("Statement")) if isinstance(s, dict)]


def parse_policy(text: str | None) -> dict[str, Any]:
    """The policy document, or InvalidRequestException saying what is wrong with it."""
    try:
        policy = json.loads(text or "")
    except ValueError as error:
        raise invalid(f"The resource policy is not valid JSON: {error}") from None
    if not isinstance(policy, dict):
        raise invalid("The resource policy must be a JSON object")
    if "Version" in policy and policy["Version"] not in POLICY_VERSIONS:
        raise invalid(f"Unsupported policy Version {policy['Version']!r}")
    statements = _as_list(policy.get("Statement"))
    if not statements:
        raise invalid("The resource policy has no Statement")
    for index, statement in enumerate(statements):
        where = f"Statement {index + 1}"
        if not isinstance(statement, dict):
            raise invalid(f"{where} is not a JSON object")
        for unsupported in ("NotAction", "NotPrincipal", "NotResource"):
            if unsupported in statement:
                raise invalid(f"{where}: {unsupported} is not supported in a model policy")
        if statement.get("Effect") not in ("Allow", "Deny"):
            raise invalid(f"{where}: Effect must be Allow or Deny")
        actions = _as_list(statement.get("Action"))
        wrong = [a for a in actions if str(a).lower() != IMPORT_ACTION.lower()]
        if not actions or wrong:
            raise invalid(f"{where}: the only action a model policy may name is "
                          f"{IMPORT_ACTION} (found {wrong or 'none'})")
        principal = statement.get("Principal")
        candidates = (_as_list(principal.get("AWS")) if isinstance(principal, dict)
                      else _as_list(principal))
        if not candidates or not all(_PRINCIPAL.fullmatch(str(p)) for p in candidates):
            raise invalid(f"{where}: Principal must name AWS accounts or IAM principals "
                          f"(found {principal!r})")
    return policy


def _user_exists(user_arn: str) -> bool:
    from moto.iam.models import iam_backends

    users = iam_backends[user_arn.split(":")[4]]["aws"].users
    return user_arn.rsplit("/", 1)[-1] in users


def check_principals_exist(policy: dict[str, Any]) -> None:
    """AWS validates a policy's principals when it is written: naming a role or user that does
    not exist (for example a target stack not deployed yet) is refused, not stored."""
    from local_cloud.iam.identities import role_exists

    for index, statement in enumerate(_statements(policy)):
        principal = statement.get("Principal")
        candidates = (_as_list(principal.get("AWS")) if isinstance(principal, dict)
                      else _as_list(principal))
        for candidate in map(str, candidates):
            parts = candidate.split(":")  # arn:aws:iam::<account>:role/<name>
            kind = parts[5].split("/", 1)[0] if len(parts) == 6 and parts[2] == "iam" else ""
            exists = {"role": role_exists, "user": _user_exists}.get(kind)
            if exists is not None and not exists(candidate):
                raise invalid(f"Statement {index + 1}: invalid principal {candidate}: "
                              f"the {kind} does not exist")


def store_policy(backend: Any, arn: str, text: str) -> str:
    now = datetime.now(UTC)
    current = backend.resource_policies.get(arn) or {}
    revision = uuid.uuid4().hex
    backend.resource_policies[arn] = {
        "ResourcePolicy": text, "PolicyRevisionId": revision,
        "CreationTime": current.get("CreationTime", now), "LastModifiedTime": now}
    return revision


def check_revision(backend: Any, arn: str, revision: str | None) -> None:
    if revision is None:
        return
    current = (backend.resource_policies.get(arn) or {}).get("PolicyRevisionId")
    if current is None:
        raise invalid(f"PolicyRevisionId {revision} does not match: {arn} has no policy "
                      "revision (omit PolicyRevisionId to create the first one)")
    if revision != current:
        raise invalid(f"PolicyRevisionId {revision} does not match the current policy "
                      f"revision of {arn}; describe the policy again and retry")


def may_import(policy_text: str | None, caller: Caller, arn: str) -> bool:
    """Whether the model's policy lets `caller` import it from another account, decided by the
    local cloud's one evaluator (local_cloud.iam); the caller's own identity policies are
    checked by local_cloud.iam.enforcement."""
    principal = Principal(account=caller.account, arn=caller.arn, role_arn=caller.role_arn,
                          org_id=org_id_of(caller.account))
    return evaluate(principal, Request(IMPORT_ACTION, arn), [], parse(policy_text),
                    identity_checked=False).allowed
