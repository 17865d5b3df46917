"""Step Functions as AWS behaves where model-copy depends on it (moto 5.2.5 interpreter).

What changes against moto's `moto/stepfunctions/parser/`:
- Every SDK or optimized integration (aws-sdk:*, lambda:invoke, events:putEvents, ...) calls
  with credentials of the execution's role (the state machine's roleArn, or a task's
  Credentials.RoleArn), as Step Functions does: the role's account answers and IAM checks the
  role's policies (local_cloud.iam.enforcement). moto built those clients with a fixed key,
  so they acted as 123456789012 with every right.
- aws-sdk task errors for Comprehend are named `Comprehend.<Error>` as on AWS
  (moto said `comprehend.<Error>`).
- StartExecution without a name gets a UUID name, as on AWS (moto's ARN ended `:None`).
- CreateStateMachine with CloudWatch Logs destinations checks that the state machine's role
  may deliver logs (the eight `logs:*Delivery*`/resource-policy actions the Step Functions
  Developer Guide lists, on "*"), else AccessDeniedException "The state machine IAM Role is not
  authorized to access the Log Destination", as AWS answers.
- A PutEvents task whose response has FailedEntryCount > 0 fails with
  `EventBridge.FailedEntry` (moto's interpreter does it) and a string Cause (the response as
  JSON; moto passed the dict on).

Kept as moto has it, because it is already AWS's behaviour: a state whose output (or a task
whose result) is over 256 KiB of UTF-8 fails with `States.DataLimitExceeded`
(`moto/stepfunctions/parser/quotas.py`; tests/local_cloud/test_stepfunctions.py proves it).
"""

from __future__ import annotations

import importlib
import json
import logging
import sys
import uuid
from collections.abc import Callable
from typing import Any

log = logging.getLogger("local_cloud.services.stepfunctions")

# Lower-cased aws-sdk service name -> the prefix AWS uses in error names.
AWS_SDK_ERROR_PREFIXES = {"comprehend": "Comprehend"}

# Modules that do `from ...boto_client import boto_client_for`: each holds its own reference.
_CLIENT_USERS = (
    "moto.stepfunctions.parser.asl.utils.boto_client",
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.lambda_eval_utils",
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service."
    "state_task_service_aws_sdk",
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service."
    "state_task_service_events",
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service."
    "state_task_service_sqs",
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service."
    "state_task_service_sns",
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service."
    "state_task_service_sfn",
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service."
    "state_task_service_dynamodb",
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service."
    "state_task_service_ecs",
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service."
    "state_task_service_batch",
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service."
    "state_task_service_glue",
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service."
    "state_task_service_unsupported",
    "moto.stepfunctions.parser.asl.component.state.exec.state_map.item_reader.eval."
    "resource_eval_s3",
    "moto.stepfunctions.parser.asl.component.state.exec.state_map.result_writer."
    "resource_eval.resource_eval_s3",
)


def account_of_role(role_arn: str | None) -> str | None:
    """The account in `arn:aws:iam::<account>:role/...`, or None if it names none."""
    if not role_arn:
        return None
    parts = str(role_arn).split(":")
    if len(parts) >= 6 and parts[2] == "iam" and parts[4].isdigit():
        return parts[4]
    return None


# The session name Step Functions' role sessions carry here.
SESSION_NAME = "states-execution"


def acting_as_role(original: Callable[..., Any]) -> Callable[..., Any]:
    """Wraps moto's boto_client_for so its clients sign with the execution role's session."""

    def boto_client_for(region: str, service: str, state_credentials: Any = None) -> Any:
        client = original(region=region, service=service, state_credentials=state_credentials)
        role_arn = getattr(state_credentials, "role_arn", None)
        if not account_of_role(role_arn):
            log.warning("%s client for a task without a role acts as moto's default account",
                        service)
            return client
        import boto3

        from local_cloud.iam.identities import credentials_for

        return boto3.client(service, region_name=region, endpoint_url=client.meta.endpoint_url,
                            config=client.meta.config,
                            **credentials_for(str(role_arn), SESSION_NAME, region))

    boto_client_for.__wrapped__ = original  # type: ignore[attr-defined]
    return boto_client_for


def _patch_client_factory() -> None:
    base = importlib.import_module(_CLIENT_USERS[0])
    original = getattr(base.boto_client_for, "__wrapped__", base.boto_client_for)
    wrapped = acting_as_role(original)
    for name in _CLIENT_USERS:
        importlib.import_module(name)
    # Also any other module that took its own reference (new moto versions add some).
    for module in list(sys.modules.values()):
        if (getattr(module, "__name__", "").startswith("moto.stepfunctions")
                and getattr(module, "boto_client_for", None) is original):
            module.boto_client_for = wrapped  # type: ignore[attr-defined]


def _patch_error_names() -> None:
    module = importlib.import_module(
        "moto.stepfunctions.parser.asl.component.state.exec.state_task.service."
        "state_task_service_aws_sdk")
    module._SERVICE_ERROR_NAMES.update(AWS_SDK_ERROR_PREFIXES)


def _patch_execution_names() -> None:
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    original = StepFunctionsParserBackend.start_execution
    if getattr(original, "__wrapped__", None):
        return

    def start_execution(self: Any, state_machine_arn: str, name: str | None = None,
                        execution_input: Any = None, trace_header: Any = None) -> Any:
        # AWS generates a UUID when StartExecution has no name.
        return original(self, state_machine_arn, name or str(uuid.uuid4()),
                        execution_input, trace_header)

    start_execution.__wrapped__ = original  # type: ignore[attr-defined]
    StepFunctionsParserBackend.start_execution = start_execution  # type: ignore[method-assign]


def _json_safe(value: Any) -> Any:
    """SDK responses hold datetimes; AWS hands a state ISO-8601 strings (and JSON only)."""
    return json.loads(json.dumps(value, default=lambda v: v.isoformat()
                                 if hasattr(v, "isoformat") else str(v)))


def _patch_sdk_results() -> None:
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        state_task_service_aws_sdk as sdk,
    )

    task_class = sdk.StateTaskServiceAwsSdk
    original = task_class._eval_service_task
    if getattr(original, "_model_copy_patched", False):
        return

    def eval_service_task(self: Any, env: Any, *args: Any, **kwargs: Any) -> None:
        original(self, env, *args, **kwargs)
        env.stack.append(_json_safe(env.stack.pop()))

    eval_service_task._model_copy_patched = True  # type: ignore[attr-defined]
    task_class._eval_service_task = eval_service_task  # type: ignore[method-assign]


def _patch_task_failure_cause() -> None:
    """moto drops the `cause` of SendTaskFailure; AWS hands it to the failed task's Catch."""
    from moto.core.responses import EmptyResult
    from moto.stepfunctions.responses import StepFunctionResponse

    def send_task_failure(self: Any) -> Any:
        self.stepfunction_backend.send_task_failure(
            self._get_param("taskToken"), error=self._get_param("error"),
            cause=self._get_param("cause"))
        return EmptyResult()

    StepFunctionResponse.send_task_failure = send_task_failure  # type: ignore[method-assign]


def _patch_failed_entry_cause() -> None:
    """A failed PutEvents entry fails the task with `EventBridge.FailedEntry` (aws-facts item
    6; moto does that); its Cause must be a string, as every Cause is on AWS: the PutEvents
    response as JSON, as AWS-validated emulators put it. moto handed on the dict itself."""
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        state_task_service_events as events_task,
    )

    exception_class = events_task.SfnFailedEntryCountException
    if getattr(exception_class, "_model_copy_patched", False):
        return
    original_init = exception_class.__init__

    def __init__(self: Any, cause: Any) -> None:
        original_init(self, cause)
        self.cause = cause if isinstance(cause, str) else json.dumps(cause)

    exception_class.__init__ = __init__  # type: ignore[method-assign]
    exception_class._model_copy_patched = True  # type: ignore[attr-defined]


# Step Functions Developer Guide, "IAM policies for logging to CloudWatch Logs".
LOG_DELIVERY_ACTIONS = ("logs:CreateLogDelivery", "logs:GetLogDelivery",
                        "logs:UpdateLogDelivery", "logs:DeleteLogDelivery",
                        "logs:ListLogDeliveries", "logs:PutResourcePolicy",
                        "logs:DescribeResourcePolicies", "logs:DescribeLogGroups")


def _patch_log_destination_check() -> None:
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    original = StepFunctionsParserBackend.create_state_machine
    if getattr(original, "__wrapped__", None):
        return

    def create_state_machine(self: Any, name: str, definition: str, roleArn: str,
                             *args: Any, **kwargs: Any) -> Any:
        logging_configuration = kwargs.get("loggingConfiguration") or {}
        if logging_configuration.get("destinations"):
            _check_log_delivery(roleArn)
        return original(self, name, definition, roleArn, *args, **kwargs)

    create_state_machine.__wrapped__ = original  # type: ignore[attr-defined]
    StepFunctionsParserBackend.create_state_machine = create_state_machine  # type: ignore[method-assign]


def _check_log_delivery(role_arn: str) -> None:
    from moto.core.exceptions import JsonRESTError

    from local_cloud.iam.enforcement import authorize
    from local_cloud.iam.evaluator import Request
    from local_cloud.iam.operations import Check

    refusal = authorize(role_arn, [Check(Request(action, "*")) for action in LOG_DELIVERY_ACTIONS],
                        session_name="states-logging", via="CreateStateMachine logging")
    if refusal is not None:
        raise JsonRESTError("AccessDeniedException", "The state machine IAM Role is not "
                            f"authorized to access the Log Destination ({refusal})")


def install() -> None:
    _patch_client_factory()
    _patch_error_names()
    _patch_execution_names()
    _patch_sdk_results()
    _patch_task_failure_cause()
    _patch_log_destination_check()
    _patch_failed_entry_cause()
