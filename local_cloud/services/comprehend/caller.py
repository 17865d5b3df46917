"""Who makes the current Comprehend call, as IAM and CloudTrail see it.

The request handler identifies the caller once and keeps it for the length of the call in a
thread-local: the backend methods moto calls get no request, yet ImportModel's authorization
and the CloudTrail events need the caller's role and session.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger("local_cloud.services.comprehend")


@dataclass(frozen=True)
class Caller:
    """Who makes the current call, as IAM and CloudTrail see it."""
    account: str
    access_key: str = ""
    role_arn: str | None = None  # arn:aws:iam::<account>:role/<name> for assumed-role keys
    session_arn: str | None = None  # arn:aws:sts::<account>:assumed-role/<name>/<session>
    session_created: str | None = None  # when the session's credentials were issued (UTC)
    params: dict[str, Any] = field(default_factory=dict)
    user_agent: str = ""
    source_ip: str = "127.0.0.1"
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    @property
    def arn(self) -> str:
        return self.session_arn or f"arn:aws:iam::{self.account}:root"


_calls = threading.local()


def current_caller(account: str) -> Caller:
    caller = getattr(_calls, "caller", None)
    if isinstance(caller, Caller) and caller.account == account:
        return caller
    return Caller(account=account)  # a direct backend call (tests of moto in-process)


@contextmanager
def calling_as(caller: Caller) -> Iterator[None]:
    """`caller` is the current caller on this thread until the call returns."""
    _calls.caller = caller
    try:
        yield
    finally:
        _calls.caller = None


def identify(response: Any) -> Caller:
    """The caller of the request a moto ComprehendResponse is handling."""
    account = str(response.current_account)
    access_key = str(response.get_access_key() or "")
    role_arn = session_arn = session_created = None
    try:
        from moto.sts.models import sts_backends

        assumed = sts_backends[account]["aws"].get_assumed_role_from_access_key(access_key)
        if assumed is not None:
            role_arn, session_arn = assumed.role_arn, assumed.arn
            issued = getattr(assumed.access_key, "create_date", None)
            session_created = issued.strftime("%Y-%m-%dT%H:%M:%SZ") if issued else None
    except Exception:  # no STS record (e.g. x-moto-account-id): the caller is the account
        log.debug("no assumed role for access key %s", access_key, exc_info=True)
    try:
        params = json.loads(response.body or "{}")
    except ValueError:
        params = {}
    return Caller(account=account, access_key=access_key, role_arn=role_arn,
                  session_arn=session_arn, session_created=session_created,
                  params=params if isinstance(params, dict) else {},
                  user_agent=str(response.headers.get("User-Agent", "")),
                  source_ip=str(response.headers.get("X-Forwarded-For", "127.0.0.1")))
