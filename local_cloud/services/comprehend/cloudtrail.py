"""The "AWS API Call via CloudTrail" events AWS puts on the caller's default event bus for
Create*/ImportModel, which is how the pipeline notices a new model version.
"""

from __future__ import annotations

import json
import logging
import uuid
from datetime import UTC, datetime
from typing import Any

from local_cloud.services.comprehend.caller import Caller, current_caller

log = logging.getLogger("local_cloud.services.comprehend")

CLOUDTRAIL_DETAIL_TYPE = "AWS API Call via CloudTrail"


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


def announce(account: str, region: str, event_name: str,
             response_elements: dict[str, Any]) -> None:
    """Put the CloudTrail event on the account's default bus; a failure here is only logged."""
    try:
        from moto.events.models import events_backends

        detail = cloudtrail_record(current_caller(account), region, event_name,
                                   response_elements)
        results = events_backends[account][region].put_events([{
            "Source": "aws.comprehend", "DetailType": CLOUDTRAIL_DETAIL_TYPE,
            "Detail": json.dumps(detail), "EventBusName": "default", "Resources": []}])
        for result in results or []:
            if isinstance(result, dict) and result.get("ErrorCode"):
                log.warning("CloudTrail event for %s refused: %s", event_name, result)
    except Exception:  # the API call succeeded; its event is best effort, as CloudTrail's is
        log.exception("could not put the CloudTrail event for %s", event_name)
