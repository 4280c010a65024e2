"""The words of the contract, defined once: room statuses and their order, roles, modes, WebSocket close codes.

Imported by the services, the API models (their `Literal` types are built from these), and the realtime layer.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum


class RoomStatus(StrEnum):
    waiting = "waiting"
    warmup = "warmup"
    coding = "coding"
    wrapup = "wrapup"
    finished = "finished"


PHASES: tuple[RoomStatus, ...] = tuple(RoomStatus)  # in the order a room goes through them
LIVE_STATUSES: tuple[RoomStatus, ...] = PHASES[:-1]  # every status but finished


class Role(StrEnum):
    interviewer = "interviewer"
    candidate = "candidate"
    observer = "observer"


class Mode(StrEnum):
    peer = "peer"
    ai = "ai"


class CloseCode(IntEnum):
    """WebSocket close codes of both planes (API.md, and the OpenAPI descriptions of /api/ws and /collab)."""

    shutdown = 1001
    protocol_error = 1002
    unsupported_data = 1003
    message_too_big = 1009
    server_error = 1011
    bad_token = 4001
    kicked = 4002
    not_allowed = 4003  # not a participant (now), banned or deleted account, room closed
    unknown_room = 4004
    slow_reader = 4008
    replaced = 4009
    document_too_large = 4013
    too_much = 4029  # too many messages, or bytes, per second
