"""The collab plane: the registry of live rooms (load on first use, unload when idle), background compaction
and periodic snapshots, and the CollabPlane interface the control plane calls (syncode/collab.py).

It builds its storage from parts: the document records (realtime/records.py), the update log (realtime/updatelog.py)
with the writer it is handed, the history (realtime/history.py: read for moments of a document, expired after
collab_history_days), and, at start, the data migrations (realtime/migrations.py) then the journal's replay."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from pycrdt import Doc, Map, Text, get_state

from config import Settings
from realtime.history import DocumentHistory
from realtime.journal import UpdateJournal
from realtime.logwriter import LogWriter
from realtime.migrations import migrate
from realtime.records import DocRecord, DocumentRecords, Kick
from realtime.room import Peer, Room
from realtime.updatelog import BatchedUpdateLog, EntryWriter
from realtime.wsbase import TokenBucket
from syncode.clock import utcnow
from syncode.collab import (
    DisconnectSubscriber,
    DocumentMoment,
    Membership,
    SnapshotReady,
    SnapshotSubscriber,
    UserDisconnected,
)
from syncode.db import Database
from syncode.enums import CloseCode, Role
from syncode.errors import Gone, NotFound, Unauthorized, ValidationFailed
from syncode.security import decode_jwt
from syncode.tasks import BackgroundTasks

log = logging.getLogger("syncode.collab")

ROLES = frozenset(Role)
SHUTDOWN_DRAIN_SECONDS = 10
SNAPSHOTS_PER_TICK = 50
SWEEP_ROOMS_PER_STEP = 50  # rooms looked at between two turns given to the relay
HISTORY_SWEEP_SECONDS = 3600  # how often expired history is looked for (more often with a short retention)
HISTORY_FRESH_SECONDS = 1  # a history read waits this long at most for the updates still on their way to it
LOG_GATHER_SEC = 0.05  # journaled updates gather this long into one write to the database (realtime/updatelog.py)


class Rejected(Exception):
    """A WebSocket connection is refused; the socket closes with this code."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


async def unmanaged(room_id: str, user_id: str) -> bool | None:
    return None


class CollabService:
    def __init__(
        self, settings: Settings, db: Database, membership: Membership = unmanaged, writer: EntryWriter | None = None
    ) -> None:
        """The update log's inserts go through `writer`: by default a process of their own (realtime/logwriter.py)."""
        self.settings = settings
        self.db = db
        self.membership = membership
        self.journal_dir = settings.data_dir / "collab-journal"
        self.writer = writer or LogWriter(db.uri, db.name)
        journal = UpdateJournal(self.journal_dir) if settings.collab_journal else None
        self.update_log = BatchedUpdateLog(db.collabUpdates, self.writer, journal, gather_sec=LOG_GATHER_SEC)
        self.history = DocumentHistory(db.collabCheckpoints, db.collabCheckpointData, self.update_log)
        self.records = DocumentRecords(db.collabDocs, self.update_log, self.history)
        self.rooms: dict[str, Room] = {}
        self._loading: dict[str, asyncio.Task[Room]] = {}
        self._unloading: dict[str, asyncio.Task[None]] = {}
        self._snapshot_subscribers: list[SnapshotSubscriber] = []
        self._disconnect_subscribers: list[DisconnectSubscriber] = []
        self._tasks = BackgroundTasks("collab background task")
        self._maintenance: asyncio.Task | None = None
        self._next_history_sweep = 0.0
        self._history_sweep: asyncio.Future[int] | None = None

    async def start(self) -> None:
        """Migrate what earlier versions left, replay what the journal holds from an earlier run (both before any
        socket can open), then run."""
        await migrate(self.db, self.writer)
        await self.update_log.recover(self.journal_dir, self.records.snapshot_seqs)
        self._maintenance = asyncio.create_task(self._maintain())

    async def close(self) -> None:
        """Close every socket (1001), write what is pending, compact every live room.

        When the database cannot take the pending updates in time, the journal keeps them for the next start.
        """
        if self._maintenance:
            self._maintenance.cancel()
        for room in list(self.rooms.values()):
            room.close_all(CloseCode.shutdown, "server shutting down")
        written = await self.update_log.drain(timeout=SHUTDOWN_DRAIN_SECONDS)
        if written:
            for room_id in list(self.rooms):
                await self._unload(room_id)
        else:
            log.error("update log not written before shutdown", extra={"pending": self.update_log.backlog})
        await self._tasks.wait()
        await self.update_log.close(everything_written=written and self.update_log.backlog == 0)

    # -- subscriptions -----------------------------------------------------------------------------------

    def on_snapshot(self, subscriber: SnapshotSubscriber) -> Callable[[], None]:
        self._snapshot_subscribers.append(subscriber)
        return lambda: self._snapshot_subscribers.remove(subscriber)

    def on_user_disconnected(self, subscriber: DisconnectSubscriber) -> Callable[[], None]:
        self._disconnect_subscribers.append(subscriber)
        return lambda: self._disconnect_subscribers.remove(subscriber)

    def _deliver(self, subscribers: list, payload: Any) -> None:
        for subscriber in list(subscribers):
            self._tasks.spawn(subscriber(payload))

    # -- the CollabPlane interface -----------------------------------------------------------------------

    async def create_document(
        self,
        room_id: str,
        initial_content: dict[str, str] | None = None,
        snapshot: bytes | None = None,
        language: str | None = None,
    ) -> tuple[bool, datetime]:
        state = initial_state(initial_content or {}, snapshot)
        language = language or next(iter(initial_content or {}), "python")
        created, record = await self.records.create(room_id, state, language)
        return created, record.created_at

    async def destroy_document(self, room_id: str) -> tuple[bytes, int]:
        """Close every socket with 4003 and keep the final state as a tombstone (destroy twice: same result)."""
        room = self.rooms.pop(room_id, None)
        if room is None:
            record = await self._record(room_id, allow_destroyed=True)
            if record.destroyed:
                return record.snapshot, 0
            room = await self._build(room_id)
        closed = room.close_all(CloseCode.not_allowed, "room closed")
        room.checkpoint()  # the history keeps what the log held
        await self.update_log.drain()  # its last updates (and that checkpoint) land before the log is dropped
        state = room.doc.get_update()
        await self.records.destroy(room_id, state)
        return state, closed

    async def kick(self, room_id: str, user_id: str, reason: str | None = None) -> int:
        room = self.rooms.get(room_id)
        peers = room.peers_of(user_id) if room else []
        kick = Kick(int(time.time()), frozenset(p.jti for p in peers))
        if room:  # in memory first: a rejoin racing with the write below is refused too
            room.add_kick(user_id, kick)
            for peer in peers:
                peer.close_with(CloseCode.kicked, reason or "kicked")
                room.remove(peer)
        if not await self.records.add_kick(room_id, user_id, kick):
            raise NotFound("no such collab document", "DOCUMENT_NOT_FOUND")
        return len(peers)

    async def set_locked(self, room_id: str, locked: bool) -> None:
        if not await self.records.set_fields(room_id, locked=locked):
            raise NotFound("no such collab document", "DOCUMENT_NOT_FOUND")
        if room_id in self.rooms:
            self.rooms[room_id].locked = locked

    async def set_role(self, room_id: str, user_id: str, role: str) -> None:
        if role not in ROLES:
            raise ValidationFailed(f"unknown role {role!r}", details={"role": "unknown"})
        if not await self.records.set_role(room_id, user_id, role):
            raise NotFound("no such collab document", "DOCUMENT_NOT_FOUND")
        room = self.rooms.get(room_id)
        if room:
            room.roles[user_id] = role
            for peer in room.peers_of(user_id):
                peer.role = role

    async def replace_content(self, room_id: str, content: dict[str, str]) -> None:
        def replace(doc: Doc) -> None:
            for language, text in content.items():
                code = doc.get(f"code:{language}", type=Text)
                with doc.transaction():
                    del code[:]
                    code += text

        await (await self._room(room_id)).edit(replace)

    async def set_language(self, room_id: str, language: str) -> None:
        if not await self.records.set_fields(room_id, language=language):
            raise NotFound("no such collab document", "DOCUMENT_NOT_FOUND")
        room = await self._room(room_id)
        room.language = language

        def choose(doc: Doc) -> None:
            doc.get("meta", type=Map)["language"] = language

        await room.edit(choose)

    async def request_snapshot(self, room_id: str, trigger: str, language: str) -> SnapshotReady:
        room = await self._room(room_id)
        if language != room.language:
            room.language = language
            await self.records.set_fields(room_id, language=language)
        ready = room.snapshot(trigger, language)
        self._deliver(self._snapshot_subscribers, ready)
        return ready

    async def moment(self, room_id: str, at: datetime) -> DocumentMoment | None:
        await self.update_log.drain(timeout=HISTORY_FRESH_SECONDS)
        return await self.history.moment(room_id, at)

    async def edit_times(self, room_id: str, start: datetime, end: datetime) -> list[datetime]:
        await self.update_log.drain(timeout=HISTORY_FRESH_SECONDS)
        return await self.history.edit_times(room_id, start, end)

    async def health(self) -> dict[str, Any]:
        connections = sum(len(room.peers) for room in self.rooms.values())
        status = "degraded" if self.update_log.failing else "ok"
        return {
            "status": status,
            "documents": len(self.rooms),
            "connections": connections,
            "pendingWrites": self.update_log.backlog,
        }

    # -- sockets -----------------------------------------------------------------------------------------

    async def join(self, room_id: str, token: str, peer_factory: Callable[[dict[str, Any]], Peer]) -> Room:
        """Check the token and the room, then attach a new peer built from the token claims."""
        try:
            claims = decode_jwt(self.settings.collab_jwt_secret, token, "collab")
        except Unauthorized as exc:
            raise Rejected(CloseCode.bad_token, exc.message) from None
        if claims.get("roomId") != room_id or claims.get("role") not in ROLES:
            raise Rejected(CloseCode.not_allowed, "not a participant of this room")
        try:
            room = await self._live_room(room_id)
        except NotFound:
            raise Rejected(CloseCode.unknown_room, "unknown room") from None
        except Gone:
            raise Rejected(CloseCode.not_allowed, "room closed") from None
        user_id = claims["sub"]
        kicks = room.kick_count(user_id)
        allowed = await self.membership(room_id, user_id)
        if self.rooms.get(room_id) is not room:  # unloaded while we asked: its successor holds every kick
            room = await self._live_room(room_id)
        # A kick while we asked counts too, even of a token issued in the same second.
        if allowed is False or room.kick_count(user_id) != kicks or room.refuses(user_id, claims):
            raise Rejected(CloseCode.not_allowed, "not a participant of this room")
        peer = peer_factory(claims)
        peer.role = room.roles.get(peer.user_id, peer.role)
        room.add(peer)
        return room

    def leave(self, room: Room, peer: Peer, reason: str) -> None:
        """A socket closed; its room forgets it (it may already have, after a kick or replacement)."""
        room.remove(peer)
        self._deliver(self._disconnect_subscribers, UserDisconnected(room.room_id, peer.user_id, reason, utcnow()))

    # -- the registry ------------------------------------------------------------------------------------

    async def _live_room(self, room_id: str) -> Room:
        """Like _room, but the room is still registered when this returns (not unloaded while we waited)."""
        while True:
            room = await self._room(room_id)
            if self.rooms.get(room_id) is room:
                return room

    async def _room(self, room_id: str) -> Room:
        """The live room, loaded on first use; concurrent first uses share one load."""
        room = self.rooms.get(room_id)
        if room is not None:
            return room
        loading = self._loading.get(room_id)
        if loading is None:
            loading = asyncio.ensure_future(self._load(room_id))
            self._loading[room_id] = loading
            loading.add_done_callback(lambda _: self._loading.pop(room_id, None))
        return await asyncio.shield(loading)

    async def _load(self, room_id: str) -> Room:
        room = await self._build(room_id)
        self.rooms[room_id] = room
        return room

    async def _build(self, room_id: str) -> Room:
        unloading = self._unloading.get(room_id)
        if unloading:  # its last writes and compaction must land before we read them back
            await asyncio.shield(unloading)
        record = await self._record(room_id, allow_destroyed=False)
        s = self.settings
        inbound = TokenBucket(s.collab_room_bytes_per_sec, 2 * s.collab_max_message_bytes)
        every = s.collab_history_checkpoint_updates
        room = Room(record, self.records, self.update_log, s.collab_max_document_bytes, inbound, every)
        room.load(record.snapshot, await self.update_log.updates_after(room_id, record.snapshot_seq))
        room.seed_history(await self.history.tail(room_id))
        return room

    async def _record(self, room_id: str, allow_destroyed: bool) -> DocRecord:
        record = await self.records.record(room_id)
        if record is None:
            raise NotFound("no such collab document", "DOCUMENT_NOT_FOUND")
        if record.destroyed and not allow_destroyed:
            raise Gone("the collab document was destroyed", "DOCUMENT_CLOSED")
        return record

    def _unload(self, room_id: str) -> asyncio.Future[None]:
        """Take the room out of the registry now (no join can slip in), then retire it in the background."""
        room = self.rooms.pop(room_id)
        task = asyncio.ensure_future(self._retire(room))
        self._unloading[room_id] = task
        task.add_done_callback(lambda _: self._unloading.pop(room_id, None))
        return task

    async def _retire(self, room: Room) -> None:
        if room.changed_since_snapshot:
            self._deliver(self._snapshot_subscribers, room.snapshot("periodic"))
        await room.compact()

    # -- maintenance -------------------------------------------------------------------------------------

    async def _maintain(self) -> None:
        while True:
            await asyncio.sleep(self.settings.collab_tick_sec)
            try:
                await self._sweep(time.monotonic())
            except Exception:
                log.exception("collab maintenance failed")

    async def _sweep(self, now: float) -> None:
        """Unload idle rooms, start due compactions, take due periodic snapshots.

        The relay goes on meanwhile: the sweep yields to it after each snapshot and every SWEEP_ROOMS_PER_STEP
        rooms (in one go, 500 rooms cost 1 ms, and a tick with 50 snapshots 6 to 12 ms: at 350 updates/s that
        put updates waiting behind it into the relay's p99). Periodic snapshots are taken SNAPSHOTS_PER_TICK at a
        time: rooms loaded together fall due together; spread once, they stay spread.
        """
        s = self.settings
        self._expire_history(now)
        snapshots = 0
        for index, (room_id, room) in enumerate(list(self.rooms.items())):
            if index % SWEEP_ROOMS_PER_STEP == 0:
                await asyncio.sleep(0)
            if self.rooms.get(room_id) is not room:  # unloaded (or reloaded) while the sweep yielded
                continue
            if not room.peers and room.inflight == 0 and now - room.idle_since >= s.collab_unload_seconds:
                self._tasks.spawn(self._unload(room_id))
                continue
            if room.needs_compaction(s.collab_compact_updates, s.collab_compact_seconds, now):
                self._tasks.spawn(room.compact())
            due = room.changed_since_snapshot and now - room.last_snapshot_at >= s.collab_snapshot_interval_sec
            if due and snapshots < SNAPSHOTS_PER_TICK:
                snapshots += 1
                self._deliver(self._snapshot_subscribers, room.snapshot("periodic"))
                await asyncio.sleep(0)

    def _expire_history(self, now: float) -> None:
        """Now and then, delete the history older than the retention (in the background)."""
        if now < self._next_history_sweep or (self._history_sweep and not self._history_sweep.done()):
            return
        retention = self.settings.collab_history_days * 86400
        self._next_history_sweep = now + min(HISTORY_SWEEP_SECONDS, retention / 10)
        self._history_sweep = self._tasks.spawn(self.history.expire(utcnow() - timedelta(seconds=retention)))


def initial_state(content: dict[str, str], snapshot: bytes | None) -> bytes:
    """The first state of a document: a given Yjs snapshot, and/or one Y.Text('code:<language>') per language."""
    doc = Doc()
    if snapshot is not None:
        try:
            get_state(snapshot)
            doc.apply_update(snapshot)
        except ValueError:
            raise ValidationFailed("snapshot is not a Yjs update", details={"snapshot": "not a Yjs update"}) from None
    for language, text in content.items():
        code = doc.get(f"code:{language}", type=Text)
        if not str(code):
            code += text
    return doc.get_update()
