"""The "AWS API Call via CloudTrail" events for Comprehend's create calls (CreateDocumentClassifier,
CreateEntityRecognizer, ImportModel), which is how the pipeline notices a new model version.

As on AWS, a call is recorded only while a trail of the caller's account logs in its Region
(local_cloud.services.cloudtrail.recording), and failed calls are recorded too: `errorCode` and
`errorMessage` at the top level and `responseElements` null (Comprehend Developer Guide,
"Logging Amazon Comprehend API calls with AWS CloudTrail", whose examples
tests/local_cloud/fixtures/cloudtrail/comprehend-records.json keeps). The record goes on the
account's default bus; a failure to put it is only logged, never the call's failure.
"""

from __future__ import annotations

import json
import logging
import uuid
from datetime import UTC, datetime
from typing import Any

from local_cloud.services.comprehend.caller import Caller

log = logging.getLogger("local_cloud.services.comprehend")

CLOUDTRAIL_DETAIL_TYPE = "AWS API Call via CloudTrail"
RECORDED_OPERATIONS = frozenset({"CreateDocumentClassifier", "CreateEntityRecognizer",
                                 "ImportModel"})
_TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


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
                    "webIdFederationData": {},
                    "attributes": {"mfaAuthenticated": "false",
                                   "creationDate": caller.session_created or ""}}}
    return {"type": "Root", "principalId": caller.account, "arn": caller.arn,
            "accountId": caller.account, "accessKeyId": caller.access_key}


_MODEL_TYPES = {"document-classifier": "AWS::Comprehend::DocumentClassifier",
                "entity-recognizer": "AWS::Comprehend::EntityRecognizer"}


def _resource(arn: Any, caller: Caller) -> dict[str, str] | None:
    if not isinstance(arn, str) or not arn:
        return None
    parts = arn.split(":")
    account = parts[4] if len(parts) > 5 and parts[4] else caller.account
    if ":comprehend:" in arn:
        kind = parts[5].split("/")[0] if len(parts) > 5 else ""
        resource_type = _MODEL_TYPES.get(kind)
    elif ":iam::" in arn:
        resource_type = "AWS::IAM::Role"
    else:
        resource_type = "AWS::KMS::Key"
    return {"accountId": account, "type": resource_type, "ARN": arn} if resource_type else None


def _resources(caller: Caller, response_elements: dict[str, Any] | None) -> list[dict[str, str]]:
    """The resources the call named, as the documented records list them: the model, its
    source (ImportModel), KMS keys, the data access role."""
    params = caller.params
    named = [*(response_elements or {}).values(), params.get("SourceModelArn"),
             params.get("ModelKmsKeyId"), params.get("VolumeKmsKeyId"),
             params.get("DataAccessRoleArn")]
    return [r for r in (_resource(arn, caller) for arn in named) if r is not None]


def cloudtrail_record(caller: Caller, region: str, event_name: str,
                      response_elements: dict[str, Any] | None,
                      error: tuple[str, str] | None = None) -> dict[str, Any]:
    """The detail of the "AWS API Call via CloudTrail" event for one Comprehend call; a failed
    call carries `error` = (errorCode, errorMessage) and null responseElements."""
    record: dict[str, Any] = {
        "eventVersion": "1.08",
        "userIdentity": _user_identity(caller),
        "eventTime": datetime.now(UTC).strftime(_TIME_FORMAT),
        "eventSource": "comprehend.amazonaws.com",
        "eventName": event_name,
        "awsRegion": region,
        "sourceIPAddress": caller.source_ip,
        "userAgent": caller.user_agent,
    }
    if error is not None:
        record["errorCode"], record["errorMessage"] = error
    record.update({
        "requestParameters": _cloudtrail_case(caller.params),
        "responseElements": None if error is not None else response_elements,
        "requestID": caller.request_id,
        "eventID": str(uuid.uuid4()),
        "readOnly": False,
        "resources": _resources(caller, None if error is not None else response_elements),
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": caller.account,
        "eventCategory": "Management",
    })
    return record


def announce(account: str, region: str, detail: dict[str, Any]) -> None:
    """Put the record on the account's default bus; a failure here is only logged."""
    try:
        from moto.events.models import events_backends

        results = events_backends[account][region].put_events([{
            "Source": "aws.comprehend", "DetailType": CLOUDTRAIL_DETAIL_TYPE,
            "Detail": json.dumps(detail), "EventBusName": "default", "Resources": []}])
        for result in results or []:
            if isinstance(result, dict) and result.get("ErrorCode"):
                log.warning("CloudTrail event for %s refused: %s", detail.get("eventName"),
                            result)
    except Exception:  # the API call is answered; its event is best effort, as CloudTrail's is
        log.exception("could not put the CloudTrail event for %s", detail.get("eventName"))


def record_call(caller: Caller, region: str, operation: str, status: int, body: Any) -> None:
    """Record a create call as CloudTrail would, from the response the caller gets."""
    if operation not in RECORDED_OPERATIONS:
        return
    try:
        from local_cloud.services.cloudtrail.recording import is_recording

        if not is_recording(caller.account, region):
            return
        answer = json.loads(body) if body else {}
        answer = answer if isinstance(answer, dict) else {}
        if status >= 400:
            code = str(answer.get("__type", "InternalFailure")).rsplit("#", 1)[-1]
            message = str(answer.get("message", answer.get("Message", "")))
            detail = cloudtrail_record(caller, region, operation, None, (code, message))
        else:
            detail = cloudtrail_record(caller, region, operation, _cloudtrail_case(answer))
    except Exception:  # never the call's failure
        log.exception("could not record %s in CloudTrail", operation)
        return
    announce(caller.account, region, detail)
