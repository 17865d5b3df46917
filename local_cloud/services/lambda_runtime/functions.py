"""Functions as moto keeps them: lookup by ARN, their ARNs, async config, concurrency, role."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

from local_cloud.services.lambda_runtime.config import FunctionNotFound


@dataclass(frozen=True)
class FunctionAddress:
    region: str
    account: str
    name: str
    qualifier: str | None

    @classmethod
    def parse(cls, function_arn: str) -> FunctionAddress:
        parts = function_arn.split(":")
        if len(parts) not in (7, 8) or parts[2] != "lambda" or parts[5] != "function":
            raise FunctionNotFound(f"not a Lambda function ARN: {function_arn!r}")
        return cls(region=parts[3], account=parts[4], name=parts[6],
                   qualifier=parts[7] if len(parts) == 8 else None)

    @property
    def unqualified_arn(self) -> str:
        return f"arn:aws:lambda:{self.region}:{self.account}:function:{self.name}"


def resolve_function(function_arn: str) -> Any:
    """The moto LambdaFunction for an ARN, qualified by $LATEST, a version or an alias."""
    from moto.awslambda.models import lambda_backends
    from moto.core.exceptions import JsonRESTError

    address = FunctionAddress.parse(function_arn)
    backend = lambda_backends[address.account][address.region]
    try:
        return backend.get_function(address.name, address.qualifier)
    except (JsonRESTError, KeyError) as error:
        raise FunctionNotFound(f"Function not found: {function_arn}") from error


def unqualified_arn(fn: Any) -> str:
    return f"arn:aws:lambda:{fn.region}:{fn.account_id}:function:{fn.function_name}"


def version_arn(fn: Any) -> str:
    return f"{unqualified_arn(fn)}:{fn.version}"


def event_invoke_config(fn: Any) -> dict[str, Any]:
    """The function's EventInvokeConfig (moto keeps it on the $LATEST object)."""
    configs = getattr(fn, "event_invoke_config", None)
    if not configs:
        with contextlib.suppress(FunctionNotFound):
            configs = resolve_function(unqualified_arn(fn)).event_invoke_config
    return dict(configs[-1].config) if configs else {}


def reserved_concurrency(fn: Any) -> int | None:
    value = fn.reserved_concurrency
    return None if value is None or value == "" else int(value)


def assume_execution_role(fn: Any, session_name: str) -> dict[str, str]:
    """Credentials of the function's role, from moto's STS in process: they act as its account."""
    from moto.sts.models import sts_backends

    role_account = fn.role.split(":")[4]
    role = sts_backends[role_account]["aws"].assume_role(
        region_name=fn.region, role_session_name=session_name, role_arn=fn.role,
        policy="", duration=43200, external_id="")
    return {"AWS_ACCESS_KEY_ID": role.access_key_id,
            "AWS_SECRET_ACCESS_KEY": role.secret_access_key,
            "AWS_SESSION_TOKEN": role.session_token}
