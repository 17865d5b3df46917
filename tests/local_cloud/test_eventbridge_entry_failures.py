"""Entry failures injected into the local EventBridge: once or every time, only on their
bus, unknown settings refused."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support import new_name
from tests.support.eventbridge import SHARED, new_bus, put_event, received, wait_idle

pytestmark = pytest.mark.usefixtures("forwarder_roles")


def _fail_entries(local_cloud, **rule: Any) -> dict[str, Any]:
    return local_cloud.control("events", "fail_entries", **rule)


def test_injected_entry_failure_once_fails_one_entry_then_passes(local_cloud, source, target,
                                                                  forwarding):
    _fail_entries(local_cloud, error_code="InternalFailure", times=1,
                  bus=forwarding["target_bus"], detail_type=SHARED)
    try:
        first = put_event(source, forwarding["target_bus"], model="first")
        other_type = put_event(source, forwarding["target_bus"], detail_type="Other", model="other")
        second = put_event(source, forwarding["target_bus"], model="second")
        wait_idle(local_cloud)
    finally:
        _fail_entries(local_cloud, clear=True)

    assert first["FailedEntryCount"] == 1
    assert first["Entries"][0]["ErrorCode"] == "InternalFailure"
    assert first["Entries"][0]["ErrorMessage"]
    assert other_type["FailedEntryCount"] == 0
    assert second["FailedEntryCount"] == 0
    bodies = [json.loads(m["Body"])["detail"] for m in received(target, forwarding["inbox"])]
    assert {"model": "first"} not in bodies
    assert {"model": "second"} in bodies


def test_injected_entry_failure_every_time_only_on_its_bus(local_cloud, source, forwarding):
    own_bus = new_name("own")
    new_bus(source, own_bus)
    rules = _fail_entries(local_cloud, error_code="ThrottlingException",
                          error_message="Rate exceeded", bus=forwarding["name"])
    try:
        assert rules[-1]["times"] is None
        for _ in range(3):
            entry = put_event(source, forwarding["target_bus"])["Entries"][0]
            assert (entry["ErrorCode"], entry["ErrorMessage"]) == (
                "ThrottlingException", "Rate exceeded")
        assert put_event(source, own_bus)["FailedEntryCount"] == 0
        stats = local_cloud.control("events", "stats")
        assert stats[forwarding["target_bus"]]["injected_failures"] == 3
    finally:
        assert _fail_entries(local_cloud, clear=True) == []
    assert put_event(source, forwarding["target_bus"])["FailedEntryCount"] == 0


def test_injected_entry_failure_rejects_unknown_settings(local_cloud):
    with pytest.raises(Exception, match="error_code"):
        _fail_entries(local_cloud, error_code="", times=1)
    with pytest.raises(Exception, match="times"):
        _fail_entries(local_cloud, error_code="InternalFailure", times=0)
