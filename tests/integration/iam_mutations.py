"""The IAM mutation test's machinery: every statement of every role and function/state
machine policy in template.yaml, the template without one of them, and what a path that
needs it left behind (the local cloud's IAM denials).

A statement is one item of a policy's Statement list, a SAM policy template
(`LambdaInvokePolicy: ...`) or a managed policy name in a SAM `Policies` list. Statements
under `Fn::If` count with the parameter that turns them on.

For each statement of each role and function/state machine policy, on each side it is
deployed to, the template without that statement is deployed into the local cloud under fresh
names, the path that needs the statement runs, and the local cloud's IAM must refuse a call of
that path: one of the statement's actions, by the mutant's role. A statement no path needs is
a finding: `test_every_statement_has_a_path` fails for it.
The statements: tests/integration/iam_statements.py; the paths: tests/integration/iam_paths.py.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from local_cloud.cloudformation import deployer, pipeline
from local_cloud.core.accounts import TARGET_ACCOUNT
from local_cloud.core.launcher import LocalCloud
from tests.integration.iam_paths import (
    PATHS,
    SOURCE_MUTANTS_SHARE_WITH,
    World,
    deploy_path,
    unique,
)
from tests.integration.iam_statements import Statement, statements, without, write

ALL = statements()
CASES = [(statement, side) for statement in ALL for side in statement.sides]


@dataclass
class Denials:
    """The local cloud's IAM denials of one role, seen since `reset`."""
    cloud: LocalCloud
    seen: list[dict[str, str]] = field(default_factory=list)

    def of(self, role_name: str) -> list[dict[str, str]]:
        return [d for d in self.cloud.control("iam", "stats")["denials"]
                if f":assumed-role/{role_name}" in d["principal"]
                or f"role/{role_name}" in d["principal"]]

    def wait_for(self, role_name: str, actions: tuple[str, ...],
                 timeout: float = 40.0) -> dict[str, str] | None:
        wanted = {a.lower() for a in actions}
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for denial in self.of(role_name):
                if denial["action"].lower() in wanted:
                    return denial
            time.sleep(0.3)
        return None


def role_names_of(stack: Any, statement: Statement) -> str:
    """A name fragment every role of the mutant stack carries: generated role names start
    with the stack name; the import role is named by the ImportRoleNamePrefix parameter."""
    if statement.resource in ("ImportModelRole", "ImportModelSelfPolicy"):
        return str(stack.parameters["ImportRoleNamePrefix"])
    return str(stack.name)


# Parameters a path needs besides the names (the Fn::If condition that turns a statement on).
EXTRA_PARAMETERS: dict[str, Callable[[World], dict[str, str]]] = {
    # The copy waits for an approval first: the request goes on the source's own bus.
    "CopyModelStateMachine/AskForApprovals": lambda world: {
        "ApprovalRequiredAccountIds": TARGET_ACCOUNT},
    "ImportModelSelfPolicy/ContinueLongImports": lambda world: {
        "ImportFunctionTimeoutSeconds": "5", "ImportHandoverMarginSeconds": "2"},
    "ImportModelRole/PassDataAccessRole": lambda world: {
        "DataAccessRoleArn": f"arn:aws:iam::{TARGET_ACCOUNT}:role/comprehend-data"},
}


def _deploy(world: World, statement: Statement, side: str
            ) -> tuple[deployer.Stack | None, str, Exception | None]:
    """The mutant under fresh names; returns the stack (None if it failed) and its name."""
    template = write(without(statement), world.directory)
    stack_name = unique(f"mut-{side}")
    names = {"EventBusName": unique("mut-bus"),
             "ImportRoleNamePrefix": (SOURCE_MUTANTS_SHARE_WITH if side == "source"
                                      else unique("mut-importer")),
             **EXTRA_PARAMETERS.get(statement.id, lambda _: {})(world)}
    if side == "source":
        session, parameters = world.source, pipeline.source_parameters(None, **names)
    else:
        session, parameters = world.target, pipeline.target_parameters(None, **names)
    try:
        return (deployer.deploy(session, template, stack_name, parameters,
                                world.cloud.state_dir), stack_name, None)
    except deployer.DeployError as error:
        return None, stack_name, error




def check(world: World, statement: Statement, side: str,
          record_property: Callable[[str, object], None]) -> None:
    """Deploy the template without `statement` on `side`, run its path, see the denial."""
    path = PATHS[statement.id][side]
    stack, stack_name, deploy_error = _deploy(world, statement, side)
    session = world.source if side == "source" else world.target
    try:
        if stack is None:
            assert path is deploy_path, f"the mutant did not deploy: {deploy_error}"
            assert "not authorized to access the Log Destination" in str(deploy_error)
            role = stack_name
        else:
            assert path is not deploy_path, "the mutant deployed without its log delivery rights"
            role = role_names_of(stack, statement)
            path(world, stack)
        denial = Denials(world.cloud).wait_for(role, statement.actions)
        assert denial is not None, (f"no IAM denial of {statement.actions} by {role} on the "
                                    f"{path.__name__} without {statement.id}")
        record_property("iam_statement", f"{statement.id}@{side}: {denial['action']} denied")
    finally:
        # Work the mutant started may still run: it ends against a deleted stack.
        with contextlib.suppress(deployer.DeployError):
            deployer.delete(session, stack_name, world.cloud.state_dir)


def paths_missing() -> list[str]:
    return [f"{s.id} ({side})" for s in ALL for side in s.sides
            if side not in PATHS.get(s.id, {})]
