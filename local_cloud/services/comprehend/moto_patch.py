"""What `install()` changes in moto's Comprehend: the custom-model methods of ComprehendBackend,
ImportModel on backend and response, and the response's dispatch (counting, throttling, injected
errors, the caller, the CloudTrail record of the answer).
"""

from __future__ import annotations

import uuid
from typing import Any

from local_cloud.services.comprehend.caller import calling_as, identify
from local_cloud.services.comprehend.cloudtrail import record_call
from local_cloud.services.comprehend.errors import error
from local_cloud.services.comprehend.importing import import_model, import_model_response
from local_cloud.services.comprehend.injection import take
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


def _error_response(response: Any, status: int, code: str, message: str) -> Any:
    failure = error(code, message)
    headers = dict(response.response_headers)
    headers.update(dict(failure.get_headers()))  # type: ignore[attr-defined]
    # AWS puts a request id on every response, errors included; clients read it.
    headers.setdefault("x-amzn-RequestId", str(uuid.uuid4()))
    return status, headers, failure.description  # type: ignore[attr-defined]


def accounted_call_action(self: Any) -> Any:
    """Replaces ComprehendResponse.call_action: count, maybe throttle or fail on purpose, then
    moto's dispatch."""
    from moto.core.responses import BaseResponse

    operation = str(self._get_action())
    caller = identify(self)
    if not admit(caller.account, operation):
        answer = _error_response(self, 400, "TooManyRequestsException", "Rate exceeded")
    elif (injected := take(caller.account, operation)) is not None:
        answer = _error_response(self, *injected)
    else:
        with calling_as(caller):
            answer = BaseResponse.call_action(self)
    status, _, body = answer
    record_call(caller, str(self.region), operation, int(status), body)
    return answer


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
