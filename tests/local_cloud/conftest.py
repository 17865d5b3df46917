"""Local-cloud test fixtures: fast Comprehend lifecycles for the modules that ask for them
(`pytestmark = pytest.mark.usefixtures("fast_models")`)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from local_cloud.core.launcher import LocalCloud
from tests.support.comprehend import fast_lifecycle


@pytest.fixture
def fast_models(local_cloud: LocalCloud) -> Iterator[None]:
    """Comprehend reset, with short training and import durations, around the test."""
    with fast_lifecycle(local_cloud):
        yield
