"""The local cloud keeps its resources across a stop/start on the same state dir and port.

These tests start their own clouds (not the session fixture): they stop and kill them.
"""

from __future__ import annotations

import io
import json
import os
import pickle
import signal
import threading
import time
import uuid
import weakref
import zipfile
from collections import defaultdict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest

from local_cloud.core import launcher, persistence
from local_cloud.core.accounts import REGION, SOURCE_ACCOUNT, TARGET_ACCOUNT
from tests.conftest import wait_until
from tests.support.clouds import private_cloud
from tests.support.comprehend import create_classifier

FAST_COMPREHEND = {"submitted_s": 0.1, "training_s": 0.5, "import_s": 0.5}
ECHO = "def handler(event, context):\n    return {'echo': event}\n"
TRUST = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Action": "sts:AssumeRole",
    "Principal": {"Service": "lambda.amazonaws.com"}}]}


def restart(cloud: launcher.LocalCloud, **start: Any) -> launcher.LocalCloud:
    assert launcher.stop(cloud.state_dir)
    return launcher.start(cloud.state_dir, port=cloud.port, **start)




# ---------------------------------------------------------------- the world before the restart

@dataclass
class World:
    """Resources of several services, in two accounts, made before the restart."""
    queue_url: str = ""
    table: str = ""
    trained_classifier: str = ""
    training_classifier: str = ""
    policy: str = ""
    bus: str = ""
    bus_policy: dict[str, Any] = field(default_factory=dict)
    rule: str = ""
    delivery_queue_url: str = ""
    function: str = ""
    finished_execution: str = ""
    running_execution: str = ""
    bucket: str = ""
    parameter: str = ""
    key_id: str = ""
    signature: bytes = b""


def _zip(source: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", source)
    return buffer.getvalue()


def _queue(session: boto3.Session) -> tuple[str, str]:
    sqs = session.client("sqs")
    url = sqs.create_queue(QueueName=f"q-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    return url, arn["Attributes"]["QueueArn"]


def _status(session: boto3.Session, arn: str) -> str:
    return str(session.client("comprehend").describe_document_classifier(
        DocumentClassifierArn=arn)["DocumentClassifierProperties"]["Status"])


def build_world(cloud: launcher.LocalCloud, source: boto3.Session,
                target: boto3.Session) -> World:
    world = World()
    world.queue_url, _ = _queue(source)
    source.client("sqs").send_message(QueueUrl=world.queue_url, MessageBody="kept")

    world.table = f"t-{uuid.uuid4().hex[:8]}"
    dynamodb = target.client("dynamodb")
    dynamodb.create_table(TableName=world.table, BillingMode="PAY_PER_REQUEST",
                          KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                          AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
    dynamodb.put_item(TableName=world.table, Item={"pk": {"S": "k"}, "state": {"S": "DONE"}})

    cloud.control("comprehend", "configure", **FAST_COMPREHEND)
    world.trained_classifier = create_classifier(source, "kept-trained")
    wait_until(lambda: _status(source, world.trained_classifier) == "TRAINED")
    world.policy = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "ImportByTarget", "Effect": "Allow", "Action": "comprehend:ImportModel",
        "Resource": "*", "Principal": {"AWS": [f"arn:aws:iam::{TARGET_ACCOUNT}:root"]}}]})
    source.client("comprehend").put_resource_policy(ResourceArn=world.trained_classifier,
                                                    ResourcePolicy=world.policy)
    # Still training when the cloud stops: its lifecycle follows the clock, not the process.
    cloud.control("comprehend", "configure", models={"kept-training": {"training_s": 3.0}})
    world.training_classifier = create_classifier(source, "kept-training")

    events = target.client("events")
    world.bus = f"bus-{uuid.uuid4().hex[:8]}"
    events.create_event_bus(Name=world.bus)
    world.bus_policy = {"Version": "2012-10-17", "Statement": [{
        "Sid": "FromSource", "Effect": "Allow", "Action": "events:PutEvents",
        "Principal": {"AWS": f"arn:aws:iam::{SOURCE_ACCOUNT}:root"},
        "Resource": f"arn:aws:events:{REGION}:{TARGET_ACCOUNT}:event-bus/{world.bus}"}]}
    events.put_permission(EventBusName=world.bus, Policy=json.dumps(world.bus_policy))
    world.delivery_queue_url, delivery_arn = _queue(target)
    world.rule = "kept-rule"
    events.put_rule(Name=world.rule, EventBusName=world.bus,
                    EventPattern=json.dumps({"source": ["restart.test"]}))
    events.put_targets(Rule=world.rule, EventBusName=world.bus,
                       Targets=[{"Id": "queue", "Arn": delivery_arn}])

    iam = source.client("iam")
    role = iam.create_role(RoleName=f"r-{uuid.uuid4().hex[:8]}",
                           AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    world.function = source.client("lambda").create_function(
        FunctionName=f"fn-{uuid.uuid4().hex[:8]}", Runtime="python3.12", Role=role,
        Handler="app.handler", Code={"ZipFile": _zip(ECHO)})["FunctionArn"]

    world.bucket = f"b-{uuid.uuid4().hex[:8]}"
    s3 = source.client("s3")
    s3.create_bucket(Bucket=world.bucket)
    s3.put_object(Bucket=world.bucket, Key="model/train.csv", Body=b"label,text\n")
    world.parameter = f"/model-copy/{uuid.uuid4().hex[:8]}"
    target.client("ssm").put_parameter(Name=world.parameter, Value="arn:copy", Type="String")
    kms = target.client("kms")
    world.key_id = kms.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")["KeyMetadata"][
        "KeyId"]
    world.signature = kms.sign(KeyId=world.key_id, Message=b"kept", MessageType="RAW",
                               SigningAlgorithm="RSASSA_PSS_SHA_256")["Signature"]

    sfn = source.client("stepfunctions")

    def machine(name: str, state: dict[str, Any]) -> str:
        return str(sfn.create_state_machine(
            name=name, roleArn=role,
            definition=json.dumps({"StartAt": "S", "States": {"S": {**state, "End": True}}})
        )["stateMachineArn"])
    quick = machine("quick", {"Type": "Pass", "Result": {"done": True}})
    slow = machine("slow", {"Type": "Wait", "Seconds": 60})
    world.finished_execution = sfn.start_execution(stateMachineArn=quick, name="q1")["executionArn"]
    wait_until(lambda: sfn.describe_execution(
        executionArn=world.finished_execution)["status"] == "SUCCEEDED")
    world.running_execution = sfn.start_execution(stateMachineArn=slow, name="s1")["executionArn"]
    assert sfn.describe_execution(executionArn=world.running_execution)["status"] == "RUNNING"
    return world


@dataclass
class Restarted:
    cloud: launcher.LocalCloud
    world: World
    source: boto3.Session
    target: boto3.Session
    seconds: float


@pytest.fixture(scope="module")
def restarted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Restarted]:
    with private_cloud(tmp_path_factory.mktemp("restart")) as cloud:
        # Sessions made before the restart keep their assumed-role keys: STS state is kept.
        source = boto3.Session(profile_name="source", region_name=REGION)
        target = boto3.Session(profile_name="target", region_name=REGION)
        world = build_world(cloud, source, target)
        started = time.monotonic()
        cloud = restart(cloud)
        yield Restarted(cloud, world, source, target, time.monotonic() - started)


# ---------------------------------------------------------------- after the restart

def test_same_port_and_the_restore_is_reported(restarted: Restarted):
    status = restarted.cloud.control("state", "status")
    restored = status["restored"]
    assert restored is not None and restored["error"] is None
    for service in ("sqs", "dynamodb", "comprehend", "events", "awslambda", "iam", "sts",
                    "stepfunctions"):
        assert any(f"moto.{service}." in label for label in restored["services"]), service
    assert restored["missing"] == [] and restored["not_saved"] == {}
    print(f"\nrestart {restarted.seconds:.2f}s, restore {restored['seconds']:.3f}s "
          f"({restored['bytes']} bytes)")


def test_queue_keeps_its_message(restarted: Restarted):
    messages = restarted.source.client("sqs").receive_message(
        QueueUrl=restarted.world.queue_url).get("Messages", [])
    assert [m["Body"] for m in messages] == ["kept"]


def test_table_keeps_its_item(restarted: Restarted):
    item = restarted.target.client("dynamodb").get_item(
        TableName=restarted.world.table, Key={"pk": {"S": "k"}}, ConsistentRead=True)["Item"]
    assert item["state"] == {"S": "DONE"}


def test_classifier_and_its_resource_policy_are_kept(restarted: Restarted):
    comprehend = restarted.source.client("comprehend")
    arn = restarted.world.trained_classifier
    assert _status(restarted.source, arn) == "TRAINED"
    policy = comprehend.describe_resource_policy(ResourceArn=arn)["ResourcePolicy"]
    assert json.loads(policy) == json.loads(restarted.world.policy)
    assert [m["DocumentClassifierArn"] for m in comprehend.list_document_classifiers()[
        "DocumentClassifierPropertiesList"]].count(arn) == 1


def test_training_continues_by_the_clock(restarted: Restarted):
    arn = restarted.world.training_classifier
    assert wait_until(lambda: _status(restarted.source, arn) == "TRAINED", timeout=10)


def test_bus_policy_and_rule_are_kept_and_still_deliver(restarted: Restarted):
    events = restarted.target.client("events")
    bus = events.describe_event_bus(Name=restarted.world.bus)
    assert json.loads(bus["Policy"]) == restarted.world.bus_policy
    [rule] = events.list_rules(EventBusName=restarted.world.bus)["Rules"]
    assert rule["Name"] == restarted.world.rule
    events.put_events(Entries=[{"EventBusName": restarted.world.bus, "Source": "restart.test",
                                "DetailType": "After Restart", "Detail": "{\"n\": 1}"}])
    sqs = restarted.target.client("sqs")
    messages = wait_until(lambda: sqs.receive_message(
        QueueUrl=restarted.world.delivery_queue_url).get("Messages"))
    assert json.loads(messages[0]["Body"])["detail-type"] == "After Restart"


def test_function_is_kept_and_still_runs(restarted: Restarted):
    response = restarted.source.client("lambda").invoke(
        FunctionName=restarted.world.function, Payload=b'{"after": "restart"}')
    assert "FunctionError" not in response
    assert json.loads(response["Payload"].read()) == {"echo": {"after": "restart"}}


def test_object_parameter_and_signing_key_are_kept(restarted: Restarted):
    body = restarted.source.client("s3").get_object(
        Bucket=restarted.world.bucket, Key="model/train.csv")["Body"].read()
    assert body == b"label,text\n"
    value = restarted.target.client("ssm").get_parameter(Name=restarted.world.parameter)
    assert value["Parameter"]["Value"] == "arn:copy"
    # The same private key: a signature made before the restart still verifies.
    verified = restarted.target.client("kms").verify(
        KeyId=restarted.world.key_id, Message=b"kept", MessageType="RAW",
        Signature=restarted.world.signature, SigningAlgorithm="RSASSA_PSS_SHA_256")
    assert verified["SignatureValid"]


def test_finished_execution_is_kept_as_it_was(restarted: Restarted):
    sfn = restarted.source.client("stepfunctions")
    execution = sfn.describe_execution(executionArn=restarted.world.finished_execution)
    assert execution["status"] == "SUCCEEDED"
    assert json.loads(execution["output"]) == {"done": True}


def test_running_execution_fails_visibly(restarted: Restarted):
    sfn = restarted.source.client("stepfunctions")
    execution = sfn.describe_execution(executionArn=restarted.world.running_execution)
    assert execution["status"] == "FAILED"
    assert execution["error"] == persistence.RESTART_ERROR
    assert "restarted during this execution" in execution["cause"]
    assert execution["stopDate"] >= execution["startDate"]
    restored = restarted.cloud.control("state", "status")["restored"]
    assert restored["failed_executions"] == [restarted.world.running_execution]
    listed = sfn.list_executions(stateMachineArn=execution["stateMachineArn"],
                                 statusFilter="RUNNING")["executions"]
    assert listed == []
    # Its history up to the restart is still readable.
    events = sfn.get_execution_history(executionArn=restarted.world.running_execution)["events"]
    assert events and events[0]["type"] == "ExecutionStarted"


# ---------------------------------------------------------------- crashes and bad files

def test_periodic_save_survives_a_crash(tmp_path: Path):
    with private_cloud(tmp_path, extra_env={"MODEL_COPY_LOCAL_SAVE_INTERVAL_S": "0.3"}) as cloud:
        source = boto3.Session(profile_name="source", region_name=REGION)
        url, _ = _queue(source)
        wait_until(lambda: cloud.control("state", "status")["last_save"] is not None
                   or (tmp_path / persistence.STATE_FILE).exists())
        time.sleep(0.7)  # at least one save after the queue exists
        os.killpg(int((tmp_path / "server.pid").read_text()), signal.SIGKILL)  # no shutdown save
        time.sleep(0.2)
        cloud = launcher.start(tmp_path, port=cloud.port)
        assert url in source.client("sqs").list_queues().get("QueueUrls", [])


def test_unreadable_state_is_set_aside_and_the_cloud_starts_empty(tmp_path: Path):
    (tmp_path / persistence.STATE_FILE).write_bytes(b"not a pickle, half a write")
    with private_cloud(tmp_path) as cloud:
        restored = cloud.control("state", "status")["restored"]
        assert restored["error"] and restored["services"] == []
        assert not (tmp_path / persistence.STATE_FILE).exists()
        assert list(tmp_path.glob(f"{persistence.STATE_FILE}.unreadable-*"))
        source = boto3.Session(profile_name="source", region_name=REGION)
        assert source.client("sqs").list_queues().get("QueueUrls", []) == []


def test_save_writes_the_whole_file_or_nothing(tmp_path: Path):
    with private_cloud(tmp_path) as cloud:
        _queue(boto3.Session(profile_name="source", region_name=REGION))
        report = cloud.control("state", "save")
        path = tmp_path / persistence.STATE_FILE
        assert report["bytes"] == path.stat().st_size and report["skipped"] == {}
        assert pickle.loads(path.read_bytes())["format"] == persistence.FORMAT
        assert not list(tmp_path.glob(f".{persistence.STATE_FILE}*"))  # staging file renamed


# ---------------------------------------------------------------- the pickler, in process

class Child:
    pass


class Holder:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.rlock = threading.RLock()
        self.condition = threading.Condition()
        self.event = threading.Event()
        self.thread = threading.Thread(target=lambda: None)
        self.executor = ThreadPoolExecutor(max_workers=1)
        self.generator = (n for n in range(3))
        self.data = {"kept": [1, 2, 3]}
        self.by_name: defaultdict[str, dict[str, int]] = defaultdict(lambda: {})
        self.by_name["a"]["x"] = 1
        self.nested: defaultdict[str, Any] = defaultdict(lambda: defaultdict(dict))
        self.nested["a"]["b"]["c"] = 1
        self.index: weakref.WeakValueDictionary[str, Holder] = weakref.WeakValueDictionary()
        self.child = Child()
        self.index["child"] = self.child


def test_pickler_recreates_locks_and_drops_live_machinery():
    holder = Holder()
    holder.lock.acquire()
    holder.event.set()
    try:
        with pytest.raises(TypeError):
            pickle.dumps(holder)
        copy = pickle.loads(persistence.dumps(holder))
    finally:
        holder.lock.release()
        holder.executor.shutdown()
    assert copy.data == {"kept": [1, 2, 3]}
    assert copy.lock.acquire(blocking=False)  # new and unlocked, though the original was held
    assert copy.rlock.acquire(blocking=False)
    with copy.condition:
        copy.condition.notify_all()
    assert copy.event.is_set()
    assert copy.thread is None and copy.executor is None and copy.generator is None
    assert copy.by_name == {"a": {"x": 1}} and copy.by_name["new"] == {}
    assert copy.nested["a"]["b"] == {"c": 1} and copy.nested["x"]["y"] == {}
    assert copy.index["child"] is copy.child  # identity kept within the pickle


def test_pickler_refuses_a_factory_it_cannot_stand_in_for():
    odd = defaultdict(lambda: {"not": "empty"})
    with pytest.raises(TypeError, match="default factory"):
        persistence.dumps(odd)


class Versions(defaultdict):  # type: ignore[type-arg]
    """Like moto's ssm ParameterDict: a defaultdict whose __init__ takes other arguments."""

    def __init__(self, region_name: str) -> None:
        super().__init__(list)
        self.region_name = region_name


def test_pickler_rebuilds_defaultdict_subclasses_with_their_attributes():
    versions = Versions("us-east-1")
    versions["p"].append(1)
    copy = pickle.loads(persistence.dumps({"v": versions}))["v"]
    assert type(copy) is Versions and copy.region_name == "us-east-1"
    assert copy == {"p": [1]} and copy["new"] == []
