"""Soak: SynCode under a steady, mixed load for minutes, looking for what only time shows (leaks, slow drift).

    .venv/bin/python bench/soak.py [--rooms 500] [--minutes 10] [--keys-per-sec 0.5] [--rest-users 20]
                                   [--submit-every 2]

`python run.py` on its embedded SecantusDB (a fresh data dir, the problem bank loaded). Per room, three accounts
registered through the API: the host creates a peer room, the other two join (candidate, observer), and each holds
an editor connection to /collab/{roomId} (the y-protocol client of bench/collab.py) and an event socket /api/ws.
The host and the candidate type (a stamped insertion every 1/keys-per-sec seconds each, spread evenly); every
client times the keystrokes of the others as they arrive. Beside that: REST reads by --rest-users people, each a
request, its answer and a pause of --think seconds on average (their profile, room, sessions, the problem list, a
room's submissions and chat), and a submission stream (Python code to a bank problem, one every --submit-every
seconds, from rooms moved to coding), each judged by the sandbox.

Printed per minute: requests and their p50/p99, keystrokes relayed and their p99, submissions, errors (any REST
answer other than the expected one) and unexpected closes (editor or event sockets), the server's resident memory
and open file descriptors, SecantusDB's memory, CPU of the server, of SecantusDB and of this harness. The first
minute is the warm-up and the baseline. Verdict: no errors, no unexpected closes, no keystroke lost, every
submission judged; memory and descriptors after warm-up within 10 % of the baseline; no later minute with a p99
(REST or keystrokes) above twice the first measured minute's plus 10 ms. On a machine shared with other work (this
one has 2 cores), p99s move with it: read those verdicts together with the CPU columns.

Measured on 2026-12-04 with the machine shared (load average 10-18), 100 rooms, 4 minutes: no errors, closes or
lost keystrokes, RSS +2.3 % and fds +1.6 % after warm-up, keystroke p99 70-190 ms; but REST p50 1.7-3.8 s (p99
10-20 s), against p50 42 ms (p99 1.1 s) with the same readers and typing nearly off (--keys-per-sec 0.01): the
keystrokes' database work (update log, compaction, snapshots) fills the embedded database, and REST reads queue
behind it on the server's one connection to it (syncode/embedded.py uri_for).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tornado.httpclient
import tornado.websocket

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.collab import SECRETS, BenchClient, Reader  # noqa: E402
from bench.common import children, cpu_seconds, is_database, percentile, rss_mib, start_syncode, wait_healthy  # noqa: E402
from syncode.embedded import free_port  # noqa: E402

ENV = {
    **SECRETS,
    "SYNCODE_RATE_LIMIT_ENABLED": "false",
    "SYNCODE_BCRYPT_ROUNDS": "4",
    "SYNCODE_SANDBOX": "process",
    "SYNCODE_DAILY_EXECUTIONS": "100000",
    "SYNCODE_ACCESS_TOKEN_TTL_SEC": "14400",  # the run's tokens outlive it
}
SUBMISSION = "import sys\nprint(sum(1 for _ in sys.stdin))\n"
WARMUP_MINUTES = 1
GROWTH_LIMIT = 0.10
INFLIGHT: set[asyncio.Future] = set()  # requests under way (kept referenced until done)


def spawn(call: Any) -> None:
    task = asyncio.ensure_future(call)
    INFLIGHT.add(task)
    task.add_done_callback(INFLIGHT.discard)


# -- the load's parts --------------------------------------------------------------------------------------------


@dataclass
class Minute:
    rest_ms: list[float] = field(default_factory=list)
    errors: Counter = field(default_factory=Counter)
    submissions: int = 0


class Api:
    def __init__(self, port: int, minute: list[Minute]) -> None:
        self.base = f"http://127.0.0.1:{port}"
        # its own client: the shared one (bench/common.py made it first) queues all but 10 requests
        self.client = tornado.httpclient.AsyncHTTPClient(force_instance=True, max_clients=256)
        self.minute = minute  # the current minute's record, swapped by the monitor

    async def call(self, method: str, path: str, body: Any = None, token: str = "", expect: int = 200) -> Any:
        headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
        started = time.perf_counter()
        try:
            response = await self.client.fetch(
                self.base + path,
                method=method,
                headers=headers,
                body=None if body is None and method == "GET" else json.dumps(body or {}),
                raise_error=False,
                request_timeout=60,
            )
        except Exception as exc:  # refused, reset, timed out: all count
            self.minute[0].errors[f"{method} {_route(path)}: {type(exc).__name__}"] += 1
            return None
        self.minute[0].rest_ms.append((time.perf_counter() - started) * 1000)
        if response.code != expect:
            key = f"{method} {_route(path)} -> {response.code}"
            self.minute[0].errors[key] += 1
            return None
        return json.loads(response.body) if response.body else None


def _route(path: str) -> str:
    parts = path.split("?")[0].split("/")
    return "/".join("{id}" if len(p) > 20 else p for p in parts)


class EventSocket:
    def __init__(self, connection: tornado.websocket.WebSocketClientConnection) -> None:
        self.connection = connection
        self.frames = 0
        self.closed = False
        self.task = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        while await self.connection.read_message() is not None:
            self.frames += 1
        self.closed = True


@dataclass
class SoakRoom:
    id: str
    tokens: list[str]  # host, candidate, observer
    collab_tokens: list[str]
    coding: bool = False
    clients: list[BenchClient] = field(default_factory=list)
    written: list[set[int]] = field(default_factory=lambda: [set(), set()])  # by the two typists


async def register(api: Api, gate: asyncio.Semaphore) -> str:
    name = f"s{os.urandom(5).hex()}"
    body = {"email": f"{name}@example.com", "username": name, "password": "correct horse 1"}
    async with gate:
        return (await api.call("POST", "/api/auth/register", body, expect=201))["accessToken"]


async def make_room(api: Api, gate: asyncio.Semaphore, problem_id: str, coding: bool) -> SoakRoom:
    tokens = [await register(api, gate) for _ in range(3)]
    body = {"mode": "peer", "language": "python", "config": {"maxParticipants": 3}}
    async with gate:
        room = await api.call("POST", "/api/rooms", body, tokens[0], expect=201)
        collab = [room["collab"]["token"]]
        for token in tokens[1:]:
            joined = await api.call("POST", "/api/rooms/join", {"inviteCode": room["inviteCode"]}, token)
            collab.append(joined["collab"]["token"])
        await api.call("POST", f"/api/rooms/{room['id']}/phase", {"to": "warmup"}, tokens[0])
        if coding:
            await api.call("PUT", f"/api/rooms/{room['id']}/problem", {"problemId": problem_id}, tokens[0])
            await api.call("POST", f"/api/rooms/{room['id']}/phase", {"to": "coding"}, tokens[0])
    return SoakRoom(room["id"], tokens, collab, coding)


async def bank_problem(api: Api) -> str:
    """A problem of the bank, once it has loaded (in the background after start-up)."""
    token = await register(api, asyncio.Semaphore(1))
    for _ in range(600):
        page = await api.call("GET", "/api/problems?limit=1", token=token)
        if page and page["data"]:
            return page["data"][0]["id"]
        await asyncio.sleep(0.5)
    raise TimeoutError("the problem bank did not load")


async def connect(port: int, rooms: list[SoakRoom]) -> list[EventSocket]:
    gate = asyncio.Semaphore(32)

    async def editor(room: SoakRoom, token: str) -> BenchClient:
        async with gate:
            client = await BenchClient.connect(f"ws://127.0.0.1:{port}/collab/{room.id}?token={token}", Reader())
            await asyncio.wait_for(client.synced.wait(), 60)
            return client

    async def events(token: str) -> EventSocket:
        async with gate:
            return EventSocket(await tornado.websocket.websocket_connect(f"ws://127.0.0.1:{port}/api/ws?token={token}"))

    for room in rooms:
        room.clients = list(await asyncio.gather(*(editor(room, token) for token in room.collab_tokens)))
    return list(await asyncio.gather(*(events(token) for room in rooms for token in room.tokens)))


async def paced(rate: float, stop: asyncio.Event, step: Any) -> None:
    """Call step(n) `rate` times a second on an absolute schedule (no drift) until stopped."""
    started, n = time.monotonic(), 0
    while not stop.is_set():
        delay = started + n / rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        step(n)
        n += 1


def typing(rooms: list[SoakRoom], keys_per_sec: float, stop: asyncio.Event) -> asyncio.Task:
    typists = [(room, k) for room in rooms for k in (0, 1)]

    def key(n: int) -> None:
        room, k = typists[n % len(typists)]
        seq = k * 10_000_000 + n // len(typists)
        room.written[k].add(seq)
        room.clients[k].write(seq)

    return asyncio.ensure_future(paced(keys_per_sec * len(typists), stop, key))


async def rest(api: Api, rooms: list[SoakRoom], users: int, think: float, stop: asyncio.Event) -> None:
    """`users` people reading as people do: a request, its answer, a pause, the next (a server that slows down
    gets fewer requests, instead of a queue that grows without end)."""

    async def person() -> None:
        while not stop.is_set():
            room = random.choice(rooms)
            path = random.choice(
                [
                    "/api/users/me",
                    f"/api/rooms/{room.id}",
                    "/api/sessions?limit=10",
                    "/api/problems?limit=20",
                    f"/api/rooms/{room.id}/submissions?limit=10",
                    f"/api/rooms/{room.id}/chat?limit=20",
                ]
            )
            await api.call("GET", path, token=random.choice(room.tokens))
            await asyncio.sleep(random.uniform(0, 2 * think))

    await asyncio.gather(*(person() for _ in range(users)))


def submissions(
    api: Api, rooms: list[SoakRoom], every: float, stop: asyncio.Event, ids: list[tuple[str, str]]
) -> asyncio.Task:
    coding = [room for room in rooms if room.coding]

    async def submit(room: SoakRoom) -> None:
        body = {"language": "python", "code": SUBMISSION}
        answer = await api.call("POST", f"/api/rooms/{room.id}/submit", body, room.tokens[1], expect=202)
        if answer:
            ids.append((answer["submissionId"], room.tokens[1]))
            api.minute[0].submissions += 1

    def step(n: int) -> None:
        spawn(submit(coding[n % len(coding)]))

    return asyncio.ensure_future(paced(1 / every, stop, step))


# -- measuring ---------------------------------------------------------------------------------------------------


@dataclass
class Sample:
    minute: int
    rest_n: int
    rest_p50: float
    rest_p99: float
    keys_n: int
    keys_p99: float
    submissions: int
    errors: Counter
    closes: int
    rss: float
    fds: int
    db_rss: float
    cpu: float
    db_cpu: float
    harness_cpu: float


def open_fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def closes(rooms: list[SoakRoom], sockets: list[EventSocket]) -> int:
    editors = sum(1 for room in rooms for client in room.clients if client._task.done())
    return editors + sum(1 for socket in sockets if socket.closed)


def take_latencies(rooms: list[SoakRoom]) -> list[float]:
    taken: list[float] = []
    for room in rooms:
        for client in room.clients:
            assert client.reader is not None
            taken += client.reader.latencies_ms
            client.reader.latencies_ms = []
    return taken


async def monitor(pid: int, minutes: int, api: Api, rooms: list[SoakRoom], sockets: list[EventSocket]) -> list[Sample]:
    samples: list[Sample] = []
    take_latencies(rooms)
    print(
        f"{'min':>3} {'REST n':>7} {'p50 ms':>7} {'p99 ms':>7} {'keys n':>7} {'p99 ms':>7} {'subm':>5} {'err':>4} "
        f"{'closes':>6} {'RSS MiB':>8} {'fds':>5} {'db MiB':>7} {'cpu %':>6} {'db %':>5} {'bench %':>7}"
    )
    for m in range(1, minutes + 1):
        db = [p for p in children(pid) if is_database(p)]
        cpu_before, harness_before, started = cpu_seconds(pid), sum(os.times()[:2]), time.monotonic()
        db_before = sum(cpu_seconds(p) for p in db)
        await asyncio.sleep(60)
        elapsed = time.monotonic() - started
        minute, api.minute[0] = api.minute[0], Minute()
        keys = take_latencies(rooms)
        sample = Sample(
            m,
            len(minute.rest_ms),
            percentile(minute.rest_ms, 0.5),
            percentile(minute.rest_ms, 0.99),
            len(keys),
            percentile(keys, 0.99),
            minute.submissions,
            minute.errors,
            closes(rooms, sockets),
            rss_mib(pid),
            open_fds(pid),
            sum(rss_mib(p) for p in db),
            (cpu_seconds(pid) - cpu_before) / elapsed * 100,
            (sum(cpu_seconds(p) for p in db) - db_before) / elapsed * 100,
            (sum(os.times()[:2]) - harness_before) / elapsed * 100,
        )
        samples.append(sample)
        s = sample
        print(
            f"{s.minute:>3} {s.rest_n:>7} {s.rest_p50:>7.1f} {s.rest_p99:>7.1f} {s.keys_n:>7} {s.keys_p99:>7.1f} "
            f"{s.submissions:>5} {sum(s.errors.values()):>4} {s.closes:>6} {s.rss:>8.1f} {s.fds:>5} {s.db_rss:>7.1f} "
            f"{s.cpu:>6.0f} {s.db_cpu:>5.0f} {s.harness_cpu:>7.0f}",
            flush=True,
        )
        for what, count in s.errors.most_common(5):
            print(f"      {count} x {what}")
    return samples


async def settle(api: Api, rooms: list[SoakRoom], ids: list[tuple[str, str]]) -> tuple[int, int]:
    """After the load stops: keystrokes never delivered, and submissions not judged within two minutes."""
    await asyncio.sleep(5)
    lost = 0
    for room in rooms:
        for index, client in enumerate(room.clients):
            assert client.reader is not None
            expected = set().union(*(written for k, written in enumerate(room.written) if k != index))
            lost += len(expected - client.reader.seen)
    pending = list(ids)
    deadline = time.monotonic() + 120
    while pending and time.monotonic() < deadline:
        still = []
        for sid, token in pending:
            result = await api.call("GET", f"/api/submissions/{sid}", token=token)
            if not result or result["status"] not in ("completed", "failed"):
                still.append((sid, token))
        pending = still
        if pending:
            await asyncio.sleep(2)
    return lost, len(pending)


def verdict(samples: list[Sample], lost: int, unjudged: int) -> bool:
    measured = samples[WARMUP_MINUTES:] or samples
    base = samples[0]
    checks = {
        "no errors": sum(sum(s.errors.values()) for s in samples) == 0,
        "no unexpected closes": samples[-1].closes == 0,
        "no keystroke lost": lost == 0,
        "every submission judged": unjudged == 0,
    }
    for name, value in (("RSS", lambda s: s.rss), ("open fds", lambda s: s.fds)):
        growth = max(value(s) for s in measured) / value(base) - 1
        checks[f"{name} flat after warm-up (max {growth:+.1%} vs minute {base.minute})"] = growth <= GROWTH_LIMIT
    for name, value in (("REST", lambda s: s.rest_p99), ("keystroke", lambda s: s.keys_p99)):
        first = value(measured[0])
        worst = max(value(s) for s in measured)
        checks[f"{name} p99 steady (worst {worst:.1f} ms vs first {first:.1f} ms)"] = worst <= 2 * first + 10
    for name, ok in checks.items():
        print(f"  {'ok  ' if ok else 'FAIL'} {name}")
    print(f"  lost keystrokes {lost}, submissions not judged {unjudged}")
    return all(checks.values())


async def main(args: argparse.Namespace) -> int:
    data_dir = Path(tempfile.mkdtemp(prefix="syncode-soak-"))
    port = free_port()
    process = start_syncode(port, data_dir, ENV, (data_dir / "server.log").open("wb"))
    stop = asyncio.Event()
    try:
        await wait_healthy(port)
        api = Api(port, [Minute()])
        problem = await bank_problem(api)
        gate = asyncio.Semaphore(8)
        coding = max(1, args.rooms // 25)
        started = time.monotonic()
        rooms = list(await asyncio.gather(*(make_room(api, gate, problem, i < coding) for i in range(args.rooms))))
        sockets = await connect(port, rooms)
        print(
            f"{args.rooms} rooms x 3 editors ({args.rooms * 2} typing, {args.keys_per_sec * args.rooms * 2:g} keys/s), "
            f"{len(sockets)} event sockets, {args.rest_users} REST readers, a submission every {args.submit_every:g} s "
            f"({coding} rooms coding); set up in {time.monotonic() - started:.0f} s; "
            f"setup errors: {sum(api.minute[0].errors.values())}",
            flush=True,
        )
        api.minute[0] = Minute()
        ids: list[tuple[str, str]] = []
        loads = [
            typing(rooms, args.keys_per_sec, stop),
            asyncio.ensure_future(rest(api, rooms, args.rest_users, args.think, stop)),
            submissions(api, rooms, args.submit_every, stop, ids),
        ]
        samples = await monitor(process.pid, args.minutes, api, rooms, sockets)
        stop.set()
        await asyncio.gather(*loads, *INFLIGHT)
        lost, unjudged = await settle(api, rooms, ids)
        passed = verdict(samples, lost, unjudged)
        print(f"verdict: {'PASS' if passed else 'FAIL'}")
        for room in rooms:
            for client in room.clients:
                client.close()
        for socket in sockets:
            socket.connection.close()
        return 0 if passed else 1
    finally:
        stop.set()
        process.terminate()
        try:
            await asyncio.to_thread(process.wait, 30)
        except Exception:
            process.kill()
        shutil.rmtree(data_dir, ignore_errors=True)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rooms", type=int, default=500)
    parser.add_argument("--minutes", type=int, default=10, help="of load, the first being the warm-up")
    parser.add_argument("--keys-per-sec", type=float, default=0.5, help="per typist (two per room)")
    parser.add_argument("--rest-users", type=int, default=20, help="people reading through the REST API")
    parser.add_argument("--think", type=float, default=0.5, help="their mean pause between requests, seconds")
    parser.add_argument("--submit-every", type=float, default=2.0, help="seconds between two submissions")
    return parser.parse_args()


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse_args())))
