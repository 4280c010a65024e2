"""Room-layer overhead of submissions: N rooms submitting reference solutions through the API, against the judge
called directly with the same programs and test cases, in the same run.

    .venv/bin/python bench/rooms.py [--rooms 8] [--rounds 5] [--language python] [--problems two-sum,binary-search]

Starts SynCode in this process on its embedded database (a fresh data dir, rate limits and quotas out of the way,
the problem bank loaded). Each room (its own host, in `coding`, with a problem) submits the problem's reference
solution from problems/<slug>.toml; latency runs from just before the POST to the moment `submission.completed`
is published on the bus (an in-process listener: the WebSocket hop is not counted). Rounds alternate between the
API and the judge called directly (same code, test cases, limits and concurrency), so both see the same machine.
Prints figures; asserts only that every verdict is `accepted`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import statistics
import sys
import tempfile
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

import tornado.httpclient

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from config import load_settings  # noqa: E402
from judge import Judge, TestCase  # noqa: E402
from run import Server  # noqa: E402
from syncode.events import Event, EventBus  # noqa: E402
from tests.conftest import Api  # noqa: E402

EASY = ["two-sum", "binary-search", "climbing-stairs", "valid-parentheses", "move-zeroes", "missing-number"]


@dataclass
class Room:
    id: str
    token: str
    language: str
    code: str
    tests: list[TestCase]
    time_ms: int
    memory_mb: int
    comparison: str
    abs_tol: float
    rel_tol: float


class Completions:
    """When each submission's `submission.completed` event was published (a future per submission id)."""

    def __init__(self, bus: EventBus) -> None:
        self.futures: dict[str, asyncio.Future] = {}
        bus.subscribe("submission.completed", self._on_event)

    def _future(self, submission_id: str) -> asyncio.Future:
        return self.futures.setdefault(submission_id, asyncio.get_running_loop().create_future())

    def _on_event(self, event: Event) -> None:
        self._future(event.data["id"]).set_result((time.perf_counter(), event.data["verdict"]))

    async def wait(self, submission_id: str) -> tuple[float, str]:
        return await self._future(submission_id)


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


async def open_room(server: Server, api: Api, slug: str, language: str) -> Room:
    code = tomllib.loads((ROOT / "problems" / f"{slug}.toml").read_text())["reference"][language]
    host = await api.register()
    token = host["accessToken"]
    problem = (await api.get(f"/api/problems/{slug}", token=token)).json
    room = (
        await api.post("/api/rooms", {"mode": "peer", "problemId": problem["id"], "language": language}, token=token)
    ).json
    for phase in ("warmup", "coding"):
        assert (await api.post(f"/api/rooms/{room['id']}/phase", {"to": phase}, token=token)).status == 200
    stored, cases = await server.ctx.problems.get_for_judging(problem["id"])
    tests = [
        TestCase(id=c["_id"], input=c["input"], expected_output=c["expectedOutput"], is_hidden=c["isHidden"])
        for c in cases
    ]
    return Room(
        room["id"],
        token,
        language,
        code,
        tests,
        stored["timeLimitMs"],
        stored["memoryLimitMb"],
        stored.get("comparison", "lines"),
        stored.get("floatAbsTol", 1e-6),
        stored.get("floatRelTol", 1e-6),
    )


class KeepAlive:
    """One persistent HTTP/1.1 connection per room, as a browser keeps one: the client's connection set-up
    is not the room layer's cost."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def post(self, path: str, token: str, body: dict) -> tuple[int, dict]:
        if self.streams is None:
            self.streams = await asyncio.open_connection("127.0.0.1", self.port)
        reader, writer = self.streams
        payload = json.dumps(body).encode()
        writer.write(
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n".encode()
            + payload
        )
        head = await reader.readuntil(b"\r\n\r\n")
        length = next(
            int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")
        )
        return int(head.split(b" ", 2)[1]), json.loads(await reader.readexactly(length))


async def through_api(client: KeepAlive, completions: Completions, room: Room) -> tuple[float, float, str]:
    """(POST -> event seconds, POST -> 202 seconds, verdict)."""
    started = time.perf_counter()
    status, body = await client.post(
        f"/api/rooms/{room.id}/submit", room.token, {"language": room.language, "code": room.code}
    )
    answered = time.perf_counter()
    assert status == 202, body
    finished, verdict = await completions.wait(body["submissionId"])
    return finished - started, answered - started, verdict


async def direct(judge: Judge, room: Room) -> tuple[float, float, str]:
    started = time.perf_counter()
    result = await judge.judge(
        room.language,
        room.code,
        room.tests,
        room.time_ms,
        room.memory_mb,
        comparison=room.comparison,
        abs_tol=room.abs_tol,
        rel_tol=room.rel_tol,
    )
    return time.perf_counter() - started, 0.0, result.verdict.value


async def one_round(calls: list) -> tuple[list[tuple[float, float, str]], float]:
    started = time.perf_counter()
    results = await asyncio.gather(*calls)
    return results, time.perf_counter() - started


def report(name: str, samples: list[tuple[float, float, str]], wall: float) -> tuple[float, float]:
    latencies = [s[0] * 1000 for s in samples]
    p50, p95 = percentile(latencies, 0.5), percentile(latencies, 0.95)
    line = (
        f"{name:22} {len(samples) / wall:9.2f} {p50:9.1f} {p95:9.1f} {statistics.mean(latencies):9.1f}"
        f" {max(latencies):9.1f}"
    )
    accepted = sum(s[2] == "accepted" for s in samples)
    print(line + f"   accepted {accepted}/{len(samples)}")
    return p50, p95


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rooms", type=int, default=8, help="concurrent rooms (one submission each per round)")
    parser.add_argument("--rounds", type=int, default=5, help="measured rounds per path")
    parser.add_argument("--warmup", type=int, default=1, help="unmeasured rounds per path first")
    parser.add_argument("--language", default="python", choices=["python", "cpp"])
    parser.add_argument("--problems", default=",".join(EASY), help="comma-separated slugs with a reference")
    parser.add_argument("--sandbox", default="auto", choices=["auto", "process", "docker"])
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    tornado.httpclient.AsyncHTTPClient.configure(None, max_clients=max(10, args.rooms * 2))
    slugs = args.problems.split(",")
    with tempfile.TemporaryDirectory() as data_dir:
        settings = load_settings(
            data_dir=data_dir,
            port=0,
            rate_limit_enabled=False,
            bcrypt_rounds=4,
            daily_executions=10**9,
            max_active_rooms=10**6,
            sandbox=args.sandbox,
            log_level="WARNING",
        )
        server = Server(settings)
        await server.start()
        try:
            await server.bank_loading
            api = Api(server.url)
            completions = Completions(server.ctx.bus)
            rooms = [await open_room(server, api, slugs[i % len(slugs)], args.language) for i in range(args.rooms)]
            clients = {r.id: KeepAlive(server.port) for r in rooms}
            judge = server.judge
            print(
                f"{args.rooms} rooms, {args.rounds} rounds (+{args.warmup} warm-up), {args.language}, "
                f"problems {', '.join(slugs)}; sandbox {judge.backend_name}, {settings.judge_workers} judge "
                f"workers, pool {settings.judge_pool_size}"
            )
            api_samples: list = []
            direct_samples: list = []
            walls = {"api": 0.0, "direct": 0.0}
            for index in range(args.warmup + args.rounds):
                measured = index >= args.warmup
                results, wall = await one_round([through_api(clients[r.id], completions, r) for r in rooms])
                if measured:
                    api_samples += results
                    walls["api"] += wall
                results, wall = await one_round([direct(judge, r) for r in rooms])
                if measured:
                    direct_samples += results
                    walls["direct"] += wall
            print(f"{'path':22} {'subm/s':>9} {'p50 ms':>9} {'p95 ms':>9} {'mean ms':>9} {'max ms':>9}")
            api50, api95 = report("API POST -> event", api_samples, walls["api"])
            direct50, direct95 = report("judge called directly", direct_samples, walls["direct"])
            answered = [s[1] * 1000 for s in api_samples]
            print(f"POST -> 202: p50 {percentile(answered, 0.5):.1f} ms, p95 {percentile(answered, 0.95):.1f} ms")
            print(
                f"room-layer overhead: p50 {api50 - direct50:+.1f} ms, p95 {api95 - direct95:+.1f} ms "
                f"(goal: p95 <= 20 ms)"
            )
        finally:
            await server.stop()


if __name__ == "__main__":
    asyncio.run(main())
