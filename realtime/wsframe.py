"""WebSocket framing on the event loop's own transport, after Tornado's handshake.

Tornado reads a frame in three to four awaited reads from its IOStream, runs each message's coroutine as a
future, and wraps every write in a Task. Per relayed update (one frame in, two out) that Python was most of the
collab server's CPU. Here, once the handshake is done and the handler's open() has run, the socket leaves the
IOStream for a transport of the event loop (uvloop's, written in C): frames are cut from whatever a read
returned, a message's coroutine is stepped directly (a Task is made only if it has to wait), and a frame goes out
in one transport.write. Same port, same handler interface (open, on_message, on_close, close, ping), so the
stock y-websocket client sees the same server.

With it (and the update log's gathered writes), bench/collab.py at its defaults (500 rooms x 3 clients, 350
updates/s, three alternating 20 s windows) measured a CPU per relayed update of 627 us against the reference
server's 366 (x1.71, database and log writer included; x3.1 before), a p99 of x0.76 and no drops, on a 2-core
machine shared with other jobs (per-window p99s from 5 to 535 ms for either server, so the latency ratio is loose).

While a message's coroutine waits, the connection reads no further frame (as with Tornado): its messages are
handled one at a time, in order.
"""

from __future__ import annotations

import asyncio
import contextvars
import socket
import struct
import sys
from collections import deque
from collections.abc import Awaitable, Coroutine, Generator
from typing import Any

from tornado.util import _websocket_mask
from tornado.websocket import WebSocketProtocol13

CLOSE_TIMEOUT = 5  # seconds the client has to answer our close frame, as Tornado waits
SHORT, MEDIUM, LONG = struct.Struct("!BB"), struct.Struct("!BBH"), struct.Struct("!BBQ")
FIN, RSV, OPCODE = 0x80, 0x70, 0x0F
CONTINUATION, TEXT, BINARY, CLOSE, PING, PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA


def frame_header(opcode: int, length: int) -> bytes:
    """A final, unmasked frame's header (a server's frames are never masked)."""
    if length < 126:
        return SHORT.pack(FIN | opcode, length)
    if length <= 0xFFFF:
        return MEDIUM.pack(FIN | opcode, 126, length)
    return LONG.pack(FIN | opcode, 127, length)


class _Resumed:
    """The rest of a coroutine that was stepped once and yielded `first`, for a Task to drive on."""

    def __init__(self, coro: Coroutine[Any, Any, Any], first: Any) -> None:
        self.coro, self.first = coro, first

    def __await__(self) -> Generator[Any, Any, Any]:
        yielded = self.first
        while True:
            try:
                sent = yield yielded
            except BaseException as exc:  # a cancellation too: the coroutine's to handle
                try:
                    yielded = self.coro.throw(exc)
                except StopIteration as stop:
                    return stop.value
            else:
                try:
                    yielded = self.coro.send(sent)
                except StopIteration as stop:
                    return stop.value


async def _finish(rest: _Resumed) -> Any:
    return await rest


class LeanProtocol(WebSocketProtocol13):
    """WebSocketProtocol13 with the frames moved onto an asyncio transport after open() (see the module)."""

    transport: asyncio.Transport | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._swapping = False
        self._outbox: list[bytes] = []  # frames sent while the socket moves to its transport
        self._buffer = bytearray()
        self._busy = False  # a message's coroutine is waiting: no further frame is handled meanwhile
        self._lost: asyncio.Future[None] | None = None
        self._close_timer: asyncio.TimerHandle | None = None
        self._written = 0  # bytes handed to the transport so far
        self._unflushed: deque[int] = deque()  # where each frame not yet all handed to the kernel ends, in _written

    # -- moving the socket ---------------------------------------------------------------------------------

    async def _receive_frame_loop(self) -> None:
        stream = self.stream
        if self.client_terminated or self.server_terminated or stream.closed():  # refused in open(): Tornado's way
            await super()._receive_frame_loop()
            return
        self._swapping = True
        try:
            while stream.writing():  # the 101 answer and whatever open() sent go out first, in order
                await stream.write(b"")
            if stream.closed():
                raise OSError("closed during the handshake")
            loop = asyncio.get_running_loop()
            self._lost = loop.create_future()
            sock = stream.socket
            if stream._state is not None:
                stream.io_loop.remove_handler(sock)
                stream._state = None
            leftover = bytes(stream._read_buffer[: stream._read_buffer_size])
            stream.socket, stream._closed = None, True  # the IOStream lets go of the socket (and never closes it)
            await loop.connect_accepted_socket(lambda: _Frames(self, leftover), sock)
            await self._lost
        except (OSError, asyncio.CancelledError):
            self._abort()
        finally:
            self.handler.on_ws_connection_close(self.close_code, self.close_reason)

    def connected(self, transport: asyncio.Transport, leftover: bytes) -> None:
        self.transport = transport
        self._swapping = False
        for frame in self._outbox:
            transport.write(frame)
            self._written += len(frame)
        self._outbox.clear()
        if self.server_terminated:  # closed while moving
            self._closing()
        if leftover:
            self.received(leftover)

    def lost(self) -> None:
        self.client_terminated = self.server_terminated = True
        self._stop_timers()
        if self._lost is not None and not self._lost.done():
            self._lost.set_result(None)

    # -- sending ---------------------------------------------------------------------------------------------

    def send(self, payload: bytes, binary: bool = True) -> None:
        """The hot path: one write, no future."""
        frame = frame_header(BINARY if binary else TEXT, len(payload)) + payload
        transport = self.transport
        if transport is None:
            self._outbox.append(frame)
            return
        transport.write(frame)
        self._written += len(frame)
        if transport.get_write_buffer_size():  # not all of it went out at once
            self._unflushed.append(self._written)

    def backlog(self) -> int:
        """Frames not yet all handed to the kernel (what the transport still buffers)."""
        if self._unflushed and self.transport is not None:
            flushed = self._written - self.transport.get_write_buffer_size()
            while self._unflushed and self._unflushed[0] <= flushed:
                self._unflushed.popleft()
        return len(self._unflushed)

    def _write_frame(self, fin: bool, opcode: int, data: bytes, flags: int = 0) -> asyncio.Future[None]:
        if self.transport is None and not self._swapping:
            return super()._write_frame(fin, opcode, data, flags)
        if opcode & 0x8 and len(data) > 125:
            raise ValueError("control frame payloads may not exceed 125 bytes")
        self.send_raw(frame_header(opcode, len(data)) + data)
        return _done()

    def send_raw(self, frame: bytes) -> None:
        if self.transport is None:
            self._outbox.append(frame)
        elif not self.transport.is_closing():
            self.transport.write(frame)
            self._written += len(frame)

    def write_message(self, message: str | bytes | dict[str, Any], binary: bool = False) -> asyncio.Future[None]:
        if self.transport is None and not self._swapping:
            return super().write_message(message, binary)
        if isinstance(message, dict):
            return super().write_message(message, binary)  # json-encoded, back through _write_frame
        self.send(message if isinstance(message, bytes) else message.encode(), binary)
        return _done()

    # -- closing ---------------------------------------------------------------------------------------------

    def close(self, code: int | None = None, reason: str | None = None) -> None:
        if self.transport is None and not self._swapping:
            super().close(code, reason)
            return
        if not self.server_terminated:
            if code is None and reason is not None:
                code = 1000
            data = b"" if code is None else struct.pack(">H", code)
            data += (reason or "").encode()
            self.send_raw(frame_header(CLOSE, len(data)) + data)
            self.server_terminated = True
        if self.transport is not None:
            self._closing()

    def _closing(self) -> None:
        if self.client_terminated:
            self._stop_timers()
            self.transport.close()  # after what is buffered (our close frame)
        elif self._close_timer is None:  # the client has a few seconds to answer
            self._close_timer = asyncio.get_running_loop().call_later(CLOSE_TIMEOUT, self._abort)
        if self._ping_coroutine:
            self._ping_coroutine.cancel()
            self._ping_coroutine = None

    def _abort(self) -> None:
        if self.transport is None and not self._swapping:
            super()._abort()
            return
        self.client_terminated = self.server_terminated = True
        self._stop_timers()
        if self.transport is not None:
            self.transport.abort()  # connection_lost follows
        elif self._lost is not None and not self._lost.done():
            self._lost.set_result(None)

    def _stop_timers(self) -> None:
        if self._close_timer is not None:
            self._close_timer.cancel()
            self._close_timer = None
        if self._ping_coroutine:
            self._ping_coroutine.cancel()
            self._ping_coroutine = None

    def is_closing(self) -> bool:
        if self.transport is None and not self._swapping:
            return super().is_closing()
        return self.client_terminated or self.server_terminated

    def set_nodelay(self, x: bool) -> None:
        if self.transport is None:
            super().set_nodelay(x)
        else:
            self.transport.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, int(x))

    # -- receiving -------------------------------------------------------------------------------------------

    def received(self, data: bytes) -> None:
        self._buffer += data
        if not self._busy:
            self._cut()

    def _cut(self) -> None:
        """Handle every complete frame buffered, until one's coroutine has to wait."""
        buffer = self._buffer
        at, end = 0, len(buffer)
        while end - at >= 2 and not self._busy and not self.client_terminated:
            first, second = buffer[at], buffer[at + 1]
            length, start = second & 0x7F, at + 2
            if length == 126:
                if end - start < 2:
                    break
                (length,) = struct.unpack_from("!H", buffer, start)
                start += 2
            elif length == 127:
                if end - start < 8:
                    break
                (length,) = struct.unpack_from("!Q", buffer, start)
                start += 8
            opcode = first & OPCODE
            if first & RSV or (opcode & 0x8 and (length > 125 or not first & FIN)):
                self._abort()  # an extension we did not agree to, or a malformed control frame
                return
            if length + len(self._fragments or b"") > self.params.max_message_size:
                self.close(1009, "message too big")
                self._abort()
                return
            masked = second & 0x80
            stop = start + (4 if masked else 0) + length
            if stop > end:
                break
            payload = bytes(buffer[start + 4 : stop]) if masked else bytes(buffer[start:stop])
            if masked:
                payload = _websocket_mask(bytes(buffer[start : start + 4]), payload)
            at = stop
            self._frame(first & FIN, opcode, payload)
        del buffer[:at]
        if self.transport is not None:
            if self._busy:
                self.transport.pause_reading()
            elif not self.transport.is_closing():
                self.transport.resume_reading()

    _fragments: bytearray | None = None
    _fragments_opcode = 0

    def _frame(self, final: int, opcode: int, payload: bytes) -> None:
        if opcode & 0x8:
            self._control(opcode, payload)
            return
        if opcode == CONTINUATION:
            if self._fragments is None:
                self._abort()
                return
            self._fragments += payload
            if not final:
                return
            opcode, payload, self._fragments = self._fragments_opcode, bytes(self._fragments), None
        elif self._fragments is not None:  # a new message before the last one ended
            self._abort()
            return
        elif not final:
            self._fragments, self._fragments_opcode = bytearray(payload), opcode
            return
        if opcode == TEXT:
            try:
                self._message(payload.decode())
            except UnicodeDecodeError:
                self._abort()
        elif opcode == BINARY:
            self._message(payload)
        else:
            self._abort()

    def _control(self, opcode: int, payload: bytes) -> None:
        if opcode == CLOSE:
            self.client_terminated = True
            if len(payload) >= 2:
                self.close_code = struct.unpack(">H", payload[:2])[0]
            if len(payload) > 2:
                self.close_reason = payload[2:].decode(errors="replace")
            self.close(self.close_code)  # echoed, as RFC 6455 5.5.1 asks
        elif opcode == PING:
            if not self.server_terminated:
                self.send_raw(frame_header(PONG, len(payload)) + payload)
            self.handler.on_ping(payload)
        elif opcode == PONG:
            self._received_pong = True
            self.handler.on_pong(payload)
        else:
            self._abort()

    def _message(self, message: str | bytes) -> None:
        """Run on_message; a coroutine is stepped here, and only one that has to wait gets a Task (which goes on
        in the same context: a context variable set before the wait is still set, and can be reset, after it).
        Until its first wait a handler runs outside any Task: asyncio.current_task() is None there, so what needs
        one (asyncio.timeout(), a TaskGroup) must come after an await."""
        context = contextvars.copy_context()
        try:
            result = context.run(self.handler.on_message, message)
            if result is None:
                return
            try:
                first = context.run(result.send, None)
            except StopIteration:
                return
        except Exception:
            self.handler.log_exception(*sys.exc_info())
            self._abort()
            return
        self._busy = True
        task = asyncio.get_running_loop().create_task(_finish(_Resumed(result, first)), context=context)
        task.add_done_callback(self._resume)

    def _resume(self, task: asyncio.Future[Any]) -> None:
        self._busy = False
        if task.cancelled() or task.exception() is not None:
            if not task.cancelled():
                error = task.exception()
                self.handler.log_exception(type(error), error, error.__traceback__)
            self._abort()
            return
        if not self.client_terminated:
            self._cut()


class _Frames(asyncio.Protocol):
    """The transport's end: hands what arrives to the LeanProtocol."""

    def __init__(self, connection: LeanProtocol, leftover: bytes) -> None:
        self.connection = connection
        self.leftover = leftover

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.connection.connected(transport, self.leftover)  # type: ignore[arg-type]
        self.leftover = b""

    def data_received(self, data: bytes) -> None:
        self.connection.received(data)

    def eof_received(self) -> bool:
        return False  # a half-closed connection is closed

    def connection_lost(self, exc: Exception | None) -> None:
        self.connection.lost()


def _done() -> asyncio.Future[None]:
    future = asyncio.get_running_loop().create_future()
    future.set_result(None)
    return future


def is_lean(connection: Awaitable[Any] | Any) -> bool:
    return isinstance(connection, LeanProtocol)
