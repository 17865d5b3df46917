"""Deploy model-copy (or any template) into the local cloud: source side in A as stack
`model-copy-source`, target side in B as `model-copy-target`.

The local deployment's own settings, below, are the only local choices; everything else is
the template's, and the caller's overrides win over both. Polling and timeouts are shortened
so a copy takes seconds, not minutes: training and import are polled every 1 s, then at most
every 2 s, and the source gives up on training or on a target's outcome after 120 s.
A template only receives the settings for parameters it declares, so any template deploys.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import boto3

from local_cloud.cloudformation import deployer
from local_cloud.cloudformation.intrinsics import TemplateError, resolve_parameters
from local_cloud.cloudformation.sam_translate import load_template
from local_cloud.core import project
from local_cloud.core.accounts import REGION, SOURCE_ACCOUNT, TARGET_ACCOUNT
from local_cloud.core.launcher import LocalCloud
from local_cloud.services.cloudtrail.setup import start_trail

REPO_ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = project.CANDIDATES[0]  # the checkout's; project.template_path() looks further
SOURCE_STACK = "model-copy-source"
TARGET_STACK = "model-copy-target"
# The new-model-version trigger needs CloudTrail's create events, which reach EventBridge only
# while a trail logs in A; the template creates none, so A's administrator (we) sets one up.
SOURCE_TRAIL = "model-copy-local-trail"

FAST_POLLING = {
    "TrainingPollFirstSeconds": "1",
    "TrainingPollMaxSeconds": "2",
    "ImportPollFirstSeconds": "1",
    "ImportPollMaxSeconds": "2",
}
SHORT_WAITS = {"TrainingWaitMaxSeconds": "120", "ImportTimeoutSeconds": "120"}


def source_parameters(targets: list[str] | None = None,
                      **overrides: str) -> dict[str, str]:  # overrides: template parameters
    return {"Side": "source", "TargetAccountIds": ",".join(targets or [TARGET_ACCOUNT]),
            "DefaultTargetAccountIds": ",".join(targets or [TARGET_ACCOUNT]),
            **SHORT_WAITS, **FAST_POLLING, **overrides}


def target_parameters(sources: list[str] | None = None, **overrides: str) -> dict[str, str]:
    return {"Side": "target", "SourceAccountIds": ",".join(sources or [SOURCE_ACCOUNT]),
            **FAST_POLLING, **overrides}


@dataclass(frozen=True)
class Pipeline:
    source: deployer.Stack
    target: deployer.Stack

    @property
    def state_machine_arn(self) -> str:
        return str(self.source.outputs["StateMachineArn"])


def session(cloud: LocalCloud, profile: str) -> boto3.Session:
    del cloud  # the client environment (AWS_CONFIG_FILE, AWS_ENDPOINT_URL) selects the cloud
    return boto3.Session(profile_name=profile, region_name=REGION)


def account_session(account: str) -> boto3.Session:
    """A session acting as any 12-digit account of the local cloud, as the profiles do it:
    AssumeRole into the account's operator role (`source` is only the caller)."""
    from local_cloud.core.launcher import LOCAL_ROLE

    sts = boto3.Session(profile_name="source", region_name=REGION).client("sts")
    credentials = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/{LOCAL_ROLE}",
                                  RoleSessionName=f"operator-{account}")["Credentials"]
    return boto3.Session(aws_access_key_id=credentials["AccessKeyId"],
                         aws_secret_access_key=credentials["SecretAccessKey"],
                         aws_session_token=credentials["SessionToken"], region_name=REGION)


def deploy_source(cloud: LocalCloud, account: str, targets: list[str],
                  **overrides: str) -> deployer.Stack:
    """The source side in any account, copying to `targets` (each needs its target side)."""
    return deployer.deploy(account_session(account), project.template_path(), SOURCE_STACK,
                           source_parameters(targets, **overrides), cloud.state_dir)


def deploy_target(cloud: LocalCloud, account: str, sources: list[str],
                  **overrides: str) -> deployer.Stack:
    """The target side in any account, accepting shares from `sources`."""
    return deployer.deploy(account_session(account), project.template_path(), TARGET_STACK,
                           target_parameters(sources, **overrides), cloud.state_dir)


def parse_overrides(pairs: list[str]) -> dict[str, str]:
    """`Key=Value` texts, as `sam deploy --parameter-overrides` takes them."""
    overrides: dict[str, str] = {}
    for pair in pairs:
        key, equals, value = pair.partition("=")
        if not equals or not key.strip():
            raise TemplateError(f"parameter override {pair!r} is not Key=Value")
        overrides[key.strip()] = value
    return overrides


def _declared_only(parameters: Mapping[str, str], declared: Mapping[str, object],
                   overrides: Mapping[str, str]) -> dict[str, str]:
    """The local settings the template declares, then the caller's overrides (all of them,
    so a parameter the template lacks is refused by name, as CloudFormation does)."""
    return {**{k: v for k, v in parameters.items() if k in declared}, **overrides}


def stack_parameters(template: Path = TEMPLATE, source_overrides: Mapping[str, str] | None = None,
                     target_overrides: Mapping[str, str] | None = None
                     ) -> tuple[dict[str, str], dict[str, str]]:
    """The source's and the target's parameters, checked against the template's declarations
    (names, AllowedValues, patterns) before anything is deployed."""
    if not template.is_file():
        raise TemplateError(f"template {template} does not exist")
    declared = load_template(template).get("Parameters") or {}
    source = _declared_only(source_parameters(), declared, source_overrides or {})
    target = _declared_only(target_parameters(), declared, target_overrides or {})
    for parameters in (source, target):
        resolve_parameters(declared, parameters)  # raises TemplateError naming the problem
    return source, target


def deploy_pipeline(cloud: LocalCloud, source_overrides: dict[str, str] | None = None,
                    target_overrides: dict[str, str] | None = None,
                    template: Path | None = None) -> Pipeline:
    """Target first: the source's policy names the target's import role, which must exist.
    A gets a trail that logs (SOURCE_TRAIL), as an account using the tag trigger needs."""
    template = project.template_path(template)
    source_values, target_values = stack_parameters(template, source_overrides,
                                                    target_overrides)
    target = deployer.deploy(session(cloud, "target"), template, TARGET_STACK, target_values,
                             cloud.state_dir)
    start_trail(session(cloud, "source"), SOURCE_TRAIL)
    source = deployer.deploy(session(cloud, "source"), template, SOURCE_STACK, source_values,
                             cloud.state_dir)
    return Pipeline(source=source, target=target)


def deployed_pipeline(cloud: LocalCloud) -> Pipeline:
    return Pipeline(
        source=deployer.describe(session(cloud, "source"), SOURCE_STACK, cloud.state_dir),
        target=deployer.describe(session(cloud, "target"), TARGET_STACK, cloud.state_dir))
