"""moto's own Comprehend tests (`tests/test_comprehend` of the moto sdist) pass against our
extension, except where the local cloud follows AWS and moto does not: each such test is listed
below with the reason, and the README section "Where the local cloud differs from moto" lists
the same differences.

The sdist is a test dependency: downloaded with pip into build/moto-sdist/ (ignored by git) the
first time, for the moto version installed, and never copied into the repository.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import xml.etree.ElementTree as ElementTree
from importlib.metadata import version
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
CACHE = REPO_ROOT / "build" / "moto-sdist"
MOTO_VERSION = version("moto")

# moto's test -> why it fails against the local cloud (what AWS does that moto does not).
EXPECTED_FAILURES = {
    "test_describe_entity_recognizer":
        "a new model is SUBMITTED, then TRAINING, then TRAINED; moto's is TRAINED at once",
    "test_stop_training_entity_recognizer":
        "StopTraining goes through STOP_REQUESTED; moto's model is TRAINED at once",
    "test_delete_entity_recognizer":
        "a model still training cannot be deleted (ResourceInUseException)",
    "test_describe_unknown_recognizer":
        "a malformed ARN ('unknown') breaks the field's pattern: ValidationException, not "
        "ResourceNotFoundException",
    "test_create_document_classifier":
        "the KMS keys 'kms-key-id' and 'model-kms-key-id' do not exist "
        "(KmsKeyValidationException), and ModelPolicy 'model-policy' is not a policy document",
    "test_describe_document_classifier":
        "the KMS keys 'kms-key-id' and 'model-kms-key-id' do not exist "
        "(KmsKeyValidationException), and ModelPolicy 'model-policy' is not a policy document",
    "test_delete_document_classifier":
        "the KMS keys 'kms-key-id' and 'model-kms-key-id' do not exist "
        "(KmsKeyValidationException), and ModelPolicy 'model-policy' is not a policy document",
    "test_list_document_classifiers":
        "a versioned model's ARN ends /version/<version>; moto's lacks the segment",
    "test_resource_policy_lifecycle":
        "a model policy may allow only comprehend:ImportModel; 'comprehend:*' is refused",
}


def _moto_tests() -> Path:
    """moto's tests/ folder for the installed version, downloaded and unpacked once."""
    root = CACHE / f"moto-{MOTO_VERSION}"
    suite = root / "tests" / "test_comprehend"
    if suite.is_dir():
        return root
    CACHE.mkdir(parents=True, exist_ok=True)
    sdist = CACHE / f"moto-{MOTO_VERSION}.tar.gz"
    if not sdist.exists():
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-binary",
                        ":all:", "--no-deps", "--disable-pip-version-check",
                        f"moto=={MOTO_VERSION}", "-d", str(CACHE)], check=True, timeout=300)
    wanted = (f"moto-{MOTO_VERSION}/tests/__init__.py", f"moto-{MOTO_VERSION}/tests/conftest.py",
              f"moto-{MOTO_VERSION}/tests/markers.py",
              f"moto-{MOTO_VERSION}/tests/test_comprehend/")
    with tarfile.open(sdist) as archive:
        members = [m for m in archive.getmembers() if m.name.startswith(wanted)]
        archive.extractall(CACHE, members=members, filter="data")
    (root / "pytest.ini").write_text("[pytest]\n")  # not our pyproject's settings
    return root


@pytest.fixture(scope="module")
def moto_results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Each moto Comprehend test's outcome: passed, failed or skipped."""
    root = _moto_tests()
    report = tmp_path_factory.mktemp("moto-suite") / "report.xml"
    subprocess.run(
        [sys.executable, "-m", "pytest", "tests/test_comprehend", "-q", "-p", "no:cacheprovider",
         "-p", "moto_suite_plugin", "-c", "pytest.ini",
         f"--junitxml={report}"],
        cwd=root, env=_environment(root), capture_output=True, text=True, timeout=300,
        check=False)
    outcomes: dict[str, str] = {}
    for case in ElementTree.parse(report).iter("testcase"):
        failed = case.find("failure") is not None or case.find("error") is not None
        skipped = case.find("skipped") is not None
        outcomes[case.attrib["name"]] = "failed" if failed else "skipped" if skipped else "passed"
    return outcomes


def _environment(root: Path) -> dict[str, str]:
    # moto's tests import `tests.…`, their own package, so our plugin is found by its own
    # folder on the path rather than as tests.local_cloud.moto_suite_plugin.
    environment = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    environment.update(PYTHONPATH=os.pathsep.join([str(root), str(REPO_ROOT),
                                                   str(Path(__file__).parent)]),
                       AWS_DEFAULT_REGION="us-east-1", AWS_ACCESS_KEY_ID="testing",
                       AWS_SECRET_ACCESS_KEY="testing")
    return environment


def test_motos_comprehend_tests_pass_but_for_the_documented_differences(moto_results):
    failed = {name for name, outcome in moto_results.items() if outcome == "failed"}
    assert len(moto_results) >= 40, f"moto's suite did not run: {moto_results}"
    assert failed - set(EXPECTED_FAILURES) == set(), "moto tests that fail, not documented"
    assert set(EXPECTED_FAILURES) - failed == set(), (
        "documented differences that no longer fail: remove them here and from the README")
