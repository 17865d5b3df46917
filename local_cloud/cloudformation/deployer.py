"""Deploy our SAM template into an account of the local cloud, resource by resource.

moto's own CloudFormation drops or breaks several resource types we use (bus policies,
EventInvokeConfig, DefinitionSubstitutions, ...), so this module plays CloudFormation's part:
translate the template offline (`sam_translate`), evaluate it (`intrinsics`), then create each
resource through the ordinary AWS API of the session's account, in dependency order.

    stack = deploy(session, Path("template.yaml"), "model-copy", {"Role": "target"}, state_dir)
    stack.outputs["ImportFunctionArn"]; delete(session, "model-copy", state_dir)

Each stack is recorded in `<state_dir>/stacks/<account>-<stack>.json`; deploying a recorded
stack again deletes it first, so redeploying is always safe.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import re
import uuid
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
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
    parameter_text,
    resolve_parameters,
)
from local_cloud.cloudformation.sam_translate import (
    ArtifactStore,
    expand_for_each,
    load_template,
    package_local_artifacts,
    translate_serverless,
)

LOG = logging.getLogger(__name__)

ARTIFACT_BUCKET = "model-copy-local-artifacts-{account}"
STACK_NAME = re.compile(r"[A-Za-z][-A-Za-z0-9]{0,127}")
# Error codes meaning "already gone": deleting then counts as done (e.g. after a restart of
# the local cloud, whose state is in memory only, the recorded resources no longer exist).
GONE = ("NotFound", "NoSuch", "NonExistent", "DoesNotExist", "ParameterNotFound")


class DeployError(RuntimeError):
    """A stack could not be deployed or deleted; the message names the resource."""


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


@dataclass
class Created:
    """What creating one resource produced: its Ref value, its GetAtt attributes and what
    deleting it needs later."""

    physical_id: str
    attributes: dict[str, Any] = field(default_factory=dict)
    teardown: dict[str, Any] = field(default_factory=dict)


# --- public API ---------------------------------------------------------------------------------

def deploy(session: boto3.Session, template_path: Path, stack_name: str,
           parameters: Mapping[str, str], state_dir: Path) -> Stack:
    """Create (or replace) a stack from the template; returns it with its outputs."""
    if not STACK_NAME.fullmatch(stack_name):
        raise DeployError(f"stack name {stack_name!r} must start with a letter and hold only "
                          "letters, digits and hyphens (at most 128)")
    context = _Context(session, stack_name)
    if _state_file(state_dir, context.account, stack_name).exists():
        delete(session, stack_name, state_dir)
    template_path = template_path.resolve()
    raw = load_template(template_path)
    values = resolve_parameters(raw.get("Parameters") or {}, parameters)
    template = expand_for_each(raw, values)
    store = ArtifactStore(context.client("s3"), ARTIFACT_BUCKET.format(account=context.account),
                          prefix=stack_name)
    template = package_local_artifacts(template, template_path.parent, store)
    texts = {name: parameter_text(value) for name, value in values.items()}
    template = translate_serverless(template, texts, context.region)
    return _create_stack(context, template, values, texts, state_dir,
                         origin=(str(template_path), dict(parameters)))


def describe(session: boto3.Session, stack_name: str, state_dir: Path) -> Stack:
    account = _account_of(session)
    path = _state_file(state_dir, account, stack_name)
    if not path.exists():
        raise StackNotFoundError(f"stack {stack_name!r} is not deployed in account {account}")
    record = json.loads(path.read_text())
    return Stack(**record["stack"])


def recorded_stacks(state_dir: Path) -> list[Stack]:
    """Every stack deployed into the local cloud of `state_dir`, by account and name."""
    return [Stack(**json.loads(path.read_text())["stack"])
            for path in sorted((state_dir / "stacks").glob("*.json"))]


def delete(session: boto3.Session, stack_name: str, state_dir: Path) -> bool:
    """Delete the recorded resources in reverse creation order; False if nothing recorded."""
    context = _Context(session, stack_name)
    path = _state_file(state_dir, context.account, stack_name)
    if not path.exists():
        return False
    record = json.loads(path.read_text())
    failures = _delete_resources(context, record["created"])
    if failures:
        raise DeployError(f"stack {stack_name!r}: could not delete " + "; ".join(failures))
    path.unlink()
    return True


# --- the stack ------------------------------------------------------------------------------

def _create_stack(context: _Context, template: dict[str, Any], values: dict[str, Any],
                  texts: dict[str, str], state_dir: Path,
                  origin: tuple[str, dict[str, str]] = ("", {})) -> Stack:
    resources: dict[str, Any] = template.get("Resources") or {}
    if not resources:
        raise TemplateError("the template has no Resources")
    stack_id = (f"arn:aws:cloudformation:{context.region}:{context.account}:stack/"
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
                  template=origin[0], parameter_overrides=origin[1])
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


def _create_one(context: _Context, logical_id: str, kind: str,
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
        if isinstance(output.get("Export"), dict):
            export = as_text(evaluator.resolve(output["Export"].get("Name"),
                                               f"Outputs.{name}.Export.Name"))
            stack.exports[export] = stack.outputs[name]


def _delete_resources(context: _Context, created: list[dict[str, Any]]) -> list[str]:
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


class _Context:
    """The account, Region and clients one deployment works with."""

    def __init__(self, session: boto3.Session, stack_name: str) -> None:
        self.session = session
        self.stack_name = stack_name
        self.region = session.region_name or "us-east-1"
        self._clients: dict[str, Any] = {}
        self.account = str(self.client("sts").get_caller_identity()["Account"])

    def client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = self.session.client(service, region_name=self.region)
        return self._clients[service]

    def generated_name(self, logical_id: str, limit: int, suffix: str = "") -> str:
        """`<stack>-<LogicalId>-<RANDOM>` as CloudFormation names resources, within `limit`."""
        tail = f"-{uuid.uuid4().hex[:12].upper()}{suffix}"
        return f"{self.stack_name}-{logical_id}"[: limit - len(tail)] + tail

    def arn(self, service: str, resource: str) -> str:
        return f"arn:aws:{service}:{self.region}:{self.account}:{resource}"


# --- helpers for properties ------------------------------------------------------------------

def _pick(properties: Mapping[str, Any], *keys: str) -> dict[str, Any]:
    return {key: properties[key] for key in keys if key in properties}


def _json(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _ints(values: Mapping[str, Any], *keys: str) -> dict[str, Any]:
    """Numbers reach us as text when they come from parameters; the APIs want numbers."""
    return {key: (int(value) if key in keys else value) for key, value in values.items()}


def _tag_map(tags: Any) -> dict[str, str]:
    if isinstance(tags, dict):
        return {str(key): as_text(value) for key, value in tags.items()}
    return {str(tag["Key"]): as_text(tag["Value"]) for tag in tags or []}


def _tag_list(tags: Any) -> list[dict[str, str]]:
    return [{"Key": key, "Value": value} for key, value in _tag_map(tags).items()]


def _bool(value: Any) -> bool:
    return value is True or str(value).lower() == "true"


# Settings with no local meaning (logs go to the server's log anyway): a note, not a warning.
LOCALLY_MEANINGLESS = {"LoggingConfig", "LoggingConfiguration", "TracingConfig"}


def _not_supported(logical_id: str, kind: str, properties: Mapping[str, Any],
                   *keys: str) -> None:
    for key in keys:
        if key in properties:
            log = LOG.info if key in LOCALLY_MEANINGLESS else LOG.warning
            log("%s (%s): %s is ignored by the local cloud", logical_id, kind, key)


# --- IAM ------------------------------------------------------------------------------------

def _policy_document(document: Any) -> str:
    """IAM takes a document without Version (SAM's policy templates omit it); moto refuses
    one, so the current version is added."""
    if isinstance(document, dict) and "Version" not in document:
        document = {"Version": "2012-10-17", **document}
    return _json(document)


def _create_role(context: _Context, logical_id: str, properties: dict[str, Any]) -> Created:
    iam = context.client("iam")
    name = properties.get("RoleName") or context.generated_name(logical_id, 64)
    extra = _pick(properties, "Path", "Description", "PermissionsBoundary")
    if "MaxSessionDuration" in properties:
        extra["MaxSessionDuration"] = int(properties["MaxSessionDuration"])
    if properties.get("Tags"):
        extra["Tags"] = _tag_list(properties["Tags"])
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=_policy_document(
        properties["AssumeRolePolicyDocument"]), **extra)["Role"]
    for policy in properties.get("Policies", []):
        iam.put_role_policy(RoleName=name, PolicyName=policy["PolicyName"],
                            PolicyDocument=_policy_document(policy["PolicyDocument"]))
    attached = []
    for policy_arn in properties.get("ManagedPolicyArns", []):
        try:
            iam.attach_role_policy(RoleName=name, PolicyArn=policy_arn)
            attached.append(policy_arn)
        except ClientError as error:
            # moto knows AWS managed policies only when its server runs with
            # MOTO_IAM_LOAD_MANAGED_POLICIES=true; permissions are not enforced anyway.
            log = LOG.info if policy_arn.startswith("arn:aws:iam::aws:policy/") else LOG.warning
            log("%s: managed policy %s not attached: %s", logical_id, policy_arn, error)
    return Created(name, {"Arn": role["Arn"], "RoleId": role["RoleId"]},
                   {"managed": attached,
                    "inline": [policy["PolicyName"] for policy in properties.get("Policies", [])]})


def _delete_role(context: _Context, name: str, teardown: dict[str, Any]) -> None:
    iam = context.client("iam")
    for policy_arn in teardown.get("managed", []):
        with contextlib.suppress(ClientError):
            iam.detach_role_policy(RoleName=name, PolicyArn=policy_arn)
    for policy_name in teardown.get("inline", []):
        with contextlib.suppress(ClientError):
            iam.delete_role_policy(RoleName=name, PolicyName=policy_name)
    iam.delete_role(RoleName=name)


def _create_policy(context: _Context, logical_id: str, properties: dict[str, Any]) -> Created:
    iam = context.client("iam")
    document = _policy_document(properties["PolicyDocument"])
    name = properties["PolicyName"]
    for role in properties.get("Roles", []):
        iam.put_role_policy(RoleName=role, PolicyName=name, PolicyDocument=document)
    for user in properties.get("Users", []):
        iam.put_user_policy(UserName=user, PolicyName=name, PolicyDocument=document)
    for group in properties.get("Groups", []):
        iam.put_group_policy(GroupName=group, PolicyName=name, PolicyDocument=document)
    return Created(context.generated_name(logical_id, 128), {},
                   {"name": name, "roles": properties.get("Roles", []),
                    "users": properties.get("Users", []), "groups": properties.get("Groups", [])})


def _delete_policy(context: _Context, _: str, teardown: dict[str, Any]) -> None:
    iam = context.client("iam")
    for role in teardown["roles"]:
        iam.delete_role_policy(RoleName=role, PolicyName=teardown["name"])
    for user in teardown["users"]:
        iam.delete_user_policy(UserName=user, PolicyName=teardown["name"])
    for group in teardown["groups"]:
        iam.delete_group_policy(GroupName=group, PolicyName=teardown["name"])


def _create_managed_policy(context: _Context, logical_id: str,
                           properties: dict[str, Any]) -> Created:
    iam = context.client("iam")
    name = properties.get("ManagedPolicyName") or context.generated_name(logical_id, 128)
    policy = iam.create_policy(
        PolicyName=name, PolicyDocument=_policy_document(properties["PolicyDocument"]),
        **_pick(properties, "Path", "Description"))["Policy"]
    for role in properties.get("Roles", []):
        iam.attach_role_policy(RoleName=role, PolicyArn=policy["Arn"])
    return Created(policy["Arn"], {"PolicyArn": policy["Arn"], "PolicyId": policy["PolicyId"]},
                   {"roles": properties.get("Roles", [])})


def _delete_managed_policy(context: _Context, arn: str, teardown: dict[str, Any]) -> None:
    iam = context.client("iam")
    for role in teardown["roles"]:
        with contextlib.suppress(ClientError):
            iam.detach_role_policy(RoleName=role, PolicyArn=arn)
    iam.delete_policy(PolicyArn=arn)


# --- Lambda ---------------------------------------------------------------------------------

def _function_code(properties: Mapping[str, Any]) -> dict[str, Any]:
    code = properties["Code"]
    if "ZipFile" in code:  # inline source: CloudFormation stores it as index.<ext>
        extension = "js" if str(properties.get("Runtime", "")).startswith("nodejs") else "py"
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr(f"index.{extension}", code["ZipFile"])
        return {"ZipFile": buffer.getvalue()}
    return _pick(code, "S3Bucket", "S3Key", "S3ObjectVersion", "ImageUri")


def _create_function(context: _Context, logical_id: str, properties: dict[str, Any]) -> Created:
    kind = "AWS::Lambda::Function"
    _not_supported(logical_id, kind, properties, "Layers", "VpcConfig", "FileSystemConfigs",
                   "LoggingConfig", "SnapStart", "CodeSigningConfigArn")
    name = properties.get("FunctionName") or context.generated_name(logical_id, 64)
    request = _ints(_pick(properties, "Runtime", "Role", "Handler", "Description", "Timeout",
                          "MemorySize", "Environment", "DeadLetterConfig", "Architectures",
                          "TracingConfig", "KmsKeyArn", "PackageType", "EphemeralStorage",
                          "ImageConfig"), "Timeout", "MemorySize")
    if "KmsKeyArn" in request:
        request["KMSKeyArn"] = request.pop("KmsKeyArn")
    if "Environment" in request:  # the API wants every variable as text
        variables = request["Environment"].get("Variables", {})
        request["Environment"] = {"Variables": {key: as_text(value)
                                                for key, value in variables.items()}}
    if properties.get("Tags"):
        request["Tags"] = _tag_map(properties["Tags"])
    function = context.client("lambda").create_function(
        FunctionName=name, Code=_function_code(properties), **request)
    if "ReservedConcurrentExecutions" in properties:
        context.client("lambda").put_function_concurrency(
            FunctionName=name,
            ReservedConcurrentExecutions=int(properties["ReservedConcurrentExecutions"]))
    return Created(name, {"Arn": function["FunctionArn"]})


def _delete_function(context: _Context, name: str, _: dict[str, Any]) -> None:
    context.client("lambda").delete_function(FunctionName=name)


def _create_permission(context: _Context, logical_id: str,
                       properties: dict[str, Any]) -> Created:
    statement_id = context.generated_name(logical_id, 100)
    context.client("lambda").add_permission(
        StatementId=statement_id,
        **_pick(properties, "FunctionName", "Action", "Principal", "SourceArn", "SourceAccount",
                "EventSourceToken", "PrincipalOrgID", "FunctionUrlAuthType"))
    return Created(statement_id, {}, {"function": properties["FunctionName"]})


def _delete_permission(context: _Context, statement_id: str, teardown: dict[str, Any]) -> None:
    context.client("lambda").remove_permission(FunctionName=teardown["function"],
                                               StatementId=statement_id)


def _create_event_invoke_config(context: _Context, logical_id: str,
                                properties: dict[str, Any]) -> Created:
    request = _ints(_pick(properties, "FunctionName", "Qualifier", "MaximumRetryAttempts",
                          "MaximumEventAgeInSeconds", "DestinationConfig"),
                    "MaximumRetryAttempts", "MaximumEventAgeInSeconds")
    context.client("lambda").put_function_event_invoke_config(**request)
    qualifier = properties.get("Qualifier", "$LATEST")
    return Created(f"{properties['FunctionName']}|{qualifier}", {},
                   _pick(properties, "FunctionName", "Qualifier"))


def _delete_event_invoke_config(context: _Context, _: str, teardown: dict[str, Any]) -> None:
    context.client("lambda").delete_function_event_invoke_config(**teardown)


def _create_version(context: _Context, logical_id: str, properties: dict[str, Any]) -> Created:
    version = context.client("lambda").publish_version(
        **_pick(properties, "FunctionName", "Description"))
    arn = version["FunctionArn"]
    if not arn.endswith(f":{version['Version']}"):
        arn = f"{arn}:{version['Version']}"
    return Created(arn, {"Version": version["Version"], "FunctionArn": arn},
                   {"function": properties["FunctionName"], "version": version["Version"]})


def _delete_version(context: _Context, _: str, teardown: dict[str, Any]) -> None:
    context.client("lambda").delete_function(FunctionName=teardown["function"],
                                             Qualifier=teardown["version"])


def _create_alias(context: _Context, logical_id: str, properties: dict[str, Any]) -> Created:
    _not_supported(logical_id, "AWS::Lambda::Alias", properties, "RoutingConfig",
                   "ProvisionedConcurrencyConfig")
    alias = context.client("lambda").create_alias(
        **_pick(properties, "FunctionName", "Name", "FunctionVersion", "Description"))
    return Created(alias["AliasArn"], {"AliasArn": alias["AliasArn"]},
                   {"function": properties["FunctionName"], "name": properties["Name"]})


def _delete_alias(context: _Context, _: str, teardown: dict[str, Any]) -> None:
    context.client("lambda").delete_alias(FunctionName=teardown["function"],
                                          Name=teardown["name"])


# --- EventBridge ----------------------------------------------------------------------------

def _bus_name(name_or_arn: str) -> str:
    return name_or_arn.rsplit("/", 1)[-1] if name_or_arn.startswith("arn:") else name_or_arn


def _create_event_bus(context: _Context, logical_id: str, properties: dict[str, Any]) -> Created:
    events = context.client("events")
    name = properties["Name"]
    extra = _pick(properties, "EventSourceName", "Description", "KmsKeyIdentifier",
                  "DeadLetterConfig")
    if properties.get("Tags"):
        extra["Tags"] = _tag_list(properties["Tags"])
    arn = events.create_event_bus(Name=name, **extra)["EventBusArn"]
    policy = None
    if properties.get("Policy"):
        policy = _json(properties["Policy"])
        events.put_permission(EventBusName=name, Policy=policy)
    return Created(name, {"Arn": arn, "Name": name, "Policy": policy})


def _delete_event_bus(context: _Context, name: str, _: dict[str, Any]) -> None:
    context.client("events").delete_event_bus(Name=name)


def _create_event_bus_policy(context: _Context, logical_id: str,
                             properties: dict[str, Any]) -> Created:
    events = context.client("events")
    bus = _bus_name(properties.get("EventBusName", "default"))
    statement_id = properties["StatementId"]
    if "Statement" in properties:
        # One statement among others on the bus: merge it into the current policy.
        bus_arn = events.describe_event_bus(Name=bus)["Arn"]
        current = events.describe_event_bus(Name=bus).get("Policy")
        statements = [statement for statement in
                      (json.loads(current)["Statement"] if current else [])
                      if statement.get("Sid") != statement_id]
        statement = {"Sid": statement_id, "Resource": bus_arn, **properties["Statement"]}
        statements.append(statement)
        events.put_permission(EventBusName=bus, Policy=json.dumps(
            {"Version": "2012-10-17", "Statement": statements}))
    else:
        events.put_permission(EventBusName=bus, StatementId=statement_id,
                              Action=properties.get("Action", "events:PutEvents"),
                              Principal=properties["Principal"],
                              **_pick(properties, "Condition"))
    return Created(statement_id, {}, {"bus": bus})


def _delete_event_bus_policy(context: _Context, statement_id: str,
                             teardown: dict[str, Any]) -> None:
    context.client("events").remove_permission(EventBusName=teardown["bus"],
                                               StatementId=statement_id)


def _create_rule(context: _Context, logical_id: str, properties: dict[str, Any]) -> Created:
    events = context.client("events")
    name = properties.get("Name") or context.generated_name(logical_id, 64)
    bus = _bus_name(properties.get("EventBusName", "default"))
    request = _pick(properties, "ScheduleExpression", "Description", "RoleArn")
    if "EventPattern" in properties:
        request["EventPattern"] = _json(properties["EventPattern"])
    rule_arn = events.put_rule(Name=name, EventBusName=bus,
                               State=properties.get("State", "ENABLED"), **request)["RuleArn"]
    targets = [_target(target) for target in properties.get("Targets", [])]
    if targets:
        answer = events.put_targets(Rule=name, EventBusName=bus, Targets=targets)
        if answer.get("FailedEntryCount"):
            raise DeployError(f"{logical_id}: targets refused: {answer['FailedEntries']}")
    # CloudFormation's Ref of a rule on a custom bus is "<bus>|<rule>".
    physical_id = name if bus == "default" else f"{bus}|{name}"
    return Created(physical_id, {"Arn": rule_arn}, {"name": name, "bus": bus})


def _target(target: Mapping[str, Any]) -> dict[str, Any]:
    request = dict(target)
    if "RetryPolicy" in request:
        request["RetryPolicy"] = _ints(request["RetryPolicy"], "MaximumRetryAttempts",
                                       "MaximumEventAgeInSeconds")
    if isinstance(request.get("Input"), dict):
        request["Input"] = json.dumps(request["Input"])
    return request


def _delete_rule(context: _Context, _: str, teardown: dict[str, Any]) -> None:
    events = context.client("events")
    name, bus = teardown["name"], teardown["bus"]
    target_ids = [target["Id"] for target in
                  events.list_targets_by_rule(Rule=name, EventBusName=bus)["Targets"]]
    if target_ids:
        events.remove_targets(Rule=name, EventBusName=bus, Ids=target_ids)
    events.delete_rule(Name=name, EventBusName=bus)


# --- Step Functions -------------------------------------------------------------------------

def state_machine_definition(properties: Mapping[str, Any]) -> str:
    """The definition text with `${Name}` replaced from DefinitionSubstitutions (CloudFormation
    does this; moto's CloudFormation does not)."""
    if "Definition" in properties:
        text = json.dumps(properties["Definition"], indent=2)
    elif "DefinitionString" in properties:
        text = str(properties["DefinitionString"])
    else:
        raise DeployError("a state machine needs Definition or DefinitionString "
                          "(DefinitionS3Location is not supported locally)")
    for name, value in (properties.get("DefinitionSubstitutions") or {}).items():
        text = text.replace(f"${{{name}}}", as_text(value))
    return text


def _create_state_machine(context: _Context, logical_id: str,
                          properties: dict[str, Any]) -> Created:
    _not_supported(logical_id, "AWS::StepFunctions::StateMachine", properties,
                   "EncryptionConfiguration")
    name = properties.get("StateMachineName") or context.generated_name(logical_id, 80)
    request: dict[str, Any] = {}
    if "LoggingConfiguration" in properties:
        request["loggingConfiguration"] = _logging_configuration(
            properties["LoggingConfiguration"])
    if "TracingConfiguration" in properties:
        request["tracingConfiguration"] = {
            "enabled": _bool(properties["TracingConfiguration"].get("Enabled"))}
    if properties.get("Tags"):
        request["tags"] = [{"key": tag["Key"], "value": tag["Value"]}
                           for tag in _tag_list(properties["Tags"])]
    arn = context.client("stepfunctions").create_state_machine(
        name=name, definition=state_machine_definition(properties),
        roleArn=properties["RoleArn"], type=properties.get("StateMachineType", "STANDARD"),
        **request)["stateMachineArn"]
    return Created(arn, {"Arn": arn, "Name": name, "StateMachineRevisionId": arn})


def _logging_configuration(logging: dict[str, Any]) -> dict[str, Any]:
    """CloudFormation's LoggingConfiguration in the API's spelling (the role is checked for
    the log delivery permissions when the state machine is created)."""
    return {"level": logging.get("Level", "OFF"),
            "includeExecutionData": _bool(logging.get("IncludeExecutionData", False)),
            "destinations": [{"cloudWatchLogsLogGroup": {
                "logGroupArn": d["CloudWatchLogsLogGroup"]["LogGroupArn"]}}
                for d in logging.get("Destinations") or [] if d.get("CloudWatchLogsLogGroup")]}


def _delete_state_machine(context: _Context, arn: str, _: dict[str, Any]) -> None:
    context.client("stepfunctions").delete_state_machine(stateMachineArn=arn)


# --- SQS ------------------------------------------------------------------------------------

QUEUE_ATTRIBUTES = ("DelaySeconds", "MaximumMessageSize", "MessageRetentionPeriod",
                    "ReceiveMessageWaitTimeSeconds", "VisibilityTimeout", "RedrivePolicy",
                    "RedriveAllowPolicy", "KmsMasterKeyId", "KmsDataKeyReusePeriodSeconds",
                    "SqsManagedSseEnabled", "FifoQueue", "ContentBasedDeduplication",
                    "DeduplicationScope", "FifoThroughputLimit")


def _create_queue(context: _Context, logical_id: str, properties: dict[str, Any]) -> Created:
    sqs = context.client("sqs")
    fifo = _bool(properties.get("FifoQueue", False))
    name = properties.get("QueueName") or context.generated_name(
        logical_id, 80, ".fifo" if fifo else "")
    attributes = {key: (_json(value) if isinstance(value, dict) else as_text(value))
                  for key, value in _pick(properties, *QUEUE_ATTRIBUTES).items()}
    if not fifo:
        attributes.pop("FifoQueue", None)  # SQS refuses FifoQueue=false
    request: dict[str, Any] = {"Attributes": attributes}
    if properties.get("Tags"):
        request["tags"] = _tag_map(properties["Tags"])
    url = sqs.create_queue(QueueName=name, **request)["QueueUrl"]
    arn = context.arn("sqs", name)
    return Created(url, {"Arn": arn, "QueueName": name, "QueueUrl": url})


def _delete_queue(context: _Context, url: str, _: dict[str, Any]) -> None:
    context.client("sqs").delete_queue(QueueUrl=url)


def _create_queue_policy(context: _Context, logical_id: str,
                         properties: dict[str, Any]) -> Created:
    sqs = context.client("sqs")
    for url in properties["Queues"]:
        sqs.set_queue_attributes(QueueUrl=url,
                                 Attributes={"Policy": _json(properties["PolicyDocument"])})
    return Created(context.generated_name(logical_id, 128), {},
                   {"queues": properties["Queues"]})


def _delete_queue_policy(context: _Context, _: str, teardown: dict[str, Any]) -> None:
    sqs = context.client("sqs")
    for url in teardown["queues"]:
        with contextlib.suppress(ClientError):  # the queue may be gone already
            sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": ""})


# --- DynamoDB -------------------------------------------------------------------------------

def _throughput(value: Mapping[str, Any]) -> dict[str, int]:
    return {key: int(number) for key, number in value.items()}


def _create_table(context: _Context, logical_id: str, properties: dict[str, Any]) -> Created:
    _not_supported(logical_id, "AWS::DynamoDB::Table", properties,
                   "ContributorInsightsSpecification", "KinesisStreamSpecification",
                   "ImportSourceSpecification")
    dynamodb = context.client("dynamodb")
    name = properties.get("TableName") or context.generated_name(logical_id, 255)
    request = _pick(properties, "AttributeDefinitions", "KeySchema", "BillingMode",
                    "TableClass", "DeletionProtectionEnabled")
    if "ProvisionedThroughput" in properties:
        request["ProvisionedThroughput"] = _throughput(properties["ProvisionedThroughput"])
    for indexes in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
        if indexes in properties:
            request[indexes] = [
                {**_pick(index, "IndexName", "KeySchema", "Projection"),
                 **({"ProvisionedThroughput": _throughput(index["ProvisionedThroughput"])}
                    if "ProvisionedThroughput" in index else {})}
                for index in properties[indexes]]
    if "StreamSpecification" in properties:
        request["StreamSpecification"] = {
            "StreamEnabled": True,
            "StreamViewType": properties["StreamSpecification"]["StreamViewType"]}
    if "SSESpecification" in properties:
        sse = properties["SSESpecification"]
        request["SSESpecification"] = {"Enabled": _bool(sse.get("SSEEnabled")),
                                       **_pick(sse, "SSEType", "KMSMasterKeyId")}
    if properties.get("Tags"):
        request["Tags"] = _tag_list(properties["Tags"])
    table = dynamodb.create_table(TableName=name, **request)["TableDescription"]
    ttl = properties.get("TimeToLiveSpecification")
    if ttl and _bool(ttl.get("Enabled")):
        dynamodb.update_time_to_live(TableName=name, TimeToLiveSpecification={
            "AttributeName": ttl["AttributeName"], "Enabled": True})
    recovery = properties.get("PointInTimeRecoverySpecification")
    if recovery and _bool(recovery.get("PointInTimeRecoveryEnabled")):
        try:
            dynamodb.update_continuous_backups(
                TableName=name,
                PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
        except ClientError as error:
            LOG.warning("%s: point-in-time recovery not set locally: %s", logical_id, error)
    attributes = {"Arn": table["TableArn"]}
    if "LatestStreamArn" in table:
        attributes["StreamArn"] = table["LatestStreamArn"]
    return Created(name, attributes)


def _delete_table(context: _Context, name: str, _: dict[str, Any]) -> None:
    context.client("dynamodb").delete_table(TableName=name)


# --- CloudWatch, SSM, Logs, KMS, SNS ---------------------------------------------------------

ALARM_KEYS = ("AlarmDescription", "ActionsEnabled", "OKActions", "AlarmActions",
              "InsufficientDataActions", "MetricName", "Namespace", "Statistic",
              "ExtendedStatistic", "Dimensions", "Period", "Unit", "EvaluationPeriods",
              "DatapointsToAlarm", "Threshold", "ComparisonOperator", "TreatMissingData",
              "EvaluateLowSampleCountPercentile", "Metrics", "ThresholdMetricId")


def _create_alarm(context: _Context, logical_id: str, properties: dict[str, Any]) -> Created:
    name = properties.get("AlarmName") or context.generated_name(logical_id, 255)
    request = _ints(_pick(properties, *ALARM_KEYS), "Period", "EvaluationPeriods",
                    "DatapointsToAlarm")
    if "Threshold" in request:
        request["Threshold"] = float(request["Threshold"])
    if "ActionsEnabled" in request:
        request["ActionsEnabled"] = _bool(request["ActionsEnabled"])
    if properties.get("Tags"):
        request["Tags"] = _tag_list(properties["Tags"])
    context.client("cloudwatch").put_metric_alarm(AlarmName=name, **request)
    return Created(name, {"Arn": context.arn("cloudwatch", f"alarm:{name}")})


def _delete_alarm(context: _Context, name: str, _: dict[str, Any]) -> None:
    context.client("cloudwatch").delete_alarms(AlarmNames=[name])


def _create_parameter(context: _Context, logical_id: str, properties: dict[str, Any]) -> Created:
    name = properties.get("Name") or context.generated_name(f"CFN-{logical_id}", 2048)
    request = _pick(properties, "Description", "AllowedPattern", "Tier", "DataType")
    if properties.get("Tags"):
        request["Tags"] = _tag_list(properties["Tags"])
    value = as_text(properties["Value"])
    context.client("ssm").put_parameter(Name=name, Value=value,
                                        Type=properties.get("Type", "String"), **request)
    return Created(name, {"Type": properties.get("Type", "String"), "Value": value})


def _delete_parameter(context: _Context, name: str, _: dict[str, Any]) -> None:
    context.client("ssm").delete_parameter(Name=name)


def _create_log_group(context: _Context, logical_id: str, properties: dict[str, Any]) -> Created:
    logs = context.client("logs")
    name = properties.get("LogGroupName") or context.generated_name(logical_id, 512)
    request = _pick(properties, "KmsKeyId", "LogGroupClass")
    if properties.get("Tags"):
        request["tags"] = _tag_map(properties["Tags"])
    logs.create_log_group(logGroupName=name, **{
        {"KmsKeyId": "kmsKeyId", "LogGroupClass": "logGroupClass"}.get(key, key): value
        for key, value in request.items()})
    if "RetentionInDays" in properties:
        logs.put_retention_policy(logGroupName=name,
                                  retentionInDays=int(properties["RetentionInDays"]))
    return Created(name, {"Arn": context.arn("logs", f"log-group:{name}:*")})


def _delete_log_group(context: _Context, name: str, _: dict[str, Any]) -> None:
    context.client("logs").delete_log_group(logGroupName=name)


def _create_key(context: _Context, logical_id: str, properties: dict[str, Any]) -> Created:
    kms = context.client("kms")
    request = _pick(properties, "Description", "KeyUsage", "KeySpec", "MultiRegion")
    if "KeyPolicy" in properties:
        request["Policy"] = _json(properties["KeyPolicy"])
    if properties.get("Tags"):
        request["Tags"] = [{"TagKey": tag["Key"], "TagValue": tag["Value"]}
                           for tag in _tag_list(properties["Tags"])]
    key = kms.create_key(**request)["KeyMetadata"]
    if _bool(properties.get("EnableKeyRotation", False)):
        kms.enable_key_rotation(KeyId=key["KeyId"])
    return Created(key["KeyId"], {"Arn": key["Arn"], "KeyId": key["KeyId"]})


def _delete_key(context: _Context, key_id: str, _: dict[str, Any]) -> None:
    context.client("kms").schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)


def _create_key_alias(context: _Context, logical_id: str, properties: dict[str, Any]) -> Created:
    context.client("kms").create_alias(AliasName=properties["AliasName"],
                                       TargetKeyId=properties["TargetKeyId"])
    return Created(properties["AliasName"])


def _delete_key_alias(context: _Context, name: str, _: dict[str, Any]) -> None:
    context.client("kms").delete_alias(AliasName=name)


def _create_topic(context: _Context, logical_id: str, properties: dict[str, Any]) -> Created:
    sns = context.client("sns")
    fifo = _bool(properties.get("FifoTopic", False))
    name = properties.get("TopicName") or context.generated_name(
        logical_id, 256, ".fifo" if fifo else "")
    attributes = {key: as_text(value) for key, value in _pick(
        properties, "DisplayName", "KmsMasterKeyId", "ContentBasedDeduplication").items()}
    if fifo:
        attributes["FifoTopic"] = "true"
    arn = sns.create_topic(Name=name, Attributes=attributes)["TopicArn"]
    for subscription in properties.get("Subscription", []):
        sns.subscribe(TopicArn=arn, Protocol=subscription["Protocol"],
                      Endpoint=subscription["Endpoint"])
    return Created(arn, {"TopicArn": arn, "TopicName": name})


def _delete_topic(context: _Context, arn: str, _: dict[str, Any]) -> None:
    context.client("sns").delete_topic(TopicArn=arn)


Create = Callable[[_Context, str, dict[str, Any]], Created]
Delete = Callable[[_Context, str, dict[str, Any]], None]


# --- S3 buckets and CloudTrail trails (the source's optional trail for the tag trigger) ----------

def _create_bucket(context: _Context, logical_id: str, properties: dict[str, Any]) -> Created:
    _not_supported(logical_id, "AWS::S3::Bucket", properties, "NotificationConfiguration",
                   "ReplicationConfiguration", "WebsiteConfiguration", "CorsConfiguration")
    s3 = context.client("s3")
    # Bucket names are global and lower case: CloudFormation's generated name is lowered.
    name = properties.get("BucketName") or context.generated_name(logical_id, 63).lower()
    extra = ({} if context.region == "us-east-1" else
             {"CreateBucketConfiguration": {"LocationConstraint": context.region}})
    s3.create_bucket(Bucket=name, **extra)
    if "BucketEncryption" in properties:
        # CloudFormation's ServerSideEncryptionByDefault is the API's ApplyServerSide...
        rules = [{("ApplyServerSideEncryptionByDefault" if key == "ServerSideEncryptionByDefault"
                   else key): value for key, value in rule.items()}
                 for rule in properties["BucketEncryption"]["ServerSideEncryptionConfiguration"]]
        s3.put_bucket_encryption(Bucket=name,
                                 ServerSideEncryptionConfiguration={"Rules": rules})
    if "PublicAccessBlockConfiguration" in properties:
        s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration={
            key: _bool(value)
            for key, value in properties["PublicAccessBlockConfiguration"].items()})
    if "VersioningConfiguration" in properties:
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={
            "Status": properties["VersioningConfiguration"]["Status"]})
    if properties.get("Tags"):
        s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": _tag_list(properties["Tags"])})
    arn = f"arn:aws:s3:::{name}"
    return Created(name, {"Arn": arn, "DomainName": f"{name}.s3.amazonaws.com"})


def _delete_bucket(context: _Context, name: str, _: dict[str, Any]) -> None:
    # DeletionPolicy is not honoured locally: a redeploy replaces the stack as a whole.
    s3 = context.client("s3")
    versions = s3.list_object_versions(Bucket=name)
    for item in [*versions.get("Versions", []), *versions.get("DeleteMarkers", [])]:
        s3.delete_object(Bucket=name, Key=item["Key"], VersionId=item["VersionId"])
    s3.delete_bucket(Bucket=name)


def _create_bucket_policy(context: _Context, logical_id: str,
                          properties: dict[str, Any]) -> Created:
    bucket = properties["Bucket"]
    context.client("s3").put_bucket_policy(Bucket=bucket,
                                           Policy=_json(properties["PolicyDocument"]))
    return Created(context.generated_name(logical_id, 128), {}, {"bucket": bucket})


def _delete_bucket_policy(context: _Context, _: str, teardown: dict[str, Any]) -> None:
    context.client("s3").delete_bucket_policy(Bucket=teardown["bucket"])


def _create_trail(context: _Context, logical_id: str, properties: dict[str, Any]) -> Created:
    _not_supported(logical_id, "AWS::CloudTrail::Trail", properties, "AdvancedEventSelectors",
                   "InsightSelectors")
    cloudtrail = context.client("cloudtrail")
    name = properties.get("TrailName") or context.generated_name(logical_id, 128)
    request = {key: (_bool(value) if key.startswith(("Is", "Include", "Enable")) else value)
               for key, value in _pick(properties, "S3BucketName", "S3KeyPrefix",
                                       "IsMultiRegionTrail", "IncludeGlobalServiceEvents",
                                       "EnableLogFileValidation", "KMSKeyId",
                                       "IsOrganizationTrail", "SnsTopicName").items()}
    if properties.get("Tags"):
        request["TagsList"] = _tag_list(properties["Tags"])
    arn = cloudtrail.create_trail(Name=name, **request)["TrailARN"]
    if properties.get("EventSelectors"):
        cloudtrail.put_event_selectors(TrailName=name, EventSelectors=[
            {**selector, "IncludeManagementEvents": _bool(
                selector.get("IncludeManagementEvents", True))}
            for selector in properties["EventSelectors"]])
    if _bool(properties.get("IsLogging")):
        cloudtrail.start_logging(Name=name)
    return Created(name, {"Arn": arn})


def _delete_trail(context: _Context, name: str, _: dict[str, Any]) -> None:
    context.client("cloudtrail").delete_trail(Name=name)


HANDLERS: dict[str, tuple[Create, Delete]] = {
    "AWS::IAM::Role": (_create_role, _delete_role),
    "AWS::IAM::Policy": (_create_policy, _delete_policy),
    "AWS::IAM::ManagedPolicy": (_create_managed_policy, _delete_managed_policy),
    "AWS::Lambda::Function": (_create_function, _delete_function),
    "AWS::Lambda::Permission": (_create_permission, _delete_permission),
    "AWS::Lambda::EventInvokeConfig": (_create_event_invoke_config, _delete_event_invoke_config),
    "AWS::Lambda::Version": (_create_version, _delete_version),
    "AWS::Lambda::Alias": (_create_alias, _delete_alias),
    "AWS::Events::EventBus": (_create_event_bus, _delete_event_bus),
    "AWS::Events::EventBusPolicy": (_create_event_bus_policy, _delete_event_bus_policy),
    "AWS::Events::Rule": (_create_rule, _delete_rule),
    "AWS::StepFunctions::StateMachine": (_create_state_machine, _delete_state_machine),
    "AWS::SQS::Queue": (_create_queue, _delete_queue),
    "AWS::SQS::QueuePolicy": (_create_queue_policy, _delete_queue_policy),
    "AWS::DynamoDB::Table": (_create_table, _delete_table),
    "AWS::CloudWatch::Alarm": (_create_alarm, _delete_alarm),
    "AWS::SSM::Parameter": (_create_parameter, _delete_parameter),
    "AWS::Logs::LogGroup": (_create_log_group, _delete_log_group),
    "AWS::KMS::Key": (_create_key, _delete_key),
    "AWS::KMS::Alias": (_create_key_alias, _delete_key_alias),
    "AWS::SNS::Topic": (_create_topic, _delete_topic),
    "AWS::S3::Bucket": (_create_bucket, _delete_bucket),
    "AWS::S3::BucketPolicy": (_create_bucket_policy, _delete_bucket_policy),
    "AWS::CloudTrail::Trail": (_create_trail, _delete_trail),
}
