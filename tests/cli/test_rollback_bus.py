"""`model-copy rollback` announces on the target stack's own bus, named by its outputs."""

from __future__ import annotations

import json
from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from model_copy_cli import controls
from model_copy_cli.errors import CliError

REGION = "us-east-1"
MODEL = "news"
ARN = "arn:aws:comprehend:us-east-1:123456789012:document-classifier/news/version/{}"


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[boto3.Session]:
    """In-process moto, hidden from any local cloud another test of the process started."""
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_CONFIG_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
    with mock_aws():
        yield boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                            region_name=REGION)


def _target_stack(session: boto3.Session, stack: str, bus: str) -> None:
    """A stand-in for the target stack: the bus and the EventBusArn output the template has."""
    template = {"Resources": {"Bus": {"Type": "AWS::Events::EventBus",
                                      "Properties": {"Name": bus}}},
                "Outputs": {"EventBusArn": {"Value": {"Fn::GetAtt": ["Bus", "Arn"]}}}}
    session.client("cloudformation").create_stack(StackName=stack,
                                                  TemplateBody=json.dumps(template))


def _promoted_twice(session: boto3.Session) -> None:
    ssm = session.client("ssm")
    for version in ("v1", "v2"):
        ssm.put_parameter(Name=f"/model-copy/current/{MODEL}", Value=ARN.format(version),
                          Type="String", Overwrite=True)


def test_rollback_announces_on_the_bus_the_target_stack_names(aws):
    _target_stack(aws, "model-copy-target", "models-prod")
    _promoted_twice(aws)
    sent: list[dict] = []
    # Seen as the call leaves the client: whatever another test patched into moto's delivery.
    aws.events.register("provide-client-params.events.PutEvents",
                        lambda params, **_: sent.append(params))
    promotion = controls.roll_back(aws, MODEL)
    assert promotion.model_arn == ARN.format("v1")
    [entry] = [e for call in sent for e in call["Entries"]]
    assert entry["EventBusName"] == "models-prod"
    assert entry["DetailType"] == "Model Version Promoted"
    assert json.loads(entry["Detail"])["reason"] == "rollback"


def test_rollback_reads_the_stack_named_by_the_option(aws):
    _target_stack(aws, "models-b", "bus-b")
    assert controls.target_bus_name(aws, "models-b") == "bus-b"


def test_rollback_without_the_target_stack_says_which_stack_and_the_fix(aws):
    _promoted_twice(aws)
    with pytest.raises(CliError) as raised:
        controls.roll_back(aws, MODEL)
    message = str(raised.value)
    assert "stack model-copy-target not found in this account" in message
    assert "--target-stack" in message and "sam deploy --config-env target" in message
