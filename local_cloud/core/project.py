"""Where the project the local cloud deploys lives, and whether the local cloud is installed.

In a checkout, template.yaml sits at the repository root; `pip install '.[local]'` copies it,
the ASL and the function code to `<prefix>/share/model-copy` (pyproject's data-files).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

# Modules of the `local` extra the local cloud cannot start without.
LOCAL_MODULES = ("moto", "samtranslator", "cfnlint", "werkzeug")
INSTALL_HINT = "pip install 'model-copy[local]'"

CANDIDATES = (
    Path(__file__).resolve().parents[2] / "template.yaml",  # a checkout (or editable install)
    Path(sys.prefix) / "share" / "model-copy" / "template.yaml",  # pip install '.[local]'
)


class ProjectNotFound(FileNotFoundError):
    pass


def missing_modules() -> list[str]:
    """The local cloud's modules that are not installed (empty when it can run)."""
    return [name for name in LOCAL_MODULES if importlib.util.find_spec(name) is None]


def template_path(explicit: Path | None = None) -> Path:
    """The template to deploy: `explicit`, else the checkout's, else the installed copy."""
    if explicit is not None:
        if not explicit.is_file():
            raise ProjectNotFound(f"template {explicit} not found")
        return explicit.resolve()
    for candidate in CANDIDATES:
        if candidate.is_file():
            return candidate
    raise ProjectNotFound(
        "template.yaml not found (looked in " + ", ".join(str(p.parent) for p in CANDIDATES)
        + "): run from the model-copy checkout, install with " + INSTALL_HINT
        + ", or pass --template PATH")
