"""`model-copy demo` and `model-copy local train`: classifiers trained in the local source account.

The demo then copies its classifier to B through the pipeline, and always leaves its local
cloud stopped, also on failure or Ctrl-C.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from typing import Any

import boto3
from model_copy.contract import TRAINED_STATUSES

from local_cloud.core import launcher
from local_cloud.core.accounts import REGION, SOURCE_ACCOUNT, TARGET_ACCOUNT
from model_copy_cli import copy, local, stacks, training
from model_copy_cli.errors import CliError
from model_copy_cli.follow import follow

DEMO_MODEL = "demo-classifier"
DEMO_VERSION = "v1"


def _say(as_json: bool, line: str) -> None:
    print(line, file=sys.stderr if as_json else sys.stdout, flush=True)


def _train(session: boto3.Session, name: str, version: str, as_json: bool) -> dict[str, Any]:
    """Train `name` in the session's account, telling each status as it comes."""
    return training.train_classifier(
        session, name, version,
        on_created=lambda arn: _say(as_json, f"created {arn}; training ..."),
        on_status=lambda seconds, status: _say(as_json, f"[{seconds:7.1f}s] {name}  {status}"))


def train_local_classifier(name: str, version: str, as_json: bool) -> dict[str, Any]:
    """`model-copy local train`: a classifier in the local source account, trained.

    The local cloud reads no training data, and training takes the local Comprehend's
    configured seconds.
    """
    return _train(boto3.Session(profile_name="source", region_name=REGION), name, version,
                  as_json)


def run_demo(as_json: bool = False) -> int:
    # A fresh state dir of its own, so a demo never disturbs `model-copy local up`.
    directory = local.state_dir() / "demo"
    if local.running(directory) is None:
        shutil.rmtree(directory, ignore_errors=True)
    # A free port unless one is asked for: 4566 may be taken by `local up`.
    port = local.default_port() if "MODEL_COPY_LOCAL_PORT" in os.environ else None
    started = time.monotonic()
    try:
        _say(as_json, "starting the local cloud and deploying both sides ...")
        try:
            state = local.up(directory, port=port or launcher.free_port(),
                             durations=local.DEMO_DURATIONS)
        except local.NotInstalled as problem:
            raise CliError(str(problem)) from None
        except (RuntimeError, OSError) as problem:
            raise CliError(f"the local cloud did not start: {problem}") from None
        _say(as_json, f"local cloud at {state.endpoint}; source {SOURCE_ACCOUNT}, "
                      f"target {TARGET_ACCOUNT}")
        source = boto3.Session(profile_name="source", region_name=REGION)
        trained = _train(source, DEMO_MODEL, DEMO_VERSION, as_json)
        arn = trained["DocumentClassifierArn"]
        if trained["Status"] not in TRAINED_STATUSES:
            raise CliError(f"model is {trained['Status']}: {trained.get('Message', '')}")
        request = copy.check_request(arn, [TARGET_ACCOUNT], None, None)
        if state.state_machine_arn is None:
            raise CliError("the demo pipeline did not deploy; see " f"{directory / 'server.log'}")
        # With its stack, as `copy` has it: the stack's delivery log shows "delivered".
        pipe = copy.Pipeline(session=source, state_machine_arn=state.state_machine_arn,
                             local=True, source_stack=stacks.read(source, copy.SOURCE_STACK))
        execution_arn = copy.start_copy(pipe, request)
        code = follow(pipe, execution_arn, as_json)  # the same flow as `copy`
        _say(as_json, f"demo took {time.monotonic() - started:.1f}s")
        return code
    finally:
        local.down(directory)
        _say(as_json, "local cloud stopped")
