"""How IAM matches names: actions, ARNs and strings with the wildcards `*` and `?`."""

from __future__ import annotations

import re
from functools import lru_cache


@lru_cache(maxsize=4096)
def _glob(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    # `*` and `?` only: unlike fnmatch, IAM gives `[` no meaning.
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(f"^{body}$", re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def like(value: str, pattern: str, ignore_case: bool = False) -> bool:
    """StringLike: `*` is any run of characters, `?` any one character."""
    return bool(_glob(pattern, ignore_case).match(value))


def action_matches(action: str, pattern: str) -> bool:
    """Action names are case-insensitive (`comprehend:importmodel` is ImportModel)."""
    return like(action, pattern, ignore_case=True)


def arn_like(arn: str, pattern: str) -> bool:
    """ArnLike and the Resource element: each of the six colon-separated parts is matched on
    its own, so a wildcard in the account part cannot eat into the resource part (IAM User
    Guide, "ARN condition operators"). The resource part may itself hold colons."""
    if pattern == "*":
        return True
    parts, wanted = arn.split(":", 5), pattern.split(":", 5)
    if len(parts) != 6:
        return like(arn, pattern)  # not an ARN (e.g. "*" for an action on no resource)
    if len(wanted) != 6:
        return False
    return all(like(part, want) for part, want in zip(parts, wanted, strict=True))
