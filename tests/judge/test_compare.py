"""Output comparison and verdict classification (pure functions)."""

from __future__ import annotations

import signal

import pytest

from judge.compare import outputs_match
from judge.engine import Limits, execution_verdict
from judge.models import Verdict
from judge.sandbox import Outcome

LIMITS = Limits(time_ms=1000, memory_mb=64, output_bytes=1024, disk_mb=16, nproc=64)


@pytest.mark.parametrize(
    ("actual", "expected", "comparison", "match"),
    [
        ("1 2\n3\n", "1 2\n3", "lines", True),
        ("1 2   \r\n3\n\n\n", "1 2\n3\n", "lines", True),
        ("1  2\n3", "1 2\n3", "lines", False),
        ("\n1 2\n", "1 2\n", "lines", False),
        ("1  2\n3", "1 2 3", "tokens", True),
        ("1 2", "1 2 3", "tokens", False),
        ("0.3333333 yes", "0.33333334 yes", "float", True),
        ("0.34 yes", "0.33 yes", "float", False),
        ("1e9", "1000000001", "float", True),
        ("nan", "nan", "float", True),
        ("0.5 no", "0.5 yes", "float", False),
    ],
)
def test_outputs_match(actual: str, expected: str, comparison: str, match: bool) -> None:
    assert outputs_match(actual, expected, comparison, abs_tol=1e-6, rel_tol=1e-6) is match


def outcome(**changes: object) -> Outcome:
    base = dict(
        exit_code=0,
        signal=None,
        cpu_ms=10,
        wall_ms=12,
        max_rss_kb=1000,
        stdout="",
        stderr="",
        stdout_truncated=False,
        stderr_truncated=False,
        killed=None,
    )
    return Outcome(**{**base, **changes})


@pytest.mark.parametrize(
    ("changes", "verdict"),
    [
        ({}, Verdict.accepted),
        ({"killed": "output", "stdout_truncated": True, "signal": 9, "exit_code": None}, Verdict.output_limit_exceeded),
        ({"killed": "wall", "signal": 9, "exit_code": None}, Verdict.time_limit_exceeded),
        ({"killed": "cpu", "signal": 9, "exit_code": None}, Verdict.time_limit_exceeded),
        ({"cpu_ms": 1500}, Verdict.time_limit_exceeded),
        ({"signal": signal.SIGXCPU, "exit_code": None}, Verdict.time_limit_exceeded),
        ({"killed": "memory", "signal": 9, "exit_code": None}, Verdict.memory_limit_exceeded),
        ({"max_rss_kb": 70 * 1024}, Verdict.memory_limit_exceeded),
        ({"exit_code": 1, "stderr": "MemoryError"}, Verdict.memory_limit_exceeded),
        ({"signal": signal.SIGKILL, "exit_code": None}, Verdict.memory_limit_exceeded),
        ({"exit_code": 3}, Verdict.runtime_error),
        ({"signal": signal.SIGSEGV, "exit_code": None}, Verdict.runtime_error),
    ],
)
def test_execution_verdict(changes: dict, verdict: Verdict) -> None:
    assert execution_verdict(outcome(**changes), LIMITS) is verdict
