"""In-memory fakes of the AWS clients the domain's ports take, for unit tests."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

FAKE_ACCOUNT = "222222222222"  # the account a FakeComprehend imports into


def client_error(code: str, operation: str = "DescribeResourcePolicy",
                 message: str | None = None) -> ClientError:
    """The error botocore raises when AWS answers `code` to `operation`."""
    return ClientError({"Error": {"Code": code, "Message": message or f"{code} from the fake"}},
                       operation)


class FakeComprehend:
    """Comprehend in one account: models walking through statuses, and one resource policy.

    Models: by ARN, each walking through a list of statuses (the last one sticks);
    `on_describe` callbacks run, once each, on the next describes; `import_errors` and
    `describe_errors` are the error codes the next ImportModel and Describe calls raise.
    Resource policy: one, with revisions, checked like Comprehend checks PolicyRevisionId;
    `before_put` runs before each write is checked (a test plays another writer there, or
    raises an error), `policy_describe_errors` are raised by the next policy reads.
    """

    def __init__(self, statuses: Iterable[str] = ("TRAINED",), message: str | None = None, *,
                 policy: dict[str, Any] | None = None, account: str = FAKE_ACCOUNT) -> None:
        self.statuses, self.message, self.account = list(statuses), message, account
        self.models: dict[str, dict[str, Any]] = {}
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.on_describe: list[Callable[[], object]] = []
        self.import_errors: list[str] = []
        self.describe_errors: list[str] = []
        self.policy: str | None = json.dumps(policy) if policy is not None else None
        self.revision: str | None = "rev-0" if policy is not None else None
        self.writes = 0
        # The policy's CreationTime, as DescribeResourcePolicy gives it; `clock` is the
        # service's clock (epoch seconds), for tests that play time.
        self.clock: Callable[[], float] = time.time
        self.created_at: float | None = self.clock() - 3600 if policy is not None else None
        self.before_put: Callable[[dict[str, Any]], object] = lambda request: None
        self.policy_describe_errors: list[ClientError] = []

    def count(self, name: str) -> int:
        return sum(1 for call, _ in self.calls if call == name)

    # ------------------------------------------------------------------ models
    def add_model(self, arn: str, source_arn: str | None, statuses: list[str]) -> None:
        self.models[arn] = {"SourceModelArn": source_arn, "statuses": list(statuses),
                            "Message": self.message}

    def import_model(self, **request: Any) -> dict[str, Any]:
        self.calls.append(("import_model", request))
        if self.import_errors:
            raise client_error(self.import_errors.pop(0), "ImportModel")
        version = request.get("VersionName")
        arn = (f"arn:aws:comprehend:us-east-1:{self.account}:document-classifier/"
               f"{request['ModelName']}" + (f"/version/{version}" if version else ""))
        if arn in self.models:
            raise client_error("ResourceInUseException", "ImportModel")
        self.add_model(arn, request["SourceModelArn"], self.statuses)
        return {"ModelArn": arn}

    def _describe(self, arn: str) -> dict[str, Any]:
        if self.describe_errors:
            raise client_error(self.describe_errors.pop(0), "DescribeDocumentClassifier")
        if arn not in self.models:
            raise client_error("ResourceNotFoundException", "DescribeDocumentClassifier")
        if self.on_describe:
            self.on_describe.pop(0)()
        model = self.models[arn]
        status = model["statuses"].pop(0) if len(model["statuses"]) > 1 else model["statuses"][0]
        return {"Status": status, "SourceModelArn": model["SourceModelArn"],
                "Message": model["Message"] if status == "IN_ERROR" else None,
                "DocumentClassifierArn": arn}

    def describe_document_classifier(self, DocumentClassifierArn: str) -> dict[str, Any]:
        self.calls.append(("describe_document_classifier", {"arn": DocumentClassifierArn}))
        return {"DocumentClassifierProperties": self._describe(DocumentClassifierArn)}

    def describe_entity_recognizer(self, EntityRecognizerArn: str) -> dict[str, Any]:
        self.calls.append(("describe_entity_recognizer", {"arn": EntityRecognizerArn}))
        return {"EntityRecognizerProperties": self._describe(EntityRecognizerArn)}

    def delete_document_classifier(self, DocumentClassifierArn: str) -> dict[str, Any]:
        self.calls.append(("delete_document_classifier", {"arn": DocumentClassifierArn}))
        self.models.pop(DocumentClassifierArn)
        return {}

    def delete_entity_recognizer(self, EntityRecognizerArn: str) -> dict[str, Any]:
        self.calls.append(("delete_entity_recognizer", {"arn": EntityRecognizerArn}))
        self.models.pop(EntityRecognizerArn)
        return {}

    # ------------------------------------------------------------------ the resource policy
    def _write(self, text: str) -> str:
        self.writes += 1
        if self.policy is None:
            self.created_at = self.clock()
        self.policy, self.revision = text, f"rev-{self.writes}"
        return self.revision

    def describe_resource_policy(self, ResourceArn: str) -> dict[str, Any]:
        self.calls.append(("describe_resource_policy", {"ResourceArn": ResourceArn}))
        if self.policy_describe_errors:
            raise self.policy_describe_errors.pop(0)
        if self.policy is None:
            raise client_error("ResourceNotFoundException", "DescribeResourcePolicy", "no policy")
        created = datetime.fromtimestamp(self.created_at or 0.0, UTC)
        return {"ResourcePolicy": self.policy, "PolicyRevisionId": self.revision,
                "CreationTime": created, "LastModifiedTime": created}

    def put_resource_policy(self, **request: Any) -> dict[str, Any]:
        self.calls.append(("put_resource_policy", request))
        self.before_put(request)
        if not json.loads(request["ResourcePolicy"]).get("Statement"):
            # Comprehend refuses a policy with no statement (seen on the local cloud, which
            # is at least as strict); the only way to "empty" a policy is to delete it.
            raise client_error("InvalidRequestException", "PutResourcePolicy",
                               "The resource policy has no Statement")
        if request.get("PolicyRevisionId") != self.revision:
            raise client_error("InvalidRequestException", "PutResourcePolicy",
                               f"PolicyRevisionId {request.get('PolicyRevisionId')} does not "
                               "match the current policy revision")
        return {"PolicyRevisionId": self._write(request["ResourcePolicy"])}

    def delete_resource_policy(self, **request: Any) -> dict[str, Any]:
        self.calls.append(("delete_resource_policy", request))
        self.before_put(request)
        if self.policy is None:
            raise client_error("ResourceNotFoundException", "DeleteResourcePolicy", "no policy")
        if request.get("PolicyRevisionId", self.revision) != self.revision:
            raise client_error("InvalidRequestException", "DeleteResourcePolicy",
                               f"PolicyRevisionId {request.get('PolicyRevisionId')} does not "
                               "match the current policy revision")
        self.writes += 1
        self.policy, self.revision, self.created_at = None, None, None
        return {}

    @property
    def deletes(self) -> list[dict[str, Any]]:
        return [request for name, request in self.calls if name == "delete_resource_policy"]

    @property
    def puts(self) -> list[dict[str, Any]]:
        return [request for name, request in self.calls if name == "put_resource_policy"]

    def statements(self) -> list[dict[str, Any]]:
        return list(json.loads(self.policy or "{}").get("Statement", []))


class FakeEvents:
    """Answers PutEvents; `failures` are the entry error codes of the next calls, in order."""

    def __init__(self, failed: bool = False, failures: list[str] | None = None) -> None:
        self.failed, self.entries = failed, list[dict[str, Any]]()
        self.failures = list(failures or [])

    def put_events(self, Entries: list[dict[str, Any]]) -> dict[str, Any]:
        self.entries.extend(Entries)
        if self.failures:
            return {"FailedEntryCount": 1,
                    "Entries": [{"ErrorCode": self.failures.pop(0), "ErrorMessage": "try again"}]}
        if self.failed:
            return {"FailedEntryCount": 1,
                    "Entries": [{"ErrorCode": "AccessDenied", "ErrorMessage": "no"}]}
        return {"FailedEntryCount": 0, "Entries": [{"EventId": "1"}]}


if TYPE_CHECKING:  # mypy checks each fake against the domain ports it stands in for
    from model_copy.importing import ImportingComprehend
    from model_copy.reporting import EventPuts
    from model_copy.sharing import PolicyComprehend

    def _stands_in(comprehend: FakeComprehend, events: FakeEvents
                   ) -> tuple[ImportingComprehend, PolicyComprehend, EventPuts]:
        return comprehend, comprehend, events
