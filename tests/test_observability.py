"""Observability: /metrics scraped after real traffic (HTTP, WebSockets of both planes, executions, the database),
its switch and token; security headers on every kind of response; health while the problem bank loads."""

from __future__ import annotations

import asyncio
import shutil
import threading
import urllib.parse
from pathlib import Path
from typing import Any

import pytest
import tornado.websocket
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import Api, assert_error, make_admin
from tests.test_execution import create_problem, finished_job
from tests.test_rooms import join, new_room

TOKEN = "scrape-me-4f1c"
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
async def server(make_server):
    srv = await make_server(metrics_token=TOKEN, judge_workers=1)
    yield srv
    await srv.stop()


Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


async def scrape(api: Api) -> Samples:
    r = await api.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert r.status == 200, r.body
    assert r.headers["Content-Type"].startswith("text/plain; version=")
    samples: Samples = {}
    for family in text_string_to_metric_families(r.body.decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples: Samples, name: str, **labels: str) -> float:
    """The sum of the samples of `name` whose labels include `labels` (0 when there is none)."""
    wanted = set(labels.items())
    return sum(v for (n, have), v in samples.items() if n == name and wanted <= set(have))


def label_values(samples: Samples, name: str, label: str) -> set[str]:
    return {dict(have)[label] for (n, have), _ in samples.items() if n == name and label in dict(have)}


async def test_metrics_need_the_token(server, api: Api) -> None:
    assert_error(await api.get("/metrics"), 401, "UNAUTHORIZED")
    assert_error(await api.get("/metrics", headers={"Authorization": "Bearer nope"}), 401, "UNAUTHORIZED")
    assert_error(await api.get("/metrics", headers={"Authorization": f"Basic {TOKEN}"}), 401, "UNAUTHORIZED")
    assert (await api.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})).status == 200


async def test_metrics_are_off_by_default_and_open_when_enabled(make_server) -> None:
    off = Api((await make_server()).url)
    assert_error(await off.get("/metrics"), 404, "NOT_FOUND")
    on = Api((await make_server(metrics_enabled=True)).url)
    r = await on.get("/metrics")
    assert r.status == 200 and b"syncode_http_request_duration_seconds" in r.body


async def test_requests_are_counted_by_route_template_and_status(server, api: Api) -> None:
    user = await api.register()
    before = await scrape(api)
    ids = ["a" * 24, "b" * 24, "c" * 24]
    for room_id in ids:
        assert_error(await api.get(f"/api/rooms/{room_id}", token=user["accessToken"]), 404)
    assert_error(await api.get("/api/rooms/" + ids[0]), 401)
    assert (await api.get("/api/users/me", token=user["accessToken"])).status == 200
    assert_error(await api.get("/no/such/path/xyz"), 404)
    after = await scrape(api)
    name = "syncode_http_request_duration_seconds_count"
    room = {"route": "/api/rooms/{roomId}", "method": "GET"}
    assert value(after, name, **room, status="404") - value(before, name, **room, status="404") == 3
    assert value(after, name, **room, status="401") - value(before, name, **room, status="401") == 1
    me = {"route": "/api/users/me", "method": "GET", "status": "200"}
    assert value(after, name, **me) - value(before, name, **me) == 1
    assert value(after, "process_resident_memory_bytes") > 0 and value(after, "process_open_fds") > 0
    routes = label_values(after, name, "route")
    assert "unmatched" in routes and not any(i in r for r in routes for i in ids) and "/no/such/path/xyz" not in routes
    # The latency histogram has buckets: the slowest of the three 404s is under 10 s, all are under +Inf.
    bucket = "syncode_http_request_duration_seconds_bucket"
    assert value(after, bucket, **room, status="404", le="+Inf") == value(after, name, **room, status="404")
    assert value(after, bucket, **room, status="404", le="10.0") == value(after, name, **room, status="404")


async def test_database_commands_are_timed(server, api: Api) -> None:
    before = await scrape(api)
    user = await api.register()  # an insert
    assert_error(await api.get("/api/rooms/" + "d" * 24, token=user["accessToken"]), 404)  # a find
    after = await scrape(api)
    name = "syncode_db_command_duration_seconds_count"
    assert value(after, name, command="insert", outcome="ok") > value(before, name, command="insert", outcome="ok")
    assert value(after, name, command="find") > value(before, name, command="find")
    assert value(after, "syncode_db_command_duration_seconds_sum") > value(
        before, "syncode_db_command_duration_seconds_sum"
    )


async def test_websockets_rooms_judge_and_executions(server, api: Api) -> None:
    host, candidate = await api.register(), await api.register()
    problem = await create_problem(api, await make_admin(server, api))
    room = await new_room(api, host, problemId=problem["id"])
    assert (await join(api, candidate, room["inviteCode"])).status == 200
    for phase in ("warmup", "coding"):
        r = await api.post(f"/api/rooms/{room['id']}/phase", {"to": phase}, token=host["accessToken"])
        assert r.status == 200, r.body
    before = await scrape(api)
    ws_url = server.url.replace("http", "ws")
    events = await tornado.websocket.websocket_connect(f"{ws_url}/api/ws?token={candidate['accessToken']}")
    detail = (await api.get(f"/api/rooms/{room['id']}", token=candidate["accessToken"])).json
    collab = await tornado.websocket.websocket_connect(f"{detail['collab']['url']}?token={detail['collab']['token']}")
    await collab.read_message()  # the server's sync step 1: the connection is in its room
    token = candidate["accessToken"]
    # One judge worker: a slow run holds it while a second waits in the queue.
    slow = {"language": "python", "code": "import time\ntime.sleep(3)\nprint(3)\n", "stdin": ""}
    first = await api.post(f"/api/rooms/{room['id']}/run", slow, token=token)
    second = await api.post(f"/api/rooms/{room['id']}/run", {**slow, "code": "print(1/0)\n"}, token=token)
    assert first.status == 202 and second.status == 202, (first.body, second.body)
    busy = await busy_judge(api)
    assert value(busy, "syncode_judge_running") == 1 and value(busy, "syncode_judge_queue_depth") == 1
    assert (
        value(busy, "syncode_websocket_connections", plane="events")
        - value(before, "syncode_websocket_connections", plane="events")
        == 1
    )
    assert value(busy, "syncode_websocket_connections", plane="collab") >= 1
    assert value(busy, "syncode_collab_rooms") >= 1
    ok = await finished_job(api, f"/api/executions/{first.json['runId']}", token)
    failed = await finished_job(api, f"/api/executions/{second.json['runId']}", token)
    after = await scrape(api)
    for job in (ok, failed):
        labels = {"kind": "run", "verdict": job["verdict"] or job["status"], "language": "python"}
        assert (
            value(after, "syncode_executions_total", **labels) - value(before, "syncode_executions_total", **labels)
            >= 1
        ), (job, labels)
    assert ok["verdict"] != failed["verdict"]
    events.close()
    collab.close()
    for _ in range(100):  # the server sees the closes a moment later
        gone = await scrape(api)
        if value(gone, "syncode_websocket_connections", plane="events") == value(
            before, "syncode_websocket_connections", plane="events"
        ):
            break
        await asyncio.sleep(0.05)
    assert value(gone, "syncode_websocket_connections", plane="events") == value(
        before, "syncode_websocket_connections", plane="events"
    )


async def busy_judge(api: Api) -> Samples:
    """A scrape taken while the judge runs one execution and queues another (they were just accepted)."""
    for _ in range(200):
        samples = await scrape(api)
        if value(samples, "syncode_judge_queue_depth") == 1 and value(samples, "syncode_judge_running") == 1:
            return samples
        await asyncio.sleep(0.02)
    return samples


# -- security headers ----------------------------------------------------------------------------------------


def assert_secure(headers: Any, what: str) -> str:
    assert headers.get("X-Content-Type-Options") == "nosniff", what
    assert headers.get("Referrer-Policy") == "same-origin", what
    policy = headers.get("Content-Security-Policy", "")
    assert "frame-ancestors 'none'" in policy, (what, policy)
    assert "unsafe-eval" not in policy, (what, policy)
    return policy


async def raw_handshake(url: str) -> dict[str, str]:
    """The response headers of a WebSocket upgrade (status line under ':status')."""
    parts = urllib.parse.urlsplit(url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    writer.write(
        f"GET {parts.path}?{parts.query} HTTP/1.1\r\nHost: {parts.netloc}\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        "Sec-WebSocket-Version: 13\r\n\r\n".encode()
    )
    head = (await reader.readuntil(b"\r\n\r\n")).decode()
    writer.close()
    lines = head.split("\r\n")
    headers = {":status": lines[0].split()[1]}
    headers.update({k: v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)})
    return headers


async def test_security_headers_on_every_kind_of_response(server, api: Api) -> None:
    user = await api.register()
    strict = "default-src 'none'"
    for path, status in (
        ("/api/health", 200),
        ("/api/openapi.json", 200),
        ("/api/users/me", 401),
        ("/api/rooms?limit=banana", 401),
        ("/no/such/path", 404),
        ("/assets/no-such-file.js", 404),
        ("/blobs/nothing", 403),
    ):
        r = await api.get(path)
        assert r.status == status, (path, r.status)
        assert strict in assert_secure(r.headers, path)
    bad = await api.post("/api/rooms", {"mode": "solo"}, token=user["accessToken"])
    assert bad.status == 400 and strict in assert_secure(bad.headers, "400")
    page = await api.get("/")
    assert page.status == 200
    client_policy = assert_secure(page.headers, "client page")
    assert (
        "script-src 'self'" in client_policy
        and "'unsafe-inline'" not in client_policy.split("script-src")[1].split(";")[0]
    )
    asset = next(p for p in (ROOT / "static" / "app" / "assets").iterdir() if p.suffix == ".js")
    r = await api.get(f"/assets/{asset.name}")
    assert r.status == 200 and strict in assert_secure(r.headers, "asset")
    # A handler's own policy (the whiteboard's SVG export) still forbids framing.
    room = await api.post("/api/rooms", {"mode": "ai"}, token=user["accessToken"])
    session = await api.post(f"/api/rooms/{room.json['id']}/phase", {"to": "warmup"}, token=user["accessToken"])
    svg = await api.get(f"/api/sessions/{session.json['sessionId']}/whiteboard?format=svg", token=user["accessToken"])
    assert svg.status == 200 and "style-src 'unsafe-inline'" in assert_secure(svg.headers, "whiteboard svg")
    docs = await api.get("/api/docs")
    docs_policy = assert_secure(docs.headers, "docs")
    assert "script-src 'self'" in docs_policy and "connect-src 'self'" in docs_policy
    # Every script of the docs page is a file of ours: an inline one would not run under script-src 'self'.
    assert b"<script>" not in docs.body and docs.body.count(b'<script src="/assets/') == 2
    ws = server.url.replace("http", "ws")
    refused = await raw_handshake(f"{ws}/collab/nothing?token=bad")
    upgraded = await raw_handshake(f"{ws}/api/ws?token={user['accessToken']}")
    assert upgraded[":status"] == "101"
    for what, headers in (("collab handshake", refused), ("events handshake", upgraded)):
        assert_secure(headers, what)
    plain = await api.get("/api/ws")  # not an upgrade: Tornado's own 400
    assert plain.status == 400 and strict in assert_secure(plain.headers, "ws without upgrade")


# -- health while the bank loads -----------------------------------------------------------------------------


async def test_health_says_the_bank_is_loading(make_server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bank = tmp_path / "bank"
    bank.mkdir()
    for source in sorted((ROOT / "problems").glob("*.toml"))[:4]:
        shutil.copy(source, bank / source.name)
    gate, parsed = threading.Event(), threading.Semaphore(0)
    from syncode.services import problem_bank

    real_parse = problem_bank.parse_problem

    def parse_after_two(raw: bytes, name: str):  # runs in a worker thread: the third file waits for the gate
        parsed.release()
        if name == sorted(p.name for p in bank.iterdir())[2]:
            gate.wait(60)
        return real_parse(raw, name)

    monkeypatch.setattr(problem_bank, "parse_problem", parse_after_two)
    server = await make_server(load_problem_bank=True, problem_bank_dir=bank)
    api = Api(server.url)
    try:
        for _ in range(3):
            await asyncio.to_thread(parsed.acquire, True, 60)
        health = (await api.get("/api/health")).json
        assert health["checks"]["problems"] == {"status": "degraded", "detail": "loading 2/4"}
        assert health["status"] == "degraded"
        listed = (await api.get("/api/problems?limit=50", token=(await api.register())["accessToken"])).json
        assert len(listed["data"]) == 2  # the part of the bank loaded so far
    finally:
        gate.set()
    await server.bank_loading
    health = (await api.get("/api/health")).json
    assert health["checks"]["problems"] == {"status": "ok", "detail": "4 problem files loaded"}


async def test_health_names_skipped_problem_files(make_server, tmp_path: Path) -> None:
    bank = tmp_path / "bank"
    bank.mkdir()
    shutil.copy(sorted((ROOT / "problems").glob("*.toml"))[0], bank)
    (bank / "broken.toml").write_text("title = \n")
    server = await make_server(load_problem_bank=True, problem_bank_dir=bank)
    await server.bank_loading
    check = (await Api(server.url).get("/api/health")).json["checks"]["problems"]
    assert check == {"status": "degraded", "detail": "1 of 2 files skipped: broken.toml"}


def directive(policy: str, name: str) -> list[str]:
    found = [part.split() for part in policy.split("; ") if part.split()[0] == name]
    assert len(found) == 1, (name, policy)
    return found[0][1:]


def test_client_policy_names_exactly_the_origins_the_client_reaches(tmp_path: Path) -> None:
    from config import load_settings
    from handlers.headers import client_policy

    plain = client_policy(load_settings(data_dir=tmp_path, port=8000))
    assert directive(plain, "connect-src") == ["'self'", "ws://127.0.0.1:8000"]  # no ws:/wss: wildcard
    assert directive(plain, "img-src") == ["'self'", "data:", "blob:"]  # no https: wildcard
    assert directive(plain, "script-src") == ["'self'"] and directive(plain, "frame-ancestors") == ["'none'"]
    hosted = client_policy(
        load_settings(
            data_dir=tmp_path,
            public_url="https://syncode.example.com",
            livekit_url="wss://media.example.com",
            livekit_api_key="k",
            livekit_api_secret="s",
            s3_endpoint="https://minio.example.com:9000",
            s3_bucket="avatars",
            s3_access_key_id="a",
            s3_secret_access_key="b",
        )
    )
    assert directive(hosted, "connect-src") == [
        "'self'",
        "wss://syncode.example.com",
        "wss://media.example.com",
        "https://media.example.com",
        "https://minio.example.com:9000",  # avatar uploads go to the store through a presigned PUT
    ]
    assert directive(hosted, "img-src")[-1] == "https://minio.example.com:9000"
    aws = client_policy(
        load_settings(
            data_dir=tmp_path, s3_bucket="b", s3_region="eu-west-1", s3_access_key_id="a", s3_secret_access_key="s"
        )
    )
    assert "https://b.s3.eu-west-1.amazonaws.com" in directive(aws, "media-src")
