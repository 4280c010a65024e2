"""Collab plane broadcast latency: SynCode's /collab/{roomId} against the reference Yjs server, in the same run.

    .venv/bin/python bench/collab.py [--rooms 500] [--clients 3] [--rates 350] [--seconds 20] [--windows 3]

(About 5.5 minutes at these defaults: 2 in the windows, 2 waiting out SynCode's deferred work after its windows, the
rest starting the servers, connecting 3,000 clients and letting each server settle before its windows.)

Reference: y-websocket@1.5.4 `bin/server.js` with yjs 13 (in-memory, no persistence, no auth), installed by
`(cd bench/node && npm ci)`. SynCode runs as `python run.py` on its embedded SecantusDB (a fresh data dir):
every update is written to the update log before it is relayed, so its figures include that round trip.

Both servers get the same harness, from this process: R rooms x C clients speaking y-protocols (sync handshake,
then updates). In each room client 0 writes: at a fixed total rate, spread evenly over rooms, it inserts
"<seq>:<monotonic ns>;" into Y.Text('code:python') and sends the update; the other C-1 clients apply each
update they receive to their own Doc and record the latency from the embedded timestamp. A reader that misses
a sequence number of its room counts a drop. Printed per server and rate: latency p50/p99/max, drops, server
CPU (and SecantusDB's), the CPU per relayed update (µs of every process of the server: its database and log writer
included; one update written, relayed to C-1 readers), server RSS, and the RSS per idle loaded room (rooms
connected and synced, no traffic), then SynCode/reference ratios. Several --rates make a sweep (the clients stay
connected across rates).

Both servers stay up, their clients connected, and each rate is measured in --windows windows per server that
alternate between the two (A B B A A B ...). A server's figures pool the latencies of all its windows. Why: the p99
of a single 20 s window moved by ±25% from one run to the next for either server (the reference's from 0.69 to 1.22
ms over ten runs), more than the difference being measured; alternating exposes both to the same drift of the
machine, and pooling averages it. So that nothing one server does lands in the other's window, the other is paused
(SIGSTOP) meanwhile: beside a running SynCode, 2 of 18 reference windows had a p99 of 18 and 24 ms; with SynCode
paused, the worst of 12 had 2.2 ms. After a SynCode window the bench waits out the work it defers (the compaction
of the rooms it changed, due collab_compact_seconds after their first update, and the periodic snapshots), so that
it lands in no later window, and is not frozen into one. This process's garbage collector is off during a window:
one full collection of the harness's 3,000 connected clients takes about 240 ms, during which no reader of either
server reads.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import tornado.httpclient
import tornado.websocket
from pycrdt import Doc, Text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import children, cpu_seconds, is_database, percentile, rss_mib, start_syncode, wait_healthy  # noqa: E402
from config import Settings  # noqa: E402
from realtime import protocol  # noqa: E402
from syncode.embedded import free_port  # noqa: E402
from syncode.security import issue_collab_token  # noqa: E402

REFERENCE = ROOT / "bench" / "node" / "node_modules" / "y-websocket" / "bin" / "server.js"
SECRETS = {"SYNCODE_JWT_SECRET": "j" * 48, "SYNCODE_COLLAB_JWT_SECRET": "c" * 48, "SYNCODE_INTERNAL_SECRET": "i" * 48}
STAMP = re.compile(rb"(\d+):(\d+);")
RESUMED_SETTLE_SEC = 5  # a server just resumed runs the timers that fell due while it was paused


# -- processes ---------------------------------------------------------------------------------------------------


@dataclass
class ServerUnderTest:
    name: str
    process: subprocess.Popen
    port: int

    @property
    def ws_base(self) -> str:
        return f"ws://127.0.0.1:{self.port}/collab"

    def pids(self) -> list[int]:
        """The server and its children (SynCode's embedded SecantusDB and update-log writer)."""
        return [self.process.pid, *children(self.process.pid)]

    def roles(self) -> dict[str, list[int]]:
        """Processes by role: the database, and the server with its helpers (all counted as the server)."""
        roles: dict[str, list[int]] = {"server": [], "db": []}
        for pid in self.pids():
            roles["db" if is_database(pid) else "server"].append(pid)
        return {role: pids for role, pids in roles.items() if pids}

    def pause(self) -> None:
        """Freeze the server and its helpers (SIGSTOP): while the other server is measured, nothing this one
        runs in the background (its database, its log writer, timers) can take the cores."""
        self._signal(self.pids(), signal.SIGSTOP)

    def resume(self) -> None:
        self._signal(reversed(self.pids()), signal.SIGCONT)  # its helpers first

    @staticmethod
    def _signal(pids: Iterable[int], signum: int) -> None:
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):  # a helper that exited meanwhile (Ctrl-C reaches all)
                os.kill(pid, signum)

    def stop(self) -> None:
        self.resume()
        helpers = children(self.process.pid)
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        deadline = time.monotonic() + 10
        while any(Path(f"/proc/{pid}").exists() for pid in helpers) and time.monotonic() < deadline:
            time.sleep(0.1)  # the database must be gone before its temporary data dir is removed


async def wait_http(port: int) -> None:
    client = tornado.httpclient.AsyncHTTPClient()
    for _ in range(600):
        try:
            await client.fetch(f"http://127.0.0.1:{port}/health", raise_error=False)
            return
        except OSError:
            await asyncio.sleep(0.05)
    raise TimeoutError(f"nothing listening on {port}")


async def start_ours(data_dir: Path) -> ServerUnderTest:
    port = free_port()
    env = {
        **SECRETS,
        "SYNCODE_RATE_LIMIT_ENABLED": "false",
        "SYNCODE_SANDBOX": "process",
        "SYNCODE_JUDGE_POOL_SIZE": "0",
    }
    process = start_syncode(port, data_dir, env, (data_dir / "server.log").open("wb"))
    await wait_healthy(port)
    return ServerUnderTest("syncode", process, port)


async def start_reference() -> ServerUnderTest:
    port = free_port()
    env = {**os.environ, "HOST": "127.0.0.1", "PORT": str(port)}
    process = subprocess.Popen(["node", str(REFERENCE)], env=env, stdout=subprocess.DEVNULL)
    await wait_http(port)
    return ServerUnderTest("reference", process, port)


async def create_documents(server: ServerUnderTest, rooms: list[str]) -> None:
    client = tornado.httpclient.AsyncHTTPClient(max_clients=20)
    headers = {"X-Internal-Secret": SECRETS["SYNCODE_INTERNAL_SECRET"], "Content-Type": "application/json"}
    for room in rooms:
        response = await client.fetch(
            f"http://127.0.0.1:{server.port}/collab/documents",
            method="POST",
            headers=headers,
            body=f'{{"roomId": "{room}"}}',
        )
        assert response.code == 201, response.body


# -- clients -----------------------------------------------------------------------------------------------------


@dataclass
class Reader:
    latencies_ms: list[float] = field(default_factory=list)
    seen: set[int] = field(default_factory=set)


class BenchClient:
    """One y-websocket connection with its own Doc. Writers insert stamped text; readers time what arrives."""

    def __init__(self, connection: tornado.websocket.WebSocketClientConnection, reader: Reader | None) -> None:
        self.connection = connection
        self.reader = reader
        self.doc = Doc()
        self.text = self.doc.get("code:python", type=Text)
        self.synced = asyncio.Event()
        self._outgoing: list[bytes] = []
        self.doc.observe(lambda event: self._outgoing.append(event.update))
        self._task = asyncio.ensure_future(self._read())

    @classmethod
    async def connect(cls, url: str, reader: Reader | None) -> BenchClient:
        client = cls(await tornado.websocket.websocket_connect(url, max_message_size=16 * 1024 * 1024), reader)
        client.connection.write_message(protocol.sync_step1(client.doc.get_state()), binary=True)
        return client

    def write(self, seq: int) -> None:
        self.text.insert(len(self.text), f"{seq}:{time.monotonic_ns()};")
        for update in self._outgoing:
            self.connection.write_message(protocol.sync_update(update), binary=True)
        self._outgoing.clear()

    async def _read(self) -> None:
        while (message := await self.connection.read_message()) is not None:
            self._handle(protocol.parse(message))

    def _handle(self, frame: protocol.Frame) -> None:
        if frame.kind == protocol.SYNC and frame.step == protocol.STEP1:
            self.connection.write_message(protocol.sync_step2(self.doc.get_update(frame.payload)), binary=True)
        elif frame.is_document_update:
            self.doc.apply_update(frame.payload)
            self._outgoing.clear()  # remote changes are not ours to send
            if frame.step == protocol.STEP2:
                self.synced.set()
            elif self.reader is not None:
                now = time.monotonic_ns()
                for seq, sent in STAMP.findall(frame.payload):
                    self.reader.seen.add(int(seq))
                    self.reader.latencies_ms.append((now - int(sent)) / 1e6)

    def close(self) -> None:
        self.connection.close()


@dataclass
class Room:
    writer: BenchClient
    readers: list[BenchClient]


async def connect_rooms(server: ServerUnderTest, names: list[str], clients: int) -> list[Room]:
    gate = asyncio.Semaphore(64)

    async def one(room: str, index: int) -> BenchClient:
        token = issue_collab_token(SECRETS["SYNCODE_COLLAB_JWT_SECRET"], 3600, f"user{index}", room, "candidate")[0]
        url = f"{server.ws_base}/{room}?token={token}"
        async with gate:
            client = await BenchClient.connect(url, None if index == 0 else Reader())
            await asyncio.wait_for(client.synced.wait(), 30)
            return client

    rooms = []
    for name in names:
        members = await asyncio.gather(*(one(name, i) for i in range(clients)))
        rooms.append(Room(members[0], list(members[1:])))
    return rooms


# -- measurement -------------------------------------------------------------------------------------------------


@dataclass
class Window:
    """One measured stretch of one server at one rate."""

    sent: int
    latencies_ms: list[float]
    drops: int
    cpu: dict[str, float]  # % of one core, by role
    rss: dict[str, float]
    harness_cpu: float
    cpu_us: float = 0.0  # CPU of the server, its helpers and its database per relayed update, in microseconds

    @property
    def p99(self) -> float:
        return percentile(self.latencies_ms, 0.99)


@dataclass
class Result:
    """A server's windows at one rate, pooled."""

    rate: int
    windows: list[Window]

    def __post_init__(self) -> None:
        self.latencies = sorted(ms for window in self.windows for ms in window.latencies_ms)

    @property
    def sent(self) -> int:
        return sum(w.sent for w in self.windows)

    @property
    def p50(self) -> float:
        return percentile(self.latencies, 0.50)

    @property
    def p99(self) -> float:
        return percentile(self.latencies, 0.99)

    @property
    def worst(self) -> float:
        return self.latencies[-1] if self.latencies else 0.0

    @property
    def drops(self) -> int:
        return sum(w.drops for w in self.windows)

    @property
    def cpu(self) -> dict[str, float]:
        return {role: statistics.mean(w.cpu[role] for w in self.windows) for role in self.windows[0].cpu}

    @property
    def rss(self) -> dict[str, float]:
        return self.windows[-1].rss

    @property
    def harness_cpu(self) -> float:
        return statistics.mean(w.harness_cpu for w in self.windows)

    @property
    def cpu_per_update_us(self) -> float:
        """Every process of the server (its database and log writer included), per relayed update."""
        return sum(w.cpu_us * w.sent for w in self.windows) / self.sent


async def drive(server: ServerUnderTest, rooms: list[Room], rate: int, seconds: float) -> Window:
    for room in rooms:
        for client in room.readers:
            assert client.reader is not None
            client.reader.latencies_ms.clear()
            client.reader.seen.clear()
    roles = server.roles()
    cpu_before = {role: sum(cpu_seconds(p) for p in pids) for role, pids in roles.items()}
    harness_before = sum(os.times()[:2])
    gc.disable()  # see the module's docstring
    try:
        started = time.monotonic()
        total = int(rate * seconds)
        for n in range(total):  # absolute schedule: no drift, rooms take turns
            delay = started + n / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            rooms[n % len(rooms)].writer.write(n // len(rooms))
        elapsed = time.monotonic() - started
    finally:
        gc.enable()
    used = {role: sum(cpu_seconds(p) for p in pids) - cpu_before[role] for role, pids in roles.items()}
    cpu = {role: seconds / elapsed * 100 for role, seconds in used.items()}
    harness = (sum(os.times()[:2]) - harness_before) / elapsed * 100
    await settle(rooms)
    latencies, drops = [], 0
    for index, room in enumerate(rooms):
        expected = set(range(len(range(index, total, len(rooms)))))
        for client in room.readers:
            assert client.reader is not None
            latencies += client.reader.latencies_ms
            drops += len(expected - client.reader.seen)
    rss = {role: sum(rss_mib(p) for p in pids) for role, pids in roles.items()}
    return Window(total, latencies, drops, cpu, rss, harness, sum(used.values()) / total * 1e6)


async def settle(rooms: list[Room]) -> None:
    """Wait until nothing more arrives (late is not dropped; only what never comes is)."""

    def received() -> int:
        return sum(len(c.reader.seen) for room in rooms for c in room.readers if c.reader is not None)

    previous = -1
    for _ in range(60):
        await asyncio.sleep(0.5)
        if received() == previous:
            return
        previous = received()


async def quiesce(server: ServerUnderTest, limit: float = 5.0) -> None:
    """Wait (up to two minutes) until the server and its database use under `limit` % CPU for a second."""
    for _ in range(120):
        pids = server.pids()
        before = sum(cpu_seconds(p) for p in pids)
        await asyncio.sleep(1)
        if (sum(cpu_seconds(p) for p in pids) - before) * 100 < limit:
            return


async def prepare(server: ServerUnderTest, args: argparse.Namespace) -> tuple[float, list[Room]]:
    """Rooms connected and synced; returns the RSS each idle loaded room costs, and the rooms."""
    names = [f"bench-{i}" for i in range(args.rooms)]
    await quiesce(server)  # SynCode loads its problem bank in the background after start-up
    if server.name == "syncode":
        await create_documents(server, names)
    await quiesce(server)
    baseline = rss_mib(server.process.pid)
    rooms = await connect_rooms(server, names, args.clients)
    await asyncio.sleep(3)  # idle: rooms loaded, everyone synced
    return (rss_mib(server.process.pid) - baseline) * 1024 / args.rooms, rooms


def alternation(names: list[str], windows: int) -> list[str]:
    """A B, B A, A B ...: with an even number of windows, each server is measured first as often as second."""
    return [name for i in range(windows) for name in (names if i % 2 == 0 else names[::-1])]


def report(name: str, per_room_kib: float, results: list[Result]) -> None:
    print(f"\n{name}: idle loaded room (with its connections) {per_room_kib:.1f} KiB")
    print(
        f"  {'rate/s':>7} {'sent':>7} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'drops':>6} "
        f"{'cpu %':>7} {'db cpu %':>8} {'us/update':>9} {'rss MiB':>8} {'db MiB':>7} {'harness cpu %':>13}"
    )
    for r in results:
        print(
            f"  {r.rate:>7} {r.sent:>7} {r.p50:>8.2f} {r.p99:>8.2f} {r.worst:>8.2f} {r.drops:>6} "
            f"{r.cpu['server']:>7.1f} {r.cpu.get('db', 0):>8.1f} {r.cpu_per_update_us:>9.0f} "
            f"{r.rss['server']:>8.1f} {r.rss.get('db', 0):>7.1f} "
            f"{r.harness_cpu:>13.1f}"
        )
        if len(r.windows) > 1:
            print(f"  {'':>7} p99 by window: {' '.join(f'{w.p99:.2f}' for w in r.windows)} ms")


def ratios(ours: tuple[float, list[Result]], reference: tuple[float, list[Result]]) -> None:
    print("\nsyncode / reference")
    print(f"  idle room memory x{ours[0] / reference[0]:.2f}")
    for a, b in zip(ours[1], reference[1], strict=True):
        print(
            f"  rate {a.rate}/s: p50 x{a.p50 / b.p50:.2f}  p99 x{a.p99 / b.p99:.2f}  "
            f"cpu per relayed update (every process: database and log writer included) {a.cpu_per_update_us:.0f} "
            f"vs {b.cpu_per_update_us:.0f} us x{a.cpu_per_update_us / b.cpu_per_update_us:.2f}  "
            f"rss (server and its log writer) x{a.rss['server'] / b.rss['server']:.2f}  drops {a.drops} vs {b.drops}"
        )
    print(f"  largest rate with p99 < 50 ms and no drops: {sustained(ours[1])} vs {sustained(reference[1])} updates/s")


def sustained(results: list[Result]) -> int:
    """The largest swept rate at which p99 stays under 50 ms with no drops, and at every lower rate too."""
    best = 0
    for result in sorted(results, key=lambda r: r.rate):
        if result.p99 >= 50 or result.drops:
            break
        best = result.rate
    return best


def deferred_work_sec() -> float:
    """How long after a window's start SynCode may still work on what changed in it (compaction, periodic
    snapshots), with a few maintenance ticks to spare; read from the environment the server inherits."""
    settings = Settings()
    return max(settings.collab_compact_seconds, settings.collab_snapshot_interval_sec) + 3 * settings.collab_tick_sec


async def measure(
    servers: dict[str, ServerUnderTest], rooms: dict[str, list[Room]], args: argparse.Namespace
) -> dict[str, list[Result]]:
    """Each rate in alternating windows, the other server paused; a server's windows at one rate pooled."""
    results: dict[str, list[Result]] = {name: [] for name in servers}
    paused: list[ServerUnderTest] = []
    deferred_work = deferred_work_sec()
    try:
        for rate in args.rates:
            windows: dict[str, list[Window]] = {name: [] for name in servers}
            for name in alternation(list(servers), args.windows):
                server = servers[name]
                if server in paused:  # only when the measured server changes: a resumed one runs overdue timers
                    paused.remove(server)
                    server.resume()
                    await asyncio.sleep(RESUMED_SETTLE_SEC)
                for other in servers.values():
                    if other is not server and other not in paused:
                        other.pause()
                        paused.append(other)
                await quiesce(server)
                started = time.monotonic()
                windows[name].append(await drive(server, rooms[name], rate, args.seconds))
                if name == "syncode":  # it finishes what it deferred before another window (or a pause) begins
                    await asyncio.sleep(max(0, started + deferred_work - time.monotonic()))
            for name in servers:
                results[name].append(Result(rate, windows[name]))
    finally:
        for server in paused:
            server.resume()
    return results


async def main(args: argparse.Namespace) -> None:
    if not REFERENCE.exists():
        sys.exit("reference server missing: run (cd bench/node && npm ci)")
    print(
        f"{args.rooms} rooms x {args.clients} clients, rates {args.rates} updates/s total, "
        f"{args.windows} window(s) of {args.seconds:g} s per server and rate"
    )
    servers: dict[str, ServerUnderTest] = {}
    with tempfile.TemporaryDirectory(prefix="syncode-bench-") as tmp:
        starters = {"reference": start_reference, "syncode": lambda: start_ours(Path(tmp))}
        try:
            for name, start in starters.items():
                if args.only in (None, name):
                    servers[name] = await start()
            prepared = {name: await prepare(server, args) for name, server in servers.items()}
            results = await measure(servers, {name: rooms for name, (_, rooms) in prepared.items()}, args)
            for _, rooms in prepared.values():
                for room in rooms:
                    for client in (room.writer, *room.readers):
                        client.close()
        finally:
            for server in servers.values():
                try:
                    server.stop()
                except Exception as exc:  # the others must still be stopped
                    print(f"{server.name} not stopped cleanly: {exc!r}", file=sys.stderr)
    for name in servers:
        report(name, prepared[name][0], results[name])
    if len(servers) == 2:
        ratios((prepared["syncode"][0], results["syncode"]), (prepared["reference"][0], results["reference"]))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rooms", type=int, default=500)
    parser.add_argument("--clients", type=int, default=3, help="per room: one writer, the rest read")
    parser.add_argument(
        "--rates",
        type=lambda s: [int(x) for x in s.split(",")],
        default=[350],
        help="total updates per second, comma-separated for a sweep",
    )
    parser.add_argument("--seconds", type=float, default=20, help="per window")
    parser.add_argument("--windows", type=int, default=3, help="measured windows per server and rate, alternating")
    parser.add_argument("--only", choices=["syncode", "reference"], help="run one server (no ratios): for profiling")
    return parser.parse_args()


if __name__ == "__main__":
    asyncio.run(main(parse_args()))
