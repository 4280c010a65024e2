"""The collab journal: records survive a crash in order, full segments go once MongoDB holds them, a replay writes
only what the update log lacks, and editing goes on while the database is down."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest
from bson import Binary
from pycrdt import Doc, Text
from pymongo import AsyncMongoClient

from realtime.journal import JournalEntry, JournalLocked, UpdateJournal
from syncode.clock import utcnow
from syncode.embedded import EmbeddedDatabase
from syncode.security import issue_collab_token
from tests.collab.conftest import eventually
from tests.collab.yclient import YClient
from tests.conftest import Api

# -- the journal on its own ----------------------------------------------------------------------------------


def write_records(journal: UpdateJournal, count: int) -> list[JournalEntry]:
    entries = [JournalEntry(f"room{n % 3}", n, bytes([n]) * 40) for n in range(1, count + 1)]
    assert [journal.append(e.room_id, e.seq, e.update) for e in entries] == list(range(1, count + 1))
    return entries


def test_records_come_back_in_order_after_a_crash(tmp_path: Path):
    journal = UpdateJournal(tmp_path, segment_bytes=256)
    assert journal.replay() == []
    journal.begin()
    entries = write_records(journal, 30)
    assert len(list(tmp_path.glob("*.log"))) > 3, "small segments: the records span several files"
    journal.close(everything_written=False)  # a crash: the files stay

    again = UpdateJournal(tmp_path, segment_bytes=256)
    assert again.replay() == entries
    again.begin()
    assert again.append("room", 1, b"u") == 1
    again.close(everything_written=False)
    assert UpdateJournal(tmp_path).replay() == [JournalEntry("room", 1, b"u")], "begin() dropped the replayed ones"


def test_full_segments_go_once_mongodb_holds_every_record_in_them(tmp_path: Path):
    journal = UpdateJournal(tmp_path, segment_bytes=256)
    journal.replay()
    journal.begin()
    entries = write_records(journal, 30)
    files = len(list(tmp_path.glob("*.log")))
    journal.release(12)
    left = len(list(tmp_path.glob("*.log")))
    assert 1 < left < files
    journal.close(everything_written=False)

    kept = UpdateJournal(tmp_path).replay()
    assert kept == entries[-len(kept) :], "what is left is the newest records, in order"
    assert kept[0].seq <= 13, "nothing MongoDB lacks is gone"
    assert len(kept) < 30


def test_a_torn_last_record_is_skipped_and_the_rest_kept(tmp_path: Path):
    journal = UpdateJournal(tmp_path)
    journal.replay()
    journal.begin()
    entries = write_records(journal, 5)
    journal.close(everything_written=False)
    segment = next(tmp_path.glob("*.log"))
    whole = segment.read_bytes()
    segment.write_bytes(whole + whole[:20])  # a crash in the middle of the next record

    assert UpdateJournal(tmp_path).replay() == entries


def test_a_clean_close_leaves_nothing_to_replay(tmp_path: Path):
    journal = UpdateJournal(tmp_path)
    journal.replay()
    journal.begin()
    write_records(journal, 5)
    journal.close(everything_written=True)
    assert list(tmp_path.glob("*.log")) == []
    assert UpdateJournal(tmp_path).replay() == []


def test_two_processes_cannot_share_a_journal(tmp_path: Path):
    first = UpdateJournal(tmp_path)
    first.replay()
    with pytest.raises(JournalLocked):
        UpdateJournal(tmp_path).replay()
    first.close(everything_written=False)
    UpdateJournal(tmp_path).replay()  # free again


def token(server, room_id: str, user_id: str) -> str:
    return issue_collab_token(server.settings.collab_jwt_secret, 600, user_id, room_id, "candidate")[0]


# -- replay at start-up --------------------------------------------------------------------------------------


def numbered_updates(count: int) -> list[bytes]:
    """`count` Yjs updates, each appending one line to code:python."""
    doc, updates = Doc(), []
    text = doc.get("code:python", type=Text)
    for n in range(1, count + 1):
        before = doc.get_state()
        text += f"line {n}\n"
        updates.append(doc.get_update(before))
    return updates


def state_of(updates: list[bytes]) -> bytes:
    doc = Doc()
    for update in updates:
        doc.apply_update(update)
    return doc.get_update()


@pytest.mark.parametrize("journal_on", [True, False], ids=["journal", "journal-turned-off-since"])
async def test_start_up_writes_what_the_log_lacks_and_nothing_else(
    make_server, mongo_uri: str, tmp_path: Path, journal_on: bool
):
    live, destroyed, unknown = (uuid.uuid4().hex for _ in range(3))
    updates = numbered_updates(8)
    db_name = f"test_{uuid.uuid4().hex[:12]}"
    client = AsyncMongoClient(mongo_uri)
    docs = client[db_name].collabDocs
    record = {"createdAt": utcnow(), "locked": False, "language": "python", "kicks": [], "roles": []}
    await docs.insert_one({"_id": live, **record, "snapshot": Binary(state_of(updates[:5])), "snapshotSeq": 5})
    await docs.insert_one(
        {"_id": destroyed, **record, "snapshot": Binary(b"\0\0"), "snapshotSeq": 0, "destroyedAt": utcnow()}
    )

    journal = UpdateJournal(tmp_path / "collab-journal")
    journal.replay()
    journal.begin()
    for seq in range(3, 9):  # 3..5 are in the snapshot already, 6..8 only here
        journal.append(live, seq, updates[seq - 1])
    journal.append(destroyed, 1, updates[0])
    journal.append(unknown, 1, updates[0])
    journal.close(everything_written=False)

    server = await make_server(data_dir=tmp_path, mongodb_db=db_name, collab_journal=journal_on)
    try:
        logged = [raw async for raw in server.db.collabUpdates.find({}).sort("seq", 1)]
        assert [(raw["roomId"], raw["seq"]) for raw in logged] == [(live, 6), (live, 7), (live, 8)]
        reader = await YClient.connect(server.url, live, token(server, live, "reader"))
        await asyncio.wait_for(reader.synced.wait(), 5)
        assert str(reader.text()) == "".join(f"line {n}\n" for n in range(1, 9))
        reader.close()
    finally:
        await server.stop()
        await client.close()
    assert UpdateJournal(tmp_path / "collab-journal").replay() == [], "a clean stop leaves nothing to replay"


# -- the database goes away ----------------------------------------------------------------------------------


async def test_editing_goes_on_while_the_database_is_down_and_the_log_catches_up(make_server, tmp_path: Path):
    database = EmbeddedDatabase(tmp_path / "db")
    uri = await database.start()
    quick = {"mongodb_uri": uri, "collab_unload_seconds": 0, "collab_tick_sec": 0.05}
    journaled = await make_server(**quick)
    strict = await make_server(**quick, collab_journal=False)
    try:
        rooms = {}
        for server in (journaled, strict):
            secret = {"X-Internal-Secret": server.settings.internal_secret}
            rooms[server] = room = uuid.uuid4().hex
            assert (await Api(server.url).post("/collab/documents", {"roomId": room}, headers=secret)).status == 201
        writer, reader = [await connect(journaled, rooms[journaled], f"u{n}") for n in range(2)]
        strict_writer, strict_reader = [await connect(strict, rooms[strict], f"u{n}") for n in range(2)]

        await database.stop()
        for n in range(20):
            writer.text().insert(len(str(writer.text())), f"offline {n}\n")
        await reader.wait_for(lambda: str(reader.text()).count("offline") == 20)
        health = await collab_health(journaled)
        assert health["pendingWrites"] > 0

        strict_writer.text().insert(0, "refused\n")  # not durable, so not applied nor relayed: the socket closes
        assert (await strict_writer.wait_closed(15))[0] == 1011
        await asyncio.sleep(0.2)
        assert "refused" not in str(strict_reader.text())
        await eventually(lambda: _status_is(journaled, "degraded"), timeout=15)

        await database.start(port=database.port)
        await eventually(lambda: _caught_up(journaled), timeout=30)
        assert await journaled.db.collabUpdates.count_documents({"roomId": rooms[journaled]}) == 20
        for client in (writer, reader, strict_reader):
            client.close()
        await eventually(lambda: not journaled.collab.rooms, timeout=5)  # unloaded: the next join reads MongoDB
        again = await connect(journaled, rooms[journaled], "u3")
        assert str(again.text()).count("offline") == 20
        again.close()
    finally:
        await journaled.stop()
        await strict.stop()
        await database.stop()


async def test_a_killed_log_writer_is_replaced_and_the_log_catches_up(make_server):
    server = await make_server(collab_unload_seconds=0, collab_tick_sec=0.05)
    started = server.collab.writer.process
    assert started is not None and started.returncode is None  # with the server, not at the first edit
    room = uuid.uuid4().hex
    secret = {"X-Internal-Secret": server.settings.internal_secret}
    assert (await Api(server.url).post("/collab/documents", {"roomId": room}, headers=secret)).status == 201
    writer, reader = [await connect(server, room, f"u{n}") for n in range(2)]
    writer.text().insert(0, "before\n")
    await reader.wait_for(lambda: "before" in str(reader.text()))  # relayed, so queued for the log
    await eventually(lambda: _caught_up(server), timeout=15)
    killed = server.collab.writer.process
    killed.kill()
    await killed.wait()
    for n in range(10):
        writer.text().insert(len(str(writer.text())), f"after {n}\n")
    await reader.wait_for(lambda: str(reader.text()).count("after") == 10)
    await eventually(lambda: _caught_up(server), timeout=15)
    assert server.collab.writer.process.pid != killed.pid
    for client in (writer, reader):
        client.close()
    await eventually(lambda: not server.collab.rooms, timeout=5)  # unloaded: the next join reads MongoDB
    again = await connect(server, room, "u2")
    assert str(again.text()).count("after") == 10 and "before" in str(again.text())
    again.close()
    await server.stop()


async def connect(server, room_id: str, user_id: str) -> YClient:
    client = await YClient.connect(server.url, room_id, token(server, room_id, user_id))
    await asyncio.wait_for(client.synced.wait(), 5)
    return client


async def collab_health(server) -> dict:
    headers = {"X-Internal-Secret": server.settings.internal_secret}
    return (await Api(server.url).get("/collab/health", headers=headers)).json


async def _status_is(server, status: str) -> bool:
    return (await collab_health(server))["status"] == status


async def _caught_up(server) -> bool:
    health = await collab_health(server)
    return health["status"] == "ok" and health["pendingWrites"] == 0


async def test_start_up_rekeys_a_log_of_the_first_format(make_server, mongo_uri: str, tmp_path: Path):
    room, updates = uuid.uuid4().hex, numbered_updates(3)
    db_name = f"test_{uuid.uuid4().hex[:12]}"
    client = AsyncMongoClient(mongo_uri)
    db = client[db_name]
    record = {"createdAt": utcnow(), "locked": False, "language": "python", "kicks": [], "roles": []}
    await db.collabDocs.insert_one({"_id": room, **record, "snapshot": Binary(b"\0\0"), "snapshotSeq": 0})
    await db.collabUpdates.create_index([("roomId", 1), ("seq", 1)], unique=True)
    await db.collabUpdates.insert_many(
        [{"roomId": room, "seq": seq, "update": Binary(u)} for seq, u in enumerate(updates, 1)]
    )

    server = await make_server(data_dir=tmp_path, mongodb_db=db_name)
    try:
        logged = [raw async for raw in server.db.collabUpdates.find({})]
        assert sorted(raw["_id"] for raw in logged) == [f"{room}:{seq:012d}" for seq in (1, 2, 3)]
        assert "roomId_1_seq_1" not in await server.db.collabUpdates.index_information()
        reader = await YClient.connect(server.url, room, token(server, room, "reader"))
        await asyncio.wait_for(reader.synced.wait(), 5)
        assert str(reader.text()) == "line 1\nline 2\nline 3\n"
        reader.close()
    finally:
        await server.stop()
        await client.close()
