"""Collab plane internal HTTP API (API.md 5.2): thin handlers over the CollabPlane interface (ctx.collab)
and the callback routes a split-out collab plane posts to, which publish on the event bus."""

from __future__ import annotations

import base64
import hmac

from handlers.base import BaseHandler, operation
from syncode.collab import CollabPlane, SnapshotReady, UserDisconnected, disconnect_event
from syncode.errors import Unauthorized
from syncode.models.collab import (
    CallbackAckResponse,
    CollabHealthResponse,
    CreateDocumentRequest,
    CreateDocumentResponse,
    DestroyDocumentResponse,
    KickUserRequest,
    KickUserResponse,
    SnapshotReadyPayload,
    UserDisconnectedPayload,
)

SECRET_HEADER = "X-Internal-Secret"


class InternalHandler(BaseHandler):
    """Routes for trusted services: the shared internal secret instead of a user token."""

    async def prepare(self) -> None:
        await super().prepare()
        if self.request.method == "OPTIONS":
            return
        given = self.request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self.ctx.settings.internal_secret.encode()):
            raise Unauthorized(f"missing or wrong {SECRET_HEADER}", "UNAUTHORIZED")

    @property
    def collab(self) -> CollabPlane:
        return self.ctx.collab


class DocumentsHandler(InternalHandler):
    @operation(
        summary="Create a Yjs document",
        tag="Collab",
        request=CreateDocumentRequest,
        response=CreateDocumentResponse,
        status=201,
        errors=(400, 401),
        also=((200, CreateDocumentResponse),),
        auth=False,
        description="Idempotent: 201 when created, 200 with created=false when it already exists.",
    )
    async def post(self) -> None:
        req = self.body(CreateDocumentRequest)
        created, created_at = await self.collab.create_document(req.room_id, req.initial_content, req.snapshot_bytes())
        response = CreateDocumentResponse(room_id=req.room_id, created=created, created_at=created_at)
        self.respond(response, 201 if created else 200)


class DocumentHandler(InternalHandler):
    @operation(
        summary="Destroy a Yjs document",
        tag="Collab",
        response=DestroyDocumentResponse,
        errors=(401, 404),
        auth=False,
        description="Closes every socket of the room with 4003 and returns the final state. "
        "Destroying again returns the same final state with no connections closed.",
    )
    async def delete(self, roomId: str) -> None:
        state, closed = await self.collab.destroy_document(roomId)
        self.respond(
            DestroyDocumentResponse(
                room_id=roomId, final_snapshot=base64.b64encode(state).decode(), closed_connections=closed
            )
        )


class KickHandler(InternalHandler):
    @operation(
        summary="Kick a user from the document",
        tag="Collab",
        request=KickUserRequest,
        response=KickUserResponse,
        errors=(400, 401, 404),
        auth=False,
        description="Closes the user's sockets with 4002; tokens issued before the kick are refused (4003).",
    )
    async def post(self, roomId: str) -> None:
        req = self.body(KickUserRequest)
        connections = await self.collab.kick(roomId, req.user_id, req.reason)
        self.respond(KickUserResponse(kicked=True, connections=connections))


class CollabHealthHandler(InternalHandler):
    @operation(
        summary="Collab plane health check", tag="Collab", response=CollabHealthResponse, errors=(401,), auth=False
    )
    async def get(self) -> None:
        self.respond(CollabHealthResponse.model_validate(await self.collab.health()))


class SnapshotCallbackHandler(InternalHandler):
    @operation(
        summary="[Callback] Snapshot ready",
        tag="Callbacks",
        request=SnapshotReadyPayload,
        response=CallbackAckResponse,
        errors=(400, 401),
        auth=False,
        description="Stored in the room's session record and published on the event bus as "
        "`collab.snapshot_ready`, exactly as an in-process snapshot.",
    )
    async def post(self) -> None:
        req = self.body(SnapshotReadyPayload)
        snapshot = base64.b64decode(req.snapshot)
        ready = SnapshotReady(
            req.room_id, req.trigger, req.language, req.code, snapshot, req.timestamp, tuple(req.editors)
        )
        await self.ctx.rooms.receive_snapshot(ready)
        self.respond(CallbackAckResponse())


class UserDisconnectedCallbackHandler(InternalHandler):
    @operation(
        summary="[Callback] User disconnected",
        tag="Callbacks",
        request=UserDisconnectedPayload,
        response=CallbackAckResponse,
        errors=(400, 401),
        auth=False,
        description="Published on the event bus as `collab.user_disconnected`.",
    )
    async def post(self) -> None:
        req = self.body(UserDisconnectedPayload)
        self.ctx.bus.publish(disconnect_event(UserDisconnected(req.room_id, req.user_id, req.reason, req.timestamp)))
        self.respond(CallbackAckResponse())
