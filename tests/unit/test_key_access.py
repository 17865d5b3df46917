"""Copying a model encrypted with a customer managed key: what A's key policy and B's service
role need, and whether A's key policy already gives it (issue 13 item 4)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from model_copy.key_access import (
    data_access_role_policy,
    grants_target,
    key_policy_statements,
    requirements,
)

MODEL = "arn:aws:comprehend:us-east-1:111111111111:document-classifier/news/version/v3"
OTHER_MODEL = "arn:aws:comprehend:us-east-1:111111111111:document-classifier/other/version/v1"
KEY = "arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab"
B = "222222222222"
OWNER = {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111111111111:root"},
         "Action": "kms:*", "Resource": "*"}


def policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [OWNER, *statements]})


def test_the_default_key_policy_does_not_grant_the_target() -> None:
    assert not grants_target(policy(), B, MODEL)


def test_the_guides_statements_grant_the_target_for_this_model_only() -> None:
    statements = key_policy_statements(MODEL, B)
    assert grants_target(policy(*statements), B, MODEL)
    assert not grants_target(policy(*statements), B, OTHER_MODEL)
    assert not grants_target(policy(*statements), "333333333333", MODEL)


def test_the_guides_statements_are_conditioned_as_it_documents() -> None:
    decrypt, grant = key_policy_statements(MODEL, B)
    assert decrypt["Principal"] == grant["Principal"] == {"AWS": f"arn:aws:iam::{B}:root"}
    assert sorted(decrypt["Action"]) == ["kms:Decrypt", "kms:GenerateDataKey"]
    assert decrypt["Condition"] == {"StringEquals": {"aws:SourceArn": MODEL}}
    assert grant["Action"] == "kms:CreateGrant"
    assert grant["Condition"] == {
        "StringEquals": {"kms:EncryptionContext:aws:comprehend:arn": MODEL}}


@pytest.mark.parametrize("statement", [
    {"Effect": "Allow", "Principal": {"AWS": B}, "Action": "kms:*", "Resource": "*"},
    {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{B}:role/comprehend-data"},
     "Action": ["kms:Decrypt", "kms:GenerateDataKey", "kms:CreateGrant"], "Resource": "*",
     "Condition": {"StringLike": {"kms:EncryptionContext:aws:comprehend:arn":
                                  "arn:aws:comprehend:*"}}},
    # A condition the check cannot evaluate is left to AWS.
    {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{B}:root"}, "Action": "kms:*",
     "Resource": "*", "Condition": {"StringEquals": {"kms:CallerAccount": B}}},
])
def test_broader_grants_count(statement: dict[str, Any]) -> None:
    assert grants_target(policy(statement), B, MODEL)


def test_a_grant_missing_one_action_does_not_count() -> None:
    decrypt, _ = key_policy_statements(MODEL, B)
    assert not grants_target(policy(decrypt), B, MODEL)


def test_requirements_say_what_is_missing_and_block_sharing() -> None:
    needed = requirements(MODEL, KEY, [B, "444444444444"],
                          policy(*key_policy_statements(MODEL, "444444444444")))
    assert needed["ready"] is False and needed["missing"] == [B]
    assert KEY in needed["message"] and "DataAccessRoleArn" in needed["message"]
    assert json.dumps(key_policy_statements(MODEL, B), separators=(",", ":"))[1:-1] in \
        needed["message"]
    by_account = {t["account"]: t for t in needed["targets"]}
    assert by_account["444444444444"]["keyPolicyGrantsTarget"] is True
    assert by_account[B]["dataAccessRolePolicy"] == data_access_role_policy(KEY)


def test_an_unreadable_key_policy_does_not_block() -> None:
    needed = requirements(MODEL, KEY, [B], None)  # another account's key: A cannot read it
    assert needed["ready"] is True
    assert needed["targets"][0]["keyPolicyGrantsTarget"] is None


def test_b_s_role_may_use_exactly_the_three_actions_on_the_key() -> None:
    [statement] = data_access_role_policy(KEY)["Statement"]
    assert sorted(statement["Action"]) == ["kms:CreateGrant", "kms:Decrypt",
                                           "kms:GenerateDataKey"]
    assert statement["Resource"] == KEY


def test_the_share_function_checks_key_access(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib
    from pathlib import Path

    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[2] / "functions"))
    app = importlib.import_module("share_model_version.app")

    class FakeKms:
        def describe_key(self, KeyId: str) -> dict[str, Any]:
            assert KeyId == "alias/models"
            return {"KeyMetadata": {"Arn": KEY}}

        def get_key_policy(self, KeyId: str, PolicyName: str) -> dict[str, Any]:
            assert (KeyId, PolicyName) == (KEY, "default")
            return {"Policy": policy()}

    monkeypatch.setattr(app, "client", {"kms": FakeKms()}.__getitem__)

    class Context:
        function_name, memory_limit_in_mb, aws_request_id = "share", 256, "r-1"
        invoked_function_arn = "arn:aws:lambda:us-east-1:111111111111:function:share"

    result = app.handler({"action": "check-key-access", "sourceModelArn": MODEL,
                          "keyId": "alias/models", "accounts": [B]}, Context())
    assert result["keyArn"] == KEY and result["missing"] == [B] and not result["ready"]


# --- in B: the share says the source is encrypted ----------------------------------------------

def _share(**changes: Any) -> Any:
    from model_copy.contract import ModelVersionShared

    return ModelVersionShared(**{
        "sourceModelArn": MODEL, "modelType": "document-classifier",
        "sourceAccount": "111111111111", "targetAccount": B, "targetModelName": "news",
        "targetVersionName": "v3", "correlationId": "c-1", **changes})


def _config(data_access_role_arn: str = "") -> Any:
    from model_copy.config import TargetConfig

    from tests.support.template_environment import template_environment

    return TargetConfig.from_env(template_environment(
        "ImportModelFunction", account=B, SourceAccountIds="111111111111",
        DataAccessRoleArn=data_access_role_arn))


def test_an_encrypted_source_without_a_data_access_role_is_refused_before_any_call() -> None:
    from model_copy.errors import ImportFailed
    from model_copy.importing import check_prerequisites

    with pytest.raises(ImportFailed, match="DataAccessRoleArn") as raised:
        check_prerequisites(_share(sourceModelKmsKeyArn=KEY), _config())
    assert KEY in str(raised.value) and "kms:CreateGrant" in str(raised.value)


def test_the_prerequisites_hold_with_a_role_or_without_a_key() -> None:
    from model_copy.importing import check_prerequisites

    role = f"arn:aws:iam::{B}:role/comprehend-data"
    check_prerequisites(_share(sourceModelKmsKeyArn=KEY), _config(data_access_role_arn=role))
    check_prerequisites(_share(), _config())
    assert _share(sourceModelKmsKeyArn=None).sourceModelKmsKeyArn is None
