"""Session history (API.md, Sessions): summaries, details, the timeline, code snapshots, feedback, AI messages,
the recording link, the whiteboard export and the keystroke replay."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field, field_validator

from syncode.models.common import ApiModel, PageQuery, RequestModel, Timestamp, as_utc
from syncode.models.execution import JobStatus, Verdict
from syncode.models.rooms import ProblemRef, RoomMode

SessionSort = Literal["startedAt", "finishedAt", "duration", "overallScore"]
SnapshotTrigger = Literal["periodic", "phase_change", "submission", "manual", "session_end"]
MarkType = Literal["run", "submission", "phase", "pause", "hint"]
ShapeType = Literal["line", "rect", "ellipse", "arrow", "text"]
WhiteboardFormat = Literal["json", "svg", "png"]


class SessionQuery(PageQuery):
    sort_by: SessionSort = "startedAt"
    mode: RoomMode | None = None
    problem_id: str | None = Field(None, max_length=100)
    from_: datetime | None = Field(None, alias="from", description="sessions started at or after this time")
    to: datetime | None = Field(None, description="sessions started before this time")

    _utc = field_validator("from_", "to")(as_utc)


class SnapshotQuery(PageQuery):
    sort_order: str = Field("asc", pattern="^(asc|desc)$")


class WhiteboardQuery(RequestModel):
    format: WhiteboardFormat = "json"


class SessionParticipant(ApiModel):
    user_id: str
    username: str
    display_name: str | None = None
    role: str
    joined_at: Timestamp
    left_at: Timestamp | None = None


class SessionSummary(ApiModel):
    id: str
    room_id: str
    mode: RoomMode
    problem: ProblemRef | None = None
    language: str
    my_role: str | None = Field(None, description="the caller's role (null for an administrator not in it)")
    participants: list[SessionParticipant]
    started_at: Timestamp
    finished_at: Timestamp | None = None
    duration_sec: int = Field(description="coding-phase time, pauses excluded")
    overall_score: float | None = None
    verdict: Verdict | None = Field(None, description="the best submission's verdict")


class SessionRun(ApiModel):
    id: str
    user_id: str
    language: str
    status: JobStatus
    verdict: Verdict | None = None
    created_at: Timestamp


class SessionSubmission(SessionRun):
    passed: int
    total: int


class FinalCode(ApiModel):
    language: str
    code: str


class SessionDetail(SessionSummary):
    runs: list[SessionRun]
    submissions: list[SessionSubmission]
    final_code: FinalCode | None = None
    report_status: str | None = Field(None, description="the training report's status, when one was made")
    has_report: bool
    has_recording: bool
    has_whiteboard: bool
    feedback_count: int


class SessionEvent(ApiModel):
    id: str
    session_id: str
    type: str
    actor_id: str | None = None
    data: dict[str, Any]
    at: Timestamp


class CodeSnapshot(ApiModel):
    id: str
    session_id: str
    trigger: SnapshotTrigger
    phase: str | None = None
    language: str
    code: str
    lines_of_code: int
    editors: list[str] = Field(
        default_factory=list, description="ids of the users who edited since the previous snapshot"
    )
    created_at: Timestamp


class RecordingLink(ApiModel):
    url: str
    expires_at: Timestamp
    duration_sec: int | None = None


class AiMessage(ApiModel):
    id: str
    room_id: str
    role: Literal["user", "assistant"]
    author_id: str | None = None
    content: str
    status: JobStatus
    kind: Literal["chat", "hint", "review", "proactive"]
    created_at: Timestamp
    completed_at: Timestamp | None = None
    provider: Literal["llm", "offline"]
    model: str | None = None


class WhiteboardShape(ApiModel):
    id: str
    type: ShapeType
    x: float
    y: float
    w: float | None = None
    h: float | None = None
    points: list[tuple[float, float]] | None = Field(None, description="offsets from (x, y)")
    stroke: str | None = None
    fill: str | None = None
    text: str | None = None
    author_id: str | None = None


class WhiteboardExport(ApiModel):
    session_id: str
    shapes: list[WhiteboardShape] = Field(description="in drawing order (by shape id); malformed entries left out")


class ReplayQuery(RequestModel):
    at: int = Field(ge=0, le=10 * 365 * 86_400_000, description="ms since the session started")


class ReplayMoment(ApiModel):
    code: str
    language: str
    at: int = Field(description="ms since the session started, as asked")
    editors: list[str] = Field(description="ids of the users who had edited the document by then")


class ReplayMark(ApiModel):
    at: int = Field(description="ms since the session started")
    type: MarkType
    ref: str | None = Field(
        None,
        description="run: the run's id; submission: the submission's id; phase: the phase entered; hint: the hint's "
        "index (revealed by the interviewer) or the AI message's id; pause: `timer` (the timer was paused) or `idle` "
        "(no edit for a minute or more)",
    )


class EditDensity(ApiModel):
    at: int = Field(description="start of the 10 s window, in ms since the session started")
    edits: int = Field(description="updates users made to the document in the window")


class ReplayMarks(ApiModel):
    duration_ms: int = Field(description="from the start to the finish (or now, while the session runs)")
    marks: list[ReplayMark] = Field(description="in time order")
    density: list[EditDensity]
