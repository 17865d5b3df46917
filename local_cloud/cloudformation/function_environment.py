"""A function's environment as a stack of the template would set it, read from the template.

Globals' and the function's `Environment.Variables`, every `Ref`, `Fn::Join` and `Fn::Sub`
resolved: parameters take the values given, else the template's Defaults (checked against
their constraints as CloudFormation checks them); pseudo parameters are the stack's; a
resource stands for the name its `Ref` returns (its name property, else a generated name).
`AWS_REGION` is added, as the Lambda runtime adds it. So code that needs the functions'
settings without a deployment (unit tests, the bench's cold start) gets them from the one
place they are defined.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from local_cloud.cloudformation.intrinsics import (
    Evaluator,
    Pseudo,
    parameter_text,
    resolve_parameters,
)
from local_cloud.cloudformation.sam_translate import load_template
from local_cloud.core.accounts import REGION, SOURCE_ACCOUNT

STACK_NAME = "model-copy"
# The property whose value a resource's Ref returns, for the resource types that have one.
NAME_PROPERTIES = {"AWS::Events::EventBus": "Name", "AWS::DynamoDB::Table": "TableName",
                   "AWS::SQS::Queue": "QueueName", "AWS::Serverless::Function": "FunctionName"}


def function_environment(template: Path | Mapping[str, Any], function: str,
                         parameters: Mapping[str, str] | None = None,
                         account: str = SOURCE_ACCOUNT, region: str = REGION) -> dict[str, str]:
    """The environment variables `function` (a logical id) gets in a stack of `template`."""
    raw = load_template(template) if isinstance(template, Path) else dict(template)
    resources: Mapping[str, Any] = raw.get("Resources") or {}
    if function not in resources:
        raise KeyError(f"{function} is not a resource of the template")
    values = resolve_parameters(raw.get("Parameters") or {}, dict(parameters or {}))
    stack_id = f"arn:aws:cloudformation:{region}:{account}:stack/{STACK_NAME}/environment"
    evaluator = Evaluator(parameters=values,
                          pseudo=Pseudo(account, region, STACK_NAME, stack_id),
                          conditions=raw.get("Conditions") or {},
                          resource_types={name: str(spec.get("Type"))
                                          for name, spec in resources.items()})
    for name, spec in resources.items():
        evaluator.physical_ids[name] = _ref_value(evaluator, name, spec)
    variables = {
        **(((raw.get("Globals") or {}).get("Function") or {}).get("Environment") or {})
        .get("Variables", {}),
        **((resources[function].get("Properties") or {}).get("Environment") or {})
        .get("Variables", {}),
    }
    resolved = evaluator.resolve(variables, f"Resources.{function}.Environment.Variables")
    return {"AWS_REGION": region, **{key: parameter_text(value) for key, value in resolved.items()}}


def _ref_value(evaluator: Evaluator, name: str, spec: Mapping[str, Any]) -> str:
    """What `Ref` of this resource returns: its name if the template names it; otherwise
    CloudFormation generates one from the stack and the logical id."""
    prop = NAME_PROPERTIES.get(str(spec.get("Type")))
    given = (spec.get("Properties") or {}).get(prop) if prop else None
    if given is not None:
        return str(evaluator.resolve(given, f"Resources.{name}.Properties.{prop}"))
    return f"{STACK_NAME}-{name}"
