"""Amazon Comprehend custom models as AWS behaves where model-copy depends on it.

moto 5.2.5 falls short (see LOCAL-CLOUD-FACTS): no ImportModel, classifier ARNs without the
`/version/` segment, classifiers TRAINING forever, resource policies stored unchecked. `install()`
replaces the custom-model methods of moto's ComprehendBackend and adds ImportModel; every
Comprehend call also goes through `_accounted_call_action` (counting and throttling).

What AWS does, and so do we:
- ARNs `arn:aws:comprehend:{region}:{account}:document-classifier/{name}[/version/{version}]`
  (entity-recognizer likewise). Names and versions: `^[a-zA-Z0-9](-*[a-zA-Z0-9])*$`, at most 63
  characters, else ValidationException. Same name+version twice: ResourceInUseException.
  Unknown ARN: ResourceNotFoundException (Describe, Delete, StopTraining, policies, tags).
- Status follows the clock from SubmitTime: SUBMITTED (submitted_s) -> TRAINING (training_s, or
  import_s for an imported copy) -> TRAINED, or IN_ERROR/TRAINED_WITH_WARNING with a Message when
  `comprehend/fail` names the model. Nothing runs in the background; the timings are fixed when
  the model is created. StopTraining in SUBMITTED/TRAINING -> STOP_REQUESTED -> STOPPED after
  stopping_s, unless training ends first (then it ends as it would have, as AWS documents).
- Delete: only a model in a terminal state (TRAINED, TRAINED_WITH_WARNING, IN_ERROR, STOPPED)
  and not used by an endpoint, else ResourceInUseException; it is DELETING for deleting_s, then
  gone. AWS documents no restriction for a model with a resource policy: the policy goes with it.
- Resource policies: the model must exist; the policy must be JSON whose statements have
  Effect, Principal and only the action `comprehend:ImportModel`, else InvalidRequestException
  (the only client error PutResourcePolicy declares). PolicyRevisionId: a write or delete naming
  a revision that is not the current one is refused (InvalidRequestException, "revision" in the
  message); each write gets a new hex revision id. ModelPolicy on Create* is attached likewise.
- ImportModel: the source must be in the caller's Region (else InvalidRequestException), exist,
  and be TRAINED/TRAINED_WITH_WARNING (else InvalidRequestException). From another account an
  Allow statement for `comprehend:ImportModel` must name the caller ("*", the account id, its
  `:root`, the exact role ARN the caller's sts:AssumeRole credentials belong to, or the session
  ARN) and no Deny may match, else AccessDeniedException. The copy (ModelName defaults to the
  source's name) records SourceModelArn; a clash is ResourceInUseException.
- Create*/ImportModel put on the caller's default event bus the CloudTrail "AWS API Call via
  CloudTrail" event AWS delivers (never failing the call if that goes wrong).
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
- stats: {account?}: per account {calls, throttled, imports, imports_refused,
  operations: {Operation: {calls, throttled}}}; throttled calls are counted as calls too.
- reset: {counters=true, config=true}: zero the counters / restore default configuration.
  Models stay (they are moto state; POST /moto-api/reset clears those).
"""

from __future__ import annotations

import fnmatch
import json
import logging
import random
import re
import threading
import time
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from local_cloud import control

log = logging.getLogger("local_cloud.comprehend")

CLASSIFIER = "document-classifier"
RECOGNIZER = "entity-recognizer"
IMPORT_ACTION = "comprehend:ImportModel"
NAME_MAX_LENGTH = 63
NAME_PATTERN = r"^[a-zA-Z0-9](-*[a-zA-Z0-9])*$"
_NAME = re.compile(NAME_PATTERN)
_MODEL_ARN = re.compile(
    r"^arn:(aws[a-zA-Z-]*):comprehend:([a-zA-Z0-9-]*):([0-9]{12}):"
    r"(document-classifier|entity-recognizer)/([a-zA-Z0-9](?:-*[a-zA-Z0-9])*)"
    r"(?:/version/([a-zA-Z0-9](?:-*[a-zA-Z0-9])*))?$")
TRAINED_STATES = ("TRAINED", "TRAINED_WITH_WARNING")
TERMINAL_STATES = (*TRAINED_STATES, "IN_ERROR", "STOPPED")
STOPPABLE_STATES = ("SUBMITTED", "TRAINING")
POLICY_VERSIONS = ("2012-10-17", "2008-10-17")
CLOUDTRAIL_DETAIL_TYPE = "AWS API Call via CloudTrail"


# --------------------------------------------------------------------------- errors

def _error(code: str, message: str) -> Exception:
    from moto.core.exceptions import JsonRESTError

    return JsonRESTError(code, message)


def _not_found(arn: str) -> Exception:
    return _error("ResourceNotFoundException",
                  f"RESOURCE_NOT_FOUND: Could not find specified resource. ({arn})")


def _invalid(message: str) -> Exception:
    return _error("InvalidRequestException", message)


def _check_name(value: str | None, field_name: str, required: bool = True) -> None:
    """AWS's JSON services answer a constraint failure with ValidationException, in this form."""
    if value is None:
        if required:
            raise _error("ValidationException", f"1 validation error detected: Value null at "
                         f"'{field_name}' failed to satisfy constraint: Member must not be null")
        return
    if len(value) > NAME_MAX_LENGTH:
        raise _error("ValidationException", f"1 validation error detected: Value '{value}' at "
                     f"'{field_name}' failed to satisfy constraint: Member must have length "
                     f"less than or equal to {NAME_MAX_LENGTH}")
    if not _NAME.match(value):
        raise _error("ValidationException", f"1 validation error detected: Value '{value}' at "
                     f"'{field_name}' failed to satisfy constraint: Member must satisfy regular "
                     f"expression pattern: {NAME_PATTERN}")


# --------------------------------------------------------------------------- configuration

@dataclass
class Outcome:
    """How models of one name end, instead of TRAINED."""
    message: str
    status: str = "IN_ERROR"
    on: str = "both"  # "training" | "import" | "both"


@dataclass
class Config:
    submitted_s: float = 0.5
    training_s: float = 2.0
    import_s: float = 2.0
    stopping_s: float = 0.5
    deleting_s: float = 0.5
    # Model name -> {"submitted_s"?, "training_s"?, "import_s"?}
    models: dict[str, dict[str, float]] = field(default_factory=dict)
    outcomes: dict[str, Outcome] = field(default_factory=dict)
    throttle_probability: float = 0.0
    throttle_max_per_second: float | None = None
    throttle_operations: list[str] | None = None
    throttle_accounts: list[str] | None = None
    throttle_per: str = "operation"

    def duration(self, model_name: str, key: str) -> float:
        return float(self.models.get(model_name, {}).get(key, getattr(self, key)))


@dataclass
class AccountStats:
    calls: int = 0
    throttled: int = 0
    imports: int = 0
    imports_refused: int = 0
    operations: dict[str, dict[str, int]] = field(default_factory=dict)


class _State:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.config = Config()
        self.stats: dict[str, AccountStats] = {}
        self.buckets: dict[tuple[str, ...], tuple[float, float]] = {}  # key -> (tokens, at)
        self.random = random.Random()

    def account(self, account: str) -> AccountStats:
        return self.stats.setdefault(account, AccountStats())


_state = _State()


# --------------------------------------------------------------------------- throttling, counting

def _throttles(account: str, operation: str) -> bool:
    config = _state.config
    if config.throttle_operations is not None and operation not in config.throttle_operations:
        return False
    if config.throttle_accounts is not None and account not in config.throttle_accounts:
        return False
    if config.throttle_probability > 0 and _state.random.random() < config.throttle_probability:
        return True
    rate = config.throttle_max_per_second
    if rate is None:
        return False
    # Token bucket: a burst of max(1, rate) calls, refilled at `rate` per second; refused calls
    # take no token, as a service quota behaves.
    key = (account, operation) if config.throttle_per == "operation" else (account,)
    capacity = max(1.0, float(rate))
    now = time.monotonic()
    tokens, at = _state.buckets.get(key, (capacity, now))
    tokens = min(capacity, tokens + (now - at) * float(rate))
    if tokens < 1.0:
        _state.buckets[key] = (tokens, now)
        return True
    _state.buckets[key] = (tokens - 1.0, now)
    return False


def _admit(account: str, operation: str) -> bool:
    """Count the call; False when it is throttled."""
    with _state.lock:
        throttled = _throttles(account, operation)
        stats = _state.account(account)
        per_operation = stats.operations.setdefault(operation, {"calls": 0, "throttled": 0})
        stats.calls += 1
        per_operation["calls"] += 1
        if throttled:
            stats.throttled += 1
            per_operation["throttled"] += 1
    return not throttled


# --------------------------------------------------------------------------- the caller

@dataclass(frozen=True)
class Caller:
    """Who makes the current call, as IAM and CloudTrail see it."""
    account: str
    access_key: str = ""
    role_arn: str | None = None  # arn:aws:iam::<account>:role/<name> for assumed-role keys
    session_arn: str | None = None  # arn:aws:sts::<account>:assumed-role/<name>/<session>
    params: dict[str, Any] = field(default_factory=dict)
    user_agent: str = ""
    source_ip: str = "127.0.0.1"
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    @property
    def arn(self) -> str:
        return self.session_arn or f"arn:aws:iam::{self.account}:root"


_calls = threading.local()


def _current_caller(account: str) -> Caller:
    caller = getattr(_calls, "caller", None)
    if isinstance(caller, Caller) and caller.account == account:
        return caller
    return Caller(account=account)  # a direct backend call (tests of moto in-process)


def _identify(response: Any) -> Caller:
    account = str(response.current_account)
    access_key = str(response.get_access_key() or "")
    role_arn = session_arn = None
    try:
        from moto.sts.models import sts_backends

        assumed = sts_backends[account]["aws"].get_assumed_role_from_access_key(access_key)
        if assumed is not None:
            role_arn, session_arn = assumed.role_arn, assumed.arn
    except Exception:  # no STS record (e.g. x-moto-account-id): the caller is the account
        log.debug("no assumed role for access key %s", access_key, exc_info=True)
    try:
        params = json.loads(response.body or "{}")
    except ValueError:
        params = {}
    return Caller(account=account, access_key=access_key, role_arn=role_arn,
                  session_arn=session_arn, params=params if isinstance(params, dict) else {},
                  user_agent=str(response.headers.get("User-Agent", "")),
                  source_ip=str(response.headers.get("X-Forwarded-For", "127.0.0.1")))


def _accounted_call_action(self: Any) -> Any:
    """Replaces ComprehendResponse.call_action: count, maybe throttle, then moto's dispatch."""
    from moto.core.responses import BaseResponse

    operation = str(self._get_action())
    caller = _identify(self)
    if not _admit(caller.account, operation):
        error = _error("TooManyRequestsException", "Rate exceeded")
        headers = dict(self.response_headers)
        headers.update(dict(error.get_headers()))  # type: ignore[attr-defined]
        # AWS puts a request id on every response, errors included; clients read it.
        headers.setdefault("x-amzn-RequestId", str(uuid.uuid4()))
        return 400, headers, error.description  # type: ignore[attr-defined]
    _calls.caller = caller
    try:
        return BaseResponse.call_action(self)
    finally:
        _calls.caller = None


# --------------------------------------------------------------------------- models

def model_arn(kind: str, region: str, account: str, name: str, version: str | None) -> str:
    arn = f"arn:aws:comprehend:{region}:{account}:{kind}/{name}"
    return f"{arn}/version/{version}" if version else arn


@dataclass(frozen=True)
class ModelArn:
    region: str
    account: str
    kind: str
    name: str
    version: str | None

    @classmethod
    def parse(cls, arn: str | None) -> ModelArn | None:
        match = _MODEL_ARN.match(arn or "")
        if not match:
            return None
        _, region, account, kind, name, version = match.groups()
        return cls(region, account, kind, name, version)


@dataclass
class Plan:
    """The lifecycle a model will follow, fixed when it is created."""
    submitted_s: float
    active_s: float  # training, or importing for a copy
    status: str = "TRAINED"
    message: str | None = None


@dataclass
class CustomModel:
    """A document classifier or entity recognizer (one version)."""
    kind: str
    name: str
    version: str | None
    account: str
    region: str
    language_code: str | None
    plan: Plan
    submitted_at: float = field(default_factory=time.time)
    data_access_role_arn: str | None = None
    input_data_config: dict[str, Any] | None = None
    output_data_config: dict[str, Any] | None = None
    mode: str | None = None
    volume_kms_key_id: str | None = None
    model_kms_key_id: str | None = None
    vpc_config: dict[str, Any] | None = None
    source_model_arn: str | None = None
    client_request_token: str | None = None
    stop_requested_at: float | None = None
    stop_completes_at: float | None = None
    deleted_at: float | None = None
    gone_at: float | None = None

    @property
    def arn(self) -> str:
        return model_arn(self.kind, self.region, self.account, self.name, self.version)

    @property
    def training_starts(self) -> float:
        return self.submitted_at + self.plan.submitted_s

    @property
    def training_ends(self) -> float:
        return self.training_starts + self.plan.active_s

    def status(self, now: float | None = None) -> str:
        now = time.time() if now is None else now
        if self.deleted_at is not None:
            return "DELETING"
        ends = self.training_ends
        if self.stop_requested_at is not None and self.stop_completes_at is not None:
            if now < min(ends, self.stop_completes_at):
                return "STOP_REQUESTED"
            if self.stop_completes_at < ends:
                return "STOPPED"
        if now < self.training_starts:
            return "SUBMITTED"
        if now < ends:
            return "TRAINING"
        return self.plan.status

    def ended_at(self) -> float | None:
        status = self.status()
        if status == "STOPPED":
            return self.stop_completes_at
        if status in (*TRAINED_STATES, "IN_ERROR"):
            return self.training_ends
        return None

    def to_dict(self) -> dict[str, Any]:
        """Describe*Properties as AWS returns them (timestamps as epoch seconds)."""
        status = self.status()
        ended = self.ended_at()
        started = self.training_starts if time.time() >= self.training_starts else None
        classifier = self.kind == CLASSIFIER
        properties: dict[str, Any] = {
            ("DocumentClassifierArn" if classifier else "EntityRecognizerArn"): self.arn,
            "LanguageCode": self.language_code,
            "Status": status,
            "Message": self.plan.message if status in ("IN_ERROR", "TRAINED_WITH_WARNING")
            else None,
            "SubmitTime": self.submitted_at,
            "EndTime": ended,
            "TrainingStartTime": started,
            "TrainingEndTime": ended,
            "InputDataConfig": self.input_data_config,
            "DataAccessRoleArn": self.data_access_role_arn,
            "VolumeKmsKeyId": self.volume_kms_key_id,
            "VpcConfig": self.vpc_config,
            "ModelKmsKeyId": self.model_kms_key_id,
            "VersionName": self.version,
            "SourceModelArn": self.source_model_arn,
        }
        if classifier:
            properties["OutputDataConfig"] = self.output_data_config
            properties["Mode"] = self.mode or "MULTI_CLASS"
        if status in TRAINED_STATES:
            properties["ClassifierMetadata" if classifier else "RecognizerMetadata"] = (
                self._metadata())
        return {key: value for key, value in properties.items() if value is not None}

    def _metadata(self) -> dict[str, Any]:
        # Plausible figures: callers only check that they are there.
        metrics = {"Precision": 0.9, "Recall": 0.9, "F1Score": 0.9}
        if self.kind == CLASSIFIER:
            return {"NumberOfLabels": 2, "NumberOfTrainedDocuments": 90,
                    "NumberOfTestDocuments": 10, "EvaluationMetrics": {"Accuracy": 0.9, **metrics}}
        types = (self.input_data_config or {}).get("EntityTypes") or []
        return {"NumberOfTrainedDocuments": 90, "NumberOfTestDocuments": 10,
                "EvaluationMetrics": metrics,
                "EntityTypes": [{"Type": t.get("Type"), "EvaluationMetrics": metrics,
                                 "NumberOfTrainMentions": 100} for t in types]}


def _plan(name: str, imported_from: str | None = None) -> Plan:
    config = _state.config
    phase = "import" if imported_from else "training"
    plan = Plan(submitted_s=config.duration(name, "submitted_s"),
                active_s=config.duration(name, "import_s" if imported_from else "training_s"))
    candidates = [name] + ([imported_from] if imported_from else [])
    for candidate in candidates:
        outcome = config.outcomes.get(candidate)
        if outcome and outcome.on in (phase, "both"):
            plan.status, plan.message = outcome.status, outcome.message
            break
    return plan


def _models(backend: Any, kind: str) -> dict[str, Any]:
    return backend.classifiers if kind == CLASSIFIER else backend.recognizers


def _purge_deleted(backend: Any) -> None:
    now = time.time()
    for models in (backend.classifiers, backend.recognizers):
        for arn, model in list(models.items()):
            gone_at = model.gone_at if isinstance(model, CustomModel) else None
            if gone_at is not None and now >= gone_at:
                del models[arn]
                backend.tagger.delete_all_tags_for_resource(arn)


def _find(backend: Any, arn: str | None, kind: str | None = None) -> CustomModel:
    parsed = ModelArn.parse(arn)
    if parsed is None or (kind and parsed.kind != kind):
        raise _invalid(f"The ARN {arn!r} is not a valid {kind or 'custom model'} ARN")
    _purge_deleted(backend)
    model = _models(backend, parsed.kind).get(str(arn))
    if not isinstance(model, CustomModel):
        raise _not_found(str(arn))
    return model


def _backend_of(account: str, region: str) -> Any:
    from moto.comprehend.models import comprehend_backends

    return comprehend_backends[account][region]


def _add(backend: Any, model: CustomModel, tags: list[dict[str, str]] | None,
         policy: str | None) -> str:
    _purge_deleted(backend)
    models = _models(backend, model.kind)
    if model.arn in models:
        raise _error("ResourceInUseException",
                     f"Specified resource name ({model.name}"
                     f"{f' version {model.version}' if model.version else ''}) is already in "
                     f"use: {model.arn}")
    if policy is not None:
        _parse_policy(policy)
    models[model.arn] = model
    if tags:
        backend.tagger.tag_resource(model.arn, tags)
    if policy is not None:
        _store_policy(backend, model.arn, policy)
    return model.arn


def create_document_classifier(self: Any, document_classifier_name: str, version_name: str,
                               data_access_role_arn: str, tags: list[dict[str, str]],
                               input_data_config: dict[str, Any],
                               output_data_config: dict[str, Any], client_request_token: str,
                               language_code: str, volume_kms_key_id: str,
                               vpc_config: dict[str, Any], mode: str, model_kms_key_id: str,
                               model_policy: str) -> str:
    _check_name(document_classifier_name, "documentClassifierName")
    _check_name(version_name, "versionName", required=False)
    with _state.lock:
        model = CustomModel(
            kind=CLASSIFIER, name=document_classifier_name, version=version_name,
            account=self.account_id, region=self.region_name, language_code=language_code,
            plan=_plan(document_classifier_name), data_access_role_arn=data_access_role_arn,
            input_data_config=input_data_config, output_data_config=output_data_config,
            mode=mode, volume_kms_key_id=volume_kms_key_id, model_kms_key_id=model_kms_key_id,
            vpc_config=vpc_config, client_request_token=client_request_token)
        arn = _add(self, model, tags, model_policy)
    _announce(self.account_id, self.region_name, "CreateDocumentClassifier",
              {"documentClassifierArn": arn})
    return arn


def create_entity_recognizer(self: Any, recognizer_name: str, version_name: str,
                             data_access_role_arn: str, tags: list[dict[str, str]],
                             input_data_config: dict[str, Any], language_code: str,
                             volume_kms_key_id: str, vpc_config: dict[str, Any],
                             model_kms_key_id: str, model_policy: str) -> str:
    _check_name(recognizer_name, "recognizerName")
    _check_name(version_name, "versionName", required=False)
    with _state.lock:
        model = CustomModel(
            kind=RECOGNIZER, name=recognizer_name, version=version_name,
            account=self.account_id, region=self.region_name, language_code=language_code,
            plan=_plan(recognizer_name), data_access_role_arn=data_access_role_arn,
            input_data_config=input_data_config, volume_kms_key_id=volume_kms_key_id,
            model_kms_key_id=model_kms_key_id, vpc_config=vpc_config)
        arn = _add(self, model, tags, model_policy)
    _announce(self.account_id, self.region_name, "CreateEntityRecognizer",
              {"entityRecognizerArn": arn})
    return arn


def describe_document_classifier(self: Any, document_classifier_arn: str) -> CustomModel:
    with _state.lock:
        return _find(self, document_classifier_arn, CLASSIFIER)


def describe_entity_recognizer(self: Any, entity_recognizer_arn: str) -> CustomModel:
    with _state.lock:
        return _find(self, entity_recognizer_arn, RECOGNIZER)


def _stop(backend: Any, arn: str, kind: str) -> None:
    with _state.lock:
        model = _find(backend, arn, kind)
        if model.status() in STOPPABLE_STATES and model.stop_requested_at is None:
            now = time.time()
            model.stop_requested_at = now
            model.stop_completes_at = now + _state.config.stopping_s


def stop_training_document_classifier(self: Any, document_classifier_arn: str) -> None:
    _stop(self, document_classifier_arn, CLASSIFIER)


def stop_training_entity_recognizer(self: Any, entity_recognizer_arn: str) -> None:
    _stop(self, entity_recognizer_arn, RECOGNIZER)


def _delete(backend: Any, arn: str, kind: str) -> None:
    with _state.lock:
        model = _find(backend, arn, kind)
        status = model.status()
        if status == "DELETING":
            return
        if status not in TERMINAL_STATES:
            raise _error("ResourceInUseException",
                         f"{arn} is {status}: only a model in a terminal state "
                         f"({', '.join(TERMINAL_STATES)}) can be deleted")
        in_use = [e.arn for e in backend.endpoints.values() if e.model_arn == arn]
        if in_use:
            raise _error("ResourceInUseException",
                         f"{arn} is used by endpoint {in_use[0]}; delete the endpoint first")
        now = time.time()
        model.deleted_at = now
        model.gone_at = now + _state.config.deleting_s
        backend.resource_policies.pop(arn, None)


def delete_document_classifier(self: Any, document_classifier_arn: str) -> None:
    _delete(self, document_classifier_arn, CLASSIFIER)


def delete_entity_recognizer(self: Any, entity_recognizer_arn: str) -> None:
    _delete(self, entity_recognizer_arn, RECOGNIZER)


def _epoch(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()


def _listed(backend: Any, kind: str, name_key: str, filters: dict[str, Any] | None
            ) -> list[CustomModel]:
    filters = filters or {}
    before, after = _epoch(filters.get("SubmitTimeBefore")), _epoch(filters.get("SubmitTimeAfter"))
    with _state.lock:
        _purge_deleted(backend)
        models = [m for m in _models(backend, kind).values() if isinstance(m, CustomModel)]
    return [m for m in sorted(models, key=lambda m: m.submitted_at)
            if (name_key not in filters or m.name == filters[name_key])
            and ("Status" not in filters or m.status() == filters["Status"])
            and (before is None or m.submitted_at < before)
            and (after is None or m.submitted_at > after)]


def list_document_classifiers(self: Any, filter: dict[str, Any] | None = None,
                              next_token: str | None = None, max_results: int | None = None
                              ) -> tuple[list[dict[str, Any]], None]:
    del next_token, max_results  # everything fits in one page locally
    return [m.to_dict() for m in _listed(self, CLASSIFIER, "DocumentClassifierName", filter)], None


def list_entity_recognizers(self: Any, _filter: dict[str, Any]) -> list[CustomModel]:
    return _listed(self, RECOGNIZER, "RecognizerName", _filter)


def list_tags_for_resource(self: Any, resource_arn: str) -> list[dict[str, str]]:
    if ModelArn.parse(resource_arn):
        with _state.lock:
            _find(self, resource_arn)
    return self.tagger.list_tags_for_resource(resource_arn)["Tags"]


def tag_resource(self: Any, arn: str, tags: dict[str, str]) -> None:
    if ModelArn.parse(arn):
        with _state.lock:
            _find(self, arn)
    self.tagger.tag_resource(arn, self.tagger.convert_dict_to_tags_input(tags))


# --------------------------------------------------------------------------- resource policies

def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


_PRINCIPAL = re.compile(r"^(\*|[0-9]{12}|arn:aws[a-zA-Z-]*:(iam|sts)::[0-9]{12}:\S+)$")


def _statements(policy: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for s in _as_list(policy.get("Statement")) if isinstance(s, dict)]


def _parse_policy(text: str | None) -> dict[str, Any]:
    """The policy document, or InvalidRequestException saying what is wrong with it."""
    try:
        policy = json.loads(text or "")
    except ValueError as error:
        raise _invalid(f"The resource policy is not valid JSON: {error}") from None
    if not isinstance(policy, dict):
        raise _invalid("The resource policy must be a JSON object")
    if "Version" in policy and policy["Version"] not in POLICY_VERSIONS:
        raise _invalid(f"Unsupported policy Version {policy['Version']!r}")
    statements = _as_list(policy.get("Statement"))
    if not statements:
        raise _invalid("The resource policy has no Statement")
    for index, statement in enumerate(statements):
        where = f"Statement {index + 1}"
        if not isinstance(statement, dict):
            raise _invalid(f"{where} is not a JSON object")
        for unsupported in ("NotAction", "NotPrincipal", "NotResource"):
            if unsupported in statement:
                raise _invalid(f"{where}: {unsupported} is not supported in a model policy")
        if statement.get("Effect") not in ("Allow", "Deny"):
            raise _invalid(f"{where}: Effect must be Allow or Deny")
        actions = _as_list(statement.get("Action"))
        wrong = [a for a in actions if str(a).lower() != IMPORT_ACTION.lower()]
        if not actions or wrong:
            raise _invalid(f"{where}: the only action a model policy may name is "
                           f"{IMPORT_ACTION} (found {wrong or 'none'})")
        principal = statement.get("Principal")
        candidates = (_as_list(principal.get("AWS")) if isinstance(principal, dict)
                      else _as_list(principal))
        if not candidates or not all(_PRINCIPAL.match(str(p)) for p in candidates):
            raise _invalid(f"{where}: Principal must name AWS accounts or IAM principals "
                           f"(found {principal!r})")
    return policy


def _store_policy(backend: Any, arn: str, text: str) -> str:
    now = datetime.now(UTC)
    current = backend.resource_policies.get(arn) or {}
    revision = uuid.uuid4().hex
    backend.resource_policies[arn] = {
        "ResourcePolicy": text, "PolicyRevisionId": revision,
        "CreationTime": current.get("CreationTime", now), "LastModifiedTime": now}
    return revision


def _check_revision(backend: Any, arn: str, revision: str | None) -> None:
    if revision is None:
        return
    current = (backend.resource_policies.get(arn) or {}).get("PolicyRevisionId")
    if current is None:
        raise _invalid(f"PolicyRevisionId {revision} does not match: {arn} has no policy "
                       "revision (omit PolicyRevisionId to create the first one)")
    if revision != current:
        raise _invalid(f"PolicyRevisionId {revision} does not match the current policy "
                       f"revision of {arn}; describe the policy again and retry")


def put_resource_policy(self: Any, resource_arn: str, resource_policy: str,
                        policy_revision_id: str | None = None) -> str:
    with _state.lock:
        _find(self, resource_arn)
        _parse_policy(resource_policy)
        _check_revision(self, resource_arn, policy_revision_id)
        return _store_policy(self, resource_arn, resource_policy)


def describe_resource_policy(self: Any, resource_arn: str) -> dict[str, Any]:
    with _state.lock:
        _find(self, resource_arn)
        details = self.resource_policies.get(resource_arn)
        if not details:
            raise _not_found(resource_arn)
        return dict(details)


def delete_resource_policy(self: Any, resource_arn: str,
                           policy_revision_id: str | None = None) -> None:
    with _state.lock:
        _find(self, resource_arn)
        if resource_arn not in self.resource_policies:
            raise _not_found(resource_arn)
        _check_revision(self, resource_arn, policy_revision_id)
        del self.resource_policies[resource_arn]


# --------------------------------------------------------------------------- import authorization

def _principal_names_caller(principal: Any, caller: Caller) -> bool:
    if principal == "*":
        return True
    candidates = _as_list(principal.get("AWS")) if isinstance(principal, dict) else _as_list(
        principal)
    for candidate in map(str, candidates):
        if candidate in ("*", caller.account, f"arn:aws:iam::{caller.account}:root"):
            return True
        # A role stands only for itself (and its sessions), not for its account.
        if candidate in (caller.role_arn, caller.session_arn):
            return True
    return False


_CONDITION_OPERATORS = {
    "StringEquals": lambda actual, wanted: actual == wanted,
    "StringLike": fnmatch.fnmatchcase,
    "ArnEquals": lambda actual, wanted: actual == wanted,
    "ArnLike": fnmatch.fnmatchcase,
}


def _conditions_hold(conditions: Any, caller: Caller) -> bool:
    """The few condition keys a model policy can sensibly use; anything else does not hold."""
    if not conditions:
        return True
    context = {"aws:principalaccount": caller.account,
               "aws:principalarn": caller.role_arn or caller.arn}
    for operator, tests in dict(conditions).items():
        negated = operator.replace("Not", "", 1) if "Not" in operator else None
        compare = _CONDITION_OPERATORS.get(negated or operator)
        if compare is None or not isinstance(tests, dict):
            return False
        for key, wanted in tests.items():
            actual = context.get(str(key).lower())
            if actual is None:
                return False
            matched = any(compare(actual, str(w)) for w in _as_list(wanted))
            if matched == bool(negated):
                return False
    return True


def _applies(statement: dict[str, Any], caller: Caller, arn: str) -> bool:
    actions = [str(a).lower() for a in _as_list(statement.get("Action"))]
    if not any(fnmatch.fnmatchcase(IMPORT_ACTION.lower(), a) for a in actions):
        return False
    resources = _as_list(statement.get("Resource"))
    if resources and not any(fnmatch.fnmatchcase(arn, str(r)) for r in resources):
        return False
    return _principal_names_caller(statement.get("Principal"), caller) and _conditions_hold(
        statement.get("Condition"), caller)


def may_import(policy_text: str | None, caller: Caller, arn: str) -> bool:
    """Cross-account: an Allow must name the caller and no Deny may (explicit Deny wins)."""
    if not policy_text:
        return False
    try:
        policy = json.loads(policy_text)
    except ValueError:
        return False
    applying = [s for s in _statements(policy) if _applies(s, caller, arn)]
    if any(s.get("Effect") == "Deny" for s in applying):
        return False
    return any(s.get("Effect") == "Allow" for s in applying)


def import_model(self: Any, source_model_arn: str, model_name: str | None = None,
                 version_name: str | None = None, model_kms_key_id: str | None = None,
                 data_access_role_arn: str | None = None,
                 tags: list[dict[str, str]] | None = None) -> str:
    caller = _current_caller(self.account_id)
    source_ref = ModelArn.parse(source_model_arn)
    if source_ref is None:
        raise _invalid(f"SourceModelArn {source_model_arn!r} is not a document classifier or "
                       "entity recognizer ARN")
    _check_name(model_name, "modelName", required=False)
    _check_name(version_name, "versionName", required=False)
    if source_ref.region != self.region_name:
        raise _invalid(f"The source model is in Region {source_ref.region}; a model can only "
                       f"be imported in the Region that contains it (this is "
                       f"{self.region_name})")
    with _state.lock:
        source = _find(_backend_of(source_ref.account, source_ref.region), source_model_arn)
        if source_ref.account != caller.account:
            policy = (_backend_of(source_ref.account, source_ref.region)
                      .resource_policies.get(source_model_arn) or {}).get("ResourcePolicy")
            if not may_import(policy, caller, source_model_arn):
                _state.account(caller.account).imports_refused += 1
                raise _error("AccessDeniedException",
                             f"User: {caller.arn} is not authorized to perform: {IMPORT_ACTION} "
                             f"on resource: {source_model_arn} because no resource-based "
                             f"policy allows the {IMPORT_ACTION} action")
        status = source.status()
        if status not in TRAINED_STATES:
            raise _invalid(f"The source model {source_model_arn} is {status}; only a TRAINED "
                           "or TRAINED_WITH_WARNING model can be imported")
        name = model_name or source.name
        copy = CustomModel(
            kind=source.kind, name=name, version=version_name, account=self.account_id,
            region=self.region_name, language_code=source.language_code,
            plan=_plan(name, imported_from=source.name),
            data_access_role_arn=data_access_role_arn, mode=source.mode,
            model_kms_key_id=model_kms_key_id, source_model_arn=source_model_arn,
            input_data_config=({"EntityTypes": (source.input_data_config or {}).get(
                "EntityTypes", [])} if source.kind == RECOGNIZER else None))
        arn = _add(self, copy, tags, None)
        _state.account(caller.account).imports += 1
    _announce(self.account_id, self.region_name, "ImportModel", {"modelArn": arn})
    return arn


def _import_model_response(self: Any) -> str:
    """ComprehendResponse.import_model: the JSON protocol routes by method name."""
    params = json.loads(self.body or "{}")
    arn = self.comprehend_backend.import_model(
        source_model_arn=params.get("SourceModelArn"), model_name=params.get("ModelName"),
        version_name=params.get("VersionName"), model_kms_key_id=params.get("ModelKmsKeyId"),
        data_access_role_arn=params.get("DataAccessRoleArn"), tags=params.get("Tags"))
    return json.dumps({"ModelArn": arn})


# --------------------------------------------------------------------------- CloudTrail events

def _cloudtrail_case(value: Any) -> Any:
    """CloudTrail records request fields in lowerCamelCase: DocumentClassifierName ->
    documentClassifierName, Tags [{"Key", "Value"}] -> tags [{"key", "value"}]."""
    if isinstance(value, dict):
        return {(k[:1].lower() + k[1:]): _cloudtrail_case(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_cloudtrail_case(v) for v in value]
    return value


def _user_identity(caller: Caller) -> dict[str, Any]:
    if caller.role_arn and caller.session_arn:
        role_name = caller.role_arn.rsplit("/", 1)[-1]
        session = caller.session_arn.rsplit("/", 1)[-1]
        principal_id = f"AROA{caller.account}LOCAL:{session}"
        return {"type": "AssumedRole", "principalId": principal_id, "arn": caller.session_arn,
                "accountId": caller.account, "accessKeyId": caller.access_key,
                "sessionContext": {
                    "sessionIssuer": {"type": "Role", "principalId": principal_id.split(":")[0],
                                      "arn": caller.role_arn, "accountId": caller.account,
                                      "userName": role_name},
                    "attributes": {"mfaAuthenticated": "false"}}}
    return {"type": "Root", "principalId": caller.account, "arn": caller.arn,
            "accountId": caller.account, "accessKeyId": caller.access_key}


def cloudtrail_record(caller: Caller, region: str, event_name: str,
                      response_elements: dict[str, Any]) -> dict[str, Any]:
    """The detail of the "AWS API Call via CloudTrail" event for one Comprehend call."""
    return {
        "eventVersion": "1.08",
        "userIdentity": _user_identity(caller),
        "eventTime": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventSource": "comprehend.amazonaws.com",
        "eventName": event_name,
        "awsRegion": region,
        "sourceIPAddress": caller.source_ip,
        "userAgent": caller.user_agent,
        "requestParameters": _cloudtrail_case(caller.params),
        "responseElements": response_elements,
        "requestID": caller.request_id,
        "eventID": str(uuid.uuid4()),
        "readOnly": False,
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": caller.account,
        "eventCategory": "Management",
    }


def _announce(account: str, region: str, event_name: str,
              response_elements: dict[str, Any]) -> None:
    """Put the CloudTrail event on the account's default bus; a failure here is only logged."""
    try:
        from moto.events.models import events_backends

        detail = cloudtrail_record(_current_caller(account), region, event_name,
                                   response_elements)
        results = events_backends[account][region].put_events([{
            "Source": "aws.comprehend", "DetailType": CLOUDTRAIL_DETAIL_TYPE,
            "Detail": json.dumps(detail), "EventBusName": "default", "Resources": []}])
        for result in results or []:
            if isinstance(result, dict) and result.get("ErrorCode"):
                log.warning("CloudTrail event for %s refused: %s", event_name, result)
    except Exception:  # the API call succeeded; its event is best effort, as CloudTrail's is
        log.exception("could not put the CloudTrail event for %s", event_name)


# --------------------------------------------------------------------------- control routes

_DURATIONS = ("submitted_s", "training_s", "import_s", "stopping_s", "deleting_s")
_THROTTLE_KEYS = ("throttle_probability", "throttle_max_per_second", "throttle_operations",
                  "throttle_accounts", "throttle_per")


def configure(models: dict[str, dict[str, float] | None] | None = None,
              **settings: Any) -> dict[str, Any]:
    unknown = set(settings) - set(_DURATIONS) - set(_THROTTLE_KEYS)
    if unknown:
        raise ValueError(f"unknown settings {sorted(unknown)}; known: "
                         f"{[*_DURATIONS, 'models', *_THROTTLE_KEYS]}")
    if settings.get("throttle_per", "operation") not in ("operation", "account"):
        raise ValueError("throttle_per must be 'operation' or 'account'")
    with _state.lock:
        config = _state.config
        for key, value in settings.items():
            if key in _DURATIONS and (value is None or float(value) < 0):
                raise ValueError(f"{key} must be a number >= 0")
            setattr(config, key, float(value) if key in _DURATIONS else value)
        for name, durations in (models or {}).items():
            if durations is None:
                config.models.pop(name, None)
                continue
            bad = set(durations) - {"submitted_s", "training_s", "import_s"}
            if bad:
                raise ValueError(f"per-model durations are submitted_s/training_s/import_s, "
                                 f"not {sorted(bad)}")
            config.models.setdefault(name, {}).update(
                {k: float(v) for k, v in durations.items()})
        _state.buckets.clear()
        return asdict(config)


def fail(model_name: str, message: str | None, status: str = "IN_ERROR",
         on: str = "both") -> dict[str, Any]:
    if status not in ("IN_ERROR", "TRAINED_WITH_WARNING"):
        raise ValueError("status must be IN_ERROR or TRAINED_WITH_WARNING")
    if on not in ("both", "training", "import"):
        raise ValueError("on must be both, training or import")
    with _state.lock:
        if message is None:
            _state.config.outcomes.pop(model_name, None)
        else:
            _state.config.outcomes[model_name] = Outcome(message=message, status=status, on=on)
        return {name: asdict(o) for name, o in _state.config.outcomes.items()}


def stats(account: str | None = None) -> dict[str, Any]:
    with _state.lock:
        chosen = {a: s for a, s in _state.stats.items() if account in (None, a)}
        return {"accounts": {a: asdict(s) for a, s in chosen.items()}}


def reset(counters: bool = True, config: bool = True) -> dict[str, Any]:
    with _state.lock:
        if counters:
            _state.stats.clear()
        if config:
            _state.config = Config()
        _state.buckets.clear()
    return {"counters": counters, "config": config}


def install() -> None:
    from moto.comprehend.models import ComprehendBackend
    from moto.comprehend.responses import ComprehendResponse

    for function in (create_document_classifier, create_entity_recognizer,
                     describe_document_classifier, describe_entity_recognizer,
                     stop_training_document_classifier, stop_training_entity_recognizer,
                     delete_document_classifier, delete_entity_recognizer,
                     list_document_classifiers, list_entity_recognizers,
                     list_tags_for_resource, tag_resource, put_resource_policy,
                     describe_resource_policy, delete_resource_policy, import_model):
        setattr(ComprehendBackend, function.__name__, function)
    ComprehendResponse.import_model = _import_model_response  # type: ignore[attr-defined]
    ComprehendResponse.call_action = _accounted_call_action  # type: ignore[method-assign]

    for action, handler in (("configure", configure), ("fail", fail), ("stats", stats),
                            ("reset", reset)):
        control.register("comprehend", action, handler)
