"""The target's import job as the unit tests drive it: its config, a sample share, and a
recorder of the reports and hand-overs it makes through its ports."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from model_copy.config import TargetConfig
from model_copy.contract import DetailType, ImportOutcome, ModelVersionShared

from tests.support.template_environment import template_environment

EVENTS = Path(__file__).resolve().parents[2] / "events"
SOURCE, TARGET, THIRD = "111111111111", "222222222222", "333333333333"
SOURCE_ARN = ("arn:aws:comprehend:us-east-1:111111111111:document-classifier/"
              "support-tickets/version/v3")
TARGET_ARN = ("arn:aws:comprehend:us-east-1:222222222222:document-classifier/"
              "support-tickets/version/v3-from-111111111111")
CONFIG = TargetConfig.from_env(template_environment(
    "ImportModelFunction", account=TARGET, SourceAccountIds=f"{SOURCE},{THIRD}",
    ImportPollFirstSeconds="1", ImportPollMaxSeconds="4", ImportWaitMaxSeconds="60",
    ImportHandoverMarginSeconds="5"))

@dataclass
class Recorder:
    reports: list[tuple[DetailType, ImportOutcome]] = field(default_factory=list)
    handovers: list[str] = field(default_factory=list)

    def report(self, detail_type: DetailType, outcome: ImportOutcome) -> None:
        self.reports.append((detail_type, outcome))

    def hand_over(self, owner: str) -> None:
        self.handovers.append(owner)

    @property
    def detail_types(self) -> list[DetailType]:
        return [detail_type for detail_type, _ in self.reports]

    @property
    def final(self) -> ImportOutcome:
        """The last report, which must be an outcome (imported or failed)."""
        detail_type, outcome = self.reports[-1]
        assert detail_type in (DetailType.MODEL_IMPORTED, DetailType.MODEL_IMPORT_FAILED)
        return outcome


def sample_share(**changes: Any) -> ModelVersionShared:
    detail = json.loads((EVENTS / "model-version-shared.json").read_text())["detail"]
    return ModelVersionShared(**{**detail, **changes})

