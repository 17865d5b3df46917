"""IAM is enforced on calls made with role credentials: a role missing a statement gets
AccessDenied in the service's own error shape, naming the action, the resource and the role."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError

from local_cloud.core.accounts import REGION, SOURCE_ACCOUNT, TARGET_ACCOUNT
from tests.support import new_name
from tests.support.iam import TRUST, allow, denied, no_policy_allows, role_session


@pytest.fixture(scope="module")
def ledger(source: boto3.Session) -> tuple[str, str]:
    name = new_name("ledger")
    arn = source.client("dynamodb").create_table(
        TableName=name, BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}])["TableDescription"]["TableArn"]
    return name, arn


def test_a_role_without_the_statement_is_refused_naming_action_resource_and_role(
        source, ledger):
    table, table_arn = ledger
    session, role = role_session(source, allow("dynamodb:GetItem", table_arn))
    dynamodb = session.client("dynamodb")

    dynamodb.get_item(TableName=table, Key={"k": {"S": "x"}})  # the statement it has
    with pytest.raises(ClientError) as error:
        dynamodb.put_item(TableName=table, Item={"k": {"S": "x"}})

    code, message = denied(error)
    assert code == "AccessDeniedException"
    assert message == no_policy_allows(SOURCE_ACCOUNT, role, "dynamodb:PutItem", table_arn)


def test_a_statement_scoped_to_another_resource_does_not_allow(source, ledger):
    table, table_arn = ledger
    session, _ = role_session(source, allow("dynamodb:*", table_arn + "-other"))
    with pytest.raises(ClientError) as error:
        session.client("dynamodb").get_item(TableName=table, Key={"k": {"S": "x"}})
    assert denied(error)[0] == "AccessDeniedException"


def test_an_explicit_deny_wins(source, ledger):
    table, table_arn = ledger
    session, _ = role_session(source, allow("dynamodb:*", "*"),
                              {"Effect": "Deny", "Action": "dynamodb:GetItem",
                               "Resource": table_arn})
    with pytest.raises(ClientError) as error:
        session.client("dynamodb").get_item(TableName=table, Key={"k": {"S": "x"}})
    assert "because of an explicit deny in an identity-based policy" in denied(error)[1]


def test_sqs_refuses_in_its_own_error_shape(source):
    sqs = source.client("sqs")
    url = sqs.create_queue(QueueName=new_name("q"))["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
        "Attributes"]["QueueArn"]
    session, _ = role_session(source, allow("sqs:ReceiveMessage", queue_arn))
    with pytest.raises(ClientError) as error:
        session.client("sqs").send_message(QueueUrl=url, MessageBody="x")
    code, message = denied(error)
    assert code == "AccessDenied"
    assert f"sqs:SendMessage on resource: {queue_arn}" in message


def test_lambda_invoke_needs_invoke_function_on_that_function(source):
    session, _ = role_session(source, allow(
        "lambda:InvokeFunction", f"arn:aws:lambda:{REGION}:{SOURCE_ACCOUNT}:function:other"))
    function_arn = f"arn:aws:lambda:{REGION}:{SOURCE_ACCOUNT}:function:{new_name('fn')}"
    with pytest.raises(ClientError) as error:
        session.client("lambda").invoke(FunctionName=function_arn, InvocationType="Event",
                                        Payload=b"{}")
    code, message = denied(error)
    assert code == "AccessDeniedException"
    assert f"lambda:InvokeFunction on resource: {function_arn}" in message


def test_ssm_parameters_are_checked_by_their_arn(source):
    prefix = f"arn:aws:ssm:{REGION}:{SOURCE_ACCOUNT}:parameter/model-copy/current/*"
    session, _ = role_session(source, allow(["ssm:GetParameter", "ssm:PutParameter"], prefix))
    ssm = session.client("ssm")
    ssm.put_parameter(Name="/model-copy/current/m", Value="v", Type="String", Overwrite=True)
    assert ssm.get_parameter(Name="/model-copy/current/m")["Parameter"]["Value"] == "v"
    with pytest.raises(ClientError) as error:
        ssm.get_parameter_history(Name="/model-copy/current/m")
    assert "ssm:GetParameterHistory on resource: " \
           f"arn:aws:ssm:{REGION}:{SOURCE_ACCOUNT}:parameter/model-copy/current/m" \
           in denied(error)[1]


def test_import_model_needs_pass_role_for_the_data_access_role(source, target):
    """ImportModel with DataAccessRoleArn also asks for iam:PassRole, with
    iam:PassedToService = comprehend.amazonaws.com."""
    data_role = f"arn:aws:iam::{TARGET_ACCOUNT}:role/comprehend-data"
    source_model = (f"arn:aws:comprehend:{REGION}:{SOURCE_ACCOUNT}:"
                    f"document-classifier/{new_name('absent')}/version/v1")
    grant_import = allow("comprehend:ImportModel",
                         f"arn:aws:comprehend:{REGION}:{SOURCE_ACCOUNT}:document-classifier/*")
    session, _ = role_session(target, grant_import)
    with pytest.raises(ClientError) as error:
        session.client("comprehend").import_model(SourceModelArn=source_model,
                                                  DataAccessRoleArn=data_role)
    assert f"iam:PassRole on resource: {data_role}" in denied(error)[1]

    pass_to_ec2 = {**allow("iam:PassRole", data_role), "Condition": {
        "StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}}}
    session, _ = role_session(target, grant_import, pass_to_ec2)
    with pytest.raises(ClientError) as error:
        session.client("comprehend").import_model(SourceModelArn=source_model,
                                                  DataAccessRoleArn=data_role)
    assert "iam:PassRole" in denied(error)[1]

    pass_to_comprehend = {**allow("iam:PassRole", data_role), "Condition": {
        "StringEquals": {"iam:PassedToService": "comprehend.amazonaws.com"}}}
    session, _ = role_session(target, grant_import, pass_to_comprehend)
    with pytest.raises(ClientError) as error:  # past IAM: the model does not exist
        session.client("comprehend").import_model(SourceModelArn=source_model,
                                                  DataAccessRoleArn=data_role)
    assert denied(error)[0] == "ResourceNotFoundException"


def test_put_events_is_checked_per_entry_bus(source):
    events = source.client("events")
    allowed_bus = events.create_event_bus(Name=new_name("bus"))["EventBusArn"]
    other_bus = events.create_event_bus(Name=new_name("bus"))["EventBusArn"]
    session, _ = role_session(source, allow("events:PutEvents", allowed_bus))
    entry = {"Source": "model-copy", "DetailType": "Model Imported", "Detail": "{}"}
    ok = session.client("events").put_events(Entries=[{**entry, "EventBusName": allowed_bus}])
    assert ok["FailedEntryCount"] == 0
    with pytest.raises(ClientError) as error:
        session.client("events").put_events(Entries=[{**entry, "EventBusName": allowed_bus},
                                                     {**entry, "EventBusName": other_bus}])
    assert f"events:PutEvents on resource: {other_bus}" in denied(error)[1]


def test_the_profiles_are_administrators_of_their_accounts(source):
    # No policy is attached to the operator role the profiles assume: nothing is checked.
    source.client("ssm").put_parameter(Name=f"/{new_name('p')}", Value="v", Type="String")


def test_a_rule_target_role_without_put_events_does_not_deliver(local_cloud, source, target):
    """A target's RoleArn is what EventBridge delivers with: without events:PutEvents on the
    partner bus the event goes to the dead-letter queue with NO_PERMISSIONS."""
    name = new_name("bus")
    events_a, events_b = source.client("events"), target.client("events")
    events_a.create_event_bus(Name=name)
    target_bus = events_b.create_event_bus(Name=name)["EventBusArn"]
    events_b.put_permission(EventBusName=name, Action="events:PutEvents",
                            Principal=SOURCE_ACCOUNT, StatementId="a")
    sqs = source.client("sqs")
    dlq = sqs.create_queue(QueueName=new_name("dlq"))["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])[
        "Attributes"]["QueueArn"]
    iam = source.client("iam")
    role = new_name("forwarder")
    role_arn = iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(TRUST))[
        "Role"]["Arn"]
    iam.put_role_policy(RoleName=role, PolicyName="wrong-bus", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [allow("events:PutEvents", target_bus + "-x")]}))
    events_a.put_rule(Name="forward", EventBusName=name,
                      EventPattern=json.dumps({"source": ["model-copy"]}))
    events_a.put_targets(Rule="forward", EventBusName=name, Targets=[{
        "Id": "b", "Arn": target_bus, "RoleArn": role_arn,
        "DeadLetterConfig": {"Arn": dlq_arn}}])

    events_a.put_events(Entries=[{"EventBusName": name, "Source": "model-copy",
                                  "DetailType": "Model Version Shared", "Detail": "{}"}])
    local_cloud.control("events", "wait_idle", timeout=20)

    [message] = sqs.receive_message(QueueUrl=dlq, MessageAttributeNames=["All"])["Messages"]
    attributes = message["MessageAttributes"]
    assert attributes["ERROR_CODE"]["StringValue"] == "NO_PERMISSIONS"
    assert (f"assumed-role/{role}/events is not authorized to perform: events:PutEvents on "
            f"resource: {target_bus}") in attributes["ERROR_MESSAGE"]["StringValue"]


def test_step_functions_tasks_call_with_the_state_machine_role(local_cloud, source):
    session, role = role_session(source)  # a role with no statement at all
    del session
    role_arn = f"arn:aws:iam::{SOURCE_ACCOUNT}:role/{role}"
    missing = (f"arn:aws:comprehend:{REGION}:{SOURCE_ACCOUNT}:"
               "document-classifier/absent/version/v1")
    sfn = source.client("stepfunctions")
    definition = {"StartAt": "Describe", "States": {"Describe": {
        "Type": "Task",
        "Resource": "arn:aws:states:::aws-sdk:comprehend:describeDocumentClassifier",
        "Parameters": {"DocumentClassifierArn": missing}, "End": True}}}
    machine = sfn.create_state_machine(name=new_name("sm"), roleArn=role_arn,
                                       definition=json.dumps(definition))["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=machine, name=new_name("run"))["executionArn"]

    from tests.conftest import wait_until

    described = wait_until(lambda: (d := sfn.describe_execution(executionArn=execution))
                           ["status"] != "RUNNING" and d, timeout=20)
    assert described["status"] == "FAILED"
    assert (f"assumed-role/{role}/states-execution is not authorized to perform: "
            f"comprehend:DescribeDocumentClassifier on resource: {missing}") in described["cause"]


def test_denials_and_unmapped_operations_are_listed(local_cloud, source):
    session, role = role_session(source)
    with pytest.raises(ClientError):
        session.client("sqs").list_queues()
    stats = local_cloud.control("iam", "stats")
    assert stats["unmapped"].get("sqs:ListQueues", 0) >= 1
    assert any(d["action"] == "sqs:ListQueues" and f"/{role}/" in d["principal"]
               for d in stats["denials"])


def test_conditions_on_a_models_tags_see_its_tags(source):
    """aws:ResourceTag/<key> is in the request context of calls on an existing model."""
    comprehend = source.client("comprehend")
    tagged = comprehend.create_entity_recognizer(
        RecognizerName=new_name("tagged"), VersionName="v1", LanguageCode="en",
        DataAccessRoleArn=f"arn:aws:iam::{SOURCE_ACCOUNT}:role/data",
        InputDataConfig={"EntityTypes": [{"Type": "THING"}],
                         "Documents": {"S3Uri": "s3://b/d"}, "EntityList": {"S3Uri": "s3://b/l"}},
        Tags=[{"Key": "model-copy:source", "Value": "x"}])["EntityRecognizerArn"]
    untagged = comprehend.create_entity_recognizer(
        RecognizerName=new_name("plain"), VersionName="v1", LanguageCode="en",
        DataAccessRoleArn=f"arn:aws:iam::{SOURCE_ACCOUNT}:role/data",
        InputDataConfig={"EntityTypes": [{"Type": "THING"}],
                         "Documents": {"S3Uri": "s3://b/d"}, "EntityList": {"S3Uri": "s3://b/l"}},
    )["EntityRecognizerArn"]
    session, _ = role_session(source, {
        **allow("comprehend:DescribeEntityRecognizer", "*"),
        "Condition": {"Null": {"aws:ResourceTag/model-copy:source": "false"}}})
    client = session.client("comprehend")
    client.describe_entity_recognizer(EntityRecognizerArn=tagged)
    with pytest.raises(ClientError) as error:
        client.describe_entity_recognizer(EntityRecognizerArn=untagged)
    assert f"comprehend:DescribeEntityRecognizer on resource: {untagged}" in denied(error)[1]


def test_a_state_machine_logging_to_cloudwatch_needs_log_delivery_rights(source):
    """CreateStateMachine with a log destination checks the role's log delivery permissions."""
    group = f"arn:aws:logs:{REGION}:{SOURCE_ACCOUNT}:log-group:{new_name('sm-logs')}:*"
    logging = {"level": "ERROR", "includeExecutionData": False,
               "destinations": [{"cloudWatchLogsLogGroup": {"logGroupArn": group}}]}
    definition = json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Pass",
                                                                     "End": True}}})
    sfn = source.client("stepfunctions")
    _, without = role_session(source, allow("states:*", "*"))
    with pytest.raises(ClientError) as error:
        sfn.create_state_machine(name=new_name("sm"), definition=definition,
                                 roleArn=f"arn:aws:iam::{SOURCE_ACCOUNT}:role/{without}",
                                 loggingConfiguration=logging)
    code, message = denied(error)
    assert code == "AccessDeniedException"
    assert "The state machine IAM Role is not authorized to access the Log Destination" in message
    _, with_rights = role_session(source, allow([
        "logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery",
        "logs:DeleteLogDelivery", "logs:ListLogDeliveries", "logs:PutResourcePolicy",
        "logs:DescribeResourcePolicies", "logs:DescribeLogGroups"], "*"))
    sfn.create_state_machine(name=new_name("sm"), definition=definition,
                             roleArn=f"arn:aws:iam::{SOURCE_ACCOUNT}:role/{with_rights}",
                             loggingConfiguration=logging)
