"""LiveKit through the official `livekit-api` package: access tokens, live permissions (room service), room-composite
egress into object storage, webhook verification and a reachability probe.

`LiveKit` talks to the server named by SYNCODE_LIVEKIT_URL; `Unconfigured` stands in without it, and every call
then answers 503 MEDIA_NOT_CONFIGURED. A server that cannot be reached, or refuses a call, is 503 MEDIA_UNAVAILABLE.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol, TypeVar

import aiohttp
from livekit import api as lk

from config import Settings
from syncode.errors import ServiceUnavailable, Unauthorized
from syncode.services.blobs import S3Target

T = TypeVar("T")
CALL_TIMEOUT_SEC = 5.0
GONE = frozenset({"not_found"})  # the participant is not connected, or the egress is unknown
ENDED = frozenset({"not_found", "failed_precondition"})  # stopping an egress that ended already


@dataclass(frozen=True)
class MediaGrant:
    """What one participant may do in the LiveKit room."""

    room: str
    identity: str
    name: str
    publish: bool  # camera and microphone
    publish_data: bool


class MediaGateway(Protocol):
    configured: bool
    url: str

    def require(self) -> None: ...

    def token(self, grant: MediaGrant, ttl: timedelta) -> str: ...

    async def set_permissions(self, grant: MediaGrant) -> bool: ...

    async def remove(self, room: str, identity: str) -> None: ...

    async def start_recording(self, room: str, key: str, target: S3Target) -> str: ...

    async def stop_recording(self, egress_id: str) -> None: ...

    def webhook(self, body: bytes, authorization: str) -> lk.WebhookEvent: ...

    async def ping(self) -> None: ...

    async def close(self) -> None: ...


def build_gateway(settings: Settings) -> MediaGateway:
    if not settings.media_enabled:
        return Unconfigured()
    return LiveKit(settings.livekit_url, settings.livekit_api_key, settings.livekit_api_secret)


def unavailable(why: str) -> ServiceUnavailable:
    return ServiceUnavailable(f"LiveKit {why}", "MEDIA_UNAVAILABLE")


class LiveKit:
    configured = True

    def __init__(self, url: str, api_key: str, api_secret: str) -> None:
        self.url = url
        self._key = api_key
        self._secret = api_secret
        self._api: lk.LiveKitAPI | None = None  # opened on the first call, inside the event loop
        self._webhooks = lk.WebhookReceiver(lk.TokenVerifier(api_key, api_secret))

    def require(self) -> None:
        pass

    def _client(self) -> lk.LiveKitAPI:
        if self._api is None:
            timeout = aiohttp.ClientTimeout(total=CALL_TIMEOUT_SEC)
            self._api = lk.LiveKitAPI(self.url, self._key, self._secret, timeout=timeout, failover=False)
        return self._api

    async def _call(self, call: Awaitable[T], ignore: frozenset[str] = frozenset()) -> T | None:
        """The call's answer; None when LiveKit refused it with one of the `ignore` codes."""
        try:
            return await call
        except lk.ServerError as exc:
            if exc.code in ignore:
                return None
            raise unavailable(f"refused the call: {exc.code} {exc.message}".strip()) from None
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise unavailable(f"unreachable ({type(exc).__name__})") from None

    def token(self, grant: MediaGrant, ttl: timedelta) -> str:
        video = lk.VideoGrants(
            room_join=True,
            room=grant.room,
            can_publish=grant.publish,
            can_subscribe=True,
            can_publish_data=grant.publish_data,
        )
        token = lk.AccessToken(self._key, self._secret).with_identity(grant.identity).with_name(grant.name)
        return token.with_grants(video).with_ttl(ttl).to_jwt()

    async def set_permissions(self, grant: MediaGrant) -> bool:
        """The participant's live permissions; False when they are not in the LiveKit room (their next token
        carries the change)."""
        permission = lk.ParticipantPermission(
            can_subscribe=True, can_publish=grant.publish, can_publish_data=grant.publish_data
        )
        request = lk.UpdateParticipantRequest(room=grant.room, identity=grant.identity, permission=permission)
        return await self._call(self._client().room.update_participant(request), GONE) is not None

    async def remove(self, room: str, identity: str) -> None:
        request = lk.RoomParticipantIdentity(room=room, identity=identity)
        await self._call(self._client().room.remove_participant(request), GONE)

    async def start_recording(self, room: str, key: str, target: S3Target) -> str:
        """A room-composite egress writing one MP4 file to `key` of the bucket; its egress id."""
        upload = lk.S3Upload(
            access_key=target.access_key,
            secret=target.secret,
            region=target.region,
            endpoint=target.endpoint,
            bucket=target.bucket,
            force_path_style=target.force_path_style,
        )
        output = lk.EncodedFileOutput(file_type=lk.EncodedFileType.MP4, filepath=key, s3=upload)
        request = lk.RoomCompositeEgressRequest(room_name=room, layout="grid", file_outputs=[output])
        info = await self._call(self._client().egress.start_room_composite_egress(request))
        assert info is not None
        return info.egress_id

    async def stop_recording(self, egress_id: str) -> None:
        await self._call(self._client().egress.stop_egress(lk.StopEgressRequest(egress_id=egress_id)), ENDED)

    def webhook(self, body: bytes, authorization: str) -> lk.WebhookEvent:
        """The event, if LiveKit signed it: a token made with the API secret, over the body's sha256."""
        token = authorization.removeprefix("Bearer ").strip()
        try:
            return self._webhooks.receive(body.decode("utf-8"), token)
        except Exception:  # a bad token, another body, or no valid event: all one answer
            raise Unauthorized("the webhook's signature does not verify", "WEBHOOK_SIGNATURE_INVALID") from None

    async def ping(self) -> None:
        request = lk.ListRoomsRequest(names=["syncode-health"])
        await self._call(asyncio.wait_for(self._client().room.list_rooms(request), 2))

    async def close(self) -> None:
        if self._api is not None:
            await self._api.aclose()
            self._api = None


class Unconfigured:
    """No LiveKit: the media endpoints answer 503 MEDIA_NOT_CONFIGURED."""

    configured = False
    url = ""

    def require(self) -> None:
        raise ServiceUnavailable(
            "audio, video and recording need LiveKit (SYNCODE_LIVEKIT_URL, _API_KEY and _API_SECRET)",
            "MEDIA_NOT_CONFIGURED",
        )

    def token(self, grant: MediaGrant, ttl: timedelta) -> str:
        self.require()
        return ""

    async def set_permissions(self, grant: MediaGrant) -> bool:
        return False

    async def remove(self, room: str, identity: str) -> None:
        pass

    async def start_recording(self, room: str, key: str, target: S3Target) -> str:
        self.require()
        return ""

    async def stop_recording(self, egress_id: str) -> None:
        self.require()

    def webhook(self, body: bytes, authorization: str) -> lk.WebhookEvent:
        self.require()
        return lk.WebhookEvent()

    async def ping(self) -> None:
        self.require()

    async def close(self) -> None:
        pass
