"""The offline engine: deterministic answers from what the server knows, always available (provider `offline`).

Hints climb the problem's curated ladder (subtle -> moderate -> direct) and start from what is wrong with the
code now (findings.py: a failing visible test with expected vs got, a crash, nested loops, exponential recursion,
no guard for empty input). Chat answers ask guiding questions, drawn from the guide's approach and follow-ups,
and never give the solution. Proactive turns greet, react to runs and submissions, nudge and wrap up. Reviews
are review.py's.
"""

from __future__ import annotations

import re

from syncode.ai.brief import Brief, level_index
from syncode.ai.engine import Answer
from syncode.ai.findings import Finding, allows_tiny_input, fence, findings, largest_n
from syncode.ai.review import follow_up, offline_review, render_review

INTENTS = [
    ("solution", r"\b(solution|solve it|write (the|it|my)|give me|full code|the code for|answer)\b"),
    ("complexity", r"complexit|big.?o\b|\bfaster\b|too slow|optimi[sz]|efficien|time limit|\bspeed"),
    ("edge", r"\bedge|corner|empty|what (should|to) test|which tests?\b"),
    ("bug", r"\bbugs?\b|wrong|fail|error|crash|doesn'?t work|not working|exception"),
    ("stuck", r"stuck|\bhints?\b|don'?t know|no idea|\bhelp\b|lost|confus|where (do|to) (i )?start"),
    ("clarify", r"\binput|output|constraint|assume|can (the|i|we)|is it|are there|negative|duplicate|sorted|\brange"),
    ("done", r"\bdone\b|finished|works now|passed|accepted"),
]
SERIOUS = ("error", "warning")


class OfflineEngine:
    name = "offline"

    async def answer(self, brief: Brief) -> Answer:
        return self.answer_now(brief)

    def answer_now(self, brief: Brief) -> Answer:
        """The answer, computed at once (no I/O): the benchmark and the LLM engine's fallback call this."""
        if brief.task == "review":
            review = offline_review(brief)
            return Answer(render_review(review), "offline", review=review)
        writers = {"hint": hint, "chat": chat, "proactive": proactive}
        return Answer(writers.get(brief.task, chat)(brief), "offline")


# -- hints ------------------------------------------------------------------------------------------------


def ladder_hint(brief: Brief, level: int) -> str | None:
    """The problem's curated hint for this level (a ladder of any length spread over the three levels); past
    the top, the guide's common mistakes one after another."""
    ladder = brief.problem.hints if brief.problem else []
    if not ladder:
        return brief.guide.approach if brief.guide and level == 2 and brief.guide.approach else None
    extra = brief.hints_given - 2
    mistakes = brief.guide.mistakes if brief.guide else []
    if level == 2 and extra > 0 and mistakes:
        return f"{ladder[-1]}\n\nA common trap: {mistakes[(extra - 1) % len(mistakes)]}"
    return ladder[round(level * (len(ladder) - 1) / 2)]


def top_finding(brief: Brief) -> Finding | None:
    found = findings(brief)
    serious = [f for f in found if f.severity in SERIOUS]
    return serious[0] if serious else next((f for f in found if f.kind == "unfinished"), None)


def hint(brief: Brief) -> str:
    if brief.problem is None:
        return "Pick a problem for the room first; then ask again and I will point you in a direction."
    if brief.solved:
        return solved_follow_up(brief)
    level = level_index(brief.level)
    top = top_finding(brief)
    parts = []
    if top:
        parts.append(top.question if level == 0 else f"{top.message}\n\n{top.suggestion}")
    ladder = ladder_hint(brief, level)
    if ladder and not (top and top.severity == "error" and level == 0):
        parts.append(ladder if level else f"A question to think about: {ladder}")
    return "\n\n".join(parts) or "Start from the brute force: what would you compute for every possible answer?"


def solved_follow_up(brief: Brief) -> str:
    job = brief.last_submission
    passed = f"All {job.total} tests pass" if job and job.total else "Your solution is accepted"
    return f"{passed}. {complexity_question(brief)}\n\n{follow_up(brief)}"


def complexity_question(brief: Brief) -> str:
    facts = brief.facts
    return (
        f"What are its time and space complexity? (Its loop structure suggests {facts.time()} time and "
        f"{facts.space()} extra space: can you justify that, or do better?)"
    )


# -- chat -------------------------------------------------------------------------------------------------


def intent(text: str | None) -> str:
    lowered = (text or "").lower()
    return next((name for name, pattern in INTENTS if re.search(pattern, lowered)), "other")


def chat(brief: Brief) -> str:
    if brief.problem is None:
        return "Let's pick a problem first. Once it is chosen, tell me how you would approach it."
    answers = {
        "solution": _no_solution,
        "complexity": _complexity_talk,
        "edge": _edge_cases,
        "bug": _bug_talk,
        "stuck": _stuck,
        "clarify": _clarify,
        "done": _done,
    }
    return answers.get(intent(brief.question), _by_phase)(brief)


def _no_solution(brief: Brief) -> str:
    return "I won't write the solution for you: finding it is the exercise. " + _stuck(brief)


def _stuck(brief: Brief) -> str:
    top = top_finding(brief)
    if top and top.severity == "error":
        return top.question
    ladder = ladder_hint(brief, 0)
    return f"Let's take it one step at a time. {ladder}" if ladder else _by_phase(brief)


def _complexity_talk(brief: Brief) -> str:
    facts = brief.facts
    text = f"By its loop structure, your code runs in {facts.time()} time with {facts.space()} extra space."
    if facts.nested_lines:
        text += f" The loops nest at lines {', '.join(map(str, facts.nested_lines[:4]))}."
    top = next((f for f in findings(brief) if f.kind in ("complexity", "recursion", "slow")), None)
    if top:
        return f"{text}\n\n{top.question}"
    return f"{text} Which part dominates for the largest input, and why?"


def edge_cases(brief: Brief) -> list[str]:
    constraints = (brief.problem.constraints if brief.problem else "") or ""
    cases = []
    if allows_tiny_input(brief):
        cases.append("the smallest input the constraints allow (empty, or a single element)")
    if re.search(r"-\s*10|negative", constraints):
        cases.append("negative values")
    cases.append("duplicates, or all values equal")
    n = largest_n(constraints)
    cases.append(f"the largest input (n = {n:,})" if n else "the largest input allowed")
    return cases


def _edge_cases(brief: Brief) -> str:
    listed = "\n".join(f"- {case}" for case in edge_cases(brief))
    return f"Good instinct. Which of these does your code handle, and what should it print for each?\n{listed}"


def _bug_talk(brief: Brief) -> str:
    top = top_finding(brief)
    if top and top.severity == "error":
        return top.question
    return (
        "Run your code on the examples one by one: which one goes wrong first? Then trace that input by hand "
        "and compare each step with what you expect."
    )


def _clarify(brief: Brief) -> str:
    problem = brief.problem
    assert problem is not None
    text = "Good question to ask before coding. Here is what the statement guarantees:"
    if problem.constraints:
        text += f"\n\n{problem.constraints.strip()}"
    if problem.examples:
        first = problem.examples[0]
        text += f"\n\nFor instance, the input\n{fence(first.get('input'))}\nmust print\n{fence(first.get('output'))}"
    return text + "\n\nAnything the statement leaves open is yours to decide: say what you assume, and why."


def _done(brief: Brief) -> str:
    if brief.solved:
        return solved_follow_up(brief)
    top = top_finding(brief)
    if top and top.severity == "error":
        return f"Not quite yet: {top.message}\n\n{top.question}"
    return "Submit it and let's see what the tests say. Meanwhile: " + complexity_question(brief)


def _by_phase(brief: Brief) -> str:
    if brief.phase in ("waiting", "warmup"):
        return (
            "Before you code: what is the most direct approach you can think of, even a slow one, and what is its "
            "complexity? Then, what work does it repeat that you could avoid?"
        )
    if brief.phase == "wrapup" or brief.solved:
        return f"{complexity_question(brief)}\n\n{follow_up(brief)}"
    top = top_finding(brief)
    if top:
        return top.question
    return "Talk me through your current approach: what does each loop do, and what do you know after each step?"


# -- proactive turns --------------------------------------------------------------------------------------


def proactive(brief: Brief) -> str:
    writers = {
        "greeting": _greeting,
        "failing_run": _failure,
        "failing_submission": _failure,
        "stuck_runs": _stuck_runs,
        "accepted": _accepted,
        "time_up": _time_up,
        "wrapup": _wrapup,
        "idle": _idle,
    }
    return writers.get(brief.trigger or "", _by_phase)(brief)


def _greeting(brief: Brief) -> str:
    hello = f"Hi {brief.candidate}!" if brief.candidate else "Hi!"
    if brief.problem is None:
        return f"{hello} I'm your interviewer today. Pick a problem for the room, then tell me when you're ready."
    problem = brief.problem
    if allows_tiny_input(brief):
        question = "what should your program print when the input is as small as the constraints allow?"
    else:
        question = "can you restate the task in your own words and walk me through the first example?"
    return (
        f"{hello} I'm your interviewer today. We'll work on **{problem.title}** ({problem.difficulty}). Take a "
        f"minute to read the statement. Before you code, a clarifying question: {question} When you're ready, "
        "move on to coding and think aloud as you go."
    )


def _failure(brief: Brief) -> str:
    top = top_finding(brief)
    if top and top.severity == "error":
        return top.question
    return "That didn't pass. What did you expect it to print, and where does the output first differ?"


def _stuck_runs(brief: Brief) -> str:
    top = top_finding(brief)
    question = top.question if top else "What did you expect, and where does the output first differ?"
    ladder = ladder_hint(brief, 0)
    step_back = f"\n\nLet's step back for a moment. {ladder}" if ladder else ""
    return f"Several runs in a row haven't worked. {question}{step_back}"


def _accepted(brief: Brief) -> str:
    job = brief.last_submission
    passed = f"All {job.total} tests pass" if job and job.total else "Accepted"
    return f"{passed}: well done. Let's wrap up. {complexity_question(brief)}\n\n{follow_up(brief)}"


def _time_up(brief: Brief) -> str:
    return (
        "Time is up for coding. Let's wrap up: walk me through your approach and its time and space complexity. "
        f"What would you do next with more time?\n\n{follow_up(brief)}"
    )


def _wrapup(brief: Brief) -> str:
    return (
        f"Let's wrap up. {complexity_question(brief)} Is there an alternative approach, and what would it trade "
        f"off?\n\n{follow_up(brief)}"
    )


def _idle(brief: Brief) -> str:
    top = top_finding(brief)
    if top:
        return f"You've been quiet for a while. Where are you stuck? {top.question}"
    ladder = ladder_hint(brief, 0)
    nudge = f" Here's something to think about: {ladder}" if ladder else ""
    return f"You've been quiet for a while. Where are you stuck? Tell me what you are trying.{nudge}"
