"""Unit-test fixtures: the environment template.yaml gives each function, an in-process
DynamoDB (moto) holding the import ledger, a clock, and the import job's ports (fake
Comprehend, that ledger, recorded reports)."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from model_copy.importing import Ports
from model_copy.ledger import Ledger
from moto import mock_aws

from tests.support.fakes import FakeComprehend
from tests.support.import_job import Recorder
from tests.support.template_environment import functions, template_environment

REGION = "us-east-1"


class Clock:
    """A clock that moves only when told; `sleep` advances it instead of waiting."""

    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture(scope="session")
def function_env() -> Callable[..., dict[str, str]]:
    """`function_env("ImportModelFunction", account=..., **parameters)`: the variables
    template.yaml gives that function, parameters at their Defaults unless given."""
    return template_environment


@pytest.fixture
def fresh_handler(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str, dict[str, str]],
                                                                        Any]]:
    """`fresh_handler("ImportModelFunction", env)`: that function's handler module imported
    afresh (its init, as in a new execution environment) with the template's variables of
    every function replaced by `env`."""
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[2] / "functions"))
    handlers = functions()
    every_variable = {key for function in handlers for key in template_environment(function)}

    def init(function: str, env: dict[str, str]) -> Any:
        for key in every_variable:
            monkeypatch.delenv(key, raising=False)
        for key, value in {"AWS_DEFAULT_REGION": env.get("AWS_REGION", "us-east-1"),
                           **env}.items():
            monkeypatch.setenv(key, value)
        sys.modules.pop(handlers[function], None)
        return importlib.import_module(handlers[function])

    yield init
    for module in handlers.values():
        sys.modules.pop(module, None)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def ledger_table(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The ledger table as template.yaml defines it, in moto's in-process DynamoDB.

    A local cloud started by another test of the session sets AWS_ENDPOINT_URL and a config
    file with profiles: those are hidden here so these calls stay in process.
    """
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL",
                 "AWS_ENDPOINT_URL_DYNAMODB"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
    with mock_aws():
        dynamodb = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                                 region_name=REGION).resource(
            "dynamodb", endpoint_url=f"https://dynamodb.{REGION}.amazonaws.com")
        table = dynamodb.create_table(
            TableName="model-copy-ledger", BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "copyKey", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "copyKey", "KeyType": "HASH"}])
        table.meta.client.update_time_to_live(
            TableName="model-copy-ledger",
            TimeToLiveSpecification={"AttributeName": "expiresAt", "Enabled": True})
        yield table


@pytest.fixture
def ledger(ledger_table: Any, clock: Clock) -> Ledger:
    return Ledger(ledger_table, clock=clock)


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def make_ports(ledger: Ledger, recorder: Recorder,
               clock: Clock) -> Callable[..., Ports]:
    def make(comprehend: FakeComprehend, remaining_s: float = 900.0) -> Ports:
        return Ports(comprehend=comprehend, ledger=ledger, report=recorder.report,
                     hand_over=recorder.hand_over, clock=clock, sleep=clock.sleep,
                     remaining_s=lambda: remaining_s)
    return make
