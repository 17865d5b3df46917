"""Deploy our SAM template into an account of the local cloud, resource by resource.

moto's own CloudFormation drops or breaks several resource types we use (bus policies,
EventInvokeConfig, DefinitionSubstitutions, ...), so this module plays CloudFormation's part:
translate the template offline (`sam_translate`), evaluate it (`intrinsics`), then create each
resource through the ordinary AWS API of the session's account, in dependency order.

    stack = deploy(session, Path("template.yaml"), "model-copy-target", {"Side": "target"},
                   state_dir)
    stack.outputs["EventBusArn"]; delete(session, "model-copy-target", state_dir)

The engine is here; how each resource type is created and deleted is in `providers/`, one
module per service, sharing `resources` (the context, `Created`, property helpers).

Each stack is recorded in `<state_dir>/stacks/<account>-<stack>.json`; deploying a recorded
stack again deletes it first, so redeploying is always safe (it keeps its stack id and creation
time and becomes UPDATE_COMPLETE, as an updated stack does). These records are the one account
of what is deployed: `model-copy local status` and the local cloud's CloudFormation API
(`local_cloud.services.cloudformation`) read them.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from local_cloud.cloudformation.intrinsics import (
    Evaluator,
    Pseudo,
    TemplateError,
    as_text,
    order_by_references,
)
from local_cloud.cloudformation.providers import HANDLERS
from local_cloud.cloudformation.resources import Context, Created, DeployError
from local_cloud.cloudformation.sam_translate import ArtifactStore, translate_template

LOG = logging.getLogger(__name__)


ARTIFACT_BUCKET = "model-copy-local-artifacts-{account}"


STACK_NAME = re.compile(r"[A-Za-z][-A-Za-z0-9]{0,127}")


# Error codes meaning "already gone": deleting then counts as done (e.g. after a restart of
# the local cloud, whose state is in memory only, the recorded resources no longer exist).
GONE = ("NotFound", "NoSuch", "NonExistent", "DoesNotExist", "ParameterNotFound")


class StackNotFoundError(DeployError):
    pass


@dataclass
class Stack:
    name: str
    account: str
    region: str
    stack_id: str
    resources: dict[str, str]  # logical id -> physical id, as Ref returns it
    outputs: dict[str, Any]
    parameters: dict[str, str]
    resource_types: dict[str, str] = field(default_factory=dict)
    exports: dict[str, Any] = field(default_factory=dict)
    template: str = ""  # the template file deployed
    # What the deployment passed (as `sam deploy --parameter-overrides`); the rest of
    # `parameters` are the template's defaults.
    parameter_overrides: dict[str, str] = field(default_factory=dict)
    # What DescribeStacks tells besides: CREATE_COMPLETE, or UPDATE_COMPLETE once redeployed;
    # times in ISO 8601 (UTC); the template's Description; per output its Description and
    # ExportName, where it has them.
    status: str = "CREATE_COMPLETE"
    created_at: str = ""
    updated_at: str = ""
    description: str = ""
    output_details: dict[str, dict[str, str]] = field(default_factory=dict)


def deploy(session: boto3.Session, template_path: Path, stack_name: str,
           parameters: Mapping[str, str], state_dir: Path) -> Stack:
    """Create (or replace) a stack from the template; returns it with its outputs."""
    if not STACK_NAME.fullmatch(stack_name):
        raise DeployError(f"stack name {stack_name!r} must start with a letter and hold only "
                          "letters, digits and hyphens (at most 128)")
    context = Context(session, stack_name)
    previous = _state_file(state_dir, context.account, stack_name)
    replaced = _read_stack(previous) if previous.exists() else None
    if replaced is not None:
        delete(session, stack_name, state_dir)
    template_path = template_path.resolve()
    store = ArtifactStore(context.client("s3"), ARTIFACT_BUCKET.format(account=context.account),
                          prefix=stack_name)
    translated = translate_template(template_path, parameters, store, context.region)
    return _create_stack(context, translated.template, translated.values, translated.texts,
                         state_dir,
                         origin=(str(template_path), dict(parameters)), replaced=replaced)


def describe(session: boto3.Session, stack_name: str, state_dir: Path) -> Stack:
    account = _account_of(session)
    path = _state_file(state_dir, account, stack_name)
    if not path.exists():
        raise StackNotFoundError(f"stack {stack_name!r} is not deployed in account {account}")
    return _read_stack(path)


def recorded_stacks(state_dir: Path) -> list[Stack]:
    """Every stack deployed into the local cloud of `state_dir`, by account and name."""
    return [_read_stack(path) for path in sorted((state_dir / "stacks").glob("*.json"))]


def _read_stack(path: Path) -> Stack:
    stack = Stack(**json.loads(path.read_text())["stack"])
    if not stack.created_at:  # recorded before creation times were: the file's time
        stack.created_at = _iso(datetime.fromtimestamp(path.stat().st_mtime, UTC))
    return stack


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds")


def delete(session: boto3.Session, stack_name: str, state_dir: Path) -> bool:
    """Delete the recorded resources in reverse creation order; False if nothing recorded."""
    context = Context(session, stack_name)
    path = _state_file(state_dir, context.account, stack_name)
    if not path.exists():
        return False
    record = json.loads(path.read_text())
    failures = _delete_resources(context, record["created"])
    if failures:
        raise DeployError(f"stack {stack_name!r}: could not delete " + "; ".join(failures))
    path.unlink()
    return True


def _create_stack(context: Context, template: dict[str, Any], values: dict[str, Any],
                  texts: dict[str, str], state_dir: Path,
                  origin: tuple[str, dict[str, str]] = ("", {}),
                  replaced: Stack | None = None) -> Stack:
    resources: dict[str, Any] = template.get("Resources") or {}
    if not resources:
        raise TemplateError("the template has no Resources")
    now = _iso(datetime.now(UTC))
    stack_id = (replaced.stack_id if replaced else
                f"arn:aws:cloudformation:{context.region}:{context.account}:stack/"
                f"{context.stack_name}/{uuid.uuid4()}")
    evaluator = Evaluator(
        parameters=values,
        pseudo=Pseudo(context.account, context.region, context.stack_name, stack_id),
        mappings=template.get("Mappings") or {}, conditions=template.get("Conditions") or {},
        resource_types={name: str(spec.get("Type")) for name, spec in resources.items()},
        import_value=lambda name: _import_value(state_dir, context.account, name))
    _check_rules(template.get("Rules") or {}, evaluator)
    active = [name for name, spec in resources.items()
              if "Condition" not in spec or evaluator.condition(str(spec["Condition"]))]
    unknown = sorted({str(resources[name].get("Type")) for name in active} - set(HANDLERS))
    if unknown:
        raise TemplateError(f"the local cloud cannot create resource types {unknown} "
                            f"(supported: {sorted(HANDLERS)})")
    stack = Stack(name=context.stack_name, account=context.account, region=context.region,
                  stack_id=stack_id, resources={}, outputs={}, parameters=texts,
                  resource_types={name: str(resources[name]["Type"]) for name in active},
                  template=origin[0], parameter_overrides=origin[1],
                  status="UPDATE_COMPLETE" if replaced else "CREATE_COMPLETE",
                  created_at=replaced.created_at if replaced else now,
                  updated_at=now if replaced else "",
                  description=str(template.get("Description") or ""))
    path = _state_file(state_dir, context.account, context.stack_name)
    created: list[dict[str, Any]] = []
    try:
        for logical_id in order_by_references(resources, active):
            spec = resources[logical_id]
            kind = str(spec["Type"])
            properties = evaluator.resolve(spec.get("Properties") or {},
                                           f"Resources.{logical_id}.Properties")
            result = _create_one(context, logical_id, kind, properties)
            evaluator.physical_ids[logical_id] = result.physical_id
            evaluator.attributes[logical_id] = result.attributes
            stack.resources[logical_id] = result.physical_id
            created.append({"logical_id": logical_id, "type": kind, **asdict(result)})
            _write_state(path, stack, created)  # a crash still leaves what to delete
        _resolve_outputs(template.get("Outputs") or {}, evaluator, stack)
    except (TemplateError, DeployError) as error:
        failures = _delete_resources(context, created)  # roll back, as CloudFormation does
        path.unlink(missing_ok=True)
        note = f" (rollback also failed: {'; '.join(failures)})" if failures else ""
        raise type(error)(f"stack {context.stack_name!r}: {error}{note}") from error
    _write_state(path, stack, created)
    return stack


def _check_rules(rules: Mapping[str, Any], evaluator: Evaluator) -> None:
    """The template's Rules, as CloudFormation checks them before creating anything: when a
    rule's condition holds, each assertion must hold, else the stack is refused with the
    assertion's description."""
    for name, rule in rules.items():
        where = f"Rules.{name}"
        if "RuleCondition" in rule and not evaluator.resolve(rule["RuleCondition"],
                                                               f"{where}.RuleCondition"):
            continue
        for index, assertion in enumerate(rule.get("Assertions") or []):
            if evaluator.resolve(assertion["Assert"], f"{where}.Assertions[{index}]") is not True:
                raise TemplateError(f"template rule {name} failed: "
                                    f"{assertion.get('AssertDescription', 'assertion false')}")


def _create_one(context: Context, logical_id: str, kind: str,
                properties: dict[str, Any]) -> Created:
    create, _ = HANDLERS[kind]
    try:
        return create(context, logical_id, properties)
    except (ClientError, BotoCoreError, KeyError, ValueError, TypeError) as error:
        raise DeployError(f"creating {logical_id} ({kind}) failed: {error}") from error


def _resolve_outputs(outputs: Mapping[str, Any], evaluator: Evaluator, stack: Stack) -> None:
    for name, output in outputs.items():
        if "Condition" in output and not evaluator.condition(str(output["Condition"])):
            continue
        value = evaluator.resolve(output.get("Value"), f"Outputs.{name}.Value")
        stack.outputs[name] = as_text(value)
        details = stack.output_details[name] = {}
        if "Description" in output:
            details["Description"] = as_text(evaluator.resolve(
                output["Description"], f"Outputs.{name}.Description"))
        if isinstance(output.get("Export"), dict):
            export = as_text(evaluator.resolve(output["Export"].get("Name"),
                                               f"Outputs.{name}.Export.Name"))
            stack.exports[export] = stack.outputs[name]
            details["ExportName"] = export


def _delete_resources(context: Context, created: list[dict[str, Any]]) -> list[str]:
    failures = []
    for record in reversed(created):
        _, remove = HANDLERS.get(record["type"], (None, None))
        if remove is None:
            continue
        try:
            remove(context, record["physical_id"], record["teardown"])
        except ClientError as error:
            if not any(part in error.response["Error"]["Code"] for part in GONE):
                failures.append(f"{record['logical_id']} ({record['type']}): {error}")
        except BotoCoreError as error:
            failures.append(f"{record['logical_id']} ({record['type']}): {error}")
    return failures


def _state_file(state_dir: Path, account: str, stack_name: str) -> Path:
    return state_dir / "stacks" / f"{account}-{stack_name}.json"


def _write_state(path: Path, stack: Stack, created: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"stack": asdict(stack), "created": created}, indent=1))


def _import_value(state_dir: Path, account: str, name: str) -> Any:
    for path in sorted((state_dir / "stacks").glob(f"{account}-*.json")):
        exports = json.loads(path.read_text())["stack"].get("exports", {})
        if name in exports:
            return exports[name]
    raise TemplateError(f"Fn::ImportValue: no stack of account {account} exports {name!r}")


def _account_of(session: boto3.Session) -> str:
    return str(session.client("sts").get_caller_identity()["Account"])

