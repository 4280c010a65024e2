"""The process sandbox works wherever SynCode is installed: also from a checkout and virtualenv that the sandbox
user (`nobody`, when the server runs as root) cannot reach, such as a clone in /root (mode 0700); and a sandbox
that does not start says what bwrap said."""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import pytest

from judge import Judge, Verdict
from judge import process_backend as pb
from judge.tools import tool_paths
from tests.judge.conftest import judge_settings

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("bwrap") is None,
    reason="only a server run as root hands its sandboxes to another user (nobody)",
)


@pytest.fixture
def installed_in_a_closed_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The sandbox's helpers and the analysis tools, as a clone and its virtualenv in a 0700 home would hold them."""
    home = tmp_path / "root"
    home.mkdir(mode=0o700)
    home.chmod(0o700)
    inside = home / "syncode/judge/inside"
    shutil.copytree(pb.INSIDE_DIR, inside, ignore=shutil.ignore_patterns("__pycache__"))
    tools = {}
    for relative, source in tool_paths().items():
        target = home / ".venv/tools" / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, target)
        tools[relative] = target
    monkeypatch.setattr(pb, "INSIDE_DIR", inside)
    monkeypatch.setattr(pb, "tool_paths", lambda: tools)
    assert stat.S_IMODE(home.stat().st_mode) == 0o700 and not pb.reachable_by(inside, pb.NOBODY)
    return home


async def test_sandbox_runs_from_an_unreachable_installation(installed_in_a_closed_home: Path) -> None:
    judge = Judge(judge_settings(), "process")
    await judge.start()  # before: "a bubblewrap sandbox does not start here (the supervisor stopped answering)"
    try:
        run = await judge.run("python", 'print("hello")')
        assert (run.verdict, run.stdout) == (Verdict.accepted, "hello\n")
        analysis = await judge.analyze("python", "import os\n")  # ruff and lizard, mounted from the closed home
        assert {tool.tool: tool.status for tool in analysis.tool_results} == {"ruff": "ok", "lizard": "ok"}
        assert any(d.rule == "F401" for d in analysis.diagnostics)
        staging = judge.backend._staging
        assert staging is not None and pb.reachable_by(staging / "opt/judge/supervise.py", pb.NOBODY)
    finally:
        await judge.close()


async def test_a_sandbox_that_does_not_start_shows_bwraps_message(
    installed_in_a_closed_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Mounted from where nobody cannot reach (as before the fix), bwrap refuses: its own words are the error."""
    monkeypatch.setattr(pb, "reachable_sources", lambda sources, staging: sources)
    backend = pb.ProcessBackend(0, 16)
    reason = backend.unavailable_reason()
    assert reason is not None
    assert "bwrap: Can't find source path" in reason and "Permission denied" in reason, reason
    assert str(installed_in_a_closed_home) in reason
