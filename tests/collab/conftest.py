"""Collab fixtures: a server, tokens, documents, Python clients and stock JavaScript y-websocket clients."""

from __future__ import annotations

import asyncio
import itertools
import json
import shutil
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from run import Server
from syncode.security import issue_collab_token
from tests.collab.yclient import YClient
from tests.conftest import Api

JS_DIR = Path(__file__).parent / "js"


@pytest.fixture(scope="module")
async def server(make_server) -> AsyncIterator[Server]:
    # Quick unloads and compactions so the tests cross those paths in well under a second. The byte budgets and
    # the document cap have tests of their own (test_limits.py): here they stay out of the way of megabyte edits.
    unlimited = 1 << 30
    srv = await make_server(
        collab_unload_seconds=0,
        collab_compact_updates=20,
        collab_messages_per_sec=50,
        collab_tick_sec=0.05,
        collab_bytes_per_sec=unlimited,
        collab_room_bytes_per_sec=unlimited,
        collab_max_document_bytes=unlimited,
    )
    yield srv
    await srv.stop()


class Collab:
    """Helpers bound to one server: internal API calls, tokens, clients."""

    def __init__(self, server: Server, api: Api) -> None:
        self.server = server
        self.api = api
        self.secret = {"X-Internal-Secret": server.settings.internal_secret}
        self._clients: list[YClient] = []

    @property
    def plane(self):
        return self.server.collab

    def token(self, room_id: str, user_id: str, role: str = "candidate") -> str:
        return issue_collab_token(self.server.settings.collab_jwt_secret, 600, user_id, room_id, role)[0]

    async def create(self, room_id: str | None = None, **body: Any) -> str:
        room_id = room_id or uuid.uuid4().hex
        response = await self.api.post("/collab/documents", {"roomId": room_id, **body}, headers=self.secret)
        assert response.status == 201, response.body
        return room_id

    async def connect(
        self,
        room_id: str,
        user_id: str | None = None,
        role: str = "candidate",
        token: str | None = None,
        sync: bool = True,
    ) -> YClient:
        user_id = user_id or uuid.uuid4().hex[:8]
        token = token or self.token(room_id, user_id, role)
        client = await YClient.connect(self.server.url, room_id, token, {"id": user_id, "name": user_id})
        self._clients.append(client)
        if sync:
            await asyncio.wait_for(client.synced.wait(), 5)
        return client

    def close_all(self) -> None:
        for client in self._clients:
            client.close()


@pytest.fixture
async def collab(server: Server, api: Api) -> AsyncIterator[Collab]:
    helper = Collab(server, api)
    yield helper
    helper.close_all()


class JsClient:
    """One Node process running a stock yjs + y-websocket WebsocketProvider (tests/collab/js/client.mjs)."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.events: list[dict[str, Any]] = []
        self._ids = itertools.count(1)
        self._replies: dict[int, asyncio.Future] = {}
        self._reader = asyncio.ensure_future(self._read())

    @classmethod
    async def start(cls, server_url: str, room_id: str, token: str, user_id: str) -> JsClient:
        ws_url = server_url.replace("http", "ws", 1) + "/collab"
        process = await asyncio.create_subprocess_exec(
            "node",
            str(JS_DIR / "client.mjs"),
            ws_url,
            room_id,
            token,
            user_id,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            cwd=JS_DIR,
        )
        client = cls(process)
        await client.wait_event(lambda e: e.get("event") == "synced")
        return client

    async def _read(self) -> None:
        assert self.process.stdout is not None
        async for line in self.process.stdout:
            message = json.loads(line)
            if "id" in message:
                self._replies.pop(message["id"]).set_result(message)
            else:
                self.events.append(message)

    async def call(self, cmd: str, **args: Any) -> dict[str, Any]:
        request_id = next(self._ids)
        future = asyncio.get_running_loop().create_future()
        self._replies[request_id] = future
        assert self.process.stdin is not None
        self.process.stdin.write((json.dumps({"id": request_id, "cmd": cmd, **args}) + "\n").encode())
        return await asyncio.wait_for(future, 5)

    async def text(self) -> str:
        return (await self.call("text"))["text"]

    async def wait_event(self, matches, timeout: float = 10) -> dict[str, Any]:
        async def first() -> dict[str, Any]:
            while True:
                for event in self.events:
                    if matches(event):
                        return event
                await asyncio.sleep(0.01)

        return await asyncio.wait_for(first(), timeout)

    async def stop(self) -> None:
        if self.process.returncode is None:
            self.process.kill()
            await self.process.wait()
        self._reader.cancel()


@pytest.fixture
async def js_clients(server: Server) -> AsyncIterator[list[JsClient]]:
    """Started clients are appended by the test (via JsClient.start) and killed afterwards."""
    if shutil.which("node") is None or not (JS_DIR / "node_modules" / "y-websocket").is_dir():
        pytest.skip("Node.js with tests/collab/js/node_modules is needed (npm ci in tests/collab/js)")
    started: list[JsClient] = []
    yield started
    for client in started:
        await client.stop()


async def eventually(condition, timeout: float = 5) -> None:
    """Poll an async or sync condition until it holds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = condition()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)
