"""Finding a KMS key as AWS services do from a KMS key id field: a key id, a key ARN, an alias
name or an alias ARN. A key ARN or alias ARN names its account and Region; the others are
looked up in the caller's. Only an enabled key can be used."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Key:
    arn: str
    account: str
    policy: str
    enabled: bool


def resolve(reference: str, account: str, region: str) -> Key | None:
    """The key `reference` names, or None when there is no such key."""
    from moto.kms.models import kms_backends

    if reference.startswith("arn:"):
        parts = reference.split(":")
        if len(parts) < 6 or parts[2] != "kms":
            return None
        region, account = parts[3], parts[4]
    backend = kms_backends[account][region]
    try:
        key_id = backend.any_id_to_key_id(reference)
        key: Any = backend.keys.get(key_id) if key_id else None
    except (AttributeError, KeyError, TypeError, ValueError):  # an alias that names nothing
        return None
    if key is None:
        return None
    return Key(arn=str(key.arn), account=str(key.account_id), policy=str(key.policy),
               enabled=bool(key.enabled) and key.key_state == "Enabled")
