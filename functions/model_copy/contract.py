"""The event contract between the source and target sides: one definition per event.

The JSON Schemas in events/schemas/ are generated from these models
(`python -m model_copy.contract events/schemas`), and a test keeps them equal.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from model_copy.arns import MODEL_TYPES, parse_model_arn, validate_account, validate_name
from model_copy.errors import InvalidCopyRequest

EVENT_SOURCE = "model-copy"
TAG_TARGETS = "model-copy:targets"


class DetailType(StrEnum):
    COPY_MODEL_REQUESTED = "Copy Model Requested"
    MODEL_VERSION_SHARED = "Model Version Shared"
    MODEL_IMPORT_STARTED = "Model Import Started"
    MODEL_IMPORTED = "Model Imported"
    MODEL_IMPORT_FAILED = "Model Import Failed"
    MODEL_VERSION_PROMOTED = "Model Version Promoted"
    MODEL_COPY_APPROVAL_REQUESTED = "Model Copy Approval Requested"
    MODEL_COPY_APPROVED = "Model Copy Approved"
    MODEL_COPY_REJECTED = "Model Copy Rejected"


OUTCOME_DETAIL_TYPES = (DetailType.MODEL_IMPORTED, DetailType.MODEL_IMPORT_FAILED)
# Comprehend statuses of a model that is ready: a source that may be shared, a copy that is done.
TRAINED_STATUSES = frozenset({"TRAINED", "TRAINED_WITH_WARNING"})
ModelType = Literal["document-classifier", "entity-recognizer"]
assert set(MODEL_TYPES) == {"document-classifier", "entity-recognizer"}


def _checked(check: Any, value: Any, what: str) -> Any:
    """Run one of our validators inside pydantic, turning its error into a ValueError."""
    try:
        return check(value, what)
    except InvalidCopyRequest as error:
        raise ValueError(str(error)) from None


class _Detail(BaseModel):
    # Unknown fields are ignored, so a newer sender does not break an older receiver.
    model_config = ConfigDict(extra="ignore", frozen=True)


class CopyModelRequested(_Detail):
    """Detail of `Copy Model Requested`, put on the source account's bus by an integration."""

    sourceModelArn: str
    targetAccounts: list[str] = Field(min_length=1)
    targetModelName: str | None = None
    targetVersionName: str | None = None
    dryRun: bool = False


class ApprovalRecord(_Detail):
    """Who decided a copy to one target, as the source's approval gate recorded it.

    Written by account A: it proves that A's pipeline recorded this decision, not who made
    it (README, "Approval in the target").
    """

    decision: str = Field(max_length=32)  # APPROVED | REJECTED | NOT_REQUIRED
    by: str | None = Field(default=None, max_length=2048)
    at: str | None = Field(default=None, max_length=64)
    reason: str | None = Field(default=None, max_length=2048)
    via: str | None = Field(default=None, max_length=512)


class ModelCopyApprovalRequested(_Detail):
    """Detail of `Model Copy Approval Requested`: a copy to one target waits for a decision.

    Put on the source account's bus; an answer echoes `sourceModelArn`, `correlationId` and
    `targetAccount` (model_copy.approval) and is sent with `taskToken`.
    """

    sourceModelArn: str
    targetAccount: str
    targetModelName: str
    targetVersionName: str | None = None
    correlationId: str
    taskToken: str


class ModelVersionShared(_Detail):
    """Detail of `Model Version Shared`: account A asks account B to import one model version."""

    sourceModelArn: str
    modelType: ModelType
    sourceAccount: str
    targetAccount: str
    targetModelName: str
    targetVersionName: str | None = None
    # Set when the source version is encrypted with a customer managed key: the target then
    # needs a DataAccessRoleArn that may use this key (Comprehend Developer Guide).
    sourceModelKmsKeyArn: str | None = Field(default=None, min_length=1, max_length=2048)
    correlationId: str = Field(min_length=1, max_length=256)
    # Step Functions task token the outcome must be reported with; echoed back untouched.
    taskToken: str | None = Field(default=None, max_length=2048)
    # When the source version was created (its SubmitTime in A): the version order that
    # decides whether the copy becomes current in the target (model_copy.promotion).
    sourceModelCreatedAt: str | float | None = Field(default=None)
    # The target's approval record (decision NOT_REQUIRED when no gate applied).
    approval: ApprovalRecord | None = None

    @field_validator("sourceModelArn")
    @classmethod
    def _arn(cls, value: str) -> str:
        try:
            parse_model_arn(value)
        except InvalidCopyRequest as error:
            raise ValueError(str(error)) from None
        return value

    @field_validator("sourceAccount", "targetAccount")
    @classmethod
    def _account(cls, value: str) -> str:
        return str(_checked(validate_account, value, "account id"))

    @field_validator("targetModelName")
    @classmethod
    def _name(cls, value: str) -> str:
        return str(_checked(validate_name, value, "targetModelName"))

    @field_validator("targetVersionName")
    @classmethod
    def _version(cls, value: str | None) -> str | None:
        return None if value is None else _checked(validate_name, value, "targetVersionName")


ImportStatus = Literal["IMPORTING", "TRAINED", "TRAINED_WITH_WARNING", "IN_ERROR", "STOPPED",
                       "REJECTED", "FAILED"]


class ImportOutcome(_Detail):
    """Detail of `Model Import Started`, `Model Imported` and `Model Import Failed`."""

    sourceModelArn: str
    sourceAccount: str
    targetAccount: str
    targetModelArn: str | None = None
    status: ImportStatus
    message: str | None = None
    correlationId: str
    taskToken: str | None = None
    importStartedAt: str | None = None
    importEndedAt: str | None = None
    importSeconds: float | None = None

    @property
    def succeeded(self) -> bool:
        return self.status in TRAINED_STATUSES


SCHEMAS: dict[str, type[BaseModel]] = {
    "copy-model-requested": CopyModelRequested,
    "model-version-shared": ModelVersionShared,
    "model-copy-approval-requested": ModelCopyApprovalRequested,
    "import-outcome": ImportOutcome,
}


def json_schemas() -> dict[str, dict[str, Any]]:
    return {name: model.model_json_schema() for name, model in SCHEMAS.items()}


if __name__ == "__main__":
    import json
    import sys
    from pathlib import Path

    out = Path(sys.argv[1] if len(sys.argv) > 1 else "events/schemas")
    out.mkdir(parents=True, exist_ok=True)
    for schema_name, schema in json_schemas().items():
        (out / f"{schema_name}.schema.json").write_text(json.dumps(schema, indent=2) + "\n")
