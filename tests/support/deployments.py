"""The pipeline deployed otherwise for a while: tests share one local cloud per process, so a
test that needs other parameters redeploys with them and puts the usual deployment back."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from local_cloud.cloudformation import pipeline
from local_cloud.core.launcher import LocalCloud


@contextmanager
def redeployed(cloud: LocalCloud, source: dict[str, str] | None = None,
               target: dict[str, str] | None = None) -> Iterator[pipeline.Pipeline]:
    """Both sides deployed with these parameter overrides in the block (each side's stack
    parameters), then deployed again with none, whatever the block did."""
    try:
        yield pipeline.deploy_pipeline(cloud, source_overrides=source, target_overrides=target)
    finally:
        pipeline.deploy_pipeline(cloud)
