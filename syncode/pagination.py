"""Keyset (cursor) pagination shared by every list endpoint.

A cursor names the sort field and the last item's (value, _id); the next page starts strictly after it,
so inserts between page requests never cause duplicates or gaps in what was already paged.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.collection import AsyncCollection

from syncode.errors import ValidationFailed


@dataclass
class PageResult:
    items: list[dict[str, Any]]
    next_cursor: str | None
    has_more: bool


def _encode_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"$d": int(value.timestamp() * 1000)}
    return value


def _decode_value(value: Any) -> Any:
    if isinstance(value, int) and not -(2**63) <= value < 2**63:
        raise ValueError("cursor number out of range")  # no 64-bit BSON integer
    if isinstance(value, dict) and set(value) == {"$d"} and isinstance(value["$d"], int):
        return datetime.fromtimestamp(value["$d"] / 1000, UTC)
    if isinstance(value, (str, int, float)) or value is None:
        return value
    raise ValueError("bad cursor value")


def encode_cursor(field: str, value: Any, last_id: Any) -> str:
    raw = json.dumps([field, _encode_value(value), last_id], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, field: str) -> tuple[Any, Any]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        name, value, last_id = json.loads(raw)
        if name != field:
            raise ValueError("cursor belongs to another sort order")
        return _decode_value(value), _decode_value(last_id)  # scalars only: nothing nested reaches a query
    except (ValueError, TypeError, OverflowError, RecursionError, binascii.Error, UnicodeDecodeError):
        raise ValidationFailed("cursor cannot be decoded", "INVALID_CURSOR", {"cursor": "invalid cursor"}) from None


def nested(doc: dict[str, Any], dotted: str) -> Any:
    for part in dotted.split("."):
        doc = doc.get(part) if isinstance(doc, dict) else None
    return doc


async def paginate(
    collection: AsyncCollection,
    query: dict[str, Any],
    *,
    sort_field: str = "createdAt",
    descending: bool = True,
    cursor: str | None = None,
    limit: int = 20,
    projection: dict[str, Any] | None = None,
) -> PageResult:
    direction = DESCENDING if descending else ASCENDING
    if cursor:
        value, last_id = decode_cursor(cursor, sort_field)
        op = "$lt" if descending else "$gt"
        after = {"$or": [{sort_field: {op: value}}, {sort_field: value, "_id": {op: last_id}}]}
        query = {"$and": [query, after]} if query else after
    found = collection.find(query, projection).sort([(sort_field, direction), ("_id", direction)]).limit(limit + 1)
    items = await found.to_list(limit + 1)
    has_more = len(items) > limit
    items = items[:limit]
    next_cursor = None
    if has_more:
        last = items[-1]
        next_cursor = encode_cursor(sort_field, nested(last, sort_field), last["_id"])
    return PageResult(items, next_cursor, has_more)


async def paginate_computed(
    collection: AsyncCollection,
    query: dict[str, Any],
    *,
    sort_name: str,
    sort_key: Any,
    descending: bool = True,
    cursor: str | None = None,
    limit: int = 20,
) -> PageResult:
    """Like `paginate`, ordered by an aggregation expression `sort_key` (named `sort_name` in cursors), such as
    a field with a default for the documents without it: keyset pages need a value of one type on every item."""
    direction = DESCENDING if descending else ASCENDING
    pipeline: list[dict[str, Any]] = [{"$match": query}, {"$addFields": {"_sortKey": sort_key}}]
    if cursor:
        value, last_id = decode_cursor(cursor, sort_name)
        op = "$lt" if descending else "$gt"
        pipeline.append({"$match": {"$or": [{"_sortKey": {op: value}}, {"_sortKey": value, "_id": {op: last_id}}]}})
    pipeline += [{"$sort": {"_sortKey": direction, "_id": direction}}, {"$limit": limit + 1}]
    items = await (await collection.aggregate(pipeline)).to_list(limit + 1)
    has_more = len(items) > limit
    items = items[:limit]
    next_cursor = encode_cursor(sort_name, items[-1]["_sortKey"], items[-1]["_id"]) if has_more else None
    return PageResult(items, next_cursor, has_more)
