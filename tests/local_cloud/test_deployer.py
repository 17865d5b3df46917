"""The local deployer: a SAM template becomes real resources in one account of the local cloud."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError

from local_cloud.cloudformation import deployer
from local_cloud.cloudformation.intrinsics import (
    Evaluator,
    Pseudo,
    TemplateError,
    resolve_parameters,
)
from local_cloud.cloudformation.sam_translate import expand_for_each, zip_folder
from local_cloud.core.accounts import SOURCE_ACCOUNT

FIXTURES = Path(__file__).parent / "fixtures"
PIPELINE = FIXTURES / "pipeline" / "template.yaml"
REAL_TEMPLATE = Path(__file__).resolve().parents[2] / "template.yaml"


@pytest.fixture(scope="module")
def state_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("deployer-state")


@pytest.fixture(scope="module")
def pipeline(source: boto3.Session, state_dir: Path) -> Iterator[deployer.Stack]:
    stack = deployer.deploy(source, PIPELINE, "fixture", {"Stage": "prod"}, state_dir)
    yield stack
    deployer.delete(source, "fixture", state_dir)


def _rule(physical_id: str) -> tuple[str, str]:
    """A rule's Ref on a custom bus is "<bus>|<rule>"."""
    bus, _, name = physical_id.partition("|")
    return bus, name


# --- deploying the fixture pipeline ------------------------------------------------------------

def test_function_gets_code_environment_and_globals(source: boto3.Session,
                                                     pipeline: deployer.Stack) -> None:
    awslambda = source.client("lambda")
    name = pipeline.outputs["FunctionName"]
    config = awslambda.get_function_configuration(FunctionName=name)
    variables = config["Environment"]["Variables"]
    assert variables["STAGE"] == "prod"
    assert variables["BUS_NAME"] == "fixture-prod"
    assert variables["MODE"] == "strict"  # Fn::If on the IsProd condition
    assert json.loads(variables["SETTINGS"]) == {
        "stage": "prod", "accounts": ["222222222222", "333333333333"]}
    assert config["Timeout"] == 30 and config["Runtime"] == "python3.12"  # from Globals
    assert config["Handler"] == "app.handler"
    assert config["DeadLetterConfig"]["TargetArn"].endswith(":fixture-DeadLetters-" +
                                                            pipeline.outputs["QueueUrl"][-12:])
    assert awslambda.get_function_concurrency(
        FunctionName=name)["ReservedConcurrentExecutions"] == 2
    location = awslambda.get_function(FunctionName=name)["Code"]["Location"]
    assert location  # the code package was uploaded to the account's artifact bucket
    objects = source.client("s3").list_objects_v2(
        Bucket=f"model-copy-local-artifacts-{SOURCE_ACCOUNT}")["Contents"]
    assert any(item["Key"].startswith("fixture/") for item in objects)


def test_event_invoke_config_is_set(source: boto3.Session, pipeline: deployer.Stack) -> None:
    config = source.client("lambda").get_function_event_invoke_config(
        FunctionName=pipeline.outputs["FunctionName"])
    assert config["MaximumRetryAttempts"] == 1
    assert config["MaximumEventAgeInSeconds"] == 600


def test_sam_event_rule_has_retry_policy_and_dead_letter_queue(
        source: boto3.Session, pipeline: deployer.Stack) -> None:
    events = source.client("events")
    bus, name = _rule(pipeline.resources["ImportFunctionRequested"])
    assert bus == "fixture-prod"
    rule = events.describe_rule(Name=name, EventBusName=bus)
    assert json.loads(rule["EventPattern"]) == {"detail-type": ["Copy Model Requested"]}
    (target,) = events.list_targets_by_rule(Rule=name, EventBusName=bus)["Targets"]
    queue_arn = source.client("sqs").get_queue_attributes(
        QueueUrl=pipeline.outputs["QueueUrl"],
        AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    assert target["Arn"].endswith(f":function:{pipeline.outputs['FunctionName']}")
    assert target["RetryPolicy"] == {"MaximumRetryAttempts": 3, "MaximumEventAgeInSeconds": 900}
    assert target["DeadLetterConfig"] == {"Arn": queue_arn}


def test_for_each_creates_one_rule_per_account(source: boto3.Session,
                                               pipeline: deployer.Stack) -> None:
    events = source.client("events")
    for account in ("222222222222", "333333333333"):
        bus, name = _rule(pipeline.resources[f"Forward{account}"])
        rule = events.describe_rule(Name=name, EventBusName=bus)
        assert json.loads(rule["EventPattern"]) == {"account": [account]}
        assert rule["Description"] == f"events sent by {account} in us-east-1"
        assert pipeline.outputs[f"Rule{account}Arn"] == rule["Arn"]
        (target,) = events.list_targets_by_rule(Rule=name, EventBusName=bus)["Targets"]
        assert target["Id"] == "dead-letters"


def test_bus_policy_is_stored(source: boto3.Session, pipeline: deployer.Stack) -> None:
    bus = source.client("events").describe_event_bus(Name="fixture-prod")
    assert bus["Arn"] == pipeline.outputs["BusArn"]
    (statement,) = json.loads(bus["Policy"])["Statement"]
    assert statement["Sid"] == "AllowListedAccounts"
    assert statement["Action"] == "events:PutEvents"
    assert statement["Resource"] == bus["Arn"]
    # The EventBus's own Policy property (moto's CloudFormation drops it).
    open_bus = source.client("events").describe_event_bus(Name="fixture-open-prod")
    (statement,) = json.loads(open_bus["Policy"])["Statement"]
    assert statement["Sid"] == "SourceMayPut"
    assert statement["Principal"] == {"AWS": f"arn:aws:iam::{SOURCE_ACCOUNT}:root"}


def test_state_machine_definition_has_substitutions_applied(
        source: boto3.Session, pipeline: deployer.Stack) -> None:
    machine = source.client("stepfunctions").describe_state_machine(
        stateMachineArn=pipeline.outputs["StateMachineArn"])
    definition = json.loads(machine["definition"])
    function_arn = source.client("lambda").get_function_configuration(
        FunctionName=pipeline.outputs["FunctionName"])["FunctionArn"]
    assert definition["States"]["Import"]["Parameters"]["FunctionName"] == function_arn
    entry = definition["States"]["Announce"]["Parameters"]["Entries"][0]
    assert entry["EventBusName"] == "fixture-prod"
    assert "${" not in machine["definition"]
    assert machine["roleArn"].startswith(f"arn:aws:iam::{SOURCE_ACCOUNT}:role/fixture-FlowRole-")


def test_queue_attributes_and_conditional_outputs(source: boto3.Session,
                                                  pipeline: deployer.Stack) -> None:
    attributes = source.client("sqs").get_queue_attributes(
        QueueUrl=pipeline.outputs["QueueUrl"], AttributeNames=["All"])["Attributes"]
    assert attributes["MessageRetentionPeriod"] == "1209600"  # Fn::FindInMap for prod
    assert "AlarmName" not in pipeline.outputs  # its Condition is false
    assert "FailureAlarm" not in pipeline.resources
    assert pipeline.exports == {"fixture-bus-arn": pipeline.outputs["BusArn"]}


def test_describe_returns_the_recorded_stack(source: boto3.Session, target: boto3.Session,
                                             pipeline: deployer.Stack, state_dir: Path) -> None:
    assert deployer.describe(source, "fixture", state_dir) == pipeline
    assert (state_dir / "stacks" / f"{SOURCE_ACCOUNT}-fixture.json").exists()
    with pytest.raises(deployer.StackNotFoundError, match="222222222222"):
        deployer.describe(target, "fixture", state_dir)


# --- failures ----------------------------------------------------------------------------------

def test_bad_parameter_value_fails_before_creating_anything(source: boto3.Session,
                                                            tmp_path: Path) -> None:
    with pytest.raises(TemplateError, match=r"'Stage': 'qa' is not one of the AllowedValues"):
        deployer.deploy(source, PIPELINE, "badparam", {"Stage": "qa"}, tmp_path)
    with pytest.raises(TemplateError, match=r"\['Nope'\] do not exist"):
        deployer.deploy(source, PIPELINE, "badparam", {"Nope": "x"}, tmp_path)
    assert not (tmp_path / "stacks").exists()


def test_unknown_resource_type_is_named(source: boto3.Session, tmp_path: Path) -> None:
    with pytest.raises(TemplateError, match=r"AWS::Made::Up"):
        deployer.deploy(source, FIXTURES / "unknown_type.yaml", "unknown", {}, tmp_path)
    queues = source.client("sqs").list_queues(QueueNamePrefix="unknown-").get("QueueUrls", [])
    assert queues == []  # checked before anything was created


def test_failure_midway_rolls_back(source: boto3.Session, tmp_path: Path) -> None:
    with pytest.raises(deployer.DeployError,
                       match=r"creating Policy \(AWS::Events::EventBusPolicy\)"):
        deployer.deploy(source, FIXTURES / "fails_midway.yaml", "midway", {}, tmp_path)
    sqs = source.client("sqs")
    with pytest.raises(ClientError):
        sqs.get_queue_url(QueueName="rolled-back-queue")
    assert not (tmp_path / "stacks" / f"{SOURCE_ACCOUNT}-midway.json").exists()


# --- redeploy and delete -----------------------------------------------------------------------

def test_redeploy_replaces_then_delete_removes(source: boto3.Session, tmp_path: Path) -> None:
    first = deployer.deploy(source, PIPELINE, "again", {}, tmp_path)
    second = deployer.deploy(source, PIPELINE, "again",
                             {"WithAlarm": "true", "AllowedAccounts": ""}, tmp_path)
    awslambda = source.client("lambda")
    with pytest.raises(ClientError, match="ResourceNotFound"):
        awslambda.get_function(FunctionName=first.outputs["FunctionName"])
    assert awslambda.get_function(FunctionName=second.outputs["FunctionName"])
    alarms = source.client("cloudwatch").describe_alarms(
        AlarmNames=[second.outputs["AlarmName"]])["MetricAlarms"]
    assert alarms[0]["Dimensions"] == [
        {"Name": "FunctionName", "Value": second.outputs["FunctionName"]}]
    # An empty CommaDelimitedList: the loop produces no rule and no output.
    assert not [key for key in second.resources if key.startswith("Forward")]
    assert not [key for key in second.outputs if key.startswith("Rule")]

    assert deployer.delete(source, "again", tmp_path) is True
    with pytest.raises(ClientError, match="ResourceNotFound"):
        awslambda.get_function(FunctionName=second.outputs["FunctionName"])
    with pytest.raises(ClientError):
        source.client("events").describe_event_bus(Name="fixture-dev")
    with pytest.raises(ClientError):
        source.client("sqs").get_queue_attributes(QueueUrl=second.outputs["QueueUrl"])
    with pytest.raises(ClientError):
        source.client("stepfunctions").describe_state_machine(
            stateMachineArn=second.outputs["StateMachineArn"])
    assert source.client("cloudwatch").describe_alarms(
        AlarmNames=[second.outputs["AlarmName"]])["MetricAlarms"] == []
    with pytest.raises(deployer.StackNotFoundError):
        deployer.describe(source, "again", tmp_path)
    assert deployer.delete(source, "again", tmp_path) is False


def test_delete_tolerates_resources_already_gone(source: boto3.Session, tmp_path: Path) -> None:
    stack = deployer.deploy(source, FIXTURES / "one_queue.yaml", "gone", {}, tmp_path)
    source.client("sqs").delete_queue(QueueUrl=stack.resources["Queue"])
    assert deployer.delete(source, "gone", tmp_path) is True


def test_logs_resource_policy_opens_a_log_group_to_rules_until_the_stack_goes(
        source: boto3.Session, tmp_path: Path, local_cloud) -> None:
    stack = deployer.deploy(source, FIXTURES / "log_group_target.yaml", "logtarget", {},
                            tmp_path)
    logs = source.client("logs")
    names = [p["policyName"] for p in logs.describe_resource_policies()["resourcePolicies"]]
    assert stack.outputs["PolicyName"] == "logtarget-events" and "logtarget-events" in names
    source.client("events").put_events(Entries=[{
        "Source": "fixture", "DetailType": "Logged", "Detail": "{}",
        "EventBusName": "logtarget-bus"}])
    assert local_cloud.control("events", "wait_idle", timeout=20)["idle"]
    [logged] = logs.filter_log_events(logGroupName=stack.outputs["LogGroupName"])["events"]
    assert json.loads(logged["message"])["source"] == "fixture"

    assert deployer.delete(source, "logtarget", tmp_path) is True
    names = [p["policyName"] for p in logs.describe_resource_policies()["resourcePolicies"]]
    assert "logtarget-events" not in names


def test_real_template_deploys_both_sides(source: boto3.Session, target: boto3.Session,
                                          tmp_path: Path) -> None:
    # Names of their own: other test files may have the pipeline deployed in this cloud.
    own = {"EventBusName": "model-copy-check", "ImportRoleNamePrefix": "model-copy-check"}
    importer = deployer.deploy(target, REAL_TEMPLATE, "model-copy-check",
                               {"Side": "target", "SourceAccountIds": SOURCE_ACCOUNT, **own},
                               tmp_path)
    sender = deployer.deploy(source, REAL_TEMPLATE, "model-copy-check",
                             {"Side": "source", "TargetAccountIds": importer.account, **own},
                             tmp_path)
    try:
        assert importer.account != sender.account
        for stack in (importer, sender):
            assert stack.outputs["EventBusArn"].startswith(
                f"arn:aws:events:us-east-1:{stack.account}:event-bus/")
        machine = source.client("stepfunctions").describe_state_machine(
            stateMachineArn=sender.outputs["StateMachineArn"])
        assert "${" not in machine["definition"]  # every DefinitionSubstitution applied
    finally:
        deployer.delete(source, "model-copy-check", tmp_path)
        deployer.delete(target, "model-copy-check", tmp_path)


# --- the pieces, without a cloud ---------------------------------------------------------------

def test_for_each_semantics() -> None:
    template = {
        "Transform": ["AWS::LanguageExtensions", "AWS::Serverless-2016-10-31"],
        "Resources": {"Fn::ForEach::Topics": ["Name", ["a-b", "c.d"], {
            "Topic&{Name}": {"Type": "AWS::SNS::Topic",
                             "Properties": {"TopicName": {"Ref": "Name"},
                                            "DisplayName": {"Fn::Sub": "${Name}-${!Name}"}}},
            "Fn::ForEach::Inner": ["Suffix", {"Ref": "Suffixes"}, {
                "Q&{Name}${Suffix}": {"Type": "AWS::SQS::Queue"}}]}]},
        "Outputs": {"Fn::ForEach::None": ["X", [], {"Out${X}": {"Value": "x"}}]},
    }
    expanded = expand_for_each(template, {"Suffixes": ["1", "2"]})
    assert expanded["Transform"] == "AWS::Serverless-2016-10-31"
    assert sorted(expanded["Resources"]) == ["Qab1", "Qab2", "Qcd1", "Qcd2", "Topicab", "Topiccd"]
    assert expanded["Resources"]["Topicab"]["Properties"] == {
        "TopicName": "a-b", "DisplayName": {"Fn::Sub": "a-b-${!Name}"}}
    assert expanded["Outputs"] == {}


def test_for_each_rejects_duplicate_keys_and_bad_collections() -> None:
    duplicate = {"Resources": {"Fn::ForEach::L": ["N", ["a-b", "ab"], {"R&{N}": {}}]}}
    with pytest.raises(TemplateError, match="produced twice"):
        expand_for_each(duplicate, {})
    not_a_list = {"Resources": {"Fn::ForEach::L": ["N", {"Ref": "Missing"}, {"R${N}": {}}]}}
    with pytest.raises(TemplateError, match="not a parameter"):
        expand_for_each(not_a_list, {})


def _evaluator(**parameters: object) -> Evaluator:
    return Evaluator(parameters=parameters,
                     pseudo=Pseudo("111111111111", "us-east-1", "st", "arn:stack"),
                     mappings={"M": {"k": {"v": 7}}},
                     conditions={"Yes": {"Fn::Equals": [{"Ref": "P"}, "on"]},
                                 "No": {"Fn::Not": [{"Condition": "Yes"}]}},
                     physical_ids={"Q": "https://queue"},
                     attributes={"Q": {"Arn": "arn:aws:sqs:us-east-1:111111111111:q"}},
                     resource_types={"Q": "AWS::SQS::Queue", "Off": "AWS::SQS::Queue"})


def test_intrinsics() -> None:
    evaluator = _evaluator(P="on", L=["x", "y"])
    resolve = evaluator.resolve
    assert resolve({"Fn::Sub": "${AWS::Region}:${Q.Arn}:${!Keep}:${P}"}, "t") == \
        "us-east-1:arn:aws:sqs:us-east-1:111111111111:q:${Keep}:on"
    assert resolve({"Fn::Sub": ["${A}-${Q}", {"A": {"Ref": "P"}}]}, "t") == "on-https://queue"
    assert resolve({"Fn::Select": [1, {"Fn::Split": [",", "a,b,c"]}]}, "t") == "b"
    assert resolve({"Fn::Join": ["-", {"Ref": "L"}]}, "t") == "x-y"
    assert resolve({"Fn::FindInMap": ["M", "k", "v"]}, "t") == 7
    assert resolve({"A": {"Fn::If": ["No", "a", {"Ref": "AWS::NoValue"}]}, "B": 1}, "t") == {"B": 1}
    assert resolve({"Fn::ToJsonString": {"a": [1, {"Ref": "P"}]}}, "t") == '{"a":[1,"on"]}'
    assert resolve({"Fn::GetAtt": "Q.Arn"}, "t").endswith(":q")
    # A policy's Condition block is data, not the Condition function.
    assert resolve({"Condition": {"StringEquals": {"a": "b"}}}, "t") == {
        "Condition": {"StringEquals": {"a": "b"}}}
    with pytest.raises(TemplateError, match="'Off' is not created"):
        resolve({"Ref": "Off"}, "Resources.X")
    with pytest.raises(TemplateError, match="has no attribute 'Nope'"):
        resolve({"Fn::GetAtt": ["Q", "Nope"]}, "t")


def test_parameters_are_checked() -> None:
    declared = {"Name": {"Type": "String", "AllowedPattern": "[a-z]+",
                         "ConstraintDescription": "must be lower case"},
                "Size": {"Type": "Number", "Default": 5, "MaxValue": 10},
                "Ids": {"Type": "CommaDelimitedList", "Default": "a, b"}}
    assert resolve_parameters(declared, {"Name": "abc"}) == {
        "Name": "abc", "Size": "5", "Ids": ["a", "b"]}
    with pytest.raises(TemplateError, match="'Name': 'aB' must be lower case"):
        resolve_parameters(declared, {"Name": "aB"})
    with pytest.raises(TemplateError, match="above MaxValue"):
        resolve_parameters(declared, {"Name": "a", "Size": "11"})
    with pytest.raises(TemplateError, match="'Name' has no Default"):
        resolve_parameters(declared, {})


def test_zip_skips_caches(tmp_path: Path) -> None:
    (tmp_path / "pkg" / "__pycache__").mkdir(parents=True)
    (tmp_path / "app.py").write_text("x = 1\n")
    (tmp_path / "pkg" / "mod.py").write_text("y = 2\n")
    (tmp_path / "pkg" / "__pycache__" / "mod.cpython-311.pyc").write_bytes(b"junk")
    data = zip_folder(tmp_path)
    assert sorted(zipfile.ZipFile(io.BytesIO(data)).namelist()) == ["app.py", "pkg/mod.py"]
    assert zip_folder(tmp_path) == data  # stable bytes, so a stable S3 key
