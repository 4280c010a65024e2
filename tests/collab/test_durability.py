"""No acknowledged edit is lost: SIGKILL the real server process while clients type, restart it, reload."""

from __future__ import annotations

import asyncio
import itertools
import os
import re
import signal
import socket
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from pycrdt import Doc, Text

from realtime.protocol import state_vector
from syncode.security import issue_collab_token
from tests.collab.yclient import YClient
from tests.conftest import Api

ROOT = Path(__file__).resolve().parents[2]
TOKEN = re.compile(r"<c\d+-\d+>\n")
SECRETS = {"SYNCODE_JWT_SECRET": "j" * 48, "SYNCODE_COLLAB_JWT_SECRET": "c" * 48, "SYNCODE_INTERNAL_SECRET": "i" * 48}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ServerProcess:
    """`python run.py` as a child process, on a fixed port, data dir and database."""

    def __init__(self, mongo_uri: str, data_dir: Path, journal: bool) -> None:
        self.port = free_port()
        self.journal = journal
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = data_dir / "server.log"
        self.env = {
            **os.environ,
            **SECRETS,
            "SYNCODE_MONGODB_URI": mongo_uri,
            "SYNCODE_MONGODB_DB": f"test_{uuid.uuid4().hex[:12]}",
            "SYNCODE_DATA_DIR": str(data_dir),
            "SYNCODE_PORT": str(self.port),
            "SYNCODE_SANDBOX": "process",
            "SYNCODE_JUDGE_POOL_SIZE": "0",
            "SYNCODE_RATE_LIMIT_ENABLED": "false",
            "SYNCODE_COLLAB_COMPACT_UPDATES": "25",
            "SYNCODE_COLLAB_JOURNAL": str(journal).lower(),
        }
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, "run.py", cwd=ROOT, env=self.env, stdout=log, stderr=log
            )
        api = Api(self.url)
        for _ in range(300):
            if self.process.returncode is not None:
                raise RuntimeError(f"server exited: {self.log.read_text()[-2000:]}")
            try:
                if (await api.get("/health")).status == 200:
                    return
            except OSError:
                pass
            await asyncio.sleep(0.05)
        raise TimeoutError("server did not come up")

    async def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        await self.process.wait()


@pytest.fixture(params=[True, False], ids=["journal", "no-journal"])
async def server_process(
    mongo_uri: str, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[ServerProcess]:
    """Relayed once journaled (the default), or only once MongoDB has acknowledged (SYNCODE_COLLAB_JOURNAL=false)."""
    proc = ServerProcess(mongo_uri, tmp_path, request.param)
    yield proc
    if proc.process and proc.process.returncode is None:
        await proc.kill()


async def type_until_cancelled(client: YClient, number: int) -> None:
    for turn in itertools.count():
        text = client.text()
        current = str(text)
        text.insert(current.find("\n", len(current) // 2) + 1, f"<c{number}-{turn}>\n")  # at a line start
        await asyncio.sleep(0.005)


def adds_nothing(state: bytes, update: bytes) -> bool:
    """Applying the update to a doc holding `state` changes neither its clocks nor its text."""
    doc = Doc()
    doc.apply_update(state)
    clocks, text = state_vector(doc.get_state()), str(doc.get("code:python", type=Text))
    doc.apply_update(update)
    return state_vector(doc.get_state()) == clocks and str(doc.get("code:python", type=Text)) == text


async def test_sigkill_loses_no_update_any_client_received(server_process: ServerProcess):
    await server_process.start()
    api, secret = Api(server_process.url), {"X-Internal-Secret": SECRETS["SYNCODE_INTERNAL_SECRET"]}
    room = uuid.uuid4().hex
    assert (await api.post("/collab/documents", {"roomId": room}, headers=secret)).status == 201

    def token(user: str) -> str:
        return issue_collab_token(SECRETS["SYNCODE_COLLAB_JWT_SECRET"], 600, user, room, "candidate")[0]

    clients = [await YClient.connect(server_process.url, room, token(f"u{i}")) for i in range(3)]
    await asyncio.gather(*(asyncio.wait_for(c.synced.wait(), 5) for c in clients))
    typists = [asyncio.ensure_future(type_until_cancelled(c, i)) for i, c in enumerate(clients)]
    await asyncio.sleep(1.5)
    await server_process.kill()  # mid-typing: updates are in flight in every direction
    for typist in typists:
        typist.cancel()
    await asyncio.gather(*(c.closed.wait() for c in clients))

    await server_process.start()
    reader = await YClient.connect(server_process.url, room, token("reader"))
    await asyncio.wait_for(reader.synced.wait(), 5)
    reloaded = reader.doc.get_update()
    for client in clients:
        for update in client.received_updates:
            assert adds_nothing(reloaded, update)
        assert len(client.received_updates) > 50, "the clients should have exchanged plenty of edits first"
    assert len(TOKEN.findall(str(reader.text()))) > 150
    if server_process.journal:  # the restart replayed the journal into MongoDB before any socket opened
        assert "collab journal replayed" in server_process.log.read_text()
