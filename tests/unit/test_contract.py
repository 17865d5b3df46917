"""The event contract: published JSON Schemas equal the models; every sample event is valid."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from aws_lambda_powertools.utilities.parser.models import EventBridgeModel
from model_copy.contract import (
    EVENT_SOURCE,
    SCHEMAS,
    CopyModelRequested,
    DetailType,
    ImportOutcome,
    ModelVersionShared,
    json_schemas,
)
from pydantic import ValidationError

EVENTS = Path(__file__).resolve().parents[2] / "events"
SCHEMA_DIR = EVENTS / "schemas"
# sample file -> (schema name, detail-type, source); None: not one of our events.
ENVELOPES = {
    "copy-model-requested.json": ("copy-model-requested", DetailType.COPY_MODEL_REQUESTED, None),
    "model-version-shared.json": ("model-version-shared", DetailType.MODEL_VERSION_SHARED,
                                  EVENT_SOURCE),
    "model-imported.json": ("import-outcome", DetailType.MODEL_IMPORTED, EVENT_SOURCE),
    "model-import-failed.json": ("import-outcome", DetailType.MODEL_IMPORT_FAILED, EVENT_SOURCE),
}


def load(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / name).read_text())


def test_published_schemas_equal_the_models() -> None:
    on_disk = {path.name.removesuffix(".schema.json"): json.loads(path.read_text())
               for path in SCHEMA_DIR.glob("*.schema.json")}
    assert on_disk == json_schemas(), (
        "events/schemas is stale: run `python -m model_copy.contract events/schemas`")
    assert set(on_disk) == set(SCHEMAS)


def test_every_sample_file_is_covered() -> None:
    samples = {path.name for path in EVENTS.glob("*.json")}
    assert samples == set(ENVELOPES) | {"start-execution-manual.json",
                                        "cloudtrail-create-document-classifier.json"}


@pytest.mark.parametrize("name", sorted(ENVELOPES))
def test_sample_envelopes_validate_against_their_model_and_schema(name: str) -> None:
    schema_name, detail_type, source = ENVELOPES[name]
    event = load(name)
    envelope = EventBridgeModel.model_validate(event)
    assert envelope.detail_type == detail_type
    if source is not None:
        assert envelope.source == source
    detail = SCHEMAS[schema_name].model_validate(event["detail"])
    assert detail.model_dump(exclude_none=True) == {
        k: v for k, v in event["detail"].items() if v is not None}
    jsonschema.validate(event["detail"], json.loads(
        (SCHEMA_DIR / f"{schema_name}.schema.json").read_text()))


def test_sample_senders_and_accounts_agree() -> None:
    shared = ModelVersionShared.model_validate(load("model-version-shared.json")["detail"])
    assert load("model-version-shared.json")["account"] == shared.sourceAccount == "111111111111"
    assert shared.targetAccount == "222222222222"
    for name in ("model-imported.json", "model-import-failed.json"):
        event = load(name)
        outcome = ImportOutcome.model_validate(event["detail"])
        assert event["account"] == outcome.targetAccount == "222222222222"
        assert outcome.succeeded == (event["detail-type"] == DetailType.MODEL_IMPORTED)


def test_manual_input_is_a_copy_request() -> None:
    request = CopyModelRequested.model_validate(load("start-execution-manual.json"))
    assert request.targetAccounts == ["222222222222"]


def test_unknown_fields_are_ignored_for_forward_compatibility() -> None:
    detail = {**load("model-version-shared.json")["detail"], "addedInV2": True}
    assert not hasattr(ModelVersionShared.model_validate(detail), "addedInV2")


@pytest.mark.parametrize(("changes", "problem"), [
    ({"sourceModelArn": "arn:aws:comprehend:us-east-1:111111111111:endpoint/x"}, "endpoint"),
    ({"sourceAccount": "1111"}, "12-digit"),
    ({"targetAccount": None}, "targetAccount"),
    ({"targetModelName": "bad name"}, "not a valid Comprehend name"),
    ({"targetVersionName": "v" * 64}, "64 characters"),
    ({"modelType": "endpoint"}, "modelType"),
    ({"correlationId": ""}, "correlationId"),
    ({"correlationId": "c" * 257}, "correlationId"),
    ({"taskToken": "t" * 2049}, "taskToken"),
])
def test_malformed_shares_are_refused(changes: dict[str, Any], problem: str) -> None:
    detail = {**load("model-version-shared.json")["detail"], **changes}
    with pytest.raises(ValidationError, match=problem):
        ModelVersionShared.model_validate(detail)


def test_outcome_status_is_one_of_the_documented_ones() -> None:
    detail = {**load("model-imported.json")["detail"], "status": "DONE"}
    with pytest.raises(ValidationError, match="status"):
        ImportOutcome.model_validate(detail)
    schema = json_schemas()["import-outcome"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(detail, schema)


def test_copy_request_needs_at_least_one_target() -> None:
    with pytest.raises(ValidationError, match="targetAccounts"):
        CopyModelRequested.model_validate({"sourceModelArn": "x", "targetAccounts": []})
