"""Parameters, Conditions and intrinsic functions of a CloudFormation template.

The evaluator knows nothing about AWS services: the deployer hands it the physical ids and
attributes of the resources created so far, and asks it to resolve each resource's properties
just before creating that resource.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any


class TemplateError(ValueError):
    """The template or its parameter values are wrong; the message says where."""


class _NoValue:
    """`Ref: AWS::NoValue`: the property it stands in is removed."""

    def __repr__(self) -> str:
        return "AWS::NoValue"


NO_VALUE = _NoValue()

LIST_TYPES = ("CommaDelimitedList", "List<")
# `${Name}` or `${Resource.Attribute}`; `${!Literal}` is written out as `${Literal}`.
SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")


@dataclass(frozen=True)
class Pseudo:
    """The pseudo parameters of one stack."""

    account_id: str
    region: str
    stack_name: str
    stack_id: str
    partition: str = "aws"
    url_suffix: str = "amazonaws.com"

    def values(self) -> dict[str, Any]:
        return {"AWS::AccountId": self.account_id, "AWS::Region": self.region,
                "AWS::StackName": self.stack_name, "AWS::StackId": self.stack_id,
                "AWS::Partition": self.partition, "AWS::URLSuffix": self.url_suffix,
                "AWS::NotificationARNs": [], "AWS::NoValue": NO_VALUE}


# --- parameters ---------------------------------------------------------------------------------

def parameter_text(value: Any) -> str:
    """A parameter value as CloudFormation receives it: text (YAML may hand us a bool or int)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(parameter_text(item) for item in value)
    return str(value)


def resolve_parameters(declared: Mapping[str, Any], given: Mapping[str, str]) -> dict[str, Any]:
    """Each declared parameter's value (given, else its Default), checked against its
    constraints. List types become lists of text; everything else stays text."""
    unknown = sorted(set(given) - set(declared))
    if unknown:
        raise TemplateError(f"parameters {unknown} do not exist in the template "
                            f"(declared: {sorted(declared)})")
    values: dict[str, Any] = {}
    for name, spec in declared.items():
        spec = spec or {}
        if name in given:
            raw = parameter_text(given[name])
        elif "Default" in spec:
            raw = parameter_text(spec["Default"])
        else:
            raise TemplateError(f"parameter {name!r} has no Default and no value was given")
        kind = str(spec.get("Type", "String"))
        if kind.startswith(LIST_TYPES):
            items = [part.strip() for part in raw.split(",")] if raw else [""]
            for item in items:
                _check_parameter(name, spec, kind, item)
            values[name] = items
        else:
            _check_parameter(name, spec, kind, raw)
            values[name] = raw
    return values


def _check_parameter(name: str, spec: Mapping[str, Any], kind: str, value: str) -> None:
    allowed = spec.get("AllowedValues")
    if allowed is not None and value not in [parameter_text(item) for item in allowed]:
        raise TemplateError(f"parameter {name!r}: {value!r} is not one of the AllowedValues "
                            f"{[parameter_text(item) for item in allowed]}")
    pattern = spec.get("AllowedPattern")
    if pattern is not None and re.fullmatch(str(pattern), value) is None:
        description = spec.get("ConstraintDescription") or f"must match {pattern!r}"
        raise TemplateError(f"parameter {name!r}: {value!r} {description}")
    if "MinLength" in spec and len(value) < int(spec["MinLength"]):
        raise TemplateError(f"parameter {name!r}: {value!r} is shorter than "
                            f"MinLength {spec['MinLength']}")
    if "MaxLength" in spec and len(value) > int(spec["MaxLength"]):
        raise TemplateError(f"parameter {name!r}: {value!r} is longer than "
                            f"MaxLength {spec['MaxLength']}")
    if kind in ("Number", "List<Number>"):
        try:
            number = float(value)
        except ValueError:
            raise TemplateError(f"parameter {name!r}: {value!r} is not a Number") from None
        if "MinValue" in spec and number < float(spec["MinValue"]):
            raise TemplateError(f"parameter {name!r}: {value} is below MinValue "
                                f"{spec['MinValue']}")
        if "MaxValue" in spec and number > float(spec["MaxValue"]):
            raise TemplateError(f"parameter {name!r}: {value} is above MaxValue "
                                f"{spec['MaxValue']}")


# --- references between resources ------------------------------------------------------------

def referenced_names(node: Any) -> set[str]:
    """Every name a value refers to through Ref, Fn::GetAtt or Fn::Sub (resources, parameters
    and pseudo parameters alike; the caller keeps the resources)."""
    found: set[str] = set()
    _collect_references(node, found)
    return found


def _collect_references(node: Any, found: set[str]) -> None:
    if isinstance(node, list):
        for item in node:
            _collect_references(item, found)
        return
    if not isinstance(node, dict):
        return
    if len(node) == 1:
        (function, argument), = node.items()
        if function == "Ref" and isinstance(argument, str):
            found.add(argument)
            return
        if function == "Fn::GetAtt":
            target = argument.split(".", 1)[0] if isinstance(argument, str) else \
                literal_name(argument[0])
            if isinstance(target, str):
                found.add(target)
            _collect_references(argument, found)
            return
        if function == "Fn::Sub":
            text, variables = (argument, {}) if isinstance(argument, str) else (
                argument[0], argument[1] if len(argument) > 1 else {})
            if isinstance(text, str):
                for match in SUB_VARIABLE.finditer(text):
                    name = match.group(1)
                    if not name.startswith("!") and name not in variables:
                        found.add(name.split(".", 1)[0])
            _collect_references(variables, found)
            return
    for value in node.values():
        _collect_references(value, found)


def literal_name(node: Any) -> Any:
    """`!Sub "Rule${Item}"` once a loop replaced the item holds no variable left: the name."""
    if isinstance(node, dict) and set(node) == {"Fn::Sub"} and isinstance(node["Fn::Sub"], str) \
            and not SUB_VARIABLE.search(node["Fn::Sub"]):
        return node["Fn::Sub"]
    return node


# --- evaluation -------------------------------------------------------------------------------

@dataclass
class Evaluator:
    """Resolves intrinsic functions against parameters, conditions and created resources.

    `physical_ids` and `attributes` are filled by the deployer as resources are created; a
    reference to a resource absent from them is an error naming it.
    """

    parameters: Mapping[str, Any]
    pseudo: Pseudo
    mappings: Mapping[str, Any] = field(default_factory=dict)
    conditions: Mapping[str, Any] = field(default_factory=dict)
    physical_ids: dict[str, str] = field(default_factory=dict)
    attributes: dict[str, dict[str, Any]] = field(default_factory=dict)
    resource_types: dict[str, str] = field(default_factory=dict)
    import_value: Callable[[str], Any] | None = None
    _condition_values: dict[str, bool] = field(default_factory=dict)

    # conditions

    def condition(self, name: str) -> bool:
        if name not in self._condition_values:
            if name not in self.conditions:
                raise TemplateError(f"condition {name!r} is not defined in Conditions")
            self._condition_values[name] = None  # type: ignore[assignment]  # cycle marker
            value = self.resolve(self.conditions[name], f"Conditions.{name}")
            if not isinstance(value, bool):
                raise TemplateError(f"Conditions.{name} must be true or false, got {value!r}")
            self._condition_values[name] = value
        value = self._condition_values[name]
        if value is None:
            raise TemplateError(f"condition {name!r} refers to itself")
        return value

    # values

    def resolve(self, node: Any, where: str) -> Any:
        if isinstance(node, list):
            return [item for item in (self.resolve(part, where) for part in node)
                    if item is not NO_VALUE]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            (key, argument), = node.items()
            handler = self._functions().get(key)
            # A policy statement's `Condition` block is data; the function takes a name.
            if handler is not None and not (key == "Condition" and not isinstance(argument, str)):
                return handler(argument, f"{where}.{key}")
        return {key: value for key, value in
                ((key, self.resolve(value, f"{where}.{key}")) for key, value in node.items())
                if value is not NO_VALUE}

    def _functions(self) -> dict[str, Callable[[Any, str], Any]]:
        return {
            "Ref": self._ref, "Fn::GetAtt": self._get_att, "Fn::Sub": self._sub,
            "Fn::Join": self._join, "Fn::Select": self._select, "Fn::Split": self._split,
            "Fn::If": self._if, "Fn::Equals": self._equals, "Fn::Not": self._not,
            "Fn::And": self._and, "Fn::Or": self._or, "Condition": self._condition_function,
            "Fn::FindInMap": self._find_in_map, "Fn::ToJsonString": self._to_json_string,
            "Fn::Length": self._length, "Fn::Base64": self._base64,
            "Fn::GetAZs": self._get_azs, "Fn::ImportValue": self._import_value,
        }

    def ref(self, name: str, where: str) -> Any:
        if name in self.parameters:
            return self.parameters[name]
        pseudo = self.pseudo.values()
        if name in pseudo:
            return pseudo[name]
        if name in self.physical_ids:
            return self.physical_ids[name]
        if name in self.resource_types:
            raise TemplateError(f"{where}: resource {name!r} is not created (its Condition is "
                                "false, or it comes later in the order)")
        raise TemplateError(f"{where}: {name!r} is neither a parameter, a pseudo parameter "
                            "nor a resource")

    def get_att(self, resource: str, attribute: str, where: str) -> Any:
        if resource not in self.physical_ids:
            return self.ref(resource, where)  # raises the reason it is missing
        known = self.attributes.get(resource, {})
        if attribute not in known:
            raise TemplateError(
                f"{where}: {self.resource_types.get(resource, 'the resource')} {resource!r} "
                f"has no attribute {attribute!r} here (known: {sorted(known)})")
        return known[attribute]

    def _ref(self, argument: Any, where: str) -> Any:
        if not isinstance(argument, str):
            raise TemplateError(f"{where}: Ref takes a name")
        return self.ref(argument, where)

    def _get_att(self, argument: Any, where: str) -> Any:
        if isinstance(argument, str):
            argument = argument.split(".", 1)
        if not (isinstance(argument, list) and len(argument) == 2):
            raise TemplateError(f"{where}: Fn::GetAtt takes [Resource, Attribute]")
        resource = literal_name(argument[0])
        if not isinstance(resource, str):
            raise TemplateError(f"{where}: the resource of Fn::GetAtt must be a name")
        return self.get_att(resource, as_text(self.resolve(argument[1], where)), where)

    def _sub(self, argument: Any, where: str) -> str:
        variables: dict[str, Any] = {}
        if isinstance(argument, str):
            text = argument
        elif isinstance(argument, list) and len(argument) in (1, 2):
            text = argument[0]
            variables = self.resolve(argument[1], where) if len(argument) == 2 else {}
        else:
            raise TemplateError(f"{where}: Fn::Sub takes a string or [string, {{variables}}]")
        if not isinstance(text, str):
            raise TemplateError(f"{where}: the Fn::Sub template must be a string")

        def substitute(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in variables:
                return as_text(variables[name])
            if "." in name and name.split(".", 1)[0] not in self.parameters:
                resource, attribute = name.split(".", 1)
                return as_text(self.get_att(resource, attribute, where))
            return as_text(self.ref(name, where))

        return SUB_VARIABLE.sub(substitute, text)

    def _join(self, argument: Any, where: str) -> str:
        if not (isinstance(argument, list) and len(argument) == 2):
            raise TemplateError(f"{where}: Fn::Join takes [delimiter, [values]]")
        delimiter, values = argument[0], self.resolve(argument[1], where)
        if not isinstance(values, list):
            raise TemplateError(f"{where}: Fn::Join needs a list, got {values!r}")
        return str(delimiter).join(as_text(value) for value in values)

    def _select(self, argument: Any, where: str) -> Any:
        if not (isinstance(argument, list) and len(argument) == 2):
            raise TemplateError(f"{where}: Fn::Select takes [index, [values]]")
        index, values = self.resolve(argument[0], where), self.resolve(argument[1], where)
        if not isinstance(values, list):
            raise TemplateError(f"{where}: Fn::Select needs a list, got {values!r}")
        try:
            return values[int(index)]
        except (IndexError, ValueError):
            raise TemplateError(f"{where}: index {index!r} is outside {values!r}") from None

    def _split(self, argument: Any, where: str) -> list[str]:
        if not (isinstance(argument, list) and len(argument) == 2):
            raise TemplateError(f"{where}: Fn::Split takes [delimiter, string]")
        text = self.resolve(argument[1], where)
        return as_text(text).split(str(argument[0]))

    def _if(self, argument: Any, where: str) -> Any:
        if not (isinstance(argument, list) and len(argument) == 3):
            raise TemplateError(f"{where}: Fn::If takes [condition, value if true, if false]")
        chosen = argument[1] if self.condition(str(argument[0])) else argument[2]
        return self.resolve(chosen, where)  # only the chosen branch is evaluated

    def _equals(self, argument: Any, where: str) -> bool:
        if not (isinstance(argument, list) and len(argument) == 2):
            raise TemplateError(f"{where}: Fn::Equals takes [value, value]")
        left, right = (self.resolve(value, where) for value in argument)
        return _comparable(left) == _comparable(right)

    def _booleans(self, argument: Any, where: str) -> list[bool]:
        if not isinstance(argument, list):
            raise TemplateError(f"{where}: takes a list of conditions")
        values = [self.resolve(value, where) for value in argument]
        if not all(isinstance(value, bool) for value in values):
            raise TemplateError(f"{where}: every operand must be a condition, got {values!r}")
        return values

    def _not(self, argument: Any, where: str) -> bool:
        values = self._booleans(argument, where)
        if len(values) != 1:
            raise TemplateError(f"{where}: Fn::Not takes exactly one condition")
        return not values[0]

    def _and(self, argument: Any, where: str) -> bool:
        return all(self._booleans(argument, where))

    def _or(self, argument: Any, where: str) -> bool:
        return any(self._booleans(argument, where))

    def _condition_function(self, argument: Any, where: str) -> bool:
        return self.condition(str(argument))

    def _find_in_map(self, argument: Any, where: str) -> Any:
        if not (isinstance(argument, list) and len(argument) in (3, 4)):
            raise TemplateError(f"{where}: Fn::FindInMap takes [map, top key, second key]")
        names = [as_text(self.resolve(part, where)) for part in argument[:3]]
        try:
            return self.mappings[names[0]][names[1]][names[2]]
        except (KeyError, TypeError):
            if len(argument) == 4 and isinstance(argument[3], dict) \
                    and "DefaultValue" in argument[3]:  # a LanguageExtensions default
                return self.resolve(argument[3]["DefaultValue"], where)
            raise TemplateError(f"{where}: Mappings has no {'/'.join(names)}") from None

    def _to_json_string(self, argument: Any, where: str) -> str:
        return json.dumps(self.resolve(argument, where), separators=(",", ":"))

    def _length(self, argument: Any, where: str) -> int:
        values = self.resolve(argument, where)
        if not isinstance(values, list):
            raise TemplateError(f"{where}: Fn::Length needs a list")
        return len(values)

    def _base64(self, argument: Any, where: str) -> str:
        return base64.b64encode(as_text(self.resolve(argument, where)).encode()).decode()

    def _get_azs(self, argument: Any, where: str) -> list[str]:
        return [f"{self.pseudo.region}{zone}" for zone in "abc"]

    def _import_value(self, argument: Any, where: str) -> Any:
        name = as_text(self.resolve(argument, where))
        if self.import_value is None:
            raise TemplateError(f"{where}: Fn::ImportValue is not available here")
        return self.import_value(name)


def as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(as_text(item) for item in value)
    if isinstance(value, dict):
        return json.dumps(value)
    return str(value)


def _comparable(value: Any) -> Any:
    return [as_text(item) for item in value] if isinstance(value, list) else as_text(value)


def order_by_references(resources: Mapping[str, Mapping[str, Any]],
                        active: Iterable[str]) -> list[str]:
    """Active resources, each after those it refers to or DependsOn (template order otherwise)."""
    active_ids = [name for name in resources if name in set(active)]
    wanted = set(active_ids)
    needs: dict[str, set[str]] = {}
    for name in active_ids:
        resource = resources[name]
        depends = resource.get("DependsOn", [])
        depends = [depends] if isinstance(depends, str) else list(depends)
        for dependency in depends:
            if dependency not in resources:
                raise TemplateError(f"Resources.{name}.DependsOn: {dependency!r} is not a "
                                    "resource")
        references = referenced_names({key: value for key, value in resource.items()
                                       if key != "DependsOn"})
        needs[name] = {other for other in (*references, *depends)
                       if other in wanted and other != name}
    ordered: list[str] = []
    done: set[str] = set()
    while len(ordered) < len(active_ids):
        ready = [name for name in active_ids if name not in done and needs[name] <= done]
        if not ready:
            stuck = sorted(name for name in active_ids if name not in done)
            raise TemplateError(f"circular dependency between resources {stuck}")
        ordered.extend(ready)
        done.update(ready)
    return ordered
