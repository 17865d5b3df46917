"""The ComprehendBackend methods for model resource policies: Put, Describe, Delete.

The model must exist for each of them; a policy is checked before it is stored, and a
PolicyRevisionId that is not the current one refuses the write.
"""

from __future__ import annotations

from typing import Any

from local_cloud.services.comprehend.catalog import find
from local_cloud.services.comprehend.errors import (
    POLICY_DOCUMENT,
    POLICY_REVISION_ID,
    check,
    not_found,
)
from local_cloud.services.comprehend.policies import (
    check_principals_exist,
    check_revision,
    parse_policy,
    store_policy,
)
from local_cloud.services.comprehend.state import state


def put_resource_policy(self: Any, resource_arn: str, resource_policy: str,
                        policy_revision_id: str | None = None) -> str:
    check(policy_revision_id, "policyRevisionId", POLICY_REVISION_ID, required=False)
    check(resource_policy, "resourcePolicy", POLICY_DOCUMENT)
    with state.lock:
        find(self, resource_arn)
        check_principals_exist(parse_policy(resource_policy))
        check_revision(self, resource_arn, policy_revision_id)
        return store_policy(self, resource_arn, resource_policy)


def describe_resource_policy(self: Any, resource_arn: str) -> dict[str, Any]:
    with state.lock:
        find(self, resource_arn)
        details = self.resource_policies.get(resource_arn)
        if not details:
            raise not_found()
        return dict(details)


def delete_resource_policy(self: Any, resource_arn: str,
                           policy_revision_id: str | None = None) -> None:
    check(policy_revision_id, "policyRevisionId", POLICY_REVISION_ID, required=False)
    with state.lock:
        find(self, resource_arn)
        if resource_arn not in self.resource_policies:
            raise not_found()
        check_revision(self, resource_arn, policy_revision_id)
        del self.resource_policies[resource_arn]
