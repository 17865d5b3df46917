"""pytest plugin for running moto's own Comprehend tests with our extension installed: they run
moto in-process (`mock_aws`), so the patches go into this process before any test runs."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    del config
    from local_cloud.services import comprehend

    comprehend.install()
