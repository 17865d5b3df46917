"""Custom models (document classifiers, entity recognizers): their ARNs and their records.

A model's status follows the clock from its SubmitTime: SUBMITTED -> TRAINING (importing, for a
copy) -> TRAINED or the outcome `fail` chose, with StopTraining and Delete as detours. Nothing
runs in the background: the plan is fixed when the model is created, and each Describe works
the status out from the time.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Any

from local_cloud.services.comprehend.state import state

CLASSIFIER = "document-classifier"
RECOGNIZER = "entity-recognizer"
_MODEL_ARN = re.compile(
    r"arn:(aws[a-zA-Z-]*):comprehend:([a-zA-Z0-9-]*):([0-9]{12}):"
    r"(document-classifier|entity-recognizer)/([a-zA-Z0-9](?:-*[a-zA-Z0-9])*)"
    r"(?:/version/([a-zA-Z0-9](?:-*[a-zA-Z0-9])*))?")
TRAINED_STATES = ("TRAINED", "TRAINED_WITH_WARNING")
TERMINAL_STATES = (*TRAINED_STATES, "IN_ERROR", "STOPPED")
STOPPABLE_STATES = ("SUBMITTED", "TRAINING")


def model_arn(kind: str, region: str, account: str, name: str, version: str | None) -> str:
    arn = f"arn:aws:comprehend:{region}:{account}:{kind}/{name}"
    return f"{arn}/version/{version}" if version else arn


@dataclass(frozen=True)
class ModelArn:
    region: str
    account: str
    kind: str
    name: str
    version: str | None

    @classmethod
    def parse(cls, arn: str | None) -> ModelArn | None:
        match = _MODEL_ARN.fullmatch(arn or "")
        if not match:
            return None
        _, region, account, kind, name, version = match.groups()
        return cls(region, account, kind, name, version)


@dataclass
class Plan:
    """The lifecycle a model will follow, fixed when it is created."""
    submitted_s: float
    active_s: float  # training, or importing for a copy
    status: str = "TRAINED"
    message: str | None = None


@dataclass
class CustomModel:
    """A document classifier or entity recognizer (one version)."""
    kind: str
    name: str
    version: str | None
    account: str
    region: str
    language_code: str | None
    plan: Plan
    submitted_at: float = field(default_factory=time.time)
    data_access_role_arn: str | None = None
    input_data_config: dict[str, Any] | None = None
    output_data_config: dict[str, Any] | None = None
    mode: str | None = None
    volume_kms_key_id: str | None = None
    model_kms_key_id: str | None = None
    vpc_config: dict[str, Any] | None = None
    source_model_arn: str | None = None
    client_request_token: str | None = None
    stop_requested_at: float | None = None
    stop_completes_at: float | None = None
    deleted_at: float | None = None
    gone_at: float | None = None

    @property
    def arn(self) -> str:
        return model_arn(self.kind, self.region, self.account, self.name, self.version)

    @property
    def training_starts(self) -> float:
        return self.submitted_at + self.plan.submitted_s

    @property
    def training_ends(self) -> float:
        return self.training_starts + self.plan.active_s

    def status(self, now: float | None = None) -> str:
        now = time.time() if now is None else now
        if self.deleted_at is not None:
            return "DELETING"
        ends = self.training_ends
        if self.stop_requested_at is not None and self.stop_completes_at is not None:
            if now < min(ends, self.stop_completes_at):
                return "STOP_REQUESTED"
            if self.stop_completes_at < ends:
                return "STOPPED"
        if now < self.training_starts:
            return "SUBMITTED"
        if now < ends:
            return "TRAINING"
        return self.plan.status

    def ended_at(self) -> float | None:
        status = self.status()
        if status == "STOPPED":
            return self.stop_completes_at
        if status in (*TRAINED_STATES, "IN_ERROR"):
            return self.training_ends
        return None

    def to_dict(self) -> dict[str, Any]:
        """Describe*Properties as AWS returns them (timestamps as epoch seconds)."""
        status = self.status()
        ended = self.ended_at()
        started = self.training_starts if time.time() >= self.training_starts else None
        classifier = self.kind == CLASSIFIER
        properties: dict[str, Any] = {
            ("DocumentClassifierArn" if classifier else "EntityRecognizerArn"): self.arn,
            "LanguageCode": self.language_code,
            "Status": status,
            "Message": self.plan.message if status in ("IN_ERROR", "TRAINED_WITH_WARNING")
            else None,
            "SubmitTime": self.submitted_at,
            "EndTime": ended,
            "TrainingStartTime": started,
            "TrainingEndTime": ended,
            "InputDataConfig": self.input_data_config,
            "DataAccessRoleArn": self.data_access_role_arn,
            "VolumeKmsKeyId": self.volume_kms_key_id,
            "VpcConfig": self.vpc_config,
            "ModelKmsKeyId": self.model_kms_key_id,
            "VersionName": self.version,
            "SourceModelArn": self.source_model_arn,
        }
        if classifier:
            properties["OutputDataConfig"] = self.output_data_config
            properties["Mode"] = self.mode or "MULTI_CLASS"
        if status in TRAINED_STATES:
            properties["ClassifierMetadata" if classifier else "RecognizerMetadata"] = (
                self._metadata())
        return {key: value for key, value in properties.items() if value is not None}

    def _metadata(self) -> dict[str, Any]:
        # Plausible figures: callers only check that they are there.
        metrics = {"Precision": 0.9, "Recall": 0.9, "F1Score": 0.9}
        if self.kind == CLASSIFIER:
            return {"NumberOfLabels": 2, "NumberOfTrainedDocuments": 90,
                    "NumberOfTestDocuments": 10, "EvaluationMetrics": {"Accuracy": 0.9, **metrics}}
        types = (self.input_data_config or {}).get("EntityTypes") or []
        return {"NumberOfTrainedDocuments": 90, "NumberOfTestDocuments": 10,
                "EvaluationMetrics": metrics,
                "EntityTypes": [{"Type": t.get("Type"), "EvaluationMetrics": metrics,
                                 "NumberOfTrainMentions": 100} for t in types]}


def plan_for(name: str, imported_from: str | None = None) -> Plan:
    """The lifecycle a new model gets from the configuration in force; for a copy, an outcome
    set for the source's name applies when none is set for the copy's own name."""
    config = state.config
    phase = "import" if imported_from else "training"
    plan = Plan(submitted_s=config.duration(name, "submitted_s"),
                active_s=config.duration(name, "import_s" if imported_from else "training_s"))
    candidates = [name] + ([imported_from] if imported_from else [])
    for candidate in candidates:
        outcome = config.outcomes.get(candidate)
        if outcome and outcome.on in (phase, "both"):
            plan.status, plan.message = outcome.status, outcome.message
            break
    return plan

