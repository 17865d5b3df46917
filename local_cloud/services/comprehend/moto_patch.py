"""What `install()` changes in moto's Comprehend: the custom-model methods of ComprehendBackend,
ImportModel on backend and response, and the response's dispatch (counting, throttling, caller).
"""

from __future__ import annotations

import uuid
from typing import Any

from local_cloud.services.comprehend.caller import calling_as, identify
from local_cloud.services.comprehend.errors import error
from local_cloud.services.comprehend.importing import import_model, import_model_response
from local_cloud.services.comprehend.model_operations import (
    create_document_classifier,
    create_entity_recognizer,
    delete_document_classifier,
    delete_entity_recognizer,
    describe_document_classifier,
    describe_entity_recognizer,
    list_document_classifiers,
    list_entity_recognizers,
    list_tags_for_resource,
    stop_training_document_classifier,
    stop_training_entity_recognizer,
    tag_resource,
)
from local_cloud.services.comprehend.policy_operations import (
    delete_resource_policy,
    describe_resource_policy,
    put_resource_policy,
)
from local_cloud.services.comprehend.throttling import admit


def accounted_call_action(self: Any) -> Any:
    """Replaces ComprehendResponse.call_action: count, maybe throttle, then moto's dispatch."""
    from moto.core.responses import BaseResponse

    operation = str(self._get_action())
    caller = identify(self)
    if not admit(caller.account, operation):
        throttled = error("TooManyRequestsException", "Rate exceeded")
        headers = dict(self.response_headers)
        headers.update(dict(throttled.get_headers()))  # type: ignore[attr-defined]
        # AWS puts a request id on every response, errors included; clients read it.
        headers.setdefault("x-amzn-RequestId", str(uuid.uuid4()))
        return 400, headers, throttled.description  # type: ignore[attr-defined]
    with calling_as(caller):
        return BaseResponse.call_action(self)


def patch_moto() -> None:
    from moto.comprehend.models import ComprehendBackend
    from moto.comprehend.responses import ComprehendResponse

    # Each function is named after the backend method it replaces (or adds: import_model).
    for function in (create_document_classifier, create_entity_recognizer,
                     describe_document_classifier, describe_entity_recognizer,
                     stop_training_document_classifier, stop_training_entity_recognizer,
                     delete_document_classifier, delete_entity_recognizer,
                     list_document_classifiers, list_entity_recognizers,
                     list_tags_for_resource, tag_resource, put_resource_policy,
                     describe_resource_policy, delete_resource_policy, import_model):
        setattr(ComprehendBackend, function.__name__, function)
    ComprehendResponse.import_model = import_model_response  # type: ignore[attr-defined]
    ComprehendResponse.call_action = accounted_call_action  # type: ignore[method-assign]
