"""Media against real loopback servers: a LiveKit speaking Twirp that checks each call's signed token and grant, and
moto in server mode (behind the presigned-URL gate) for recordings. Tokens and grants by role, live permissions on
mute, consent rules, egress start and stop, the signed webhook, the recording link; and 503 without LiveKit."""

from __future__ import annotations

import time
from dataclasses import dataclass

import jwt
import pytest
from livekit import api as lk

from tests.collab.conftest import eventually
from tests.conftest import Api, assert_error
from tests.media_fakes import FakeLiveKit, S3Gate, signed_webhook, start_s3
from tests.test_events import EventClient

BUCKET = "syncode-recordings"


@pytest.fixture(scope="module")
async def livekit():
    fake = FakeLiveKit()
    await fake.start()
    yield fake
    fake.stop()


@pytest.fixture(scope="module")
async def s3():
    gate, moto = await start_s3(BUCKET)
    yield gate
    gate.stop()
    moto.stop()


@pytest.fixture(scope="module")
async def server(make_server, livekit: FakeLiveKit, s3: S3Gate):
    media = {"livekit_url": livekit.url, "livekit_api_key": livekit.api_key, "livekit_api_secret": livekit.api_secret}
    srv = await make_server(max_active_rooms=100, **media, **s3.settings())
    yield srv
    await srv.stop()


@dataclass
class Room:
    id: str
    host: dict  # the interviewer
    candidate: dict
    observer: dict

    def uid(self, who: dict) -> str:
        return who["user"]["id"]


async def peer_room(api: Api, recording: bool = True, **config) -> Room:
    host = await api.register(displayName="Ada Host")
    body = {"mode": "peer", "config": {"maxParticipants": 3, "recordingEnabled": recording, **config}}
    r = await api.post("/api/rooms", body, token=host["accessToken"])
    assert r.status == 201, r.body
    people = []
    for role in ("candidate", "observer"):
        person = await api.register()
        joined = await api.post(
            "/api/rooms/join", {"inviteCode": r.json["inviteCode"], "role": role}, token=person["accessToken"]
        )
        assert joined.status == 200, joined.body
        people.append(person)
    return Room(r.json["id"], host, *people)


async def media(api: Api, room: Room, who: dict, what: str, body: dict | None = None):
    return await api.post(f"/api/rooms/{room.id}/media/{what}", body or {}, token=who["accessToken"])


def claims_of(token: str, fake: FakeLiveKit) -> dict:
    return jwt.decode(token, fake.api_secret, ["HS256"], issuer=fake.api_key)


async def test_without_livekit_media_is_not_configured(make_server) -> None:
    srv = await make_server()
    try:
        api = Api(srv.url)
        room = await peer_room(api)
        for what, body in (("token", None), ("consent", {"consent": True}), ("recording/start", None)):
            assert_error(await media(api, room, room.host, what, body), 503, "MEDIA_NOT_CONFIGURED", what)
        assert_error(await media(api, room, room.host, "recording/stop"), 503, "MEDIA_NOT_CONFIGURED")
        assert_error(await api.post("/api/internal/livekit/webhook", {}), 503, "MEDIA_NOT_CONFIGURED")
        assert (await api.get("/api/health")).json["checks"]["media"]["status"] == "disabled"
    finally:
        await srv.stop()


async def test_tokens_carry_grants_by_role(api: Api, livekit: FakeLiveKit) -> None:
    room = await peer_room(api)
    expected = {"host": True, "candidate": True, "observer": False}
    for name, publish in expected.items():
        who = getattr(room, name)
        r = await media(api, room, who, "token")
        assert r.status == 200, r.body
        body = r.json
        assert (body["url"], body["roomName"], body["identity"]) == (livekit.url, room.id, room.uid(who))
        claims = claims_of(body["token"], livekit)
        assert claims["sub"] == room.uid(who) and claims["video"]["room"] == room.id
        video = claims["video"]
        assert video["roomJoin"] and video["canSubscribe"] and video["canPublish"] is publish, (name, video)
        assert video["canPublishData"] is publish and not video.get("roomAdmin") and not video.get("roomRecord")
        # The token lasts as long as the room has left: warmup, coding and wrapup (300 + 2700 + 600 s) here.
        assert abs(claims["exp"] - (time.time() + 3600)) < 10
    assert claims_of((await media(api, room, room.host, "token")).json["token"], livekit)["name"] == "Ada Host"
    # Capped by the setting (4 h) and at least 5 minutes.
    long_room = await peer_room(api, durations={"codingSec": 8 * 3600})
    assert (
        abs(
            claims_of((await media(api, long_room, long_room.host, "token")).json["token"], livekit)["exp"]
            - time.time()
            - 4 * 3600
        )
        < 10
    )
    short = await peer_room(api, durations={"warmupSec": 0, "codingSec": 60, "wrapupSec": 0})
    assert (
        abs(claims_of((await media(api, short, short.host, "token")).json["token"], livekit)["exp"] - time.time() - 300)
        < 10
    )


async def test_tokens_refused_to_outsiders_kicked_and_finished(api: Api, livekit: FakeLiveKit) -> None:
    room = await peer_room(api)
    outsider = await api.register()
    assert_error(await media(api, room, outsider, "token"), 403)
    assert_error(await api.post("/api/rooms/no-such-room/media/token", token=outsider["accessToken"]), 404)
    livekit.connected.add((room.id, room.uid(room.observer)))
    r = await api.delete(f"/api/rooms/{room.id}/participants/{room.uid(room.observer)}", token=room.host["accessToken"])
    assert r.status == 204
    assert_error(await media(api, room, room.observer, "token"), 403)
    await eventually(lambda: (room.id, room.uid(room.observer)) not in livekit.connected)  # removed from the call
    assert livekit.of("RemoveParticipant")[-1].request.identity == room.uid(room.observer)
    r = await api.post(f"/api/rooms/{room.id}/phase", {"to": "finished"}, token=room.host["accessToken"])
    assert r.status == 200
    assert_error(await media(api, room, room.host, "token"), 409, "ROOM_FINISHED")


async def test_mute_updates_live_permission(api: Api, livekit: FakeLiveKit) -> None:
    room = await peer_room(api)
    candidate = room.uid(room.candidate)
    livekit.connected.add((room.id, candidate))
    path = f"/api/rooms/{room.id}/participants/{candidate}"
    before = len(livekit.of("UpdateParticipant"))
    r = await api.patch(path, {"muted": True}, token=room.host["accessToken"])
    assert r.status == 200 and r.json["isMuted"] is True
    call = livekit.of("UpdateParticipant")[before]
    assert (call.request.room, call.request.identity) == (room.id, candidate)
    assert not call.request.permission.can_publish and call.request.permission.can_subscribe
    assert call.claims["video"]["roomAdmin"] and call.claims["video"]["room"] == room.id  # checked by the fake
    assert not claims_of((await media(api, room, room.candidate, "token")).json["token"], livekit)["video"][
        "canPublish"
    ]
    assert (await api.patch(path, {"muted": False}, token=room.host["accessToken"])).status == 200
    assert livekit.of("UpdateParticipant")[-1].request.permission.can_publish
    assert claims_of((await media(api, room, room.candidate, "token")).json["token"], livekit)["video"]["canPublish"]
    # Someone not in the call yet: the change is stored, their next token carries it.
    observer = room.uid(room.observer)
    r = await api.patch(
        f"/api/rooms/{room.id}/participants/{observer}", {"muted": True}, token=room.host["accessToken"]
    )
    assert r.status == 200
    assert livekit.refused[-1].startswith("not_found")
    assert not [r for r in livekit.refused if not r.startswith("not_found")]  # every call was signed and granted


async def start_session(api: Api, room: Room) -> str:
    r = await api.post(f"/api/rooms/{room.id}/phase", {"to": "warmup"}, token=room.host["accessToken"])
    assert r.status == 200, r.body
    return r.json["sessionId"]


async def test_consent_rules(api: Api, livekit: FakeLiveKit) -> None:
    room = await peer_room(api)
    assert_error(await media(api, room, room.host, "recording/start"), 409, "RECORDING_TOO_EARLY")
    await start_session(api, room)
    body = assert_error(await media(api, room, room.host, "recording/start"), 409, "RECORDING_CONSENT_MISSING")
    assert sorted(body["details"]["missing"]) == sorted(room.uid(p) for p in (room.host, room.candidate, room.observer))
    assert "Ada Host" in body["message"]
    for who in (room.host, room.observer):
        r = await media(api, room, who, "consent", {"consent": True})
        assert r.status == 200 and r.json["userId"] == room.uid(who) and r.json["consent"] is True
    assert (await media(api, room, room.candidate, "consent", {"consent": False})).json["consent"] is False
    body = assert_error(await media(api, room, room.host, "recording/start"), 409, "RECORDING_CONSENT_MISSING")
    assert body["details"]["missing"] == [room.uid(room.candidate)]
    assert_error(await media(api, room, room.host, "consent", {"consent": "maybe"}), 400, "VALIDATION_FAILED")
    assert_error(await media(api, room, await api.register(), "consent", {"consent": True}), 403)
    # Observers and candidates cannot start or stop a recording; a room with recording off cannot record.
    assert_error(await media(api, room, room.candidate, "recording/start"), 403)
    assert_error(await media(api, room, room.host, "recording/stop"), 409, "RECORDING_NOT_RUNNING")
    off = await peer_room(api, recording=False)
    await start_session(api, off)
    assert_error(await media(api, off, off.host, "recording/start"), 409, "RECORDING_DISABLED")
    assert not livekit.of("StartRoomCompositeEgress") or all(
        c.request.room_name not in (room.id, off.id) for c in livekit.of("StartRoomCompositeEgress")
    )


async def consent_all(api: Api, room: Room) -> None:
    for who in (room.host, room.candidate, room.observer):
        assert (await media(api, room, who, "consent", {"consent": True})).status == 200


async def test_recording_start_stop_webhook_and_link(api: Api, server, livekit: FakeLiveKit, s3: S3Gate) -> None:
    room = await peer_room(api)
    session_id = await start_session(api, room)
    await consent_all(api, room)
    events = await EventClient.connect(server, room.candidate["accessToken"])
    try:
        r = await media(api, room, room.host, "recording/start")
        assert r.status == 202, r.body
        recording_id = r.json["recordingId"]
        start = livekit.of("StartRoomCompositeEgress")[-1]
        output = start.request.file_outputs[0]
        key = f"recordings/{session_id}/{recording_id}.mp4"
        assert start.request.room_name == room.id and output.filepath == key
        assert output.file_type == lk.EncodedFileType.MP4
        assert (output.s3.bucket, output.s3.endpoint, output.s3.force_path_style) == (BUCKET, s3.url, True)
        assert start.claims["video"]["roomRecord"]
        await events.expect("recording.started", room.id, lambda d: d["recordingId"] == recording_id)
        assert_error(await media(api, room, room.host, "recording/start"), 409, "RECORDING_IN_PROGRESS")
        assert_error(await media(api, room, room.candidate, "recording/stop"), 403)
        r = await media(api, room, room.host, "recording/stop")
        assert r.status == 200 and r.json == {"recordingId": recording_id, "status": "stopping"}
        egress_id = livekit.of("StopEgress")[-1].request.egress_id
        assert egress_id == livekit.egress_ids[-1]  # the one the start answered
        await events.expect("recording.stopped", room.id, lambda d: d["reason"] == "stopped")
        assert_error(await api.get(f"/api/sessions/{session_id}/recording", token=room.host["accessToken"]), 404)

        # The egress writes the file, then LiveKit calls the webhook.
        video = b"\x00\x00\x00\x18ftypmp42" + b"\x01" * 4000
        s3.client().put_object(Bucket=BUCKET, Key=key, Body=video, ContentType="video/mp4")
        result = lk.FileInfo(filename=key, duration=95_400_000_000, size=len(video), location=f"s3://{BUCKET}/{key}")
        ended = lk.WebhookEvent(
            event="egress_ended",
            id="EV_1",
            egress_info=lk.EgressInfo(
                egress_id=egress_id, room_name=room.id, status=lk.EgressStatus.EGRESS_COMPLETE, file_results=[result]
            ),
        )
        body, auth = signed_webhook(ended, livekit.api_key, livekit.api_secret)
        hook = "/api/internal/livekit/webhook"
        forged = signed_webhook(ended, livekit.api_key, "another-secret-0123456789abcdef0123")[1]
        other_body = signed_webhook(lk.WebhookEvent(event="room_finished"), livekit.api_key, livekit.api_secret)[1]
        for headers in ({}, {"Authorization": forged}, {"Authorization": other_body}, {"Authorization": "junk"}):
            r = await api.request(
                "POST", hook, body=body, headers={"Content-Type": "application/webhook+json", **headers}
            )
            assert_error(r, 401, "WEBHOOK_SIGNATURE_INVALID")
        assert_error(await api.get(f"/api/sessions/{session_id}/recording", token=room.host["accessToken"]), 404)
        r = await api.request("POST", hook, body=body, headers={"Authorization": auth})
        assert r.status == 200 and r.json == {"received": True}
        assert (await api.request("POST", hook, body=body, headers={"Authorization": auth})).status == 200  # twice
        await events.expect(
            "recording.ready", None, lambda d: d["recordingId"] == recording_id and d["durationSec"] == 95
        )
    finally:
        events.close()

    link = await api.get(f"/api/sessions/{session_id}/recording", token=room.observer["accessToken"])
    assert link.status == 200, link.body
    assert link.json["durationSec"] == 95 and link.json["url"].startswith(f"{s3.url}/{BUCKET}/{key}?")
    got = await api.get(link.json["url"])
    assert got.status == 200 and got.body == video
    assert_error(
        await api.get(f"/api/sessions/{session_id}/recording", token=(await api.register())["accessToken"]), 403
    )
    detail = (await api.get(f"/api/sessions/{session_id}", token=room.host["accessToken"])).json
    assert detail["hasRecording"] is True
    timeline = (await api.get(f"/api/sessions/{session_id}/events", token=room.host["accessToken"])).json["data"]
    kinds = [e["type"] for e in timeline if e["type"].startswith("recording_")]
    assert kinds == ["recording_started", "recording_stopped", "recording_ready"]
    quotas = (await api.get("/api/users/me/quotas", token=room.host["accessToken"])).json
    assert quotas["storage"]["usedBytes"] == len(video)  # the recording counts for whoever started it


async def test_withdrawn_consent_and_finished_room_stop_recording(api: Api, livekit: FakeLiveKit) -> None:
    room = await peer_room(api)
    session_id = await start_session(api, room)
    await consent_all(api, room)
    assert (await media(api, room, room.host, "recording/start")).status == 202
    stops = len(livekit.of("StopEgress"))
    assert (await media(api, room, room.observer, "consent", {"consent": False})).status == 200
    assert len(livekit.of("StopEgress")) == stops + 1
    timeline = (await api.get(f"/api/sessions/{session_id}/events", token=room.host["accessToken"])).json["data"]
    assert [e["data"]["reason"] for e in timeline if e["type"] == "recording_stopped"] == ["consent_withdrawn"]
    # Again, then the room finishes.
    assert (await media(api, room, room.observer, "consent", {"consent": True})).status == 200
    assert (await media(api, room, room.host, "recording/start")).status == 202
    r = await api.post(f"/api/rooms/{room.id}/phase", {"to": "finished"}, token=room.host["accessToken"])
    assert r.status == 200
    await eventually(lambda: len(livekit.of("StopEgress")) == stops + 2)

    async def stopped_by_finish() -> bool:
        events = (await api.get(f"/api/sessions/{session_id}/events", token=room.host["accessToken"])).json["data"]
        return [e["data"]["reason"] for e in events if e["type"] == "recording_stopped"][-1:] == ["room_finished"]

    await eventually(stopped_by_finish)


async def test_newcomer_without_consent_stops_recording(api: Api, livekit: FakeLiveKit) -> None:
    room = await peer_room(api, maxParticipants=4)
    session_id = await start_session(api, room)
    await consent_all(api, room)
    assert (await media(api, room, room.host, "recording/start")).status == 202
    stops = len(livekit.of("StopEgress"))
    code = (await api.get(f"/api/rooms/{room.id}", token=room.host["accessToken"])).json["inviteCode"]
    newcomer = await api.register()
    r = await api.post("/api/rooms/join", {"inviteCode": code, "role": "observer"}, token=newcomer["accessToken"])
    assert r.status == 200, r.body
    await eventually(lambda: len(livekit.of("StopEgress")) == stops + 1)

    async def reasons() -> list[str]:
        events = (await api.get(f"/api/sessions/{session_id}/events", token=room.host["accessToken"])).json["data"]
        return [e["data"]["reason"] for e in events if e["type"] == "recording_stopped"]

    await eventually(lambda: reasons())
    assert await reasons() == ["consent_missing"]
    body = assert_error(await media(api, room, room.host, "recording/start"), 409, "RECORDING_CONSENT_MISSING")
    assert body["details"]["missing"] == [newcomer["user"]["id"]]


async def test_health_reports_media(api: Api, make_server, livekit: FakeLiveKit) -> None:
    checks = (await api.get("/api/health")).json["checks"]
    assert checks["media"]["status"] == "ok", checks["media"]
    assert livekit.of("ListRooms")[-1].claims["video"]["roomList"]
    unreachable = {"livekit_url": "http://127.0.0.1:9", "livekit_api_key": "k", "livekit_api_secret": "s" * 32}
    srv = await make_server(**unreachable)
    try:
        other = Api(srv.url)
        media_check = (await other.get("/api/health")).json["checks"]["media"]
        assert media_check["status"] == "degraded" and "unreachable" in media_check["detail"]
        room = await peer_room(other)  # tokens need no call to LiveKit
        assert (await media(other, room, room.host, "token")).status == 200
        await start_session(other, room)
        await consent_all(other, room)
        assert_error(await media(other, room, room.host, "recording/start"), 503, "RECORDING_STORAGE_UNAVAILABLE")
    finally:
        await srv.stop()
