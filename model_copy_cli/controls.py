"""Promotion controls from the command line: dry-run plans, approvals and rollbacks.

The rules live in the domain package (model_copy.approval, model_copy.promotion); this
module finds the execution or account to act on and renders what happened.
"""

from __future__ import annotations

import json
import time
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError
from model_copy.approval import Decision, decide, pending_approvals
from model_copy.arns import validate_account, validate_name
from model_copy.contract import TRAINED_STATUSES
from model_copy.errors import InvalidCopyRequest
from model_copy.promotion import NothingToRollBack, Promotion, rollback

from local_cloud.core.accounts import PROFILES, REGION
from model_copy_cli import copy, local, stacks
from model_copy_cli.asl_names import REQUEST_ERRORS
from model_copy_cli.errors import CliError, UsageError
from model_copy_cli.progress import readable_cause

TARGET_STACK = stacks.TARGET_STACK


def run_dry_run(pipe: copy.Pipeline, request: copy.CopyRequest,
                poll_seconds: float = 0.5, timeout: float = 300.0) -> dict[str, Any]:
    """Start a dry run, wait for its plan; a failed check raises with the execution's cause."""
    execution_arn = copy.start_copy(pipe, request, dry_run=True)
    deadline = time.monotonic() + timeout
    while True:
        execution = copy.describe(pipe, execution_arn)
        if execution["status"] != "RUNNING":
            break
        if time.monotonic() > deadline:
            raise CliError(f"the dry run {execution_arn} is still running after {timeout:.0f}s")
        time.sleep(poll_seconds)
    if execution["status"] != "SUCCEEDED":
        error, cause = execution.get("error"), execution.get("cause")
        exit_code = 2 if error in REQUEST_ERRORS else 1
        raise CliError(f"dry run: {error}: {readable_cause(cause)}", exit_code=exit_code)
    plan = json.loads(execution["output"])
    return {**plan, "executionArn": execution_arn}


def plan_lines(plan: dict[str, Any]) -> list[str]:
    lines = [f"dry run of {plan['sourceModelArn']} (status {plan['modelStatus']}): "
             "every check passed; nothing was shared, announced or imported",
             f"  execution {plan.get('executionArn', '?')}"]
    for target in plan["targets"]:
        version = f" version {target['targetVersionName']}" if target.get(
            "targetVersionName") else ""
        gate = ("; waits for an approval (model-copy approve|reject)"
                if target.get("approvalRequired") else "; no approval required")
        lines.append(f"  {target['account']}: would import as {target['targetModelName']}"
                     f"{version}, shared with {target['principal']}{gate}")
    if plan["modelStatus"] not in TRAINED_STATUSES:
        lines.append("  the copy would first wait for training to end")
    return lines + _key_lines(plan.get("kms") or {})


def _key_lines(kms: dict[str, Any]) -> list[str]:
    """What an encrypted model needs from A's key policy and B's service role."""
    if not kms.get("encrypted"):
        return []
    lines = [f"  encrypted with KMS key {kms['keyArn']}: each target's stack needs "
             "DataAccessRoleArn, a role trusting comprehend.amazonaws.com with this policy:"]
    first = (kms.get("targets") or [{}])[0]
    lines.append(f"    {json.dumps(first.get('dataAccessRolePolicy'), separators=(',', ':'))}")
    for target in kms.get("targets") or []:
        granted = target.get("keyPolicyGrantsTarget")
        state = {True: "granted", False: "not granted", None: "unknown (not readable from A)"}
        lines.append(f"  {target['account']}: A's key policy: {state[granted]}")
        if granted is not True:
            lines.append("    add to the key policy: "
                         + json.dumps(target["keyPolicyStatements"], separators=(",", ":")))
    return lines


def plan_ready(plan: dict[str, Any]) -> bool:
    """False when a check A can make failed: an encrypted model's key policy lacks a target."""
    return (plan.get("kms") or {}).get("ready", True) is not False


def _caller(session: boto3.Session) -> str:
    try:
        return str(session.client("sts").get_caller_identity()["Arn"])
    except (ClientError, BotoCoreError) as problem:
        raise copy.aws_failure(problem) from None


def check_account(account: str, what: str) -> str:
    try:
        return validate_account(account, what)
    except InvalidCopyRequest as problem:
        raise UsageError(str(problem)) from None


def decide_target(pipe: copy.Pipeline, execution: str | None, account: str, approved: bool,
                  reason: str | None) -> tuple[str, Decision]:
    """Answer the open approval of `account` in the execution; the caller is `by`."""
    check_account(account, "--target account")
    execution_arn = copy.execution_arn_for(pipe, execution)
    try:
        pending = pending_approvals(copy.history_events(pipe.client(), execution_arn))
    except (ClientError, BotoCoreError) as problem:
        raise copy.aws_failure(problem) from None
    request = pending.get(account)
    if request is None:
        waiting = ", ".join(sorted(pending)) or "none"
        raise CliError(f"no approval is waiting for account {account} in execution "
                       f"{execution_arn.rsplit(':', 1)[-1]}; pending: {waiting}")
    try:
        return execution_arn, decide(pipe.client(), request["taskToken"], approved,
                                     _caller(pipe.session), reason, request)
    except (ClientError, BotoCoreError) as problem:
        raise copy.aws_failure(problem) from None


def target_session(account: str, profile: str | None, region: str | None,
                   cloud_choice: str = "auto") -> boto3.Session:
    """A session acting in the target account: rollbacks happen where consumers read.

    On the local cloud the account's own profile is the default; anywhere, credentials
    that act in another account are refused rather than rolling back the wrong model.
    """
    check_account(account, "--account")
    cloud = local.running() if cloud_choice in ("auto", "local") else None
    if cloud_choice == "local" and cloud is None:
        raise CliError("the local cloud is not running: start it with `model-copy local up`")
    if cloud is not None:
        local.use(cloud)
        if profile is None:
            profile = next((p for p, a in PROFILES.items() if a == account), None)
            if profile is None:
                raise UsageError(f"account {account} is not one of the local cloud's accounts "
                                 f"({', '.join(PROFILES.values())})")
        region = region or REGION
    try:
        session = boto3.Session(profile_name=profile, region_name=region)
    except BotoCoreError as problem:  # ProfileNotFound
        raise copy.aws_failure(problem) from None
    caller = _caller(session).split(":")[4]
    if caller != account:
        raise UsageError(f"these credentials act in account {caller}, not {account}: pass "
                         f"--profile of account {account}")
    return session


def check_model_name(model_name: str) -> str:
    try:
        return validate_name(model_name, "--model")
    except InvalidCopyRequest as problem:
        raise UsageError(str(problem)) from None


def target_bus_name(session: boto3.Session, stack: str = TARGET_STACK) -> str:
    """The bus of the target stack, from its `EventBusArn` output (`EventBusName` may differ)."""
    arn = stacks.read(session, stack).output("EventBusArn", "target")
    return arn.split("event-bus/", 1)[-1]  # arn:aws:events:<region>:<account>:event-bus/<name>


def roll_back(session: boto3.Session, model_name: str, stack: str = TARGET_STACK) -> Promotion:
    bus = target_bus_name(session, stack)
    try:
        return rollback(session.client("ssm"), session.client("events"), bus,
                        model_name, by=_caller(session))
    except NothingToRollBack as problem:
        raise CliError(str(problem)) from None
    except (ClientError, BotoCoreError) as problem:
        raise copy.aws_failure(problem) from None

