"""Who may read a session: its participants (past ones included) and admins. A participant may hide a session
from their own history (`hiddenFor`); it is then 404 for them alone and stays visible to the others."""

from __future__ import annotations

from typing import Any

from syncode.db import Database
from syncode.errors import Forbidden, NotFound
from syncode.services.auth import Principal

Session = dict[str, Any]


def took_part(session: Session, user_id: str) -> bool:
    return any(p["userId"] == user_id for p in session["participants"])


def hidden_for(session: Session, user_id: str) -> bool:
    return user_id in session.get("hiddenFor", [])


class SessionAccess:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def readable(self, principal: Principal, session_id: str) -> Session:
        """The session if `principal` may read it: 404 when unknown (or hidden by them), 403 when not theirs."""
        session = await self.db.sessions.find_one({"_id": session_id})
        if session is None or hidden_for(session, principal.id):
            raise NotFound("session not found", "SESSION_NOT_FOUND")
        if not took_part(session, principal.id) and not principal.is_admin:
            raise Forbidden("only the session's participants may read it", "FORBIDDEN")
        return session

    async def hide(self, principal: Principal, session_id: str) -> None:
        """Soft delete, for the caller only."""
        await self.readable(principal, session_id)
        await self.db.sessions.update_one({"_id": session_id}, {"$addToSet": {"hiddenFor": principal.id}})

    @staticmethod
    def visible_to(user_id: str) -> dict[str, Any]:
        """The query for the sessions in a user's own history."""
        return {"participants.userId": user_id, "hiddenFor": {"$ne": user_id}}
