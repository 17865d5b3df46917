"""Least privilege and reliable delivery, read from the template as each stack would get it.

The SAM template is translated offline (tests/static_checks.py `offline_stack`) for every
Side, with partner accounts set, so SAM policy templates, generated roles and generated
EventBridge rules are checked exactly as CloudFormation would receive them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

import pytest
from model_copy.contract import DetailType

from tests.static_checks import SCENARIOS, OfflineStack, _placeholder_arn, offline_stack

# Allow statements on Resource "*" are accepted only for these actions, each for its reason.
ACTIONS_WITHOUT_RESOURCE_LEVEL = {
    # Step Functions logging to CloudWatch Logs: the log-delivery APIs support no resource-level
    # permissions (AWS Step Functions developer guide, "IAM policies for logging to CloudWatch
    # Logs").
    "logs:CreateLogDelivery": "log delivery API, no resource-level permissions",
    "logs:GetLogDelivery": "log delivery API, no resource-level permissions",
    "logs:UpdateLogDelivery": "log delivery API, no resource-level permissions",
    "logs:DeleteLogDelivery": "log delivery API, no resource-level permissions",
    "logs:ListLogDeliveries": "log delivery API, no resource-level permissions",
    "logs:PutResourcePolicy": "needed by log delivery; account-level resource policies",
    "logs:DescribeResourcePolicies": "needed by log delivery; account-level, read only",
    "logs:DescribeLogGroups": "needed by log delivery; list API, read only",
}
# AWS managed policies attached by SAM to the roles it generates, accepted with a reason.
# Any other managed policy fails the check: its statements are not in the template to review.
ACCEPTED_MANAGED_POLICIES = {
    # Lets a function write its own logs (logs:CreateLogGroup/CreateLogStream/PutLogEvents on
    # "*"). SAM attaches it to every role it generates; it grants no read and no data access.
    "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole":
        "log writing only, attached by SAM to generated function roles",
}

# Comprehend actions each function's role may hold: what its code calls, nothing more.
# Delete*: a new request replaces our own copy that ended IN_ERROR/STOPPED (issue 14).
IMPORT_ACTIONS = {"comprehend:ImportModel", "comprehend:DescribeDocumentClassifier",
                  "comprehend:DescribeEntityRecognizer", "comprehend:TagResource",
                  "comprehend:DeleteDocumentClassifier", "comprehend:DeleteEntityRecognizer",
                  "comprehend:ListTagsForResource"}
# Delete: revoking the only statement deletes the policy (Comprehend refuses an empty one).
SHARE_ACTIONS = {"comprehend:DescribeResourcePolicy", "comprehend:PutResourcePolicy",
                 "comprehend:DeleteResourcePolicy"}
COMPREHEND_ACTIONS_BY_FUNCTION = {
    "ImportModelFunction": IMPORT_ACTIONS,
    "ShareModelVersionFunction": SHARE_ACTIONS,
    "PrepareCopyFunction": set(),
    "RelayOutcomeFunction": set(),
}
# The state machine only waits for training to end; sharing is the share function's job.
STATE_MACHINE_COMPREHEND_ACTIONS = {"comprehend:DescribeDocumentClassifier",
                                    "comprehend:DescribeEntityRecognizer"}
# Target services where a lost event means a lost copy (or, for the delivery log, a copy
# that never shows "delivered"): each needs retries and a DLQ.
RETRIED_TARGET_SERVICES = ("lambda", "events", "states", "logs")

ALL_SCENARIOS = sorted(SCENARIOS)


@cache
def stack(scenario: str) -> OfflineStack:
    return offline_stack(scenario)


# --- reading policies -------------------------------------------------------------------------

@dataclass(frozen=True)
class Statement:
    owner: str  # where it comes from, for messages: "<LogicalId> <policy name>"
    body: dict[str, Any]

    @property
    def allows(self) -> bool:
        return self.body.get("Effect") == "Allow"

    @property
    def actions(self) -> list[str]:
        return _as_list(self.body.get("Action"))

    @property
    def resources(self) -> list[str]:
        return _as_list(self.body.get("Resource"))


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _statements(document: Any, owner: str) -> Iterator[Statement]:
    if isinstance(document, str):  # an EventBus `Policy` may be JSON text
        document = json.loads(document)
    for body in _as_list(document.get("Statement") if isinstance(document, dict) else None):
        yield Statement(owner, body)


def role_statements(role_id: str, role: dict[str, Any]) -> Iterator[Statement]:
    for policy in role["Properties"].get("Policies", []):
        yield from _statements(policy["PolicyDocument"], f"{role_id} {policy['PolicyName']}")


def all_statements(current: OfflineStack) -> Iterator[Statement]:
    """Every permission statement the stack creates (identity and resource policies)."""
    for name, spec in current.resources.items():
        properties = spec.get("Properties", {})
        kind = spec["Type"]
        if kind == "AWS::IAM::Role":
            yield from role_statements(name, spec)
        elif kind in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy", "AWS::SQS::QueuePolicy",
                      "AWS::SNS::TopicPolicy", "AWS::S3::BucketPolicy"):
            yield from _statements(properties.get("PolicyDocument"), name)
        elif kind == "AWS::Events::EventBusPolicy":
            if "Statement" in properties:
                yield Statement(name, properties["Statement"])
        elif kind == "AWS::Events::EventBus" and "Policy" in properties:
            yield from _statements(properties["Policy"], name)
        elif kind == "AWS::Logs::ResourcePolicy":  # PolicyDocument is JSON text
            yield from _statements(properties["PolicyDocument"], name)


def bus_policy_statements(current: OfflineStack) -> list[Statement]:
    return [statement for statement in all_statements(current)
            if current.resources[statement.owner.split()[0]]["Type"]
            in ("AWS::Events::EventBusPolicy", "AWS::Events::EventBus")]


def function_role(current: OfflineStack, function_id: str) -> str:
    """The logical id of the role a function runs as (SAM's generated one or our own)."""
    role = current.raw[function_id]["Properties"]["Role"]
    assert isinstance(role, dict) and "Fn::GetAtt" in role, \
        f"{function_id}: its Role must be a role of this template, got {role!r}"
    attribute = role["Fn::GetAtt"]
    return str(attribute[0] if isinstance(attribute, list) else attribute.split(".")[0])


def comprehend_actions(current: OfflineStack, role_id: str) -> set[str]:
    return {action for statement in role_statements(role_id, current.resources[role_id])
            if statement.allows for action in statement.actions
            if action.lower().startswith("comprehend:")}


# --- no wildcards -----------------------------------------------------------------------------

@pytest.mark.parametrize("scenario", ALL_SCENARIOS)
def test_no_allow_statement_grants_every_resource(scenario: str) -> None:
    current = stack(scenario)
    offending = [
        f"{statement.owner}: {sorted(set(statement.actions) - set(ACTIONS_WITHOUT_RESOURCE_LEVEL))}"
        for statement in all_statements(current)
        if statement.allows and "*" in statement.resources
        and not set(statement.actions) <= set(ACTIONS_WITHOUT_RESOURCE_LEVEL)
    ]
    assert not offending, f"Side={scenario}: Resource \"*\" for actions " + "; ".join(offending)


@pytest.mark.parametrize("scenario", ALL_SCENARIOS)
def test_no_allow_statement_uses_an_action_wildcard(scenario: str) -> None:
    current = stack(scenario)
    offending = [f"{statement.owner}: {action}" for statement in all_statements(current)
                 if statement.allows for action in statement.actions if "*" in action]
    offending += [f"{statement.owner}: NotAction/NotResource" for statement in
                  all_statements(current) if statement.allows
                  and ({"NotAction", "NotResource"} & set(statement.body))]
    assert not offending, f"Side={scenario}: " + "; ".join(offending)


@pytest.mark.parametrize("scenario", ALL_SCENARIOS)
def test_only_reviewed_managed_policies_are_attached(scenario: str) -> None:
    current = stack(scenario)
    attached = {(name, arn) for name, spec in current.of_type("AWS::IAM::Role").items()
                for arn in spec["Properties"].get("ManagedPolicyArns", [])}
    assert {arn for _, arn in attached} <= set(ACCEPTED_MANAGED_POLICIES), sorted(attached)


@pytest.mark.parametrize("scenario", ALL_SCENARIOS)
def test_resource_policies_never_allow_anyone(scenario: str) -> None:
    current = stack(scenario)
    for statement in all_statements(current):
        principal = statement.body.get("Principal")
        if statement.allows and principal is not None:
            assert principal != "*" and principal != {"AWS": "*"}, statement


# --- each function's Comprehend permissions ---------------------------------------------------

@pytest.mark.parametrize("scenario", ALL_SCENARIOS)
def test_each_function_role_holds_only_the_comprehend_actions_its_code_calls(
        scenario: str) -> None:
    current = stack(scenario)
    functions = current.of_type("AWS::Lambda::Function")
    assert set(functions) <= set(COMPREHEND_ACTIONS_BY_FUNCTION), \
        f"a new function needs its Comprehend actions listed here: {sorted(functions)}"
    for function_id in functions:
        role_id = function_role(current, function_id)
        expected = COMPREHEND_ACTIONS_BY_FUNCTION[function_id]
        assert comprehend_actions(current, role_id) == expected, \
            f"Side={scenario}: {function_id} (role {role_id})"


def test_the_import_role_imports_both_model_types_from_each_allowed_source_only() -> None:
    current = stack("target")
    role_id = function_role(current, "ImportModelFunction")
    _, given = SCENARIOS["target"]
    sources = given["SourceAccountIds"].split(",")
    resources = sorted(resource
                       for statement in role_statements(role_id, current.resources[role_id])
                       if "comprehend:ImportModel" in statement.actions
                       for resource in statement.resources)
    assert len(sources) > 5  # no slots: every listed account, however many
    assert resources == sorted(
        f"arn:*:comprehend:*:{account}:{kind}/*"
        for account in sources for kind in ("document-classifier", "entity-recognizer"))


def _put_events_buses(current: OfflineStack, role_id: str) -> set[str]:
    return {resource for statement in role_statements(role_id, current.resources[role_id])
            if "events:PutEvents" in statement.actions for resource in statement.resources}


def test_the_state_machine_puts_on_its_own_bus_and_each_target_bus_only() -> None:
    current = stack("source")
    role_id = current.raw["CopyModelStateMachine"]["Properties"]["RoleArn"]["Fn::GetAtt"][0]
    _, given = SCENARIOS["source"]
    targets = given["TargetAccountIds"].split(",")
    assert len(targets) > 5
    own = _placeholder_arn("ModelCopyEventBus", "AWS::Events::EventBus", current.account)
    assert _put_events_buses(current, role_id) == {own} | {
        f"arn:*:events:*:{account}:event-bus/*" for account in targets}


def test_the_import_role_puts_outcomes_on_the_sources_buses_only() -> None:
    current = stack("target")
    role_id = function_role(current, "ImportModelFunction")
    _, given = SCENARIOS["target"]
    own = _placeholder_arn("ModelCopyEventBus", "AWS::Events::EventBus", current.account)
    assert _put_events_buses(current, role_id) == {own} | {
        f"arn:*:events:*:{account}:event-bus/*"
        for account in given["SourceAccountIds"].split(",")}


def test_no_numbered_slots_and_no_delivery_role_remain() -> None:
    from tests.static_checks import TEMPLATE

    text = TEMPLATE.read_text()
    for gone in ("Slot", "RouteToTarget", "RouteToSource", "CrossAccountDeliveryRole"):
        assert gone not in text


def test_the_state_machine_only_describes_models() -> None:
    current = stack("source")
    role = current.raw["CopyModelStateMachine"]["Properties"]["RoleArn"]
    role_id = role["Fn::GetAtt"][0]
    assert comprehend_actions(current, role_id) == STATE_MACHINE_COMPREHEND_ACTIONS


def test_the_target_stack_has_no_source_functions_and_the_source_no_import() -> None:
    assert "ImportModelFunction" not in stack("source").resources
    assert not {"ShareModelVersionFunction", "CopyModelStateMachine"} & set(stack("target")
                                                                             .resources)


# --- delivery: retries, dead letters, alarms --------------------------------------------------

def _targets(current: OfflineStack) -> Iterator[tuple[str, dict[str, Any]]]:
    for name, rule in current.of_type("AWS::Events::Rule").items():
        for target in rule["Properties"].get("Targets", []):
            yield name, target


def _queue_arns(current: OfflineStack) -> dict[str, str]:
    """Queue ARN (as resolved here) -> logical id."""
    return {_placeholder_arn(name, "AWS::SQS::Queue", current.account): name
            for name in current.of_type("AWS::SQS::Queue")}


@pytest.mark.parametrize("scenario", ALL_SCENARIOS)
def test_every_rule_target_that_carries_a_copy_retries_and_has_a_dead_letter_queue(
        scenario: str) -> None:
    current = stack(scenario)
    queues = _queue_arns(current)
    checked = 0
    for rule, target in _targets(current):
        service = str(target["Arn"]).split(":")[2]
        if service not in RETRIED_TARGET_SERVICES:
            continue
        checked += 1
        where = f"Side={scenario}: rule {rule} target {target.get('Id')}"
        assert target.get("RetryPolicy", {}).get("MaximumRetryAttempts", 0) > 0, where
        assert target.get("RetryPolicy", {}).get("MaximumEventAgeInSeconds"), where
        assert target.get("DeadLetterConfig", {}).get("Arn") in queues, where
    assert checked, f"Side={scenario}: no rule targets found; the check read nothing"


@pytest.mark.parametrize("scenario", ["source", "both"])
def test_only_eventbridge_may_write_only_to_the_delivery_log(scenario: str) -> None:
    """The logs resource policy behind "delivered" (template DeliveryLogPolicy): the two
    principals and two actions the EventBridge User Guide names, on the one group."""
    current = stack(scenario)
    [policy] = current.of_type("AWS::Logs::ResourcePolicy")
    [statement] = [s for s in all_statements(current) if s.owner == policy]
    group_arn = _placeholder_arn("DeliveryLog", "AWS::Logs::LogGroup", current.account)
    assert statement.allows and statement.resources == [group_arn]
    assert sorted(statement.actions) == ["logs:CreateLogStream", "logs:PutLogEvents"]
    assert statement.body["Principal"] == {
        "Service": ["events.amazonaws.com", "delivery.logs.amazonaws.com"]}
    [(rule, target)] = [(r, t) for r, t in _targets(current)
                        if str(t["Arn"]).split(":")[2] == "logs"]
    pattern = current.resources[rule]["Properties"]["EventPattern"]
    assert pattern["detail-type"] == [DetailType.MODEL_IMPORT_STARTED]
    [raw_target] = current.raw[rule]["Properties"]["Targets"]
    assert str(raw_target["Arn"]["Fn::Sub"]).endswith(":log-group:${DeliveryLog}")
    assert target["DeadLetterConfig"]["Arn"] in _queue_arns(current)


@pytest.mark.parametrize("scenario", ALL_SCENARIOS)
def test_async_functions_send_failed_invocations_to_a_queue(scenario: str) -> None:
    """A function that a rule invokes is invoked asynchronously: after Lambda's own retries
    the event must land in a queue, not vanish."""
    current = stack(scenario)
    queues = _queue_arns(current)
    missing = []
    for rule, target in _targets(current):
        if str(target["Arn"]).split(":")[2] != "lambda":
            continue
        function = _function_of_target(current, str(target["Arn"]))
        on_failure = _invoke_config(current, function).get("DestinationConfig", {}) \
            .get("OnFailure", {})
        if on_failure.get("Destination") not in queues:
            missing.append(f"{function} (invoked by {rule})")
    assert not missing, f"Side={scenario}: no OnFailure queue for " + ", ".join(missing)


def _function_of_target(current: OfflineStack, arn: str) -> str:
    for name, spec in current.of_type("AWS::Lambda::Function").items():
        if arn == _placeholder_arn(name, spec["Type"], current.account):
            return name
    raise AssertionError(f"rule target {arn} is not a function of this stack")


def _invoke_config(current: OfflineStack, function: str) -> dict[str, Any]:
    """The resolved EventInvokeConfig properties of a function ({} if it has none)."""
    for name, spec in current.raw.items():
        if spec["Type"] == "AWS::Lambda::EventInvokeConfig" and \
                spec["Properties"].get("FunctionName") == {"Ref": function}:
            properties: dict[str, Any] = current.resources[name]["Properties"]
            return properties
    return {}


@pytest.mark.parametrize("scenario", ALL_SCENARIOS)
def test_every_dead_letter_queue_has_an_alarm(scenario: str) -> None:
    current = stack(scenario)
    queues = _queue_arns(current)
    used = {target["DeadLetterConfig"]["Arn"] for _, target in _targets(current)
            if "DeadLetterConfig" in target}
    alarmed = set()
    for alarm in current.of_type("AWS::CloudWatch::Alarm").values():
        properties = alarm["Properties"]
        if properties.get("Namespace") != "AWS/SQS":
            continue
        for dimension in properties.get("Dimensions", []):
            if dimension.get("Name") == "QueueName":
                alarmed.add(str(dimension["Value"]).split("#")[0])  # "<queue arn>#QueueName"
    assert used, f"Side={scenario}: no dead-letter queue in use"
    assert {queues[arn] for arn in used} <= {queues[arn] for arn in alarmed if arn in queues}


# --- bus policies -----------------------------------------------------------------------------

@pytest.mark.parametrize("scenario", ALL_SCENARIOS)
def test_bus_policies_allow_only_put_events_from_our_event_source(scenario: str) -> None:
    current = stack(scenario)
    statements = bus_policy_statements(current)
    if scenario in ("target", "both"):
        assert statements, f"Side={scenario}: the target bus has no policy"
    for statement in statements:
        assert statement.allows, statement
        assert statement.actions == ["events:PutEvents"], statement
        condition = statement.body.get("Condition", {})
        assert condition.get("StringEquals", {}).get("events:source") == "model-copy", statement
        principal = statement.body.get("Principal", {})
        assert isinstance(principal, dict) and set(principal) == {"AWS"}, statement
        assert all(str(account).isdigit() for account in _as_list(principal["AWS"])), statement


# Single-valued keys: a set operator on them is "overly permissive", and ForAllValues also holds
# when the key is absent (IAM User Guide, "Single-valued vs. multivalued context keys").
SINGLE_VALUED_KEYS = {"events:source", "events:detail-type", "aws:principalorgid",
                      "aws:sourceaccount", "aws:sourcearn", "kms:viaservice"}


@pytest.mark.parametrize("scenario", ALL_SCENARIOS)
def test_no_set_operator_tests_a_single_valued_key(scenario: str) -> None:
    """Issue 13 item 6: StringEquals, not ForAllValues:StringEquals, on events:detail-type."""
    for statement in all_statements(stack(scenario)):
        for operator, tests in statement.body.get("Condition", {}).items():
            if operator.startswith(("ForAllValues:", "ForAnyValue:")):
                keys = {str(key).lower() for key in tests}
                assert not keys & SINGLE_VALUED_KEYS, f"{statement.owner}: {operator} {tests}"


@pytest.mark.parametrize("scenario", ["source", "target"])
def test_bus_policies_name_the_detail_types_they_admit(scenario: str) -> None:
    wanted = {"source": ["Model Import Started", "Model Imported", "Model Import Failed"],
              "target": ["Model Version Shared"]}[scenario]
    for statement in bus_policy_statements(stack(scenario)):
        admitted = statement.body["Condition"]["StringEquals"]["events:detail-type"]
        assert sorted(_as_list(admitted)) == sorted(wanted), statement


def test_the_target_bus_trusts_only_the_configured_sources_and_organization() -> None:
    current = stack("target")
    (statement,) = [item for item in bus_policy_statements(current)
                    if item.owner == "TargetBusPolicy"]
    _, given = SCENARIOS["target"]
    assert _as_list(statement.body["Principal"]["AWS"]) == given["SourceAccountIds"].split(",")
    assert statement.body["Condition"]["StringEquals"]["aws:PrincipalOrgID"] == \
        given["SourceOrganizationId"]


# --- the checks themselves catch what they must -----------------------------------------------

def test_the_wildcard_check_sees_a_resource_star_statement() -> None:
    fake = OfflineStack("fake", "111111111111", {
        "Role": {"Type": "AWS::IAM::Role", "Properties": {"Policies": [{
            "PolicyName": "p", "PolicyDocument": {"Statement": [
                {"Effect": "Allow", "Action": "comprehend:*", "Resource": "*"},
                {"Effect": "Deny", "Action": "sqs:*", "Resource": "*"}]}}]}}}, raw={})
    statements = [item for item in all_statements(fake) if item.allows]
    assert len(statements) == 1
    assert "*" in statements[0].resources and statements[0].actions == ["comprehend:*"]


# --- KMS (issue 13 item 4) ----------------------------------------------------------------------

def kms_statements(current: OfflineStack, role_id: str) -> list[Statement]:
    return [statement for statement in all_statements(current)
            if statement.owner.split()[0] == role_id
            and any(action.startswith("kms:") for action in statement.actions)]


def test_the_import_role_uses_no_kms_key_comprehend_s_data_access_role_does() -> None:
    """Comprehend uses the DataAccessRoleArn role for KMS, not the caller of ImportModel (the
    Developer Guide's import page), so the import function needs only iam:PassRole."""
    current = stack("target")  # ModelKmsKeyId and DataAccessRoleArn set
    role_id = function_role(current, "ImportModelFunction")
    assert not kms_statements(current, role_id)
    [pass_role] = [s for s in all_statements(current) if s.owner.split()[0] == role_id
                   and "iam:PassRole" in s.actions]
    assert pass_role.resources == [SCENARIOS["target"][1]["DataAccessRoleArn"]]


def test_the_share_function_only_reads_its_own_account_s_key_policies() -> None:
    current = stack("source")
    role_id = function_role(current, "ShareModelVersionFunction")
    [statement] = kms_statements(current, role_id)
    assert sorted(statement.actions) == ["kms:DescribeKey", "kms:GetKeyPolicy"]
    assert statement.resources == [f"arn:aws:kms:us-east-1:{current.account}:key/*"]
