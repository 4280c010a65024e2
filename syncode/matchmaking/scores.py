"""Where matchmaking reads users' average report scores: one function, given to the service by the composition
root (the training reports' `average_scores`). Users with no reports are left out of its answer: their score is
unknown, and they pair with anyone score-wise."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

ScoreSource = Callable[[list[str]], Awaitable[dict[str, float]]]
"""user ids -> {user id: average overallScore (0..100) of their training reports as candidate}"""
