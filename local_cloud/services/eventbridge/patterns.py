"""Rule patterns: which rules fire for an event, and the event flattening moto's matcher
uses, corrected for arrays of objects.
"""

from __future__ import annotations

from typing import Any


def rule_fires(rule: Any, event: dict[str, Any]) -> bool:
    # Scheduled rules have no pattern; moto's matcher would accept every event for them.
    if rule.state != "ENABLED" or (rule.scheduled_expression and not rule.event_pattern.dump()):
        return False
    return bool(rule.event_pattern.matches_event(event))


def flatten_event(node: Any, prefix: str = "",
                   result: dict[str, Any] | None = None) -> dict[str, Any]:
    """Dotted paths to values, as moto's matcher expects, but an array of objects also
    yields its members' fields (`tags.key` -> every tag's key): EventBridge matches a
    pattern field against any element of such an array, which CloudTrail events rely on
    (e.g. requestParameters.tags)."""
    result = {} if result is None else result
    if not isinstance(node, dict):
        return result
    for key, value in node.items():
        path = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict) and value:
            flatten_event(value, path, result)
            continue
        result[path] = value
        if isinstance(value, list) and any(isinstance(v, dict) for v in value):
            for element in value:
                for leaf, leaf_value in flatten_event(element, path).items():
                    values = leaf_value if isinstance(leaf_value, list) else [leaf_value]
                    result.setdefault(leaf, []).extend(values)
    return result
