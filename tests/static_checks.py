"""The static gates of `make test`: every check that needs no running cloud, in one command.

    python -m tests.static_checks          (make lint; the Makefile puts the tools on PATH)

Each gate prints one line (PASS/FAIL and how long it took); a failing gate also prints its
tool's output. The last line is `static checks: N passed, M failed`; the exit status is 1 if
any gate failed. Gates run one after the other: together they take well under a minute, and
the machine's cores belong to the test run that follows.

`offline_stack()` is also used by tests/unit/test_template_security.py: it turns our SAM
template into the plain CloudFormation one stack would get, with every intrinsic function
resolved, so policies can be checked as AWS would see them.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
TEMPLATE = REPO / "template.yaml"
STATE_MACHINE = REPO / "statemachine" / "copy_model.asl.json"
REGION = "us-east-1"
STACK_NAME = "model-copy"
# Where `make tools` installs each tool; searched after PATH so the script also runs by hand.
TOOL_DIRS = (".venv/bin", ".venv-tools/sam/bin", ".venv-tools/checkov/bin", "node_modules/.bin")
# Nothing here talks to AWS; SAM CLI and checkov still want a Region and credentials to exist,
# and must not phone home (telemetry, checkov's package scan and mapping download).
OFFLINE_ENV = {
    "AWS_DEFAULT_REGION": REGION,
    "AWS_ACCESS_KEY_ID": "offline",
    "AWS_SECRET_ACCESS_KEY": "offline",
    "SAM_CLI_TELEMETRY": "0",
    "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false",
    "BC_SKIP_MAPPING": "TRUE",
}
OUTPUT_LIMIT = 12_000  # characters of a failing tool's output worth reading in a CI log

# Accounts of the local cloud (local_cloud/core/accounts.py); only their shape matters here.
SOURCE_ACCOUNT = "111111111111"
TARGET_ACCOUNT = "222222222222"
OTHER_TARGET_ACCOUNT = "444444444444"
# More partners than the five slots the template once had: lists of any length must hold.
MORE_TARGET_ACCOUNTS = [f"5000000000{n:02d}" for n in range(1, 6)]
MORE_SOURCE_ACCOUNTS = [f"6000000000{n:02d}" for n in range(1, 6)]
# One stack per Side, with partner accounts set so that every conditional resource exists.
SCENARIOS: dict[str, tuple[str, dict[str, str]]] = {
    "source": (SOURCE_ACCOUNT, {"Side": "source", "TargetAccountIds": ",".join(
        [TARGET_ACCOUNT, OTHER_TARGET_ACCOUNT, *MORE_TARGET_ACCOUNTS])}),
    "target": (TARGET_ACCOUNT, {"Side": "target",
                                "SourceAccountIds": ",".join([SOURCE_ACCOUNT,
                                                              *MORE_SOURCE_ACCOUNTS]),
                                "SourceOrganizationId": "o-abcdefghij",
                                "ModelKmsKeyId": f"arn:aws:kms:{REGION}:{TARGET_ACCOUNT}:key/k1",
                                "DataAccessRoleArn":
                                    f"arn:aws:iam::{TARGET_ACCOUNT}:role/comprehend-kms"}),
    "both": (SOURCE_ACCOUNT, {"Side": "both", "TargetAccountIds": SOURCE_ACCOUNT,
                              "SourceAccountIds": SOURCE_ACCOUNT, "CreateTrail": "true"}),
}


# --- the template as one stack would see it ----------------------------------------------------

@dataclass(frozen=True)
class OfflineStack:
    """One stack's resources after the SAM transform, only those whose Condition holds.

    `resources` has every intrinsic resolved; `raw` is the same after the transform but
    before resolution (to see which resource refers to which).
    """

    scenario: str
    account: str
    resources: dict[str, dict[str, Any]]
    raw: dict[str, dict[str, Any]]

    def of_type(self, kind: str) -> dict[str, dict[str, Any]]:
        return {name: spec for name, spec in self.resources.items() if spec["Type"] == kind}

    def template(self) -> dict[str, Any]:
        return {"AWSTemplateFormatVersion": "2010-09-09", "Resources": self.resources}


class _AnyAttribute(dict[str, str]):
    """Fn::GetAtt of a resource that is not created: a recognisable ARN-shaped value for
    any attribute (none contains a wildcard, so a `*` found later is the template's own)."""

    def __init__(self, arn: str) -> None:
        super().__init__()
        self._arn = arn

    def __contains__(self, attribute: object) -> bool:
        return True

    def __getitem__(self, attribute: str) -> str:
        return self._arn if attribute == "Arn" else f"{self._arn}#{attribute}"


def _placeholder_arn(logical_id: str, kind: str, account: str) -> str:
    service = kind.split("::")[1].lower() if kind.count("::") == 2 else "unknown"
    return f"arn:aws:{service}:{REGION}:{account}:{STACK_NAME}-{logical_id}"


def offline_stack(scenario: str, template_path: Path = TEMPLATE) -> OfflineStack:
    """Translate the template offline as the local cloud's deployer does, without S3."""
    from local_cloud.cloudformation.intrinsics import Evaluator, Pseudo
    from local_cloud.cloudformation.sam_translate import ArtifactStore, translate_template

    class _NoUpload(ArtifactStore):
        """Code location only matters to a deployment; name it without uploading."""

        def __init__(self) -> None:
            super().__init__(s3_client=None, bucket="offline-artifacts", prefix=STACK_NAME)

        def upload_folder(self, folder: Path, name: str) -> str:
            return f"s3://{self.bucket}/{name}.zip"

    account, given = SCENARIOS[scenario]
    translation = translate_template(template_path, given, _NoUpload(), REGION)
    translated, values = translation.template, translation.values
    resources: dict[str, dict[str, Any]] = translated.get("Resources") or {}
    stack_id = f"arn:aws:cloudformation:{REGION}:{account}:stack/{STACK_NAME}/offline"
    evaluator = Evaluator(
        parameters=values, pseudo=Pseudo(account, REGION, STACK_NAME, stack_id),
        mappings=translated.get("Mappings") or {}, conditions=translated.get("Conditions") or {},
        resource_types={name: str(spec.get("Type")) for name, spec in resources.items()})
    active = {name: spec for name, spec in resources.items()
              if "Condition" not in spec or evaluator.condition(str(spec["Condition"]))}
    for name, spec in active.items():
        arn = _placeholder_arn(name, str(spec["Type"]), account)
        evaluator.physical_ids[name] = arn
        evaluator.attributes[name] = _AnyAttribute(arn)
    resolved = {name: evaluator.resolve(spec, f"Resources.{name}")
                for name, spec in active.items()}
    return OfflineStack(scenario, account, resolved, active)


# --- gates ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Outcome:
    passed: bool
    output: str = ""


@dataclass(frozen=True)
class Gate:
    name: str
    check: Callable[[], Outcome]


def _environment() -> dict[str, str]:
    environment = {**os.environ, **OFFLINE_ENV}
    local_dirs = [str(REPO / folder) for folder in TOOL_DIRS]
    environment["PATH"] = os.pathsep.join([environment.get("PATH", ""), *local_dirs])
    return environment


def run_tool(argv: Sequence[str], timeout: float = 120) -> Outcome:
    environment = _environment()
    executable = shutil.which(argv[0], path=environment["PATH"])
    if executable is None:
        return Outcome(False, f"{argv[0]} is not installed (make tools installs it)")
    try:
        completed = subprocess.run([executable, *argv[1:]], cwd=REPO, env=environment,
                                   capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return Outcome(False, f"{argv[0]} took longer than {timeout:.0f} s")
    return Outcome(completed.returncode == 0, completed.stdout + completed.stderr)


def tool(*argv: str) -> Callable[[], Outcome]:
    return lambda: run_tool(argv)


def checkov_on_translated() -> Outcome:
    """checkov reads `AWS::Serverless::*` only in part (no state machine, no generated roles
    or rules), so it also reads what the SAM transform makes of the template."""
    with tempfile.TemporaryDirectory(prefix="model-copy-checkov-") as folder:
        outcomes = []
        for scenario in ("both", "target"):  # "both" holds every resource but the org condition
            stack = offline_stack(scenario)
            path = Path(folder) / f"translated-{scenario}.json"
            path.write_text(json.dumps(stack.template(), indent=1))
            outcome = run_tool(["checkov", *CHECKOV_FLAGS, "-f", str(path)])
            outcomes.append(Outcome(outcome.passed, f"--- Side={scenario}\n{outcome.output}"))
    return Outcome(all(item.passed for item in outcomes), "\n".join(o.output for o in outcomes))


def mypy_targets() -> list[str]:
    # tests/unit and tests/support: the fakes are checked against the domain's ports
    # (typing.Protocol).
    return [name for name in ("functions", "local_cloud", "model_copy_cli", "tests/unit",
                              "tests/support")
            if (REPO / name).is_dir()]


def security_tests() -> Outcome:
    return run_tool([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                     "tests/unit/test_template_security.py"])


CHECKOV_FLAGS = ("--framework", "cloudformation", "--compact", "--quiet", "--skip-download")

GATES = (
    Gate("sam validate --lint", tool("sam", "validate", "--lint", "--template", str(TEMPLATE))),
    # The packages real AWS gets: functions/Makefile installs python3.12 arm64 wheels.
    Gate("sam build", tool("sam", "build", "--template", str(TEMPLATE), "--build-dir",
                           str(REPO / ".aws-sam" / "build"), "--parameter-overrides",
                           "Side=both")),
    Gate("cfn-lint (+serverless rules)",
         tool("cfn-lint", "-a", "cfn_lint_serverless.rules", "--", str(TEMPLATE))),
    Gate("checkov (SAM template)", tool("checkov", *CHECKOV_FLAGS, "-f", str(TEMPLATE))),
    Gate("checkov (translated CloudFormation)", checkov_on_translated),
    Gate("asl-validator", tool("asl-validator", "--json-path", str(STATE_MACHINE))),
    Gate("ruff", tool("ruff", "check", ".")),
    Gate("mypy", lambda: run_tool(["mypy", *mypy_targets()])),
    Gate("IAM and delivery rules (pytest)", security_tests),
)


def _trimmed(text: str) -> str:
    text = text.strip()
    if len(text) <= OUTPUT_LIMIT:
        return text
    return f"... ({len(text) - OUTPUT_LIMIT} characters cut)\n{text[-OUTPUT_LIMIT:]}"


def run_gates(gates: Sequence[Gate], out: Any = sys.stdout) -> int:
    """Run the gates in order; returns the number that failed."""
    failed = 0
    width = max(len(gate.name) for gate in gates)
    for gate in gates:
        started = time.monotonic()
        try:
            outcome = gate.check()
        except Exception as error:  # a broken gate is a failed gate, not a crashed script
            outcome = Outcome(False, f"{type(error).__name__}: {error}")
        seconds = time.monotonic() - started
        verdict = "PASS" if outcome.passed else "FAIL"
        print(f"{verdict}  {gate.name:<{width}}  {seconds:5.1f} s", file=out, flush=True)
        if not outcome.passed:
            failed += 1
            print(_indented(_trimmed(outcome.output)), file=out, flush=True)
    print(f"static checks: {len(gates) - failed} passed, {failed} failed", file=out)
    return failed


def _indented(text: str) -> str:
    return "\n".join(f"    {line}" for line in text.splitlines())


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m tests.static_checks [gate-name-substring ...]` runs all gates or a subset."""
    wanted = list(sys.argv[1:] if argv is None else argv)
    gates = [gate for gate in GATES
             if not wanted or any(word.lower() in gate.name.lower() for word in wanted)]
    if not gates:
        print(f"no gate matches {wanted}; gates: {[gate.name for gate in GATES]}")
        return 2
    return 1 if run_gates(gates) else 0


if __name__ == "__main__":
    sys.exit(main())
