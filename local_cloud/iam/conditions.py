"""The Condition element: the operators model-copy's policies use, as the IAM User Guide
defines them ("IAM JSON policy elements: Condition operators").

Within a block, every operator and every key must hold (AND); the values listed for one key are
alternatives (OR). A key missing from the request makes a condition false, except for negated
operators, `...IfExists`, `Null` and `ForAllValues:` (which holds over an empty set).
Condition keys are case-insensitive; the context passed in uses lower-case keys.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from local_cloud.iam.matching import arn_like, like

log = logging.getLogger("local_cloud.iam")

Context = dict[str, Any]  # lower-case key -> str, or list[str] for a multivalued key

_COMPARE: dict[str, Callable[[str, str], bool]] = {
    "StringEquals": lambda actual, wanted: actual == wanted,
    "StringEqualsIgnoreCase": lambda actual, wanted: actual.lower() == wanted.lower(),
    "StringLike": like,
    "ArnEquals": lambda actual, wanted: actual == wanted,
    "ArnLike": arn_like,
    "Bool": lambda actual, wanted: actual.lower() == wanted.lower(),
}
_NEGATED = {"StringNotEquals": "StringEquals", "StringNotEqualsIgnoreCase":
            "StringEqualsIgnoreCase", "StringNotLike": "StringLike",
            "ArnNotEquals": "ArnEquals", "ArnNotLike": "ArnLike"}


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


class UnsupportedCondition(ValueError):
    """An operator this evaluator does not know: the statement must not match."""


def _values(context: Context, key: str) -> list[str] | None:
    if key.lower() not in context:
        return None
    value = context[key.lower()]
    return [str(v) for v in as_list(value)]


def condition_holds(operator: str, key: str, wanted: Any, context: Context) -> bool:
    """One operator applied to one key."""
    qualifier, _, op = operator.rpartition(":")
    if_exists = op.endswith("IfExists")
    op = op.removesuffix("IfExists")
    actual = _values(context, key)
    wanted_values = [str(w) for w in as_list(wanted)]
    if op == "Null":
        # Null: true means "the key is absent", false means "present".
        return (actual is None) == (wanted_values[0].lower() == "true")
    negated = op in _NEGATED
    compare = _COMPARE.get(_NEGATED.get(op, op))
    if compare is None:
        raise UnsupportedCondition(operator)
    if actual is None or (qualifier and not actual):
        if qualifier == "ForAllValues":
            return True  # vacuously true over no values (IAM UG, multivalued keys)
        if qualifier == "ForAnyValue":
            return False
        return if_exists or negated

    def matches(value: str) -> bool:
        return any(compare(value, w) for w in wanted_values)

    if qualifier == "ForAllValues":
        hits = [matches(v) for v in actual]
        return all(not h for h in hits) if negated else all(hits)
    if qualifier == "ForAnyValue":
        hits = [matches(v) for v in actual]
        return any(not h for h in hits) if negated else any(hits)
    hit = any(matches(v) for v in actual)
    return not hit if negated else hit


def conditions_hold(conditions: Any, context: Context) -> bool:
    """The whole Condition element; an unknown operator makes the statement not match."""
    if not conditions:
        return True
    if not isinstance(conditions, dict):
        return False
    for operator, tests in conditions.items():
        if not isinstance(tests, dict):
            return False
        for key, wanted in tests.items():
            try:
                if not condition_holds(str(operator), str(key), wanted, context):
                    return False
            except UnsupportedCondition:
                log.warning("condition operator %s is not emulated: the statement does not "
                            "match", operator)
                return False
    return True
