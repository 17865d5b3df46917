"""CloudFormation DescribeStacks and ListStacks answer the stacks the local deployer deployed,
per account, as AWS describes a stack; an unknown stack is AWS's ValidationError; the call is
authorized like every other (a role session needs cloudformation:DescribeStacks)."""

from __future__ import annotations

import re
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError

from local_cloud.cloudformation import deployer
from local_cloud.core.accounts import REGION, SOURCE_ACCOUNT
from tests.support.iam import allow, denied, no_policy_allows, role_session

TEMPLATE = textwrap.dedent("""\
    AWSTemplateFormatVersion: "2010-09-09"
    Description: One queue, to be described.
    Parameters:
      Stage:
        Type: String
        Default: dev
      Retention:
        Type: Number
        Default: 345600
    Resources:
      Queue:
        Type: AWS::SQS::Queue
        Properties:
          MessageRetentionPeriod: !Ref Retention
    Outputs:
      QueueUrl:
        Description: Where the messages go.
        Value: !Ref Queue
        Export:
          Name: !Sub ${AWS::StackName}-queue-url
      QueueArn:
        Value: !GetAtt Queue.Arn
    """)

STACK_ID = re.compile(rf"arn:aws:cloudformation:{REGION}:{SOURCE_ACCOUNT}:stack/"
                      r"(?P<name>[-A-Za-z0-9]+)/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-"
                      r"[0-9a-f]{4}-[0-9a-f]{12}")


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("described") / "template.yaml"
    path.write_text(TEMPLATE)
    return path


@pytest.fixture(scope="module")
def deployed(local_cloud, source: boto3.Session, template: Path) -> deployer.Stack:
    return deployer.deploy(source, template, "described", {"Stage": "prod"},
                           local_cloud.state_dir)


def _not_found(error: pytest.ExceptionInfo[ClientError]) -> tuple[str, str, int]:
    response = error.value.response
    return (response["Error"]["Code"], response["Error"]["Message"],
            response["ResponseMetadata"]["HTTPStatusCode"])


def test_describe_stacks_answers_the_deployed_stack_as_aws_describes_one(
        source: boto3.Session, deployed: deployer.Stack) -> None:
    (stack,) = source.client("cloudformation").describe_stacks(StackName="described")["Stacks"]

    assert stack["StackName"] == "described"
    assert STACK_ID.fullmatch(stack["StackId"]).group("name") == "described"  # type: ignore[union-attr]
    assert stack["StackId"] == deployed.stack_id
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    assert stack["Description"] == "One queue, to be described."
    assert datetime.now(UTC) - stack["CreationTime"] < timedelta(minutes=5)
    assert "LastUpdatedTime" not in stack
    assert sorted((p["ParameterKey"], p["ParameterValue"]) for p in stack["Parameters"]) == [
        ("Retention", "345600"), ("Stage", "prod")]
    outputs = {o["OutputKey"]: o for o in stack["Outputs"]}
    assert outputs["QueueUrl"] == {"OutputKey": "QueueUrl",
                                   "OutputValue": deployed.outputs["QueueUrl"],
                                   "Description": "Where the messages go.",
                                   "ExportName": "described-queue-url"}
    assert outputs["QueueArn"] == {"OutputKey": "QueueArn",
                                   "OutputValue": deployed.outputs["QueueArn"]}
    # The stack id names it as well as the name does.
    by_id = source.client("cloudformation").describe_stacks(StackName=deployed.stack_id)
    assert by_id["Stacks"] == [stack]


def test_without_a_name_every_stack_of_the_account_is_described_and_listed(
        source: boto3.Session, deployed: deployer.Stack) -> None:
    cloudformation = source.client("cloudformation")
    described = {s["StackName"]: s for s in cloudformation.describe_stacks()["Stacks"]}
    assert described["described"]["StackId"] == deployed.stack_id
    listed = {s["StackName"]: s for s in cloudformation.list_stacks()["StackSummaries"]}
    summary = listed["described"]
    assert summary["StackId"] == deployed.stack_id
    assert summary["StackStatus"] == "CREATE_COMPLETE"
    assert summary["TemplateDescription"] == "One queue, to be described."
    deleted = cloudformation.list_stacks(StackStatusFilter=["DELETE_COMPLETE"])
    assert "described" not in {s["StackName"] for s in deleted["StackSummaries"]}


def test_an_unknown_stack_is_the_validation_error_aws_gives(source: boto3.Session) -> None:
    # API reference, DescribeStacks: "If the stack doesn't exist, a ValidationError is returned."
    with pytest.raises(ClientError) as error:
        source.client("cloudformation").describe_stacks(StackName="no-such-stack")
    assert _not_found(error) == ("ValidationError", "Stack with id no-such-stack does not exist",
                                 400)


def test_stacks_are_per_account_another_account_sees_none_of_them(
        target: boto3.Session, outsider: boto3.Session, deployed: deployer.Stack) -> None:
    for session in (target, outsider):
        cloudformation = session.client("cloudformation")
        for name in ("described", deployed.stack_id):
            with pytest.raises(ClientError) as error:
                cloudformation.describe_stacks(StackName=name)
            assert _not_found(error) == ("ValidationError", f"Stack with id {name} does not exist",
                                         400)
        assert "described" not in {s["StackName"] for s in
                                   cloudformation.list_stacks()["StackSummaries"]}


def test_a_role_session_needs_describe_stacks_on_the_stack(
        source: boto3.Session, deployed: deployer.Stack) -> None:
    stack_arn = f"arn:aws:cloudformation:{REGION}:{SOURCE_ACCOUNT}:stack/described/*"
    allowed, _ = role_session(source, allow("cloudformation:DescribeStacks", stack_arn))
    assert allowed.client("cloudformation").describe_stacks(
        StackName="described")["Stacks"][0]["StackId"] == deployed.stack_id

    refused, role = role_session(source, allow("cloudformation:DescribeStacks",
                                               stack_arn.replace("described", "other")))
    with pytest.raises(ClientError) as error:
        refused.client("cloudformation").describe_stacks(StackName="described")
    code, message = denied(error)
    assert code == "AccessDenied"
    assert message == no_policy_allows(SOURCE_ACCOUNT, role, "cloudformation:DescribeStacks",
                                       stack_arn)


def test_a_redeployed_stack_keeps_its_id_and_is_update_complete(
        local_cloud, source: boto3.Session, template: Path) -> None:
    first = deployer.deploy(source, template, "redescribed", {}, local_cloud.state_dir)
    again = deployer.deploy(source, template, "redescribed", {"Stage": "test"},
                            local_cloud.state_dir)
    (stack,) = source.client("cloudformation").describe_stacks(StackName="redescribed")["Stacks"]
    assert again.stack_id == first.stack_id == stack["StackId"]
    assert stack["StackStatus"] == "UPDATE_COMPLETE"
    assert stack["LastUpdatedTime"] >= stack["CreationTime"]
    assert {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]}[
        "Stage"] == "test"
