"""The interviewer's guide (issue 23): what a peer interviewer reads about the problem, the hints they reveal, and
the rubric anchors of the feedback form."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from syncode.models.common import ApiModel, RequestModel
from syncode.models.problems import GuideComplexity, GuideRubric, RubricAnchors
from syncode.models.rooms import ProblemRef, RoomRole


class InterviewerGuide(ApiModel):
    problem: ProblemRef
    approach: str | None = Field(None, description="null when the problem has no written guide (admin-made)")
    complexity: GuideComplexity | None = None
    mistakes: list[str]
    follow_ups: list[str]
    rubric: GuideRubric | None = None
    hints: list[str] = Field(description="the problem's hint ladder, to reveal in order")
    reference_solutions: dict[str, str] = Field(description="language -> code, for the languages the bank has")


class RevealHintRequest(RequestModel):
    index: int = Field(ge=0, le=100, description="the next hint of the ladder (0 first)")


class FeedbackAnchors(ApiModel):
    """Per rating of PeerFeedbackRatings: what a 1, a 3 and a 5 look like."""

    problem_solving: RubricAnchors
    code_quality: RubricAnchors
    testing: RubricAnchors
    communication: RubricAnchors
    overall: RubricAnchors


class FeedbackFormEntry(ApiModel):
    reviewee_id: str
    reviewee_role: RoomRole
    source: Literal["problem", "general"] = Field(
        description="problem: the problem's rubric (rating the candidate); general: anchors for any interview"
    )
    anchors: FeedbackAnchors


class FeedbackForm(ApiModel):
    data: list[FeedbackFormEntry] = Field(description="one entry per participant the caller reviews")
