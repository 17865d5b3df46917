"""Acceptance tests on real AWS: what only AWS can show (README, "Real AWS acceptance tests").

Marked `aws`; every test is skipped unless these are set (and the profiles work):
    MODEL_COPY_E2E_SOURCE_PROFILE, MODEL_COPY_E2E_TARGET_PROFILE   AWS profiles of A and B
    MODEL_COPY_E2E_SOURCE_MODEL_ARN                                a TRAINED model version in A
with both stacks deployed (`sam deploy --config-env target`, then `--config-env source`).
Optional, each enabling one more test:
    MODEL_COPY_E2E_OUTSIDER_PROFILE      a third account, for "the outsider is refused"
    MODEL_COPY_E2E_TRAINING_S3_URI and MODEL_COPY_E2E_DATA_ACCESS_ROLE_ARN
                                         training data and role in A, for the tag trigger
                                         (trains a new version: the expensive test)
Everything a test creates is recorded in `created` and removed at the end of the session,
also when a test fails; the last check asserts nothing of the run is left.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from model_copy.policy import TargetCopy, statement_id
from model_copy.sharing import (
    REVISION_CONFLICT_CODES,
    share_model_version,
    unshare_model_version,
)

from tests.conftest import wait_until

SOURCE_PROFILE = os.environ.get("MODEL_COPY_E2E_SOURCE_PROFILE")
TARGET_PROFILE = os.environ.get("MODEL_COPY_E2E_TARGET_PROFILE")
OUTSIDER_PROFILE = os.environ.get("MODEL_COPY_E2E_OUTSIDER_PROFILE")
MODEL_ARN = os.environ.get("MODEL_COPY_E2E_SOURCE_MODEL_ARN", "")
TRAINING_S3_URI = os.environ.get("MODEL_COPY_E2E_TRAINING_S3_URI")
DATA_ACCESS_ROLE_ARN = os.environ.get("MODEL_COPY_E2E_DATA_ACCESS_ROLE_ARN")
RUN = f"e2e{uuid.uuid4().hex[:8]}"  # every name this run creates starts with it

pytestmark = [
    pytest.mark.aws,
    pytest.mark.skipif(not (SOURCE_PROFILE and TARGET_PROFILE and MODEL_ARN),
                       reason="real AWS: set MODEL_COPY_E2E_SOURCE_PROFILE, "
                              "MODEL_COPY_E2E_TARGET_PROFILE and MODEL_COPY_E2E_SOURCE_MODEL_ARN"),
]


def _session(profile: str | None) -> Any:
    session = boto3.Session(profile_name=profile)
    try:
        session.client("sts").get_caller_identity()
    except Exception as error:  # any credential problem means: skip
        pytest.skip(f"no usable AWS credentials for profile {profile}: {error}")
    return session


def _account(session: Any) -> str:
    return str(session.client("sts").get_caller_identity()["Account"])


def _output(session: Any, stack: str, key: str) -> str:
    outputs = session.client("cloudformation").describe_stacks(StackName=stack)["Stacks"][0]
    return next(o["OutputValue"] for o in outputs["Outputs"] if o["OutputKey"] == key)


def _wait(condition: Callable[[], Any], timeout: float, interval: float = 30) -> Any:
    """Real AWS is slow: look every `interval` seconds (30 unless told)."""
    return wait_until(condition, timeout=timeout, interval=interval)


# --- what the run creates, removed at the end -------------------------------------------------

class Created:
    def __init__(self) -> None:
        self.cleanups: list[tuple[str, Callable[[], None]]] = []

    def add(self, what: str, cleanup: Callable[[], None]) -> None:
        self.cleanups.append((what, cleanup))

    def remove_all(self) -> list[str]:
        left = []
        for what, cleanup in reversed(self.cleanups):
            try:
                cleanup()
            except ClientError as error:
                if "NotFound" not in error.response["Error"]["Code"]:
                    left.append(f"{what}: {error}")
        return left


@pytest.fixture(scope="session")
def source() -> Any:
    return _session(SOURCE_PROFILE)


@pytest.fixture(scope="session")
def target() -> Any:
    return _session(TARGET_PROFILE)


@pytest.fixture(scope="session")
def created(source: Any, target: Any) -> Iterator[Created]:
    registry = Created()
    yield registry
    left = registry.remove_all()
    assert not left, f"could not remove: {left}"
    # Nothing named after this run remains in B, and no statement of this run in A's policy.
    copies = target.client("comprehend").list_document_classifiers()[
        "DocumentClassifierPropertiesList"]
    assert not [c for c in copies if f"/{RUN}" in c["DocumentClassifierArn"]
                and c["Status"] != "DELETING"]
    policy = _policy(source.client("comprehend"))
    assert RUN.lower() not in json.dumps(policy).lower()


def _policy(comprehend: Any) -> dict[str, Any]:
    try:
        return json.loads(comprehend.describe_resource_policy(ResourceArn=MODEL_ARN)[
            "ResourcePolicy"])
    except ClientError as error:
        if error.response["Error"]["Code"] == "ResourceNotFoundException":
            return {}
        raise


def _delete_copy(target: Any, arn: str) -> Callable[[], None]:
    def delete() -> None:
        comprehend = target.client("comprehend")
        if ":entity-recognizer/" in arn:
            comprehend.delete_entity_recognizer(EntityRecognizerArn=arn)
        else:
            comprehend.delete_document_classifier(DocumentClassifierArn=arn)
        name = arn.split("/")[1]
        try:
            target.client("ssm").delete_parameter(Name=f"/model-copy/current/{name}")
        except ClientError:
            pass
    return delete


# --- the tests --------------------------------------------------------------------------------

def test_a_stale_policy_revision_is_refused_with_the_code_sharing_relies_on(source, target,
                                                                             created):
    """Put once, put again with that revision (it moves on), then once more with the first,
    now stale, revision id: AWS's answer must be one of REVISION_CONFLICT_CODES, or sharing.py
    would not re-read and retry a real conflict."""
    comprehend = source.client("comprehend")
    role = _output(target, "model-copy-target", "ImportRoleArn")
    copy = TargetCopy(_account(target), f"{RUN}-stale", None)
    created.add("stale-test statement", lambda: unshare_model_version(comprehend, MODEL_ARN, copy))
    share_model_version(comprehend, MODEL_ARN, copy, role)
    described = comprehend.describe_resource_policy(ResourceArn=MODEL_ARN)
    first = described["PolicyRevisionId"]
    comprehend.put_resource_policy(ResourceArn=MODEL_ARN,
                                   ResourcePolicy=described["ResourcePolicy"],
                                   PolicyRevisionId=first)
    with pytest.raises(ClientError) as stale:
        comprehend.put_resource_policy(ResourceArn=MODEL_ARN,
                                       ResourcePolicy=described["ResourcePolicy"],
                                       PolicyRevisionId=first)
    code = stale.value.response["Error"]["Code"]
    print(f"AWS answers a stale PolicyRevisionId with {code}: "
          f"{stale.value.response['Error'].get('Message')}")
    assert code in REVISION_CONFLICT_CODES


def test_revoking_our_only_statement_deletes_the_policy(source, target, created):
    """RevokeAfterImport with nothing else in the policy: AWS refuses an empty policy, so
    unshare must delete it (issue 13 item 1). Needs a model whose policy has no other
    statement."""
    comprehend = source.client("comprehend")
    if _policy(comprehend).get("Statement"):
        pytest.skip("the model's policy has statements already; use a model without one")
    role = _output(target, "model-copy-target", "ImportRoleArn")
    copy = TargetCopy(_account(target), f"{RUN}-revoke", None)
    created.add("revoke-test statement", lambda: unshare_model_version(comprehend, MODEL_ARN,
                                                                       copy))
    share_model_version(comprehend, MODEL_ARN, copy, role)
    assert statement_id(copy) in json.dumps(_policy(comprehend))
    unshare_model_version(comprehend, MODEL_ARN, copy)
    assert _policy(comprehend) == {}, "the policy is gone, not left empty"


def _share_event(sender_account: str, detail_type: str = "Model Version Shared") -> dict:
    return {"Source": "model-copy", "DetailType": detail_type,
            "Detail": json.dumps({"sourceModelArn": MODEL_ARN, "targetAccount": "x",
                                  "sender": sender_account})}


def test_the_outsider_is_refused_by_the_target_bus(target):
    """B's bus policy admits only SourceAccountIds: a third account's PutEvents fails."""
    if not OUTSIDER_PROFILE:
        pytest.skip("set MODEL_COPY_E2E_OUTSIDER_PROFILE (a third account) for this test")
    outsider = _session(OUTSIDER_PROFILE)
    bus = _output(target, "model-copy-target", "EventBusArn")
    answer = outsider.client("events").put_events(
        Entries=[{**_share_event(_account(outsider)), "EventBusName": bus}])
    assert answer["FailedEntryCount"] == 1 and answer["Entries"][0]["ErrorCode"]
    print(f"B's bus refused the outsider: {answer['Entries'][0]}")


def test_the_source_may_put_only_shares_on_the_target_bus(source, target):
    """The same policy's detail-type condition: A may not put an outcome type on B's bus."""
    bus = _output(target, "model-copy-target", "EventBusArn")
    answer = source.client("events").put_events(
        Entries=[{**_share_event(_account(source), "Model Imported"), "EventBusName": bus}])
    assert answer["FailedEntryCount"] == 1


def _start_copy(source: Any, execution_input: dict[str, Any]) -> str:
    return str(source.client("stepfunctions").start_execution(
        stateMachineArn=_output(source, "model-copy-source", "StateMachineArn"),
        name=f"{RUN}-{uuid.uuid4().hex[:6]}", input=json.dumps(execution_input))["executionArn"])


def _finished(source: Any, execution_arn: str, timeout: float = 4 * 3600) -> dict[str, Any]:
    sfn = source.client("stepfunctions")
    return _wait(lambda: (e := sfn.describe_execution(executionArn=execution_arn))["status"]
                 != "RUNNING" and e, timeout, interval=60)


def test_the_copy_in_b_is_trained_from_the_source_and_tagged(source, target, created):
    target_account = _account(target)
    name = f"{RUN}-copy"
    copy_arn = MODEL_ARN.replace(f":{_account(source)}:", f":{target_account}:").split(
        "/")
    copy_arn = "/".join([copy_arn[0], name, *copy_arn[2:]])
    created.add(f"copy {copy_arn}", _delete_copy(target, copy_arn))
    created.add("copy statement", lambda: unshare_model_version(
        source.client("comprehend"), MODEL_ARN, TargetCopy(target_account, name,
                                                           MODEL_ARN.rsplit("/", 1)[-1])))
    execution = _finished(source, _start_copy(source, {
        "sourceModelArn": MODEL_ARN, "targetAccounts": [target_account],
        "targetModelName": name}))
    assert execution["status"] == "SUCCEEDED", execution.get("cause")
    [result] = json.loads(execution["output"])["results"]
    assert result["targetModelArn"] == copy_arn
    comprehend = target.client("comprehend")
    props = comprehend.describe_document_classifier(DocumentClassifierArn=copy_arn)[
        "DocumentClassifierProperties"]
    assert props["Status"] in ("TRAINED", "TRAINED_WITH_WARNING")
    assert props["SourceModelArn"] == MODEL_ARN
    tags = {t["Key"]: t["Value"] for t in comprehend.list_tags_for_resource(
        ResourceArn=copy_arn)["Tags"]}
    assert tags["model-copy:source"] == MODEL_ARN[:256]


def test_a_tagged_new_version_is_copied_by_the_trail_trigger(source, target, created):
    """The tag trigger end to end: a logging trail in A is a prerequisite (model-copy doctor
    checks it). Trains a new version: minutes to hours, and paid training."""
    if not (TRAINING_S3_URI and DATA_ACCESS_ROLE_ARN):
        pytest.skip("set MODEL_COPY_E2E_TRAINING_S3_URI and MODEL_COPY_E2E_DATA_ACCESS_ROLE_ARN")
    comprehend = source.client("comprehend")
    target_account = _account(target)
    model_name = MODEL_ARN.split("/")[1]
    version = f"{RUN}-tag"
    started = time.time()
    arn = comprehend.create_document_classifier(
        DocumentClassifierName=model_name, VersionName=version, LanguageCode="en",
        DataAccessRoleArn=DATA_ACCESS_ROLE_ARN, InputDataConfig={"S3Uri": TRAINING_S3_URI},
        Tags=[{"Key": "model-copy:targets", "Value": target_account}])["DocumentClassifierArn"]
    copy_arn = arn.replace(f":{_account(source)}:", f":{target_account}:")
    created.add(f"version {arn}", lambda: comprehend.delete_document_classifier(
        DocumentClassifierArn=arn))
    created.add(f"copy {copy_arn}", _delete_copy(target, copy_arn))
    sfn = source.client("stepfunctions")
    machine = _output(source, "model-copy-source", "StateMachineArn")

    def started_for_version() -> str | None:
        for execution in sfn.list_executions(stateMachineArn=machine)["executions"]:
            if execution["startDate"].timestamp() >= started - 60:
                body = sfn.describe_execution(executionArn=execution["executionArn"])["input"]
                if arn in body:
                    return str(execution["executionArn"])
        return None

    # CloudTrail delivers the create event to EventBridge within minutes.
    execution_arn = _wait(started_for_version, timeout=900, interval=30)
    execution = _finished(source, execution_arn)
    assert execution["status"] == "SUCCEEDED", execution.get("cause")
    props = target.client("comprehend").describe_document_classifier(
        DocumentClassifierArn=copy_arn)["DocumentClassifierProperties"]
    assert props["Status"] in ("TRAINED", "TRAINED_WITH_WARNING")
