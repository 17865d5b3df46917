"""Where custom models live: the classifier and recognizer dicts of moto's ComprehendBackend.

Our CustomModel records replace moto's own in those dicts, so moto's persistence and reset see
them. A deleted model stays (DELETING) until its time is up, and is purged on the next look.
"""

from __future__ import annotations

import time
from typing import Any

from local_cloud.services.comprehend.errors import (
    DOCUMENT_CLASSIFIER_ARN,
    ENTITY_RECOGNIZER_ARN,
    MODEL_ARN,
    check,
    error,
    not_found,
)
from local_cloud.services.comprehend.models import CLASSIFIER, RECOGNIZER, CustomModel, ModelArn
from local_cloud.services.comprehend.policies import parse_policy, store_policy


def models_of(backend: Any, kind: str) -> dict[str, Any]:
    return backend.classifiers if kind == CLASSIFIER else backend.recognizers


def purge_deleted(backend: Any) -> None:
    now = time.time()
    for models in (backend.classifiers, backend.recognizers):
        for arn, model in list(models.items()):
            gone_at = model.gone_at if isinstance(model, CustomModel) else None
            if gone_at is not None and now >= gone_at:
                del models[arn]
                backend.tagger.delete_all_tags_for_resource(arn)


_ARN_FIELDS = {CLASSIFIER: ("documentClassifierArn", DOCUMENT_CLASSIFIER_ARN),
               RECOGNIZER: ("entityRecognizerArn", ENTITY_RECOGNIZER_ARN),
               None: ("resourceArn", MODEL_ARN)}


def find(backend: Any, arn: str | None, kind: str | None = None,
         field_name: str | None = None) -> CustomModel:
    """The model `arn` names; a malformed ARN is a ValidationException naming `field_name`
    (by default the field the operation for `kind` has), a missing model ResourceNotFound."""
    default_field, constraint = _ARN_FIELDS[kind]
    check(arn, field_name or default_field, constraint)
    parsed = ModelArn.parse(arn)
    if parsed is None:  # the constraint holds, so only a partition our parser lacks gets here
        raise not_found()
    purge_deleted(backend)
    model = models_of(backend, parsed.kind).get(str(arn))
    if not isinstance(model, CustomModel):
        raise not_found()
    return model


def backend_of(account: str, region: str) -> Any:
    from moto.comprehend.models import comprehend_backends

    return comprehend_backends[account][region]


def add(backend: Any, model: CustomModel, tags: list[dict[str, str]] | None,
        policy: str | None) -> str:
    purge_deleted(backend)
    models = models_of(backend, model.kind)
    if model.arn in models:
        raise error("ResourceInUseException",
                    f"Specified resource name ({model.name}"
                    f"{f' version {model.version}' if model.version else ''}) is already in "
                    f"use: {model.arn}")
    if policy is not None:
        parse_policy(policy)
    models[model.arn] = model
    if tags:
        backend.tagger.tag_resource(model.arn, tags)
    if policy is not None:
        store_policy(backend, model.arn, policy)
    return model.arn
