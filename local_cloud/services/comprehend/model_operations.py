"""The ComprehendBackend methods for classifiers and recognizers: create, describe, stop
training, delete, list and tag, as AWS answers them (see the package docstring).
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from local_cloud.services.comprehend.catalog import add, find, models_of, purge_deleted
from local_cloud.services.comprehend.encryption import check_create_keys
from local_cloud.services.comprehend.errors import KMS_KEY_ID, check, check_name, error
from local_cloud.services.comprehend.models import (
    CLASSIFIER,
    RECOGNIZER,
    STOPPABLE_STATES,
    TERMINAL_STATES,
    CustomModel,
    ModelArn,
    plan_for,
)
from local_cloud.services.comprehend.state import state


def _check_keys(backend: Any, volume_kms_key_id: str | None,
                model_kms_key_id: str | None) -> None:
    check(volume_kms_key_id, "volumeKmsKeyId", KMS_KEY_ID, required=False)
    check(model_kms_key_id, "modelKmsKeyId", KMS_KEY_ID, required=False)
    check_create_keys(backend.account_id, backend.region_name, volume_kms_key_id,
                      model_kms_key_id)


def _create(backend: Any, kind: str, name: str, name_field: str, version_name: str,
            tags: list[dict[str, str]], model_policy: str, **settings: Any) -> str:
    """What creating either kind of model does: check its names and keys, then add it, on the
    plan its name chooses; `settings` are the CustomModel fields of that kind's request."""
    check_name(name, name_field)
    check_name(version_name, "versionName", required=False)
    _check_keys(backend, settings["volume_kms_key_id"], settings["model_kms_key_id"])
    with state.lock:
        model = CustomModel(kind=kind, name=name, version=version_name,
                            account=backend.account_id, region=backend.region_name,
                            plan=plan_for(name), **settings)
        return add(backend, model, tags, model_policy)


def create_document_classifier(self: Any, document_classifier_name: str, version_name: str,
                               data_access_role_arn: str, tags: list[dict[str, str]],
                               input_data_config: dict[str, Any],
                               output_data_config: dict[str, Any], client_request_token: str,
                               language_code: str, volume_kms_key_id: str,
                               vpc_config: dict[str, Any], mode: str, model_kms_key_id: str,
                               model_policy: str) -> str:
    return _create(self, CLASSIFIER, document_classifier_name, "documentClassifierName",
                   version_name, tags, model_policy, language_code=language_code,
                   data_access_role_arn=data_access_role_arn,
                   input_data_config=input_data_config, output_data_config=output_data_config,
                   mode=mode, volume_kms_key_id=volume_kms_key_id,
                   model_kms_key_id=model_kms_key_id, vpc_config=vpc_config,
                   client_request_token=client_request_token)


def create_entity_recognizer(self: Any, recognizer_name: str, version_name: str,
                             data_access_role_arn: str, tags: list[dict[str, str]],
                             input_data_config: dict[str, Any], language_code: str,
                             volume_kms_key_id: str, vpc_config: dict[str, Any],
                             model_kms_key_id: str, model_policy: str) -> str:
    return _create(self, RECOGNIZER, recognizer_name, "recognizerName", version_name, tags,
                   model_policy, language_code=language_code,
                   data_access_role_arn=data_access_role_arn,
                   input_data_config=input_data_config, volume_kms_key_id=volume_kms_key_id,
                   model_kms_key_id=model_kms_key_id, vpc_config=vpc_config)


def describe_document_classifier(self: Any, document_classifier_arn: str) -> CustomModel:
    with state.lock:
        return find(self, document_classifier_arn, CLASSIFIER)


def describe_entity_recognizer(self: Any, entity_recognizer_arn: str) -> CustomModel:
    with state.lock:
        return find(self, entity_recognizer_arn, RECOGNIZER)


def _stop(backend: Any, arn: str, kind: str) -> None:
    with state.lock:
        model = find(backend, arn, kind)
        if model.status() in STOPPABLE_STATES and model.stop_requested_at is None:
            now = time.time()
            model.stop_requested_at = now
            model.stop_completes_at = now + state.config.stopping_s


def stop_training_document_classifier(self: Any, document_classifier_arn: str) -> None:
    _stop(self, document_classifier_arn, CLASSIFIER)


def stop_training_entity_recognizer(self: Any, entity_recognizer_arn: str) -> None:
    _stop(self, entity_recognizer_arn, RECOGNIZER)


def _delete(backend: Any, arn: str, kind: str) -> None:
    with state.lock:
        model = find(backend, arn, kind)
        status = model.status()
        if status == "DELETING":
            return
        if status not in TERMINAL_STATES:
            raise error("ResourceInUseException",
                        f"{arn} is {status}: only a model in a terminal state "
                        f"({', '.join(TERMINAL_STATES)}) can be deleted")
        in_use = [e.arn for e in backend.endpoints.values() if e.model_arn == arn]
        if in_use:
            raise error("ResourceInUseException",
                        f"{arn} is used by endpoint {in_use[0]}; delete the endpoint first")
        now = time.time()
        model.deleted_at = now
        model.gone_at = now + state.config.deleting_s
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
    with state.lock:
        purge_deleted(backend)
        models = [m for m in models_of(backend, kind).values() if isinstance(m, CustomModel)]
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
        with state.lock:
            find(self, resource_arn)
    return self.tagger.list_tags_for_resource(resource_arn)["Tags"]


def tag_resource(self: Any, arn: str, tags: dict[str, str]) -> None:
    if ModelArn.parse(arn):
        with state.lock:
            find(self, arn)
    self.tagger.tag_resource(arn, self.tagger.convert_dict_to_tags_input(tags))
