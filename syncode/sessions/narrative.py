"""The training report's words (provider `offline`): strengths, areas to improve and the summary, from
templates over the scores and their sentences; the descriptions of the weakness categories.

An LLM may later rewrite this prose (the AI interviewer issue); the scores never come from here.
"""

from __future__ import annotations

from syncode.sessions.scoring import WEAK_BELOW, WEIGHTS, Score

STRONG_FROM = 75
ORDER = list(WEIGHTS)  # a fixed order breaks ties, so the prose is as deterministic as the numbers
MAX_ITEMS = 3
LABELS = {
    "correctness": "correctness",
    "efficiency": "efficiency",
    "codeQuality": "code quality",
    "problemSolving": "problem solving",
    "communication": "communication",
}
STRENGTHS = {
    "correctness": "Correct code: the last submission passed {score}% of the tests.",
    "efficiency": "Efficient code: it kept pace on the largest tests ({score}/100).",
    "codeQuality": "Clean code by the static analysis ({score}/100).",
    "problemSolving": "A direct route to a working solution ({score}/100).",
    "communication": "You kept the conversation going ({score}/100).",
}
IMPROVEMENTS = {
    "correctness": "Test edge cases before submitting: {summary}",
    "efficiency": "Aim for a better complexity on large inputs: {summary}",
    "codeQuality": "Simplify and name things clearly: {summary}",
    "problemSolving": "Reason about the approach before coding, and test it with runs: {summary}",
    "communication": "Think aloud and explain your approach: {summary}",
}
ENDINGS = {
    "abandoned": " The room was left idle and closed.",
    "empty": " Everyone left before the end.",
    "admin": " An administrator closed the room.",
}
WEAKNESSES = {
    "edge_cases": "Some tests failed: empty, minimal, maximal or duplicate inputs are worth checking first.",
    "time_complexity": "Solutions were slow on the largest tests: look for a lower time complexity.",
    "space_complexity": "Solutions ran out of memory on the largest tests: look for a leaner representation.",
    "variable_naming": "Names such as single letters or placeholders made the code harder to follow.",
    "code_structure": "The static analysis found complex functions or recurring issues in the code.",
    "off_by_one": "Index errors at run time suggest off-by-one mistakes at boundaries.",
    "input_validation": "Run-time errors on some inputs: read and handle the input format carefully.",
    "communication": "Little was said during the session: explain your approach and trade-offs aloud.",
}


def strengths(scores: dict[str, Score]) -> list[str]:
    strong = [n for n in ORDER if scores[n].measured and scores[n].score >= STRONG_FROM]
    strong.sort(key=lambda n: -scores[n].score)
    return [STRENGTHS[n].format(score=scores[n].score) for n in strong[:MAX_ITEMS]]


def improvements(scores: dict[str, Score]) -> list[str]:
    weak = [n for n in ORDER if scores[n].score < WEAK_BELOW]
    weak.sort(key=lambda n: scores[n].score)
    return [IMPROVEMENTS[n].format(summary=scores[n].summary) for n in weak[:MAX_ITEMS]]


def summary(title: str | None, overall: int, scores: dict[str, Score], reason: str | None) -> str:
    best = max(ORDER, key=lambda n: scores[n].score)
    worst = min(ORDER, key=lambda n: scores[n].score)
    text = f"{title or 'A session without a problem'}: {overall}/100 overall. {scores['correctness'].summary}"
    if scores[best].score != scores[worst].score:
        text += f" Strongest: {LABELS[best]} ({scores[best].score}); weakest: {LABELS[worst]} ({scores[worst].score})."
    return text + ENDINGS.get(reason or "", "")
