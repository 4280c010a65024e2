"""/api/rooms/* (core, participants, control), /api/users/me/active-room and /api/admin/rooms."""

from __future__ import annotations

from handlers.base import BaseHandler, operation
from syncode.errors import ValidationFailed
from syncode.models.common import DataList, Page
from syncode.models.rooms import (
    ActiveRoom,
    AdminRoomEntry,
    CloseRoomRequest,
    CreateRoomRequest,
    JoinRoomRequest,
    PhaseRequest,
    RoleSwapAnswer,
    RoleSwapCreated,
    RoomDetail,
    RoomParticipantSummary,
    RoomPreview,
    RoomQuery,
    RoomSummary,
    SelectProblemRequest,
    UpdateParticipantRequest,
    UpdateSettingsRequest,
)

ROOM_ERRORS = (403, 404)


class RoomsHandler(BaseHandler):
    @operation(
        summary="Create a new room",
        tag="Rooms",
        request=CreateRoomRequest,
        response=RoomDetail,
        status=201,
        errors=(400, 404, 429),
        description="The caller is host (interviewer in peer mode, candidate in ai mode). An "
        "`Idempotency-Key` header makes retries safe for 24 h: a replay returns the first room.",
    )
    async def post(self) -> None:
        req = self.body(CreateRoomRequest)
        key = self.request.headers.get("Idempotency-Key")
        if key is not None and not 1 <= len(key) <= 200:
            raise ValidationFailed(
                "Idempotency-Key must be 1..200 characters", details={"Idempotency-Key": "1..200 characters"}
            )
        self.respond(await self.ctx.rooms.create(self.user, req, key))

    @operation(
        summary="List rooms for current user", tag="Rooms", query=RoomQuery, response=Page[RoomSummary], errors=(400,)
    )
    async def get(self) -> None:
        data, pagination = await self.ctx.rooms.list_mine(self.user, self.query(RoomQuery))
        self.respond(Page[RoomSummary](data=data, pagination=pagination))


class RoomHandler(BaseHandler):
    @operation(
        summary="Get room details",
        tag="Rooms",
        response=RoomDetail,
        errors=ROOM_ERRORS,
        description="Participants only (403 otherwise). Carries a fresh collab token.",
    )
    async def get(self, roomId: str) -> None:
        self.respond(await self.ctx.rooms.get(self.user, roomId))

    @operation(
        summary="Destroy a room (host only)",
        tag="Rooms",
        status=204,
        errors=ROOM_ERRORS,
        description="Finishes the session, closes live sockets (4003) and destroys the collab document.",
    )
    async def delete(self, roomId: str) -> None:
        await self.ctx.rooms.destroy(self.user, roomId)
        self.respond()


class JoinHandler(BaseHandler):
    @operation(
        summary="Join a room via room code",
        tag="Rooms",
        request=JoinRoomRequest,
        response=RoomDetail,
        errors=(400, 403, 404, 409, 429),
        description="Codes match case-insensitively. Rejoining is idempotent; kicked users stay out (403 "
        "ROOM_KICKED). 409 ROOM_FULL, ROLE_TAKEN or ROOM_FINISHED.",
    )
    async def post(self) -> None:
        self.respond(await self.ctx.rooms.join(self.user, self.body(JoinRoomRequest)))


class LeaveHandler(BaseHandler):
    @operation(
        summary="Leave a room",
        tag="Rooms",
        status=204,
        errors=ROOM_ERRORS,
        description="A leaving host hands the host role to the longest-present participant; the last one "
        "out finishes the room.",
    )
    async def post(self, roomId: str) -> None:
        await self.ctx.rooms.leave(self.user, roomId)
        self.respond()


class LookupHandler(BaseHandler):
    @operation(summary="Lookup room by invite code", tag="Rooms", response=RoomPreview, errors=(404,), auth=False)
    async def get(self, inviteCode: str) -> None:
        self.respond(await self.ctx.rooms.preview(inviteCode))


class ParticipantsHandler(BaseHandler):
    @operation(
        summary="List all participants in a room",
        tag="Participants",
        response=DataList[RoomParticipantSummary],
        errors=ROOM_ERRORS,
    )
    async def get(self, roomId: str) -> None:
        data = await self.ctx.rooms.participants(self.user, roomId)
        self.respond(DataList[RoomParticipantSummary](data=data))


class ParticipantHandler(BaseHandler):
    @operation(
        summary="Update participant (role, mute)",
        tag="Participants",
        request=UpdateParticipantRequest,
        response=RoomParticipantSummary,
        errors=(400, 403, 404, 409),
        description="Host or interviewer. peer: at most one interviewer and one candidate; ai: no "
        "interviewer, at most one candidate.",
    )
    async def patch(self, roomId: str, userId: str) -> None:
        req = self.body(UpdateParticipantRequest)
        self.respond(await self.ctx.rooms.update_participant(self.user, roomId, userId, req))

    @operation(
        summary="Kick a participant from the room",
        tag="Participants",
        status=204,
        errors=(403, 404, 409),
        description="Host only (not themself: 409). Their collab socket closes with 4002; they cannot rejoin.",
    )
    async def delete(self, roomId: str, userId: str) -> None:
        await self.ctx.rooms.kick(self.user, roomId, userId)
        self.respond()


class PhaseHandler(BaseHandler):
    @operation(
        summary="Advance room phase",
        tag="Control",
        request=PhaseRequest,
        response=RoomDetail,
        errors=(400, 403, 404, 409),
        description="waiting → warmup → coding → wrapup → finished; any live phase may jump to finished. "
        "409 ROOM_INVALID_TRANSITION otherwise.",
    )
    async def post(self, roomId: str) -> None:
        self.respond(await self.ctx.rooms.change_phase(self.user, roomId, self.body(PhaseRequest).to))


class ProblemSelectHandler(BaseHandler):
    @operation(
        summary="Select or change the problem",
        tag="Control",
        request=SelectProblemRequest,
        response=RoomDetail,
        errors=(400, 403, 404, 409),
        description="Before coding only; seeds the editor with the problem's starter code.",
    )
    async def put(self, roomId: str) -> None:
        req = self.body(SelectProblemRequest)
        self.respond(await self.ctx.rooms.select_problem(self.user, roomId, req.problem_id))


class SettingsHandler(BaseHandler):
    @operation(
        summary="Update room settings",
        tag="Control",
        request=UpdateSettingsRequest,
        response=RoomDetail,
        errors=(400, 403, 404, 409),
        description="Host only.",
    )
    async def patch(self, roomId: str) -> None:
        self.respond(await self.ctx.rooms.update_settings(self.user, roomId, self.body(UpdateSettingsRequest)))


class LockHandler(BaseHandler):
    @operation(summary="Lock code editor, run, and submit", tag="Control", response=RoomDetail, errors=(403, 404, 409))
    async def post(self, roomId: str) -> None:
        self.respond(await self.ctx.rooms.set_lock(self.user, roomId, True))


class UnlockHandler(BaseHandler):
    @operation(
        summary="Unlock code editor, run, and submit", tag="Control", response=RoomDetail, errors=(403, 404, 409)
    )
    async def post(self, roomId: str) -> None:
        self.respond(await self.ctx.rooms.set_lock(self.user, roomId, False))


class PauseHandler(BaseHandler):
    @operation(summary="Pause the coding timer", tag="Control", response=RoomDetail, errors=(403, 404, 409))
    async def post(self, roomId: str) -> None:
        self.respond(await self.ctx.rooms.set_paused(self.user, roomId, True))


class ResumeHandler(BaseHandler):
    @operation(summary="Resume the coding timer", tag="Control", response=RoomDetail, errors=(403, 404, 409))
    async def post(self, roomId: str) -> None:
        self.respond(await self.ctx.rooms.set_paused(self.user, roomId, False))


class RoleSwapHandler(BaseHandler):
    @operation(
        summary="Request a role swap (peer mode)",
        tag="Control",
        response=RoleSwapCreated,
        status=201,
        errors=(403, 404, 409),
        description="Interviewer or candidate; the request expires after 60 s.",
    )
    async def post(self, roomId: str) -> None:
        request_id, expires_at = await self.ctx.rooms.request_swap(self.user, roomId)
        self.respond(RoleSwapCreated(request_id=request_id, expires_at=expires_at))


class RoleSwapAnswerHandler(BaseHandler):
    @operation(
        summary="Accept or decline a role swap request",
        tag="Control",
        request=RoleSwapAnswer,
        response=RoomDetail,
        errors=(400, 403, 404, 410),
        description="Answered by the other party; 410 ROLE_SWAP_EXPIRED after 60 s.",
    )
    async def post(self, roomId: str, requestId: str) -> None:
        accept = self.body(RoleSwapAnswer).accept
        self.respond(await self.ctx.rooms.answer_swap(self.user, roomId, requestId, accept))


class ActiveRoomHandler(BaseHandler):
    @operation(
        summary="Get current active room",
        tag="Users",
        response=ActiveRoom,
        errors=(),
        also=((204, None),),
        description="204 when the caller is in no live room.",
    )
    async def get(self) -> None:
        room = await self.ctx.rooms.active_room(self.user)
        self.respond(ActiveRoom(room=room) if room else None, 200 if room else 204)


class AdminRoomsHandler(BaseHandler):
    @operation(
        summary="List all rooms",
        tag="Admin",
        query=RoomQuery,
        response=Page[AdminRoomEntry],
        errors=(400, 403),
        admin=True,
    )
    async def get(self) -> None:
        data, pagination = await self.ctx.admin.list_rooms(self.query(RoomQuery))
        self.respond(Page[AdminRoomEntry](data=data, pagination=pagination))


class AdminRoomCloseHandler(BaseHandler):
    @operation(
        summary="Force-close a room",
        tag="Admin",
        request=CloseRoomRequest,
        response=AdminRoomEntry,
        errors=(400, 403, 404),
        admin=True,
        description="Finishes the room and closes its sockets (4003). Audited.",
    )
    async def post(self, roomId: str) -> None:
        reason = self.body(CloseRoomRequest).reason
        self.respond(await self.ctx.admin.close_room(self.user, roomId, reason, self.client_ip))
