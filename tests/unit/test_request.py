"""plan_copy: every trigger reduced to one checked plan; every bad input refused clearly."""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from model_copy.config import SourceConfig
from model_copy.errors import InvalidCopyRequest
from model_copy.request import plan_copy

from tests.support.template_environment import template_environment

EVENTS = Path(__file__).resolve().parents[2] / "events"
SOURCE, TARGET, OTHER = "111111111111", "222222222222", "444444444444"
ARN = "arn:aws:comprehend:us-east-1:111111111111:document-classifier/support-tickets/version/v3"
CONFIG = SourceConfig.from_env(template_environment(
    "PrepareCopyFunction", account=SOURCE, TargetAccountIds=f"{TARGET},{OTHER}",
    DefaultTargetAccountIds=TARGET, ApprovalRequiredAccountIds=OTHER,
    TrainingWaitMaxSeconds="3600", ApprovalTimeoutSeconds="600"))


def sample(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / name).read_text())


def cloudtrail(tag: str | None) -> dict[str, Any]:
    event = sample("cloudtrail-create-document-classifier.json")
    tags = [{"key": "team", "value": "support"}]
    if tag is not None:
        tags.append({"key": "model-copy:targets", "value": tag})
    event["detail"]["requestParameters"]["tags"] = tags
    return event


def manual(**changes: Any) -> dict[str, Any]:
    return {"sourceModelArn": ARN, "targetAccounts": [TARGET], **changes}


# ------------------------------------------------------------------ the three triggers
def test_manual_input_gives_one_target_per_account() -> None:
    plan = plan_copy(sample("start-execution-manual.json"), CONFIG, "exec-1")
    assert plan.trigger == "manual"
    assert plan.correlationId == "exec-1"
    assert plan.sourceModelArn == ARN
    assert (plan.modelType, plan.sourceAccount) == ("document-classifier", SOURCE)
    [target] = plan.targets
    assert target.account == TARGET
    assert (target.targetModelName, target.targetVersionName) == (
        "support-tickets", "v3-from-111111111111")
    assert target.principal == f"arn:aws:iam::{TARGET}:role/{CONFIG.import_role_name}"


def test_names_default_to_the_source_names() -> None:
    plan = plan_copy(manual(targetAccounts=[TARGET, OTHER]), CONFIG, "exec-1")
    assert [t.account for t in plan.targets] == [TARGET, OTHER]
    assert {(t.targetModelName, t.targetVersionName) for t in plan.targets} == {
        ("support-tickets", "v3")}


def test_share_with_account_root_names_the_root_principal() -> None:
    plan = plan_copy(manual(), replace(CONFIG, share_with_account_root=True), "e")
    assert plan.targets[0].principal == f"arn:aws:iam::{TARGET}:root"


def test_copy_model_requested_event() -> None:
    plan = plan_copy(sample("copy-model-requested.json"), CONFIG, "exec-2")
    assert plan.trigger == "copy-requested"
    assert plan.sourceModelArn == ARN
    assert [t.account for t in plan.targets] == [TARGET]


def test_cloudtrail_create_event_reads_the_targets_tag() -> None:
    plan = plan_copy(sample("cloudtrail-create-document-classifier.json"), CONFIG, "exec-3")
    assert plan.trigger == "model-created"
    assert plan.sourceModelArn == ARN
    assert [t.account for t in plan.targets] == [TARGET]
    assert plan.targets[0].targetVersionName == "v3"


@pytest.mark.parametrize("tag", [f"{TARGET} {OTHER}", f"{TARGET}+{OTHER}",
                                 f"  {TARGET}  +{OTHER} ", f"{TARGET}:{OTHER}"])
def test_tag_separates_accounts_by_spaces_or_plus(tag: str) -> None:
    plan = plan_copy(cloudtrail(tag), CONFIG, "e")
    assert [t.account for t in plan.targets] == [TARGET, OTHER]


@pytest.mark.parametrize("tag", ["default", "DEFAULT", " Default ", None])
def test_tag_default_or_no_tag_uses_the_default_targets(tag: str | None) -> None:
    config = replace(CONFIG, default_target_accounts=(OTHER,))
    plan = plan_copy(cloudtrail(tag), config, "e")
    assert [t.account for t in plan.targets] == [OTHER]


def test_cloudtrail_entity_recognizer() -> None:
    event = cloudtrail(TARGET)
    recognizer = "arn:aws:comprehend:us-east-1:111111111111:entity-recognizer/people"
    event["detail"]["eventName"] = "CreateEntityRecognizer"
    event["detail"]["responseElements"] = {"entityRecognizerArn": recognizer}
    plan = plan_copy(event, CONFIG, "e")
    assert (plan.sourceModelArn, plan.modelType) == (recognizer, "entity-recognizer")
    assert plan.targets[0].targetVersionName is None


# ------------------------------------------------------------------ refusals
@pytest.mark.parametrize(("execution_input", "message"), [
    (manual(sourceModelArn=ARN.replace("us-east-1", "eu-west-1")),
     "the model is in eu-west-1 but this pipeline runs in us-east-1"),
    (manual(sourceModelArn=ARN.replace(SOURCE, "333333333333")),
     "belongs to account 333333333333, not to this source account"),
    (manual(targetAccounts=[]), "targetAccounts must be a non-empty list"),
    (manual(targetAccounts=TARGET), "targetAccounts must be a non-empty list"),
    ({"sourceModelArn": ARN}, "targetAccounts must be a non-empty list"),
    (manual(targetAccounts=["2222"]), "target account '2222' is not a 12-digit"),
    (manual(targetAccounts=[222222222222]), "is not a 12-digit"),
    (manual(targetAccounts=[TARGET, TARGET]), "lists an account twice"),
    (manual(targetAccounts=["555555555555"]),
     "account 555555555555 is not a target of this source stack"),
    (manual(targetAccounts=[SOURCE]), "is the source account itself"),
    (manual(targetModelName="bad name"), "targetModelName 'bad name' is not a valid"),
    (manual(targetVersionName="v_1"), "targetVersionName 'v_1' is not a valid"),
    (manual(targetModelName="m" * 64), "64 characters long"),
    (manual(sourceModelArn=None), "sourceModelArn is missing"),
    (manual(sourceModelArn="arn:aws:comprehend:us-east-1:111111111111:endpoint/x"),
     "'endpoint'"),
    ([ARN], "must be a JSON object"),
    ("copy please", "must be a JSON object"),
    (None, "must be a JSON object"),
    ({"detail-type": "Object Created", "detail": {}},
     "cannot start a copy from an event of type 'Object Created'"),
    ({"detail-type": "Copy Model Requested"}, "has no detail object"),
    ({"detail-type": "Copy Model Requested", "detail": "x"}, "has no detail object"),
])
def test_bad_requests_are_refused_with_what_to_fix(execution_input: Any, message: str) -> None:
    with pytest.raises(InvalidCopyRequest) as raised:
        plan_copy(execution_input, CONFIG, "e")
    assert message in str(raised.value)


def test_unknown_target_names_the_parameter_to_change() -> None:
    with pytest.raises(InvalidCopyRequest) as raised:
        plan_copy(manual(targetAccounts=["555555555555"]), CONFIG, "e")
    assert "TargetAccountIds" in str(raised.value)
    assert f"allowed: {TARGET}, {OTHER}" in str(raised.value)


def test_bad_cloudtrail_events_are_refused() -> None:
    event = cloudtrail(TARGET)
    event["detail"]["eventName"] = "DeleteDocumentClassifier"
    with pytest.raises(InvalidCopyRequest, match="'DeleteDocumentClassifier' does not create"):
        plan_copy(event, CONFIG, "e")
    failed = cloudtrail(TARGET)
    failed["detail"]["responseElements"] = None  # the create call failed
    with pytest.raises(InvalidCopyRequest, match="sourceModelArn is missing"):
        plan_copy(failed, CONFIG, "e")
    with pytest.raises(InvalidCopyRequest, match="is not a 12-digit"):
        plan_copy(cloudtrail("team-a"), CONFIG, "e")
    with pytest.raises(InvalidCopyRequest, match="no DefaultTargetAccountIds"):
        plan_copy(cloudtrail("default"), replace(CONFIG, default_target_accounts=()), "e")


def test_bad_copy_model_requested_detail() -> None:
    event = sample("copy-model-requested.json")
    event["detail"]["targetAccounts"] = [SOURCE]
    with pytest.raises(InvalidCopyRequest, match="is the source account itself"):
        plan_copy(event, CONFIG, "e")


def test_input_is_not_modified() -> None:
    event = sample("cloudtrail-create-document-classifier.json")
    before = copy.deepcopy(event)
    plan_copy(event, CONFIG, "e")
    assert event == before


# ------------------------------------------------------------------ polling
def test_plan_carries_the_training_poll_settings_not_a_schedule() -> None:
    plan = plan_copy(manual(), CONFIG, "e")
    assert (plan.trainingPollFirstSeconds, plan.trainingPollMaxSeconds,
            plan.trainingWaitMaxSeconds) == (30, 300, 3600)
    state = plan.as_state()
    assert state["targets"][0]["account"] == TARGET
    assert not any(isinstance(v, list) and k != "targets" for k, v in state.items())
    json.dumps(state)  # the state machine needs plain JSON


def _asl_schedule(first: int, cap: int, total: int) -> list[int]:
    """What NextTrainingPoll / TrainingPollCapped? / CapTrainingPoll compute, step by step."""
    wait, seconds = {"next": first, "waited": 0}, []
    while wait["waited"] < total:  # TrainingWaitLeft?
        wait = {"seconds": wait["next"], "waited": wait["waited"] + wait["next"],
                "next": wait["next"] + wait["next"]}
        if wait["next"] > cap:
            wait["next"] = cap
        seconds.append(wait["seconds"])
    return seconds


@given(first=st.floats(0.1, 600), cap=st.floats(1, 3600), total=st.floats(1, 86400))
def test_the_step_by_step_schedule_is_the_documented_one(first: float, cap: float,
                                                         total: float) -> None:
    plan = plan_copy(manual(), replace(CONFIG, poll_first_s=first, poll_max_s=cap,
                                       training_wait_max_s=total), "e")
    steps = _asl_schedule(plan.trainingPollFirstSeconds, plan.trainingPollMaxSeconds,
                          plan.trainingWaitMaxSeconds)
    assert sum(steps) >= plan.trainingWaitMaxSeconds
    assert all(1 <= s <= plan.trainingPollMaxSeconds for s in steps)
    assert steps == sorted(steps)


def test_largest_settings_give_a_small_plan() -> None:
    """TrainingPollMaxSeconds=1 and a one-year wait once made a 259 KB+ schedule."""
    config = replace(CONFIG, poll_first_s=1, poll_max_s=1, training_wait_max_s=31536000,
                     target_accounts=(TARGET, OTHER, "555555555555", "666666666666",
                                      "777777777777"))
    plan = plan_copy(manual(targetAccounts=list(config.target_accounts),
                            targetModelName="m" * 63, targetVersionName="v" * 63), config, "e")
    assert len(json.dumps(plan.as_state()).encode()) < 8 * 1024


def test_dry_run_and_approval_flags_are_carried_into_the_plan():
    manual = {"sourceModelArn": ARN, "targetAccounts": [TARGET, OTHER], "dryRun": True}
    plan = plan_copy(manual, CONFIG, "e")
    assert plan.dryRun is True
    assert {t.account: t.approvalRequired for t in plan.targets} == {TARGET: False, OTHER: True}
    assert plan_copy({**manual, "dryRun": False}, CONFIG, "e").dryRun is False


def test_dry_run_must_be_a_boolean():
    with pytest.raises(InvalidCopyRequest, match="dryRun must be true or false"):
        plan_copy({"sourceModelArn": ARN, "targetAccounts": [TARGET], "dryRun": "yes"},
                  CONFIG, "e")


# ------------------------------------------------------------------ strict input (issue 14)
@pytest.mark.parametrize(("execution_input", "message"), [
    (manual(targetModelName=""), "targetModelName must be a non-empty string, not ''"),
    (manual(targetModelName=False), "targetModelName must be a non-empty string, not False"),
    (manual(targetVersionName=""), "targetVersionName must be a non-empty string, not ''"),
    (manual(targetVersionName=3), "targetVersionName must be a non-empty string, not 3"),
    (manual(targetModelName=["x"]), "targetModelName must be a non-empty string"),
    (manual(sourceModelArn=42), "sourceModelArn must be a string, not 42"),
    (manual(sourceModelArn=[ARN]), "sourceModelArn must be a string"),
    (manual(targetAccounts={"a": TARGET}), "targetAccounts must be a non-empty list"),
    (manual(dryRun=1), "dryRun must be true or false, not 1"),
])
def test_wrong_types_and_empty_names_are_refused(execution_input: Any, message: str) -> None:
    with pytest.raises(InvalidCopyRequest) as raised:
        plan_copy(execution_input, CONFIG, "e")
    assert message in str(raised.value)


def test_unknown_top_level_fields_are_refused_naming_them() -> None:
    with pytest.raises(InvalidCopyRequest) as raised:
        plan_copy(manual(targetModelname="renamed", dry_run=True), CONFIG, "e")
    message = str(raised.value)
    assert "unknown field(s) 'dry_run', 'targetModelname'" in message
    assert "targetModelName" in message, "the known fields are listed"


def test_unknown_fields_of_a_copy_model_requested_detail_are_refused() -> None:
    event = sample("copy-model-requested.json")
    event["detail"]["targetModelname"] = "renamed"
    with pytest.raises(InvalidCopyRequest, match="unknown field\\(s\\) 'targetModelname'"):
        plan_copy(event, CONFIG, "e")


@pytest.mark.parametrize("execution_input", [[], [ARN], "copy please", 42, 4.2, True, None])
def test_non_object_input_is_refused_like_other_bad_input(execution_input: Any) -> None:
    with pytest.raises(InvalidCopyRequest, match="must be a JSON object"):
        plan_copy(execution_input, CONFIG, "e")
