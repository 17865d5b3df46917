"""Where custom models live: the classifier and recognizer dicts of moto's ComprehendBackend.

Our CustomModel records replace moto's own in those dicts, so moto's persistence and reset see
them. A deleted model stays (DELETING) until its time is up, and is purged on the next look.
"""

from __future__ import annotations

import time
from typing import Any

from local_cloud.services.comprehend.errors import error, invalid, not_found
from local_cloud.services.comprehend.models import CLASSIFIER, CustomModel, ModelArn
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


def find(backend: Any, arn: str | None, kind: str | None = None) -> CustomModel:
    parsed = ModelArn.parse(arn)
    if parsed is None or (kind and parsed.kind != kind):
        raise invalid(f"The ARN {arn!r} is not a valid {kind or 'custom model'} ARN")
    purge_deleted(backend)
    model = models_of(backend, parsed.kind).get(str(arn))
    if not isinstance(model, CustomModel):
        raise not_found(str(arn))
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
