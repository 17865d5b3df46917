"""One contract, one place for each name (issue 17): a test here fails, naming the place, when

- a detail-type or event source written outside contract.py is not one contract.py defines
  (template.yaml, the ASL, functions, the command, bench);
- an event the ASL puts has a detail key its contract.py model lacks, or lacks a required one;
- the ASL reads a key of an approval or import answer that the answer does not carry;
- a state or error name the command reads (model_copy_cli/asl_names.py) is not in the ASL, or
  code writes such a name out instead of reading it from there;
- the trained statuses are written out anywhere but contract.py, or the ASL's Choice shares a
  model in other statuses.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, get_args

from model_copy.approval import Decision, answer
from model_copy.contract import (
    EVENT_SOURCE,
    TRAINED_STATUSES,
    CopyModelRequested,
    DetailType,
    ImportOutcome,
    ImportStatus,
    ModelCopyApprovalRequested,
    ModelVersionShared,
)
from pydantic import BaseModel

from local_cloud.cloudformation.sam_translate import load_template
from model_copy_cli.asl_names import TARGET_ENDS, Error, State

REPO = Path(__file__).resolve().parents[2]
CONTRACT = {d.value for d in DetailType}
# Detail-types that are AWS's, not ours.
AWS_DETAIL_TYPES = {"AWS API Call via CloudTrail"}
# Event sources other than ours that the pipeline matches on (AWS's own service events).
AWS_SOURCES = {"aws.comprehend"}
# A string that reads like one of our detail-types ("Model Import Failed", "Copy Model ...").
LOOKS_LIKE_OURS = re.compile(r"(Model|Copy Model) [A-Z][a-z]+( [A-Z][a-z]+)*")


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _walk(node: Any, where: str) -> Iterator[tuple[str, str, str]]:
    """(kind, literal, where) for every detail-type and source written in a template or ASL."""
    if isinstance(node, dict):
        for key, value in node.items():
            here = f"{where}/{key}"
            if key in ("detail-type", "events:detail-type", "DetailType"):
                yield from (("detail-type", s, here) for s in _strings(value))
            elif key in ("source", "events:source", "Source"):
                yield from (("source", s, here) for s in _strings(value))
            yield from _walk(value, here)
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from _walk(item, f"{where}[{index}]")


def _none(wrong: list[str]) -> None:
    """Pass when nothing is wrong; else fail listing every place, one a line."""
    assert not wrong, "\n" + "\n".join(wrong)


def _drifted(literals: Iterator[tuple[str, str, str]]) -> list[str]:
    wrong = []
    for kind, literal, where in literals:
        known = (CONTRACT | AWS_DETAIL_TYPES) if kind == "detail-type" else (
            {EVENT_SOURCE} | AWS_SOURCES)
        if literal not in known and "${" not in literal:
            wrong.append(f"{where}: {kind} {literal!r} is not in functions/model_copy/contract.py")
    return wrong


def test_the_template_uses_only_the_contracts_detail_types_and_source() -> None:
    literals = list(_walk(load_template(REPO / "template.yaml"), "template.yaml"))
    assert any(kind == "detail-type" for kind, _, _ in literals)  # the walk finds them
    _none(_drifted(iter(literals)))


def test_the_state_machine_uses_only_the_contracts_detail_types_and_source() -> None:
    asl = json.loads((REPO / "statemachine" / "copy_model.asl.json").read_text())
    literals = list(_walk(asl, "statemachine/copy_model.asl.json"))
    assert any(kind == "detail-type" for kind, _, _ in literals)
    _none(_drifted(iter(literals)))


def _python_literals() -> Iterator[tuple[str, str, str]]:
    roots = [REPO / "functions", REPO / "model_copy_cli", REPO / "bench"]
    for path in sorted(p for root in roots for p in root.rglob("*.py")):
        if path.name == "contract.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if (isinstance(node, ast.Constant) and isinstance(node.value, str)
                    and LOOKS_LIKE_OURS.fullmatch(node.value)):
                yield ("detail-type", node.value,
                       f"{path.relative_to(REPO)}:{node.lineno}")


def test_code_outside_the_contract_names_only_its_detail_types() -> None:
    _none(_drifted(_python_literals()))



# --- the detail the state machine puts: the contract's models ---------------------------------

ASL_PATH = "statemachine/copy_model.asl.json"
# The model each of our detail-types is read with.
DETAIL_MODELS: dict[str, type[BaseModel]] = {
    DetailType.COPY_MODEL_REQUESTED: CopyModelRequested,
    DetailType.MODEL_VERSION_SHARED: ModelVersionShared,
    DetailType.MODEL_COPY_APPROVAL_REQUESTED: ModelCopyApprovalRequested,
    DetailType.MODEL_IMPORT_STARTED: ImportOutcome,
    DetailType.MODEL_IMPORTED: ImportOutcome,
    DetailType.MODEL_IMPORT_FAILED: ImportOutcome,
}


def _asl() -> dict[str, Any]:
    return dict(json.loads((REPO / ASL_PATH).read_text()))


def _states(asl: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(name, state) of every state, those inside Map and Parallel states included."""
    for name, state in asl["States"].items():
        yield name, state
        for inner in (state.get("ItemProcessor"), state.get("Iterator"),
                      *state.get("Branches", [])):
            if isinstance(inner, dict):
                yield from _states(inner)


def _put_entries(asl: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for name, state in _states(asl):
        if state.get("Type") == "Task" and "events:putEvents" in str(state.get("Resource")):
            for entry in state["Parameters"]["Entries"]:
                yield name, entry


def _detail_drift(asl: dict[str, Any]) -> list[str]:
    """Each key of a put event's Detail that its model lacks, and each required one missing."""
    wrong = []
    for state, entry in _put_entries(asl):
        detail_type = entry.get("DetailType")
        model = DETAIL_MODELS.get(detail_type)  # type: ignore[arg-type]
        if model is None:
            wrong.append(f"{state}: detail-type {detail_type!r} has no model in contract.py")
            continue
        keys = {key.removesuffix(".$") for key in entry.get("Detail", {})}
        fields = model.model_fields
        wrong += [f"{state}: detail key {key!r} is not a field of {model.__name__}"
                  for key in sorted(keys - set(fields))]
        wrong += [f"{state}: {model.__name__} requires {key!r}, which the Detail lacks"
                  for key, info in fields.items() if info.is_required() and key not in keys]
    return wrong


def test_the_events_the_state_machine_puts_carry_their_models_keys() -> None:
    asl = _asl()
    _none(_detail_drift(asl))
    assert {state for state, _ in _put_entries(asl)} >= {State.AWAIT_APPROVAL,
                                                         State.ANNOUNCE_SHARE_AND_WAIT}


def test_a_detail_key_the_model_lacks_or_a_required_one_missing_names_the_state() -> None:
    required = [key for key, info in ModelVersionShared.model_fields.items()
                if info.is_required() and key != "modelType"]
    detail = {f"{key}.$": f"$.{key}" for key in [*required, "modelKind"]}
    asl = {"States": {"Announce": {
        "Type": "Task", "Resource": "arn:aws:states:::events:putEvents.waitForTaskToken",
        "Parameters": {"Entries": [{"DetailType": DetailType.MODEL_VERSION_SHARED,
                                    "Detail": detail}]}}}}
    assert _detail_drift(asl) == [
        "Announce: detail key 'modelKind' is not a field of ModelVersionShared",
        "Announce: ModelVersionShared requires 'modelType', which the Detail lacks"]


def _answer_keys_read(asl_text: str, answer: str) -> set[str]:
    """The keys of a task's answer (`$.approval`, `$.outcome`) the ASL reads."""
    return set(re.findall(rf"\$\.{answer}\.([A-Za-z]+)", asl_text))


def test_the_answers_the_state_machine_reads_carry_the_keys_it_reads() -> None:
    asl_text = (REPO / ASL_PATH).read_text()
    decision = answer(Decision("APPROVED", "by", "at"), {})
    # The outcome relay answers with the outcome's detail, without its token, and its type.
    outcome = (set(ImportOutcome.model_fields) - {"taskToken"}) | {"detailType"}
    wrong = [f"{ASL_PATH} reads $.approval.{key}: model_copy.approval.answer does not write it"
             for key in sorted(_answer_keys_read(asl_text, "approval") - set(decision))]
    wrong += [f"{ASL_PATH} reads $.outcome.{key}: the outcome relay's answer "
              "(ImportOutcome) has no such key"
              for key in sorted(_answer_keys_read(asl_text, "outcome") - outcome)]
    _none(wrong)
    assert {"detailType", "sourceModelArn", "correlationId", "targetAccount"} <= (
        _answer_keys_read(asl_text, "approval") & _answer_keys_read(asl_text, "outcome"))


# --- the state and error names the command reads ------------------------------------------------

def _asl_names(asl: dict[str, Any]) -> tuple[set[str], set[str]]:
    """(state names, error names): errors the ASL raises (Fail, a target's `error`) or
    catches and retries."""
    states: set[str] = set()
    errors: set[str] = set()
    for name, state in _states(asl):
        states.add(name)
        if "Error" in state:
            errors.add(state["Error"])
        parameters = state.get("Parameters")
        if isinstance(parameters, dict) and isinstance(parameters.get("error"), str):
            errors.add(parameters["error"])
        for handler in state.get("Retry", []) + state.get("Catch", []):
            errors.update(handler["ErrorEquals"])
    return states, errors


def test_the_names_the_command_reads_are_states_and_errors_of_the_state_machine() -> None:
    states, errors = _asl_names(_asl())
    wrong = [f"model_copy_cli/asl_names.py: State.{s.name} = {s.value!r} is not a state of "
             f"{ASL_PATH}" for s in State if s.value not in states]
    wrong += [f"model_copy_cli/asl_names.py: Error.{e.name} = {e.value!r} is not an error "
              f"{ASL_PATH} raises or catches" for e in Error if e.value not in errors]
    _none(wrong)


def test_the_target_ends_the_command_knows_are_the_ends_of_a_targets_iteration() -> None:
    [processor] = [state["ItemProcessor"] for _, state in _states(_asl())
                   if "ItemProcessor" in state]
    ends = {name for name, state in processor["States"].items() if state.get("End")}
    assert set(TARGET_ENDS) == ends


def _sdk_operations(asl: dict[str, Any]) -> set[str]:
    """API operations the state machine calls (aws-sdk:comprehend:describeDocumentClassifier ->
    DescribeDocumentClassifier): a state may be named after the call it makes."""
    return {str(state["Resource"]).rsplit(":", 1)[-1][:1].upper()
            + str(state["Resource"]).rsplit(":", 1)[-1][1:]
            for _, state in _states(asl) if ":aws-sdk:" in str(state.get("Resource"))}


def _python_files(*roots: str) -> Iterator[Path]:
    yield from sorted(p for root in roots for p in (REPO / root).rglob("*.py"))


def test_code_reads_state_and_error_names_only_from_asl_names() -> None:
    asl = _asl()
    states, errors = _asl_names(asl)
    ours = (states | {e for e in errors if "." not in e}) - _sdk_operations(asl)
    wrong = []
    for path in _python_files("model_copy_cli", "bench", "functions"):
        if path.name == "asl_names.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and node.value in ours:
                wrong.append(f"{path.relative_to(REPO)}:{node.lineno}: {node.value!r} is a name "
                             f"of {ASL_PATH}: read it from model_copy_cli/asl_names.py")
    _none(wrong)


# --- the trained statuses -------------------------------------------------------------------

def test_the_trained_statuses_are_statuses_an_import_outcome_may_have() -> None:
    assert TRAINED_STATUSES == {"TRAINED", "TRAINED_WITH_WARNING"}
    assert TRAINED_STATUSES <= set(get_args(ImportStatus))


def _status_choices(choice: dict[str, Any]) -> Iterator[tuple[str, set[str]]]:
    """(next state, statuses) of each rule of a Choice that tests only `$.model.status`."""
    def statuses(rule: dict[str, Any]) -> set[str] | None:
        if "Or" in rule:
            found = [statuses(inner) for inner in rule["Or"]]
            return None if None in found else set().union(*found)  # type: ignore[arg-type]
        if rule.get("Variable") == "$.model.status" and "StringEquals" in rule:
            return {rule["StringEquals"]}
        return None

    for rule in choice["Choices"]:
        found = statuses(rule)
        if found is not None:
            yield rule["Next"], found


def test_the_state_machine_shares_a_model_in_exactly_the_trained_statuses() -> None:
    asl = _asl()
    check = asl["States"]["CheckTrainingStatus"]
    share = [found for next_state, found in _status_choices(check)
             if next_state == "SourceModelEncrypted?"]
    assert share == [set(TRAINED_STATUSES)], (
        f"{ASL_PATH} CheckTrainingStatus: the statuses that go on to share are {share}, "
        f"contract.py's TRAINED_STATUSES are {sorted(TRAINED_STATUSES)}")


def test_code_reads_the_trained_statuses_only_from_the_contract() -> None:
    wrong = []
    for path in _python_files("model_copy_cli", "bench", "functions"):
        if path.name == "contract.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, (ast.Constant, ast.Compare)):
                continue
            literal = isinstance(node, ast.Constant) and node.value == "TRAINED_WITH_WARNING"
            compared = isinstance(node, ast.Compare) and any(
                isinstance(side, ast.Constant) and side.value == "TRAINED"
                for side in (node.left, *node.comparators))
            if literal or compared:
                wrong.append(f"{path.relative_to(REPO)}:{node.lineno}: a trained status written "
                             "out: use model_copy.contract.TRAINED_STATUSES")
    _none(wrong)
