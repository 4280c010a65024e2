"""/api/rooms/{roomId}/media/* (LiveKit tokens, recording consent, recordings) and LiveKit's webhook."""

from __future__ import annotations

from handlers.base import BaseHandler, operation
from syncode.models.media import (
    ConsentRequest,
    ConsentState,
    MediaToken,
    RecordingStarted,
    RecordingState,
    WebhookAck,
)

NOT_CONFIGURED = "503 MEDIA_NOT_CONFIGURED without LiveKit (SYNCODE_LIVEKIT_*); 503 MEDIA_UNAVAILABLE when it is down."


class MediaTokenHandler(BaseHandler):
    @operation(
        summary="Generate LiveKit access token",
        tag="Media",
        response=MediaToken,
        errors=(403, 404, 409, 503),
        description="For the room's participants (kicked users and others: 403; a finished room: 409). The LiveKit "
        "room is named by the room id, the identity is the user id. Interviewers and candidates publish and "
        "subscribe, observers subscribe only, a muted participant cannot publish (muting someone changes their "
        "live permission at once). The token lasts as long as the room's remaining time (at least 5 minutes). "
        + NOT_CONFIGURED,
    )
    async def post(self, roomId: str) -> None:
        self.respond(await self.ctx.media.token(self.user, roomId))


class ConsentHandler(BaseHandler):
    @operation(
        summary="Record participant's recording consent",
        tag="Media",
        request=ConsentRequest,
        response=ConsentState,
        errors=(400, 403, 404, 409, 503),
        description="Each participant answers for themself; withdrawing consent stops a running recording. Pushed "
        "as `recording.consent` {userId, consent}. " + NOT_CONFIGURED,
    )
    async def post(self, roomId: str) -> None:
        consent = self.body(ConsentRequest).consent
        self.respond(await self.ctx.media.consent(self.user, roomId, consent))


class RecordingStartHandler(BaseHandler):
    @operation(
        summary="Start session recording",
        tag="Media",
        response=RecordingStarted,
        status=202,
        errors=(403, 404, 409, 503),
        description="Host or interviewer. A room-composite egress writes an MP4 file to the object storage; "
        "`recording.started` follows, `recording.ready` once the file is complete (then GET "
        "/sessions/{id}/recording). 409 RECORDING_CONSENT_MISSING with `details.missing` (user ids) until every "
        "participant in the room consented; 409 RECORDING_IN_PROGRESS, RECORDING_DISABLED (the room's "
        "recordingEnabled is off), RECORDING_TOO_EARLY (no session before warmup), ROOM_FINISHED; 503 "
        "RECORDING_STORAGE_UNAVAILABLE without S3 storage. " + NOT_CONFIGURED,
    )
    async def post(self, roomId: str) -> None:
        self.respond(RecordingStarted(recording_id=await self.ctx.media.start_recording(self.user, roomId)))


class RecordingStopHandler(BaseHandler):
    @operation(
        summary="Stop session recording",
        tag="Media",
        response=RecordingState,
        errors=(403, 404, 409, 503),
        description="Host or interviewer; 409 RECORDING_NOT_RUNNING. The status is `stopping` until LiveKit "
        "reports the file complete (`recording.ready`). Finishing the room stops its recording too. " + NOT_CONFIGURED,
    )
    async def post(self, roomId: str) -> None:
        self.respond(await self.ctx.media.stop_recording(self.user, roomId))


class LiveKitWebhookHandler(BaseHandler):
    @operation(
        summary="LiveKit webhook",
        tag="Media",
        response=WebhookAck,
        errors=(401, 503),
        auth=False,
        description="Called by LiveKit: the `Authorization` header is a token signed with the API secret over the "
        "body's sha256 (401 WEBHOOK_SIGNATURE_INVALID otherwise). The end of an egress records the recording's "
        "duration and size.",
    )
    async def post(self) -> None:
        await self.ctx.media.webhook(self.request.body, self.request.headers.get("Authorization", ""))
        self.respond(WebhookAck())
