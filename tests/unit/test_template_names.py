"""Every name the template gives a resource fits that resource's limit, for any stack name.

CloudFormation allows stack names of 128 characters; a name built from the stack name can
break a service's own limit (Lambda function names: 64) and fail the deployment (issue 13
item 7). The template is translated with the longest stack name and the longest parameter
values, and each explicit name is checked against its limit.
"""

from __future__ import annotations

import pytest

from tests import static_checks
from tests.static_checks import SCENARIOS, offline_stack

LONGEST_STACK_NAME = "s" + "-long" * 25 + "-x"  # 128 characters
assert len(LONGEST_STACK_NAME) == 128
# (resource type, property) -> the service's limit on that name.
NAME_LIMITS = {
    ("AWS::Lambda::Function", "FunctionName"): 64,
    ("AWS::IAM::Role", "RoleName"): 64,
    ("AWS::IAM::Policy", "PolicyName"): 128,
    ("AWS::Logs::LogGroup", "LogGroupName"): 512,
    ("AWS::Events::EventBus", "Name"): 256,
    ("AWS::Events::Rule", "Name"): 64,
    ("AWS::SQS::Queue", "QueueName"): 80,
    ("AWS::DynamoDB::Table", "TableName"): 255,
    ("AWS::StepFunctions::StateMachine", "StateMachineName"): 80,
    ("AWS::S3::Bucket", "BucketName"): 63,
    ("AWS::CloudTrail::Trail", "TrailName"): 128,
}
LONGEST_PARAMETERS = {
    "ImportRoleNamePrefix": "p" * 40,  # its AllowedPattern's maximum
}


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_every_explicit_name_fits_its_limit_with_the_longest_stack_name(
        scenario: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(static_checks, "STACK_NAME", LONGEST_STACK_NAME)
    account, parameters = SCENARIOS[scenario]
    monkeypatch.setitem(SCENARIOS, scenario, (account, {**parameters, **LONGEST_PARAMETERS}))
    current = offline_stack(scenario)
    checked = 0
    for logical_id, spec in current.resources.items():
        for (kind, name_property), limit in NAME_LIMITS.items():
            name = spec.get("Properties", {}).get(name_property)
            if spec["Type"] != kind or name is None:
                continue
            checked += 1
            assert len(str(name)) <= limit, (
                f"{logical_id}.{name_property} is {len(str(name))} characters with a "
                f"{len(LONGEST_STACK_NAME)}-character stack name; {kind} allows {limit}")
    assert checked, "no named resource was checked: the scan is broken"
