"""/api/rooms/{roomId}/chat: the room's chat history (messages are sent on /api/ws with `chat.send`)."""

from __future__ import annotations

from handlers.base import BaseHandler, operation
from syncode.models.chat import ChatMessage
from syncode.models.common import Page, PageQuery


class RoomChatHandler(BaseHandler):
    @operation(
        summary="Get the room's chat history",
        tag="Rooms",
        query=PageQuery,
        response=Page[ChatMessage],
        errors=(400, 403, 404),
        description="The messages of the room's chat, newest first by default (sortOrder asc: oldest first), as "
        "`chat.message` pushed them on /api/ws; for the room's participants (`chat`), also once it has finished "
        "(others 403). A client that reloads reads the latest page here, then follows `chat.message`.",
    )
    async def get(self, roomId: str) -> None:
        data, pagination = await self.ctx.chat.history(self.user, roomId, self.query(PageQuery))
        self.respond(Page[ChatMessage](data=data, pagination=pagination))
