"""The pairing rules, as pure functions: who may be paired with whom, who is served first, in which roles and
language, and which problem they get. No I/O; the engine feeds them the queue and stores what they decide.

Preferences are sets where empty means any. Two entries are compatible when, for languages, difficulties and
topics, their sets overlap (or one side is any), their roles complement (one can interview while the other is the
candidate), and, when both have an average report score, the scores are within the window: `gap` plus `per_sec`
for every second the longer-waiting of the two has waited. Serving is oldest first: the longest-waiting entry is
paired with the longest-waiting entry compatible with it.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from config import SUPPORTED_LANGUAGES
from syncode.enums import Role

DIFFICULTIES = ("easy", "medium", "hard")
PAIRED_ROLES = (Role.interviewer.value, Role.candidate.value)
DEFAULT_LANGUAGE = "python"
INTERVIEWER, CANDIDATE = 1, 2  # role bits


def _mask(chosen: Iterable[str], universe: Sequence[str]) -> int:
    """A bit per value of `universe`; nothing chosen means any (every bit)."""
    bits = sum(1 << universe.index(value) for value in set(chosen) if value in universe)
    return bits or (1 << len(universe)) - 1


@dataclass(frozen=True)
class Preferences:
    """What one user asked for; each tuple keeps the user's order, empty means any."""

    languages: tuple[str, ...] = ()
    difficulties: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()

    @classmethod
    def of(cls, stored: dict[str, Any]) -> Preferences:
        return cls(*(tuple(stored.get(name) or ()) for name in ("languages", "difficulties", "topics", "roles")))

    def stored(self) -> dict[str, list[str]]:
        return {
            "languages": [*self.languages],
            "difficulties": [*self.difficulties],
            "topics": [*self.topics],
            "roles": [*self.roles],
        }


@dataclass(frozen=True)
class Seeker:
    """A searching queue entry as pairing sees it. `waiting_since` is in seconds (epoch); `rev` names the version
    of the entry the decision was made on, so a claim fails if the user re-entered meanwhile."""

    user_id: str
    waiting_since: float
    prefs: Preferences
    score: float | None = None
    rev: str = ""
    solved: frozenset[str] = frozenset()  # problems the user has solved (none can be solved while searching)
    languages: int = field(init=False)
    difficulties: int = field(init=False)
    roles: int = field(init=False)
    topics: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        set_ = object.__setattr__  # frozen: the masks are computed once, here
        set_(self, "languages", _mask(self.prefs.languages, SUPPORTED_LANGUAGES))
        set_(self, "difficulties", _mask(self.prefs.difficulties, DIFFICULTIES))
        set_(self, "roles", _mask(self.prefs.roles, PAIRED_ROLES))
        set_(self, "topics", frozenset(self.prefs.topics))


@dataclass(frozen=True)
class ScoreWindow:
    """How far apart two average scores may be at `now` (seconds, epoch)."""

    gap: float
    per_sec: float
    now: float

    def allows(self, a: Seeker, b: Seeker) -> bool:
        if a.score is None or b.score is None:  # no reports yet: unknown, pairs with anyone
            return True
        waited = max(0.0, self.now - min(a.waiting_since, b.waiting_since))
        return abs(a.score - b.score) <= self.gap + self.per_sec * waited


def roles_complement(a: int, b: int) -> bool:
    return bool((a & INTERVIEWER and b & CANDIDATE) or (a & CANDIDATE and b & INTERVIEWER))


def topics_agree(a: frozenset[str], b: frozenset[str]) -> bool:
    return not a or not b or not a.isdisjoint(b)


def compatible(a: Seeker, b: Seeker, window: ScoreWindow) -> bool:
    return bool(
        a.user_id != b.user_id
        and a.languages & b.languages
        and a.difficulties & b.difficulties
        and roles_complement(a.roles, b.roles)
        and topics_agree(a.topics, b.topics)
        and window.allows(a, b)
    )


def pair_up(seekers: Iterable[Seeker], window: ScoreWindow) -> list[tuple[Seeker, Seeker]]:
    """Oldest first, each unpaired seeker with the longest-waiting seeker compatible with it (the older one
    first in each pair). Equal waits are served in user-id order, so the result does not depend on input order."""
    remaining = sorted(seekers, key=lambda s: (s.waiting_since, s.user_id))
    pairs = []
    while remaining:
        oldest = remaining.pop(0)
        partner = next((i for i, other in enumerate(remaining) if compatible(oldest, other, window)), None)
        if partner is not None:
            pairs.append((oldest, remaining.pop(partner)))
    return pairs


def assign_roles(older: Seeker, newer: Seeker) -> tuple[str, str]:
    """The roles of a compatible pair: the one who waited longer is the candidate when both ways are possible."""
    if older.roles & CANDIDATE and newer.roles & INTERVIEWER:
        return Role.candidate.value, Role.interviewer.value
    return Role.interviewer.value, Role.candidate.value


def common(a: tuple[str, ...], b: tuple[str, ...]) -> tuple[str, ...]:
    """What both accept, in a's order (empty: any)."""
    if not a or not b:
        return a or b
    return tuple(value for value in a if value in b)


def choose_language(older: Preferences, newer: Preferences) -> str:
    """The first language of the older user's list the newer one accepts; python when both accept any."""
    languages = common(older.languages, newer.languages)
    return languages[0] if languages else DEFAULT_LANGUAGE


def choose_problem(
    catalog: Sequence[dict[str, Any]],
    a: Preferences,
    b: Preferences,
    solved: set[str],
    rng: random.Random | None = None,
) -> dict[str, Any] | None:
    """A problem of `catalog` ({_id, difficulty, tags}) for the pair: one matching both preferences that neither
    has solved (`solved`: ids solved by either) when there is one; else relaxing, in turn, the unsolved rule, the
    topics, then the difficulty. Drawn at random among the best; None only for an empty catalog."""
    difficulties, topics = set(common(a.difficulties, b.difficulties)), set(common(a.topics, b.topics))

    def fits(problem: dict[str, Any], difficulty: bool, topic: bool, unsolved: bool) -> bool:
        return (
            (not difficulty or not difficulties or problem["difficulty"] in difficulties)
            and (not topic or not topics or not topics.isdisjoint(problem.get("tags", ())))
            and (not unsolved or problem["_id"] not in solved)
        )

    tiers = [(True, True, True), (True, True, False), (True, False, True), (True, False, False), (False, False, True)]
    for tier in [*tiers, (False, False, False)]:
        found = [p for p in catalog if fits(p, *tier)]
        if found:
            return (rng or random).choice(found)
    return None
