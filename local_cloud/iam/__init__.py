"""IAM in the local cloud: one policy evaluator for identity and resource policies.

- `evaluator`: `evaluate(principal, request, identity_policies, resource_policy)` decides as
  AWS does (explicit Deny wins; same account: either side allows; another account: both);
  `service_allowed(policies, service, request)` decides for an AWS service principal (a logs
  resource policy for EventBridge, a role's trust policy for Comprehend).
- `conditions`, `matching`: condition operators, action and ARN wildcards.
- `identities`: role sessions from access keys, a role's policies, from moto's IAM and STS.
- `organization`: the organization the local accounts belong to (aws:PrincipalOrgID).

EventBridge bus policies and Comprehend model policies are evaluated here too; nothing else in
the local cloud decides access.
"""

from __future__ import annotations

from local_cloud.iam.evaluator import (
    Decision,
    Principal,
    Request,
    evaluate,
    parse,
    service_allowed,
)

__all__ = ["Decision", "Principal", "Request", "evaluate", "parse", "service_allowed"]
