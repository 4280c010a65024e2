"""How a room is shown: RoomDetail, summaries, participants, previews, admin entries, the collab access of a member.

Names and avatars come from the user service, problem titles from the problem service (never their collections).
"""

from __future__ import annotations

from typing import Any

from config import Settings
from syncode.clock import utcnow
from syncode.models.rooms import (
    AdminRoomEntry,
    CollabAccess,
    ProblemRef,
    RevealedHint,
    RoomConfig,
    RoomDetail,
    RoomParticipantSummary,
    RoomPreview,
    RoomSummary,
)
from syncode.rooms.rules import Room, member, present
from syncode.security import issue_collab_token
from syncode.services import room_timer
from syncode.services.auth import Principal
from syncode.services.permissions import Cap, capabilities
from syncode.services.presence import Presence
from syncode.services.problems import ProblemService
from syncode.services.users import UserService


def capabilities_of(room: Room, principal: Principal) -> set[Cap]:
    me = member(room, principal.id)
    caps = capabilities(me["role"] if me else None, room["hostId"] == principal.id and me is not None, room["mode"])
    if principal.is_admin:
        caps.add(Cap.view)  # admins may look at any room (and close it through /admin/rooms)
    return caps


def admin_entry(room: Room) -> AdminRoomEntry:
    return AdminRoomEntry(
        id=room["_id"],
        name=room.get("name"),
        mode=room["mode"],
        status=room["status"],
        host_id=room["hostId"],
        participant_count=len(present(room)),
        created_at=room["createdAt"],
    )


def summary_fields(room: Room, problem: ProblemRef | None, user_id: str | None) -> dict[str, Any]:
    me = member(room, user_id)
    return {
        "id": room["_id"],
        "name": room.get("name"),
        "mode": room["mode"],
        "status": room["status"],
        "language": room["language"],
        "problem": problem,
        "host_id": room["hostId"],
        "participant_count": len(present(room)),
        "my_role": me["role"] if me else None,
        "created_at": room["createdAt"],
    }


class RoomViews:
    def __init__(self, settings: Settings, users: UserService, problems: ProblemService, presence: Presence) -> None:
        self.settings = settings
        self.users = users
        self.problems = problems
        self.presence = presence

    async def problem_refs(self, rooms: list[Room]) -> dict[str, ProblemRef]:
        return await self.problems.refs(list({r["problemId"] for r in rooms if r.get("problemId")}))

    async def problem_ref(self, room: Room) -> ProblemRef | None:
        return (await self.problem_refs([room])).get(room.get("problemId") or "")

    async def summaries(self, rooms: list[Room], user_id: str) -> list[RoomSummary]:
        problems = await self.problem_refs(rooms)
        return [RoomSummary(**summary_fields(r, problems.get(r.get("problemId") or ""), user_id)) for r in rooms]

    async def participants(self, room: Room) -> list[RoomParticipantSummary]:
        people = present(room)
        cards = await self.users.cards([p["userId"] for p in people])
        result = []
        for p in people:
            card = cards.get(p["userId"])
            result.append(
                RoomParticipantSummary(
                    user_id=p["userId"],
                    username=card.username if card else p["username"],
                    display_name=card.display_name if card else None,
                    avatar_url=card.avatar_url if card else None,
                    role=p["role"],
                    is_host=p["userId"] == room["hostId"],
                    is_active=self.presence.is_active(room["_id"], p["userId"]),
                    is_muted=p.get("isMuted", False),
                    is_ready=p.get("isReady", False),
                    joined_at=p["joinedAt"],
                )
            )
        return result

    def collab_access(self, room: Room, user_id: str | None) -> CollabAccess:
        ws_base = self.settings.base_url.replace("http", "ws", 1)
        url = f"{ws_base}/collab/{room['_id']}"
        me = member(room, user_id)
        if me is None:
            return CollabAccess(url=url, token="")
        s = self.settings
        token, _ = issue_collab_token(
            s.collab_jwt_secret, s.collab_token_ttl_sec, me["userId"], room["_id"], me["role"]
        )
        return CollabAccess(url=url, token=token)

    async def detail(self, room: Room, principal: Principal | None) -> RoomDetail:
        """The room as `principal` sees it; with None, the neutral view pushed to every participant."""
        user_id = principal.id if principal else None
        caps = capabilities_of(room, principal) if principal else set()
        return RoomDetail(
            **summary_fields(room, await self.problem_ref(room), user_id),
            invite_code=room["inviteCode"],
            config=RoomConfig.model_validate(room["config"]),
            participants=await self.participants(room),
            editor_locked=room.get("editorLocked", False),
            timer=room_timer.view(room["timer"], room["config"]["durations"], utcnow()),
            session_id=room.get("sessionId"),
            my_capabilities=sorted(c.value for c in caps),
            collab=self.collab_access(room, user_id),
            revealed_hints=[RevealedHint.model_validate(h) for h in room.get("revealedHints", [])],
        )

    async def preview(self, room: Room) -> RoomPreview:
        host = (await self.users.cards([room["hostId"]])).get(room["hostId"])
        problem = await self.problem_ref(room)
        count = len(present(room))
        return RoomPreview(
            id=room["_id"],
            name=room.get("name"),
            mode=room["mode"],
            status=room["status"],
            problem={"title": problem.title, "difficulty": problem.difficulty} if problem else None,
            host_name=host.shown_name if host else "unknown",
            participant_count=count,
            max_participants=room["config"]["maxParticipants"],
            joinable=room["status"] != "finished" and count < room["config"]["maxParticipants"],
        )
