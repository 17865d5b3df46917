"""A deployed model-copy stack as the command needs it: its outputs and parameters.

They come from CloudFormation (`DescribeStacks`), on AWS as on the local cloud (whose
CloudFormation answers the stacks its deployer deployed). A missing stack is a `StackMissing`
whose message says how to deploy it.
"""

from __future__ import annotations

from dataclasses import dataclass

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from model_copy_cli.errors import CliError

SOURCE_STACK = "model-copy-source"
TARGET_STACK = "model-copy-target"
DEPLOY_HINTS = {SOURCE_STACK: "sam deploy --config-env source",
                TARGET_STACK: "sam deploy --config-env target"}


class StackMissing(CliError):
    """The stack is not deployed in the session's account and Region."""


@dataclass(frozen=True)
class DeployedStack:
    name: str
    outputs: dict[str, str]
    parameters: dict[str, str]

    def output(self, key: str, side: str) -> str:
        if key not in self.outputs:
            raise CliError(f"stack {self.name} has no {key} output (is it the {side} side?): "
                           f"deploy it with {DEPLOY_HINTS.get(self.name, 'sam deploy')}")
        return self.outputs[key]


def read(session: boto3.Session, stack: str) -> DeployedStack:
    """The stack in the session's account and Region."""
    try:
        described = session.client("cloudformation").describe_stacks(StackName=stack)
    except ClientError as problem:
        if "does not exist" in str(problem):
            raise _missing(stack, session) from None
        from model_copy_cli.copy import aws_failure

        raise aws_failure(problem) from None
    except BotoCoreError as problem:
        from model_copy_cli.copy import aws_failure

        raise aws_failure(problem) from None
    found = described["Stacks"][0]
    return DeployedStack(
        name=stack,
        outputs={o["OutputKey"]: str(o["OutputValue"]) for o in found.get("Outputs") or []},
        parameters={p["ParameterKey"]: str(p.get("ParameterValue", ""))
                    for p in found.get("Parameters") or []})


def _missing(stack: str, session: boto3.Session) -> StackMissing:
    hint = DEPLOY_HINTS.get(stack, "sam deploy")
    return StackMissing(f"stack {stack} not found in this account ({session.region_name}): "
                        f"deploy it with {hint}, or name yours with --"
                        f"{'target' if stack == TARGET_STACK else 'source'}-stack")
