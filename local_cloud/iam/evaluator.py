"""The one policy evaluator of the local cloud: identity policies and resource policies (event
bus policies, Comprehend model policies), as the IAM User Guide's "Policy evaluation logic"
describes it for a single account and across accounts.

- An explicit Deny in any applicable policy wins.
- Same account: an Allow in the identity policies or in the resource policy is enough. A
  resource policy that names only the account (`123456789012`, `...:root`) delegates to the
  account's identity policies and grants nothing by itself.
- Another account: the identity policies and the resource policy must both allow.
- No Allow: denied, and `Decision.reason` says which side was missing, as AWS's message does.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from local_cloud.iam.conditions import Context, as_list, conditions_hold
from local_cloud.iam.matching import action_matches, arn_like

Policy = dict[str, Any]


@dataclass(frozen=True)
class Principal:
    """Who asks: an account, and for a role session the role and the session ARN."""
    account: str
    arn: str  # arn:aws:sts::<acct>:assumed-role/<role>/<session>, or arn:aws:iam::<acct>:root
    role_arn: str | None = None
    org_id: str | None = None  # aws:PrincipalOrgID, when the account is in an organization

    @classmethod
    def root(cls, account: str, org_id: str | None = None) -> Principal:
        return cls(account=account, arn=f"arn:aws:iam::{account}:root", org_id=org_id)

    def context(self) -> Context:
        """The global condition keys IAM adds to every request of this principal."""
        keys: Context = {"aws:principalaccount": self.account,
                         "aws:principalarn": self.role_arn or self.arn}
        if self.org_id:
            keys["aws:principalorgid"] = self.org_id
        return keys


@dataclass(frozen=True)
class Request:
    action: str  # service:Operation
    resource: str  # an ARN, or "*" for actions without resource-level permissions
    context: Context = field(default_factory=dict)  # lower-case keys

    @property
    def resource_account(self) -> str | None:
        parts = self.resource.split(":")
        return parts[4] if len(parts) > 5 and parts[4].isdigit() else None


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str  # "allowed", "explicit deny in an identity-based policy", ...

    def message(self, principal: Principal, request: Request) -> str:
        """The text AWS puts in AccessDenied errors."""
        if self.allowed:
            return "allowed"
        return (f"User: {principal.arn} is not authorized to perform: {request.action} on "
                f"resource: {request.resource} because {self.reason}")


def parse(document: str | Policy | None) -> Policy | None:
    if document is None or document == "":
        return None
    if isinstance(document, dict):
        return document
    try:
        parsed = json.loads(document)
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None


def statements(policy: Policy | None) -> list[dict[str, Any]]:
    return [s for s in as_list((policy or {}).get("Statement")) if isinstance(s, dict)]


def _action_applies(statement: dict[str, Any], action: str) -> bool:
    if "NotAction" in statement:
        return not any(action_matches(action, str(a)) for a in as_list(statement["NotAction"]))
    return any(action_matches(action, str(a)) for a in as_list(statement.get("Action")))


def _resource_applies(statement: dict[str, Any], resource: str, default: bool) -> bool:
    if "NotResource" in statement:
        return not any(arn_like(resource, str(r)) for r in as_list(statement["NotResource"]))
    if "Resource" not in statement:
        # A resource policy's statement without Resource is about the resource it is on.
        return default
    return any(arn_like(resource, str(r)) for r in as_list(statement["Resource"]))


def principal_named(principal_element: Any, principal: Principal) -> str | None:
    """How a resource policy's Principal names the caller: "exact" (itself, its role, "*"),
    "account" (its account), or None."""
    if principal_element == "*":
        return "exact"
    candidates = (as_list(principal_element.get("AWS")) if isinstance(principal_element, dict)
                  else as_list(principal_element))
    named = None
    for candidate in map(str, candidates):
        if candidate == "*" or candidate in (principal.arn, principal.role_arn):
            return "exact"
        root = f"arn:aws:iam::{principal.account}:root"
        if candidate == principal.account or arn_like(root, candidate):
            # Also `arn:aws:iam::*:root`, which EventBridge's PutPermission writes for "*".
            named = "account"
    return named


def _applies(statement: dict[str, Any], request: Request, context: Context,
             resource_default: bool) -> bool:
    return (_action_applies(statement, request.action)
            and _resource_applies(statement, request.resource, resource_default)
            and conditions_hold(statement.get("Condition"), context))


def names_service(principal_element: Any, service: str) -> bool:
    """Whether a resource policy's Principal names the AWS service (`events.amazonaws.com`)
    or everyone."""
    if principal_element == "*":
        return True
    services = (as_list(principal_element.get("Service")) if isinstance(principal_element, dict)
                else [])
    return service in map(str, services)


def service_allowed(policies: list[Policy | None], service: str, request: Request) -> bool:
    """Whether resource policies (a logs resource policy, a role's trust policy) let an AWS
    service principal make `request`: a statement naming the service allows it and none
    denies it (an explicit Deny wins). A service has no identity policies of ours."""
    context = {k.lower(): v for k, v in request.context.items()}
    applying = [s for p in policies for s in statements(p)
                if names_service(s.get("Principal"), service) and _applies(s, request, context,
                                                                           True)]
    return (not any(s.get("Effect") == "Deny" for s in applying)
            and any(s.get("Effect") == "Allow" for s in applying))


@dataclass(frozen=True)
class _Side:
    denied: bool
    allowed: bool
    only_account: bool = False  # a resource policy's Allow named only the caller's account


def _identity_side(policies: list[Policy], request: Request, context: Context) -> _Side:
    applying = [s for p in policies for s in statements(p) if _applies(s, request, context, False)]
    return _Side(denied=any(s.get("Effect") == "Deny" for s in applying),
                 allowed=any(s.get("Effect") == "Allow" for s in applying))


def _resource_side(policy: Policy | None, principal: Principal, request: Request,
                   context: Context) -> _Side:
    denied = allowed = only_account = False
    for statement in statements(policy):
        named = principal_named(statement.get("Principal"), principal)
        if named is None or not _applies(statement, request, context, True):
            continue
        if statement.get("Effect") == "Deny":
            denied = True
        elif statement.get("Effect") == "Allow":
            if named == "exact":
                allowed = True
            else:
                only_account = True
    return _Side(denied=denied, allowed=allowed, only_account=only_account)


def evaluate(principal: Principal, request: Request, identity_policies: list[Policy],
             resource_policy: Policy | None = None, *, identity_checked: bool = True,
             resource_checked_elsewhere: bool = False,
             resource_account: str | None = None) -> Decision:
    """Whether `principal` may make `request`.

    identity_checked=False: the principal's identity policies are not evaluated (an
    administrator of its account, such as the local profiles); only the resource side decides
    a cross-account request. resource_checked_elsewhere=True: across accounts the service
    itself evaluates the resource policy (with this evaluator), so only the identity side is
    required here. resource_account: the account owning the resource, when the
    resource ARN does not carry one.
    """
    context = {**principal.context(), **{k.lower(): v for k, v in request.context.items()}}
    owner = resource_account or request.resource_account or principal.account
    cross_account = owner != principal.account
    identity = (_identity_side(identity_policies, request, context) if identity_checked
                else _Side(denied=False, allowed=True))
    resource = _resource_side(resource_policy, principal, request, context)
    if identity.denied:
        return Decision(False, "of an explicit deny in an identity-based policy")
    if resource.denied:
        return Decision(False, "of an explicit deny in a resource-based policy")
    if cross_account:
        if not identity.allowed:
            return Decision(False, "no identity-based policy allows the "
                                   f"{request.action} action")
        if not (resource.allowed or resource.only_account or resource_checked_elsewhere):
            return Decision(False, "no resource-based policy allows the "
                                   f"{request.action} action")
        return Decision(True, "allowed")
    if identity.allowed or resource.allowed:
        return Decision(True, "allowed")
    return Decision(False, f"no identity-based policy allows the {request.action} action")
