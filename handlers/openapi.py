"""OpenAPI 3.1 document generated from the route table and the @operation declarations (never by hand)."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from syncode.models.common import ErrorResponse
from syncode.services.execution import PROGRESS_INTERVAL_SEC

METHODS = ("get", "post", "put", "patch", "delete")
PATH_PARAM = re.compile(r"{(\w+)}")
STATUS_TEXT = {
    200: "OK",
    201: "Created",
    202: "Accepted",
    204: "No Content",
    400: "Validation failed",
    401: "Missing, invalid or expired token",
    403: "Forbidden",
    404: "Not found",
    409: "Conflict",
    410: "Gone",
    413: "Body over 1 MiB",
    429: "Rate limited (Retry-After)",
    503: "Unavailable",
}


# WebSocket endpoints cannot be described by OpenAPI operations; they are documented as upgrade requests.
WEBSOCKETS: dict[str, dict[str, Any]] = {
    "/api/ws": {
        "summary": "Event channel (WebSocket)",
        "description": (
            "Query `token` = access token. JSON frames `{type, roomId?, data, at}`. Client → server: `subscribe` / "
            "`unsubscribe` {roomId}, `ping`, `chat.send` {roomId, text ≤ 2000 chars}. Server → client: `ready` "
            "{userId, rooms} (the socket follows all the user's live rooms), `subscribed` / `unsubscribed` {reason}, "
            "`pong`, `error` {code, message}, and the room events: room.updated (RoomDetail as seen by no one in "
            "particular: myRole null, no collab token), room.phase_changed, room.timer, room.editor_locked / "
            "_unlocked, participant.joined / .left / .updated / .kicked, role_swap.requested / .resolved, "
            "run.started / run.completed (RunResult), submission.progress {submissionId, passed, done, total} (at "
            f"most every {PROGRESS_INTERVAL_SEC} s while judging lasts longer) / "
            "submission.completed (SubmissionResult), analysis.completed, chat.message, hint.revealed {index, text, "
            "revealedBy, revealedAt, total} (a hint the interviewer revealed). Polling endpoints return "
            "the same data. Close codes: 4001 bad token (also when a password change, a reset or a reused refresh "
            "token revokes it), 4003 banned or deleted account, 4008 not reading, 4029 too many frames, 1009 frame "
            "too large."
        ),
    },
    "/collab/{roomId}": {
        "summary": "Collaborative document (WebSocket, y-protocols)",
        "description": (
            "Query `token` = RoomDetail.collab.token. Standard y-websocket framing (0 sync, 1 awareness, 3 query "
            "awareness); works with the stock `y-websocket` WebsocketProvider. Document: Y.Text('code:<language>'), "
            "Y.Map('whiteboard'), Y.Array('chat'), Y.Map('meta'). Observers, and everyone while the editor is "
            "locked, are read-only. Membership is checked at every connect: a token of someone who left, was kicked "
            "or banned, or deleted their account is refused. Close codes: 4001 bad token, 4002 kicked, 4003 not a "
            "participant (now) / room closed, 4004 unknown room, 4008 not reading its frames (reconnect and "
            "resync), 4009 replaced by a newer connection, 4013 the update would grow the document past its cap "
            "(SYNCODE_COLLAB_MAX_DOCUMENT_BYTES, 8 MiB; not stored), 4029 too many messages or too many bytes "
            "(per connection 256 KiB/s in bursts of one largest message, per room 512 KiB/s; the refused message "
            "was not stored), 1009 message over 1 MiB, 1011 an update could not be stored (it was not applied; "
            "reconnect and resync)."
        ),
    },
}


def _websocket(path: str, doc: dict[str, Any]) -> dict[str, Any]:
    string = {"type": "string"}
    params = [{"name": "token", "in": "query", "required": True, "schema": string}]
    params += [{"name": n, "in": "path", "required": True, "schema": string} for n in PATH_PARAM.findall(path)]
    operation_id = "Realtime_" + doc["summary"].split(" (")[0].replace(" ", "_")
    return {
        "get": {
            **doc,
            "tags": ["Realtime"],
            "operationId": operation_id,
            "parameters": params,
            "responses": {
                "101": {"description": "Switching Protocols (WebSocket)"},
                # Tornado's own answer to a request that is not an upgrade; the token is checked after it
                "400": {"description": "Not a WebSocket upgrade request", "content": {"text/html": {}}},
            },
        }
    }


def build_openapi(routes: list[tuple[str, type, dict]], title: str, version: str) -> dict[str, Any]:
    operations = [
        (path, method, getattr(cls, method)._operation)
        for path, cls, _ in routes
        for method in METHODS
        if hasattr(getattr(cls, method, None), "_operation")
    ]
    models: list[tuple[type[BaseModel], str]] = [(ErrorResponse, "serialization")]
    for _, _, op in operations:
        if op.request:
            models.append((op.request, "validation"))
        for model in (op.response, *(model for _, model in op.also)):
            if isinstance(model, type) and issubclass(model, BaseModel):
                models.append((model, "serialization"))
    refs, defs = models_json_schema(models, ref_template="#/components/schemas/{model}")
    paths: dict[str, dict[str, Any]] = {}
    for path, method, op in operations:
        paths.setdefault(path, {})[method] = _operation(path, op, refs)
    for path, doc in WEBSOCKETS.items():
        paths[path] = _websocket(path, doc)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": title,
            "version": version,
            "description": "SynCode control plane (REST under /api) and collab plane internal API.",
        },
        "paths": paths,
        "components": {
            "schemas": defs.get("$defs", {}),
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
                "internalSecret": {"type": "apiKey", "in": "header", "name": "X-Internal-Secret"},
            },
        },
    }


def _operation(path: str, op: Any, refs: dict) -> dict[str, Any]:
    params: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in PATH_PARAM.findall(path)
    ]
    if op.query:
        schema = op.query.model_json_schema(by_alias=True)
        required = set(schema.get("required", []))
        for name, prop in schema.get("properties", {}).items():
            params.append({"name": name, "in": "query", "required": name in required, "schema": prop})
    entry: dict[str, Any] = {
        "summary": op.summary,
        "tags": [op.tag],
        "operationId": f"{op.tag}_{op.summary}".replace(" ", "_").replace("(", "").replace(")", ""),
        "parameters": params,
        "responses": {str(op.status): _success(op, refs)},
    }
    for status, model in op.also:
        entry["responses"][str(status)] = {"description": STATUS_TEXT.get(status, "OK")}
        if model is not None:
            entry["responses"][str(status)]["content"] = {
                "application/json": {"schema": refs[(model, "serialization")]}
            }
    if op.description:
        entry["description"] = op.description
    if op.request:
        entry["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": refs[(op.request, "validation")]}},
        }
    if op.auth:
        entry["security"] = [{"bearer": []}]
    elif op.tag in ("Collab", "Callbacks"):
        entry["security"] = [{"internalSecret": []}]
    error_ref = refs[(ErrorResponse, "serialization")]
    # Every operation is rate-limited (429); one with a body refuses one over 1 MiB (413).
    implied = {429} | ({401} if op.auth else set()) | ({413} if op.request else set())
    for status in sorted(set(op.errors) | implied):
        entry["responses"][str(status)] = {
            "description": STATUS_TEXT.get(status, "Error"),
            "content": {"application/json": {"schema": error_ref}},
        }
    return entry


def _success(op: Any, refs: dict) -> dict[str, Any]:
    response: dict[str, Any] = {"description": STATUS_TEXT.get(op.status, "OK")}
    if isinstance(op.response, type) and issubclass(op.response, BaseModel):
        response["content"] = {op.content_type: {"schema": refs[(op.response, "serialization")]}}
    elif op.status != 204 and op.content_type != "application/json":
        response["content"] = {op.content_type: {}}
    for content_type in op.other_content_types:
        response.setdefault("content", {})[content_type] = {}
    return response
