"""Capacity: how many live interview rooms this machine holds, ramped until one of them would notice.

    .venv/bin/python bench/capacity.py [--start 4] [--step 4] [--step-seconds 30] [--max-rooms 400]

Starts SynCode as `python run.py` on its embedded database (a fresh data dir; rate limits and quotas out of the
way, as in bench/rooms.py) and drives it as browsers would, through the real REST API and sockets. Each room is a
peer interview made by its host (the interviewer) with a problem, in `coding`, which a candidate and an observer
join with its invite code; all three are real accounts. Each of them holds a collab socket (the y-websocket
protocol: sync handshake, then updates, the client code of bench/collab.py) and an event socket (/api/ws). Both
editors (interviewer and candidate) type 5 keystrokes a second each, and each keystroke also sends their cursor
(an awareness update), as y-codemirror does; the candidate runs the problem's reference solution on its first
test's input every 30 s and submits it every 2 minutes (staggered over rooms). A keystroke inserts
"<seq>:<monotonic ns>;", so the other two participants time its relay.

First the machine's busy share with nothing of SynCode's running is sampled for 5 s (other jobs on a shared
machine). The unloaded verdict latencies come next: one room, nobody typing, runs then submissions one after another
(POST -> run.completed / submission.completed on the candidate's event socket). Then rooms are added --step at a
time; after each step, a --step-seconds window is measured while every room keeps going. The ramp stops at the first
window with a p99 edit relay over 50 ms, a run's or a submission's p95 over twice its unloaded one, or any error (a
refused request, a socket closed, an edit that never arrived, a submission not accepted). The machine holds the
rooms of the last window that passed. Printed per window: relay p50/p99, run and submission p95, CPU (% of one core)
of the server's own process, its database, its update-log writer, this harness, everything else (the sandboxes:
killed with their pid namespace, their CPU is never reaped into the server's; and on a shared machine, everyone
else) and the whole machine, and the judge's queue; at the end, the rooms held, rooms per core, and the first
resource to saturate. The harness runs on the same machine (3 Yjs clients per room): its CPU is printed, and is part
of what saturates the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import random
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import tornado.websocket
from pycrdt import Awareness

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.collab import BenchClient, Reader  # noqa: E402
from bench.common import children, cpu_seconds, is_database, percentile  # noqa: E402
from bench.rooms import Http, start_server, wait_for_bank  # noqa: E402
from realtime import protocol  # noqa: E402
from syncode.services.problem_bank import parse_problem  # noqa: E402

PROBLEM = "two-sum"
RELAY_P99_LIMIT_MS = 50
VERDICT_FACTOR = 2
names = itertools.count()


class Events:
    """One /api/ws socket: completions by id (runs and submissions), and whether it closed."""

    def __init__(self, socket: tornado.websocket.WebSocketClientConnection) -> None:
        self.socket = socket
        self.done: dict[str, asyncio.Future[tuple[float, dict]]] = {}
        self.closed = False
        self.reader = asyncio.ensure_future(self._read())

    def future(self, key: str) -> asyncio.Future[tuple[float, dict]]:
        return self.done.setdefault(key, asyncio.get_running_loop().create_future())

    async def _read(self) -> None:
        while (message := await self.socket.read_message()) is not None:
            frame = json.loads(message)
            if frame["type"] in ("run.completed", "submission.completed"):
                future = self.future(frame["data"]["id"])
                if not future.done():
                    future.set_result((time.monotonic(), frame["data"]))
        self.closed = True


@dataclass
class Member:
    http: Http
    token: str
    collab: BenchClient
    events: Events
    awareness: Awareness | None = None
    written: set[int] = field(default_factory=set)


@dataclass
class Room:
    id: str
    host: Member
    candidate: Member
    observer: Member
    seqs: itertools.count = field(default_factory=itertools.count)
    tasks: list[asyncio.Task] = field(default_factory=list)

    @property
    def members(self) -> list[Member]:
        return [self.host, self.candidate, self.observer]


@dataclass
class Load:
    """What the rooms saw since the last window began."""

    verdicts_ms: dict[str, list[float]] = field(default_factory=lambda: {"run": [], "submit": []})
    errors: list[str] = field(default_factory=list)
    queue_max: int = 0


@dataclass
class Problem:
    code: str
    stdin: str


# -- setting rooms up through the API --------------------------------------------------------------------------


async def register(port: int) -> tuple[Http, str]:
    http, name = Http(port), f"cap{next(names)}"
    status, auth = await http.call(
        "POST", "/api/auth/register", body={"email": f"{name}@example.com", "username": name, "password": "bench pass"}
    )
    assert status == 201, auth
    return http, auth["accessToken"]


async def member(port: int, http: Http, token: str, room_id: str, collab_token: str, writes: bool) -> Member:
    url = f"ws://127.0.0.1:{port}/collab/{room_id}?token={collab_token}"
    collab = await BenchClient.connect(url, Reader())
    await asyncio.wait_for(collab.synced.wait(), 30)
    events = Events(await tornado.websocket.websocket_connect(f"ws://127.0.0.1:{port}/api/ws?token={token}"))
    awareness = Awareness(collab.doc) if writes else None
    return Member(http, token, collab, events, awareness)


async def open_room(port: int, problem_id: str) -> Room:
    (host_http, host), (cand_http, cand), (obs_http, obs) = await asyncio.gather(*(register(port) for _ in range(3)))
    status, room = await host_http.call(
        "POST",
        "/api/rooms",
        host,
        {"mode": "peer", "problemId": problem_id, "language": "python", "config": {"maxParticipants": 3}},
    )
    assert status == 201, room
    for phase in ("warmup", "coding"):
        status, body = await host_http.call("POST", f"/api/rooms/{room['id']}/phase", host, {"to": phase})
        assert status == 200, body
    joined = {}
    for name, http, token, role in (
        ("candidate", cand_http, cand, "candidate"),
        ("observer", obs_http, obs, "observer"),
    ):
        status, detail = await http.call(
            "POST", "/api/rooms/join", token, {"inviteCode": room["inviteCode"], "role": role}
        )
        assert status == 200, detail
        joined[name] = detail["collab"]["token"]
    return Room(
        room["id"],
        await member(port, host_http, host, room["id"], room["collab"]["token"], writes=True),
        await member(port, cand_http, cand, room["id"], joined["candidate"], writes=True),
        await member(port, obs_http, obs, room["id"], joined["observer"], writes=False),
    )


# -- what a room does --------------------------------------------------------------------------------------------


async def type_in(room: Room, editor: Member, rate: float) -> None:
    """Keystrokes at `rate` a second (an absolute schedule), each with the cursor's awareness update."""
    assert editor.awareness is not None
    started, n = time.monotonic() + random.random() / rate, 0
    while True:
        await asyncio.sleep(max(0.0, started + n / rate - time.monotonic()))
        seq = next(room.seqs)
        editor.written.add(seq)
        editor.collab.write(seq)
        position = len(editor.collab.text)
        editor.awareness.set_local_state({"user": {"name": "bench"}, "cursor": {"anchor": position, "head": position}})
        update = editor.awareness.encode_awareness_update([editor.collab.doc.client_id])
        editor.collab.connection.write_message(protocol.awareness(update), binary=True)
        n += 1


async def verdict(room: Room, problem: Problem, kind: str) -> float:
    """POST a run or a submission as the candidate; ms until its completion event, or raises."""
    body = {"language": "python", "code": problem.code} | ({"stdin": problem.stdin} if kind == "run" else {})
    started = time.monotonic()
    status, answer = await room.candidate.http.call("POST", f"/api/rooms/{room.id}/{kind}", room.candidate.token, body)
    if status != 202:
        raise RuntimeError(f"{kind}: HTTP {status} {answer}")
    key = answer["runId" if kind == "run" else "submissionId"]
    arrived, result = await asyncio.wait_for(room.candidate.events.future(key), 120)
    if kind == "submit" and result.get("verdict") != "accepted":
        raise RuntimeError(f"submission verdict {result.get('verdict')}")
    return (arrived - started) * 1000


async def every(seconds: float, kind: str, action, load: list[Load]) -> None:
    await asyncio.sleep(random.random() * seconds)  # rooms staggered
    while True:
        started = time.monotonic()
        try:
            load[0].verdicts_ms[kind].append(await action())
        except Exception as exc:  # every failure is the ramp's stop signal, not the bench's crash
            load[0].errors.append(repr(exc)[:200])
        await asyncio.sleep(max(0.0, started + seconds - time.monotonic()))


def start(room: Room, problem: Problem, args: argparse.Namespace, load: list[Load]) -> None:
    room.tasks = [
        asyncio.ensure_future(type_in(room, room.host, args.keystrokes)),
        asyncio.ensure_future(type_in(room, room.candidate, args.keystrokes)),
        asyncio.ensure_future(every(args.run_every, "run", lambda: verdict(room, problem, "run"), load)),
        asyncio.ensure_future(every(args.submit_every, "submit", lambda: verdict(room, problem, "submit"), load)),
    ]


# -- measuring ---------------------------------------------------------------------------------------------------


def machine_busy() -> tuple[int, int]:
    """(busy, total) jiffies of all cores so far."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


def roles(server_pid: int) -> dict[str, list[int]]:
    found: dict[str, list[int]] = {"server": [server_pid], "db": [], "log writer": []}
    for pid in children(server_pid):
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        if is_database(pid):
            found["db"].append(pid)
        elif b"realtime.logwriter" in cmdline:
            found["log writer"].append(pid)
    return found


def cpu_now(server_pid: int) -> dict[str, float]:
    now = {role: sum(cpu_seconds(p) for p in pids) for role, pids in roles(server_pid).items()}
    now["harness"] = sum(os.times()[:2])
    return now


async def watch_queue(port: int, load: list[Load]) -> None:
    """The judge's queue (admitted beyond its workers), from /api/health, once a second."""
    http = Http(port)
    while True:
        try:
            _, health = await http.call("GET", "/api/health")
            sandbox = (health or {}).get("checks", {}).get("sandbox", {})
            detail = sandbox.get("detail") if isinstance(sandbox.get("detail"), dict) else sandbox
            queued = int(detail.get("in_flight", 0)) - int(detail.get("workers", 0))
            load[0].queue_max = max(load[0].queue_max, queued)
        except Exception:  # health is only a gauge here
            http = Http(port)
        await asyncio.sleep(1)


@dataclass
class Window:
    rooms: int
    relay_p50: float
    relay_p99: float
    verdict_p95: dict[str, float]  # runs and submissions apart: a submission judges every test
    verdicts: int
    errors: list[str]
    cpu: dict[str, float]  # % of one core
    machine: float  # % of all cores
    queue_max: int


async def measure(rooms: list[Room], server_pid: int, seconds: float, load: list[Load]) -> Window:
    for room in rooms:
        for m in room.members:
            m.collab.reader.latencies_ms.clear()
            m.collab.reader.seen.clear()
            m.written.clear()
    load[0] = Load()
    cpu_before, busy_before, started = cpu_now(server_pid), machine_busy(), time.monotonic()
    await asyncio.sleep(seconds)
    elapsed = time.monotonic() - started
    cpu_after, busy_after = cpu_now(server_pid), machine_busy()
    window_load = load[0]
    written = {id(m): set(m.written) for room in rooms for m in room.members}  # what the window sent
    await asyncio.sleep(2)  # those sent at its very end have a moment to arrive (late is not lost)
    latencies, errors = [], list(window_load.errors)
    for room in rooms:
        for m in room.members:
            latencies += m.collab.reader.latencies_ms
            sent = set().union(*(written[id(o)] for o in room.members if o is not m))
            if missing := len(sent - m.collab.reader.seen):
                errors.append(f"{missing} edits never reached a participant of {room.id}")
            if m.events.closed or m.collab._task.done():
                errors.append(f"a socket of {room.id} closed")
    cpu = {role: (cpu_after[role] - cpu_before[role]) / elapsed * 100 for role in cpu_before}
    machine = (busy_after[0] - busy_before[0]) / max(1, busy_after[1] - busy_before[1]) * 100
    return Window(
        len(rooms),
        percentile(latencies, 0.5),
        percentile(latencies, 0.99),
        {kind: percentile(ms, 0.95) for kind, ms in window_load.verdicts_ms.items()},
        sum(len(ms) for ms in window_load.verdicts_ms.values()),
        errors,
        cpu,
        machine,
        window_load.queue_max,
    )


def failures(window: Window, unloaded_p95: dict[str, float]) -> list[str]:
    reasons = []
    if not window.relay_p99 <= RELAY_P99_LIMIT_MS:
        reasons.append(f"p99 edit relay {window.relay_p99:.1f} ms > {RELAY_P99_LIMIT_MS} ms")
    for kind, p95 in window.verdict_p95.items():
        if p95 > VERDICT_FACTOR * unloaded_p95[kind]:  # NaN (none in the window) compares False
            reasons.append(f"p95 {kind} verdict {p95:.0f} ms > {VERDICT_FACTOR} x {unloaded_p95[kind]:.0f} ms")
    if window.errors:
        reasons.append(f"errors: {window.errors[0]} ({len(window.errors)} in all)")
    return reasons


def saturated(window: Window, cores: int) -> str:
    """The first resource to run out in the failing window: a single-threaded process near a full core, the
    machine's cores, or the judge's queue; otherwise the busiest process."""
    server_side = {k: v for k, v in window.cpu.items() if k != "harness"}
    for role in ("server", "db", "log writer"):
        if window.cpu[role] >= 85:
            return f"CPU of the {role} process ({window.cpu[role]:.0f}% of its one core)"
    if window.machine >= 90:
        top = max(server_side, key=server_side.get)
        return (
            f"the machine's CPU ({window.machine:.0f}% of {cores} cores busy; the largest share: {top} "
            f"{window.cpu[top]:.0f}% of a core, the harness {window.cpu['harness']:.0f}%, other processes "
            f"{others(window, cores):.0f}%)"
        )
    if window.queue_max > 0:
        return f"the judge's queue ({window.queue_max} submissions waiting for a worker)"
    top = max(server_side, key=server_side.get)
    return f"none outright; the busiest: {top} at {window.cpu[top]:.0f}% of a core"


def others(window: Window, cores: int) -> float:
    """% of one core the machine spent on other processes: the sandboxes (killed with their pid namespace, their
    CPU is never reaped into the server's) and, on a shared machine, everyone else's."""
    return max(0.0, window.machine * cores - sum(window.cpu.values()))


def per_room(window: Window) -> float:
    """% of one core each room costs SynCode's own processes (server, database, log writer; not the sandboxes)."""
    return sum(v for k, v in window.cpu.items() if k != "harness") / window.rooms


def report(window: Window, cores: int) -> None:
    cpu = " ".join(f"{window.cpu[k]:>6.0f}" for k in ("server", "db", "log writer", "harness"))
    print(
        f"{window.rooms:>6} {window.relay_p50:>7.2f} {window.relay_p99:>7.2f} {window.verdict_p95['run']:>7.0f} "
        f"{window.verdict_p95['submit']:>7.0f} "
        f"{window.verdicts:>5} {cpu} {others(window, cores):>6.0f} {window.machine:>8.0f} {window.queue_max:>6} "
        f"{len(window.errors):>6}",
        flush=True,
    )


async def unloaded_verdicts(room: Room, problem: Problem, count: int) -> dict[str, float]:
    """p95 of `count` runs and of `count` submissions, one at a time, nobody typing."""
    await verdict(room, problem, "run")  # warm-up: the first sandboxes of a fresh server
    return {
        kind: percentile([await verdict(room, problem, kind) for _ in range(count)], 0.95) for kind in ("run", "submit")
    }


async def main(args: argparse.Namespace) -> None:
    cores = os.cpu_count() or 1
    spec = parse_problem((ROOT / "problems" / f"{PROBLEM}.toml").read_bytes(), f"{PROBLEM}.toml")
    problem = Problem(spec.reference["python"], spec.tests[0].input)
    before = machine_busy()
    await asyncio.sleep(5)
    after = machine_busy()
    background = (after[0] - before[0]) / max(1, after[1] - before[1]) * 100
    print(f"before SynCode starts, other processes keep {background:.0f}% of this machine's {cores} cores busy")
    with tempfile.TemporaryDirectory(prefix="syncode-capacity-") as data_dir:
        process, port = await start_server(data_dir, args.sandbox)
        try:
            await wait_for_bank(port, [PROBLEM])
            http, token = await register(port)
            problem_id = (await http.call("GET", f"/api/problems/{PROBLEM}", token))[1]["id"]
            load = [Load()]
            queue = asyncio.ensure_future(watch_queue(port, load))
            rooms = [await open_room(port, problem_id)]
            unloaded = await unloaded_verdicts(rooms[0], problem, args.baseline_verdicts)
            print(
                f"{PROBLEM} in python, sandbox {args.sandbox}, {cores} cores; per room 2 editors x {args.keystrokes:g} "
                f"keystrokes/s (+ cursor), 1 observer, a run every {args.run_every:g} s and a submission every "
                f"{args.submit_every:g} s; unloaded p95 verdict: run {unloaded['run']:.0f} ms, submission "
                f"{unloaded['submit']:.0f} ms ({args.baseline_verdicts} of each)"
            )
            print(
                f"{'rooms':>6} {'p50 ms':>7} {'p99 ms':>7} {'run p95':>7} {'sub p95':>7} {'vrds':>5} "
                f"{'server':>6} {'db':>6} {'logwr':>6} {'harnss':>6} {'others':>6} {'machine%':>8} {'queue':>6} "
                f"{'errors':>6}   (cpu: % of one core)"
            )
            held, last = 0, None
            start(rooms[0], problem, args, load)
            target = args.start
            while target <= args.max_rooms:
                while len(rooms) < target:
                    room = await open_room(port, problem_id)
                    start(room, problem, args, load)
                    rooms.append(room)
                await asyncio.sleep(args.settle)
                last = await measure(rooms, process.pid, args.step_seconds, load)
                report(last, cores)
                reasons = failures(last, unloaded)
                if reasons:
                    print(f"stopped at {last.rooms} rooms: {'; '.join(reasons)}")
                    print(f"first resource to saturate: {saturated(last, cores)}")
                    break
                held = last.rooms
                target += args.step
            else:
                print(f"reached --max-rooms {args.max_rooms} without failing")
            print(
                f"\nthis machine holds {held} live interview rooms ({held / cores:.1f} per core, {cores} cores; the "
                "harness and any other load shared it)"
            )
            if last is not None:
                cost = per_room(last)
                print(
                    f"CPU per room (server, database, log writer; not the sandboxes) in the last window: {cost:.1f}% "
                    f"of a core: {cores} cores would hold about {cores * 100 / cost:.0f} rooms' relay and storage if "
                    "nothing else ran (an upper bound: no sandboxes, no harness)"
                )
            queue.cancel()
            for room in rooms:
                for task in room.tasks:
                    task.cancel()
        finally:
            process.terminate()
            process.wait(30)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--start", type=int, default=4, help="rooms in the first measured window")
    parser.add_argument("--step", type=int, default=4, help="rooms added before each further window")
    parser.add_argument("--max-rooms", type=int, default=400)
    parser.add_argument("--step-seconds", type=float, default=30, help="length of each measured window")
    parser.add_argument("--settle", type=float, default=3, help="seconds after adding rooms before measuring")
    parser.add_argument("--keystrokes", type=float, default=5, help="per editor per second")
    parser.add_argument("--run-every", type=float, default=30, help="seconds between a room's runs")
    parser.add_argument("--submit-every", type=float, default=120, help="seconds between a room's submissions")
    parser.add_argument("--baseline-verdicts", type=int, default=12, help="unloaded runs (and submissions) measured")
    parser.add_argument(
        "--sandbox",
        default="process",
        choices=["auto", "process", "docker"],
        help="process (default, bubblewrap on this host) or docker",
    )
    return parser.parse_args()


if __name__ == "__main__":
    asyncio.run(main(parse_args()))
