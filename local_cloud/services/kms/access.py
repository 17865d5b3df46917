"""Who may use a KMS key, and whether a role lets a service assume it.

KMS authorizes with the key policy first (KMS Developer Guide, "Key policies in AWS KMS"): the
key policy is a resource policy that must allow the request, either by naming the principal
(or its role) or by naming the principal's account, which delegates the decision to that
account's IAM policies. For a key in another account both the key policy and the caller's IAM
policies must allow it. local_cloud.iam's evaluator decides each side; only the same-account
rule differs from other services (there, IAM policies alone do not suffice).
"""

from __future__ import annotations

from local_cloud.iam import Principal, Request, evaluate, parse, service_allowed
from local_cloud.iam.identities import role_policies
from local_cloud.services.kms.keys import Key

# An account no principal belongs to: asking the evaluator as if the key were in another
# account yields "key policy (naming the principal or its account) AND identity policies".
_ELSEWHERE = "000000000000"


def may_use(principal: Principal, key: Key, action: str, context: dict[str, str]) -> str | None:
    """None when `principal` may perform `action` on `key`, else why not (AWS's wording)."""
    request = Request(action, key.arn, {k.lower(): v for k, v in context.items()})
    policy = parse(key.policy)
    identity = role_policies(principal.role_arn) if principal.role_arn else []
    # Named in the key policy itself: enough in the key's own account.
    if key.account == principal.account and evaluate(principal, request, [], policy).allowed:
        return None
    decision = evaluate(principal, request, identity, policy, resource_account=_ELSEWHERE)
    return None if decision.allowed else decision.reason


def trusts_service(role_trust_policy: str | None, service: str, context: dict[str, str]) -> bool:
    """Whether the trust policy lets `service` (e.g. comprehend.amazonaws.com) call
    sts:AssumeRole with `context` (aws:SourceAccount, aws:SourceArn); an explicit Deny wins."""
    return service_allowed([parse(role_trust_policy)], service,
                           Request("sts:AssumeRole", "*", context))
