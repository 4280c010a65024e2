"""The engine interface: a Brief in, an Answer out. Two engines implement it: the offline engine (offline.py,
always there, deterministic) and the LLM engine (llm.py, which answers with the offline engine when the LLM
fails). The Responder puts the leak guard (guard.py) after either."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Protocol

from syncode.ai.brief import Brief
from syncode.ai.guard import LeakGuard


@dataclass(frozen=True)
class Issue:
    severity: str  # error | warning | info
    message: str
    line: int | None = None
    suggestion: str | None = None


@dataclass(frozen=True)
class Review:
    summary: str
    issues: list[Issue] = field(default_factory=list)
    time: str | None = None
    space: str | None = None
    score: int | None = None  # 0..10

    def texts(self) -> list[str]:
        return [self.summary, *(i.message for i in self.issues), *(i.suggestion or "" for i in self.issues)]


@dataclass(frozen=True)
class Answer:
    content: str
    provider: str  # llm | offline
    model: str | None = None
    review: Review | None = None
    fallback: str | None = None  # why the LLM's answer was not used (timeout, invalid output, ...)
    guarded: bool = False  # the answer was replaced because it gave the solution away


class Engine(Protocol):
    async def answer(self, brief: Brief) -> Answer: ...


class Responder:
    """Answers with the engine, then applies the leak guard: an answer whose code overlaps a reference solution
    beyond the threshold is replaced by the offline engine's hint at the brief's level (a review by the offline
    review, which never quotes a solution)."""

    def __init__(self, engine: Engine, offline: Engine, threshold: float) -> None:
        self.engine = engine
        self.offline = offline
        self.threshold = threshold

    async def answer(self, brief: Brief) -> Answer:
        answer = await self.engine.answer(brief)
        if not self._leaks(brief, answer):
            return answer
        if brief.task == "review":
            replacement = await self.offline.answer(brief)
            return replace(replacement, guarded=True, fallback="solution leak")
        hint = await self.offline.answer(replace(brief, task="hint", question=None))
        content = "I won't hand you the solution, but here is a hint.\n\n" + hint.content
        return replace(hint, content=content, guarded=True, fallback="solution leak")

    def _leaks(self, brief: Brief, answer: Answer) -> bool:
        if brief.guide is None or not brief.guide.references:
            return False
        starters = list(brief.problem.starter.values()) if brief.problem else []
        guard = LeakGuard(brief.guide.references.values(), [*starters, brief.code], self.threshold)
        return guard.leaks(answer.content, *(answer.review.texts() if answer.review else []))
