"""Deployment package sizes, built the way `sam build` does with functions/Makefile."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

FUNCTIONS_DIR = Path(__file__).resolve().parent.parent / "functions"
FUNCTIONS = ("PrepareCopyFunction", "ShareModelVersionFunction", "RelayOutcomeFunction",
             "ImportModelFunction")
MB = 1024 * 1024


def zipped_size(directory: Path) -> int:
    """Bytes of the directory zipped with deflate, as the uploaded code package would be."""
    with tempfile.TemporaryFile() as archive:
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as package:
            for path in sorted(directory.rglob("*")):
                if path.is_file():
                    package.write(path, path.relative_to(directory))
        archive.seek(0, 2)
        return archive.tell()


def build(function: str, artifacts_dir: Path, timeout_s: float = 180) -> None:
    # The Makefile pip-installs manylinux wheels for Python 3.12 arm64 from PyPI.
    subprocess.run(["make", "-s", "-C", str(FUNCTIONS_DIR), f"build-{function}",
                    f"ARTIFACTS_DIR={artifacts_dir}", f"PYTHON={sys.executable}"],
                   check=True, capture_output=True, text=True, timeout=timeout_s)


def package_sizes_mb() -> tuple[dict[str, float | None], str | None]:
    """Zipped MB per function; None (and the reason) when building is impossible here."""
    sizes: dict[str, float | None] = dict.fromkeys(FUNCTIONS)
    with tempfile.TemporaryDirectory(prefix="bench-build-") as scratch:
        for function in FUNCTIONS:
            artifacts = Path(scratch) / function
            artifacts.mkdir()
            try:
                build(function, artifacts)
            except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as error:
                stderr = getattr(error, "stderr", "") or ""
                reason = f"build-{function} failed: {str(stderr).strip()[-300:] or error}"
                return sizes, reason
            sizes[function] = round(zipped_size(artifacts) / MB, 2)
    return sizes, None
