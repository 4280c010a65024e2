"""Every language on every backend: each verdict, and judging a submission against test cases."""

from __future__ import annotations

import asyncio

import pytest

from config import SUPPORTED_LANGUAGES
from judge import Judge, Progress, TestCase, Verdict
from judge.selftest import ESCAPES, PROGRAMS, language_checks, run_check

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
async def test_every_verdict(judge: Judge, language: str) -> None:
    """hello, stdin echo, compile error, infinite loop, memory hog and crash get the right verdicts."""
    checks = [check for check in language_checks() if check.language == language]
    results = await asyncio.gather(*(run_check(judge, check) for check in checks))
    got = {check.name: (result.verdict, result.stdout[:40]) for check, result in results}
    expected = {check.name: check.expect for check in checks}
    assert all(check.passed(result) for check, result in results), (got, expected)


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
async def test_judge_submission(judge: Judge, language: str) -> None:
    """Compile once, run every case, compare, aggregate; progress after each case; hidden outputs withheld."""
    cases = [
        TestCase(id="a", input="1 2\n", expected_output="1 2"),
        TestCase(id="b", input="three\n", expected_output="four"),
        TestCase(id="c", input="secret\n", expected_output="secret\n\n", is_hidden=True),
    ]
    progress: list[Progress] = []
    result = await judge.judge(language, PROGRAMS[language]["echo"], cases, 2000, 256, on_progress=progress.append)
    assert [r.verdict for r in result.results] == [Verdict.accepted, Verdict.wrong_answer, Verdict.accepted]
    assert (result.verdict, result.passed, result.total) == (Verdict.wrong_answer, 2, 3)
    assert result.time_ms is not None and result.memory_kb is not None
    assert [(p.done, p.passed, p.total) for p in progress] == [(1, 1, 3), (2, 1, 3), (3, 2, 3)]
    visible, hidden = result.results[0], result.results[2]
    assert (visible.stdout, visible.expected_output) == ("1 2\n", "1 2")
    assert (hidden.stdout, hidden.stderr, hidden.expected_output) == (None, None, None)


async def test_escape_suite(judge: Judge) -> None:
    """Hostile programs neither escape nor take the sandbox down, on both backends."""
    failures = []
    for check in ESCAPES:
        _, result = await run_check(judge, check)
        if not check.passed(result):
            failures.append((check.name, result.verdict, result.stdout[:80]))
    assert not failures
    after = await judge.run("python", "print('still fine')")
    assert (after.verdict, after.stdout) == (Verdict.accepted, "still fine\n")
