"""`run.py backup` and `run.py restore` as real processes: an online backup of a running server in mongodump's
directory format, restored into a fresh data dir, and a server started on it serving the same accounts, rooms,
sessions, documents and avatars; and the snapshot that makes a backup taken under writes one instant."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import bson
from bson.codec_options import CodecOptions
from bson.raw_bson import RawBSONDocument

from syncode.backup import backup
from syncode.db import COLLECTIONS, Database
from syncode.embedded import free_port
from tests.collab.yclient import YClient
from tests.conftest import Api
from tests.test_run import ROOT, clean_env, run_cli, wait_healthy
from tests.test_users import png

ENV = clean_env(
    SYNCODE_BCRYPT_ROUNDS="4",
    SYNCODE_LOAD_PROBLEM_BANK="false",
    SYNCODE_RATE_LIMIT_ENABLED="false",
    SYNCODE_SANDBOX="process",
    SYNCODE_JUDGE_POOL_SIZE="0",
)
CODE = "def add(a, b):\n    return a + b\n"
LIVE_CODE = "print('still typing')\n"


class Process:
    """`python run.py` on a data dir, as a self-hoster runs it."""

    def __init__(self, data_dir: Path) -> None:
        self.port = free_port()
        cmd = [sys.executable, "run.py", "--port", str(self.port), "--data-dir", str(data_dir)]
        self.process = subprocess.Popen(cmd, cwd=ROOT, env=ENV, stderr=subprocess.DEVNULL)
        self.api = Api(f"http://127.0.0.1:{self.port}")

    async def __aenter__(self) -> Process:
        await wait_healthy(self.api, self.process)
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.process.terminate()
        await asyncio.to_thread(self.process.wait, 60)


async def ok(response: Any, status: int = 200) -> Any:
    assert response.status == status, (response.status, response.body[:300])
    return response.json


async def typed(api: Api, room: dict, joined: dict, code: str) -> None:
    """The host types `code` into the room's python document; wait until the other participant has it (a user's
    second connection would replace the first)."""
    writer = await YClient.connect(api.base_url, room["id"], room["collab"]["token"])
    await asyncio.wait_for(writer.synced.wait(), 10)
    text = writer.text()
    with writer.doc.transaction():
        del text[0 : len(str(text))]
        text += code
    reader = await YClient.connect(api.base_url, room["id"], joined["collab"]["token"])
    await reader.wait_for(lambda: str(reader.text()) == code, timeout=10)
    writer.close()
    reader.close()


async def populate(api: Api) -> dict[str, Any]:
    """Two accounts (one with an avatar), a finished session with code typed in it, and a live room with code."""
    alice, bob = await api.register(), await api.register()
    a, b = alice["accessToken"], bob["accessToken"]
    image = png()
    upload = await ok(await api.post("/api/users/me/avatar", {"contentType": "image/png", "size": len(image)}, token=a))
    assert (await api.request("PUT", upload["uploadUrl"], body=image, headers=upload["headers"])).status == 204
    await ok(await api.post("/api/users/me/avatar/confirm", {"key": upload["key"]}, token=a))
    room = await ok(await api.post("/api/rooms", {"mode": "peer", "language": "python"}, token=a), 201)
    joined = await ok(await api.post("/api/rooms/join", {"inviteCode": room["inviteCode"]}, token=b))
    session_id = (await ok(await api.post(f"/api/rooms/{room['id']}/phase", {"to": "warmup"}, token=a)))["sessionId"]
    await typed(api, room, joined, CODE)
    await ok(await api.post(f"/api/rooms/{room['id']}/phase", {"to": "finished"}, token=a))
    for _ in range(300):  # the training report is written in the background: the backup is to hold it
        if (await ok(await api.get(f"/api/sessions/{session_id}", token=a)))["reportStatus"] != "pending":
            break
        await asyncio.sleep(0.1)
    live = await ok(await api.post("/api/rooms", {"mode": "peer", "language": "python"}, token=b), 201)
    joined = await ok(await api.post("/api/rooms/join", {"inviteCode": live["inviteCode"]}, token=a))
    await ok(await api.post(f"/api/rooms/{live['id']}/phase", {"to": "warmup"}, token=b))
    await typed(api, live, joined, LIVE_CODE)
    return {"alice": alice, "bob": bob, "image": image, "room": room["id"], "session": session_id, "live": live["id"]}


def stable(value: Any) -> Any:
    """A response without what a server signs or derives from the moment (tokens, signed URLs, clocks)."""
    if isinstance(value, dict):
        skipped = {"token", "collab", "avatarUrl", "url", "expiresAt", "serverTime", "remainingSec", "elapsedSec"}
        skipped.add("isActive")  # presence: whether a socket is connected now (a closing one may still count)
        return {k: stable(v) for k, v in value.items() if k not in skipped}
    if isinstance(value, list):
        return [stable(v) for v in value]
    return value


def differences(a: Any, b: Any, path: str = "") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        return [d for k in a.keys() | b.keys() for d in differences(a.get(k), b.get(k), f"{path}.{k}")]
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [d for i, (x, y) in enumerate(zip(a, b, strict=True)) for d in differences(x, y, f"{path}[{i}]")]
    return [] if a == b else [f"{path}: {a!r} != {b!r}"]


async def views(api: Api, world: dict[str, Any], tokens: dict[str, str]) -> dict[str, Any]:
    """What the owners see of their data."""
    a, b = tokens["alice"], tokens["bob"]
    sid = world["session"]
    return {
        "me": stable(await ok(await api.get("/api/users/me", token=a))),
        "room": stable(await ok(await api.get(f"/api/rooms/{world['room']}", token=a))),
        "live": stable(await ok(await api.get(f"/api/rooms/{world['live']}", token=b))),
        "sessions": stable(await ok(await api.get("/api/sessions", token=a))),
        "session": stable(await ok(await api.get(f"/api/sessions/{sid}", token=a))),
        "snapshots": stable(await ok(await api.get(f"/api/sessions/{sid}/snapshots", token=a))),
        "events": stable(await ok(await api.get(f"/api/sessions/{sid}/events", token=b))),
    }


async def login(api: Api, account: dict) -> str:
    body = {"identifier": account["user"]["email"], "password": account["password"]}
    return (await ok(await api.post("/api/auth/login", body)))["accessToken"]


def documents(folder: Path) -> dict[str, Counter]:
    """Each collection's documents, byte for byte (as a multiset: a dump's order is the storage's)."""
    raw = CodecOptions(document_class=RawBSONDocument)
    result = {}
    for path in folder.glob("*.bson"):
        with path.open("rb") as source:
            result[path.stem] = Counter(doc.raw for doc in bson.decode_file_iter(source, codec_options=raw))
    return result


def check_format(folder: Path) -> None:
    """Files as mongodump writes them: every .bson decodes whole; each metadata.json has mongodump's keys in its
    order, canonical extended JSON, and the indexes SynCode declares."""
    names = {p.stem for p in folder.glob("*.bson")}
    assert names <= set(COLLECTIONS) and len(names) > 25  # every collection that exists (written or indexed)
    for path in folder.glob("*.bson"):
        with path.open("rb") as source:
            for document in bson.decode_file_iter(source):
                assert "_id" in document
        meta_text = (folder / f"{path.stem}.metadata.json").read_text()
        meta = json.loads(meta_text)
        assert list(meta) == ["indexes", "uuid", "collectionName", "type"], meta_text[:200]
        assert meta["collectionName"] == path.stem and meta["type"] == "collection"
        assert len(bytes.fromhex(meta["uuid"])) == 16
        assert meta["indexes"][0] == {"v": {"$numberInt": "2"}, "key": {"_id": {"$numberInt": "1"}}, "name": "_id_"}
        declared = {index.document["name"] for index in COLLECTIONS[path.stem].indexes}
        assert {index["name"] for index in meta["indexes"]} == declared | {"_id_"}


async def test_backup_of_a_running_server_restores_into_a_fresh_data_dir(tmp_path: Path) -> None:
    source_dir, target_dir, out = tmp_path / "source", tmp_path / "target", tmp_path / "backup"
    async with Process(source_dir) as server:
        world = await populate(server.api)
        tokens = {name: world[name]["accessToken"] for name in ("alice", "bob")}
        before = await views(server.api, world, tokens)
        result = await run_cli("--data-dir", str(source_dir), "backup", str(out), env=ENV)  # online
        assert result.returncode == 0, result.stderr
        assert "(transaction)" in result.stdout
    check_format(out / "syncode")
    dumped = documents(out / "syncode")
    assert sum(dumped["users"].values()) == 2 and sum(dumped["collabDocs"].values()) == 2
    assert sum(dumped["sessions"].values()) == 2  # the finished one and the live room's

    restored = await run_cli("--data-dir", str(target_dir), "restore", str(out), env=ENV)
    assert restored.returncode == 0, restored.stderr
    again = await run_cli("--data-dir", str(target_dir), "restore", str(out), env=ENV)
    assert again.returncode == 1 and "not empty" in again.stderr and "--drop" in again.stderr
    assert (await run_cli("--data-dir", str(target_dir), "restore", "--drop", str(out), env=ENV)).returncode == 0
    # Byte for byte: a backup of the restored database holds the same documents
    copy = tmp_path / "copy"
    assert (await run_cli("--data-dir", str(target_dir), "backup", str(copy), env=ENV)).returncode == 0
    assert documents(copy / "syncode") == dumped

    async with Process(target_dir) as server:
        api = server.api
        tokens = {name: await login(api, world[name]) for name in ("alice", "bob")}  # new secrets: sign in again
        after = await views(api, world, tokens)
        assert not differences(before, after)
        me = await ok(await api.get("/api/users/me", token=tokens["alice"]))
        assert (await api.get(me["avatarUrl"])).body == world["image"]
        live = await ok(await api.get(f"/api/rooms/{world['live']}", token=tokens["bob"]))
        reader = await YClient.connect(api.base_url, live["id"], live["collab"]["token"])
        await reader.wait_for(lambda: str(reader.text()) == LIVE_CODE, timeout=10)
        reader.close()
        restore_live = await run_cli("--data-dir", str(target_dir), "restore", "--drop", str(out), env=ENV)
        assert restore_live.returncode == 1 and "running" in restore_live.stderr


async def test_a_backup_under_writes_is_one_instant(mongo_uri: str, tmp_path: Path) -> None:
    """Pairs written to two collections, one after the other, while the backup reads: the copy holds whole pairs
    only (at most the one being written), where reading one collection after the other would split dozens."""
    db = Database(mongo_uri, f"test_{uuid.uuid4().hex[:12]}")
    server = Database(mongo_uri, db.name)  # the writer, on a client of its own as a server would be
    pad = "x" * 2000
    await db.db.left.insert_many([{"_id": i, "pad": pad} for i in range(3000)])
    await db.db.right.insert_many([{"_id": i, "pad": pad} for i in range(3000)])
    stop, written = asyncio.Event(), [3000]

    async def writer() -> None:
        while not stop.is_set():
            await server.db.left.insert_one({"_id": written[0], "pad": pad})
            await server.db.right.insert_one({"_id": written[0], "pad": pad})
            written[0] += 1
            await asyncio.sleep(0.001)  # a server's writes leave the event loop room for others

    task = asyncio.create_task(writer())
    await asyncio.sleep(0.2)
    try:
        for attempt in range(5):  # a quick backup on a quiet machine may see too few writes: take another
            out = tmp_path / f"out{attempt}"
            first = written[0]
            summary = await backup(db, out, None)
            during = written[0] - first
            if during >= 5:
                break
    finally:
        stop.set()
        await task
    await db.client.drop_database(db.name)
    await db.close()
    await server.close()
    assert summary.mode == "transaction"
    dumped = documents(out / db.name)
    left, right = set(dumped["left"]), set(dumped["right"])
    assert during >= 5, "the writer wrote too little during the backup to tell anything"
    ids = {side: {bson.decode(raw)["_id"] for raw in docs} for side, docs in (("l", left), ("r", right))}
    assert ids["r"] <= ids["l"] and len(ids["l"] - ids["r"]) <= 1
