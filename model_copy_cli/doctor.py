"""`model-copy doctor`: check a deployment of both sides before the first copy.

Each check is one line, pass or fail, and a failure says the fix. It reads only: the two
stacks' outputs and parameters (Region, account lists, bus names, import role name), B's bus
policy, A's trails and delivery log and, when the target encrypts copies, B's key and
data-access role.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError
from model_copy.config import parse_accounts

from model_copy_cli import stacks
from model_copy_cli.deliveries import OUTPUT as DELIVERY_LOG_OUTPUT
from model_copy_cli.errors import CliError

KMS_GUIDE = ("Comprehend Developer Guide, 'Importing a custom model': the DataAccessRoleArn "
             "role trusts comprehend.amazonaws.com and may kms:CreateGrant, kms:Decrypt, "
             "kms:GenerateDataKey on the target key; A's key policy must grant B the same on "
             "the source key")


@dataclass
class Check:
    name: str
    ok: bool | None  # None: skipped because a check it depends on failed
    detail: str
    fix: str = ""

    def line(self) -> str:
        verdict = {True: "PASS", False: "FAIL", None: "SKIP"}[self.ok]
        text = f"{verdict}  {self.name:24} {self.detail}"
        return f"{text}; fix: {self.fix}" if self.ok is False and self.fix else text


@dataclass
class Side:
    """One account as the doctor sees it: a session acting there and where its stack is."""

    session: boto3.Session
    stack_name: str
    account: str = ""
    stack: stacks.DeployedStack | None = None
    problem: str = ""

    @property
    def region(self) -> str:
        return str(self.session.region_name)


@dataclass
class Doctor:
    source: Side
    target: Side
    checks: list[Check] = field(default_factory=list)

    def run(self) -> list[Check]:
        self._stack(self.source, "source", ("StateMachineArn", "EventBusArn"))
        self._stack(self.target, "target", ("EventBusArn", "ImportRoleArn"))
        self._same_region()
        ready = bool(self.source.stack and self.target.stack)
        for name, check in (("B lists A as a source", self._target_lists_source),
                            ("B's bus admits A", self._bus_admits_source),
                            ("A sends to B's bus", self._source_sends_to_target),
                            ("import role name", self._import_role),
                            ("trail for the tag trigger", self._trail),
                            ("KMS prerequisites", self._kms),
                            ("delivery log", self._delivery_log)):
            if not ready:
                self.checks.append(Check(name, None, "needs both stacks"))
                continue
            self.checks.append(_guarded(name, check))
        return self.checks

    # --- the checks ---------------------------------------------------------------------
    def _stack(self, side: Side, role: str, outputs: tuple[str, ...]) -> None:
        name = f"{role} stack"
        try:
            side.account = str(side.session.client("sts").get_caller_identity()["Account"])
            side.stack = stacks.read(side.session, side.stack_name)
        except stacks.StackMissing:
            self.checks.append(Check(name, False, f"stack {side.stack_name} not found in "
                                     f"account {side.account} ({side.region})",
                                     f"sam deploy --config-env {role} in that account, or "
                                     f"pass --{role}-profile / --{role}-stack"))
            return
        except CliError as problem:
            self.checks.append(Check(name, False, str(problem),
                                     f"pass --{role}-profile of account {role[0].upper()}"))
            return
        missing = [key for key in outputs if key not in side.stack.outputs]
        side_param = side.stack.parameters.get("Side", role)
        if missing or side_param not in (role, "both"):
            self.checks.append(Check(name, False, f"{side.stack_name} in {side.account} is "
                                     f"Side={side_param}, lacks outputs {missing}",
                                     f"deploy it with Side={role}"))
            side.stack = None
            return
        self.checks.append(Check(name, True, f"{side.stack_name} in {side.account} "
                                 f"({side.region}): {', '.join(outputs)}"))

    def _same_region(self) -> None:
        a, b = self.source.region, self.target.region
        if a == b:
            self.checks.append(Check("same Region", True, a))
        else:
            self.checks.append(Check("same Region", False, f"A is in {a}, B in {b}",
                                     "Comprehend imports only within one Region: deploy "
                                     "both sides in the model's Region"))

    def _target_lists_source(self) -> Check:
        assert self.target.stack is not None
        return _lists_account("B lists A as a source", self.target.stack, "SourceAccountIds",
                              self.source.account, "target")

    def _bus_admits_source(self) -> Check:
        assert self.target.stack is not None
        bus = _bus_name(self.target.stack.outputs["EventBusArn"])
        policy = self.target.session.client("events").describe_event_bus(Name=bus).get(
            "Policy")
        statements = (json.loads(policy).get("Statement") or []) if policy else []
        if isinstance(statements, dict):
            statements = [statements]
        for statement in statements:
            if _admits(statement, self.source.account):
                return Check("B's bus admits A", True,
                             f"bus {bus} lets {self.source.account} put Model Version Shared"
                             f" (statement {statement.get('Sid', '?')})")
        return Check("B's bus admits A", False,
                     f"bus {bus} in {self.target.account} has no statement allowing "
                     f"events:PutEvents from {self.source.account}",
                     f"add {self.source.account} to SourceAccountIds and deploy the target "
                     "(the stack writes the bus policy)")

    def _source_sends_to_target(self) -> Check:
        """A puts each share straight on `arn:...:<B>:event-bus/<A's EventBusName>`: B must be
        one of A's targets and its bus must carry that name."""
        assert self.source.stack is not None and self.target.stack is not None
        name = "A sends to B's bus"
        listed = _lists_account(name, self.source.stack, "TargetAccountIds",
                                self.target.account, "source")
        if not listed.ok:
            return listed
        target_bus = self.target.stack.outputs["EventBusArn"]
        source_name = _bus_name(self.source.stack.outputs["EventBusArn"])
        if _bus_name(target_bus) != source_name:
            return Check(name, False, f"A puts shares on the bus named {source_name} in each "
                         f"target, but B's bus is {target_bus}",
                         "use the same EventBusName on both sides")
        return Check(name, True, f"A puts shares straight on {target_bus}")

    def _import_role(self) -> Check:
        assert self.source.stack is not None and self.target.stack is not None
        if self.source.stack.parameters.get("ShareWithAccountRoot") == "true":
            return Check("import role name", True, "A shares with B's account root")
        prefix = self.source.stack.parameters.get("ImportRoleNamePrefix", "model-copy-importer")
        expected = f"{prefix}-{self.source.region}"
        actual = self.target.stack.outputs["ImportRoleArn"].rsplit("/", 1)[-1]
        if actual == expected:
            return Check("import role name", True, f"A shares with {expected}, B's role")
        return Check("import role name", False,
                     f"A shares with role {expected} but B's import role is {actual}",
                     "use the same ImportRoleNamePrefix on both sides and deploy the target "
                     "first, then the source")

    def _trail(self) -> Check:
        cloudtrail = self.source.session.client("cloudtrail")
        for trail in cloudtrail.describe_trails(includeShadowTrails=True).get("trailList", []):
            covers = trail.get("IsMultiRegionTrail") or trail.get("HomeRegion") == \
                self.source.region
            if covers and cloudtrail.get_trail_status(Name=trail["TrailARN"]).get("IsLogging"):
                return Check("trail for the tag trigger", True,
                             f"trail {trail['Name']} logs in {self.source.region}")
        return Check("trail for the tag trigger", False,
                     f"no CloudTrail trail logs in {self.source.account} "
                     f"({self.source.region}): models tagged model-copy:targets are never "
                     "copied",
                     "create a trail and start it (aws cloudtrail create-trail --name "
                     "model-copy --s3-bucket-name BUCKET && aws cloudtrail start-logging "
                     "--name model-copy), or start copies with `model-copy copy`")

    def _kms(self) -> Check:
        assert self.target.stack is not None
        params = self.target.stack.parameters
        key, role = params.get("ModelKmsKeyId", ""), params.get("DataAccessRoleArn", "")
        if not key:
            return Check("KMS prerequisites", True, "B sets no ModelKmsKeyId (no key to check)")
        if not role:
            return Check("KMS prerequisites", False,
                         f"ModelKmsKeyId is {key} but DataAccessRoleArn is empty",
                         f"set DataAccessRoleArn on the target; {KMS_GUIDE}")
        try:
            described = self.target.session.client("kms").describe_key(KeyId=key)["KeyMetadata"]
        except ClientError as problem:
            return Check("KMS prerequisites", False, f"key {key}: {_message(problem)}",
                         f"create the key in {self.target.account} or fix ModelKmsKeyId")
        if described.get("KeyState") != "Enabled":
            return Check("KMS prerequisites", False, f"key {key} is {described.get('KeyState')}",
                         "enable the key")
        try:
            trust = self.target.session.client("iam").get_role(
                RoleName=role.rsplit("/", 1)[-1])["Role"]["AssumeRolePolicyDocument"]
        except ClientError as problem:
            return Check("KMS prerequisites", False, f"role {role}: {_message(problem)}",
                         f"create it; {KMS_GUIDE}")
        if "comprehend.amazonaws.com" not in json.dumps(trust):
            return Check("KMS prerequisites", False,
                         f"role {role} does not trust comprehend.amazonaws.com",
                         f"add it to the role's trust policy; {KMS_GUIDE}")
        return Check("KMS prerequisites", True,
                     f"key {key} enabled, role {role.rsplit('/', 1)[-1]} trusts Comprehend "
                     "(A's key policy is checked per model by the dry run)")


    def _delivery_log(self) -> Check:
        """The log group where A keeps each target's Model Import Started: without it (or
        without leave to read it) progress never says "delivered"."""
        assert self.source.stack is not None
        name = "delivery log"
        group = self.source.stack.outputs.get(DELIVERY_LOG_OUTPUT)
        if not group:
            return Check(name, False, f"{self.source.stack.name} has no {DELIVERY_LOG_OUTPUT} "
                         "output: progress cannot say 'delivered'",
                         "deploy the source side of this version")
        logs = self.source.session.client("logs")
        found = logs.describe_log_groups(logGroupNamePrefix=group).get("logGroups", [])
        if not any(g.get("logGroupName") == group for g in found):
            return Check(name, False, f"log group {group} does not exist: A's rule cannot keep "
                         "the targets' Model Import Started and progress cannot say "
                         "'delivered'", "deploy the source stack again (it creates the group)")
        logs.filter_log_events(logGroupName=group, limit=1)  # may this profile read it?
        return Check(name, True, f"{group} exists and this profile may read it")


def _lists_account(name: str, stack: stacks.DeployedStack, parameter: str, account: str,
                   side: str) -> Check:
    """Whether the account list `parameter` of `stack` (the `side` deploying it) names
    `account`; the fix is to add it there and deploy that side again."""
    listed = parse_accounts(stack.parameters.get(parameter, ""))
    if account in listed:
        return Check(name, True, f"{parameter} of {stack.name} has {account}")
    return Check(name, False,
                 f"{parameter} of {stack.name} is {', '.join(listed) or 'empty'}, not {account}",
                 f"add {account} to {parameter} and deploy the {side}")


def _guarded(name: str, check: Callable[[], Check]) -> Check:
    try:
        return check()
    except (ClientError, BotoCoreError) as problem:
        return Check(name, False, f"could not check: {_message(problem)}",
                     "use profiles that may read this (see the README's doctor section)")


def _message(problem: Exception) -> str:
    if isinstance(problem, ClientError):
        error = problem.response.get("Error", {})
        return f"{error.get('Code')}: {error.get('Message')}"
    return str(problem)


def _bus_name(arn: str) -> str:
    return arn.split("event-bus/", 1)[-1]


def _admits(statement: dict[str, Any], account: str) -> bool:
    if statement.get("Effect") != "Allow":
        return False
    actions = statement.get("Action")
    actions = [actions] if isinstance(actions, str) else actions or []
    if not any(a in ("events:PutEvents", "events:*", "*") for a in actions):
        return False
    principal = statement.get("Principal")
    names = principal.get("AWS") if isinstance(principal, dict) else principal
    names = [names] if isinstance(names, str) else names or []
    return any(n in (account, f"arn:aws:iam::{account}:root") for n in names)
