"""The import Lambda's module init against a bare `import boto3`, in fresh interpreters.

Each sample is a new subprocess of this Python, as a new execution environment is: it imports
one module and reports how long that took, so interpreter start-up is not counted.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from functools import cache
from pathlib import Path

from bench.report import median
from local_cloud.cloudformation.function_environment import function_environment
from local_cloud.core.accounts import SOURCE_ACCOUNT, TARGET_ACCOUNT

FUNCTIONS_DIR = Path(__file__).resolve().parent.parent / "functions"
IMPORT_HANDLER = "import_model.app"
TEMPLATE = FUNCTIONS_DIR.parent / "template.yaml"
_TIMED_IMPORT = ("import importlib, time; started = time.perf_counter(); "
                 "importlib.import_module({module!r}); print(time.perf_counter() - started)")


@cache
def handler_environment() -> dict[str, str]:
    """What the import handler reads at init (TargetConfig.from_env, Powertools): the
    environment template.yaml gives it, and credentials that only need to be well formed
    (nothing is called)."""
    env = function_environment(TEMPLATE, "ImportModelFunction",
                               {"Side": "target", "SourceAccountIds": SOURCE_ACCOUNT},
                               account=TARGET_ACCOUNT)
    return {**env, "AWS_DEFAULT_REGION": env["AWS_REGION"], "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench"}


def _environment() -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TMPDIR")}
    return {**keep, **handler_environment(), "PYTHONPATH": str(FUNCTIONS_DIR),
            "PYTHONDONTWRITEBYTECODE": "1"}


def import_seconds(module: str) -> float:
    result = subprocess.run([sys.executable, "-c", _TIMED_IMPORT.format(module=module)],
                            capture_output=True, text=True, env=_environment(), timeout=60,
                            check=True)
    return float(result.stdout.strip().splitlines()[-1])


def measure(repetitions: int = 7) -> dict[str, float]:
    """Median seconds of both imports; the samples alternate so drift hits both alike."""
    import_seconds("boto3")  # warm the file cache once; AWS's image is warm as well
    handler, bare = [], []
    for _ in range(repetitions):
        bare.append(import_seconds("boto3"))
        handler.append(import_seconds(IMPORT_HANDLER))
    return {"handler_s": median(handler), "boto3_s": median(bare)}


# What the import function's init is made of, each stage importing what the one before did and
# more, so the differences show what the pydantic contract and the Powertools parser cost.
_OWN = "import boto3, model_copy.observability"
STAGES = (
    ("boto3", "import boto3"),
    ("+ Powertools Logger and Metrics", _OWN),
    ("+ the pydantic contract (model_copy.contract)", f"{_OWN}, model_copy.contract"),
    ("+ the Powertools parser and its models",
     f"{_OWN}, model_copy.contract, aws_lambda_powertools.utilities.parser.models"),
    ("import_model.app, all of it", f"import {IMPORT_HANDLER}"),
)
# The alternative: the share validated against its JSON Schema by the Powertools validation
# utility (fastjsonschema), no pydantic. Measured only where fastjsonschema is installed.
SCHEMAS_DIR = FUNCTIONS_DIR.parent / "events"
SCHEMA_ALTERNATIVE = (
    "instead: Logger, Metrics + validation against events/schemas (fastjsonschema)",
    f"{_OWN}, json; from aws_lambda_powertools.utilities.validation import validate; "
    f"validate(event=json.load(open({str(SCHEMAS_DIR / 'model-version-shared.json')!r}))"
    f"['detail'], schema=json.load(open("
    f"{str(SCHEMAS_DIR / 'schemas' / 'model-version-shared.schema.json')!r})))")
_TIMED_STATEMENT = ("import time; started = time.perf_counter(); exec({statement!r}); "
                    "print(time.perf_counter() - started)")


def statement_seconds(statement: str) -> float:
    result = subprocess.run([sys.executable, "-c", _TIMED_STATEMENT.format(statement=statement)],
                            capture_output=True, text=True, env=_environment(), timeout=60,
                            check=True)
    return float(result.stdout.strip().splitlines()[-1])


def breakdown(repetitions: int = 7) -> list[dict[str, float | str]]:
    """Median ms of each stage and its ratio to bare boto3, samples interleaved (drift hits all
    alike); the schema alternative is left out where fastjsonschema is not installed."""
    stages = list(STAGES)
    if importlib.util.find_spec("fastjsonschema") is not None:
        stages.append(SCHEMA_ALTERNATIVE)
    samples: dict[str, list[float]] = {name: [] for name, _ in stages}
    statement_seconds("import boto3")  # warm the file cache once
    for _ in range(repetitions):
        for name, statement in stages:
            samples[name].append(statement_seconds(statement))
    bare = median(samples["boto3"])
    return [{"stage": name, "ms": round(median(values) * 1000, 1),
             "ratio": round(median(values) / bare, 2)} for name, values in samples.items()]


def top_imports(limit: int = 8) -> list[tuple[str, float]]:
    """`python -X importtime`: where the handler's import time goes, in ms, costliest first."""
    result = subprocess.run([sys.executable, "-X", "importtime", "-c", f"import {IMPORT_HANDLER}"],
                            capture_output=True, text=True, env=_environment(), timeout=60,
                            check=True)
    return parse_importtime(result.stderr, IMPORT_HANDLER)[:limit]


def parse_importtime(stderr: str, module: str) -> list[tuple[str, float]]:
    """The direct imports of `module` (cumulative ms) and its own body ("(module body)").

    Lines look like `import time:   1234 |    56789 |   package.module`; the nesting depth is
    the indentation of the last column, two spaces a level, and a module's imports are listed
    before it. The body's time is the module's self time: module-level code such as creating
    clients. Interpreter start-up (site, ...) is left out: every Lambda pays it alike.
    """
    children: list[tuple[str, float]] = []
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        own, cumulative, column = line.removeprefix("import time:").split("|")
        depth = (len(column) - len(column.lstrip(" ")) - 1) // 2
        name = column.strip()
        if depth == 1:
            children.append((name, int(cumulative) / 1000))
        elif depth == 0 and name == module:
            children.append((f"{module} (module body)", int(own) / 1000))
            return sorted(children, key=lambda entry: entry[1], reverse=True)
        elif depth == 0:
            children = []
    return []
