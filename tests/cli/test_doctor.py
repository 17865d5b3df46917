"""`model-copy doctor` on the local cloud: passes on `make local-up`'s deployment and names
the failing check and its fix for each broken setup (issue 13, "Add")."""

from __future__ import annotations

import json
from collections.abc import Iterator

import boto3
import pytest

from local_cloud.cloudformation import deployer, pipeline
from local_cloud.core import launcher
from local_cloud.core.accounts import OUTSIDER_ACCOUNT, REGION, SOURCE_ACCOUNT, TARGET_ACCOUNT
from model_copy_cli.main import main

ALL_CHECKS = ("source stack", "target stack", "same Region", "B lists A as a source",
              "B's bus admits A", "A sends to B's bus", "import role name",
              "trail for the tag trigger", "KMS prerequisites", "delivery log")


@pytest.fixture(scope="module")
def deployed(local_cloud) -> Iterator[pipeline.Pipeline]:
    """`make local-up`'s deployment; tests that break the target leave it broken (each one
    breaks it its own way, and the checks read independent things), the last restores it."""
    yield pipeline.deploy_pipeline(local_cloud)
    _redeploy_target(local_cloud)  # leave the usual deployment for later modules


@pytest.fixture
def cloud(local_cloud, deployed, monkeypatch) -> launcher.LocalCloud:
    monkeypatch.setenv("MODEL_COPY_LOCAL_DIR", str(local_cloud.state_dir))
    return local_cloud


def _doctor(capsys, *argv: str) -> tuple[int, dict[str, str]]:
    code = main(["doctor", *argv])
    lines = capsys.readouterr().out.splitlines()
    by_check = {}
    for line in lines[:-1]:
        verdict, rest = line.split("  ", 1)
        name = next(n for n in ALL_CHECKS if rest.startswith(n))
        by_check[name] = f"{verdict} {rest[len(name):].strip()}"
    return code, by_check


def _redeploy_target(cloud: launcher.LocalCloud, **overrides: str) -> None:
    session = boto3.Session(profile_name="target", region_name=REGION)
    deployer.deploy(session, pipeline.TEMPLATE, pipeline.TARGET_STACK,
                    pipeline.target_parameters(None, **overrides), cloud.state_dir)


def test_the_local_deployment_passes_every_check(cloud, capsys):
    code, checks = _doctor(capsys)
    assert code == 0, checks
    assert set(checks) == set(ALL_CHECKS)
    assert all(v.startswith("PASS") for v in checks.values()), checks
    assert main(["doctor", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["ok"] is True


def test_a_missing_stack_is_named_with_how_to_deploy_it(cloud, capsys):
    code, checks = _doctor(capsys, "--target-stack", "nosuch")
    assert code == 1
    assert checks["target stack"].startswith("FAIL stack nosuch not found")
    assert "sam deploy --config-env target" in checks["target stack"]
    assert checks["B's bus admits A"].startswith("SKIP")
    assert checks["source stack"].startswith("PASS")


def test_a_profile_of_another_account_finds_no_stack(cloud, capsys):
    code, checks = _doctor(capsys, "--source-profile", "outsider")
    assert code == 1
    assert checks["source stack"].startswith("FAIL")
    assert OUTSIDER_ACCOUNT in checks["source stack"]


def test_a_bus_that_does_not_admit_a_fails_with_the_fix(cloud, capsys):
    _redeploy_target(cloud, SourceAccountIds=OUTSIDER_ACCOUNT)
    code, checks = _doctor(capsys)
    assert code == 1
    assert checks["B's bus admits A"].startswith("FAIL")
    assert f"allowing events:PutEvents from {SOURCE_ACCOUNT}" in checks["B's bus admits A"]
    assert f"add {SOURCE_ACCOUNT} to SourceAccountIds" in checks["B's bus admits A"]
    assert checks["B lists A as a source"].startswith("FAIL")


def test_an_import_role_of_another_name_fails_naming_both(cloud, capsys):
    _redeploy_target(cloud, ImportRoleNamePrefix="other-importer")
    code, checks = _doctor(capsys)
    assert code == 1
    line = checks["import role name"]
    assert line.startswith("FAIL A shares with role model-copy-importer-us-east-1")
    assert "other-importer-us-east-1" in line and "same ImportRoleNamePrefix" in line


def test_no_logging_trail_fails_while_the_tag_trigger_is_on(cloud, capsys):
    cloudtrail = boto3.Session(profile_name="source", region_name=REGION).client("cloudtrail")
    cloudtrail.stop_logging(Name=pipeline.SOURCE_TRAIL)
    try:
        code, checks = _doctor(capsys)
    finally:
        cloudtrail.start_logging(Name=pipeline.SOURCE_TRAIL)
    assert code == 1
    assert checks["trail for the tag trigger"].startswith(
        f"FAIL no CloudTrail trail logs in {SOURCE_ACCOUNT}")
    assert "start-logging" in checks["trail for the tag trigger"]


def test_a_missing_delivery_log_fails_saying_progress_cannot_show_delivered(
        cloud, deployed, capsys):
    logs = boto3.Session(profile_name="source", region_name=REGION).client("logs")
    group = deployed.source.outputs["DeliveryLogGroupName"]
    logs.delete_log_group(logGroupName=group)
    try:
        code, checks = _doctor(capsys)
    finally:
        logs.create_log_group(logGroupName=group)
    assert code == 1
    line = checks["delivery log"]
    assert line.startswith(f"FAIL log group {group} does not exist")
    assert "'delivered'" in line and "deploy the source" in line


def test_a_key_whose_data_access_role_is_missing_fails_the_kms_check(cloud, capsys):
    """The template requires DataAccessRoleArn with ModelKmsKeyId (a Rule); the role itself
    must exist and trust Comprehend, which only the doctor checks before a copy."""
    kms = boto3.Session(profile_name="target", region_name=REGION).client("kms")
    key = kms.create_key(Description="model-copy doctor test")["KeyMetadata"]["Arn"]
    role = f"arn:aws:iam::{TARGET_ACCOUNT}:role/comprehend-kms-never-created"
    _redeploy_target(cloud, ModelKmsKeyId=key, DataAccessRoleArn=role)
    code, checks = _doctor(capsys)
    assert code == 1
    line = checks["KMS prerequisites"]
    assert line.startswith(f"FAIL role {role}: NoSuchEntity"), line
    assert "comprehend.amazonaws.com" in line
    assert checks["B's bus admits A"].startswith("PASS"), "only the KMS setup is wrong here"
    assert checks["import role name"].startswith("PASS")
