"""The AI interviewer's API shapes (API.md, AI): requests for messages, hints and reviews, the review result, the
room candidate's weaknesses and the room's AI settings. AiMessage itself is shared with the session history
(syncode/models/sessions.py)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from syncode.models.common import ApiModel, Language, RequestModel, Timestamp
from syncode.models.execution import MAX_CODE, JobStatus
from syncode.models.reports import WeaknessEntry

HintLevel = Literal["subtle", "moderate", "direct"]
Severity = Literal["error", "warning", "info"]


class SendAiMessageRequest(RequestModel):
    content: str = Field(min_length=1, max_length=20_000, description="at most SYNCODE_AI_MESSAGE_MAX_CHARS")


class AiMessageAccepted(ApiModel):
    message_id: str = Field(description="the AI's reply (poll it; the message sent is stored too)")


class HintRequest(RequestModel):
    level: HintLevel | None = Field(
        None, description="at least this level; repeated hints on the same problem climb subtle -> moderate -> direct"
    )
    question: str | None = Field(None, min_length=1, max_length=2000)


class HintAccepted(ApiModel):
    hint_id: str


class ReviewRequest(RequestModel):
    code: str | None = Field(None, min_length=1, max_length=MAX_CODE, description="default: the live document")
    language: Language | None = Field(None, description="default: the room's language")


class ReviewAccepted(ApiModel):
    review_id: str


class ReviewIssue(ApiModel):
    line: int | None = None
    severity: Severity
    message: str
    suggestion: str | None = None


class ReviewComplexity(ApiModel):
    time: str | None = None
    space: str | None = None


class CodeReview(ApiModel):
    id: str
    status: JobStatus
    summary: str | None = None
    issues: list[ReviewIssue] = Field(default_factory=list)
    complexity: ReviewComplexity = Field(default_factory=ReviewComplexity)
    score: int | None = Field(None, ge=0, le=10)
    language: str
    provider: Literal["llm", "offline"]
    model: str | None = None
    created_at: Timestamp
    completed_at: Timestamp | None = None


class RoomWeaknesses(ApiModel):
    candidate_id: str | None = Field(description="the room's candidate (null while the room has none)")
    data: list[WeaknessEntry]


class AiRoomSettings(ApiModel):
    proactive_muted: bool = Field(description="ai rooms: the AI interviewer speaks only when asked")


class AiSettingsRequest(RequestModel):
    proactive_muted: bool
