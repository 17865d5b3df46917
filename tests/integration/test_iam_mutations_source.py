"""Every IAM statement of template.yaml that the source side deploys is needed (issue 12,
"Done when"): without it, the path that needs it is refused by the local cloud's IAM. How, and
which path each statement has: tests/integration/iam_mutations.py.
"""

from __future__ import annotations

import pytest

from tests.integration import iam_mutations as mutations
from tests.integration.iam_paths import world  # noqa: F401 - the fixture

pytestmark = [pytest.mark.slow]

CASES = [(statement, side) for statement, side in mutations.CASES if side == "source"]


def test_every_statement_has_a_path() -> None:
    missing = mutations.paths_missing()
    assert not missing, f"statements no path needs (findings): {missing}"
    assert len(mutations.CASES) >= 20


@pytest.mark.parametrize(("statement", "side"), CASES, ids=[f"{s.id}@{side}" for s, side in CASES])
def test_the_source_path_fails_without_the_statement(world, statement, side,  # noqa: F811
                                                   record_property) -> None:
    mutations.check(world, statement, side, record_property)
