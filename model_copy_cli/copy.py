"""Start a copy on the source state machine, follow it, and read past copies.

Where the state machine is: the local cloud when it runs (unless --cloud aws), else
--state-machine-arn, else the `StateMachineArn` output of stack `model-copy-source`.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    NoCredentialsError,
    NoRegionError,
    ProfileNotFound,
)
from model_copy.arns import ModelArn, parse_model_arn, validate_account, validate_name
from model_copy.errors import InvalidCopyRequest

from local_cloud.core.accounts import REGION
from model_copy_cli import local, stacks
from model_copy_cli.deliveries import OUTPUT as DELIVERY_LOG_OUTPUT
from model_copy_cli.deliveries import DeliveryLog
from model_copy_cli.errors import CliError, UsageError
from model_copy_cli.progress import (
    CopyProgress,
    Delivery,
    Stage,
    observe_deliveries,
    reduce_history,
)

SOURCE_STACK = stacks.SOURCE_STACK
DEPLOY_SOURCE_HINT = "deploy the source side first: sam deploy --config-env source"


@dataclass(frozen=True)
class CopyRequest:
    source: ModelArn
    targets: list[str]
    target_model_name: str | None = None
    target_version_name: str | None = None

    def execution_input(self) -> dict[str, Any]:
        body: dict[str, Any] = {"sourceModelArn": str(self.source),
                                "targetAccounts": self.targets}
        if self.target_model_name:
            body["targetModelName"] = self.target_model_name
        if self.target_version_name:
            body["targetVersionName"] = self.target_version_name
        return body


def check_request(arn: str, targets: list[str], name: str | None,
                  version: str | None) -> CopyRequest:
    """Everything that can be checked without AWS, with the domain's own rules."""
    try:
        source = parse_model_arn(arn)
        accounts = [validate_account(a, "--to account") for a in targets]
        if name:
            validate_name(name, "--name")
        if version:
            validate_name(version, "--version-name")
    except InvalidCopyRequest as problem:
        raise UsageError(str(problem)) from None
    if not accounts:
        raise UsageError("name at least one target account with --to ACCOUNT")
    if len(set(accounts)) != len(accounts):
        raise UsageError(f"--to names an account twice: {' '.join(accounts)}")
    if source.account in accounts:
        raise UsageError(f"--to {source.account} is the account that owns the model; "
                         "name the account to copy it to")
    return CopyRequest(source=source, targets=accounts, target_model_name=name,
                       target_version_name=version)


@dataclass(frozen=True)
class Pipeline:
    """The source state machine and a session of the caller (meant to act as the source)."""

    session: boto3.Session
    state_machine_arn: str
    local: bool
    source_stack: stacks.DeployedStack | None = None

    def client(self) -> Any:
        return self.session.client("stepfunctions")

    def delivery_log(self) -> DeliveryLog:
        """Where the targets' `Model Import Started` are kept (none without the stack)."""
        outputs = self.source_stack.outputs if self.source_stack else {}
        return DeliveryLog(self.session, outputs.get(DELIVERY_LOG_OUTPUT))

    @property
    def region(self) -> str:
        return self.state_machine_arn.split(":")[3]

    @property
    def account(self) -> str:
        return self.state_machine_arn.split(":")[4]


def aws_failure(problem: Exception) -> CliError:
    """Turn the usual AWS client problems into a line that says what to do."""
    if isinstance(problem, NoCredentialsError):
        return CliError("no AWS credentials: run `aws configure` or pass --profile")
    if isinstance(problem, ProfileNotFound):
        config = os.environ.get("AWS_CONFIG_FILE", "~/.aws/config")
        return UsageError(f"profile {problem.kwargs.get('profile')} is not in your AWS config "
                          f"({config}): check --profile and AWS_PROFILE (`aws configure "
                          "list-profiles` lists them)")
    if isinstance(problem, NoRegionError):
        return UsageError("no AWS Region: pass --region, set region in the profile, or set "
                          "AWS_REGION")
    if isinstance(problem, ClientError):
        code = problem.response.get("Error", {}).get("Code", "")
        message = problem.response.get("Error", {}).get("Message", str(problem))
        if code in ("StateMachineDoesNotExist", "ExecutionDoesNotExist"):
            return CliError(f"{message}: {DEPLOY_SOURCE_HINT}" if code.startswith("State")
                            else f"{message}: see `model-copy history` for executions")
        if code in ("ExpiredToken", "ExpiredTokenException", "UnrecognizedClientException",
                    "InvalidClientTokenId"):
            return CliError(f"AWS refused the credentials ({code}): refresh them "
                            "(aws sso login / aws configure) or pass --profile")
        if code in ("AccessDenied", "AccessDeniedException"):
            return CliError(f"access denied: {message}; use a profile of the source account "
                            "that may start and read the copy state machine")
        return CliError(f"{code}: {message}")
    return CliError(str(problem))


def new_session(profile: str | None, region: str | None) -> boto3.Session:
    """A session whose Region is --region, else AWS_REGION, else what boto3 finds
    (AWS_DEFAULT_REGION, then the profile's `region`), as the AWS CLI orders them."""
    try:
        session = boto3.Session(profile_name=profile,
                                region_name=region or os.environ.get("AWS_REGION") or None)
    except BotoCoreError as problem:  # ProfileNotFound
        raise aws_failure(problem) from None
    if not session.region_name:
        raise aws_failure(NoRegionError())
    return session


def find_pipeline(cloud_choice: str, profile: str | None, region: str | None,
                  state_machine_arn: str | None) -> Pipeline:
    cloud = local.running() if cloud_choice in ("auto", "local") else None
    if cloud_choice == "local" and cloud is None:
        raise CliError("the local cloud is not running: start it with `model-copy local up`")
    if cloud is not None:
        local.use(cloud)
        session = new_session(profile or "source", region or REGION)
        # The local stacks are where `local up` put them, whoever the caller is: a caller of
        # another account is then told so (preflight), not that nothing is deployed.
        source = None
        try:
            source = stacks.read(new_session("source", REGION), SOURCE_STACK)
        except stacks.StackMissing:
            if state_machine_arn is None:
                raise CliError("the local cloud runs but model-copy is not deployed in it: "
                               "run `model-copy local up`") from None
        arn = state_machine_arn or (source.output("StateMachineArn", "source") if source
                                    else "")
        return Pipeline(session=session, state_machine_arn=arn, local=True, source_stack=source)
    session = new_session(profile, region)
    if state_machine_arn:
        return Pipeline(session=session, state_machine_arn=state_machine_arn, local=False)
    source = stacks.read(session, SOURCE_STACK)
    return Pipeline(session=session, state_machine_arn=source.output("StateMachineArn", "source"),
                    local=False, source_stack=source)


def execution_name(request: CopyRequest) -> str:
    # Names are at most 80 characters; the model name makes `history` readable.
    return f"cli-{request.source.model_name[:50]}-{uuid.uuid4().hex[:12]}"


def start_copy(pipe: Pipeline, request: CopyRequest, dry_run: bool = False) -> str:
    body = request.execution_input()
    if dry_run:
        body["dryRun"] = True
    try:
        response = pipe.client().start_execution(
            stateMachineArn=pipe.state_machine_arn, name=execution_name(request),
            input=json.dumps(body))
    except (ClientError, BotoCoreError) as problem:
        raise aws_failure(problem) from None
    return str(response["executionArn"])


def history_events(client: Any, execution_arn: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    for page in client.get_paginator("get_execution_history").paginate(
            executionArn=execution_arn, includeExecutionData=True):
        events.extend(page["events"])
    return events


def read_progress(pipe: Pipeline, execution_arn: str) -> CopyProgress:
    try:
        progress = reduce_history(history_events(pipe.client(), execution_arn))
    except (ClientError, BotoCoreError) as problem:
        raise aws_failure(problem) from None
    return observe_deliveries(progress, _Deliveries(pipe, execution_arn).found(progress))


class _Deliveries:
    """The copy's deliveries, read from the delivery log at most once (per poll), and only
    while a target waits in "sent": nothing else can change with them."""

    def __init__(self, pipe: Pipeline, execution_arn: str) -> None:
        self.pipe = pipe
        self.name = execution_arn.rsplit(":", 1)[-1]  # the copy's correlationId
        self.read: list[Delivery] | None = None

    def found(self, progress: CopyProgress) -> list[Delivery]:
        if not any(t.stage is Stage.SENT for t in progress.targets.values()):
            return []
        if self.read is None:
            self.read = self.pipe.delivery_log().observed(self.name, progress.started_at)
        return self.read


def watch(pipe: Pipeline, execution_arn: str, on_change: Callable[[CopyProgress, str], None],
          poll_seconds: float = 1.0, timeout: float | None = None) -> CopyProgress:
    """Follow an execution until it ends; `on_change(progress, account)` per target change.

    New history events are folded in one at a time, so a stage that began and ended between
    two polls is still shown, in order. While a target is "sent", the delivery log is read
    once per poll: its `Model Import Started` there makes it "delivered".
    """
    seen: dict[str, object] = {}
    progress = CopyProgress()
    folded = 0  # the id of the last event folded in
    deadline = None if timeout is None else time.monotonic() + timeout

    def show_changes() -> None:
        for account, target in progress.targets.items():
            if seen.get(account) != target.key:
                seen[account] = target.key
                on_change(progress, account)

    while True:
        try:
            events = history_events(pipe.client(), execution_arn)
        except (ClientError, BotoCoreError) as problem:
            raise aws_failure(problem) from None
        deliveries = _Deliveries(pipe, execution_arn)
        for event in sorted(events, key=lambda e: int(e.get("id", 0))):
            if int(event.get("id", 0)) <= folded:
                continue
            folded = int(event.get("id", 0))
            reduce_history([event], progress)
            show_changes()
            observe_deliveries(progress, deliveries.found(progress))
            show_changes()
        observe_deliveries(progress, deliveries.found(progress))
        show_changes()
        if progress.finished:
            return progress
        if deadline is not None and time.monotonic() > deadline:
            return progress
        time.sleep(poll_seconds)


def execution_arn_for(pipe: Pipeline, name_or_arn: str | None) -> str:
    if name_or_arn and name_or_arn.startswith("arn:"):
        return name_or_arn
    if name_or_arn:
        # An execution ARN is the state machine's with `execution` and the name appended.
        return (pipe.state_machine_arn.replace(":stateMachine:", ":execution:", 1)
                + f":{name_or_arn}")
    latest = list_executions(pipe, limit=1)
    if not latest:
        raise CliError("no copies yet: start one with `model-copy copy ARN --to ACCOUNT`")
    return str(latest[0]["executionArn"])


def list_executions(pipe: Pipeline, limit: int) -> list[dict[str, Any]]:
    try:
        found: list[dict[str, Any]] = []
        for page in pipe.client().get_paginator("list_executions").paginate(
                stateMachineArn=pipe.state_machine_arn):
            found.extend(page["executions"])
    except (ClientError, BotoCoreError) as problem:
        raise aws_failure(problem) from None
    found.sort(key=lambda e: e["startDate"], reverse=True)
    return found[:limit]


def describe(pipe: Pipeline, execution_arn: str) -> dict[str, Any]:
    try:
        return dict(pipe.client().describe_execution(executionArn=execution_arn))
    except (ClientError, BotoCoreError) as problem:
        raise aws_failure(problem) from None


def summarize(execution: dict[str, Any]) -> dict[str, Any]:
    """What was copied where, when, how it ended: from describe_execution alone."""
    body = _loads(execution.get("input")) or {}
    body = body.get("detail", body) if isinstance(body, dict) else {}
    output = _loads(execution.get("output")) or {}
    results = {r.get("account"): r for r in output.get("results") or [] if isinstance(r, dict)}
    failed = _failed_targets(execution.get("cause"))
    # A dry run ends SUCCEEDED with a plan: its targets were planned, never copied.
    dry_run = output.get("dryRun") is True
    targets = []
    for account in body.get("targetAccounts") or list(results):
        result = results.get(account) or failed.get(account) or {}
        status = result.get("status") or ("PLANNED" if dry_run else
            "FAILED" if execution.get("status") == "FAILED" else execution.get("status"))
        targets.append({"account": account, "status": status,
                        "targetModelArn": result.get("targetModelArn"),
                        "importSeconds": result.get("importSeconds")})
    started, stopped = execution.get("startDate"), execution.get("stopDate")
    return {
        "name": execution.get("name"), "executionArn": execution.get("executionArn"),
        "status": execution.get("status"),
        "sourceModelArn": body.get("sourceModelArn") or output.get("sourceModelArn"),
        "startedAt": started.isoformat() if started else None,
        "endedAt": stopped.isoformat() if stopped else None,
        "elapsedSeconds": (stopped - started).total_seconds() if started and stopped else None,
        "error": execution.get("error"), "cause": execution.get("cause"), "targets": targets,
        "dryRun": dry_run or body.get("dryRun") is True,
    }


def _failed_targets(cause: Any) -> dict[str, dict[str, Any]]:
    # CopyFailed's cause ends with the JSON list of failed targets (see the ASL).
    if not isinstance(cause, str) or "failed for: " not in cause:
        return {}
    items = _loads(cause.split("failed for: ", 1)[1])
    return {i["account"]: i for i in items or [] if isinstance(i, dict) and "account" in i}


def _loads(text: Any) -> Any:
    try:
        return json.loads(text) if isinstance(text, str) else None
    except ValueError:
        return None
