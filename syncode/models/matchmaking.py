"""Matchmaking: queue preferences, the status of a user's search, proposals and the opponent shown in them."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator

from syncode.models.common import ApiModel, Language, RequestModel, Timestamp
from syncode.models.rooms import Difficulty

PairedRole = Literal["interviewer", "candidate"]
MatchState = Literal["idle", "searching", "proposed", "matched"]
TOPIC_PATTERN = r"^[a-z0-9][a-z0-9-]{0,49}$"


class EnterQueueRequest(RequestModel):
    languages: list[Language] = Field(default_factory=list, max_length=8, description="empty: any language")
    difficulties: list[Difficulty] = Field(default_factory=list, max_length=3, description="empty: any")
    topics: list[str] = Field(default_factory=list, max_length=20, description="problem tags; empty: any")
    roles: list[PairedRole] = Field(default_factory=list, max_length=2, description="empty: either role")
    mode: Literal["peer"] = "peer"

    @field_validator("topics")
    @classmethod
    def _topics(cls, topics: list[str]) -> list[str]:
        cleaned = [t.strip().lower() for t in topics]
        bad = [t for t in cleaned if not re.match(TOPIC_PATTERN, t)]
        if bad:
            raise ValueError("topics are tag slugs: lowercase letters, digits and dashes, up to 50 characters")
        return cleaned

    @field_validator("languages", "difficulties", "topics", "roles")
    @classmethod
    def _unique(cls, values: list[str]) -> list[str]:
        return list(dict.fromkeys(values))


class QueueEntered(ApiModel):
    status: Literal["searching"] = "searching"
    queued_at: Timestamp
    position: int = Field(description="1 for the longest-waiting user searching")


class MatchOpponent(ApiModel):
    user_id: str
    username: str
    display_name: str | None = None
    avatar_url: str | None = None
    preferred_language: str | None = None
    problems_solved: int


class MatchProblem(ApiModel):
    id: str
    slug: str
    title: str
    difficulty: Difficulty
    tags: list[str]


class MatchProposal(ApiModel):
    match_id: str
    opponent: MatchOpponent
    problem: MatchProblem | None = Field(None, description="null only when the problem bank is empty")
    language: str
    my_role: PairedRole
    expires_at: Timestamp = Field(description="both must accept before this")
    accepted: bool = Field(False, description="whether I accepted")
    opponent_accepted: bool = False
    room_id: str | None = Field(None, description="once both accepted: the room both are in")


class MatchStatus(ApiModel):
    status: MatchState
    queued_at: Timestamp | None = Field(None, description="while searching or proposed")
    position: int | None = Field(None, description="while searching")
    match: MatchProposal | None = None
