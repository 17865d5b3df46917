"""Settings of each function, read from the environment template.yaml gives it (and the bus
ARNs derived from them).

template.yaml is the one place a setting's default lives. Every setting here must be in the
environment (an empty value is a value: no accounts, no key); a missing or malformed one stops
the function at init with an error that names the variable and what in the template sets it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Self

# Set by the Lambda runtime itself, not by the template.
LAMBDA_RUNTIME = "the Lambda runtime"
# How long AccessDenied from ImportModel, after a copy is claimed, is taken for the share's
# policy still propagating (nobody at fault) and retried; later it is final. Not a
# deployment choice, so not a template parameter.
ACCESS_DENIED_RETRY_SECONDS = 120.0


class ConfigurationError(RuntimeError):
    """The function was deployed with a missing or malformed setting."""


def parse_accounts(raw: str) -> tuple[str, ...]:
    return tuple(a.strip() for a in raw.replace(" ", ",").split(",") if a.strip())


def _text(raw: str) -> str:
    return raw


def _optional(raw: str) -> str | None:
    """Optional parameters default to "": no value."""
    return raw or None


def _flag(raw: str) -> bool:
    if raw not in ("true", "false"):
        raise ValueError("is neither true nor false")
    return raw == "true"


def _seconds(raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise ValueError("is not a number of seconds") from None
    if value <= 0:
        raise ValueError("must be a positive number of seconds")
    return value


def _whole_seconds(raw: str) -> int:
    return int(_seconds(raw))


def _count(raw: str) -> int:
    if not raw.isascii() or not raw.isdigit():
        raise ValueError("is not a whole number >= 0")
    return int(raw)


@dataclass(frozen=True)
class Setting:
    """One environment variable: who sets it (a template parameter, pseudo parameter or
    resource, or the Lambda runtime) and how its text becomes the value."""

    variable: str
    set_from: str
    parse: Callable[[str], Any] = _text

    def read(self, env: Mapping[str, str]) -> Any:
        raw = env.get(self.variable)
        origin = (f"set by {LAMBDA_RUNTIME}" if self.set_from == LAMBDA_RUNTIME else
                  f"template.yaml sets it from {self.set_from}")
        if raw is None:
            raise ConfigurationError(f"environment variable {self.variable} is not set "
                                     f"({origin}): deploy the function with template.yaml")
        try:
            return self.parse(raw)
        except ValueError as problem:
            raise ConfigurationError(f"environment variable {self.variable}={raw!r} {problem} "
                                     f"({origin})") from None


class _FromEnvironment:
    """A settings class whose fields are read as its SETTINGS say."""

    SETTINGS: ClassVar[Mapping[str, Setting]]

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Self:
        env = os.environ if env is None else env
        return cls(**{name: setting.read(env) for name, setting in cls.SETTINGS.items()})


def bus_arn(partition: str, region: str, account: str, name: str) -> str:
    """An event bus ARN: shares and outcomes are put straight on another account's bus."""
    return f"arn:{partition}:events:{region}:{account}:event-bus/{name}"


@dataclass(frozen=True)
class SourceConfig(_FromEnvironment):
    """PrepareCopy's settings (the source side)."""

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
    bus_name: str
    partition: str
    max_concurrent_targets: int  # the Map state's MaxConcurrency; 0 = no limit

    SETTINGS: ClassVar[Mapping[str, Setting]] = {
        "region": Setting("AWS_REGION", LAMBDA_RUNTIME),
        "account": Setting("SOURCE_ACCOUNT_ID", "AWS::AccountId"),
        "target_accounts": Setting("TARGET_ACCOUNT_IDS", "TargetAccountIds", parse_accounts),
        "default_target_accounts": Setting("DEFAULT_TARGET_ACCOUNT_IDS",
                                           "DefaultTargetAccountIds", parse_accounts),
        "import_role_name": Setting("TARGET_IMPORT_ROLE_NAME", "ImportRoleNamePrefix"),
        "share_with_account_root": Setting("SHARE_WITH_ACCOUNT_ROOT", "ShareWithAccountRoot",
                                           _flag),
        "poll_first_s": Setting("POLL_FIRST_SECONDS", "TrainingPollFirstSeconds", _seconds),
        "poll_max_s": Setting("POLL_MAX_SECONDS", "TrainingPollMaxSeconds", _seconds),
        "training_wait_max_s": Setting("TRAINING_WAIT_MAX_SECONDS", "TrainingWaitMaxSeconds",
                                       _seconds),
        "import_timeout_s": Setting("IMPORT_TIMEOUT_SECONDS", "ImportTimeoutSeconds",
                                    _whole_seconds),
        "revoke_after_import": Setting("REVOKE_AFTER_IMPORT", "RevokeAfterImport", _flag),
        "approval_required_accounts": Setting("APPROVAL_REQUIRED_ACCOUNT_IDS",
                                              "ApprovalRequiredAccountIds", parse_accounts),
        "approval_timeout_s": Setting("APPROVAL_TIMEOUT_SECONDS", "ApprovalTimeoutSeconds",
                                      _whole_seconds),
        "bus_name": Setting("EVENT_BUS_NAME", "EventBusName"),
        "partition": Setting("PARTITION", "AWS::Partition"),
        "max_concurrent_targets": Setting("MAX_CONCURRENT_TARGETS", "MaxConcurrentTargets",
                                          _count),
    }

    def target_bus_arn(self, account: str) -> str:
        return bus_arn(self.partition, self.region, account, self.bus_name)


@dataclass(frozen=True)
class TargetConfig(_FromEnvironment):
    """ImportModel's settings (the target side)."""

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
    # RequireApprovedShares: import only shares whose approval record says APPROVED.
    require_approved_shares: bool
    partition: str
    access_denied_retry_s: float = ACCESS_DENIED_RETRY_SECONDS

    SETTINGS: ClassVar[Mapping[str, Setting]] = {
        "region": Setting("AWS_REGION", LAMBDA_RUNTIME),
        "account": Setting("TARGET_ACCOUNT_ID", "AWS::AccountId"),
        "allowed_source_accounts": Setting("ALLOWED_SOURCE_ACCOUNT_IDS", "SourceAccountIds",
                                           parse_accounts),
        # The bus resource, named by the EventBusName parameter.
        "bus_name": Setting("EVENT_BUS_NAME", "ModelCopyEventBus"),
        "ledger_table": Setting("LEDGER_TABLE_NAME", "ImportLedgerTable"),
        "model_kms_key_id": Setting("MODEL_KMS_KEY_ID", "ModelKmsKeyId", _optional),
        "data_access_role_arn": Setting("DATA_ACCESS_ROLE_ARN", "DataAccessRoleArn",
                                        _optional),
        "poll_first_s": Setting("POLL_FIRST_SECONDS", "ImportPollFirstSeconds", _seconds),
        "poll_max_s": Setting("POLL_MAX_SECONDS", "ImportPollMaxSeconds", _seconds),
        "import_wait_max_s": Setting("IMPORT_WAIT_MAX_SECONDS", "ImportWaitMaxSeconds",
                                     _seconds),
        "handover_margin_s": Setting("HANDOVER_MARGIN_SECONDS", "ImportHandoverMarginSeconds",
                                     _seconds),
        "require_approved_shares": Setting("REQUIRE_APPROVED_SHARES", "RequireApprovedShares",
                                           _flag),
        "partition": Setting("PARTITION", "AWS::Partition"),
    }

    def source_bus_arn(self, account: str) -> str:
        """Outcomes go straight to the bus of the source account that sent the share."""
        return bus_arn(self.partition, self.region, account, self.bus_name)


@dataclass(frozen=True)
class RelayConfig(_FromEnvironment):
    """RelayOutcome's settings (the source side): who may answer a waiting copy."""

    account: str
    target_accounts: tuple[str, ...]

    SETTINGS: ClassVar[Mapping[str, Setting]] = {
        "account": Setting("SOURCE_ACCOUNT_ID", "AWS::AccountId"),
        "target_accounts": Setting("TARGET_ACCOUNT_IDS", "TargetAccountIds", parse_accounts),
    }

