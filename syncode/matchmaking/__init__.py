"""Matchmaking: a fair queue of users looking for a peer, proposals both must accept, a room when they do.

One job per module, imported in this order (each may import the ones above it, never below):
  rules     pure pairing: compatibility, who is served first, roles, language, problem, the score window
  scores    where users' average report scores come from (one function, wired in the composition root)
  mirror    the searching entries in memory (no I/O), kept by the store
  store     the only reader and writer of `db.matchQueue` and `db.matches`; every change a conditional write
  views     a proposal as each of its users sees it
  outcomes  how a proposal ends: a room, or users back in the queue or out of it; the match.* events of that
  engine    when pairing happens (on every queue change and on a timer) and the timer's expiries and repairs
  service   the five commands (MatchmakingService)

The package sits beside the room-work services: it may import rooms and the services below them.
"""

from syncode.matchmaking.engine import MatchEngine
from syncode.matchmaking.outcomes import Outcomes
from syncode.matchmaking.scores import ScoreSource
from syncode.matchmaking.service import MatchmakingService
from syncode.matchmaking.store import MatchStore
from syncode.matchmaking.views import MatchViews

__all__ = ["MatchEngine", "MatchStore", "MatchViews", "MatchmakingService", "Outcomes", "ScoreSource"]
