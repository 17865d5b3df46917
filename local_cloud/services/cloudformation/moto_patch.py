"""What `install()` changes in moto's CloudFormation (`moto/cloudformation/responses.py`):
DescribeStacks and ListStacks answer the deployer's stacks of the caller's account and Region
first, and leave the rest (moto's own stacks, the not-found error) to moto."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from local_cloud.cloudformation import deployer
from local_cloud.core import settings
from local_cloud.services.cloudformation import descriptions

Handler = Callable[[Any], Any]


def deployed_stacks(account: str, region: str) -> list[deployer.Stack]:
    """The deployer's stacks of one account and Region, read from its records at each call
    (the command deploys while the cloud runs)."""
    return [stack for stack in deployer.recorded_stacks(settings.current().state_dir)
            if stack.account == account and stack.region == region]


def describe_stacks(original: Handler) -> Handler:
    def describe(response: Any) -> Any:
        from moto.core.responses import ActionResult

        ours = deployed_stacks(response.current_account, response.region)
        name = response._get_param("StackName")
        if name:
            found = [descriptions.described(s) for s in ours if descriptions.names(s, name)]
            return ActionResult({"Stacks": found}) if found else original(response)
        answer = original(response)
        if response._get_param("NextToken"):
            return answer  # moto's later pages: ours were all on the first
        return ActionResult({**answer.result,
                             "Stacks": [*map(descriptions.described, ours),
                                        *answer.result["Stacks"]]})

    return describe


def list_stacks(original: Handler) -> Handler:
    def listed(response: Any) -> Any:
        from moto.core.responses import ActionResult

        wanted = set(response._get_param("StackStatusFilter", []) or [])
        ours = [descriptions.summary(stack)
                for stack in deployed_stacks(response.current_account, response.region)
                if not wanted or stack.status in wanted]
        answer = original(response)
        return ActionResult({**answer.result,
                             "StackSummaries": [*ours, *answer.result["StackSummaries"]]})

    return listed


def install() -> None:
    from moto.cloudformation.responses import CloudFormationResponse

    CloudFormationResponse.describe_stacks = describe_stacks(  # type: ignore[method-assign,assignment]
        CloudFormationResponse.describe_stacks)
    CloudFormationResponse.list_stacks = list_stacks(  # type: ignore[method-assign,assignment]
        CloudFormationResponse.list_stacks)
