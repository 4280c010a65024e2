"""y-protocols framing (realtime/protocol.py): what the builders encode parses back; malformed frames are refused."""

from __future__ import annotations

import dataclasses

import pytest
from pycrdt import Doc, Text

from realtime import protocol
from realtime.protocol import (
    AUTH,
    AWARENESS,
    QUERY_AWARENESS,
    STEP1,
    STEP2,
    SYNC,
    UPDATE,
    Frame,
    ProtocolError,
    parse,
)

# Payload sizes around the varint boundaries (1 byte up to 127, 2 up to 16383, then 3).
SIZES = [0, 1, 127, 128, 300, 16383, 16384, 70000]


def payload(size: int) -> bytes:
    return bytes(i % 251 for i in range(size))


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize(
    ("build", "kind", "step"),
    [
        (protocol.sync_step1, SYNC, STEP1),
        (protocol.sync_step2, SYNC, STEP2),
        (protocol.sync_update, SYNC, UPDATE),
        (protocol.awareness, AWARENESS, None),
    ],
)
def test_built_frames_parse_back(build, kind: int, step: int | None, size: int) -> None:
    data = payload(size)
    assert parse(build(data)) == Frame(kind, step, data)


def test_the_length_prefix_is_a_varint() -> None:
    assert protocol.sync_update(b"ab") == b"\x00\x02\x02ab"
    assert protocol.sync_step1(payload(300))[:4] == b"\x00\x00\xac\x02"  # 300 = 0b10_0101100
    assert protocol.awareness(b"") == b"\x01\x00"


def test_query_awareness_and_auth_have_no_body() -> None:
    assert protocol.query_awareness() == b"\x03"
    assert parse(protocol.query_awareness()) == Frame(QUERY_AWARENESS)
    assert parse(b"\x02\x00\x05whatever") == Frame(AUTH)  # a client's auth message is ignored


def test_only_step2_and_updates_change_the_document() -> None:
    assert parse(protocol.sync_step2(b"u")).is_document_update
    assert parse(protocol.sync_update(protocol.EMPTY_UPDATE)).is_document_update
    assert not parse(protocol.sync_step1(b"sv")).is_document_update
    assert not parse(protocol.awareness(b"a")).is_document_update
    assert not Frame(AWARENESS, UPDATE).is_document_update  # the step only counts for sync frames


def test_frames_are_immutable() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        parse(protocol.sync_update(b"u")).payload = b"other"  # type: ignore[misc]


def test_a_real_document_update_round_trips() -> None:
    doc = Doc()
    doc.get("code", type=Text).insert(0, "print(42)")
    frame = parse(protocol.sync_step2(doc.get_update()))
    copy = Doc()
    copy.apply_update(frame.payload)
    assert str(copy.get("code", type=Text)) == "print(42)"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "truncated frame"),
        (b"\x80", "truncated frame"),  # the message type's varint stops after a continuation byte
        (b"\x00", "truncated frame"),  # sync without a step
        (b"\x00\x02", "truncated frame"),  # an update without its length
        (b"\x00\x02\x80", "truncated frame"),  # the length's varint cut short
        (b"\x01", "truncated frame"),  # awareness without its length
        (b"\x00\x02\x05ab", "truncated payload"),  # 5 bytes announced, 2 sent
        (b"\x01\xac\x02" + payload(299), "truncated payload"),
        (b"\x04", "unknown message type 4"),
        (b"\x80\x01", "unknown message type 128"),  # a two-byte varint
        (b"\x00\x03\x00", "unknown sync step 3"),
    ],
)
def test_malformed_frames_raise_protocol_error(data: bytes, message: str) -> None:
    with pytest.raises(ProtocolError, match=f"^{message}$"):
        parse(data)


@pytest.mark.parametrize("cut", [1, 2, 3, 10, 299])
def test_every_truncation_of_a_frame_is_refused(cut: int) -> None:
    frame = protocol.sync_update(payload(300))
    with pytest.raises(ProtocolError):
        parse(frame[: len(frame) - cut])


def test_protocol_error_is_a_value_error() -> None:
    assert issubclass(ProtocolError, ValueError)


def test_state_vector_of_a_document() -> None:
    doc = Doc()
    assert protocol.state_vector(doc.get_state()) == {}
    doc.get("code", type=Text).insert(0, "abc")
    assert protocol.state_vector(doc.get_state()) == {doc.client_id: 3}


def test_state_vector_leaves_out_clients_without_integrated_items() -> None:
    # varUint(count) then (client, clock) pairs: client 5 at clock 0, client 7 at clock 3, client 300 at clock 1.
    encoded = bytes([3, 5, 0, 7, 3]) + b"\xac\x02\x01"
    assert protocol.state_vector(encoded) == {7: 3, 300: 1}
