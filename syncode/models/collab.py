"""Collab plane internal API (API.md 5.2): documents, health, and the callbacks into the control plane."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, field_validator

from syncode.models.common import ApiModel, Language, RequestModel, Timestamp

SnapshotTrigger = Literal["periodic", "phase_change", "submission", "manual", "session_end"]
RoomId = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_-]+$")]
MAX_INITIAL_TEXT = 256 * 1024


def _base64(value: str) -> str:
    try:
        base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("must be base64") from None
    return value


Base64 = Annotated[str, AfterValidator(_base64)]


class CreateDocumentRequest(RequestModel):
    room_id: RoomId
    initial_content: dict[Language, Annotated[str, Field(max_length=MAX_INITIAL_TEXT)]] | None = Field(
        None, description="Starting text per language, for languages the snapshot (if any) leaves empty."
    )
    snapshot: Base64 | None = Field(None, description="A base64 Yjs update to start from.")

    @field_validator("initial_content")
    @classmethod
    def _not_empty(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        if value is not None and not value:
            raise ValueError("needs at least one language")
        return value

    def snapshot_bytes(self) -> bytes | None:
        return base64.b64decode(self.snapshot) if self.snapshot is not None else None


class CreateDocumentResponse(ApiModel):
    room_id: str
    created: bool
    created_at: Timestamp


class DestroyDocumentResponse(ApiModel):
    room_id: str
    final_snapshot: str = Field(description="The final state, a base64 Yjs update.")
    closed_connections: int


class KickUserRequest(RequestModel):
    user_id: str = Field(min_length=1, max_length=128)
    reason: str | None = Field(None, max_length=200)


class KickUserResponse(ApiModel):
    kicked: bool
    connections: int = Field(description="Open connections of that user that were closed (4002).")


class CollabHealthResponse(ApiModel):
    status: Literal["ok", "degraded"] = Field(description="`degraded` while writes to the update log are failing.")
    documents: int = Field(description="Documents loaded in memory.")
    connections: int
    pending_writes: int = Field(description="Accepted updates (in the journal) not yet in the MongoDB update log.")


class SnapshotReadyPayload(RequestModel):
    room_id: RoomId
    trigger: SnapshotTrigger
    language: Language
    code: str
    snapshot: Base64
    timestamp: datetime
    editors: list[Annotated[str, Field(min_length=1, max_length=128)]] = Field(
        default_factory=list, max_length=100, description="users who edited since the room's previous snapshot"
    )


class UserDisconnectedPayload(RequestModel):
    room_id: RoomId
    user_id: str = Field(min_length=1, max_length=128)
    reason: str = Field(min_length=1, max_length=64)
    timestamp: datetime


class CallbackAckResponse(ApiModel):
    received: bool = True
