"""Local-cloud test fixtures, for the modules that ask for them (`pytestmark =
pytest.mark.usefixtures(...)`): fast Comprehend lifecycles, EventBridge's forwarder roles, and
a bus in A forwarding to a bus in B."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from local_cloud.core.accounts import SOURCE_ACCOUNT
from local_cloud.core.launcher import LocalCloud
from tests.conftest import session_for
from tests.support import new_name
from tests.support.comprehend import fast_lifecycle
from tests.support.eventbridge import FORWARDER, forwarder_role, new_bus, new_queue, new_rule
from tests.support.iam import service_role


@pytest.fixture
def fast_models(local_cloud: LocalCloud) -> Iterator[None]:
    """Comprehend reset, with short training and import durations, around the test."""
    with fast_lifecycle(local_cloud):
        yield


@pytest.fixture(scope="module")
def forwarder_roles(local_cloud: LocalCloud) -> None:
    """The rule target role of the EventBridge tests, in each account: IAM checks what a target
    role may do (these tests are about bus policies, so the role may put events and start
    executions)."""
    for profile in ("source", "target", "outsider"):
        service_role(session_for(local_cloud, profile), FORWARDER, "events.amazonaws.com",
                     ["events:PutEvents", "states:StartExecution"], "deliver")


@pytest.fixture()
def forwarding(local_cloud: LocalCloud, source: Any, target: Any) -> dict[str, str]:
    """A's bus forwards to B's bus (policy allows A only); B's rule feeds a queue in B."""
    local_cloud.control("events", "configure", retry_delays_s=[0.05])
    name = new_name("model-copy")
    source_bus, target_bus = new_bus(source, name), new_bus(target, name)
    target.client("events").put_permission(
        EventBusName=name, Action="events:PutEvents", Principal=SOURCE_ACCOUNT,
        StatementId="AllowSource")
    new_rule(source, name, [{"Id": "to-target", "Arn": target_bus,
                             "RoleArn": forwarder_role(SOURCE_ACCOUNT)}])
    url, queue_arn = new_queue(target, new_name("inbox"))
    new_rule(target, name, [{"Id": "inbox", "Arn": queue_arn}])
    return {"name": name, "source_bus": source_bus, "target_bus": target_bus, "inbox": url}
