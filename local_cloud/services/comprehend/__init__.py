"""Amazon Comprehend custom models as AWS behaves where model-copy depends on it.

moto 5.2.5 falls short: no ImportModel, classifier ARNs without the `/version/` segment,
classifiers TRAINING forever, resource policies stored unchecked. `install()`
replaces the custom-model methods of moto's ComprehendBackend and adds ImportModel; every
Comprehend call also goes through `accounted_call_action` (counting and throttling).

What AWS does, and so do we:
- ARNs `arn:aws:comprehend:{region}:{account}:document-classifier/{name}[/version/{version}]`
  (entity-recognizer likewise). Every field with a pattern in the API model (names, versions,
  model ARNs, PolicyRevisionId, ImportModel's DataAccessRoleArn, KMS key ids) is matched whole,
  so a trailing newline is refused: ValidationException in AWS's wording. Same name+version
  twice: ResourceInUseException. Unknown ARN: ResourceNotFoundException with moto's message
  (Describe, Delete, StopTraining, policies, tags).
- Status follows the clock from SubmitTime: SUBMITTED (submitted_s) -> TRAINING (training_s, or
  import_s for an imported copy) -> TRAINED, or IN_ERROR/TRAINED_WITH_WARNING with a Message when
  `comprehend/fail` names the model. Nothing runs in the background; the timings are fixed when
  the model is created. StopTraining in SUBMITTED/TRAINING -> STOP_REQUESTED -> STOPPED after
  stopping_s, unless training ends first (then it ends as it would have, as AWS documents).
- Delete: only a model in a terminal state (TRAINED, TRAINED_WITH_WARNING, IN_ERROR, STOPPED)
  and not used by an endpoint, else ResourceInUseException; it is DELETING for deleting_s, then
  gone. AWS documents no restriction for a model with a resource policy: the policy goes with it.
- Resource policies: the model must exist; the policy must be JSON with at least one statement,
  each with Effect, Principal and only the action `comprehend:ImportModel`, else
  InvalidRequestException (the only client error PutResourcePolicy declares). PolicyRevisionId:
  a write or delete naming a revision that is not the current one is refused
  (InvalidRequestException, "revision" in the message); each write gets a new hex revision id.
  ModelPolicy on Create* is attached likewise.
- ImportModel: the source must be in the caller's Region (else InvalidRequestException), exist,
  and be TRAINED/TRAINED_WITH_WARNING (else InvalidRequestException). From another account an
  Allow statement for `comprehend:ImportModel` must name the caller ("*", the account id, its
  `:root`, the exact role ARN the caller's sts:AssumeRole credentials belong to, or the session
  ARN) and no Deny may match, else AccessDeniedException. The copy (ModelName defaults to the
  source's name) records SourceModelArn; a clash is ResourceInUseException.
- KMS (module `encryption`): Create*'s ModelKmsKeyId/VolumeKmsKeyId must be enabled keys;
  ImportModel of a version encrypted with a customer managed key (or with a ModelKmsKeyId for
  the copy) needs a DataAccessRoleArn that trusts comprehend.amazonaws.com and that the key
  policies and its own policies allow kms:CreateGrant/Decrypt/GenerateDataKey, else
  KmsKeyValidationException naming the key.
- Create*/ImportModel calls, failed ones included (errorCode, errorMessage, responseElements
  null), are recorded as AWS's documented CloudTrail record and put on the caller's default
  event bus as "AWS API Call via CloudTrail", only while a trail of the caller's account logs in
  the Region (local_cloud.services.cloudtrail); never failing the call if that goes wrong.
- Throttling (off by default): TooManyRequestsException, HTTP 400 as the Comprehend API
  reference lists it (botocore's model says 429; both are retried by botocore as throttling).

Control routes (area `comprehend`, POST /_local/comprehend/<action>, JSON body):
- configure: any of submitted_s, training_s, import_s, stopping_s, deleting_s (defaults
  0.5/2/2/0.5/0.5 seconds); models: {name: {submitted_s?, training_s?, import_s?}} (merged; a
  null value removes that name); throttle_probability (0..1), throttle_max_per_second (token
  bucket, null = no limit), throttle_operations (e.g. ["ImportModel"], null = all),
  throttle_accounts (null = all), throttle_per ("operation": one budget per account and
  operation, as AWS quotas are per API; "account": one per account). Returns the configuration.
- fail: {model_name, message, status="IN_ERROR"|"TRAINED_WITH_WARNING", on="both"|"training"|
  "import"}: models created/imported later under that name end so. For an import the copy's
  name is looked up first, then the source's. message null clears the name.
- inject: {operation="ImportModel", error, message?, times?, accounts?}: the operation's next
  `times` calls (null: every call) from `accounts` (null: all) fail with `error`, one of the
  errors AWS documents for it (ImportModel: InternalServer, InvalidRequest, KmsKeyValidation,
  ResourceInUse, ResourceLimitExceeded, ResourceNotFound, ResourceUnavailable, TooManyRequests,
  TooManyTags, and AccessDenied from the common errors). error null clears it. Returns the
  injections in force.
- stats: {account?}: per account {calls, throttled, imports, imports_refused,
  operations: {Operation: {calls, throttled}}}; throttled calls are counted as calls too.
- reset: {counters=true, config=true}: zero the counters / restore default configuration.
  Models stay (they are moto state; POST /moto-api/reset clears those).

Modules: `models` (ARNs, the model record and its clock-driven lifecycle), `catalog` (where
models live in moto's backend), `model_operations` and `policy_operations` (the backend methods),
`policies` (policy documents and the ImportModel authorization), `importing` (ImportModel),
`caller` (who calls), `throttling` (counters and throttling), `cloudtrail` (the events),
`state` (configuration and counters), `injection` (errors injected on purpose), `errors`
(client errors and field constraints), `moto_patch` (what install() changes in moto),
`control_routes`.
"""

from __future__ import annotations

from local_cloud.services.comprehend import control_routes, moto_patch
from local_cloud.services.comprehend.caller import Caller
from local_cloud.services.comprehend.cloudtrail import (
    CLOUDTRAIL_DETAIL_TYPE,
    announce,
    cloudtrail_record,
    record_call,
)
from local_cloud.services.comprehend.control_routes import configure, fail, reset, stats
from local_cloud.services.comprehend.errors import NAME_MAX_LENGTH, NAME_PATTERN
from local_cloud.services.comprehend.importing import import_model
from local_cloud.services.comprehend.models import (
    CLASSIFIER,
    RECOGNIZER,
    STOPPABLE_STATES,
    TERMINAL_STATES,
    TRAINED_STATES,
    CustomModel,
    ModelArn,
    Plan,
    model_arn,
)
from local_cloud.services.comprehend.policies import IMPORT_ACTION, POLICY_VERSIONS, may_import
from local_cloud.services.comprehend.state import AccountStats, Config, Outcome

__all__ = [
    "CLASSIFIER",
    "CLOUDTRAIL_DETAIL_TYPE",
    "IMPORT_ACTION",
    "NAME_MAX_LENGTH",
    "NAME_PATTERN",
    "POLICY_VERSIONS",
    "RECOGNIZER",
    "STOPPABLE_STATES",
    "TERMINAL_STATES",
    "TRAINED_STATES",
    "AccountStats",
    "Caller",
    "Config",
    "CustomModel",
    "ModelArn",
    "Outcome",
    "Plan",
    "announce",
    "cloudtrail_record",
    "configure",
    "fail",
    "import_model",
    "install",
    "may_import",
    "model_arn",
    "record_call",
    "reset",
    "stats",
]


def install() -> None:
    """Called by local_cloud.core.server at start: patch moto, then register the control routes."""
    moto_patch.patch_moto()
    control_routes.register()
