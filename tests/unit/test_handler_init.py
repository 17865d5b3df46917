"""A handler's init builds no AWS client: each is built on first use and kept for the life of
the execution environment, so a cold start pays only for the clients its path needs."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from tests.support.template_environment import functions


@pytest.mark.parametrize("function", sorted(functions()))
def test_init_builds_no_client(function: str, function_env: Any, fresh_handler: Any,
                               monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[str] = []

    def record(service: str, *args: Any, **kwargs: Any) -> Any:
        built.append(service)
        return object()

    monkeypatch.setattr(boto3, "client", record)
    monkeypatch.setattr(boto3, "resource", record)
    fresh_handler(function, function_env(function))
    assert built == [], f"{function}'s init builds {built}"
