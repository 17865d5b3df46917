"""The environment template.yaml gives a function, for tests: the template stays the one place
the functions' settings and their defaults are written (local_cloud's function_environment
resolves it as a stack would)."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from local_cloud.cloudformation.function_environment import function_environment
from local_cloud.cloudformation.sam_translate import load_template
from local_cloud.core.accounts import SOURCE_ACCOUNT

TEMPLATE = Path(__file__).resolve().parents[2] / "template.yaml"


@cache
def _template(path: Path) -> dict[str, Any]:
    return load_template(path)


def template_environment(function: str, account: str = SOURCE_ACCOUNT,
                         template: Path = TEMPLATE, **parameters: str) -> dict[str, str]:
    """`function`'s variables in a stack deployed with `parameters` (Side defaults to both),
    every other parameter at its Default."""
    return function_environment(_template(template), function,
                                {"Side": "both", **parameters}, account=account)


def functions(template: Path = TEMPLATE) -> dict[str, str]:
    """Each function's logical id -> its handler module (`Handler` without the function)."""
    resources = _template(template).get("Resources") or {}
    return {name: str(spec["Properties"]["Handler"]).rsplit(".", 1)[0]
            for name, spec in resources.items() if spec.get("Type") == "AWS::Serverless::Function"}
