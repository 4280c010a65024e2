"""How a proposal is shown to each of its two users: the opponent's public card (never an email), the problem,
the language, the user's role, the deadline and the answers so far. Names come from the user service, solved
counts from the problem service (never their collections)."""

from __future__ import annotations

import asyncio
from typing import Any

from syncode.models.matchmaking import MatchOpponent, MatchProblem, MatchProposal
from syncode.services.problems import ProblemService
from syncode.services.users import UserCard, UserService

Doc = dict[str, Any]


def opponent_of(match: Doc, user_id: str) -> str:
    return next(u for u in match["userIds"] if u != user_id)


def proposal(match: Doc, user_id: str, cards: dict[str, UserCard], solved: dict[str, set[str]]) -> MatchProposal:
    other = opponent_of(match, user_id)
    card = cards.get(other)
    return MatchProposal(
        match_id=match["_id"],
        opponent=MatchOpponent(
            user_id=other,
            username=card.username if card else "unknown",
            display_name=card.display_name if card else None,
            avatar_url=card.avatar_url if card else None,
            preferred_language=card.preferred_language if card else None,
            problems_solved=len(solved.get(other, ())),
        ),
        problem=MatchProblem(**match["problem"]) if match.get("problem") else None,
        language=match["language"],
        my_role=match["roles"][user_id],
        expires_at=match["expiresAt"],
        accepted=user_id in match["accepted"],
        opponent_accepted=other in match["accepted"],
        room_id=match.get("roomId"),
    )


class MatchViews:
    def __init__(self, users: UserService, problems: ProblemService) -> None:
        self.users = users
        self.problems = problems

    async def proposals(self, matches: list[Doc]) -> dict[str, MatchProposal]:
        """Each user of these proposals -> the proposal as they see it (a user is in one of them at most)."""
        user_ids = [u for m in matches for u in m["userIds"]]
        if not user_ids:
            return {}
        cards, solved = await self.facts(user_ids)
        return {u: proposal(m, u, cards, solved) for m in matches for u in m["userIds"]}

    async def cards(self, user_ids: list[str]) -> dict[str, UserCard]:
        return await self.users.cards(user_ids)

    async def facts(self, user_ids: list[str]) -> tuple[dict[str, UserCard], dict[str, set[str]]]:
        """The users' cards and the problems each solved, read side by side."""
        return await asyncio.gather(self.users.cards(user_ids), self.problems.solved_by(user_ids))

    async def proposal(self, match: Doc, user_id: str) -> MatchProposal:
        return (await self.proposals([match]))[user_id]


def problem_card(problem: Doc | None) -> Doc | None:
    """What a proposal keeps of its problem (it is shown as chosen, even if the bank changes meanwhile)."""
    if problem is None:
        return None
    fields = ("slug", "title", "difficulty")
    return {"id": problem["_id"], **{f: problem[f] for f in fields}, "tags": list(problem.get("tags", []))}
