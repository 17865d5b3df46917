"""Who a request comes from and what its policies say, read from moto's IAM and STS.

A role session is what `sts:AssumeRole` issued (Lambda execution roles, the state machine's
role, rule target roles, the local profiles' operator role). Its identity policies are the
role's inline policies and the default versions of its managed policies; AWS managed
policies are known by name from moto's copy of them, loaded one by one when attached (moto
loads all of them, for every account, only with MOTO_IAM_LOAD_MANAGED_POLICIES).
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass
from typing import Any

from local_cloud.iam.evaluator import Policy, Principal
from local_cloud.iam.organization import org_id_of

log = logging.getLogger("local_cloud.iam")

AWS_MANAGED_PREFIX = "arn:aws:iam::aws:policy/"


@dataclass(frozen=True)
class RoleSession:
    account: str
    role_arn: str  # arn:aws:iam::<account>:role/<name>
    session_arn: str  # arn:aws:sts::<account>:assumed-role/<name>/<session>

    @property
    def role_name(self) -> str:
        return self.role_arn.rsplit("/", 1)[-1]

    def principal(self) -> Principal:
        return Principal(account=self.account, arn=self.session_arn, role_arn=self.role_arn,
                         org_id=org_id_of(self.account))


_sessions: dict[str, RoleSession] = {}
_sessions_lock = threading.Lock()


def session_of(access_key: str | None) -> RoleSession | None:
    """The role session an access key belongs to, or None (a plain key, or none)."""
    if not access_key:
        return None
    with _sessions_lock:
        if access_key in _sessions:
            return _sessions[access_key]
    from moto.sts.models import sts_backends

    for account in list(sts_backends.keys()):
        assumed = sts_backends[account]["aws"].get_assumed_role_from_access_key(access_key)
        if assumed is not None:
            role_account = assumed.role_arn.split(":")[4]
            session = RoleSession(
                account=role_account, role_arn=assumed.role_arn,
                session_arn=(f"arn:aws:sts::{role_account}:assumed-role/"
                             f"{assumed.role_arn.rsplit('/', 1)[-1]}/{assumed.session_name}"))
            with _sessions_lock:
                _sessions[access_key] = session
            return session
    return None


_issued: dict[tuple[str, str], dict[str, str]] = {}


def credentials_for(role_arn: str, session_name: str, region: str) -> dict[str, str]:
    """Temporary credentials of a role session, issued by moto's STS in process (as a service
    assumes its role); the same session is reused, its policies are read at each request."""
    with _sessions_lock:
        issued = _issued.get((role_arn, session_name))
    if issued is not None:
        return issued
    from moto.sts.models import sts_backends

    account = role_arn.split(":")[4]
    assumed = sts_backends[account]["aws"].assume_role(
        region_name=region, role_session_name=session_name, role_arn=role_arn, policy="",
        duration=43200, external_id="")
    issued = {"aws_access_key_id": assumed.access_key_id,
              "aws_secret_access_key": assumed.secret_access_key,
              "aws_session_token": assumed.session_token}
    with _sessions_lock:
        _issued[(role_arn, session_name)] = issued
    return issued


def _role(role_arn: str) -> Any:
    from moto.iam.models import iam_backends

    account = role_arn.split(":")[4]
    from moto.iam.exceptions import NotFoundException

    try:
        return iam_backends[account]["aws"].get_role_by_arn(role_arn)
    except NotFoundException:  # a deleted role has no policies
        return None


def _default_document(policy: Any) -> str:
    for version in policy.versions:
        if version.is_default_version:
            return str(version.document)
    return "{}"


def _loaded(document: Any) -> Policy | None:
    if isinstance(document, dict):
        return document
    try:
        parsed = json.loads(document)
    except (TypeError, ValueError):
        log.warning("an identity policy is not JSON: ignored")
        return None
    return parsed if isinstance(parsed, dict) else None


def role_policies(role_arn: str) -> list[Policy]:
    """The role's identity policies now (inline and managed); none for an unknown role."""
    role = _role(role_arn)
    if role is None:
        return []
    documents = [*role.policies.values(),
                 *(_default_document(p) for p in list(role.managed_policies.values()))]
    return [p for p in map(_loaded, documents) if p is not None]


def role_exists(role_arn: str) -> bool:
    return _role(role_arn) is not None


def _attach_aws_managed_on_demand() -> None:
    """attach_role_policy of an AWS managed policy ARN finds it by name in moto's data."""
    from moto.iam import models

    original = models.IAMBackend.attach_role_policy
    if getattr(original, "_on_demand", False):
        return

    def attach_role_policy(self: Any, policy_arn: str, role_name: str) -> None:
        if policy_arn.startswith(AWS_MANAGED_PREFIX) and policy_arn not in self.managed_policies:
            data = json.loads(models.aws_managed_policies_data)
            name = policy_arn.rsplit("/", 1)[-1]
            if name in data:
                policy = models.AWSManagedPolicy.from_data(name, self.account_id,
                                                           self.region_name, data[name])
                if policy.arn == policy_arn:
                    self.managed_policies[policy.arn] = policy
        original(self, policy_arn, role_name)

    attach_role_policy._on_demand = True  # type: ignore[attr-defined]
    models.IAMBackend.attach_role_policy = attach_role_policy  # type: ignore[method-assign]


def install() -> None:
    _attach_aws_managed_on_demand()
