"""RelayOutcome: the source side's Lambda, triggered by import outcomes and approval decisions
on this account's bus; hands each to model_copy.relaying, which answers the waiting execution."""

from __future__ import annotations

from typing import Any

from model_copy.clients import client
from model_copy.config import RelayConfig
from model_copy.observability import logger
from model_copy.relaying import Ports, relay

CONFIG = RelayConfig.from_env()


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], _context: Any) -> dict[str, Any]:
    return relay(event, CONFIG, Ports(stepfunctions=client("stepfunctions")))
