"""The training report's numbers: pure functions from a session's evidence to five scores (0..100), each with
a sentence and the evidence behind it, the weighted overall score, and the weakness categories a report shows.

Nothing here reads the database, the clock or an LLM: the same evidence always gives the same numbers.
Rounding is half up (Python's round() rounds halves to even).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

# The one place for the dimensions' weights in the overall score (they sum to 1).
WEIGHTS = {
    "correctness": 0.35,
    "efficiency": 0.15,
    "codeQuality": 0.15,
    "problemSolving": 0.20,
    "communication": 0.15,
}
WEAK_BELOW = 70  # a measured dimension under this is a weakness (and an area to improve)
TIME_FLOOR_MS = 100  # CPU times under this are process start-up noise: they count as this
EXPECTED_MINUTES = {"easy": 15, "medium": 25, "hard": 40}  # to a first accepted submission
HINT_COST = {"easy": 10, "medium": 8, "hard": 6}
LEVEL_BONUS = {"easy": 0, "medium": 5, "hard": 10}
FREE_RUNS = 5  # runs before the first pass that cost nothing
LARGEST_FALLBACK = 3  # tests timed when a problem marks none as large: the longest inputs
MAX_EVIDENCE = 5
SHORT_NAMES_OK = frozenset("ijkmnxy_")
VAGUE_NAMES = frozenset({"foo", "bar", "baz", "tmp", "temp", "thing", "stuff", "obj", "val"})
NAMING_RULES = ("N8",)  # ruff pep8-naming; single letters are the naming check's own


def half_up(value: float) -> int:
    return math.floor(value + 0.5)


def clamp(value: float) -> int:
    return max(0, min(100, half_up(value)))


def evidence(type_: str, reference: Any, description: str) -> dict[str, str]:
    return {"type": type_, "reference": str(reference), "description": description}


@dataclass(frozen=True)
class Case:
    index: int
    hidden: bool
    verdict: str
    time_ms: int | None = None
    stderr: str | None = None  # visible cases only


@dataclass(frozen=True)
class Submission:
    id: str
    created_at: datetime
    verdict: str | None
    passed: int
    total: int
    cases: tuple[Case, ...] = ()


@dataclass(frozen=True)
class Run:
    id: str
    created_at: datetime
    verdict: str | None


@dataclass
class Score:
    score: int
    summary: str
    evidence: list[dict[str, str]] = field(default_factory=list)
    measured: bool = True  # False when there was nothing to judge (then it is no weakness either)
    tags: tuple[str, ...] = ()  # what else the evidence showed, for the weakness categories

    def view(self) -> dict[str, Any]:
        return {"score": self.score, "summary": self.summary, "evidence": self.evidence[:MAX_EVIDENCE]}


# -- correctness ------------------------------------------------------------------------------------------


def correctness(last: Submission | None) -> Score:
    """The last judged submission's passed/total, hidden tests included (by index and verdict only)."""
    if last is None:
        return Score(0, "No submission was judged, so correctness could not be shown.", measured=False)
    if last.verdict == "compilation_error":
        return Score(0, "The last submission did not compile.", [evidence("event", last.id, "compilation error")])
    score = half_up(100 * last.passed / last.total) if last.total else 0
    hidden = sum(c.hidden for c in last.cases)
    failing = [c for c in last.cases if c.verdict != "accepted"]
    items = [
        evidence("test", c.index, f"{'hidden' if c.hidden else 'visible'} test {c.index}: {c.verdict}") for c in failing
    ] or [evidence("event", last.id, f"all {last.total} tests passed")]
    summary = f"The last submission passed {last.passed} of {last.total} tests ({hidden} of them hidden)."
    return Score(score, summary, items)


# -- efficiency -------------------------------------------------------------------------------------------


def largest(cases: Sequence[dict[str, Any]]) -> list[int]:
    """Indexes of the tests timed for efficiency: those marked large, else the longest inputs."""
    marked = [i for i, c in enumerate(cases) if c.get("isLarge")]
    if marked:
        return marked
    by_size = sorted(range(len(cases)), key=lambda i: (-len(cases[i].get("input", "")), i))
    return sorted(by_size[:LARGEST_FALLBACK])


def case_speed(time_ms: int, baseline_ms: float) -> int:
    """100 up to 1.5 times the baseline, then inversely proportional (3x -> 50, 15x -> 10)."""
    ratio = max(time_ms, TIME_FLOOR_MS) / max(baseline_ms, TIME_FLOOR_MS)
    return 100 if ratio <= 1.5 else half_up(150 / ratio)


def efficiency(
    last: Submission | None, large: Sequence[int], reference_ms: dict[int, int] | None, time_limit_ms: int
) -> Score:
    """Time on the largest tests against the reference solution's on the same tests (or, with no reference in
    the language, a quarter of the time limit); a time or memory limit exceeded scores 0 for that test."""
    if last is None:
        return Score(0, "No submission was judged, so efficiency could not be measured.", measured=False)
    timed = ("accepted", "time_limit_exceeded", "memory_limit_exceeded")
    by_index = {c.index: c for c in last.cases if c.verdict in timed}
    considered = [by_index[i] for i in large if i in by_index] or sorted(by_index.values(), key=lambda c: c.index)
    if not considered:
        return Score(0, "No test ran to completion, so efficiency could not be measured.", measured=False)
    scores, items = [], []
    for case in considered:
        baseline = (reference_ms or {}).get(case.index, time_limit_ms / 4)
        if case.verdict != "accepted" or case.time_ms is None:
            scores.append(0)
            items.append(evidence("test", case.index, f"test {case.index}: {case.verdict}"))
            continue
        scores.append(case_speed(case.time_ms, baseline))
        against = "the reference solution" if reference_ms else "a quarter of the time limit"
        items.append(
            evidence("test", case.index, f"test {case.index}: {case.time_ms} ms; {against}: {baseline:.0f} ms")
        )
    over = [c for c in considered if c.verdict != "accepted"]
    tags = ("memory",) if any(c.verdict == "memory_limit_exceeded" for c in over) else ()
    return Score(half_up(sum(scores) / len(scores)), speed_sentence(considered, over, reference_ms), items, tags=tags)


def speed_sentence(considered: Sequence[Case], over: Sequence[Case], reference_ms: dict[int, int] | None) -> str:
    timed = f"{plural(len(considered), 'test')} timed"
    if over:
        return f"Of the largest tests ({timed}), {len(over)} exceeded a limit."
    slowest = max(c.time_ms or 0 for c in considered)
    if not reference_ms:
        return f"On the largest tests ({timed}) the code took {slowest} ms at most; no reference in this language."
    reference = max(reference_ms.get(c.index, 0) for c in considered)
    return f"On the largest tests ({timed}) the code took {slowest} ms at most, the reference solution {reference} ms."


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


# -- code quality -----------------------------------------------------------------------------------------

DECLARATIONS = {
    "python": [r"^\s*def\s+(\w+)", r"^\s*for\s+(\w+)\s+in\b", r"^\s*(\w+)\s*(?::[^=]+)?=[^=]"],
    "javascript": [r"\b(?:let|const|var)\s+(\w+)", r"\bfunction\s+(\w+)"],
    "go": [r"\b(\w+)\s*:=", r"\bvar\s+(\w+)", r"\bfunc\s+(\w+)"],
    "rust": [r"\blet\s+(?:mut\s+)?(\w+)", r"\bfn\s+(\w+)"],
    "c": [r"\b(?:int|long|double|float|char|bool|size_t|auto|string|String|boolean|var)\s+\**(\w+)\s*[=;,(\[]"],
}
DECLARATIONS["typescript"] = DECLARATIONS["javascript"]
DECLARATIONS["cpp"] = DECLARATIONS["java"] = DECLARATIONS["c"]


def poor_names(code: str, language: str) -> list[tuple[int, str]]:
    """(line, name) of each declared name that says nothing: single letters beyond loop and math conventions,
    placeholder words. Each name once, at its first declaration."""
    patterns = [re.compile(p) for p in DECLARATIONS.get(language, DECLARATIONS["c"])]
    seen: dict[str, int] = {}
    for number, line in enumerate(code.splitlines(), 1):
        for pattern in patterns:
            for name in pattern.findall(line):
                if name not in seen and ((len(name) == 1 and name not in SHORT_NAMES_OK) or name in VAGUE_NAMES):
                    seen[name] = number
    return sorted((line, name) for name, line in seen.items())


def finding(diagnostic: dict[str, Any]) -> dict[str, str]:
    rule = diagnostic.get("rule") or diagnostic["tool"]
    return evidence("code_line", diagnostic.get("line") or 0, f"{rule}: {diagnostic['message']}")


def code_quality(code: str | None, language: str, analysis: dict[str, Any] | None) -> Score:
    """100 less: complexity (3 per point of the most complex function over 10, at most 30), findings per line
    (errors and warnings per non-blank line x 200, lines counted as at least 10, at most 40), and naming (5 per
    poor name or naming finding, at most 20)."""
    if not code or not code.strip():
        return Score(0, "No code was written.", measured=False)
    lines = max(10, sum(1 for line in code.splitlines() if line.strip()))
    names = poor_names(code, language)
    items = [evidence("code_line", line, f"`{name}` says little about what it holds") for line, name in names]
    diagnostics = (analysis or {}).get("diagnostics", [])
    serious = [d for d in diagnostics if d.get("severity") in ("error", "warning")]
    naming = [d for d in serious if (d.get("rule") or "").startswith(NAMING_RULES)]
    findings = [d for d in serious if d not in naming]
    items += [finding(d) for d in findings]
    worst = max((f["cyclomatic"] for f in (analysis or {}).get("complexity", [])), default=0)
    penalties = (
        min(30, 3 * max(0, worst - 10)),
        min(40, half_up(200 * len(findings) / lines)),
        min(20, 5 * (len(names) + len(naming))),
    )
    if worst > 10:
        complex_fn = max((analysis or {})["complexity"], key=lambda f: f["cyclomatic"])
        line, name = complex_fn["start_line"], complex_fn["function"]
        items.insert(0, evidence("code_line", line, f"{name} has cyclomatic complexity {worst}"))
    recurring = [rule for rule, n in Counter(d.get("rule") or d["tool"] for d in findings).items() if n >= 2]
    tags = (("naming",) if names or naming else ()) + (("structure",) if worst > 10 or recurring else ())
    summary = quality_sentence(analysis is not None, len(findings), worst, len(names) + len(naming))
    return Score(clamp(100 - sum(penalties)), summary, items, tags=tags)


def quality_sentence(analysed: bool, findings: int, worst: int, names: int) -> str:
    if not analysed:
        return f"Static analysis was unavailable; {names} poorly named identifiers were found."
    return (
        f"Static analysis found {findings} issues, a highest cyclomatic complexity of {worst or 'n/a'}, "
        f"and {names} naming problems."
    )


# -- problem solving --------------------------------------------------------------------------------------


def problem_solving(
    submissions: Sequence[Submission],
    runs: Sequence[Run],
    hints: Sequence[str],
    started_at: datetime,
    difficulty: str | None,
) -> Score:
    """From 100: 2 per run beyond FREE_RUNS before the first pass (at most 20), 10 per failed submission
    before it (at most 30), up to 20 for taking longer than expected for the level (proportionally), the
    level's cost per hint (at most 30); plus a bonus by level. Never accepted: 40 x the best pass rate, +10
    when code was run, at most 40, less the hints."""
    if difficulty is None:
        return Score(0, "No problem was set in this session.", measured=False)
    hint_items = [evidence("event", h, "hint used") for h in hints]
    hint_cost = min(30, HINT_COST[difficulty] * len(hints))
    first = next((s for s in submissions if s.verdict == "accepted"), None)
    if first is None:
        return unsolved(submissions, runs, hint_cost, hint_items)
    runs_before = [r for r in runs if r.created_at < first.created_at]
    failed = [s for s in submissions if s.created_at < first.created_at]
    minutes = max(0.0, (first.created_at - started_at).total_seconds() / 60)
    expected = EXPECTED_MINUTES[difficulty]
    late = min(20, half_up(20 * (minutes - expected) / expected)) if minutes > expected else 0
    penalty = min(20, 2 * max(0, len(runs_before) - FREE_RUNS)) + min(30, 10 * len(failed)) + late + hint_cost
    items = [evidence("event", first.id, f"first accepted submission after {minutes:.0f} min")]
    items += [evidence("event", s.id, f"submission before the first pass: {s.verdict}") for s in failed]
    summary = (
        f"Accepted after {len(runs_before)} runs and {len(failed)} failed submissions, "
        f"{minutes:.0f} minutes in, with {len(hints)} hints on a {difficulty} problem."
    )
    return Score(clamp(100 - penalty + LEVEL_BONUS[difficulty]), summary, items + hint_items)


def unsolved(submissions: Sequence[Submission], runs: Sequence[Run], hint_cost: int, hints: list) -> Score:
    best = max(submissions, key=lambda s: s.passed / s.total if s.total else 0, default=None)
    fraction = best.passed / best.total if best and best.total else 0.0
    score = max(0, min(40, half_up(40 * fraction) + (10 if runs else 0)) - hint_cost)
    if best:
        summary = f"No submission passed every test; the best passed {best.passed} of {best.total}."
        items = [evidence("event", best.id, f"best submission: {best.passed}/{best.total}")]
    elif runs:
        summary, items = f"The code was run {plural(len(runs), 'time')} but never submitted.", []
    else:
        summary, items = "No code was run or submitted.", []
    items += [evidence("event", r.id, f"run: {r.verdict}") for r in runs[:2]]
    return Score(score, summary, items + hints)


# -- communication ----------------------------------------------------------------------------------------


def communication(chat: int, ai: int, ratings: Sequence[int], feedback_ids: Sequence[str] = ()) -> Score:
    """Volume: 10 per message in chat or to the AI interviewer, at most 100. With the interviewer's
    communication ratings (1..5, peer mode), the mean of the volume and (rating - 1) x 25."""
    volume = min(100, 10 * (chat + ai))
    items = [evidence("event", "chat", f"{chat} chat messages")]
    if ai:
        items.append(evidence("event", "ai", f"{ai} messages to the AI interviewer"))
    summary = f"{chat + ai} messages in the chat{' and to the AI interviewer' if ai else ''}"
    if not ratings:
        return Score(volume, summary + ".", items)
    rating = sum(ratings) / len(ratings)
    items += [evidence("event", f, "interviewer feedback") for f in feedback_ids]
    score = half_up((volume + half_up((rating - 1) * 25)) / 2)
    return Score(score, f"{summary}; the interviewer rated communication {rating:g}/5.", items)


# -- together ---------------------------------------------------------------------------------------------


def overall(scores: dict[str, Score]) -> int:
    return half_up(sum(WEIGHTS[name] * scores[name].score for name in WEIGHTS))


def trend(change: float) -> str:
    """improving / declining beyond 2 points either way, else steady."""
    return "improving" if change > 2 else "declining" if change < -2 else "steady"


def history(current: int, previous: Sequence[int]) -> dict[str, Any]:
    """This overall score against the mean of the candidate's earlier reports."""
    if not previous:
        return {"trend": "steady", "sessionsCompared": 0, "averageScore": None}
    average = half_up(sum(previous) / len(previous))
    return {"trend": trend(current - average), "sessionsCompared": len(previous), "averageScore": average}


DIMENSION_CATEGORY = {
    "correctness": "edge_cases",
    "efficiency": "time_complexity",
    "codeQuality": "code_structure",
    "problemSolving": "edge_cases",
    "communication": "communication",
}
INDEX_ERRORS = re.compile(r"index|out of (range|bounds)|IndexError|subscript", re.IGNORECASE)


def categories(scores: dict[str, Score], last: Submission | None) -> list[dict[str, Any]]:
    """The weakness categories this report shows: each measured dimension under WEAK_BELOW, recurring
    findings (naming, structure) and runtime errors (index errors: off-by-one; others: input handling)."""
    found: dict[str, dict[str, Any]] = {}

    def add(category: str, source: str, score: int | None) -> None:
        found.setdefault(category, {"category": category, "source": source, "score": score})

    for name, dim in scores.items():
        if dim.measured and dim.score < WEAK_BELOW:
            memory = name == "efficiency" and "memory" in dim.tags
            add("space_complexity" if memory else DIMENSION_CATEGORY[name], name, dim.score)
    quality = scores["codeQuality"]
    if "naming" in quality.tags:
        add("variable_naming", "codeQuality", quality.score)
    if "structure" in quality.tags:
        add("code_structure", "codeQuality", quality.score)
    for case in last.cases if last else ():
        if case.verdict == "runtime_error":
            kind = "off_by_one" if INDEX_ERRORS.search(case.stderr or "") else "input_validation"
            add("edge_cases" if case.hidden else kind, "correctness", scores["correctness"].score)
    return list(found.values())
