"""One live collab room: the authoritative Yjs document, awareness, and the sockets connected to it.

Each update it accepts is logged with its time (the room's clock: ms, never going back, and a snapshot's time lies
strictly between the updates it holds and those after it) and its author. It queues a checkpoint of its state, with
the updates since the last one, for the history (realtime/history.py) every `checkpoint_every` updates (or
CHECKPOINT_BYTES of them), before it compacts and before its document is destroyed. It keeps who edited since its
last snapshot.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any, Protocol

from pycrdt import Awareness, Doc, Map, Text, get_state

from realtime import protocol
from realtime.history import CHECKPOINT_BYTES, Tail, checkpoint_entry
from realtime.protocol import Frame, ProtocolError
from realtime.records import DocRecord, DocumentRecords, Kick
from realtime.updatelog import EPOCH, Edit, UpdateLog, now_ms
from realtime.wsbase import TokenBucket
from syncode.collab import SnapshotReady
from syncode.enums import CloseCode, Role

log = logging.getLogger("syncode.collab")

READ_ONLY_ROLES = frozenset({Role.observer})


class DocumentTooLarge(Exception):
    """A client's update would grow the document past its cap; it is neither stored nor applied."""


class Peer(Protocol):
    """What a room needs from a connection (implemented by the WebSocket handler)."""

    user_id: str
    role: str
    jti: str

    def send(self, message: bytes) -> None: ...

    def close_with(self, code: int, reason: str) -> None: ...


class Room:
    def __init__(
        self,
        record: DocRecord,
        records: DocumentRecords,
        update_log: UpdateLog,
        max_bytes: int,
        inbound: TokenBucket,
        checkpoint_every: int = 500,
    ) -> None:
        self.room_id = record.room_id
        self.records = records  # compactions write the snapshot there
        self.update_log = update_log  # every update is appended to it before it is applied
        self.max_bytes = max_bytes
        self.inbound = inbound  # bytes per second all of the room's connections may send
        self.size = 0  # bytes of the snapshot plus the log since: at least the document's encoded size
        self.locked = record.locked
        self.language = record.language
        self.kicks = record.kicks
        self.roles = record.roles  # user id -> role, overriding the role claim of their tokens
        self.doc = Doc()
        self.awareness = Awareness(self.doc)
        self.awareness.set_local_state(None)  # the server itself has no presence
        self.awareness.observe(self._track_awareness_clients)
        self.peers: dict[Peer, set[int]] = {}  # peer -> awareness client ids it controls
        self.next_seq = record.snapshot_seq + 1
        self.applied_seq = record.snapshot_seq  # updates up to here are in self.doc (applied in seq order)
        self.compacted_seq = record.snapshot_seq
        self.inflight = 0  # updates queued for the log but not applied yet
        self.first_uncompacted_at: float | None = None
        self.changed_since_snapshot = False
        self.last_snapshot_at = time.monotonic()
        self.idle_since = time.monotonic()
        self._compaction = asyncio.Lock()  # snapshots must land in seq order: one compaction at a time
        self.checkpoint_every = checkpoint_every
        self.checkpoint_seq: int | None = None  # of the history's last checkpoint (seed_history says)
        self.editors: list[str] = []  # every author of the document so far, in order of first edit
        self.recent_editors: list[str] = []  # those since the last snapshot
        self.pending: list[Edit] = []  # the updates since the last checkpoint, its chunk
        self.pending_bytes = 0
        self.next_ms = 0  # the earliest time the next update may be logged at (the room's clock)

    def load(self, snapshot: bytes, log_entries: list[Edit]) -> None:
        """Rebuild the document from the snapshot plus the log entries written after it."""
        if snapshot != protocol.EMPTY_UPDATE:
            self.doc.apply_update(snapshot)
        self.size = len(snapshot) + sum(len(edit[3]) for edit in log_entries)
        self.pending = list(log_entries)  # seed_history keeps those after the last checkpoint
        for seq, _, _, update in log_entries:
            try:
                self.doc.apply_update(update)
            except ValueError:
                log.error("skipping undecodable logged update", extra={"roomId": self.room_id, "seq": seq})
            self.applied_seq = self.next_seq = seq
            self.next_seq += 1
        if log_entries:
            self.first_uncompacted_at = time.monotonic()

    def seed_history(self, tail: Tail) -> None:
        """Go on from the history's last checkpoint (after load): the logged updates after it are the next chunk.
        A document without a checkpoint (from before histories were kept) gets one now."""
        self.editors, self.checkpoint_seq = list(tail.editors), tail.checkpoint_seq
        after = self.checkpoint_seq if self.checkpoint_seq is not None else self.applied_seq
        self.pending = [edit for edit in self.pending if edit[0] > after]
        self.pending_bytes = sum(len(edit[3]) for edit in self.pending)
        for _, at_ms, author, _ in self.pending:
            self.next_ms = max(self.next_ms, at_ms)
            self.editors += [author] if author and author not in self.editors else []
        self.next_ms = max(self.next_ms, tail.at_ms)
        if self.checkpoint_seq is None:
            self._checkpoint(self._clock())

    # -- membership --------------------------------------------------------------------------------------

    def refuses(self, user_id: str, claims: dict[str, Any]) -> bool:
        return any(kick.refuses(claims) for kick in self.kicks.get(user_id, []))

    def add(self, peer: Peer) -> None:
        """Attach a peer, replacing an older connection of the same user, and start the sync handshake."""
        for old in [p for p in self.peers if p.user_id == peer.user_id]:
            old.close_with(CloseCode.replaced, "replaced by a newer connection")
            self.remove(old)
        self.peers[peer] = set()
        peer.send(protocol.sync_step1(self.doc.get_state()))
        if self.awareness.states:
            peer.send(protocol.awareness(self.awareness.encode_awareness_update(list(self.awareness.states))))

    def remove(self, peer: Peer) -> None:
        """Detach a peer and tell the others its presence is gone."""
        client_ids = self.peers.pop(peer, None)
        if not self.peers:
            self.idle_since = time.monotonic()
        if not client_ids:
            return
        self.awareness.remove_awareness_states(list(client_ids), peer)
        self._broadcast(protocol.awareness(self.awareness.encode_awareness_update(list(client_ids))))

    def peers_of(self, user_id: str) -> list[Peer]:
        return [p for p in self.peers if p.user_id == user_id]

    def close_all(self, code: int, reason: str) -> int:
        peers = list(self.peers)
        for peer in peers:
            peer.close_with(code, reason)
            self.remove(peer)
        return len(peers)

    def kick_count(self, user_id: str) -> int:
        return len(self.kicks.get(user_id, ()))

    def add_kick(self, user_id: str, kick: Kick) -> None:
        self.kicks.setdefault(user_id, []).append(kick)

    def read_only(self, peer: Peer) -> bool:
        return self.locked or peer.role in READ_ONLY_ROLES

    # -- messages ----------------------------------------------------------------------------------------

    async def handle(self, peer: Peer, frame: Frame) -> None:
        if peer not in self.peers:  # kicked, replaced or dropped: frames still in flight change nothing
            return
        if frame.kind == protocol.SYNC and frame.step == protocol.STEP1:
            peer.send(protocol.sync_step2(self._diff(frame.payload)))
        elif frame.is_document_update:
            if not self.read_only(peer):
                await self._accept_update(peer, frame.payload)
        elif frame.kind == protocol.AWARENESS:
            self._apply_awareness(peer, frame.payload)
        elif frame.kind == protocol.QUERY_AWARENESS:
            peer.send(protocol.awareness(self.awareness.encode_awareness_update(list(self.awareness.states))))

    def _diff(self, state_vector: bytes) -> bytes:
        try:
            return self.doc.get_update(state_vector)
        except ValueError as exc:
            raise ProtocolError("bad state vector") from exc

    async def _accept_update(self, sender: Peer, update: bytes) -> None:
        if update == protocol.EMPTY_UPDATE:
            return
        try:
            get_state(update)  # decodes the whole update: a malformed one must never reach the log
        except ValueError as exc:
            raise ProtocolError("undecodable update") from exc
        self._check_size(len(update))
        before = await self._commit(update, sender)
        if update[0] != 0 and protocol.state_vector(self.doc.get_state()) == protocol.state_vector(before):
            # It carries items yet nothing integrated: they build on edits we dropped (typed while read-only).
            # Ask the sender for what we lack; its answer is judged by the rules in force now.
            sender.send(protocol.sync_step1(before))

    def _check_size(self, incoming: int) -> None:
        if self.size + incoming <= self.max_bytes:
            return
        self.size = len(self.doc.get_update())  # the log overstates it (edits supersede each other): measure
        if self.size + incoming > self.max_bytes:
            raise DocumentTooLarge(f"the document may not grow past {self.max_bytes} bytes")

    async def edit(self, change: Callable[[Doc], None]) -> None:
        """A change made by the server itself (new starter code, active language), committed like a client's."""
        draft = Doc()
        draft.apply_update(self.doc.get_update())
        change(draft)
        update = draft.get_update(self.doc.get_state())
        if update != protocol.EMPTY_UPDATE:
            await self._commit(update, None)

    async def _commit(self, update: bytes, sender: Peer | None) -> bytes:
        """Persist, then apply and relay: nobody sees an update that is not in the log. Returns the prior state."""
        seq, at_ms, author = self.next_seq, self._clock(), sender.user_id if sender else None
        self.next_seq += 1
        self.inflight += 1
        try:
            await self.update_log.append(self.room_id, seq, update, at_ms, author)
        finally:
            self.inflight -= 1
        before = self.doc.get_state()
        self.doc.apply_update(update)
        self.size += len(update)
        self.applied_seq = seq
        self.changed_since_snapshot = True
        if self.first_uncompacted_at is None:
            self.first_uncompacted_at = time.monotonic()
        self._broadcast(protocol.sync_update(update), exclude=sender)
        self._edited((seq, at_ms, author, update))
        return before

    def _edited(self, edit: Edit) -> None:
        seq, at_ms, author, update = edit
        self.pending.append(edit)
        self.pending_bytes += len(update)
        if author is not None:
            if author not in self.editors:
                self.editors.append(author)
            if author not in self.recent_editors:
                self.recent_editors.append(author)
        if seq - (self.checkpoint_seq or 0) >= self.checkpoint_every or self.pending_bytes >= CHECKPOINT_BYTES:
            self._checkpoint(at_ms)

    def checkpoint(self) -> None:
        """Queue a checkpoint of the updates since the last (none without any), before compacting or destroying."""
        if self.pending:
            self._checkpoint(max(edit[1] for edit in self.pending) or self._clock())

    def _checkpoint(self, at_ms: int) -> None:
        """Queue the state as of applied_seq (its last update was logged at `at_ms`) for the history."""
        state, language = self.doc.get_update(), self.active_language
        entry = checkpoint_entry(
            self.room_id, self.applied_seq, state, at_ms, self.editors, language, self.checkpoint_seq, self.pending
        )
        self.update_log.checkpoint(entry)
        self.checkpoint_seq, self.pending, self.pending_bytes = self.applied_seq, [], 0

    def _clock(self) -> int:
        """Now in ms, never before the room's last logged update."""
        self.next_ms = max(now_ms(), self.next_ms)
        return self.next_ms

    def _apply_awareness(self, peer: Peer, update: bytes) -> None:
        try:
            self.awareness.apply_awareness_update(update, peer)
        except (ValueError, RuntimeError, IndexError) as exc:  # bad JSON or truncated varints
            raise ProtocolError("bad awareness update") from exc
        # Like the reference server, echo to everyone: a lone client's own renewals keep its
        # connection-liveness timer from firing.
        self._broadcast(protocol.awareness(update))

    def _track_awareness_clients(self, topic: str, change: tuple[dict[str, list[int]], Any]) -> None:
        if topic != "update":
            return
        changes, origin = change
        client_ids = self.peers.get(origin)
        if client_ids is None:
            return
        client_ids.update(changes["added"], changes["updated"])
        client_ids.difference_update(changes["removed"])

    def _broadcast(self, message: bytes, exclude: Peer | None = None) -> None:
        for peer in list(self.peers):
            if peer is not exclude:
                peer.send(message)

    # -- state -------------------------------------------------------------------------------------------

    @property
    def active_language(self) -> str:
        chosen = self.doc.get("meta", type=Map).get("language")
        return chosen if isinstance(chosen, str) and chosen else self.language

    def snapshot(self, trigger: str, language: str | None = None) -> SnapshotReady:
        """The document now, with its time on the room's clock (the next update is logged strictly after it) and
        who edited since the previous snapshot."""
        language = language or self.active_language
        self.changed_since_snapshot = False
        self.last_snapshot_at = time.monotonic()
        at_ms = self._clock()
        self.next_ms = at_ms + 1
        editors, self.recent_editors = tuple(self.recent_editors), []
        state, timestamp = self.doc.get_update(), EPOCH + timedelta(milliseconds=at_ms)
        return SnapshotReady(self.room_id, trigger, language, self.code(language), state, timestamp, editors)

    def code(self, language: str) -> str:
        name = f"code:{language}"
        if name not in self.doc:
            return ""
        return str(self.doc.get(name, type=Text))

    def needs_compaction(self, max_updates: int, max_age: float, now: float) -> bool:
        if self._compaction.locked() or self.applied_seq == self.compacted_seq:
            return False
        age = now - (self.first_uncompacted_at or now)
        return self.applied_seq - self.compacted_seq >= max_updates or age >= max_age

    async def compact(self) -> None:
        """Fold the log into a snapshot. Everything up to applied_seq is in the doc, so it is covered."""
        async with self._compaction:
            upto, state = self.applied_seq, self.doc.get_update()
            if upto == self.compacted_seq:
                return
            self.checkpoint()  # what compaction deletes from the log is in the history first (its drain waits)
            await self.records.compact(self.room_id, state, upto)
            self.compacted_seq = upto
            if upto == self.applied_seq:
                self.size = len(state)
            self.first_uncompacted_at = time.monotonic() if self.applied_seq > upto else None
