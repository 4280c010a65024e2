"""The matchmaking state in MongoDB: the only code that reads or writes `db.matchQueue` and `db.matches`.

`matchQueue` holds one entry per user (`_id` is the user id): `state` searching | proposed | matched, the
preferences, `queuedAt` (the place in the queue, kept when a proposal fails through no fault of the user),
`heartbeatAt`, `score` (average report score, None when unknown), `solved` (the problems the user had solved on
entering: none can be solved while searching, with no live room), `rev` (new on every entry, so a claim made on an
old version fails), `matchId` and `roomId`.

`matches` holds proposals: `userIds` (the longer-waiting first), `roles`, `language`, `problem`, `accepted`,
`expiresAt`, and `state` proposed -> creating -> matched, or proposed -> declined | expired. A declined or expired
proposal is `settled` once its users' entries have been dealt with (a restart finishes what was left unsettled).

Every change of state is one conditional write, so concurrent passes, answers and sweeps cannot both win. The
searching entries are also kept in memory (`mirror`), updated by every write made here: pairing, positions and the
heartbeat check read it; the database stays the truth (a claim on an entry the mirror shows out of date fails, and
corrects it).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo import UpdateOne
from pymongo.errors import DuplicateKeyError

from syncode.clock import new_id
from syncode.db import Database
from syncode.matchmaking.mirror import SearchingMirror
from syncode.matchmaking.rules import Seeker

Doc = dict[str, Any]
SEARCHING, PROPOSED, MATCHED = "searching", "proposed", "matched"
CREATING, DECLINED, EXPIRED = "creating", "declined", "expired"
MIRRORED = {"state": 1, "queuedAt": 1, "prefs": 1, "score": 1, "solved": 1, "rev": 1, "heartbeatAt": 1}


class MatchStore:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.mirror = SearchingMirror()

    async def load(self) -> None:
        """(Re)read the searching entries into the mirror: at start, and now and then for changes made elsewhere."""
        self.mirror.reload_started()
        self.mirror.reloaded(await self.db.matchQueue.find({"state": SEARCHING}, MIRRORED).to_list())

    # -- queue entries -----------------------------------------------------------------------------------

    async def enter(self, user_id: str, facts: dict[str, Any], now: datetime) -> Doc | None:
        """A new searching entry for the user, replacing an earlier one; None while the user has a proposal.
        `facts`: prefs, mode, score (None: unknown) and solved (problem ids)."""
        entry = {
            "state": SEARCHING,
            **facts,
            "queuedAt": now,
            "heartbeatAt": now,
            "rev": new_id(),
            "matchId": None,
            "roomId": None,
        }
        try:
            await self.db.matchQueue.update_one(
                {"_id": user_id, "state": {"$ne": PROPOSED}}, {"$set": entry}, upsert=True
            )
        except DuplicateKeyError:  # the entry exists, in a proposal
            return None
        entry = {"_id": user_id, **entry}
        self.mirror.put(entry)
        return entry

    async def entry(self, user_id: str) -> Doc | None:
        return await self.db.matchQueue.find_one({"_id": user_id})

    def searching(self) -> list[Seeker]:
        """Every searching entry, longest-waiting first."""
        return self.mirror.seekers()

    def position(self, queued_at: datetime) -> int:
        return self.mirror.position(queued_at)

    async def heartbeat(self, user_id: str, now: datetime) -> None:
        await self.heartbeats([user_id], now)

    async def heartbeats(self, user_ids: list[str], now: datetime) -> None:
        if user_ids:
            query = {"_id": {"$in": user_ids}, "state": SEARCHING}
            await self.db.matchQueue.update_many(query, {"$set": {"heartbeatAt": now}})
            for user_id in user_ids:
                self.mirror.beat(user_id, now)

    async def remove(self, user_id: str, states: tuple[str, ...] = (SEARCHING, MATCHED)) -> bool:
        result = await self.db.matchQueue.delete_one({"_id": user_id, "state": {"$in": list(states)}})
        await self._settle_mirror(user_id, result.deleted_count == 1)
        return result.deleted_count == 1

    def silent_since(self, cutoff: datetime) -> list[str]:
        """Users searching with no heartbeat since `cutoff`."""
        return self.mirror.silent_since(cutoff)

    async def drop_silent(self, user_id: str, cutoff: datetime) -> bool:
        query = {"_id": user_id, "state": SEARCHING, "heartbeatAt": {"$lt": cutoff}}
        dropped = (await self.db.matchQueue.delete_one(query)).deleted_count == 1
        await self._settle_mirror(user_id, dropped)
        return dropped

    async def claim(self, claims: dict[str, tuple[Seeker, ...]]) -> set[str]:
        """searching -> proposed for the users of each proposal (match id -> its users as pairing saw them), each
        entry only in the version pairing saw, in one write; returns the proposals whose users were all claimed
        (the caller undoes the others)."""
        change = {"state": PROPOSED}
        writes = [
            UpdateOne({"_id": s.user_id, "rev": s.rev, "state": SEARCHING}, {"$set": {**change, "matchId": match_id}})
            for match_id, seekers in claims.items()
            for s in seekers
        ]
        result = await self.db.matchQueue.bulk_write(writes, ordered=False)
        user_ids = [s.user_id for seekers in claims.values() for s in seekers]
        if result.modified_count == len(writes):  # every entry claimed: nothing to sort out
            for user_id in user_ids:
                self.mirror.forget(user_id)
            return set(claims)
        entries = await self.db.matchQueue.find({"_id": {"$in": user_ids}}, {**MIRRORED, "matchId": 1}).to_list()
        for entry in entries:
            self.mirror.put(entry)  # claimed ones leave it; one that changed meanwhile shows as it now is
        claimed = {e["_id"]: e["matchId"] for e in entries if e["state"] == PROPOSED}
        return {m for m, seekers in claims.items() if all(claimed.get(s.user_id) == m for s in seekers)}

    async def requeue(self, user_id: str, match_id: str, now: datetime) -> bool:
        """proposed -> searching at the old place (queuedAt is kept), with a fresh heartbeat."""
        entry = await self._change(
            self.db.matchQueue,
            {"_id": user_id, "state": PROPOSED, "matchId": match_id},
            {"$set": {"state": SEARCHING, "matchId": None, "heartbeatAt": now}},
        )
        if entry is not None:
            self.mirror.put(entry)
        return entry is not None

    async def drop(self, user_id: str, match_id: str) -> bool:
        """Out of the queue: the user declined or stayed silent."""
        result = await self.db.matchQueue.delete_one({"_id": user_id, "state": PROPOSED, "matchId": match_id})
        return result.deleted_count == 1

    async def mark_matched(self, user_ids: list[str], match_id: str, room_id: str) -> None:
        await self.db.matchQueue.update_many(
            {"_id": {"$in": user_ids}, "matchId": match_id}, {"$set": {"state": MATCHED, "roomId": room_id}}
        )

    async def proposed_entries(self) -> list[Doc]:
        return await self.db.matchQueue.find({"state": PROPOSED}, {"matchId": 1}).to_list()

    async def _settle_mirror(self, user_id: str, removed: bool) -> None:
        if removed:
            self.mirror.forget(user_id)
        elif user_id in self.mirror:  # nothing removed, yet the mirror shows it searching: look again
            await self._reread(user_id)

    async def _reread(self, user_id: str) -> None:
        entry = await self.db.matchQueue.find_one({"_id": user_id}, MIRRORED)
        if entry is None:
            self.mirror.forget(user_id)
        else:
            self.mirror.put(entry)

    # -- proposals ---------------------------------------------------------------------------------------

    async def insert_matches(self, matches: list[Doc]) -> None:
        await self.db.matches.insert_many(matches, ordered=False)

    async def delete_matches(self, match_ids: list[str]) -> None:
        """Proposals never made (their claims failed)."""
        if match_ids:
            await self.db.matches.delete_many({"_id": {"$in": match_ids}, "state": PROPOSED})

    async def match(self, match_id: str) -> Doc | None:
        return await self.db.matches.find_one({"_id": match_id})

    async def matches(self, match_ids: list[str]) -> dict[str, Doc]:
        return {m["_id"]: m async for m in self.db.matches.find({"_id": {"$in": match_ids}})}

    async def accept(self, match_id: str, user_id: str, now: datetime) -> Doc | None:
        """Adds the user's acceptance to a live proposal they had not accepted yet; the second one turns it to
        `creating` in the same write (so an expiry can no longer take it) and is recorded as `completedBy`. None
        when nothing changed."""
        both = {"$setIsSubset": ["$userIds", "$accepted"]}
        pipeline = [
            {"$set": {"accepted": {"$setUnion": ["$accepted", [user_id]]}, "updatedAt": now}},
            {"$set": {"state": {"$cond": [both, CREATING, PROPOSED]}, "completedBy": {"$cond": [both, user_id, None]}}},
        ]
        query = {"_id": match_id, "state": PROPOSED, "userIds": user_id, "accepted": {"$ne": user_id}}
        return await self._change(self.db.matches, {**query, "expiresAt": {"$gt": now}}, pipeline)

    async def end(self, match_id: str, state: str, now: datetime, user_id: str | None = None) -> Doc | None:
        """A live proposal -> declined (by `user_id`) or expired (only once due); None if it was not live."""
        query: dict[str, Any] = {"_id": match_id, "state": PROPOSED}
        if state == DECLINED:
            query["userIds"] = user_id
        else:
            query["expiresAt"] = {"$lte": now}
        change = {"state": state, "settled": False, "endedBy": user_id, "updatedAt": now}
        return await self._change(self.db.matches, query, {"$set": change})

    async def due(self, now: datetime) -> list[str]:
        query = {"state": PROPOSED, "expiresAt": {"$lte": now}}
        return [m["_id"] async for m in self.db.matches.find(query, {"_id": 1})]

    async def unsettled(self) -> list[Doc]:
        return await self.db.matches.find({"state": {"$in": [DECLINED, EXPIRED]}, "settled": False}).to_list()

    async def settled(self, match_id: str) -> None:
        await self.db.matches.update_one({"_id": match_id}, {"$set": {"settled": True}})

    async def creating_since(self, before: datetime) -> list[Doc]:
        """Proposals both accepted whose room was not made by `before` (the process stopped while making it)."""
        return await self.db.matches.find({"state": CREATING, "updatedAt": {"$lt": before}}).to_list()

    async def matched(self, match_id: str, room_id: str, now: datetime) -> Doc | None:
        change = {"$set": {"state": MATCHED, "roomId": room_id, "updatedAt": now}}
        return await self._change(self.db.matches, {"_id": match_id, "state": CREATING}, change)

    @staticmethod
    async def _change(collection: Any, query: Doc, update: Any) -> Doc | None:
        """A conditional update of one document by `_id` (with its other conditions); the document as it then is,
        or None when the conditions did not hold. Not `find_one_and_update`: the embedded database scans the whole
        collection for it (20 ms at 2,000 documents), while an update and a read by `_id` take a millisecond."""
        if (await collection.update_one(query, update)).matched_count == 0:
            return None
        return await collection.find_one({"_id": query["_id"]})
