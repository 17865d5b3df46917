"""Approval in the target (issue 14): a target requiring approved shares imports only
shares approved by someone; by default no approval is needed."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from model_copy.errors import UnauthorizedShareEvent
from model_copy.importing import run

from tests.support.fakes import FakeComprehend
from tests.support.import_job import (
    CONFIG,
    SOURCE,
    Recorder,
    sample_share,
)


@pytest.mark.parametrize("approval", [
    None, {"decision": "NOT_REQUIRED"}, {"decision": "REJECTED", "by": "bob"},
    {"decision": "APPROVED"}, {"decision": "APPROVED", "by": ""},
])
def test_a_target_requiring_approval_refuses_shares_without_one(
        make_ports: Any, recorder: Recorder, approval: dict[str, Any] | None) -> None:
    comprehend = FakeComprehend(["TRAINED"])
    config = replace(CONFIG, require_approved_shares=True)
    with pytest.raises(UnauthorizedShareEvent, match="RequireApprovedShares"):
        run(sample_share(approval=approval), SOURCE, "req-1", config, make_ports(comprehend))
    assert comprehend.calls == [] and recorder.reports == []


def test_a_target_requiring_approval_imports_an_approved_share(make_ports: Any) -> None:
    comprehend = FakeComprehend(["TRAINED"])
    config = replace(CONFIG, require_approved_shares=True)
    share = sample_share(approval={"decision": "APPROVED", "by": "arn:aws:iam::1:user/alice",
                                   "at": "2026-11-03T09:00:00+00:00", "extra": "ignored"})
    assert run(share, SOURCE, "req-1", config, make_ports(comprehend)).endswith("TRAINED")


def test_by_default_shares_need_no_approval(make_ports: Any) -> None:
    comprehend = FakeComprehend(["TRAINED"])
    assert run(sample_share(), SOURCE, "req-1", CONFIG, make_ports(comprehend)).endswith(
        "TRAINED")
