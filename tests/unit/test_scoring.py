"""The training report's pure scoring (syncode/sessions/scoring.py) and prose (narrative.py): each rule on
hand-computed cases, the weights, rounding, the weakness categories."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from syncode.sessions import narrative, scoring
from syncode.sessions.scoring import Case, Run, Score, Submission

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def submission(passed: int, total: int, minute: float = 1, verdict: str | None = None, cases=(), id_="s") -> Submission:
    verdict = verdict or ("accepted" if passed == total else "wrong_answer")
    return Submission(id_, at(minute), verdict, passed, total, tuple(cases))


def cases(*verdicts: str, times: tuple[int | None, ...] = (), hidden_from: int = 99) -> list[Case]:
    return [Case(i, i >= hidden_from, v, times[i] if i < len(times) else 10) for i, v in enumerate(verdicts)]


def test_weights_sum_to_one_and_name_every_dimension() -> None:
    assert sum(scoring.WEIGHTS.values()) == pytest.approx(1)
    assert set(scoring.WEIGHTS) == {"correctness", "efficiency", "codeQuality", "problemSolving", "communication"}


@pytest.mark.parametrize(("value", "expected"), [(52.5, 53), (52.49, 52), (0.5, 1), (99.5, 100), (0, 0)])
def test_half_up_rounding(value: float, expected: int) -> None:
    assert scoring.half_up(value) == expected


def test_correctness_counts_hidden_tests_without_their_data() -> None:
    last = submission(3, 4, cases=cases("accepted", "accepted", "accepted", "wrong_answer", hidden_from=2))
    score = scoring.correctness(last)
    assert score.score == 75 and score.measured
    assert score.summary == "The last submission passed 3 of 4 tests (2 of them hidden)."
    assert score.evidence == [{"type": "test", "reference": "3", "description": "hidden test 3: wrong_answer"}]
    assert scoring.correctness(submission(2, 3)).score == 67  # 66.67 rounds up
    assert scoring.correctness(submission(0, 3, verdict="compilation_error")).score == 0
    assert scoring.correctness(None).measured is False and scoring.correctness(None).score == 0


def test_largest_tests_are_the_marked_ones_else_the_longest_inputs() -> None:
    marked = [{"input": "1"}, {"input": "22", "isLarge": True}, {"input": "3", "isLarge": True}]
    assert scoring.largest(marked) == [1, 2]
    plain = [{"input": "x" * n} for n in (5, 1, 9, 9, 2)]
    assert scoring.largest(plain) == [0, 2, 3]  # ties by index


@pytest.mark.parametrize(
    ("time_ms", "baseline", "expected"),
    [(30, 20, 100), (150, 100, 100), (300, 100, 50), (1500, 100, 10), (450, 200, 67), (90, 10, 100)],
)
def test_case_speed(time_ms: int, baseline: float, expected: int) -> None:
    assert scoring.case_speed(time_ms, baseline) == expected  # times under 100 ms count as 100 ms


def test_efficiency_against_the_reference_and_limits() -> None:
    last = submission(
        3, 4, verdict="time_limit_exceeded", cases=cases("accepted", "accepted", "accepted", "time_limit_exceeded")
    )
    last = Submission("s", at(1), last.verdict, 3, 4, (*last.cases[:2], Case(2, True, "accepted", 600), last.cases[3]))
    score = scoring.efficiency(last, [2, 3], {2: 200, 3: 250}, 2000)
    assert score.score == 25  # test 2: 600/200 = 3x -> 50; test 3: time limit -> 0; mean 25
    assert score.summary == "Of the largest tests (2 tests timed), 1 exceeded a limit."
    assert [e["reference"] for e in score.evidence] == ["2", "3"]
    # Without a reference in the language: a quarter of the limit (2000 / 4 = 500 ms) is the yardstick.
    assert scoring.efficiency(last, [2], None, 2000).score == 100  # 600 / 500 = 1.2x
    assert scoring.efficiency(last, [2], None, 800).score == 50  # 800 / 4 = 200 ms: 3x
    timed = scoring.efficiency(last, [0, 2], {0: 40, 2: 120}, 800)
    assert (
        timed.summary
        == "On the largest tests (2 tests timed) the code took 600 ms at most, the reference solution 120 ms."
    )


def test_efficiency_unmeasured_and_fallbacks() -> None:
    assert scoring.efficiency(None, [0], None, 1000).measured is False
    wrong = submission(0, 2, cases=cases("wrong_answer", "wrong_answer"))
    assert scoring.efficiency(wrong, [0, 1], None, 1000).measured is False
    # No large test ran: the cases that did are timed instead.
    mixed = submission(1, 2, cases=cases("accepted", "wrong_answer"))
    assert scoring.efficiency(mixed, [1], {0: 50}, 1000).score == 100
    memory = submission(0, 1, verdict="memory_limit_exceeded", cases=cases("memory_limit_exceeded"))
    assert scoring.efficiency(memory, [0], None, 1000).tags == ("memory",)


def test_poor_names_per_language() -> None:
    python = "def f(q):\n    for i in range(q):\n        tmp = i\n    l = 3\n    count = 1\n"
    assert scoring.poor_names(python, "python") == [(1, "f"), (3, "tmp"), (4, "l")]
    js = "const a = 1;\nlet total = 0;\nfunction g() {}\nfor (let i = 0; i < 3; i++) {}\n"
    assert scoring.poor_names(js, "javascript") == [(1, "a"), (3, "g")]
    cpp = "int main() {\n  int n, q = 0;\n  long long best = 0;\n  string s;\n}\n"
    assert scoring.poor_names(cpp, "cpp") == [(4, "s")]


def test_code_quality_from_the_analysis() -> None:
    code = "\n".join(f"value_{i} = {i}" for i in range(20)) + "\n"
    analysis = {
        "diagnostics": [
            {"tool": "ruff", "rule": "F841", "severity": "error", "message": "unused", "line": 3},
            {"tool": "ruff", "rule": "F841", "severity": "error", "message": "unused", "line": 4},
            {"tool": "ruff", "rule": "N802", "severity": "warning", "message": "naming", "line": 5},
            {"tool": "gcc", "rule": None, "severity": "info", "message": "a note", "line": 6},
        ],
        "complexity": [{"function": "solve", "start_line": 2, "end_line": 9, "cyclomatic": 14}],
    }
    score = scoring.code_quality(code, "python", analysis)
    # complexity 3 x (14 - 10) = 12; findings 2 per 20 lines x 200 = 20; naming 1 x 5 = 5 -> 100 - 37
    assert score.score == 63
    assert score.evidence[0] == {
        "type": "code_line",
        "reference": "2",
        "description": "solve has cyclomatic complexity 14",
    }
    assert set(score.tags) == {"naming", "structure"}  # F841 recurs
    assert scoring.code_quality("x = 1\n", "python", {"diagnostics": [], "complexity": []}).score == 100
    assert scoring.code_quality("", "python", None).measured is False
    unavailable = scoring.code_quality("q = 1\n", "python", None)
    assert unavailable.score == 95 and "unavailable" in unavailable.summary


def test_problem_solving_after_a_pass() -> None:
    wrong, right = submission(1, 4, minute=10, id_="w"), submission(4, 4, minute=20, id_="r")
    runs = [Run(f"r{i}", at(i), "accepted") for i in range(8)]
    score = scoring.problem_solving([wrong, right], runs, ["h1"], T0, "easy")
    # runs before: 8 -> 2 x (8 - 5) = 6; one failed submission: 10; 20 min against 15 expected: 20 x 5/15 = 6.67
    # -> 7; one hint on easy: 10; no bonus -> 100 - 33
    assert score.score == 67
    assert score.evidence[0]["reference"] == "r" and score.evidence[-1] == {
        "type": "event",
        "reference": "h1",
        "description": "hint used",
    }
    assert scoring.problem_solving([right], [], [], T0, "hard").score == 100  # 100 + 10, capped
    assert scoring.problem_solving([submission(4, 4, minute=80)], [], [], T0, "medium").score == 85  # late: 20; +5


def test_problem_solving_without_a_pass() -> None:
    assert scoring.problem_solving([submission(1, 4)], [], [], T0, "easy").score == 10
    assert scoring.problem_solving([submission(3, 4)], [Run("r", at(0), "accepted")], [], T0, "easy").score == 40
    only_runs = scoring.problem_solving([], [Run("r", at(0), "accepted")], [], T0, "medium")
    assert only_runs.score == 10 and only_runs.summary == "The code was run 1 time but never submitted."
    assert scoring.problem_solving([], [], ["h"], T0, "easy").score == 0
    assert scoring.problem_solving([], [], [], T0, None).measured is False


def test_communication_volume_and_ratings() -> None:
    assert scoring.communication(3, 0, []).score == 30
    assert scoring.communication(6, 7, []).score == 100
    rated = scoring.communication(3, 0, [4], ["f1"])
    assert rated.score == 53  # (30 + (4 - 1) x 25) / 2 = 52.5
    assert rated.summary == "3 messages in the chat; the interviewer rated communication 4/5."
    assert scoring.communication(0, 2, []).summary == "2 messages in the chat and to the AI interviewer."


def test_overall_history_and_trend() -> None:
    scores = {name: Score(s, "") for name, s in zip(scoring.WEIGHTS, (100, 100, 90, 90, 53), strict=True)}
    assert scoring.overall(scores) == 89  # 35 + 15 + 13.5 + 18 + 7.95 = 89.45
    assert scoring.history(80, []) == {"trend": "steady", "sessionsCompared": 0, "averageScore": None}
    assert scoring.history(80, [70, 75]) == {"trend": "improving", "sessionsCompared": 2, "averageScore": 73}
    assert scoring.history(70, [72, 71]) == {"trend": "steady", "sessionsCompared": 2, "averageScore": 72}
    assert [scoring.trend(d) for d in (3, 2, -2, -2.5)] == ["improving", "steady", "steady", "declining"]


def test_categories() -> None:
    scores = {
        "correctness": Score(50, ""),
        "efficiency": Score(40, "", tags=("memory",)),
        "codeQuality": Score(80, "", tags=("naming",)),
        "problemSolving": Score(0, "", measured=False),
        "communication": Score(20, ""),
    }
    last = submission(
        1,
        3,
        cases=[
            Case(0, False, "accepted"),
            Case(1, False, "runtime_error", stderr="IndexError: list index out of range"),
            Case(2, True, "runtime_error"),
        ],
    )
    found = {c["category"]: c for c in scoring.categories(scores, last)}
    assert list(found) == ["edge_cases", "space_complexity", "communication", "variable_naming", "off_by_one"]
    assert found["edge_cases"] == {"category": "edge_cases", "source": "correctness", "score": 50}
    visible_value_error = submission(0, 1, cases=[Case(0, False, "runtime_error", stderr="ValueError: bad int")])
    assert "input_validation" in {c["category"] for c in scoring.categories(scores, visible_value_error)}


def test_prose_templates() -> None:
    scores = {
        name: Score(s, f"{name} sentence.") for name, s in zip(scoring.WEIGHTS, (100, 80, 60, 90, 30), strict=True)
    }
    assert narrative.strengths(scores) == [
        "Correct code: the last submission passed 100% of the tests.",
        "A direct route to a working solution (90/100).",
        "Efficient code: it kept pace on the largest tests (80/100).",
    ]
    assert narrative.improvements(scores) == [
        "Think aloud and explain your approach: communication sentence.",
        "Simplify and name things clearly: codeQuality sentence.",
    ]
    text = narrative.summary("Two Sum", 74, scores, "abandoned")
    assert text == (
        "Two Sum: 74/100 overall. correctness sentence. Strongest: correctness (100); weakest: communication (30)."
        " The room was left idle and closed."
    )
