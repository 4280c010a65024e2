"""The pure pairing rules of matchmaking (syncode/matchmaking/rules.py): compatibility, fairness, roles, the
widening score window, language and problem choice."""

from __future__ import annotations

import random

import pytest

from syncode.matchmaking import rules
from syncode.matchmaking.rules import Preferences, ScoreWindow, Seeker

NOW = 1_000_000.0
OPEN = ScoreWindow(gap=10, per_sec=0.5, now=NOW)


def seeker(user_id: str, waited: float = 0, score: float | None = None, **prefs: list[str]) -> Seeker:
    return Seeker(user_id, NOW - waited, Preferences(**{k: tuple(v) for k, v in prefs.items()}), score)


# (preferences of a, preferences of b, compatible)
CASES = [
    ({}, {}, True),
    ({"languages": ["python"]}, {}, True),
    ({"languages": ["python", "go"]}, {"languages": ["go"]}, True),
    ({"languages": ["python"]}, {"languages": ["go"]}, False),
    ({"difficulties": ["easy"]}, {"difficulties": ["easy", "hard"]}, True),
    ({"difficulties": ["easy"]}, {"difficulties": ["medium"]}, False),
    ({"difficulties": []}, {"difficulties": ["hard"]}, True),
    ({"topics": ["arrays"]}, {"topics": ["graphs", "arrays"]}, True),
    ({"topics": ["arrays"]}, {"topics": ["graphs"]}, False),
    ({"topics": []}, {"topics": ["graphs"]}, True),
    ({"roles": ["interviewer"]}, {"roles": ["candidate"]}, True),
    ({"roles": ["candidate"]}, {"roles": ["candidate"]}, False),
    ({"roles": ["interviewer"]}, {"roles": ["interviewer"]}, False),
    ({"roles": ["interviewer"]}, {"roles": []}, True),
    ({"roles": ["candidate"]}, {"roles": ["interviewer", "candidate"]}, True),
    ({"roles": []}, {"roles": []}, True),
    ({"languages": ["rust"], "roles": ["candidate"]}, {"languages": ["rust"], "roles": ["interviewer"]}, True),
    ({"languages": ["rust"], "topics": ["dp"]}, {"languages": ["rust"], "topics": ["trees"]}, False),
    ({"languages": ["c"], "difficulties": ["hard"]}, {"difficulties": ["hard"], "roles": ["candidate"]}, True),
]


@pytest.mark.parametrize("a,b,expected", CASES)
def test_compatibility_table(a: dict, b: dict, expected: bool) -> None:
    first, second = seeker("a", **a), seeker("b", **b)
    assert rules.compatible(first, second, OPEN) is expected
    assert rules.compatible(second, first, OPEN) is expected  # symmetric


def test_a_user_is_never_paired_with_themself() -> None:
    assert not rules.compatible(seeker("a"), seeker("a"), OPEN)
    assert rules.pair_up([seeker("a"), seeker("a", waited=5)], OPEN) == []


def test_fifo_among_equals_the_longest_waiting_are_served_first() -> None:
    queue = [seeker(f"u{i}", waited=100 - i) for i in range(7)]
    random.Random(4).shuffle(queue)
    pairs = rules.pair_up(queue, OPEN)
    assert [(a.user_id, b.user_id) for a, b in pairs] == [("u0", "u1"), ("u2", "u3"), ("u4", "u5")]


def test_the_oldest_gets_the_longest_waiting_compatible_partner() -> None:
    queue = [
        seeker("old-candidate", waited=50, roles=["candidate"]),
        seeker("candidate", waited=40, roles=["candidate"]),  # incompatible with the oldest
        seeker("interviewer-1", waited=30, roles=["interviewer"]),
        seeker("interviewer-2", waited=20, roles=["interviewer"]),
    ]
    pairs = {(a.user_id, b.user_id) for a, b in rules.pair_up(queue, OPEN)}
    assert pairs == {("old-candidate", "interviewer-1"), ("candidate", "interviewer-2")}


def test_equal_waits_are_served_in_user_id_order_whatever_the_input_order() -> None:
    queue = [seeker(name, waited=10) for name in "dcba"]
    assert [(a.user_id, b.user_id) for a, b in rules.pair_up(queue, OPEN)] == [("a", "b"), ("c", "d")]


@pytest.mark.parametrize(
    "older,newer,roles",
    [
        ([], [], ("candidate", "interviewer")),  # either way: the longer-waiting one is the candidate
        (["interviewer"], [], ("interviewer", "candidate")),
        ([], ["candidate"], ("interviewer", "candidate")),
        (["candidate"], ["interviewer"], ("candidate", "interviewer")),
        (["interviewer", "candidate"], ["candidate"], ("interviewer", "candidate")),
    ],
)
def test_roles_complement(older: list[str], newer: list[str], roles: tuple[str, str]) -> None:
    a, b = seeker("a", waited=10, roles=older), seeker("b", roles=newer)
    assert rules.compatible(a, b, OPEN)
    assert rules.assign_roles(a, b) == roles


def test_the_score_window_widens_with_the_longer_wait() -> None:
    window = ScoreWindow(gap=10, per_sec=0.5, now=NOW)
    near, far = seeker("near", score=60), seeker("far", score=90)
    assert rules.compatible(seeker("x", score=55), near, window)
    assert not rules.compatible(seeker("x", score=55), far, window)  # 35 apart, window 10
    # 35 apart needs 50 s of waiting from either side (10 + 0.5 * 50)
    assert not rules.compatible(seeker("x", waited=49, score=55), far, window)
    assert rules.compatible(seeker("x", waited=50, score=55), far, window)
    assert rules.compatible(seeker("x", score=55), seeker("far", waited=50, score=90), window)


def test_unknown_scores_pair_with_anyone() -> None:
    assert rules.compatible(seeker("x", score=None), seeker("y", score=100), ScoreWindow(0, 0, NOW))
    assert rules.compatible(seeker("x", score=0), seeker("y", score=None), ScoreWindow(0, 0, NOW))


def test_close_scores_first_then_the_wider_window_lets_nobody_wait_forever() -> None:
    queue = [seeker("strong", waited=5, score=95), seeker("weak", waited=4, score=20), seeker("mid", score=30)]
    early = rules.pair_up(queue, ScoreWindow(gap=10, per_sec=1, now=NOW))
    assert [(a.user_id, b.user_id) for a, b in early] == [("weak", "mid")]
    alone = [seeker("strong", waited=5, score=95), seeker("weak", waited=4, score=20)]
    assert rules.pair_up(alone, ScoreWindow(gap=10, per_sec=1, now=NOW)) == []
    later = rules.pair_up(alone, ScoreWindow(gap=10, per_sec=1, now=NOW + 60))  # 75 apart <= 10 + 65
    assert [(a.user_id, b.user_id) for a, b in later] == [("strong", "weak")]


@pytest.mark.parametrize(
    "older,newer,language",
    [
        ([], [], "python"),
        (["go", "rust"], [], "go"),
        ([], ["java"], "java"),
        (["cpp", "java", "go"], ["go", "java"], "java"),
    ],
)
def test_choose_language(older: list[str], newer: list[str], language: str) -> None:
    assert rules.choose_language(Preferences(languages=tuple(older)), Preferences(languages=tuple(newer))) == language


CATALOG = [
    {"_id": "e-arr", "difficulty": "easy", "tags": ["arrays"]},
    {"_id": "e-str", "difficulty": "easy", "tags": ["strings"]},
    {"_id": "m-arr", "difficulty": "medium", "tags": ["arrays", "sorting"]},
    {"_id": "h-gra", "difficulty": "hard", "tags": ["graphs"]},
]


@pytest.mark.parametrize(
    "a,b,solved,expected",
    [
        ({"difficulties": ("easy",)}, {"topics": ("arrays",)}, set(), {"e-arr"}),
        ({"difficulties": ("easy", "medium")}, {"topics": ("arrays",)}, {"e-arr"}, {"m-arr"}),
        ({"difficulties": ("easy",)}, {"topics": ("arrays",)}, {"e-arr"}, {"e-arr"}),  # all solved: still one
        ({"topics": ("graphs",)}, {"difficulties": ("easy",)}, set(), {"e-arr", "e-str"}),  # no easy graphs
        ({"topics": ("graphs",)}, {"difficulties": ("easy",)}, {"e-arr"}, {"e-str"}),
        ({}, {}, {"e-arr", "e-str", "m-arr"}, {"h-gra"}),
    ],
)
def test_choose_problem(a: dict, b: dict, solved: set[str], expected: set[str]) -> None:
    chosen = {rules.choose_problem(CATALOG, Preferences(**a), Preferences(**b), solved)["_id"] for _ in range(40)}
    assert chosen == expected


def test_choose_problem_from_an_empty_bank() -> None:
    assert rules.choose_problem([], Preferences(), Preferences(), set()) is None
