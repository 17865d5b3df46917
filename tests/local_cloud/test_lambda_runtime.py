"""The local Lambda runtime runs the real handler code of functions made with the Lambda API."""

from __future__ import annotations

import io
import json
import time
import uuid
import zipfile
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from local_cloud.core import launcher
from local_cloud.core.accounts import REGION, SOURCE_ACCOUNT, TARGET_ACCOUNT
from local_cloud.services.lambda_runtime import AsyncInvocation, AsyncQueueStore
from tests.support.clouds import private_cloud

ROLE_NAME = "local-lambda-test-role"
TRUST = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
    "Action": "sts:AssumeRole"}]}

ECHO = """
import os, boto3
calls = 0

def handler(event, context):
    global calls
    calls += 1
    identity = boto3.client("sts").get_caller_identity()
    return {"event": event, "calls": calls, "account": identity["Account"],
            "greeting": os.environ.get("GREETING"),
            "region": os.environ["AWS_REGION"],
            "has_profile": "AWS_PROFILE" in os.environ or "AWS_CONFIG_FILE" in os.environ,
            "function_name": context.function_name,
            "version": context.function_version,
            "memory": context.memory_limit_in_mb,
            "arn": context.invoked_function_arn,
            "request_id": context.aws_request_id,
            "remaining_ms": context.get_remaining_time_in_millis()}
"""

FAILING = """
def handler(event, context):
    print("attempt for", event)
    raise ValueError("cannot copy " + str(event.get("model")))
"""

SLEEPY = """
import time

def handler(event, context):
    time.sleep(event.get("sleep", 0))
    return "awake"
"""

SENDER = """
import json, os, boto3

def handler(event, context):
    sqs = boto3.client("sqs")
    sqs.send_message(QueueUrl=os.environ["QUEUE_URL"], MessageBody=json.dumps(event))
    return "sent"
"""


EVERYTHING = {"Version": "2012-10-17",
              "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}


def _zip(source: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", source)
    return buffer.getvalue()


def _role_arn(session: boto3.Session) -> str:
    iam = session.client("iam")
    try:
        return iam.get_role(RoleName=ROLE_NAME)["Role"]["Arn"]
    except ClientError:
        arn = iam.create_role(RoleName=ROLE_NAME,
                              AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
        # IAM is enforced on the functions' calls; these tests are about the runtime.
        iam.put_role_policy(RoleName=ROLE_NAME, PolicyName="everything",
                            PolicyDocument=json.dumps(EVERYTHING))
        return str(arn)


def create_function(session: boto3.Session, source: str, timeout: int = 3,
                    env: dict[str, str] | None = None, **extra: Any) -> str:
    name = f"fn-{uuid.uuid4().hex[:10]}"
    config = session.client("lambda").create_function(
        FunctionName=name, Runtime="python3.12", Role=_role_arn(session),
        Handler="app.handler", Code={"ZipFile": _zip(source)}, Timeout=timeout,
        Environment={"Variables": env or {}}, **extra)
    return str(config["FunctionArn"])


def invoke(session: boto3.Session, function: str, event: Any,
           kind: str = "RequestResponse") -> tuple[dict[str, Any], Any]:
    response = session.client("lambda").invoke(
        FunctionName=function, InvocationType=kind, Payload=json.dumps(event).encode())
    raw = response["Payload"].read()
    return response, json.loads(raw) if raw else None


def stats_of(cloud: launcher.LocalCloud, function_arn: str) -> dict[str, Any]:
    name = function_arn.split(":")[6]
    return dict(cloud.control("lambda", "stats", function_name=name)["functions"][function_arn])


def create_queue(session: boto3.Session) -> tuple[str, str]:
    sqs = session.client("sqs")
    url = sqs.create_queue(QueueName=f"q-{uuid.uuid4().hex[:10]}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    return url, arn["Attributes"]["QueueArn"]


def receive(session: boto3.Session, url: str) -> list[dict[str, Any]]:
    return list(session.client("sqs").receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]).get("Messages", []))


@pytest.fixture(autouse=True)
def quick_retries(local_cloud: launcher.LocalCloud) -> Iterator[None]:
    local_cloud.control("lambda", "reset")
    local_cloud.control("lambda", "configure", retry_delays_s=[0.1, 0.2],
                        throttle_retry_delay_s=0.1)
    yield
    # Leave the shared cloud as other test files expect it (e.g. max_workers back to default).
    local_cloud.control("lambda", "reset")


def test_sync_invoke_runs_the_handler_as_the_functions_account(local_cloud, source):
    function = create_function(source, ECHO, env={"GREETING": "hello"})

    response, result = invoke(source, function, {"model": "m1"})

    assert response["StatusCode"] == 200
    assert "FunctionError" not in response
    assert result["event"] == {"model": "m1"}
    assert result["greeting"] == "hello"
    assert result["account"] == SOURCE_ACCOUNT
    assert result["region"] == REGION
    assert result["has_profile"] is False
    assert result["function_name"] == function.split(":")[6]
    assert result["version"] == "$LATEST"
    assert result["memory"] == "128"
    assert result["arn"] == function
    assert 0 < result["remaining_ms"] <= 3000


def test_second_invocation_reuses_the_warm_worker(local_cloud, target):
    function = create_function(target, ECHO)

    _, first = invoke(target, function, {})
    _, second = invoke(target, f"{function}:$LATEST", {})

    assert (first["calls"], second["calls"]) == (1, 2)  # module state survived: same process
    assert first["account"] == TARGET_ACCOUNT
    assert first["request_id"] != second["request_id"]
    stats = stats_of(local_cloud, function)
    assert (stats["invocations"], stats["cold_starts"]) == (2, 1)
    assert len(stats["init_durations_ms"]) == 1
    logs = target.client("logs").filter_log_events(
        logGroupName=f"/aws/lambda/{function.split(':')[6]}")["events"]
    assert f"END RequestId: {second['request_id']}" in [e["message"] for e in logs]


def test_unhandled_exception_has_aws_error_shape(local_cloud, source):
    function = create_function(source, FAILING)

    response, error = invoke(source, function, {"model": "m2"})

    assert response["StatusCode"] == 200
    assert response["FunctionError"] == "Unhandled"
    assert error["errorType"] == "ValueError"
    assert error["errorMessage"] == "cannot copy m2"
    assert any("app.py" in frame for frame in error["stackTrace"])
    assert stats_of(local_cloud, function)["errors"] == 1
    log_file = local_cloud.state_dir / "lambda" / "logs" / \
        f"{SOURCE_ACCOUNT}-{function.split(':')[6]}.log"
    assert "attempt for {'model': 'm2'}" in log_file.read_text()


def test_import_error_is_reported_as_the_runtime_does(local_cloud, source):
    function = create_function(source, "import not_a_module_anywhere\n")

    response, error = invoke(source, function, {})

    assert response["FunctionError"] == "Unhandled"
    assert error["errorType"] == "Runtime.ImportModuleError"
    assert "Unable to import module 'app'" in error["errorMessage"]


def test_a_worker_that_exits_mid_invocation_is_a_runtime_exit_error(local_cloud, source):
    function = create_function(source, "import os\ndef handler(event, context):\n    os._exit(3)\n")

    response, error = invoke(source, function, {})

    assert response["FunctionError"] == "Unhandled"
    assert error["errorType"] == "Runtime.ExitError"
    assert "exit status 3" in error["errorMessage"]


def test_timeout_kills_the_worker_and_reports_sandbox_timedout(local_cloud, source):
    function = create_function(source, SLEEPY, timeout=1)

    started = time.monotonic()
    response, error = invoke(source, function, {"sleep": 30})
    elapsed = time.monotonic() - started
    _, after = invoke(source, function, {})

    assert response["FunctionError"] == "Unhandled"
    assert error["errorType"] == "Sandbox.Timedout"
    assert "Task timed out after 1.00 seconds" in error["errorMessage"]
    assert elapsed < 10
    assert after == "awake"
    stats = stats_of(local_cloud, function)
    assert stats["timeouts"] == 1
    assert stats["cold_starts"] == 2  # the timed-out environment was not reused


def test_reserved_concurrency_zero_throttles(local_cloud, source):
    function = create_function(source, SLEEPY)
    source.client("lambda").put_function_concurrency(FunctionName=function,
                                                     ReservedConcurrentExecutions=0)

    no_retries = source.client("lambda", config=Config(retries={"total_max_attempts": 1}))

    with pytest.raises(ClientError) as raised:
        no_retries.invoke(FunctionName=function, Payload=b"{}")

    assert raised.value.response["Error"]["Code"] == "TooManyRequestsException"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 429
    assert stats_of(local_cloud, function)["throttles"] == 1


def test_global_worker_cap_throttles_when_every_worker_is_busy(local_cloud, source):
    local_cloud.control("lambda", "configure", max_workers=1)
    busy = create_function(source, SLEEPY)
    other = create_function(source, SLEEPY)
    invoke(source, busy, {"sleep": 1.5}, kind="Event")
    deadline = time.monotonic() + 5
    while local_cloud.control("lambda", "stats")["workers"]["busy"] == 0:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    no_retries = source.client("lambda", config=Config(retries={"total_max_attempts": 1}))

    with pytest.raises(ClientError) as raised:
        no_retries.invoke(FunctionName=other, Payload=b"{}")

    assert raised.value.response["Error"]["Code"] == "TooManyRequestsException"
    assert local_cloud.control("lambda", "wait_idle", timeout_s=20)["idle"]
    _, result = invoke(source, other, {})  # the idle worker of `busy` is evicted for it
    assert result == "awake"


def test_unknown_function_is_not_found(local_cloud, source):
    with pytest.raises(ClientError) as raised:
        invoke(source, "no-such-function", {})
    assert raised.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_async_failure_is_retried_then_dead_lettered(local_cloud, target):
    queue_url, queue_arn = create_queue(target)
    function = create_function(target, FAILING, DeadLetterConfig={"TargetArn": queue_arn})
    config = target.client("lambda").get_function_configuration(FunctionName=function)
    assert config["DeadLetterConfig"] == {"TargetArn": queue_arn}

    response, _ = invoke(target, function, {"model": "m3"}, kind="Event")
    assert response["StatusCode"] == 202
    assert local_cloud.control("lambda", "wait_idle", timeout_s=20)["idle"]

    [message] = receive(target, queue_url)
    assert json.loads(message["Body"]) == {"model": "m3"}
    attributes = message["MessageAttributes"]
    assert attributes["ErrorCode"]["StringValue"] == "200"
    assert attributes["ErrorMessage"]["StringValue"] == "cannot copy m3"
    assert attributes["RequestID"]["StringValue"]
    stats = stats_of(local_cloud, function)
    assert (stats["invocations"], stats["async_retries"], stats["dead_lettered"]) == (3, 2, 1)


def test_async_failure_goes_to_the_on_failure_destination(local_cloud, source):
    queue_url, queue_arn = create_queue(source)
    function = create_function(source, FAILING)
    lambda_client = source.client("lambda")
    lambda_client.put_function_event_invoke_config(FunctionName=function, MaximumRetryAttempts=0)
    lambda_client.put_function_event_invoke_config(  # a second Put replaces the first, as on AWS
        FunctionName=function, MaximumRetryAttempts=1,
        DestinationConfig={"OnFailure": {"Destination": queue_arn}})
    assert lambda_client.get_function_event_invoke_config(
        FunctionName=function)["MaximumRetryAttempts"] == 1

    invoke(source, function, {"model": "m4"}, kind="Event")
    assert local_cloud.control("lambda", "wait_idle", timeout_s=20)["idle"]

    [message] = receive(source, queue_url)
    record = json.loads(message["Body"])
    assert record["version"] == "1.0"
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 2
    assert record["requestContext"]["functionArn"] == f"{function}:$LATEST"
    assert record["requestPayload"] == {"model": "m4"}
    assert record["responseContext"]["functionError"] == "Unhandled"
    assert record["responsePayload"]["errorType"] == "ValueError"


def test_async_failure_goes_to_an_event_bus_destination(local_cloud, target):
    queue_url, queue_arn = create_queue(target)
    events = target.client("events")
    bus = f"bus-{uuid.uuid4().hex[:8]}"
    bus_arn = events.create_event_bus(Name=bus)["EventBusArn"]
    events.put_rule(Name="lambda-results", EventBusName=bus,
                    EventPattern=json.dumps({"source": ["lambda"]}))
    events.put_targets(Rule="lambda-results", EventBusName=bus,
                       Targets=[{"Id": "q", "Arn": queue_arn}])
    function = create_function(target, FAILING)
    target.client("lambda").put_function_event_invoke_config(
        FunctionName=function, MaximumRetryAttempts=0,
        DestinationConfig={"OnFailure": {"Destination": bus_arn}})

    invoke(target, function, {"model": "m5"}, kind="Event")
    assert local_cloud.control("lambda", "wait_idle", timeout_s=20)["idle"]

    deadline = time.monotonic() + 5
    while not (messages := receive(target, queue_url)):
        assert time.monotonic() < deadline, "no event reached the bus's target"
        time.sleep(0.1)
    event = json.loads(messages[0]["Body"])
    assert event["detail-type"] == "Lambda Function Invocation Result - Failure"
    assert event["detail"]["requestContext"]["approximateInvokeCount"] == 1
    assert event["detail"]["requestPayload"] == {"model": "m5"}


def test_async_success_goes_to_the_on_success_destination(local_cloud, source):
    queue_url, queue_arn = create_queue(source)
    function = create_function(source, SLEEPY)
    source.client("lambda").put_function_event_invoke_config(
        FunctionName=function, DestinationConfig={"OnSuccess": {"Destination": queue_arn}})

    invoke(source, function, {}, kind="Event")
    assert local_cloud.control("lambda", "wait_idle", timeout_s=20)["idle"]

    [message] = receive(source, queue_url)
    record = json.loads(message["Body"])
    assert record["requestContext"]["condition"] == "Success"
    assert record["responsePayload"] == "awake"


def test_wait_idle_reports_pending_work_when_it_times_out(local_cloud, source):
    function = create_function(source, SLEEPY, timeout=5)
    invoke(source, function, {"sleep": 1.5}, kind="Event")

    assert local_cloud.control("lambda", "wait_idle", timeout_s=0.2) == {"idle": False,
                                                                          "pending": 1}
    assert local_cloud.control("lambda", "wait_idle", timeout_s=20)["idle"]


# ---------------------------------------------------------------- the durable async queue

def test_store_recovers_queued_and_counts_an_interrupted_attempt_as_failed(tmp_path):
    store = AsyncQueueStore(tmp_path)
    queued = AsyncInvocation("r1", "arn:aws:lambda:us-east-1:1:function:f", {"a": 1}, 100.0)
    running = AsyncInvocation("r2", "arn:aws:lambda:us-east-1:1:function:f", {"b": 2}, 50.0,
                              attempts=1, in_flight=True)
    store.save(queued)
    store.save(running)
    store.save(AsyncInvocation("r3", "x", None, 1.0))
    store.remove("r3")

    recovered = AsyncQueueStore(tmp_path).recover()

    assert [inv.request_id for inv in recovered] == ["r2", "r1"]  # oldest first
    interrupted = recovered[0]
    assert (interrupted.attempts, interrupted.in_flight) == (1, False)
    assert interrupted.last_error is not None
    assert interrupted.last_error["errorType"] == "Runtime.ExitError"
    assert all(inv.recovered for inv in recovered)
    assert recovered[1].payload == {"a": 1} and recovered[1].attempts == 0


def test_store_skips_unreadable_records(tmp_path):
    (tmp_path / "broken.json").write_text("{not json")
    assert AsyncQueueStore(tmp_path).recover() == []


@pytest.mark.slow
def test_a_restarted_local_cloud_delivers_queued_invocations(tmp_path):
    """A record left on disk by a stopped cloud runs once the function is deployed again."""
    state_dir = tmp_path / "restarted"
    name = "redeployed-sender"
    function_arn = f"arn:aws:lambda:{REGION}:{SOURCE_ACCOUNT}:function:{name}"
    AsyncQueueStore(state_dir / "lambda" / "async-queue").save(AsyncInvocation(
        "left-over", function_arn, {"copy": "me"}, time.time(), attempts=1, in_flight=True))
    with private_cloud(state_dir) as cloud:
        session = boto3.Session(
            aws_access_key_id="local", aws_secret_access_key="local", region_name=REGION)
        sts = session.client("sts", endpoint_url=cloud.endpoint)
        keys = sts.assume_role(RoleArn=f"arn:aws:iam::{SOURCE_ACCOUNT}:role/{launcher.LOCAL_ROLE}",
                               RoleSessionName="test")["Credentials"]
        as_source = boto3.Session(
            aws_access_key_id=keys["AccessKeyId"], aws_secret_access_key=keys["SecretAccessKey"],
            aws_session_token=keys["SessionToken"], region_name=REGION)
        cloud.control("lambda", "configure", retry_delays_s=[0.1], throttle_retry_delay_s=0.1)
        sqs = as_source.client("sqs", endpoint_url=cloud.endpoint)
        queue_url = sqs.create_queue(QueueName="delivered")["QueueUrl"]
        iam = as_source.client("iam", endpoint_url=cloud.endpoint)
        role = iam.create_role(RoleName=ROLE_NAME, AssumeRolePolicyDocument=json.dumps(TRUST))
        iam.put_role_policy(RoleName=ROLE_NAME, PolicyName="everything",
                            PolicyDocument=json.dumps(EVERYTHING))
        as_source.client("lambda", endpoint_url=cloud.endpoint).create_function(
            FunctionName=name, Runtime="python3.12", Role=role["Role"]["Arn"],
            Handler="app.handler", Code={"ZipFile": _zip(SENDER)},
            Environment={"Variables": {"QUEUE_URL": queue_url}})

        assert cloud.control("lambda", "wait_idle", timeout_s=20)["idle"]

        messages = sqs.receive_message(QueueUrl=queue_url).get("Messages", [])
        assert [json.loads(m["Body"]) for m in messages] == [{"copy": "me"}]
        stats = cloud.control("lambda", "stats")["functions"][function_arn]
        assert stats["async_retries"] == 1  # the interrupted run counted as the first attempt
        assert not list((state_dir / "lambda" / "async-queue").glob("*.json"))

