"""The static-analysis tools shipped into sandboxes at /opt/tools: the ruff binary, and lizard with its
pure-Python dependencies (run by the sandbox's python3). Taken from the environment the judge runs in."""

from __future__ import annotations

import importlib.metadata
import shutil
import sys
from pathlib import Path

TOOLS_MOUNT = "/opt/tools"
PYTHON_PACKAGES = ("lizard", "pygments", "pathspec")


def ruff_binary() -> Path | None:
    found = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    return Path(found) if found else None


def tool_paths() -> dict[str, Path]:
    """Where each tool file or package directory goes under /opt/tools -> its path on this host."""
    paths: dict[str, Path] = {}
    ruff = ruff_binary()
    if ruff is not None:
        paths["bin/ruff"] = ruff
    for name in PYTHON_PACKAGES:
        distribution = importlib.metadata.distribution(name)
        for file in distribution.files or ():
            top = file.parts[0]
            if top != ".." and not top.endswith((".dist-info", ".data")) and top != "__pycache__":
                paths[f"py/{top}"] = Path(str(distribution.locate_file(top)))
    return paths


def versions() -> list[str]:
    return [f"{name}=={importlib.metadata.version(name)}" for name in ("ruff", *PYTHON_PACKAGES)]
