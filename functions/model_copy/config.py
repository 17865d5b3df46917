"""Settings of each side, read from the function's environment (set by template.yaml)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass


class ConfigurationError(RuntimeError):
    """The function was deployed with a missing or malformed setting."""


def _get(env: Mapping[str, str], name: str, default: str | None = None) -> str:
    value = env.get(name, default)
    if value is None:
        raise ConfigurationError(f"environment variable {name} is not set; "
                                 "deploy with template.yaml, which sets it")
    return value


def parse_accounts(raw: str) -> tuple[str, ...]:
    return tuple(a.strip() for a in raw.replace(" ", ",").split(",") if a.strip())


def _seconds(env: Mapping[str, str], name: str, default: str) -> float:
    raw = _get(env, name, default)
    try:
        value = float(raw)
    except ValueError:
        raise ConfigurationError(f"{name}={raw!r} is not a number of seconds") from None
    if value <= 0:
        raise ConfigurationError(f"{name} must be positive, not {raw!r}")
    return value


def _count(env: Mapping[str, str], name: str, default: str) -> int:
    raw = _get(env, name, default)
    if not raw.isascii() or not raw.isdigit():
        raise ConfigurationError(f"{name}={raw!r} is not a whole number >= 0")
    return int(raw)


def bus_arn(partition: str, region: str, account: str, name: str) -> str:
    """An event bus ARN: shares and outcomes are put straight on another account's bus."""
    return f"arn:{partition}:events:{region}:{account}:event-bus/{name}"


@dataclass(frozen=True)
class SourceConfig:
    region: str
    account: str
    target_accounts: tuple[str, ...]
    default_target_accounts: tuple[str, ...]
    import_role_name: str
    share_with_account_root: bool
    poll_first_s: float
    poll_max_s: float
    training_wait_max_s: float
    import_timeout_s: int
    revoke_after_import: bool
    approval_required_accounts: tuple[str, ...]
    approval_timeout_s: int
    # Shares go straight to each target's bus of this name, same Region (and partition).
    bus_name: str = "model-copy"
    partition: str = "aws"
    max_concurrent_targets: int = 10  # the Map state's MaxConcurrency; 0 = no limit

    def target_bus_arn(self, account: str) -> str:
        return bus_arn(self.partition, self.region, account, self.bus_name)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> SourceConfig:
        env = os.environ if env is None else env
        return cls(
            region=_get(env, "AWS_REGION"),
            account=_get(env, "SOURCE_ACCOUNT_ID"),
            target_accounts=parse_accounts(_get(env, "TARGET_ACCOUNT_IDS", "")),
            default_target_accounts=parse_accounts(_get(env, "DEFAULT_TARGET_ACCOUNT_IDS", "")),
            import_role_name=_get(env, "TARGET_IMPORT_ROLE_NAME"),
            share_with_account_root=_get(env, "SHARE_WITH_ACCOUNT_ROOT", "false") == "true",
            poll_first_s=_seconds(env, "POLL_FIRST_SECONDS", "30"),
            poll_max_s=_seconds(env, "POLL_MAX_SECONDS", "300"),
            training_wait_max_s=_seconds(env, "TRAINING_WAIT_MAX_SECONDS", "86400"),
            import_timeout_s=int(_seconds(env, "IMPORT_TIMEOUT_SECONDS", "21600")),
            revoke_after_import=_get(env, "REVOKE_AFTER_IMPORT", "false") == "true",
            approval_required_accounts=parse_accounts(
                _get(env, "APPROVAL_REQUIRED_ACCOUNT_IDS", "")),
            approval_timeout_s=int(_seconds(env, "APPROVAL_TIMEOUT_SECONDS", "86400")),
            bus_name=_get(env, "EVENT_BUS_NAME", "model-copy"),
            partition=_get(env, "PARTITION", "aws"),
            max_concurrent_targets=_count(env, "MAX_CONCURRENT_TARGETS", "10"),
        )


@dataclass(frozen=True)
class TargetConfig:
    region: str
    account: str
    allowed_source_accounts: tuple[str, ...]
    bus_name: str
    ledger_table: str
    model_kms_key_id: str | None
    data_access_role_arn: str | None
    poll_first_s: float
    poll_max_s: float
    import_wait_max_s: float
    # Hand the poll over to a fresh invocation when less than this is left.
    handover_margin_s: float
    # AccessDenied from ImportModel this soon after the copy was claimed is taken for the
    # share's policy still propagating (nobody at fault) and retried; later it is final.
    access_denied_retry_s: float = 120.0
    # RequireApprovedShares: import only shares whose approval record says APPROVED.
    require_approved_shares: bool = False
    partition: str = "aws"

    def source_bus_arn(self, account: str) -> str:
        """Outcomes go straight to the bus of the source account that sent the share."""
        return bus_arn(self.partition, self.region, account, self.bus_name)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> TargetConfig:
        env = os.environ if env is None else env
        return cls(
            region=_get(env, "AWS_REGION"),
            account=_get(env, "TARGET_ACCOUNT_ID"),
            allowed_source_accounts=parse_accounts(_get(env, "ALLOWED_SOURCE_ACCOUNT_IDS", "")),
            bus_name=_get(env, "EVENT_BUS_NAME"),
            ledger_table=_get(env, "LEDGER_TABLE_NAME"),
            model_kms_key_id=_get(env, "MODEL_KMS_KEY_ID", "") or None,
            data_access_role_arn=_get(env, "DATA_ACCESS_ROLE_ARN", "") or None,
            poll_first_s=_seconds(env, "POLL_FIRST_SECONDS", "15"),
            poll_max_s=_seconds(env, "POLL_MAX_SECONDS", "120"),
            import_wait_max_s=_seconds(env, "IMPORT_WAIT_MAX_SECONDS", "21600"),
            handover_margin_s=_seconds(env, "HANDOVER_MARGIN_SECONDS", "30"),
            access_denied_retry_s=_seconds(env, "ACCESS_DENIED_RETRY_SECONDS", "120"),
            require_approved_shares=_get(env, "REQUIRE_APPROVED_SHARES", "false") == "true",
            partition=_get(env, "PARTITION", "aws"),
        )


def poll_intervals(first: float, cap: float, total: float) -> list[int]:
    """Growing intervals (doubling up to `cap`) whose sum covers `total` seconds."""
    intervals: list[int] = []
    step, waited = first, 0.0
    while waited < total:
        seconds = max(1, round(min(step, cap)))
        intervals.append(seconds)
        waited += seconds
        step *= 2
    return intervals
