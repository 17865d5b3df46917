"""Deploy model-copy from template.yaml into the local cloud: source side in A, target in B.

The parameters below are the only local choices; everything else is the template's.
Polling and timeouts are shortened so a copy takes seconds, not minutes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import boto3

from local_cloud.cloudformation import deployer
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


def source_parameters(targets: list[str] | None = None,
                      **overrides: str) -> dict[str, str]:  # overrides: template parameters
    return {"Side": "source", "TargetAccountIds": ",".join(targets or [TARGET_ACCOUNT]),
            "DefaultTargetAccountIds": ",".join(targets or [TARGET_ACCOUNT]),
            "TrainingWaitMaxSeconds": "120", "ImportTimeoutSeconds": "120",
            **FAST_POLLING, **overrides}


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


def deploy_pipeline(cloud: LocalCloud, source_overrides: dict[str, str] | None = None,
                    target_overrides: dict[str, str] | None = None) -> Pipeline:
    """Target first: the source's policy names the target's import role, which must exist.
    A gets a trail that logs (SOURCE_TRAIL), as an account using the tag trigger needs."""
    template = project.template_path()
    target = deployer.deploy(session(cloud, "target"), template, TARGET_STACK,
                             target_parameters(None, **(target_overrides or {})),
                             cloud.state_dir)
    start_trail(session(cloud, "source"), SOURCE_TRAIL)
    source = deployer.deploy(session(cloud, "source"), template, SOURCE_STACK,
                             source_parameters(None, **(source_overrides or {})),
                             cloud.state_dir)
    return Pipeline(source=source, target=target)


def deployed_pipeline(cloud: LocalCloud) -> Pipeline:
    return Pipeline(
        source=deployer.describe(session(cloud, "source"), SOURCE_STACK, cloud.state_dir),
        target=deployer.describe(session(cloud, "target"), TARGET_STACK, cloud.state_dir))
