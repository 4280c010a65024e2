"""Rooms: configuration, participants, control, timer, previews."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from syncode import enums
from syncode.models.common import ApiModel, Language, PageQuery, RequestModel, Timestamp

# Built from syncode.enums, where the words are defined once (a Literal of strings keeps the OpenAPI schema plain).
RoomStatus = Literal[tuple(s.value for s in enums.RoomStatus)]  # type: ignore[valid-type]
RoomRole = Literal[tuple(r.value for r in enums.Role)]  # type: ignore[valid-type]
RoomMode = Literal[tuple(m.value for m in enums.Mode)]  # type: ignore[valid-type]
Difficulty = Literal["easy", "medium", "hard"]


class Durations(ApiModel):
    warmup_sec: int = Field(300, ge=0, le=4 * 3600)
    coding_sec: int = Field(2700, ge=60, le=8 * 3600)
    wrapup_sec: int = Field(600, ge=0, le=4 * 3600)

    model_config = {**ApiModel.model_config, "extra": "forbid"}


class RoomConfig(ApiModel):
    max_participants: int = Field(2, ge=2, le=8)
    is_private: bool = True
    allow_observers: bool = True
    durations: Durations = Field(default_factory=Durations)
    auto_advance: bool = False
    recording_enabled: bool = False

    model_config = {**ApiModel.model_config, "extra": "forbid"}


class ProblemRef(ApiModel):
    id: str
    title: str
    difficulty: Difficulty


class RoomParticipantSummary(ApiModel):
    user_id: str
    username: str
    display_name: str | None = None
    avatar_url: str | None = None
    role: RoomRole
    is_host: bool
    is_active: bool
    is_muted: bool
    is_ready: bool
    joined_at: Timestamp


class RoomSummary(ApiModel):
    id: str
    name: str | None = None
    mode: RoomMode
    status: RoomStatus
    language: str
    problem: ProblemRef | None = None
    host_id: str
    participant_count: int
    my_role: RoomRole | None = None
    created_at: Timestamp


class Timer(ApiModel):
    phase: RoomStatus
    phase_started_at: Timestamp | None = None
    phase_deadline: Timestamp | None = None
    paused: bool
    elapsed_sec: int
    remaining_sec: int | None = None


class CollabAccess(ApiModel):
    url: str
    token: str


class RevealedHint(ApiModel):
    """A hint of the problem's ladder that the interviewer showed the candidate."""

    index: int
    text: str
    revealed_by: str
    revealed_at: Timestamp


class RoomDetail(RoomSummary):
    invite_code: str
    config: RoomConfig
    participants: list[RoomParticipantSummary]
    editor_locked: bool
    timer: Timer
    session_id: str | None = None
    my_capabilities: list[str]
    collab: CollabAccess
    revealed_hints: list[RevealedHint] = Field(
        default_factory=list, description="hints the interviewer revealed (POST /rooms/{roomId}/hints/reveal), in order"
    )


class PreviewProblem(ApiModel):
    title: str
    difficulty: Difficulty


class RoomPreview(ApiModel):
    id: str
    name: str | None = None
    mode: RoomMode
    status: RoomStatus
    problem: PreviewProblem | None = None
    host_name: str
    participant_count: int
    max_participants: int
    joinable: bool


class ActiveRoom(ApiModel):
    room: RoomDetail


class AdminRoomEntry(ApiModel):
    id: str
    name: str | None = None
    mode: RoomMode
    status: RoomStatus
    host_id: str
    participant_count: int
    created_at: Timestamp


# -- requests ---------------------------------------------------------------------------------------------


class CreateRoomRequest(RequestModel):
    mode: RoomMode
    name: str | None = Field(None, min_length=1, max_length=100)
    problem_id: str | None = Field(None, max_length=100)
    language: Language = "python"
    config: RoomConfig | None = None


class JoinRoomRequest(RequestModel):
    invite_code: str = Field(min_length=6, max_length=6)
    role: RoomRole | None = None


class PhaseRequest(RequestModel):
    to: RoomStatus


class SelectProblemRequest(RequestModel):
    problem_id: str = Field(min_length=1, max_length=100)


class UpdateSettingsRequest(RequestModel):
    name: str | None = Field(None, min_length=1, max_length=100)
    language: Language | None = None
    config: RoomConfig | None = None


class UpdateParticipantRequest(RequestModel):
    role: RoomRole | None = None
    muted: bool | None = None


class RoleSwapCreated(ApiModel):
    request_id: str
    expires_at: Timestamp


class RoleSwapAnswer(RequestModel):
    accept: bool


class RoomQuery(PageQuery):
    status: RoomStatus | None = None
    mode: RoomMode | None = None


class CloseRoomRequest(RequestModel):
    reason: str | None = Field(None, max_length=500)
