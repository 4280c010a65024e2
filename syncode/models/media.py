"""Media (LiveKit) request and response shapes: tokens, recording consent, recordings."""

from __future__ import annotations

from typing import Literal

from syncode.models.common import ApiModel, RequestModel, Timestamp

RecordingStatus = Literal["starting", "recording", "stopping", "ready", "failed"]


class MediaToken(ApiModel):
    token: str
    url: str
    room_name: str
    identity: str
    expires_at: Timestamp


class ConsentRequest(RequestModel):
    consent: bool


class ConsentState(ApiModel):
    user_id: str
    consent: bool
    at: Timestamp


class RecordingStarted(ApiModel):
    recording_id: str


class RecordingState(ApiModel):
    recording_id: str
    status: RecordingStatus


class WebhookAck(ApiModel):
    received: bool = True
