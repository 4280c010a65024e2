"""Peer feedback: what one participant of a peer session says about the other."""

from __future__ import annotations

from pydantic import Field

from syncode.models.common import ApiModel, RequestModel, Timestamp

TEXT_MAX = 2000


class PeerFeedbackRatings(RequestModel):
    problem_solving: int = Field(ge=1, le=5)
    communication: int = Field(ge=1, le=5)
    code_quality: int = Field(ge=1, le=5)
    testing: int = Field(ge=1, le=5)
    overall: int = Field(ge=1, le=5)


class SubmitFeedbackRequest(RequestModel):
    reviewee_id: str = Field(min_length=1, max_length=100)
    ratings: PeerFeedbackRatings
    strengths: str | None = Field(None, max_length=TEXT_MAX)
    improvements: str | None = Field(None, max_length=TEXT_MAX)
    comment: str | None = Field(None, max_length=TEXT_MAX)
    would_pair_again: bool | None = None


class PeerFeedbackEntry(ApiModel):
    id: str
    room_id: str
    session_id: str
    reviewer_id: str
    reviewee_id: str
    ratings: PeerFeedbackRatings
    strengths: str | None = None
    improvements: str | None = None
    comment: str | None = None
    would_pair_again: bool | None = None
    created_at: Timestamp


class RoomFeedback(ApiModel):
    data: list[PeerFeedbackEntry]
    all_submitted: bool
