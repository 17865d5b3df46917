"""The checks `model-copy copy` runs before it starts anything, with the pipeline's own rules.

The source stack's parameters become the same `SourceConfig` PrepareCopy reads from its
environment, so the command refuses exactly what the pipeline would refuse (Region, owner,
allowed targets), and adds what only the caller's credentials can tell: that they act in the
source account and that the model version exists. A refusal is a usage error (exit 2) and
nothing is started.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from model_copy.config import SourceConfig
from model_copy.errors import InvalidCopyRequest
from model_copy.request import plan_copy

from model_copy_cli.copy import CopyRequest, Pipeline, aws_failure
from model_copy_cli.errors import UsageError

FAILED_MODEL_STATUSES = frozenset({"IN_ERROR", "STOPPED", "STOP_REQUESTED", "DELETING"})
# PrepareCopy's settings that shape the execution (waits, timeouts, fan-out, where shares go)
# but not whether it may start: the checks never read them, so any well-formed value does.
NOT_CHECKED = {
    "POLL_FIRST_SECONDS": "1", "POLL_MAX_SECONDS": "1", "TRAINING_WAIT_MAX_SECONDS": "1",
    "IMPORT_TIMEOUT_SECONDS": "1", "REVOKE_AFTER_IMPORT": "false",
    "APPROVAL_TIMEOUT_SECONDS": "1", "MAX_CONCURRENT_TARGETS": "0", "EVENT_BUS_NAME": "unread",
    "PARTITION": "aws",
}


def source_config(pipe: Pipeline, request: CopyRequest) -> SourceConfig:
    """The source side's settings as its functions see them (template.yaml's Environment)."""
    params = pipe.source_stack.parameters if pipe.source_stack else {}
    region, account = pipe.region, pipe.account
    return SourceConfig.from_env({
        **NOT_CHECKED, "AWS_REGION": region, "SOURCE_ACCOUNT_ID": account,
        # Without the stack (--state-machine-arn alone) the targets are the execution's to check.
        "TARGET_ACCOUNT_IDS": params.get("TargetAccountIds", ",".join(request.targets)),
        "DEFAULT_TARGET_ACCOUNT_IDS": params.get("DefaultTargetAccountIds", ""),
        "TARGET_IMPORT_ROLE_NAME":
            f"{params.get('ImportRoleNamePrefix', 'model-copy-importer')}-{region}",
        "SHARE_WITH_ACCOUNT_ROOT": params.get("ShareWithAccountRoot", "false"),
        "APPROVAL_REQUIRED_ACCOUNT_IDS": params.get("ApprovalRequiredAccountIds", ""),
    })


def caller_account(pipe: Pipeline) -> str:
    try:
        return str(pipe.session.client("sts").get_caller_identity()["Account"])
    except (ClientError, BotoCoreError) as problem:
        raise aws_failure(problem) from None


def check_before_start(pipe: Pipeline, request: CopyRequest, profile: str | None) -> None:
    caller = caller_account(pipe)
    if caller != pipe.account:
        raise UsageError(
            f"--profile {profile or '(default)'} acts in account {caller}, but the copy "
            f"state machine is in the source account {pipe.account}: pass --profile of the "
            "source account")
    try:
        plan_copy(request.execution_input(), source_config(pipe, request), "preflight")
    except InvalidCopyRequest as problem:
        raise UsageError(f"InvalidCopyRequest: {problem}") from None
    _check_model(pipe, request)


def _check_model(pipe: Pipeline, request: CopyRequest) -> None:
    comprehend = pipe.session.client("comprehend")
    arn = str(request.source)
    try:
        if request.source.model_type == "document-classifier":
            props: dict[str, Any] = comprehend.describe_document_classifier(
                DocumentClassifierArn=arn)["DocumentClassifierProperties"]
        else:
            props = comprehend.describe_entity_recognizer(
                EntityRecognizerArn=arn)["EntityRecognizerProperties"]
    except ClientError as problem:
        code = problem.response.get("Error", {}).get("Code", "")
        if code == "ResourceNotFoundException":
            raise UsageError(f"SourceModelNotFound: the source model does not exist: {arn}; "
                             "list yours with `aws comprehend list-document-classifiers`"
                             ) from None
        return  # e.g. no comprehend:Describe* for this caller: the pipeline checks it anyway
    except BotoCoreError as problem:
        raise aws_failure(problem) from None
    status = str(props.get("Status"))
    if status in FAILED_MODEL_STATUSES:
        raise UsageError(f"SourceModelNotTrained: the source model is {status}: "
                         f"{props.get('Message') or 'no message'}; only a trained version "
                         "can be copied")
