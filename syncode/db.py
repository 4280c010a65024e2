"""The database layer: owns the MongoDB client, the collection names and every index declaration."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from pymongo import ASCENDING, DESCENDING, AsyncMongoClient, IndexModel, monitoring
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase


@dataclass(frozen=True)
class CollectionSpec:
    name: str
    indexes: list[IndexModel] = field(default_factory=list)


COLLECTIONS: dict[str, CollectionSpec] = {
    spec.name: spec
    for spec in [
        CollectionSpec(
            "users",
            [
                # emailKey/usernameKey exist only on live accounts: a deleted account frees its email and username
                IndexModel("emailKey", unique=True, partialFilterExpression={"emailKey": {"$exists": True}}),
                IndexModel("usernameKey", unique=True, partialFilterExpression={"usernameKey": {"$exists": True}}),
                IndexModel([("createdAt", DESCENDING), ("_id", DESCENDING)]),
            ],
        ),
        CollectionSpec(
            "refreshTokens",
            [IndexModel("tokenHash", unique=True), IndexModel("familyId"), IndexModel("userId")],
        ),
        CollectionSpec("passwordResets", [IndexModel("tokenHash", unique=True), IndexModel("userId")]),
        # One record per (login identifier, client address), keyed by a hash of both; see AuthService.login
        CollectionSpec("loginFailures", [IndexModel("key"), IndexModel("expiresAt", expireAfterSeconds=0)]),
        CollectionSpec(
            "auditLogs",
            [
                IndexModel([("createdAt", DESCENDING), ("_id", DESCENDING)]),
                IndexModel([("actorId", ASCENDING), ("createdAt", DESCENDING)]),
                IndexModel([("targetId", ASCENDING), ("createdAt", DESCENDING)]),
                IndexModel([("action", ASCENDING), ("createdAt", DESCENDING)]),
            ],
        ),
        CollectionSpec(
            "problems",
            [
                IndexModel("slug", unique=True),
                IndexModel("titleKey", unique=True),
                IndexModel([("createdAt", DESCENDING), ("_id", DESCENDING)]),
                IndexModel([("titleKey", ASCENDING), ("_id", ASCENDING)]),
                IndexModel([("difficultyRank", ASCENDING), ("_id", ASCENDING)]),
                IndexModel([("acceptanceSort", DESCENDING), ("_id", DESCENDING)]),
                IndexModel("tags"),
            ],
        ),
        CollectionSpec(
            "bookmarks",
            [
                IndexModel([("userId", ASCENDING), ("problemId", ASCENDING)], unique=True),
                IndexModel([("userId", ASCENDING), ("createdAt", DESCENDING)]),
            ],
        ),
        # Collab plane: one record per room document (keyed by roomId) and the update log since its snapshot.
        CollectionSpec("testCases", [IndexModel([("problemId", ASCENDING), ("index", ASCENDING)], unique=True)]),
        CollectionSpec("problemGuides"),  # one interviewer guide per problem, keyed by the problem's id
        CollectionSpec(
            "problemProgress",
            [IndexModel([("userId", ASCENDING), ("problemId", ASCENDING)], unique=True)],
        ),
        CollectionSpec(
            "rooms",
            [
                # inviteKey exists only while the room is live: codes are unique among live rooms only
                IndexModel("inviteKey", unique=True, partialFilterExpression={"inviteKey": {"$exists": True}}),
                IndexModel([("problemId", ASCENDING), ("status", ASCENDING)]),
                IndexModel([("createdAt", DESCENDING), ("_id", DESCENDING)]),
                IndexModel([("participants.userId", ASCENDING), ("status", ASCENDING)]),
            ],
        ),
        CollectionSpec("idempotencyKeys", [IndexModel("expiresAt", expireAfterSeconds=0)]),
        CollectionSpec(
            "sessions",
            [
                IndexModel([("createdAt", DESCENDING), ("_id", DESCENDING)]),
                IndexModel([("participants.userId", ASCENDING), ("startedAt", DESCENDING)]),
            ],
        ),
        CollectionSpec(
            "sessionEvents", [IndexModel([("sessionId", ASCENDING), ("at", ASCENDING), ("seq", ASCENDING)])]
        ),
        CollectionSpec("codeSnapshots", [IndexModel([("sessionId", ASCENDING), ("createdAt", ASCENDING)])]),
        # Execution jobs: room lists page by (createdAt, _id); a user's jobs by time.
        *[
            CollectionSpec(
                name,
                [
                    IndexModel([("createdAt", DESCENDING), ("_id", DESCENDING)]),
                    IndexModel([("roomId", ASCENDING), ("createdAt", DESCENDING), ("_id", DESCENDING)]),
                    IndexModel([("userId", ASCENDING), ("createdAt", DESCENDING)]),
                    IndexModel([("sessionId", ASCENDING), ("createdAt", ASCENDING)]),  # a session's history
                ],
            )
            for name in ("runs", "submissions", "analyses")
        ],
        CollectionSpec("usageCounters", [IndexModel("expiresAt", expireAfterSeconds=0)]),  # daily quotas
        CollectionSpec("chatMessages", [IndexModel([("roomId", ASCENDING), ("createdAt", ASCENDING)])]),
        CollectionSpec(
            "peerFeedback",
            [
                IndexModel([("roomId", ASCENDING), ("reviewerId", ASCENDING), ("revieweeId", ASCENDING)], unique=True),
                IndexModel("sessionId"),
            ],
        ),
        # Training reports, keyed by session id (syncode/sessions/reports.py), and reference solutions' times
        CollectionSpec(
            "reports",
            [IndexModel([("candidateId", ASCENDING), ("startedAt", DESCENDING)]), IndexModel("status")],
        ),
        CollectionSpec("referenceTimings", [IndexModel("problemId")]),
        # Matchmaking (syncode/matchmaking/store.py): one queue entry per user (keyed by user id), and proposals
        CollectionSpec("matchQueue", [IndexModel([("state", ASCENDING), ("queuedAt", ASCENDING)])]),
        CollectionSpec(
            "matches",
            [
                IndexModel([("state", ASCENDING), ("expiresAt", ASCENDING)]),
                IndexModel([("state", ASCENDING), ("settled", ASCENDING)]),
                IndexModel([("state", ASCENDING), ("updatedAt", ASCENDING)]),
            ],
        ),
        # The AI interviewer (syncode/ai/store.py): every message, hint and review (queued -> running ->
        # completed | failed; a restart resumes the unfinished), and one state document per room (keyed by its id)
        CollectionSpec(
            "aiMessages",
            [
                IndexModel([("roomId", ASCENDING), ("createdAt", DESCENDING), ("_id", DESCENDING)]),
                IndexModel([("roomId", ASCENDING), ("kind", ASCENDING), ("problemId", ASCENDING)]),
                IndexModel("status"),
            ],
        ),
        CollectionSpec("aiRooms"),
        # Recordings (syncode/services/recordings.py): `active` exists only while one runs, once per room
        CollectionSpec(
            "recordings",
            [
                IndexModel("roomId", unique=True, partialFilterExpression={"active": {"$exists": True}}),
                IndexModel("egressId"),
                IndexModel([("sessionId", ASCENDING), ("endedAt", DESCENDING)]),
                IndexModel([("startedBy", ASCENDING), ("status", ASCENDING)]),
            ],
        ),
        CollectionSpec("recordingConsents", [IndexModel("roomId")]),  # keyed by "<roomId>:<userId>"
        CollectionSpec("collabDocs"),
        CollectionSpec("collabUpdates"),  # keyed by _id "<roomId>:<seq>" (realtime/updatelog.py)
        # The edit history of each room's document: checkpoints (marks, and their state and updates), same keys
        # (realtime/history.py)
        CollectionSpec(
            "collabCheckpoints",
            [IndexModel([("roomId", ASCENDING), ("seq", ASCENDING)]), IndexModel("at")],  # at: the retention sweep
        ),
        CollectionSpec("collabCheckpointData", [IndexModel([("roomId", ASCENDING), ("seq", ASCENDING)])]),
    ]
}


class Database:
    """One client per process. Services reach collections as attributes: `db.users`, `db.auditLogs`."""

    def __init__(self, uri: str, name: str, listeners: Sequence[monitoring.CommandListener] = ()) -> None:
        """`listeners` see every command the client sends (the server's metrics time them)."""
        self.uri, self.name = uri, name  # for a helper process of our own (realtime/logwriter.py)
        self.client: AsyncMongoClient = AsyncMongoClient(
            uri,
            tz_aware=True,
            uuidRepresentation="standard",
            serverSelectionTimeoutMS=5000,
            event_listeners=list(listeners),
        )
        self.db: AsyncDatabase = self.client[name]

    def __getattr__(self, name: str) -> AsyncCollection:
        if name not in COLLECTIONS:
            raise AttributeError(f"unknown collection {name!r}: declare it in syncode/db.py")
        return self.db[name]

    async def create_indexes(self) -> None:
        for spec in COLLECTIONS.values():
            if spec.indexes:
                await self.db[spec.name].create_indexes(spec.indexes)

    async def ping(self) -> float:
        """Round-trip latency in ms; raises when the server is unreachable."""
        start = time.perf_counter()
        await self.client.admin.command("ping")
        return (time.perf_counter() - start) * 1000

    async def close(self) -> None:
        await self.client.close()
