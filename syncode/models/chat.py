"""Room chat messages sent over the event channel."""

from __future__ import annotations

from syncode.models.common import ApiModel, Timestamp


class ChatMessage(ApiModel):
    id: str
    room_id: str
    user_id: str
    username: str
    display_name: str | None = None
    text: str
    created_at: Timestamp
