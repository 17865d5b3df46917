"""The paths of the IAM mutation test: what the pipeline does that needs each statement, run
against a mutant stack.

Paths (the pipeline's own calls; "invoked" = a function invoked with what its trigger sends):
- copy: a copy started on the mutant's state machine (prepare, describe, share, announce, and
  the share route forwarding to B's bus).
- share, unshare: the share function invoked with a copy's share or revoke.
- relay: a copy waits for its target; the relay function is invoked with B's outcome.
- deploy: the state machine cannot be created without log delivery rights.
- import: a share event put on the mutant target's bus from A, the real route from there
  (import, follow, ledger, promotion, outcome report, outcome route home, function logs,
  PassRole of DataAccessRoleArn).
- key: the share function asked whether an encrypted model's key admits the target.
- import again: a copy that ended IN_ERROR is replaced (deleted first).
- long import: an import longer than the function's time is handed over to a new invocation.
- dead letter: Lambda sends a failed invocation's record to the DLQ with the function's role.
  The import function reports failures instead of failing, so this call (the one Lambda
  makes) is made directly with the role's credentials.
"""

from __future__ import annotations

import contextlib
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

from local_cloud.cloudformation import deployer
from local_cloud.core.accounts import REGION, SOURCE_ACCOUNT, TARGET_ACCOUNT
from local_cloud.core.launcher import LocalCloud
from tests.integration.conftest import manual_input
from tests.support.comprehend import trained_classifier
from tests.support.shares import share_detail


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"



SOURCE_MUTANTS_SHARE_WITH = "mut-importer"


@dataclass
class World:
    cloud: LocalCloud
    source: boto3.Session
    target: boto3.Session
    directory: Path
    model_arn: str  # a trained classifier in A

    def trained_classifier(self) -> str:
        return trained_classifier(self.source, unique("mut"))

    def settle(self) -> None:
        self.cloud.control("events", "wait_idle", timeout=30)
        self.cloud.control("lambda", "wait_idle", timeout_s=30)


@pytest.fixture(scope="module")
def world(local_cloud, source, target, tmp_path_factory) -> World:
    local_cloud.control("comprehend", "configure", submitted_s=0.2, training_s=1.0,
                        import_s=1.0)
    partial = World(local_cloud, source, target, tmp_path_factory.mktemp("mutants"), "")
    partial.model_arn = partial.trained_classifier()
    # Source mutants share with this import role in B (a share names an existing role).
    iam = target.client("iam")
    with contextlib.suppress(iam.exceptions.EntityAlreadyExistsException):
        iam.create_role(RoleName=f"{SOURCE_MUTANTS_SHARE_WITH}-{REGION}",
                        AssumeRolePolicyDocument=json.dumps({
                            "Version": "2012-10-17", "Statement": [{
                                "Effect": "Allow",
                                "Principal": {"Service": "lambda.amazonaws.com"},
                                "Action": "sts:AssumeRole"}]}))
    return partial


def _bus_named(session: boto3.Session, name: str, admits: str | None = None) -> None:
    """A bus of that name; `admits`: an account its policy lets put events on it, as the
    partner's stack would (shares and outcomes go straight to the partner's bus)."""
    events = session.client("events")
    with contextlib.suppress(events.exceptions.ResourceAlreadyExistsException):
        events.create_event_bus(Name=name)
    if admits:
        events.put_permission(EventBusName=name, Action="events:PutEvents", Principal=admits,
                              StatementId=f"admit{admits}")


def _invoke(world: World, stack: deployer.Stack, function: str, payload: dict[str, Any]) -> Any:
    session = world.source if stack.account == SOURCE_ACCOUNT else world.target
    response = session.client("lambda").invoke(FunctionName=stack.resources[function],
                                                Payload=json.dumps(payload).encode())
    return json.loads(response["Payload"].read() or b"null")


# --------------------------------------------------------------------------- source paths

def copy_path(world: World, stack: deployer.Stack) -> None:
    # Where the share goes: B's bus of that name, admitting A.
    _bus_named(world.target, stack.parameters["EventBusName"], admits=SOURCE_ACCOUNT)
    world.source.client("stepfunctions").start_execution(
        stateMachineArn=stack.outputs["StateMachineArn"], name=unique("mut"),
        input=json.dumps(manual_input(world.model_arn,
                                      targetModelName=unique("copy"))))


def _share_request(model_arn: str, action: str) -> dict[str, Any]:
    return {"sourceModelArn": model_arn, "account": TARGET_ACCOUNT,
            "targetModelName": unique("copy"), "targetVersionName": "v1",
            "action": action,
            "principal": f"arn:aws:iam::{TARGET_ACCOUNT}:role/{SOURCE_MUTANTS_SHARE_WITH}-{REGION}"}


def share_path(world: World, stack: deployer.Stack) -> None:
    _invoke(world, stack, "ShareModelVersionFunction", _share_request(world.model_arn, "share"))


def unshare_path(world: World, stack: deployer.Stack) -> None:
    """Revoke the only copy of a model: its policy is deleted, not rewritten."""
    model = world.trained_classifier()
    request = _share_request(model, "share")
    from model_copy.policy import TargetCopy
    from model_copy.sharing import share_model_version

    share_model_version(world.source.client("comprehend"), model,
                        TargetCopy(TARGET_ACCOUNT, request["targetModelName"], "v1"),
                        request["principal"])
    _invoke(world, stack, "ShareModelVersionFunction", {**request, "action": "unshare"})


def key_path(world: World, stack: deployer.Stack) -> None:
    """Before sharing an encrypted model the copy asks whether its key admits the target."""
    key = world.source.client("kms").create_key(Description="model-copy mutation test")[
        "KeyMetadata"]["Arn"]
    _invoke(world, stack, "ShareModelVersionFunction", {
        "action": "check-key-access", "sourceModelArn": world.model_arn, "keyId": key,
        "accounts": [TARGET_ACCOUNT]})


def relay_path(world: World, stack: deployer.Stack) -> None:
    """B's outcome of a waiting copy reaches the relay function, which answers the copy."""
    copy_path(world, stack)
    bus = stack.parameters["EventBusName"]
    deadline = time.monotonic() + 30
    share = None
    while share is None and time.monotonic() < deadline:
        seen = world.cloud.control("events", "recent", account=TARGET_ACCOUNT, bus=bus, limit=0)
        share = next((r["event"] for r in seen
                      if r["event"]["detail-type"] == "Model Version Shared"), None)
        time.sleep(0.3)
    assert share is not None, "the copy never announced its share"
    detail = share["detail"]
    outcome = {"sourceModelArn": detail["sourceModelArn"], "sourceAccount": SOURCE_ACCOUNT,
               "targetAccount": TARGET_ACCOUNT, "status": "IN_ERROR", "message": "mutant",
               "correlationId": detail["correlationId"], "taskToken": detail["taskToken"]}
    _invoke(world, stack, "RelayOutcomeFunction", {
        "version": "0", "id": "mutation", "source": "model-copy",
        "detail-type": "Model Import Failed", "account": TARGET_ACCOUNT, "region": REGION,
        "time": "2026-01-01T00:00:00Z", "resources": [], "detail": outcome})


def deploy_path(world: World, stack: deployer.Stack | None) -> None:
    del world, stack  # the deployment itself was the path (see _deploy)


# --------------------------------------------------------------------------- target paths

def _put_share(world: World, stack: deployer.Stack, name: str, model: str | None = None) -> str:
    """A model of A shared with the mutant's import role (a model of its own: a policy naming
    a role that no longer exists cannot be rewritten), announced on the mutant's bus."""
    from model_copy.policy import TargetCopy
    from model_copy.sharing import share_model_version

    model = model or world.trained_classifier()
    share_model_version(world.source.client("comprehend"), model,
                        TargetCopy(TARGET_ACCOUNT, name, "v1"), stack.outputs["ImportRoleArn"])
    # Where outcomes go home: A's bus of that name, admitting B.
    _bus_named(world.source, stack.parameters["EventBusName"], admits=TARGET_ACCOUNT)
    bus_arn = f"arn:aws:events:{REGION}:{TARGET_ACCOUNT}:event-bus/" \
              f"{stack.parameters['EventBusName']}"
    response = world.source.client("events").put_events(Entries=[{
        "EventBusName": bus_arn, "Source": "model-copy", "DetailType": "Model Version Shared",
        "Detail": json.dumps(share_detail(model, name))}])
    assert response["FailedEntryCount"] == 0, response
    return model


def import_path(world: World, stack: deployer.Stack) -> None:
    _put_share(world, stack, unique("copy"))


def import_again_path(world: World, stack: deployer.Stack) -> None:
    name = unique("again")
    world.cloud.control("comprehend", "fail", model_name=name, message="disk on fire",
                        on="import")
    try:
        model = _put_share(world, stack, name)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not _ended_in_error(world, name):
            time.sleep(0.3)
    finally:
        world.cloud.control("comprehend", "fail", model_name=name, message=None)
    world.settle()
    _put_share(world, stack, name, model)


def _ended_in_error(world: World, name: str) -> bool:
    arn = f"arn:aws:comprehend:{REGION}:{TARGET_ACCOUNT}:document-classifier/{name}/version/v1"
    client = world.target.client("comprehend")
    try:
        status = client.describe_document_classifier(DocumentClassifierArn=arn)[
            "DocumentClassifierProperties"]["Status"]
    except client.exceptions.ResourceNotFoundException:
        return False
    return bool(status == "IN_ERROR")


def long_import_path(world: World, stack: deployer.Stack) -> None:
    name = unique("long")
    world.cloud.control("comprehend", "configure", models={name: {"import_s": 9}})
    _put_share(world, stack, name)


def dead_letter_path(world: World, stack: deployer.Stack) -> None:
    keys = world.target.client("sts").assume_role(
        RoleArn=stack.outputs["ImportRoleArn"], RoleSessionName=stack.outputs[
            "ImportFunctionName"])["Credentials"]
    as_role = boto3.Session(aws_access_key_id=keys["AccessKeyId"],
                            aws_secret_access_key=keys["SecretAccessKey"],
                            aws_session_token=keys["SessionToken"], region_name=REGION)
    with contextlib.suppress(as_role.client("sqs").exceptions.ClientError):
        as_role.client("sqs").send_message(QueueUrl=stack.outputs["DeadLetterQueueUrl"],
                                           MessageBody=json.dumps({"requestContext": {}}))


# Which path needs each statement, on each side it is deployed to.
Path_ = Callable[[World, deployer.Stack], None]
PATHS: dict[str, dict[str, Path_]] = {
    "ShareModelVersionFunction/EditOwnModelPolicies": {"source": share_path},
    "ShareModelVersionFunction/ReadOwnKeyPolicies": {"source": key_path},
    "ShareModelVersionFunction/DeleteOwnModelPolicies": {"source": unshare_path},
    "RelayOutcomeFunction/AnswerWaitingCopies": {"source": relay_path},
    "CopyModelStateMachine/LambdaInvokePolicy#0": {"source": copy_path},
    "CopyModelStateMachine/LambdaInvokePolicy#1": {"source": copy_path},
    "CopyModelStateMachine/DescribeOwnModels": {"source": copy_path},
    "CopyModelStateMachine/AskForApprovals": {"source": copy_path},
    "CopyModelStateMachine/AnnounceSharesToTargets": {"source": copy_path},
    "CopyModelStateMachine/DeliverLogs": {"source": deploy_path},
    "ImportModelRole/ImportSharedVersions": {"target": import_path},
    "ImportModelRole/FollowOwnCopies": {"target": import_path},
    "ImportModelRole/ReplaceOwnFailedCopies": {"target": import_again_path},
    "ImportModelRole/Ledger": {"target": import_path},
    "ImportModelRole/PromoteCopies": {"target": import_path},
    "ImportModelRole/ReportOutcomesToSources": {"target": import_path},
    "ImportModelRole/AnnouncePromotions": {"target": import_path},
    "ImportModelSelfPolicy/ContinueLongImports": {"target": long_import_path},
    "ImportModelRole/DeadLetters": {"target": dead_letter_path},
    "ImportModelSelfPolicy/WriteLogs": {"target": import_path},
    "ImportModelRole/PassDataAccessRole": {"target": import_path},
}
