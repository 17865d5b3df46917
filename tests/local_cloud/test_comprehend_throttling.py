"""The local Comprehend's throttling, call counters and call records: rates per operation and
account, botocore's retries, and a failing event bus never failing a call."""

from __future__ import annotations

import time

import pytest
from botocore.config import Config

from local_cloud.core.accounts import OUTSIDER_ACCOUNT, REGION, SOURCE_ACCOUNT, TARGET_ACCOUNT
from tests.support import new_name
from tests.support.comprehend import (
    NO_RETRIES,
    create_classifier,
    error_code,
    raised_error,
    shared_model,
)

pytestmark = pytest.mark.usefixtures("fast_models")


# --- throttling and counters --------------------------------------------------------------------

def test_throttling_at_rate_one_and_zero(local_cloud, source):
    comprehend = source.client("comprehend", config=NO_RETRIES)
    local_cloud.control("comprehend", "configure", throttle_probability=1.0)
    error = raised_error(lambda: comprehend.list_document_classifiers())
    assert error.response["Error"]["Code"] == "TooManyRequestsException"
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 400

    local_cloud.control("comprehend", "configure", throttle_probability=0.0)
    comprehend.list_document_classifiers()

    ops = local_cloud.control("comprehend", "stats", account=SOURCE_ACCOUNT)[
        "accounts"][SOURCE_ACCOUNT]["operations"]
    assert ops["ListDocumentClassifiers"] == {"calls": 2, "throttled": 1}


def test_throttling_limited_to_operations_and_accounts(local_cloud, source, target):
    local_cloud.control("comprehend", "configure", throttle_probability=1.0,
                        throttle_operations=["ImportModel"], throttle_accounts=[TARGET_ACCOUNT])
    arn = create_classifier(source, new_name())  # other operations pass
    assert error_code(lambda: source.client("comprehend", config=NO_RETRIES).import_model(
        SourceModelArn=arn)) != "TooManyRequestsException"
    assert error_code(lambda: target.client("comprehend", config=NO_RETRIES).import_model(
        SourceModelArn=arn)) == "TooManyRequestsException"


def test_max_calls_per_second(local_cloud, source):
    local_cloud.control("comprehend", "configure", throttle_max_per_second=2)
    comprehend = source.client("comprehend", config=NO_RETRIES)
    comprehend.list_document_classifiers()
    comprehend.list_document_classifiers()
    assert error_code(comprehend.list_document_classifiers) == "TooManyRequestsException"
    comprehend.list_entity_recognizers()  # each operation has its own budget
    time.sleep(0.6)
    comprehend.list_document_classifiers()  # the bucket refilled


def test_botocore_retries_throttled_calls(local_cloud, source):
    local_cloud.control("comprehend", "configure", throttle_max_per_second=5)
    comprehend = source.client("comprehend", config=Config(
        retries={"mode": "standard", "total_max_attempts": 10}))
    for _ in range(8):
        comprehend.list_document_classifiers()
    counted = local_cloud.control("comprehend", "stats")["accounts"][SOURCE_ACCOUNT]
    assert counted["operations"]["ListDocumentClassifiers"]["calls"] > 8
    assert counted["throttled"] >= 1


def test_counters_per_account_and_operation(local_cloud, source, target):
    arn = shared_model(source, TARGET_ACCOUNT)
    target.client("comprehend").import_model(SourceModelArn=arn)
    raised_error(lambda: source.client("comprehend").import_model(
        SourceModelArn=arn.replace("/version/v1", "/version/v9")))

    counted = local_cloud.control("comprehend", "stats")["accounts"]
    assert counted[TARGET_ACCOUNT]["operations"] == {"ImportModel": {"calls": 1, "throttled": 0}}
    assert counted[TARGET_ACCOUNT]["imports"] == 1
    assert counted[SOURCE_ACCOUNT]["operations"]["CreateDocumentClassifier"]["calls"] == 1
    assert counted[SOURCE_ACCOUNT]["operations"]["PutResourcePolicy"]["calls"] == 1
    assert counted[SOURCE_ACCOUNT]["imports"] == 0
    local_cloud.control("comprehend", "reset")
    assert local_cloud.control("comprehend", "stats") == {"accounts": {}}


def test_refused_imports_are_counted(local_cloud, source, outsider):
    arn = shared_model(source, TARGET_ACCOUNT)
    raised_error(lambda: outsider.client("comprehend").import_model(SourceModelArn=arn))
    counted = local_cloud.control("comprehend", "stats", account=OUTSIDER_ACCOUNT)["accounts"]
    assert counted[OUTSIDER_ACCOUNT]["imports_refused"] == 1


def test_control_routes_refuse_unknown_settings(local_cloud):
    with pytest.raises(Exception, match="unknown settings"):
        local_cloud.control("comprehend", "configure", training_seconds=1)

def test_a_failing_event_bus_never_fails_the_api_call(monkeypatch):
    from moto.events.models import EventsBackend

    from local_cloud.services import comprehend
    from local_cloud.services.cloudtrail import recording

    def broken(self, entries):
        raise RuntimeError("bus down")

    monkeypatch.setattr(EventsBackend, "put_events", broken)
    monkeypatch.setattr(recording, "is_recording", lambda account, region: True)
    caller = comprehend.Caller(account=SOURCE_ACCOUNT)
    comprehend.record_call(caller, REGION, "ImportModel", 200, '{"ModelArn": "arn"}')
    comprehend.record_call(caller, REGION, "ImportModel", 400, "not json")
