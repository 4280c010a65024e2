"""y-protocols framing (the wire format of y-websocket): parse incoming frames, build outgoing ones.

A frame is varUint(messageType) followed by a type-specific body:
  0 sync:            varUint(step1 | step2 | update) varBytes(payload)
  1 awareness:       varBytes(awareness update)
  2 auth:            (server -> client only; ignored when received)
  3 query awareness: no body
"""

from __future__ import annotations

from dataclasses import dataclass

from pycrdt import Decoder, write_message

SYNC, AWARENESS, AUTH, QUERY_AWARENESS = 0, 1, 2, 3
STEP1, STEP2, UPDATE = 0, 1, 2
EMPTY_UPDATE = b"\x00\x00"


class ProtocolError(ValueError):
    """The frame does not follow y-protocols."""


@dataclass(frozen=True)
class Frame:
    kind: int  # SYNC | AWARENESS | AUTH | QUERY_AWARENESS
    step: int | None = None  # for SYNC: STEP1 | STEP2 | UPDATE
    payload: bytes = b""

    @property
    def is_document_update(self) -> bool:
        return self.kind == SYNC and self.step in (STEP2, UPDATE)


def parse(data: bytes) -> Frame:
    try:
        decoder = Decoder(data)
        kind = decoder.read_var_uint()
        if kind == SYNC:
            step = decoder.read_var_uint()
            if step not in (STEP1, STEP2, UPDATE):
                raise ProtocolError(f"unknown sync step {step}")
            return Frame(SYNC, step, _payload(decoder))
        if kind == AWARENESS:
            return Frame(AWARENESS, None, _payload(decoder))
        if kind in (AUTH, QUERY_AWARENESS):
            return Frame(kind)
    except (RuntimeError, IndexError) as exc:  # pycrdt's Decoder signals truncation this way
        raise ProtocolError("truncated frame") from exc
    raise ProtocolError(f"unknown message type {kind}")


def _payload(decoder: Decoder) -> bytes:
    expected = decoder.read_var_uint()
    payload = decoder.stream[decoder.i0 : decoder.i0 + expected]
    if len(payload) != expected:
        raise ProtocolError("truncated payload")
    return bytes(payload)


def state_vector(encoded: bytes) -> dict[int, int]:
    """Decode a Yjs state vector to {client id: clock}, leaving out clients with nothing integrated yet."""
    decoder = Decoder(encoded)
    clocks = {decoder.read_var_uint(): decoder.read_var_uint() for _ in range(decoder.read_var_uint())}
    return {client: clock for client, clock in clocks.items() if clock}


def sync_step1(state_vector: bytes) -> bytes:
    return bytes([SYNC, STEP1]) + write_message(state_vector)


def sync_step2(update: bytes) -> bytes:
    return bytes([SYNC, STEP2]) + write_message(update)


def sync_update(update: bytes) -> bytes:
    return bytes([SYNC, UPDATE]) + write_message(update)


def awareness(update: bytes) -> bytes:
    return bytes([AWARENESS]) + write_message(update)


def query_awareness() -> bytes:
    return bytes([QUERY_AWARENESS])
