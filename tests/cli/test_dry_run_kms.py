"""The dry run of an encrypted model says what A's key policy and B's service role need
(issue 13 item 4), and a missing key grant is a failed check (exit 1)."""

from __future__ import annotations

import json

from model_copy.key_access import key_policy_statements, requirements

from model_copy_cli.controls import plan_lines, plan_ready

MODEL = "arn:aws:comprehend:us-east-1:111111111111:document-classifier/news/version/v3"
KEY = "arn:aws:kms:us-east-1:111111111111:key/k-1"
TARGET = {"account": "222222222222", "targetModelName": "news", "targetVersionName": "v3",
          "principal": "arn:aws:iam::222222222222:role/model-copy-importer-us-east-1",
          "approvalRequired": False}


def plan(kms: dict) -> dict:
    return {"sourceModelArn": MODEL, "modelStatus": "TRAINED", "targets": [TARGET],
            "kms": kms, "executionArn": "arn:x"}


def test_a_missing_key_grant_is_shown_with_what_to_add_and_fails_the_dry_run() -> None:
    kms = requirements(MODEL, KEY, ["222222222222"], '{"Statement": []}')
    text = "\n".join(plan_lines(plan(kms)))
    assert KEY in text and "not granted" in text
    assert "kms:EncryptionContext:aws:comprehend:arn" in text  # the statement to add
    assert "DataAccessRoleArn" in text and "kms:CreateGrant" in text
    assert not plan_ready(plan(kms))


def test_a_granted_key_passes_and_a_plain_model_says_nothing_about_keys() -> None:
    granted = requirements(MODEL, KEY, ["222222222222"], json.dumps(
        {"Statement": key_policy_statements(MODEL, "222222222222")}))
    assert plan_ready(plan(granted))
    assert "granted" in "\n".join(plan_lines(plan(granted)))
    plain = plan({"encrypted": False, "keyArn": None, "ready": True})
    assert plan_ready(plain)
    assert not any("KMS" in line for line in plan_lines(plain))
