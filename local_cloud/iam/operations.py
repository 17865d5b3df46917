"""What a call asks IAM for: the action, the resource ARN(s) and the condition keys of each API
operation model-copy's code and the Step Functions integrations call, as the Service
Authorization Reference lists them.

`checks_for(call)` returns the checks of a known operation, `[]` for an operation that needs
no permission (sts:GetCallerIdentity), or None for one not mapped here: the enforcement then
asks for `<service>:<Operation>` on resource "*", which only an unscoped statement grants.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from local_cloud.iam.evaluator import Policy, Request, parse

log = logging.getLogger("local_cloud.iam")

# SigV4 signing name -> IAM service prefix, where they differ.
IAM_PREFIXES = {"monitoring": "cloudwatch"}


@dataclass(frozen=True)
class Call:
    """One API request as the enforcement read it."""
    service: str  # the SigV4 signing name: comprehend, events, dynamodb, sqs, lambda, ...
    operation: str  # PutEvents, GetItem, Invoke, ...
    params: dict[str, Any]
    account: str  # the caller's account
    region: str
    path: str = "/"
    query: dict[str, str] = field(default_factory=dict)

    @property
    def action(self) -> str:
        return f"{IAM_PREFIXES.get(self.service, self.service)}:{self.operation}"

    def arn(self, service: str, resource: str, account: str | None = None,
            region: str | None = None) -> str:
        if region is None:
            region = "" if service == "iam" else self.region
        return f"arn:aws:{service}:{region}:{account or self.account}:{resource}"


@dataclass(frozen=True)
class Check:
    request: Request
    # The resource's own policy, where the service has one: in the same account it can allow.
    resource_policy: Policy | None = None
    # Across accounts the service itself checks the resource policy (EventBridge bus policies,
    # Comprehend model policies); the enforcement checks the identity side only.
    resource_side_checked_by_service: bool = False


Mapper = Callable[[Call], list[Check]]
_MAPPERS: dict[tuple[str, str], Mapper] = {}


def _maps(service: str, *operations: str) -> Callable[[Mapper], Mapper]:
    def register(mapper: Mapper) -> Mapper:
        for operation in operations:
            _MAPPERS[(service, operation)] = mapper
        return mapper
    return register


def checks_for(call: Call) -> list[Check] | None:
    mapper = _MAPPERS.get((call.service, call.operation))
    return None if mapper is None else mapper(call)


def mapped_operations() -> list[str]:
    return sorted(f"{service}:{operation}" for service, operation in _MAPPERS)


def _check(call: Call, resource: str, action: str | None = None, **context: Any) -> Check:
    return Check(Request(action or call.action, resource, context))


def _pass_role(call: Call, role_arn: str | None, to_service: str) -> list[Check]:
    if not role_arn:
        return []
    return [Check(Request("iam:PassRole", str(role_arn),
                          {"iam:PassedToService": to_service}))]


# --------------------------------------------------------------------------- Comprehend

_COMPREHEND_ARN_PARAMS = ("DocumentClassifierArn", "EntityRecognizerArn", "ResourceArn")


@_maps("comprehend", "DescribeDocumentClassifier", "DescribeEntityRecognizer",
       "DeleteDocumentClassifier", "DeleteEntityRecognizer", "StopTrainingDocumentClassifier",
       "StopTrainingEntityRecognizer", "PutResourcePolicy", "DescribeResourcePolicy",
       "DeleteResourcePolicy", "TagResource", "UntagResource", "ListTagsForResource")
def _comprehend_model(call: Call) -> list[Check]:
    arn = next((str(call.params[p]) for p in _COMPREHEND_ARN_PARAMS if call.params.get(p)), "*")
    return [_check(call, arn, **_resource_tags(arn), **_request_tags(call))]


def _resource_tags(arn: str) -> dict[str, str]:
    """aws:ResourceTag/<key> of an existing model, for conditions on its tags."""
    from local_cloud.services.comprehend.catalog import backend_of

    parts = arn.split(":")
    if len(parts) < 6:
        return {}
    try:
        tags = backend_of(parts[4], parts[3]).tagger.list_tags_for_resource(arn)["Tags"]
    except Exception:  # noqa: BLE001 - no such backend or model: no tags
        return {}
    return {f"aws:ResourceTag/{tag['Key']}": str(tag["Value"]) for tag in tags}


def _request_tags(call: Call) -> dict[str, Any]:
    """aws:RequestTag/<key> and aws:TagKeys of the tags a request sets."""
    tags = [t for t in call.params.get("Tags") or [] if isinstance(t, dict) and "Key" in t]
    if not tags:
        return {}
    return {"aws:TagKeys": [str(t["Key"]) for t in tags],
            **{f"aws:RequestTag/{t['Key']}": str(t.get("Value", "")) for t in tags}}


def _model_policy(arn: str) -> Policy | None:
    from local_cloud.services.comprehend.catalog import backend_of

    parts = arn.split(":")
    if len(parts) < 6:
        return None
    try:
        entry = backend_of(parts[4], parts[3]).resource_policies.get(arn) or {}
    except Exception:  # noqa: BLE001 - no such backend or model: no policy
        return None
    return parse(entry.get("ResourcePolicy"))


def _kms_via_comprehend(call: Call, key: Any) -> list[Check]:
    """A customer managed key named in the request is used by Comprehend on the caller's
    behalf: the caller's policies must allow it, with kms:ViaService naming Comprehend."""
    if not key:
        return []
    via = f"comprehend.{call.region}.amazonaws.com"
    arn = key_arn(call, str(key))
    return [Check(Request(action, arn, {"kms:ViaService": via}))
            for action in ("kms:CreateGrant", "kms:DescribeKey", "kms:Decrypt",
                           "kms:GenerateDataKey")]


@_maps("comprehend", "ImportModel")
def _import_model(call: Call) -> list[Check]:
    source = str(call.params.get("SourceModelArn") or "*")
    return [Check(Request(call.action, source, _request_tags(call)),
                  resource_policy=_model_policy(source),
                  resource_side_checked_by_service=True),
            *_pass_role(call, call.params.get("DataAccessRoleArn"), "comprehend.amazonaws.com"),
            *_kms_via_comprehend(call, call.params.get("ModelKmsKeyId"))]


@_maps("comprehend", "CreateDocumentClassifier", "CreateEntityRecognizer")
def _create_model(call: Call) -> list[Check]:
    kind, name_key = (("document-classifier", "DocumentClassifierName")
                      if call.operation == "CreateDocumentClassifier"
                      else ("entity-recognizer", "RecognizerName"))
    resource = f"{kind}/{call.params.get(name_key)}"
    if call.params.get("VersionName"):
        resource += f"/version/{call.params['VersionName']}"
    return [_check(call, call.arn("comprehend", resource), **_request_tags(call)),
            *_pass_role(call, call.params.get("DataAccessRoleArn"), "comprehend.amazonaws.com"),
            *_kms_via_comprehend(call, call.params.get("ModelKmsKeyId"))]


# --------------------------------------------------------------------------- EventBridge

def _bus_arn(call: Call, name_or_arn: str | None) -> str:
    name = name_or_arn or "default"
    return name if name.startswith("arn:") else call.arn("events", f"event-bus/{name}")


def _bus_policy(arn: str) -> Policy | None:
    from moto.events.models import events_backends

    parts = arn.split(":")
    try:
        bus = events_backends[parts[4]][parts[3]].describe_event_bus(arn.rsplit("/", 1)[-1])
    except Exception:  # noqa: BLE001 - no such bus: PutEvents reports it per entry
        return None
    return parse(bus.policy)


@_maps("events", "PutEvents")
def _put_events(call: Call) -> list[Check]:
    checks = []
    for entry in call.params.get("Entries") or []:
        if not isinstance(entry, dict):
            continue
        arn = _bus_arn(call, entry.get("EventBusName"))
        checks.append(Check(Request(call.action, arn, {
            "events:source": str(entry.get("Source", "")),
            "events:detail-type": str(entry.get("DetailType", ""))}),
            resource_policy=_bus_policy(arn), resource_side_checked_by_service=True))
    return checks


@_maps("events", "PutRule", "PutTargets", "DescribeRule", "DeleteRule", "RemoveTargets",
       "ListTargetsByRule", "EnableRule", "DisableRule")
def _rule(call: Call) -> list[Check]:
    name = call.params.get("Name") or call.params.get("Rule")
    bus = call.params.get("EventBusName") or "default"
    bus_name = str(bus).rsplit("/", 1)[-1]
    prefix = "" if bus_name == "default" else f"{bus_name}/"
    return [_check(call, call.arn("events", f"rule/{prefix}{name}"))]


# --------------------------------------------------------------------------- DynamoDB

@_maps("dynamodb", "GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan",
       "DescribeTable")
def _table(call: Call) -> list[Check]:
    table = str(call.params.get("TableName") or "")
    arn = table if table.startswith("arn:") else call.arn("dynamodb", f"table/{table}")
    if call.params.get("IndexName"):
        arn += f"/index/{call.params['IndexName']}"
    return [_check(call, arn)]


@_maps("dynamodb", "BatchGetItem", "BatchWriteItem")
def _tables(call: Call) -> list[Check]:
    action = "dynamodb:" + call.operation
    return [_check(call, name if str(name).startswith("arn:")
                   else call.arn("dynamodb", f"table/{name}"), action)
            for name in (call.params.get("RequestItems") or {})]


# --------------------------------------------------------------------------- SQS

def queue_arn(call: Call, url: str) -> str:
    """http://host/<account>/<name> -> arn:aws:sqs:<region>:<account>:<name>."""
    parts = [p for p in str(url).split("/") if p]
    account, name = (parts[-2], parts[-1]) if len(parts) >= 2 else (call.account, url)
    return call.arn("sqs", name, account=account if account.isdigit() else call.account)


@_maps("sqs", "SendMessage", "SendMessageBatch", "ReceiveMessage", "DeleteMessage",
       "DeleteMessageBatch", "ChangeMessageVisibility", "GetQueueAttributes", "PurgeQueue")
def _queue(call: Call) -> list[Check]:
    return [_check(call, queue_arn(call, str(call.params.get("QueueUrl") or "")))]


@_maps("sqs", "GetQueueUrl")
def _queue_url(call: Call) -> list[Check]:
    owner = call.params.get("QueueOwnerAWSAccountId") or call.account
    return [_check(call, call.arn("sqs", str(call.params.get("QueueName")), account=owner))]


# --------------------------------------------------------------------------- Lambda

def function_arn(call: Call, name: str, qualifier: str | None) -> str:
    """A FunctionName (name, partial or full ARN) as the ARN IAM evaluates."""
    parts = name.split(":")
    if name.startswith("arn:"):
        region, account, fn = parts[3], parts[4], parts[6]
        qualifier = qualifier or (parts[7] if len(parts) > 7 else None)
    elif len(parts) >= 3:  # account:function:name[:qualifier]
        region, account, fn = call.region, parts[0], parts[2]
        qualifier = qualifier or (parts[3] if len(parts) > 3 else None)
    else:
        region, account, fn = call.region, call.account, parts[0]
        qualifier = qualifier or (parts[1] if len(parts) > 1 else None)
    arn = f"arn:aws:lambda:{region}:{account}:function:{fn}"
    return f"{arn}:{qualifier}" if qualifier else arn


@_maps("lambda", "Invoke")
def _invoke(call: Call) -> list[Check]:
    name = str(call.params.get("FunctionName") or "")
    return [_check(call, function_arn(call, name, call.query.get("Qualifier")),
                   "lambda:InvokeFunction")]


# --------------------------------------------------------------------------- Step Functions

def state_machine_of_token(call: Call, token: str) -> str | None:
    """The state machine whose running execution waits for `token` (in the caller's account)."""
    from moto.stepfunctions.responses import get_backend

    try:
        backend = get_backend(call.account, call.region)
        for machine in list(backend.state_machines):
            for execution in list(machine.executions):
                worker = getattr(execution, "exec_worker", None)
                pool = getattr(getattr(worker, "env", None), "callback_pool_manager", None)
                if pool is not None and pool.get(token) is not None:
                    return str(machine.arn)
    except Exception:  # an unknown token: the service answers InvalidToken
        log.debug("no execution waits for the task token", exc_info=True)
    return None


@_maps("states", "SendTaskSuccess", "SendTaskFailure", "SendTaskHeartbeat")
def _task_token(call: Call) -> list[Check]:
    machine = state_machine_of_token(call, str(call.params.get("taskToken") or ""))
    return [_check(call, machine or "*")]


@_maps("states", "StartExecution", "DescribeStateMachine", "ListExecutions", "StartSyncExecution")
def _state_machine(call: Call) -> list[Check]:
    return [_check(call, str(call.params.get("stateMachineArn") or "*"))]


@_maps("states", "DescribeExecution", "StopExecution", "GetExecutionHistory")
def _execution(call: Call) -> list[Check]:
    return [_check(call, str(call.params.get("executionArn") or "*"))]


# --------------------------------------------------------------------------- SSM

def parameter_arn(call: Call, name: str) -> str:
    if name.startswith("arn:"):
        return name
    return call.arn("ssm", f"parameter/{name.lstrip('/')}")


@_maps("ssm", "GetParameter", "PutParameter", "DeleteParameter", "GetParameterHistory",
       "LabelParameterVersion")
def _parameter(call: Call) -> list[Check]:
    return [_check(call, parameter_arn(call, str(call.params.get("Name") or "")))]


@_maps("ssm", "GetParameters", "DeleteParameters")
def _parameters(call: Call) -> list[Check]:
    return [_check(call, parameter_arn(call, str(name)))
            for name in call.params.get("Names") or []]


# --------------------------------------------------------------------------- Logs, KMS, ...

def log_stream_arn(call: Call, group: str, stream: str) -> str:
    return call.arn("logs", f"log-group:{group}:log-stream:{stream}")


@_maps("logs", "CreateLogStream", "PutLogEvents")
def _log_stream(call: Call) -> list[Check]:
    return [_check(call, log_stream_arn(call, str(call.params.get("logGroupName")),
                                        str(call.params.get("logStreamName"))))]


@_maps("logs", "CreateLogGroup", "DescribeLogStreams")
def _log_group(call: Call) -> list[Check]:
    return [_check(call, call.arn("logs", f"log-group:{call.params.get('logGroupName')}"))]


def key_arn(call: Call, key: str) -> str:
    """A key id, key ARN, alias name or alias ARN as the key's ARN (aliases resolved)."""
    if key.startswith("arn:") and ":key/" in key:
        return key
    if "alias/" in key:
        try:
            from moto.kms.models import kms_backends

            resolved = kms_backends[call.account][call.region].get_key_id_from_alias(
                key.split(":")[-1])
            if resolved:
                key = resolved
        except Exception:  # noqa: BLE001 - an unknown alias: KMS answers NotFound
            return call.arn("kms", key.split(":")[-1])
    return call.arn("kms", f"key/{key}")


@_maps("kms", "Decrypt", "Encrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext",
       "DescribeKey", "CreateGrant", "ReEncrypt", "GetKeyPolicy")
def _key(call: Call) -> list[Check]:
    key = call.params.get("KeyId")
    return [_check(call, key_arn(call, str(key)) if key else "*")]


@_maps("monitoring", "PutMetricData")
def _metric_data(call: Call) -> list[Check]:
    # CloudWatch has no resource-level permissions; cloudwatch:namespace is its condition key.
    return [_check(call, "*", **({"cloudwatch:namespace": call.params["Namespace"]}
                                 if call.params.get("Namespace") else {}))]


def stack_arn(call: Call, name_or_id: str) -> str:
    """A stack id is the stack's ARN; a name alone is asked for on `stack/NAME/*`, the resource
    AWS names in CloudFormation's denials."""
    if name_or_id.startswith("arn:"):
        return name_or_id
    return call.arn("cloudformation", f"stack/{name_or_id}/*")


@_maps("cloudformation", "DescribeStacks")
def _describe_stacks(call: Call) -> list[Check]:
    # Without a name every stack of the account is described: the request is on "*" (the
    # DescribeStacks API reference's Deny example has NotResource
    # arn:aws:cloudformation:*:*:stack/*/*, so that it refuses only the nameless call).
    name = call.params.get("StackName")
    return [_check(call, stack_arn(call, str(name)) if name else "*")]


@_maps("cloudformation", "ListStacks")
def _list_stacks(call: Call) -> list[Check]:
    return [_check(call, "*")]  # no resource-level permission


@_maps("sts", "GetCallerIdentity")
def _no_permission(call: Call) -> list[Check]:
    del call  # "No permissions are required to perform this operation" (STS API reference)
    return []
