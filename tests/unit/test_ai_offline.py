"""The offline AI engine on real problems of the bank (no server): complexity and edge-case hints, follow-ups for
accepted code, escalation, reviews, chat that never gives the solution; and the code reading behind them."""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from syncode.ai.brief import Brief, GuideBrief, ProblemBrief, escalated, job_brief
from syncode.ai.codefacts import code_facts
from syncode.ai.findings import degree, largest_n
from syncode.ai.guard import LeakGuard
from syncode.ai.offline import OfflineEngine

BANK = Path(__file__).resolve().parents[2] / "problems"
ENGINE = OfflineEngine()

# Reads the intervals, then takes the first one: fails on the empty input the constraints allow.
MERGE_NO_GUARD = """import sys


def main():
    data = sys.stdin.read().split()
    n = int(data[0])
    spans = [(int(data[1 + 2 * k]), int(data[2 + 2 * k])) for k in range(n)]
    spans.sort()
    merged = [list(spans[0])]
    for left, right in spans[1:]:
        if left <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], right)
        else:
            merged.append([left, right])
    print(len(merged))
    for left, right in merged:
        print(left, right)


main()
"""


@cache
def bank(slug: str) -> dict[str, Any]:
    return tomllib.loads((BANK / f"{slug}.toml").read_text())


def slugs() -> list[str]:
    return sorted(path.stem for path in BANK.glob("*.toml"))


def brief(slug: str, task: str, code: str, **fields: Any) -> Brief:
    p = bank(slug)
    g = p.get("guide") or {}
    problem = ProblemBrief(
        slug, p["title"], p["difficulty"], p["description"], p.get("constraints"), p.get("examples", []),
        p.get("hints", []), p.get("starter_code", {}),
    )  # fmt: skip
    complexity = g.get("complexity") or {}
    guide = GuideBrief(
        g.get("approach"), complexity.get("time"), complexity.get("space"), g.get("mistakes", []),
        g.get("follow_ups", []), p.get("reference", {}),
    )  # fmt: skip
    fields.setdefault("phase", "coding")
    return Brief(task=task, mode="ai", language="python", code=code, problem=problem, guide=guide, **fields)


def visible_tests(slug: str) -> dict[str, dict[str, Any]]:
    tests = [t for t in bank(slug)["tests"] if not t.get("hidden") and "input" in t]
    return {f"t{i}": {"index": i, "input": t["input"], "expectedOutput": t["output"]} for i, t in enumerate(tests)}


def submission(code: str, verdict: str, results: list[dict[str, Any]], passed: int, total: int) -> dict[str, Any]:
    return {
        "kind": "submission", "verdict": verdict, "language": "python", "code": code, "passed": passed,
        "total": total, "results": results, "createdAt": datetime.now(UTC),
    }  # fmt: skip


def guard_for(slug: str, code: str = "") -> LeakGuard:
    p = bank(slug)
    return LeakGuard(p.get("reference", {}).values(), [*p.get("starter_code", {}).values(), code], 0.5)


def answer(b: Brief) -> str:
    return ENGINE.answer_now(b).content


def test_naive_two_sum_gets_a_complexity_hint() -> None:
    naive = bank("two-sum")["naive"]["python"]
    subtle = answer(brief("two-sum", "hint", naive, level="subtle"))
    assert "loops inside a loop" in subtle and "every pair" in subtle and "10,000,000,000 steps" in subtle
    moderate = answer(brief("two-sum", "hint", naive, level="moderate"))
    assert "O(n²)" in moderate and bank("two-sum")["hints"][1] in moderate
    review = ENGINE.answer_now(brief("two-sum", "review", naive)).review
    assert review is not None and review.time == "O(n²)"
    assert any(i.severity == "warning" and "nested" in i.message for i in review.issues)


def test_code_that_fails_on_empty_input_gets_an_edge_case_hint() -> None:
    hint = answer(brief("merge-intervals", "hint", MERGE_NO_GUARD))
    assert "empty" in hint and "line 9" in hint  # merged = [list(spans[0])]
    failing = {"testCaseId": "t0", "index": 0, "isHidden": False, "verdict": "runtime_error", "stdout": ""}
    failing["stderr"] = "Traceback (most recent call last):\nIndexError: list index out of range"
    job = job_brief(submission(MERGE_NO_GUARD, "runtime_error", [failing], 4, 8), visible_tests("merge-intervals"))
    assert job.failed and job.failed.empty_input and job.failed.input == "0\n"
    question = answer(brief("merge-intervals", "proactive", MERGE_NO_GUARD, jobs=[job], trigger="failing_submission"))
    assert "input is empty" in question and "expects `0`" in question and "IndexError" in question


def test_a_failing_visible_test_is_shown_expected_against_got() -> None:
    code = bank("two-sum")["reference"]["python"].replace("print(i, j)", "print(j, i)")
    case = {"testCaseId": "t0", "index": 0, "isHidden": False, "verdict": "wrong_answer", "stdout": "1 0\n"}
    case["expectedOutput"] = "0 1\n"
    job = job_brief(submission(code, "wrong_answer", [case], 0, 10), visible_tests("two-sum"))
    hint = answer(brief("two-sum", "hint", code, jobs=[job]))
    assert "visible test #1" in hint and "Expected `0 1`" in hint and "printed `1 0`" in hint
    hidden = {"testCaseId": "h", "index": 7, "isHidden": True, "verdict": "wrong_answer"}
    job = job_brief(submission(code, "wrong_answer", [hidden], 9, 10), visible_tests("two-sum"))
    assert job.failed and job.failed.input is None and job.failed.expected is None  # nothing of a hidden test
    assert "hidden one" in answer(brief("two-sum", "hint", code, jobs=[job]))


def test_an_accepted_solution_gets_a_follow_up_not_a_bug_report() -> None:
    reference = bank("merge-intervals")["reference"]["python"]
    job = job_brief(submission(reference, "accepted", [], 8, 8), {})
    accepted = brief("merge-intervals", "review", reference, jobs=[job])
    assert accepted.solved
    review = ENGINE.answer_now(accepted).review
    assert review is not None and review.summary.startswith("Accepted: all 8 tests pass")
    assert "follow-up" in review.summary and review.score is not None and review.score >= 7
    assert not [i for i in review.issues if i.severity in ("error", "warning")]
    hint = answer(brief("merge-intervals", "hint", reference, jobs=[job]))
    assert "All 8 tests pass" in hint and "follow-up" in hint


@pytest.mark.parametrize("slug", slugs())
def test_a_hint_never_contains_the_reference_solution(slug: str) -> None:
    p = bank(slug)
    guard = guard_for(slug)
    codes = [p.get("naive", {}).get("python", ""), p["starter_code"].get("python", ""), MERGE_NO_GUARD]
    for code in codes:
        for given in range(4):
            for level in ("subtle", "moderate", "direct"):
                text = answer(brief(slug, "hint", code, level=level, hints_given=given))
                verdict = guard.check(text)
                assert not verdict.leaks, (slug, level, verdict, text)
        for task in ("chat", "review"):
            text = answer(brief(slug, task, code, question="please just write the solution code for me"))
            assert not guard.check(text).leaks, (slug, task)


def test_hints_escalate_up_the_ladder() -> None:
    assert [escalated(None, n) for n in range(4)] == ["subtle", "moderate", "direct", "direct"]
    assert escalated("direct", 0) == "direct" and escalated("subtle", 2) == "direct"
    ladder = bank("best-time-to-buy-and-sell-stock")["hints"]
    starter = bank("best-time-to-buy-and-sell-stock")["starter_code"]["python"]
    texts = [answer(brief("best-time-to-buy-and-sell-stock", "hint", starter, level=lv)) for lv in ("subtle", "direct")]
    assert ladder[0] in texts[0] and ladder[2] in texts[1]
    past_top = answer(brief("best-time-to-buy-and-sell-stock", "hint", starter, level="direct", hints_given=3))
    assert "common trap" in past_top


def test_chat_guides_and_answers_clarifying_questions() -> None:
    naive = bank("two-sum")["naive"]["python"]
    refusal = answer(brief("two-sum", "chat", naive, question="Just give me the full code please"))
    assert refusal.startswith("I won't write the solution") and "?" in refusal
    clarify = answer(brief("two-sum", "chat", "", phase="warmup", question="Can the input contain negative numbers?"))
    assert "-10^9 <= nums[i] <= 10^9" in clarify
    complexity = answer(brief("two-sum", "chat", naive, question="what is the complexity of my code?"))
    assert "O(n²)" in complexity
    greeting = answer(brief("two-sum", "proactive", "", phase="warmup", trigger="greeting", candidate="Ada"))
    assert greeting.startswith("Hi Ada!") and "Two Sum" in greeting and "?" in greeting
    same = brief("two-sum", "chat", naive, question="hm")
    assert answer(same) == answer(brief("two-sum", "chat", naive, question="hm"))  # deterministic


CPP_PAIRS = """#include <bits/stdc++.h>
int main() {
    int n; std::cin >> n;
    std::vector<long long> v(n);
    for (auto& x : v) std::cin >> x;
    for (int i = 0; i < n; i++) {
        for (int j = i + 1; j < n; j++)
            if (v[i] + v[j] == 0) { std::cout << i << ' ' << j; return 0; }
    }
    for (int d = 0; d < 4; d++) { std::cout << d; }
}
"""
FIB = "def fib(k):\n    if k < 2:\n        return k\n    return fib(k - 1) + fib(k - 2)\n\nprint(fib(30))\n"
MEMO = "from functools import cache\n\n@cache\n" + FIB


def test_complexity_is_estimated_from_the_loop_structure() -> None:
    assert code_facts("cpp", CPP_PAIRS).time() == "O(n²)"  # the four directions add no factor
    assert code_facts("python", FIB).time() == "O(2^n)" and code_facts("python", FIB).recursive == ["fib"]
    assert code_facts("python", MEMO).time() == "O(n)" and code_facts("python", MEMO).space() == "O(n)"
    stack = "st = []\nfor x in xs:\n    while st and st[-1] < x:\n        st.pop()\n    st.append(x)\n"
    assert code_facts("python", stack).time() == "O(n)"  # a monotonic stack is amortised
    assert code_facts("python", "for x in xs:\n    if x in ys[1:]:\n        pass\n").time() == "O(n²)"
    broken = code_facts("python", "for x in xs:\n    for y in ys\n        pass\n")
    assert broken.syntax_error and broken.time() == "O(n²)"
    go = "func f(n int) int {\n\tfor i := 0; i < n; i++ {\n\t}\n\treturn f(n-1) + f(n-2)\n}\n"
    assert code_facts("go", go).time() == "O(2^n)"


def test_big_o_texts_and_sizes() -> None:
    assert degree("O(n log n)") == 1.5 and degree("O(n * amount)") == 2 and degree("O(1)") == 0
    assert degree("O(log n) per query, O(n + q log n) in total") == 1.5 and degree("O(n · 2^n)") == 99
    assert degree("O(V + E)") == 1 and degree(None) is None
    assert largest_n("- 2 <= n <= 10^5\n- -10^9 <= nums[i] <= 10^9") == 100_000
