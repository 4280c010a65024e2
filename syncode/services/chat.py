"""Room chat: messages arrive on the event channel (`chat.send`), are stored, go out as `chat.message`, and join
the session timeline (`chat_message`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from config import Settings
from syncode.clock import new_id, utcnow
from syncode.db import Database
from syncode.errors import RateLimited, ValidationFailed
from syncode.events import Event, EventBus
from syncode.models.chat import ChatMessage
from syncode.models.common import PageQuery, Pagination
from syncode.pagination import paginate
from syncode.ratelimit import Rate, RateLimiter
from syncode.rooms import RoomService
from syncode.services.auth import Principal
from syncode.services.permissions import Cap
from syncode.sessions.recorder import SessionRecorder


class ChatService:
    def __init__(
        self,
        settings: Settings,
        db: Database,
        bus: EventBus,
        rooms: RoomService,
        limiter: RateLimiter,
        sessions: SessionRecorder,
    ) -> None:
        self.settings = settings
        self.sessions = sessions
        self.db = db
        self.bus = bus
        self.rooms = rooms
        self.limiter = limiter
        self.rate = Rate(settings.chat_messages_per_min, settings.chat_burst)

    async def send(self, principal: Principal, room_id: str, text: str) -> ChatMessage:
        self._check_text(text)
        # A product rule like the login lockout, so it holds even when HTTP rate limiting is switched off.
        verdict = self.limiter.take(f"chat:{principal.id}", self.rate)
        if verdict.retry_after:
            raise RateLimited("too many chat messages, slow down", verdict.retry_after)
        room = await self.rooms.live_access(principal, room_id, Cap.chat)
        message = ChatMessage(
            id=new_id(),
            room_id=room_id,
            user_id=principal.id,
            username=principal.username,
            display_name=principal.user.get("displayName"),
            text=text,
            created_at=utcnow(),
        )
        await self.db.chatMessages.insert_one({"_id": message.id, **message.model_dump(exclude={"id"}, by_alias=True)})
        self.bus.publish(Event("chat.message", message.to_json(), room_id=room_id, at=message.created_at))
        data = {"messageId": message.id, "text": text}
        await self.sessions.event(room.get("sessionId"), "chat_message", principal.id, data)
        return message

    async def history(self, principal: Principal, room_id: str, q: PageQuery) -> tuple[list[ChatMessage], Pagination]:
        """A page of the room's messages, for its participants (finished rooms too: a reload or the record)."""
        await self.rooms.access(principal, room_id, Cap.chat)
        page = await paginate(
            self.db.chatMessages,
            {"roomId": room_id},
            descending=q.sort_order == "desc",
            cursor=q.cursor,
            limit=q.limit,
        )
        data = [ChatMessage.model_validate({**doc, "id": doc["_id"]}) for doc in page.items]
        return data, Pagination(next_cursor=page.next_cursor, has_more=page.has_more)

    async def count(self, room_id: str, user_id: str, start: datetime, end: datetime | None) -> int:
        """Internal (training reports): how many messages a user sent in a room between two times."""
        window: dict[str, Any] = {"$gte": start} if end is None else {"$gte": start, "$lte": end}
        return await self.db.chatMessages.count_documents({"roomId": room_id, "userId": user_id, "createdAt": window})

    def _check_text(self, text: str) -> None:
        if not text.strip():
            raise ValidationFailed("a chat message cannot be empty", details={"text": "empty"})
        if len(text) > self.settings.chat_max_chars:
            raise ValidationFailed(
                f"a chat message holds at most {self.settings.chat_max_chars} characters",
                details={"text": f"over {self.settings.chat_max_chars} characters"},
            )
