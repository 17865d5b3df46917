"""Fixtures of the command's tests."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from local_cloud.cloudformation import pipeline
from local_cloud.core import launcher


@pytest.fixture
def no_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if the command so much as builds an AWS session or looks for a cloud."""
    def refuse(*_args: Any, **_kwargs: Any) -> None:
        raise AssertionError("an AWS session was created")
    monkeypatch.setattr(boto3, "Session", refuse)
    for module in ("model_copy_cli.copy", "model_copy_cli.controls"):
        monkeypatch.setattr(f"{module}.boto3.Session", refuse)
    monkeypatch.setattr("model_copy_cli.local.running", refuse)


@pytest.fixture(scope="module")
def deployed(local_cloud) -> pipeline.Pipeline:
    """Both stacks as `make local-up` deploys them, with short Comprehend durations."""
    local_cloud.control("comprehend", "configure", submitted_s=0.2, training_s=0.5, import_s=0.5)
    return pipeline.deploy_pipeline(local_cloud)


@pytest.fixture
def on_local_cloud(local_cloud, deployed, monkeypatch) -> launcher.LocalCloud:
    """The command finds the deployed local cloud as a user's `model-copy` would."""
    monkeypatch.setenv("MODEL_COPY_LOCAL_DIR", str(local_cloud.state_dir))
    return local_cloud
