"""What the AI knows when it answers one request: the Brief. The problem as the candidate reads it, the interviewer's
guide (the AI's own notes: never shown as such), the code the request is about, the room's recent runs and
submissions (a hidden test shows its verdict only, never its input or output), the phase and the conversation.

Plain data, built by gather.py from the services that own it, read by both engines.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any

from syncode.ai.codefacts import CodeFacts, code_facts

LEVELS = ("subtle", "moderate", "direct")
OUTPUT_CHARS = 800  # of a run's output or a failing case's input / outputs


def clip(text: str | None, limit: int = OUTPUT_CHARS) -> str | None:
    if text is None or len(text) <= limit:
        return text
    return text[:limit] + f"… ({len(text) - limit} more characters)"


def same_text(a: str | None, b: str | None) -> bool:
    return (a or "").split() == (b or "").split()


@dataclass(frozen=True)
class ProblemBrief:
    id: str
    title: str
    difficulty: str
    description: str = ""
    constraints: str | None = None
    examples: list[dict[str, Any]] = field(default_factory=list)
    hints: list[str] = field(default_factory=list)
    starter: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class GuideBrief:
    approach: str | None = None
    time: str | None = None  # of the reference solution
    space: str | None = None
    mistakes: list[str] = field(default_factory=list)
    follow_ups: list[str] = field(default_factory=list)
    references: dict[str, str] = field(default_factory=dict)  # for the leak guard only, never sent to an LLM


@dataclass(frozen=True)
class FailedCase:
    """The first test a submission failed (or a run whose input is a visible test's); hidden: verdict only."""

    index: int
    hidden: bool
    verdict: str
    input: str | None = None
    expected: str | None = None
    got: str | None = None
    stderr: str | None = None

    @property
    def empty_input(self) -> bool:
        """The test's input is empty or says the list is empty (a lone 0 for its length)."""
        if self.input is None:
            return False
        lines = [line.strip() for line in self.input.splitlines()]
        return not any(lines) or lines[0] == "0"


@dataclass(frozen=True)
class JobBrief:
    kind: str  # run | submission
    verdict: str | None
    language: str
    code: str
    at: datetime
    stdin: str | None = None
    stdout: str = ""
    stderr: str = ""
    compile_output: str | None = None
    passed: int | None = None
    total: int | None = None
    failed: FailedCase | None = None

    @property
    def ok(self) -> bool:
        return self.verdict == "accepted" and self.failed is None

    @property
    def accepted_submission(self) -> bool:
        return self.kind == "submission" and self.verdict == "accepted"


@dataclass(frozen=True)
class Turn:
    role: str  # user | assistant
    kind: str
    content: str


@dataclass
class Brief:
    task: str  # chat | hint | review | proactive
    phase: str
    mode: str
    language: str
    code: str
    problem: ProblemBrief | None = None
    guide: GuideBrief | None = None
    jobs: list[JobBrief] = field(default_factory=list)  # oldest first
    conversation: list[Turn] = field(default_factory=list)  # oldest first, without the request itself
    question: str | None = None  # a chat message, or the question asked with a hint
    level: str = "subtle"  # hints: the level to answer at (escalated)
    hints_given: int = 0  # earlier hints on this problem in this room
    trigger: str | None = None  # proactive turns: greeting, failing_run, failing_submission, accepted, idle, ...
    analysis: dict[str, Any] | None = None  # the judge's static analysis of `code` (reviews), when it could run
    candidate: str | None = None  # the candidate's display name

    @cached_property
    def facts(self) -> CodeFacts:
        return code_facts(self.language, self.code)

    @property
    def last_job(self) -> JobBrief | None:
        return self.jobs[-1] if self.jobs else None

    @property
    def last_submission(self) -> JobBrief | None:
        return next((job for job in reversed(self.jobs) if job.kind == "submission"), None)

    @property
    def solved(self) -> bool:
        """The current code is the code of an accepted submission."""
        last = self.last_submission
        return bool(last and last.accepted_submission and same_text(last.code, self.code))

    @property
    def starter_lines(self) -> set[str]:
        starter = (self.problem.starter.get(self.language, "") if self.problem else "") or ""
        return {line.strip() for line in starter.splitlines() if line.strip()}

    @property
    def unchanged_starter(self) -> bool:
        starter = self.problem.starter.get(self.language) if self.problem else None
        return (bool(starter) and same_text(starter, self.code)) or not self.code.strip()


def level_index(level: str) -> int:
    return LEVELS.index(level) if level in LEVELS else 0


def escalated(requested: str | None, hints_given: int) -> str:
    """Repeated hints on the same problem climb the ladder: the first is subtle, the second moderate, then direct;
    asking for a stronger level than that is granted."""
    earned = min(hints_given, len(LEVELS) - 1)
    return LEVELS[max(earned, level_index(requested) if requested else 0)]


def failed_case(result: dict[str, Any], visible: dict[str, dict[str, Any]]) -> FailedCase:
    """A stored case result as the AI may see it: a hidden one keeps its verdict only."""
    hidden = bool(result.get("isHidden"))
    case = {} if hidden else visible.get(result.get("testCaseId") or "", {})
    return FailedCase(
        index=result.get("index", 0),
        hidden=hidden,
        verdict=result.get("verdict", ""),
        input=None if hidden else clip(case.get("input")),
        expected=None if hidden else clip(result.get("expectedOutput") or case.get("expectedOutput")),
        got=None if hidden else clip(result.get("stdout")),
        stderr=None if hidden else clip(result.get("stderr")),
    )


def job_brief(doc: dict[str, Any], visible: dict[str, dict[str, Any]]) -> JobBrief:
    """A stored run or submission (execution service) as a JobBrief; `visible` maps the problem's visible test ids
    to their {input, expectedOutput}."""
    failed = None
    if doc["kind"] == "submission":
        failing = [r for r in doc.get("results", []) if r.get("verdict") != "accepted"]
        failing.sort(key=lambda r: (bool(r.get("isHidden")), r.get("index", 0)))  # a visible failure says more
        failed = failed_case(failing[0], visible) if failing else None
    else:
        failed = _run_against_tests(doc, visible)
    return JobBrief(
        kind=doc["kind"],
        verdict=doc.get("verdict"),
        language=doc.get("language", ""),
        code=doc.get("code", ""),
        at=doc["createdAt"],
        stdin=clip(doc.get("stdin")),
        stdout=clip(doc.get("stdout")) or "",
        stderr=clip(doc.get("stderr")) or "",
        compile_output=clip(doc.get("compileOutput")),
        passed=doc.get("passed"),
        total=doc.get("total"),
        failed=failed,
    )


def _run_against_tests(doc: dict[str, Any], visible: dict[str, dict[str, Any]]) -> FailedCase | None:
    """A run whose input is one of the visible tests, and whose output is not that test's answer."""
    if doc.get("verdict") != "accepted":
        return None
    for index, case in enumerate(visible.values()):
        if same_text(case.get("input"), doc.get("stdin")) and not same_text(case.get("expectedOutput"), doc["stdout"]):
            return FailedCase(
                index=case.get("index", index),
                hidden=False,
                verdict="wrong_answer",
                input=clip(case.get("input")),
                expected=clip(case.get("expectedOutput")),
                got=clip(doc.get("stdout")),
            )
    return None
