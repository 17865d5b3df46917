"""What copying a model encrypted with a customer managed key needs, and whether A's key policy
already gives it (issue 13 item 4).

From the Comprehend Developer Guide ("Sharing a custom model with another AWS account" and
"Importing a custom model from another AWS account"; aws-facts.md item 3):
- A's key policy must let B use the key for this model version: `kms:Decrypt` and
  `kms:GenerateDataKey` conditioned on `aws:SourceArn`, `kms:CreateGrant` conditioned on
  `kms:EncryptionContext:aws:comprehend:arn` (without a condition B could decrypt any model).
- In B, Comprehend uses the service role passed as `DataAccessRoleArn` for KMS, not the
  caller: that role needs `kms:CreateGrant`, `kms:Decrypt` and `kms:GenerateDataKey` on A's key.

The check here is conservative: it reports a target as missing only when no Allow statement of
the key policy names that account for the actions at all. Conditions it cannot evaluate are
given the benefit of the doubt (AWS decides at import time).
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Callable
from typing import Any, Protocol

DECRYPT_ACTIONS = ("kms:Decrypt", "kms:GenerateDataKey")
GRANT_ACTION = "kms:CreateGrant"
NEEDED_ACTIONS = (*DECRYPT_ACTIONS, GRANT_ACTION)
ENCRYPTION_CONTEXT_KEY = "kms:EncryptionContext:aws:comprehend:arn"


def key_policy_statements(model_arn: str, target_account: str, partition: str = "aws"
                          ) -> list[dict[str, Any]]:
    """The statements A adds to its key policy so that `target_account` can import
    `model_arn` (the Developer Guide's example, for one model version)."""
    importer = {"AWS": f"arn:{partition}:iam::{target_account}:root"}
    sid = f"ModelCopyImportBy{target_account}"
    return [
        {"Sid": f"{sid}Decrypt", "Effect": "Allow", "Principal": importer,
         "Action": list(DECRYPT_ACTIONS), "Resource": "*",
         "Condition": {"StringEquals": {"aws:SourceArn": model_arn}}},
        {"Sid": f"{sid}Grant", "Effect": "Allow", "Principal": importer,
         "Action": GRANT_ACTION, "Resource": "*",
         "Condition": {"StringEquals": {ENCRYPTION_CONTEXT_KEY: model_arn}}},
    ]


def data_access_role_policy(key_arn: str) -> dict[str, Any]:
    """The identity policy B's `DataAccessRoleArn` role needs on A's key (the role must trust
    comprehend.amazonaws.com, conditioned on aws:SourceAccount = B)."""
    return {"Version": "2012-10-17", "Statement": [
        {"Sid": "UseSourceModelKey", "Effect": "Allow", "Action": list(NEEDED_ACTIONS),
         "Resource": key_arn}]}


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _names_account(principal: Any, account: str) -> bool:
    """The principal is `account`, its root, one of its roles or users, or anyone."""
    if principal == "*":
        return True
    candidates = _as_list(principal.get("AWS")) if isinstance(principal, dict) else []
    for candidate in map(str, candidates):
        parts = candidate.split(":")
        if candidate in ("*", account) or (len(parts) > 5 and parts[2] in ("iam", "sts")
                                           and parts[4] == account):
            return True
    return False


def _allows(statement: dict[str, Any], action: str) -> bool:
    return any(fnmatch.fnmatchcase(action.lower(), str(a).lower())
               for a in _as_list(statement.get("Action")))


_MODEL_KEYS = {"aws:sourcearn", ENCRYPTION_CONTEXT_KEY.lower()}
def _equals(actual: str, wanted: str) -> bool:
    return actual == wanted


_MATCHERS: dict[str, Callable[[str, str], bool]] = {
    "StringEquals": _equals, "ArnEquals": _equals,
    "StringLike": fnmatch.fnmatchcase, "ArnLike": fnmatch.fnmatchcase}


def _conditions_may_hold(conditions: Any, model_arn: str) -> bool:
    """False only when a condition on the model ARN clearly names another model."""
    for operator, tests in dict(conditions or {}).items():
        match = _MATCHERS.get(operator)
        if match is None or not isinstance(tests, dict):
            continue  # not ours to judge
        for key, wanted in tests.items():
            if str(key).lower() in _MODEL_KEYS and not any(
                    match(model_arn, str(w)) for w in _as_list(wanted)):
                return False
    return True


def grants_target(key_policy: str | dict[str, Any], target_account: str,
                  model_arn: str) -> bool:
    """Whether some Allow statement lets `target_account` use the key for `model_arn` with
    each action the import needs."""
    document = json.loads(key_policy) if isinstance(key_policy, str) else key_policy
    statements = [s for s in _as_list(document.get("Statement")) if isinstance(s, dict)
                  and s.get("Effect") == "Allow"
                  and _names_account(s.get("Principal"), target_account)
                  and _conditions_may_hold(s.get("Condition"), model_arn)]
    return all(any(_allows(s, action) for s in statements) for action in NEEDED_ACTIONS)


def requirements(model_arn: str, key_arn: str, accounts: list[str],
                 key_policy: str | None) -> dict[str, Any]:
    """The state a copy carries about its key: per target what A's key policy needs and B's
    role needs, whether A's policy already grants it (None: the policy could not be read),
    and whether sharing may go on."""
    partition = model_arn.split(":")[1]
    targets: list[dict[str, Any]] = []
    for account in accounts:
        granted = None if key_policy is None else grants_target(key_policy, account, model_arn)
        targets.append({"account": account, "keyPolicyGrantsTarget": granted,
                        "keyPolicyStatements": key_policy_statements(model_arn, account,
                                                                     partition),
                        "dataAccessRolePolicy": data_access_role_policy(key_arn)})
    missing = [t["account"] for t in targets if t["keyPolicyGrantsTarget"] is False]
    message = ""
    if missing:
        message = (f"{model_arn} is encrypted with KMS key {key_arn}, whose key policy does not "
                   f"let account(s) {', '.join(missing)} use it: add these statements to the "
                   "key policy, then copy again: "
                   + json.dumps([s for t in targets if t["account"] in missing
                                 for s in t["keyPolicyStatements"]], separators=(",", ":"))
                   + ". Each target also needs its stack's DataAccessRoleArn: a role trusting "
                   "comprehend.amazonaws.com with kms:CreateGrant, kms:Decrypt and "
                   f"kms:GenerateDataKey on {key_arn}")
    return {"encrypted": True, "keyArn": key_arn, "ready": not missing, "missing": missing,
            "message": message, "targets": targets}


class KeyPolicies(Protocol):
    """The KMS calls that read a key's policy (a boto3 client has them)."""

    def describe_key(self, *, KeyId: str) -> dict[str, Any]: ...

    def get_key_policy(self, *, KeyId: str, PolicyName: str) -> dict[str, Any]: ...


def read_key_policy(kms: KeyPolicies, key_id: str, source_account: str) -> tuple[str, str | None]:
    """(key ARN, its key policy); the policy is None when A cannot read it (a key of another
    account, or no kms:GetKeyPolicy): then AWS alone decides at import time."""
    from botocore.exceptions import ClientError

    key_arn = key_id
    try:
        key_arn = str(kms.describe_key(KeyId=key_id)["KeyMetadata"]["Arn"])
        if key_arn.split(":")[4] != source_account:
            return key_arn, None
        return key_arn, str(kms.get_key_policy(KeyId=key_arn, PolicyName="default")["Policy"])
    except ClientError:
        return key_arn, None
