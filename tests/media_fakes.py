"""Real servers on loopback standing in for the media services the tests cannot reach.

- `FakeLiveKit`: LiveKit's Twirp API (protobuf or JSON bodies) for the calls SynCode makes, refusing any request
  whose bearer token is not signed with the API key and secret or lacks the grant the call needs.
- `S3Gate` in front of moto in server mode: moto speaks the S3 HTTP protocol and stores what it is sent, but checks
  neither the signature nor the expiry of a presigned URL; the gate checks both as S3 does (SigV4 query
  authentication over the method, path, query and the signed headers' values) and forwards everything to moto.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, unquote

import boto3
import jwt
import tornado.httpclient
import tornado.httpserver
import tornado.netutil
import tornado.web
from google.protobuf import json_format
from google.protobuf.message import Message
from livekit import api as lk
from moto.server import ThreadedMotoServer

# -- LiveKit ------------------------------------------------------------------------------------------------


def _room_admin(claims: dict, request: Any) -> bool:
    video = claims.get("video", {})
    return bool(video.get("roomAdmin")) and video.get("room") == request.room


# (service, method) -> (request type, the grant it needs)
TWIRP: dict[tuple[str, str], tuple[type[Message], Any]] = {
    ("RoomService", "UpdateParticipant"): (lk.UpdateParticipantRequest, _room_admin),
    ("RoomService", "RemoveParticipant"): (lk.RoomParticipantIdentity, _room_admin),
    ("RoomService", "ListRooms"): (lk.ListRoomsRequest, lambda c, r: bool(c.get("video", {}).get("roomList"))),
    ("Egress", "StartRoomCompositeEgress"): (
        lk.RoomCompositeEgressRequest,
        lambda c, r: bool(c.get("video", {}).get("roomRecord")),
    ),
    ("Egress", "StopEgress"): (lk.StopEgressRequest, lambda c, r: bool(c.get("video", {}).get("roomRecord"))),
}


@dataclass
class TwirpCall:
    method: str
    request: Any
    claims: dict
    content_type: str


@dataclass
class FakeLiveKit:
    api_key: str = "lk-test-key"
    api_secret: str = "lk-test-secret-0123456789abcdef0123456789"
    calls: list[TwirpCall] = field(default_factory=list)  # verified calls, in order
    refused: list[str] = field(default_factory=list)  # why requests were refused
    connected: set[tuple[str, str]] = field(default_factory=set)  # (room, identity) in the call
    egress_ids: list[str] = field(default_factory=list)  # those started, in order
    url: str = ""
    _server: Any = None
    _ids: Any = field(default_factory=itertools.count)

    async def start(self) -> str:
        app = tornado.web.Application([(r"/twirp/livekit\.(\w+)/(\w+)", TwirpHandler, {"fake": self})])
        sockets = tornado.netutil.bind_sockets(0, "127.0.0.1")
        self._server = tornado.httpserver.HTTPServer(app)
        self._server.add_sockets(sockets)
        self.url = f"http://127.0.0.1:{sockets[0].getsockname()[1]}"
        return self.url

    def stop(self) -> None:
        self._server.stop()

    def of(self, method: str) -> list[TwirpCall]:
        return [c for c in self.calls if c.method == method]

    def answer(self, method: str, request: Any) -> Message | tuple[int, str]:
        if method == "UpdateParticipant":
            if (request.room, request.identity) not in self.connected:
                return 404, "not_found"
            return lk.ParticipantInfo(identity=request.identity, permission=request.permission)
        if method == "RemoveParticipant":
            self.connected.discard((request.room, request.identity))
            return lk.RemoveParticipantResponse()
        if method == "ListRooms":
            return lk.ListRoomsResponse()
        if method == "StartRoomCompositeEgress":
            self.egress_ids.append(f"EG_{next(self._ids)}")
            return lk.EgressInfo(egress_id=self.egress_ids[-1], room_name=request.room_name, status=0)
        return lk.EgressInfo(egress_id=request.egress_id, status=lk.EgressStatus.EGRESS_ENDING)


class TwirpHandler(tornado.web.RequestHandler):
    def initialize(self, fake: FakeLiveKit) -> None:
        self.fake = fake

    def _error(self, status: int, code: str, msg: str) -> None:
        self.fake.refused.append(f"{code}: {msg}")
        self.set_status(status)
        self.finish({"code": code, "msg": msg})

    def post(self, service: str, method: str) -> None:
        if (service, method) not in TWIRP:
            return self._error(404, "bad_route", f"{service}/{method}")
        request_type, allowed = TWIRP[(service, method)]
        content_type = self.request.headers.get("Content-Type", "").split(";")[0]
        json_body = content_type == "application/json"
        request = request_type()
        if json_body:
            json_format.Parse(self.request.body, request)
        else:
            request.ParseFromString(self.request.body)
        try:
            token = self.request.headers.get("Authorization", "").removeprefix("Bearer ")
            options = {"require": ["exp", "iss"]}
            claims = jwt.decode(token, self.fake.api_secret, ["HS256"], issuer=self.fake.api_key, options=options)
        except jwt.PyJWTError as exc:
            return self._error(401, "unauthenticated", str(exc))
        if not allowed(claims, request):
            return self._error(403, "permission_denied", f"{method} needs another grant: {claims.get('video')}")
        self.fake.calls.append(TwirpCall(method, request, claims, content_type))
        answer = self.fake.answer(method, request)
        if isinstance(answer, tuple):
            return self._error(answer[0], answer[1], "no such participant")
        self.set_header("Content-Type", content_type)
        self.finish(json_format.MessageToJson(answer) if json_body else answer.SerializeToString())


def signed_webhook(event: lk.WebhookEvent, api_key: str, api_secret: str) -> tuple[bytes, str]:
    """The body and Authorization header LiveKit sends: a token over the body's sha256."""
    body = json_format.MessageToJson(event).encode()
    digest = base64.b64encode(hashlib.sha256(body).digest()).decode()
    return body, lk.AccessToken(api_key, api_secret).with_sha256(digest).to_jwt()


# -- S3 -----------------------------------------------------------------------------------------------------

S3_KEY, S3_SECRET, S3_REGION = "test-access-key", "test-secret-key", "us-east-1"


def _uri_encode(value: str) -> str:
    return quote(value, safe="-_.~")


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def presign_problem(method: str, path: str, query: str, headers: Any, secret: str, now: datetime) -> str | None:
    """Why S3 would refuse this presigned request (None when it accepts it): AWS SigV4 query authentication."""
    pairs = [(unquote(k), unquote(v)) for k, _, v in (part.partition("=") for part in query.split("&") if part)]
    params = dict(pairs)
    if params.get("X-Amz-Algorithm") != "AWS4-HMAC-SHA256":
        return "AuthorizationQueryParametersError"
    signed_at = datetime.strptime(params["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    if now > signed_at + timedelta(seconds=int(params["X-Amz-Expires"])):
        return "AccessDenied: Request has expired"
    names = params["X-Amz-SignedHeaders"].split(";")
    canonical = "\n".join(
        [
            method,
            path,
            "&".join(f"{_uri_encode(k)}={_uri_encode(v)}" for k, v in sorted(pairs) if k != "X-Amz-Signature"),
            "".join(f"{name}:{' '.join(str(headers.get(name, '')).split())}\n" for name in names),
            params["X-Amz-SignedHeaders"],
            "UNSIGNED-PAYLOAD",
        ]
    )
    _, day, region, service, terminal = params["X-Amz-Credential"].split("/")
    scope = f"{day}/{region}/{service}/{terminal}"
    to_sign = f"AWS4-HMAC-SHA256\n{params['X-Amz-Date']}\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
    key = _hmac(_hmac(_hmac(_hmac(f"AWS4{secret}".encode(), day), region), service), terminal)
    if not hmac.compare_digest(hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest(), params["X-Amz-Signature"]):
        return "SignatureDoesNotMatch"
    return None


class GateHandler(tornado.web.RequestHandler):
    SUPPORTED_METHODS = ("GET", "PUT", "POST", "DELETE", "HEAD")

    def initialize(self, gate: S3Gate) -> None:
        self.gate = gate

    async def _forward(self) -> None:
        request = self.request
        if "X-Amz-Signature=" in request.query:
            now = datetime.now(UTC) + timedelta(seconds=self.gate.clock_offset)
            problem = presign_problem(request.method, request.path, request.query, request.headers, S3_SECRET, now)
            if problem:
                self.gate.refused.append(problem)
                self.set_status(403)
                self.set_header("Content-Type", "application/xml")
                self.finish(f"<Error><Code>{problem.split(':')[0]}</Code><Message>{problem}</Message></Error>")
                return
        headers = {k: v for k, v in request.headers.get_all() if k.lower() not in ("host", "content-length")}
        response = await tornado.httpclient.AsyncHTTPClient().fetch(
            self.gate.moto_url + request.uri,
            method=request.method,
            headers=headers,
            body=request.body if request.method in ("PUT", "POST") else None,
            raise_error=False,
            allow_nonstandard_methods=True,
            decompress_response=False,
        )
        self.set_status(response.code)
        for name, value in response.headers.get_all():
            if name.lower() not in ("transfer-encoding", "connection", "server", "date"):
                self.set_header(name, value)
        self.finish(None if response.code in (204, 304) else response.body or b"")

    get = put = post = delete = head = _forward  # type: ignore[assignment]


@dataclass
class S3Gate:
    moto_url: str
    bucket: str = "syncode-test"
    clock_offset: float = 0  # seconds the gate's clock is ahead (to see URLs expire without waiting)
    refused: list[str] = field(default_factory=list)
    url: str = ""
    _server: Any = None
    _moto: Any = None

    async def start(self) -> str:
        app = tornado.web.Application([(r"/.*", GateHandler, {"gate": self})])
        sockets = tornado.netutil.bind_sockets(0, "127.0.0.1")
        self._server = tornado.httpserver.HTTPServer(app)
        self._server.add_sockets(sockets)
        self.url = f"http://127.0.0.1:{sockets[0].getsockname()[1]}"
        return self.url

    def stop(self) -> None:
        self._server.stop()

    def client(self) -> Any:
        """A client of moto itself (behind the gate), for what a test sets up or inspects."""
        return boto3.client(
            "s3",
            endpoint_url=self.moto_url,
            region_name=S3_REGION,
            aws_access_key_id=S3_KEY,
            aws_secret_access_key=S3_SECRET,
        )

    def objects(self) -> list[str]:
        found = self.client().list_objects_v2(Bucket=self.bucket).get("Contents", [])
        return sorted(o["Key"] for o in found)

    def settings(self) -> dict[str, str]:
        """Server settings that store objects here."""
        return {
            "s3_endpoint": self.url,
            "s3_bucket": self.bucket,
            "s3_region": S3_REGION,
            "s3_access_key_id": S3_KEY,
            "s3_secret_access_key": S3_SECRET,
        }


async def start_s3(bucket: str) -> tuple[S3Gate, ThreadedMotoServer]:
    """moto in server mode on a free loopback port, a bucket in it, and the gate in front."""
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    host, port = moto.get_host_and_port()
    gate = S3Gate(f"http://{host}:{port}", bucket)
    gate.client().create_bucket(Bucket=bucket)
    await gate.start()
    return gate, moto
