"""The IAM statements of template.yaml, for the IAM mutation test: every statement of every
role and function/state machine policy, and the template without one of them.

A statement is one item of a policy's Statement list, a SAM policy template
(`LambdaInvokePolicy: ...`) or a managed policy name in a SAM `Policies` list. Statements
under `Fn::If` count with the parameter that turns them on.
"""

from __future__ import annotations

import copy
import json
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from local_cloud.cloudformation.sam_translate import load_template

REPO_ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = REPO_ROOT / "template.yaml"
POLICY_HOLDERS = ("AWS::IAM::Role", "AWS::IAM::Policy", "AWS::Serverless::Function",
                  "AWS::Serverless::StateMachine")
SAM_POLICY_TEMPLATE_ACTIONS = {"LambdaInvokePolicy": ["lambda:InvokeFunction"]}


@dataclass(frozen=True)
class Statement:
    """Where one statement sits in the template, and what it allows."""
    resource: str  # logical id of the role, function or state machine
    path: tuple[Any, ...]  # keys from the resource's Properties to the statement
    name: str  # Sid, SAM policy template name, or position
    actions: tuple[str, ...]
    condition: str | None  # the resource's Condition (IsSource, IsTarget) or None
    enabled_by: str | None = None  # the template Condition of an Fn::If around it

    @property
    def id(self) -> str:
        return f"{self.resource}/{self.name}"

    @property
    def sides(self) -> tuple[str, ...]:
        return {"IsSource": ("source",), "IsTarget": ("target",)}.get(
            self.condition or "", ("source", "target"))


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _unwrap_if(item: Any) -> tuple[Any, str | None]:
    if isinstance(item, dict) and set(item) == {"Fn::If"}:
        condition, then, _ = item["Fn::If"]
        return then, condition
    return item, None


def _actions(statement: dict[str, Any]) -> tuple[str, ...]:
    return tuple(str(a) for a in _as_list(statement.get("Action", [])))


def statements(template: dict[str, Any] | None = None) -> list[Statement]:
    template = template or load_template(TEMPLATE)
    found: list[Statement] = []
    for logical_id, resource in template["Resources"].items():
        if resource.get("Type") not in POLICY_HOLDERS:
            continue
        properties = resource.get("Properties") or {}
        condition = resource.get("Condition")
        if resource["Type"] == "AWS::IAM::Policy":
            for s_index, raw in enumerate(_as_list(properties["PolicyDocument"]["Statement"])):
                statement, enabled_by = _unwrap_if(raw)
                found.append(Statement(
                    logical_id, ("PolicyDocument", "Statement", s_index),
                    statement.get("Sid") or f"{properties['PolicyName']}#{s_index}",
                    _actions(statement), condition, enabled_by))
            continue
        if resource["Type"] == "AWS::IAM::Role":
            for p_index, policy in enumerate(properties.get("Policies") or []):
                document = policy["PolicyDocument"]
                for s_index, raw in enumerate(_as_list(document.get("Statement"))):
                    statement, enabled_by = _unwrap_if(raw)
                    found.append(Statement(
                        logical_id, ("Policies", p_index, "PolicyDocument", "Statement",
                                     s_index),
                        statement.get("Sid") or f"{policy['PolicyName']}#{s_index}",
                        _actions(statement), condition, enabled_by))
            continue
        for p_index, policy in enumerate(properties.get("Policies") or []):
            if isinstance(policy, str):  # an AWS managed policy by name
                found.append(Statement(logical_id, ("Policies", p_index), policy, (), condition))
            elif "Statement" in policy:
                for s_index, raw in enumerate(_as_list(policy["Statement"])):
                    statement, enabled_by = _unwrap_if(raw)
                    found.append(Statement(
                        logical_id, ("Policies", p_index, "Statement", s_index),
                        statement.get("Sid") or f"policy{p_index}#{s_index}",
                        _actions(statement), condition, enabled_by))
            else:
                [(template_name, _)] = policy.items()
                same_before = sum(1 for s in found if s.resource == logical_id
                                  and s.name.startswith(template_name))
                found.append(Statement(logical_id, ("Policies", p_index),
                                       f"{template_name}#{same_before}",
                                       tuple(SAM_POLICY_TEMPLATE_ACTIONS.get(template_name, [])),
                                       condition))
    return found


def without(statement: Statement, template: dict[str, Any] | None = None) -> dict[str, Any]:
    """The template with that one statement removed (an emptied policy goes too), its local
    code and ASL paths made absolute so it can be deployed from anywhere."""
    mutant = copy.deepcopy(template or load_template(TEMPLATE))
    properties = mutant["Resources"][statement.resource]["Properties"]
    *parents, last = statement.path
    container: Any = properties
    for key in parents:
        container = container[key]
    if not isinstance(container, list):  # a single statement, not a list
        container = [container]
    container.pop(last)
    # An emptied Statement list: drop the whole policy (IAM refuses an empty one).
    if statement.path[0] == "Policies" and len(statement.path) > 2:
        policies = properties["Policies"]
        policy = policies[statement.path[1]]
        document = policy.get("PolicyDocument", policy)
        if not document.get("Statement"):
            policies.pop(statement.path[1])
    function_globals = mutant.get("Globals", {}).get("Function", {})
    if isinstance(function_globals.get("CodeUri"), str):
        function_globals["CodeUri"] = str(REPO_ROOT / function_globals["CodeUri"])
    for resource in mutant["Resources"].values():
        props = resource.get("Properties") or {}
        for key in ("CodeUri", "DefinitionUri"):
            if isinstance(props.get(key), str) and not props[key].startswith("s3://"):
                props[key] = str(REPO_ROOT / props[key])
    return mutant


def write(mutant: dict[str, Any], directory: Path) -> Path:
    path = directory / f"mutant-{uuid.uuid4().hex[:8]}.json"
    path.write_text(json.dumps(mutant))
    return path
