"""Backups: the whole database in mongodump's directory format, and loading one back (`run.py backup|restore`).

A backup directory OUT holds OUT/<database>/<collection>.bson (the collection's documents as concatenated BSON,
byte for byte as stored: read and written as raw BSON, never decoded) and <collection>.metadata.json (options,
indexes, uuid, collectionName, type, in the canonical extended JSON mongodump writes), so `mongorestore` loads it
into a real MongoDB and a `mongodump` of a real MongoDB loads here. Local blob files (avatars) go beside it in
OUT/blobs.tar, a file mongorestore skips.

Consistency: every collection is read inside one snapshot, so the copy is the database at one instant, taken
while the server runs (writes go on meanwhile and are not in it). The snapshot is a snapshot session on a MongoDB
replica set, else a read-only transaction (the embedded SecantusDB: its transactions read one WiredTiger
snapshot); only a server offering neither (a standalone mongod) is read collection by collection, said so.
"""

from __future__ import annotations

import json
import os
import shutil
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import bson
from bson import json_util
from bson.codec_options import CodecOptions
from bson.raw_bson import RawBSONDocument
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.errors import ConfigurationError, InvalidOperation, OperationFailure
from pymongo.read_concern import ReadConcern

from syncode.db import Database

RAW = CodecOptions(document_class=RawBSONDocument)
BLOBS_ARCHIVE = "blobs.tar"
INSERT_BATCH_BYTES = 8 * 1024 * 1024  # one insert carries at most this much (MongoDB's message limit is 48 MB)


class BackupError(RuntimeError):
    """A backup or restore that cannot go on; the message says why and what to do."""


@dataclass
class Summary:
    mode: str = ""  # how the copy was read: "snapshot session", "transaction" or "collection by collection"
    documents: dict[str, int] = field(default_factory=dict)
    blobs: int = 0


# -- backup -------------------------------------------------------------------------------------------------------


async def backup(db: Database, out: Path, blobs_dir: Path | None) -> Summary:
    """Write the database (and the local blob files) to `out`, which must not exist or be empty. Written into a
    sibling directory first and renamed at the end: a failed backup leaves nothing that looks like one."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise BackupError(f"{out} exists and is not an empty directory")
    partial = out.with_name(f".{out.name}.partial-{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)
    (partial / db.name).mkdir(parents=True)
    try:
        summary = await _dump(db, partial / db.name)
        if blobs_dir is not None and blobs_dir.is_dir():
            summary.blobs = _archive_blobs(blobs_dir, partial / BLOBS_ARCHIVE)
        if out.exists():
            out.rmdir()
        partial.rename(out)
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    return summary


async def _dump(db: Database, target: Path) -> Summary:
    # listCollections and listIndexes are not allowed inside a transaction: read them first (a collection created
    # during the backup is not in it, as its documents would not be)
    collections = [c async for c in await db.db.list_collections() if c.get("type", "collection") == "collection"]
    collections = [c for c in collections if not c["name"].startswith("system.")]
    for info in collections:
        indexes = [index async for index in await db.db[info["name"]].list_indexes()]
        (target / f"{_file_name(info['name'])}.metadata.json").write_text(metadata_json(info, indexes))
    summary = Summary()
    summary.mode, session = await _open_snapshot(db, [c["name"] for c in collections])
    try:
        for info in collections:
            name = info["name"]
            summary.documents[name] = await _dump_collection(db, name, session, target / f"{_file_name(name)}.bson")
    finally:
        if session is not None:
            if session.in_transaction:
                await session.abort_transaction()  # read only: nothing to commit
            await session.end_session()
    return summary


async def _dump_collection(db: Database, name: str, session: AsyncClientSession | None, path: Path) -> int:
    count = 0
    collection = db.db.get_collection(name, codec_options=RAW)
    with path.open("wb") as out:
        async for document in collection.find({}, session=session, batch_size=1000):
            out.write(document.raw)
            count += 1
    return count


def metadata_json(info: dict[str, Any], indexes: list[Any]) -> str:
    """The <collection>.metadata.json mongodump writes: canonical extended JSON, keys in its order, no options
    key when there are none."""
    meta: dict[str, Any] = {}
    if info.get("options"):
        meta["options"] = info["options"]
    meta["indexes"] = [dict(index) for index in indexes]
    uuid = (info.get("info") or {}).get("uuid")
    if uuid is not None:
        meta["uuid"] = uuid.as_uuid().hex if hasattr(uuid, "as_uuid") else uuid.hex
    meta["collectionName"] = info["name"]
    meta["type"] = info.get("type", "collection")
    return json_util.dumps(meta, json_options=json_util.CANONICAL_JSON_OPTIONS, separators=(",", ":"))


async def _open_snapshot(db: Database, names: list[str]) -> tuple[str, AsyncClientSession | None]:
    """The first of the ways to read one instant that this server offers, and its session. The probe read is the
    snapshot's first read (a transaction pins its snapshot there)."""
    probe = db.db.get_collection(names[0], codec_options=RAW) if names else None
    unsupported = (OperationFailure, ConfigurationError, InvalidOperation)
    session = db.client.start_session(snapshot=True)
    try:
        if probe is not None:
            await probe.find_one({}, session=session)
        return "snapshot session", session
    except unsupported:
        await session.end_session()
    session = db.client.start_session()
    try:
        await session.start_transaction(read_concern=ReadConcern("snapshot"))
        if probe is not None:
            await probe.find_one({}, session=session)
        return "transaction", session
    except unsupported:
        await session.end_session()  # and with it the transaction
    return "collection by collection", None


def _archive_blobs(blobs_dir: Path, archive: Path) -> int:
    count = 0
    with tarfile.open(archive, "w") as tar:
        for path in sorted(blobs_dir.rglob("*")):
            if path.is_file() and not path.name.startswith("."):  # dot files: uploads in progress, claims
                tar.add(path, arcname=str(path.relative_to(blobs_dir)), recursive=False)
                count += 1
    return count


def _file_name(collection: str) -> str:
    return quote(collection, safe="._-")


# -- restore ------------------------------------------------------------------------------------------------------


@dataclass
class CollectionDump:
    name: str
    bson_path: Path
    metadata: dict[str, Any]


def read_dump(source: Path, database: str) -> list[CollectionDump]:
    """The collections of a backup directory (or of its database directory), every file checked before anything
    is written: a torn or foreign file stops the restore with nothing changed."""
    folder = _database_folder(source, database)
    dumps = []
    for bson_path in sorted(folder.glob("*.bson")):
        stem = bson_path.name[: -len(".bson")]
        meta_path = folder / f"{stem}.metadata.json"
        metadata = json_util.loads(meta_path.read_text()) if meta_path.exists() else {}
        try:
            for _ in _documents(bson_path):
                pass
        except (bson.InvalidBSON, ValueError) as exc:
            raise BackupError(f"{bson_path} is not a file of BSON documents: {exc}") from exc
        dumps.append(CollectionDump(metadata.get("collectionName") or unquote(stem), bson_path, metadata))
    return dumps


def _database_folder(source: Path, database: str) -> Path:
    if not source.is_dir():
        raise BackupError(f"{source} is not a directory")
    if any(source.glob("*.bson")):
        return source
    if (source / database).is_dir():
        return source / database
    folders = [p for p in source.iterdir() if p.is_dir() and any(p.glob("*.bson"))]
    if len(folders) == 1:
        return folders[0]
    found = ", ".join(p.name for p in folders) or "none"
    raise BackupError(f"{source} holds no database folder named {database} (found: {found})")


def _documents(path: Path) -> Iterator[RawBSONDocument]:
    with path.open("rb") as source:
        yield from bson.decode_file_iter(source, codec_options=RAW)


async def restore(db: Database, source: Path, drop: bool, blobs_dir: Path | None) -> Summary:
    """Load a backup into the database. Refused when a collection of the database holds documents, unless `drop`:
    then each collection of the backup replaces its namesake (as mongorestore --drop; others are left alone)."""
    dumps = read_dump(source, db.name)
    if not dumps:
        raise BackupError(f"{source} holds no collections")
    if not drop:
        occupied = [name for name in await db.db.list_collection_names() if await db.db[name].find_one({}, {"_id": 1})]
        if occupied:
            raise BackupError(
                f"database {db.name} is not empty ({', '.join(sorted(occupied)[:5])}...): "
                "restore into a fresh data dir, or pass --drop to replace it"
            )
    summary = Summary(mode="restore")
    existing = set(await db.db.list_collection_names())
    for dump in dumps:
        summary.documents[dump.name] = await _restore_collection(db, dump, drop, dump.name in existing)
    archive = source / BLOBS_ARCHIVE
    if blobs_dir is not None and archive.exists():
        summary.blobs = _extract_blobs(archive, blobs_dir)
    return summary


async def _restore_collection(db: Database, dump: CollectionDump, drop: bool, exists: bool) -> int:
    if drop and exists:
        await db.db.drop_collection(dump.name)
    if drop or not exists:  # an existing (empty) one keeps its options; its indexes are checked below
        await db.db.create_collection(dump.name, **dict(dump.metadata.get("options") or {}))
    collection = db.db.get_collection(dump.name, codec_options=RAW)
    count, batch, size = 0, [], 0
    for document in _documents(dump.bson_path):
        batch.append(document)
        size += len(document.raw)
        if size >= INSERT_BATCH_BYTES or len(batch) >= 10_000:
            await collection.insert_many(batch)
            count, batch, size = count + len(batch), [], 0
    if batch:
        await collection.insert_many(batch)
        count += len(batch)
    for index in dump.metadata.get("indexes", []):
        if index["name"] == "_id_":
            continue
        spec = {k: v for k, v in index.items() if k not in ("v", "ns", "key")}
        await collection.create_index(list(index["key"].items()), **spec)
    return count


def _extract_blobs(archive: Path, blobs_dir: Path) -> int:
    blobs_dir.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive) as tar:
        members = [m for m in tar.getmembers() if m.isfile()]
        tar.extractall(blobs_dir, members=members, filter="data")  # "data": no absolute paths, links or ..
    return len(members)


def describe(summary: Summary) -> str:
    documents = sum(summary.documents.values())
    return json.dumps({"collections": len(summary.documents), "documents": documents, "blobs": summary.blobs})
