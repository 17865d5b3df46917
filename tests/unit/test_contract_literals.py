"""One contract: every detail-type and event source written outside contract.py is one the
contract defines, so renaming a detail-type in contract.py alone fails here, naming each place
that still has the old name (issue: one fact, one place)."""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from model_copy.contract import EVENT_SOURCE, DetailType

from local_cloud.cloudformation.sam_translate import load_template

REPO = Path(__file__).resolve().parents[2]
CONTRACT = {d.value for d in DetailType}
# Detail-types that are AWS's, not ours.
AWS_DETAIL_TYPES = {"AWS API Call via CloudTrail"}
# Event sources other than ours that the pipeline matches on (AWS's own service events).
AWS_SOURCES = {"aws.comprehend"}
# A string that reads like one of our detail-types ("Model Import Failed", "Copy Model ...").
LOOKS_LIKE_OURS = re.compile(r"(Model|Copy Model) [A-Z][a-z]+( [A-Z][a-z]+)*")


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _walk(node: Any, where: str) -> Iterator[tuple[str, str, str]]:
    """(kind, literal, where) for every detail-type and source written in a template or ASL."""
    if isinstance(node, dict):
        for key, value in node.items():
            here = f"{where}/{key}"
            if key in ("detail-type", "events:detail-type", "DetailType"):
                yield from (("detail-type", s, here) for s in _strings(value))
            elif key in ("source", "events:source", "Source"):
                yield from (("source", s, here) for s in _strings(value))
            yield from _walk(value, here)
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from _walk(item, f"{where}[{index}]")


def _drifted(literals: Iterator[tuple[str, str, str]]) -> list[str]:
    wrong = []
    for kind, literal, where in literals:
        known = (CONTRACT | AWS_DETAIL_TYPES) if kind == "detail-type" else (
            {EVENT_SOURCE} | AWS_SOURCES)
        if literal not in known and "${" not in literal:
            wrong.append(f"{where}: {kind} {literal!r} is not in functions/model_copy/contract.py")
    return wrong


def test_the_template_uses_only_the_contracts_detail_types_and_source() -> None:
    literals = list(_walk(load_template(REPO / "template.yaml"), "template.yaml"))
    assert any(kind == "detail-type" for kind, _, _ in literals)  # the walk finds them
    assert _drifted(iter(literals)) == []


def test_the_state_machine_uses_only_the_contracts_detail_types_and_source() -> None:
    asl = json.loads((REPO / "statemachine" / "copy_model.asl.json").read_text())
    literals = list(_walk(asl, "statemachine/copy_model.asl.json"))
    assert any(kind == "detail-type" for kind, _, _ in literals)
    assert _drifted(iter(literals)) == []


def _python_literals() -> Iterator[tuple[str, str, str]]:
    roots = [REPO / "functions", REPO / "model_copy_cli", REPO / "bench"]
    for path in sorted(p for root in roots for p in root.rglob("*.py")):
        if path.name == "contract.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if (isinstance(node, ast.Constant) and isinstance(node.value, str)
                    and LOOKS_LIKE_OURS.fullmatch(node.value)):
                yield ("detail-type", node.value,
                       f"{path.relative_to(REPO)}:{node.lineno}")


def test_code_outside_the_contract_names_only_its_detail_types() -> None:
    assert _drifted(_python_literals()) == []

