"""The organization the local accounts belong to (aws:PrincipalOrgID).

Every local account is a member of one organization unless a test says otherwise (the
EventBridge control route `events/configure` sets `org_id` and `accounts_outside_org`).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

DEFAULT_ORG_ID = "o-modelcopylocal"


@dataclass
class Organization:
    org_id: str = DEFAULT_ORG_ID
    accounts_outside: set[str] = field(default_factory=set)


_lock = threading.Lock()
_current = Organization()


def configure(org_id: str | None = None, accounts_outside: list[str] | None = None) -> None:
    with _lock:
        if org_id is not None:
            _current.org_id = org_id
        if accounts_outside is not None:
            _current.accounts_outside = set(accounts_outside)


def reset() -> None:
    global _current
    with _lock:
        _current = Organization()


def org_id_of(account: str) -> str | None:
    """aws:PrincipalOrgID of a principal of `account`; None outside the organization."""
    with _lock:
        return None if account in _current.accounts_outside else _current.org_id
