"""Fixtures of the command's tests."""

from __future__ import annotations

from typing import Any

import boto3
import pytest


@pytest.fixture
def no_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if the command so much as builds an AWS session or looks for a cloud."""
    def refuse(*_args: Any, **_kwargs: Any) -> None:
        raise AssertionError("an AWS session was created")
    monkeypatch.setattr(boto3, "Session", refuse)
    for module in ("model_copy_cli.copy", "model_copy_cli.controls"):
        monkeypatch.setattr(f"{module}.boto3.Session", refuse)
    monkeypatch.setattr("model_copy_cli.local.running", refuse)
