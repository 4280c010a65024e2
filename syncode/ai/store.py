"""The AI interviewer's records: the only code touching `db.aiMessages` and `db.aiRooms`.

An AI message is a document: the candidate's chat messages (role user, born completed) and everything the AI
answers (role assistant: chat replies, hints, reviews, proactive turns), which goes queued -> running ->
completed | failed, each state stored. The request's code and language are stored with it (each hint with the
code it answered), so an answer resumed after a restart answers what was asked. One `aiRooms` document per room
holds what the AI interviewer must remember across restarts (proactive turns muted, when it last spoke).

The last finished messages of each room are also kept in memory (RecentTurns), up to date through this store's
own writes (one process owns the rooms, DESIGN.md): an LLM answer reads its conversation without a query.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from pymongo import ReturnDocument

from syncode.clock import utcnow
from syncode.db import Database
from syncode.errors import NotFound
from syncode.models.ai import CodeReview
from syncode.models.sessions import AiMessage
from syncode.pagination import PageResult, paginate

UNFINISHED = ["queued", "running"]
TURNS_KEPT = 24  # per room
ROOMS_KEPT = 2048
TURN_FIELDS = ("_id", "role", "kind", "content", "createdAt")
Turns = list[dict[str, Any]]


def message_view(doc: dict[str, Any]) -> AiMessage:
    return AiMessage.model_validate({**doc, "id": doc["_id"]})


def review_view(doc: dict[str, Any]) -> CodeReview:
    review = doc.get("review") or {}
    return CodeReview.model_validate({**doc, **review, "id": doc["_id"]})


class RecentTurns:
    """The last TURNS_KEPT finished messages of the most recently used rooms, oldest first. A room is read from the
    database once; what is stored while that read is in flight is merged into it."""

    def __init__(self, load: Callable[[str], Awaitable[Turns]]) -> None:
        self.load = load
        self._rooms: OrderedDict[str, Turns] = OrderedDict()
        self._loading: dict[str, tuple[asyncio.Future[Turns], Turns]] = {}  # room -> (its read, stored meanwhile)

    def add(self, doc: dict[str, Any]) -> None:
        if doc.get("status") != "completed" or not doc.get("content"):
            return
        turn = {key: doc[key] for key in TURN_FIELDS}
        if doc["roomId"] in self._rooms:
            self._keep(doc["roomId"], [*self._rooms[doc["roomId"]], turn])
        elif doc["roomId"] in self._loading:
            self._loading[doc["roomId"]][1].append(turn)

    async def of(self, room_id: str) -> Turns:
        if room_id in self._rooms:
            self._rooms.move_to_end(room_id)
            return self._rooms[room_id]
        if room_id not in self._loading:
            self._loading[room_id] = (asyncio.ensure_future(self.load(room_id)), [])
        read, meanwhile = self._loading[room_id]
        try:
            loaded = await asyncio.shield(read)
        finally:
            if self._loading.get(room_id, (None,))[0] is read:
                del self._loading[room_id]
        if room_id not in self._rooms:
            self._keep(room_id, loaded + meanwhile)
        return self._rooms[room_id]

    def _keep(self, room_id: str, turns: Turns) -> None:
        unique = {turn["_id"]: turn for turn in turns}
        self._rooms[room_id] = sorted(unique.values(), key=lambda t: (t["createdAt"], t["_id"]))[-TURNS_KEPT:]
        self._rooms.move_to_end(room_id)
        while len(self._rooms) > ROOMS_KEPT:
            self._rooms.popitem(last=False)


class AiStore:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.turns = RecentTurns(self._load_turns)

    # -- messages ----------------------------------------------------------------------------------------

    async def insert(self, *docs: dict[str, Any]) -> None:
        await self.db.aiMessages.insert_many(list(docs), ordered=True)
        for doc in docs:
            self.turns.add(doc)

    async def claim(self, message_id: str) -> dict[str, Any] | None:
        """The message, now running, if it is still to be answered (queued, or running when a process stopped)."""
        return await self.db.aiMessages.find_one_and_update(
            {"_id": message_id, "status": {"$in": UNFINISHED}},
            {"$set": {"status": "running", "startedAt": utcnow()}, "$inc": {"attempts": 1}},
            return_document=ReturnDocument.AFTER,
        )

    async def mark_running(self, message_id: str) -> None:
        """A message this process just stored is being answered (a no-op if it is answered already)."""
        await self.db.aiMessages.update_one(
            {"_id": message_id, "status": "queued"},
            {"$set": {"status": "running", "startedAt": utcnow()}, "$inc": {"attempts": 1}},
        )

    async def finish(self, doc: dict[str, Any], fields: dict[str, Any]) -> None:
        await self.db.aiMessages.update_one({"_id": doc["_id"]}, {"$set": fields})
        self.turns.add({**doc, **fields})

    async def note(self, message_id: str, **fields: Any) -> None:
        """Keep something found while answering (a review's static analysis), so a resumed answer reuses it."""
        await self.db.aiMessages.update_one({"_id": message_id}, {"$set": fields})

    async def unfinished(self) -> list[str]:
        """Every message still to be answered, oldest first (at start-up)."""
        found = self.db.aiMessages.find({"status": {"$in": UNFINISHED}}, {"_id": 1}, sort=[("createdAt", 1)])
        return [doc["_id"] async for doc in found]

    async def get(self, room_id: str, message_id: str, kind: str | None = None) -> dict[str, Any]:
        query: dict[str, Any] = {"_id": message_id, "roomId": room_id}
        if kind:
            query["kind"] = kind
        doc = await self.db.aiMessages.find_one(query, {"code": 0})
        if doc is None:
            what = {"hint": "hint", "review": "review"}.get(kind or "", "AI message")
            raise NotFound(f"{what} not found", f"{what.replace(' ', '_').upper()}_NOT_FOUND")
        return doc

    async def page(self, room_id: str, descending: bool, cursor: str | None, limit: int) -> PageResult:
        return await paginate(
            self.db.aiMessages,
            {"roomId": room_id},
            descending=descending,
            cursor=cursor,
            limit=limit,
            projection={"code": 0},
        )

    async def of_room(self, room_id: str) -> list[dict[str, Any]]:
        """The whole conversation of a room, in time order (for its session)."""
        found = self.db.aiMessages.find({"roomId": room_id}, {"code": 0}, sort=[("createdAt", 1), ("_id", 1)])
        return await found.to_list(None)

    async def conversation(
        self, room_id: str, before: datetime, limit: int, exclude: str | None = None
    ) -> list[dict[str, Any]]:
        """The last `limit` finished messages of the room before a moment (but `exclude`), oldest first."""
        turns = [t for t in await self.turns.of(room_id) if t["createdAt"] < before and t["_id"] != exclude]
        return turns[-limit:]

    async def _load_turns(self, room_id: str) -> Turns:
        query = {"roomId": room_id, "status": "completed", "content": {"$ne": ""}}
        found = self.db.aiMessages.find(
            query, dict.fromkeys(TURN_FIELDS, 1), sort=[("createdAt", -1), ("_id", -1)], limit=TURNS_KEPT
        )
        return (await found.to_list(None))[::-1]

    async def hints_given(self, room_id: str, problem_id: str | None, before: datetime) -> int:
        """Hints asked earlier on this problem in this room (they escalate)."""
        query = {"roomId": room_id, "kind": "hint", "problemId": problem_id, "createdAt": {"$lt": before}}
        return await self.db.aiMessages.count_documents(query)

    async def proactive_in_flight(self, room_id: str) -> bool:
        query = {"roomId": room_id, "kind": "proactive", "status": {"$in": UNFINISHED}}
        return await self.db.aiMessages.count_documents(query, limit=1) > 0

    # -- room state --------------------------------------------------------------------------------------

    async def room_state(self, room_id: str) -> dict[str, Any]:
        return await self.db.aiRooms.find_one({"_id": room_id}) or {"_id": room_id}

    async def update_room(self, room_id: str, **fields: Any) -> dict[str, Any]:
        return await self.db.aiRooms.find_one_and_update(
            {"_id": room_id}, {"$set": fields}, upsert=True, return_document=ReturnDocument.AFTER
        )
