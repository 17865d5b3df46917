"""Local clouds for tests and bench/: boto3 pointed at one (and at nothing else) for a block;
a local cloud of one's own, for tests that restart or break it (the session's cloud is shared)
and for the bench; the environment of a `model-copy` process that starts its own."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from local_cloud.core import launcher

CREDENTIAL_VARIABLES = ("AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                        "AWS_SESSION_TOKEN")


@contextmanager
def cloud_environment(cloud: launcher.LocalCloud) -> Iterator[None]:
    """Point boto3 at `cloud`, and at nothing else (no stray real credentials), in the block;
    the environment as it was after it. (No pytest here: bench/ uses it too.)"""
    saved = dict(os.environ)
    try:
        for key in CREDENTIAL_VARIABLES:
            os.environ.pop(key, None)
        os.environ.update(cloud.client_environment())
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


@contextmanager
def private_cloud(state_dir: Path, **start: Any) -> Iterator[launcher.LocalCloud]:
    """A local cloud of the caller's own, kept in `state_dir` (`start`: launcher.start's
    port, extra_env, ...), with boto3 pointed at it in the block; stopped after, also when
    the block restarted it."""
    cloud = launcher.start(state_dir, **start)
    try:
        with cloud_environment(cloud):
            yield cloud
    finally:
        launcher.stop(state_dir)


def own_cli_environment(directory: Path) -> dict[str, str]:
    """The environment for `model-copy local ...` with a local cloud of its own: kept in
    `directory`, on a free port, with no endpoint, config file or profile inherited."""
    env = {**os.environ, "MODEL_COPY_LOCAL_DIR": str(directory),
           "MODEL_COPY_LOCAL_PORT": str(launcher.free_port())}
    for key in ("AWS_ENDPOINT_URL", "AWS_CONFIG_FILE", "AWS_PROFILE"):
        env.pop(key, None)
    return env
