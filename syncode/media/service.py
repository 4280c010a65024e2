"""Media in rooms (API.md, Media): LiveKit tokens by role, live publish permissions, recording consent, and
recordings: start and stop, the egress webhook, a finished room's recording stopped; with their events on the bus
(`recording.*`) and their session timeline entries.

The LiveKit room of a SynCode room is named by the room's id and its participants by their user ids. Interviewers and
candidates publish and subscribe, observers only subscribe, a muted participant cannot publish. Recording needs
every participant present in the room to have consented, S3-compatible object storage for the egress to write to,
the room's `recordingEnabled` setting and a running session. Each room command here runs under the room's media lock.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from livekit import api as lk

from config import Settings
from syncode.clock import utcnow
from syncode.enums import PHASES, Role
from syncode.errors import Conflict, ServiceUnavailable
from syncode.events import Event, EventBus
from syncode.media.livekit import MediaGateway, MediaGrant
from syncode.models.media import ConsentState, MediaToken, RecordingState
from syncode.rooms import RoomRepository, RoomService
from syncode.rooms.rules import Room, member, present
from syncode.services import room_timer
from syncode.services.auth import Principal
from syncode.services.blobs import BlobStore, S3Target
from syncode.services.permissions import Cap
from syncode.services.recordings import Recording, RecordingStore
from syncode.sessions.recorder import SessionRecorder

log = logging.getLogger("syncode.media")
MIN_TOKEN_SEC = 300  # a room past its time is still live: its tokens last this long at least
FINISHED_EGRESS = {lk.EgressStatus.EGRESS_COMPLETE, lk.EgressStatus.EGRESS_LIMIT_REACHED}


def grant_of(room: Room, participant: dict[str, Any]) -> MediaGrant:
    speaker = participant["role"] != Role.observer
    return MediaGrant(
        room=room["_id"],
        identity=participant["userId"],
        name=participant.get("displayName") or participant["username"],
        publish=speaker and not participant.get("isMuted"),
        publish_data=speaker,
    )


def room_time_left(room: Room, now: datetime) -> int:
    """Seconds left of the current phase and of the timed phases after it."""
    durations = room["config"]["durations"]
    left = room_timer.view(room["timer"], durations, now).remaining_sec or 0
    later = PHASES[PHASES.index(room["status"]) + 1 :]
    return left + sum(room_timer.duration_sec(phase, durations) or 0 for phase in later)


def token_ttl(room: Room, now: datetime, longest: int) -> timedelta:
    return timedelta(seconds=max(MIN_TOKEN_SEC, min(longest, room_time_left(room, now))))


class MediaService:
    def __init__(
        self,
        settings: Settings,
        livekit: MediaGateway,
        rooms: RoomService,
        room_repo: RoomRepository,
        recorder: SessionRecorder,
        recordings: RecordingStore,
        blobs: BlobStore,
        bus: EventBus,
    ) -> None:
        self.settings = settings
        self.livekit = livekit
        self.rooms = rooms
        self.room_repo = room_repo
        self.recorder = recorder
        self.recordings = recordings
        self.blobs = blobs
        self.bus = bus
        self._locks: dict[str, asyncio.Lock] = defaultdict(asyncio.Lock)

    async def close(self) -> None:
        await self.livekit.close()

    def _publish(self, room_id: str | None, type_: str, data: dict[str, Any], user_ids: tuple[str, ...] = ()) -> None:
        self.bus.publish(Event(type_, data, room_id=room_id, user_ids=user_ids))

    # -- tokens and live permissions -------------------------------------------------------------------------

    async def token(self, principal: Principal, room_id: str) -> MediaToken:
        self.livekit.require()
        room = await self.rooms.live_access(principal, room_id, Cap.media)  # kicked and outsiders are not members
        me = member(room, principal.id)
        assert me is not None  # Cap.media is a member's
        now = utcnow()
        ttl = token_ttl(room, now, self.settings.livekit_token_ttl_sec)
        return MediaToken(
            token=self.livekit.token(grant_of(room, me), ttl),
            url=self.livekit.url,
            room_name=room_id,
            identity=principal.id,
            expires_at=now + ttl,
        )

    async def permissions_changed(self, room: Room, user_id: str) -> None:
        """A participant's role or mute changed: what they may publish changes in the live call at once."""
        participant = member(room, user_id)
        if not self.livekit.configured or participant is None:
            return
        await self.livekit.set_permissions(grant_of(room, participant))

    async def participant_kicked(self, event: Event) -> None:
        """A kicked participant leaves the call too (their tokens are refused from now on)."""
        if self.livekit.configured and event.room_id:
            await self.livekit.remove(event.room_id, event.data["userId"])

    # -- consent ---------------------------------------------------------------------------------------------

    async def consent(self, principal: Principal, room_id: str, consent: bool) -> ConsentState:
        """Record the caller's answer; withdrawing it stops a running recording."""
        self.livekit.require()
        async with self._locks[room_id]:
            await self.rooms.live_access(principal, room_id, Cap.media)
            now = utcnow()
            await self.recordings.set_consent(room_id, principal.id, consent, now)
            self._publish(room_id, "recording.consent", {"userId": principal.id, "consent": consent})
            running = None if consent else await self.recordings.active(room_id)
            if running:
                await self._stop(room_id, running, principal.id, "consent_withdrawn")
        return ConsentState(user_id=principal.id, consent=consent, at=now)

    # -- recordings ------------------------------------------------------------------------------------------

    async def start_recording(self, principal: Principal, room_id: str) -> str:
        self.livekit.require()
        async with self._locks[room_id]:
            room = await self.rooms.live_access(principal, room_id, Cap.record)
            target = await self._recordable(room)
            recording = await self.recordings.create(room_id, room["sessionId"], principal.id)
            if recording is None:
                raise Conflict("this room is being recorded already", "RECORDING_IN_PROGRESS")
            try:
                egress_id = await self.livekit.start_recording(room_id, recording["key"], target)
            except Exception as exc:
                await self.recordings.end(recording["_id"], "failed", "egress_not_started", principal.id, str(exc))
                raise
            await self.recordings.attach(recording["_id"], egress_id)
            data = {"recordingId": recording["_id"], "startedBy": principal.id}
            await self.recorder.event(room["sessionId"], "recording_started", principal.id, data)
            self._publish(room_id, "recording.started", data)
            return recording["_id"]

    async def _recordable(self, room: Room) -> S3Target:
        """Where the egress writes, once everything a recording needs is there (409 or 503 otherwise)."""
        if not room["config"].get("recordingEnabled"):
            raise Conflict("recording is off in this room's settings (recordingEnabled)", "RECORDING_DISABLED")
        if not room.get("sessionId"):
            raise Conflict("recording starts with the session: move the room to warmup first", "RECORDING_TOO_EARLY")
        if await self.recordings.active(room["_id"]):
            raise Conflict("this room is being recorded already", "RECORDING_IN_PROGRESS")
        consents = await self.recordings.consents(room["_id"])
        missing = [p for p in present(room) if not consents.get(p["userId"])]
        if missing:
            names = ", ".join(p.get("displayName") or p["username"] for p in missing)
            raise Conflict(
                f"every participant must consent to recording first; not yet: {names}",
                "RECORDING_CONSENT_MISSING",
                {"missing": [p["userId"] for p in missing]},
            )
        target = self.blobs.egress_target()
        if target is None:
            raise ServiceUnavailable(
                "recording needs S3-compatible object storage (SYNCODE_S3_*)", "RECORDING_STORAGE_UNAVAILABLE"
            )
        return target

    async def stop_recording(self, principal: Principal, room_id: str) -> RecordingState:
        self.livekit.require()
        async with self._locks[room_id]:
            await self.rooms.access(principal, room_id, Cap.record)
            running = await self.recordings.active(room_id)
            if running is None:
                raise Conflict("this room is not being recorded", "RECORDING_NOT_RUNNING")
            status = await self._stop(room_id, running, principal.id, "stopped")
            return RecordingState(recording_id=running["_id"], status=status)

    async def _stop(self, room_id: str, running: Recording, actor_id: str | None, reason: str) -> str:
        """Stop the egress (it then writes the rest of the file; the webhook says when it is done)."""
        if running.get("egressId"):
            await self.livekit.stop_recording(running["egressId"])
        stopped = await self.recordings.end(running["_id"], "stopping", reason, actor_id)
        if stopped is None:  # the egress ended meanwhile (webhook)
            return "stopping"
        await self._stopped(room_id, stopped, actor_id, reason)
        return stopped["status"]

    async def _stopped(self, room_id: str, recording: Recording, actor_id: str | None, reason: str) -> None:
        data = {"recordingId": recording["_id"], "reason": reason, "stoppedBy": actor_id}
        await self.recorder.event(recording["sessionId"], "recording_stopped", actor_id, data)
        self._publish(room_id, "recording.stopped", data)

    async def room_finished(self, event: Event) -> None:
        """Finishing a room stops its recording."""
        if event.room_id:
            await self._stop_for(event.room_id, "room_finished")

    async def participant_joined(self, event: Event) -> None:
        """Someone who has not consented joins a room being recorded: the recording stops."""
        if event.room_id and event.data.get("joined"):
            await self._stop_for(event.room_id, "consent_missing", newcomer=event.data["userId"])

    async def _stop_for(self, room_id: str, reason: str, newcomer: str | None = None) -> None:
        async with self._locks[room_id]:
            running = await self.recordings.active(room_id)
            if running is None or (newcomer and (await self.recordings.consents(room_id)).get(newcomer)):
                return
            try:
                await self._stop(room_id, running, None, reason)
            except ServiceUnavailable as exc:
                log.error(f"recording not stopped ({reason}): {exc.message}", extra={"roomId": room_id})

    # -- the egress webhook ----------------------------------------------------------------------------------

    async def webhook(self, body: bytes, authorization: str) -> None:
        """A LiveKit webhook (401 unless signed with our API secret). Only the end of an egress matters here."""
        event = self.livekit.webhook(body, authorization)
        if event.event == "egress_ended":
            await self._egress_ended(event.egress_info)

    async def _egress_ended(self, info: lk.EgressInfo) -> None:
        file = info.file_results[0] if info.file_results else None
        ready = info.status in FINISHED_EGRESS and file is not None
        duration = round(file.duration / 1e9) if file else None  # nanoseconds
        size = int(file.size) if file else None
        before = await self.recordings.finish(info.egress_id, ready, duration, size, info.error or None)
        if before is None:
            return  # not ours, or told twice
        if before.get("active"):  # LiveKit ended it on its own: the room emptied, a limit, a failure
            await self._stopped(before["roomId"], before, None, "egress_ended")
        room = await self.room_repo.read(before["roomId"])
        everyone = tuple(p["userId"] for p in (room or {}).get("participants", []))
        data = {"recordingId": before["_id"], "roomId": before["roomId"], "sessionId": before["sessionId"]}
        if ready:
            await self.recorder.recording_ready(before["sessionId"], before["_id"], duration)
            await self.recorder.event(before["sessionId"], "recording_ready", None, {**data, "durationSec": duration})
            self._publish(None, "recording.ready", {**data, "durationSec": duration, "sizeBytes": size}, everyone)
        else:
            self._publish(None, "recording.failed", {**data, "error": info.error}, everyone)

    # -- health ----------------------------------------------------------------------------------------------

    async def health(self) -> dict[str, Any]:
        if not self.livekit.configured:
            return {"status": "disabled", "detail": "LiveKit not configured"}
        started = time.perf_counter()
        try:
            await self.livekit.ping()
        except ServiceUnavailable as exc:
            return {"status": "degraded", "detail": exc.message}
        latency = round((time.perf_counter() - started) * 1000, 2)
        return {"status": "ok", "latencyMs": latency, "detail": f"LiveKit at {self.livekit.url}"}
