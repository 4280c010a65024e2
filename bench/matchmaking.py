"""Matchmaking under load: 2,000 users with random preferences enter the queue at once.

    .venv/bin/python bench/matchmaking.py [--users 2000] [--concurrency 64] [--seed 19]

Starts SynCode as `python run.py` on its embedded database (a fresh data dir, rate limits off, the problem bank
loaded; proposals and queue entries do not expire during the run, so every proposal is the first and only one of
its users). Every user keeps an /api/ws connection open, as a browser waiting for a partner does; all of them enter
the queue at once through `--concurrency` keep-alive connections. Prints:

- time to pair everyone pairable: from the first POST /api/matchmaking/queue to the last `match.proposed`, once the
  users left unpaired have no compatible partner among themselves (checked here with syncode/matchmaking/rules.py);
- time from entering to a proposal when a partner exists: for each proposal, from the moment the later of its two
  users was in the queue (its 202 arrived) to the arrival of `match.proposed` at each of them (p50, p95, max); also
  from that user's POST being sent, which adds the time the POST waited among `--concurrency` others in flight
  (with every core busy, the whole burst enters at the server's pace: that part measures throughput);
- the baseline measured in the same run: one GET /api/users/me per user through the same connections, before the
  queue fills (p50, p95), and the ratio;
- double booking: users who received more than one proposal, and proposals not seen by exactly two users. The only
  assertion: both are zero;
- the CPU the server and its database used per user from the first entry to the last proposal (less sensitive
  than times to what else the machine runs).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import tornado.websocket

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import children, cpu_seconds, is_database, percentile, start_syncode, wait_healthy  # noqa: E402
from bench.rooms import Http  # noqa: E402
from syncode.embedded import free_port  # noqa: E402
from syncode.matchmaking.rules import Preferences, ScoreWindow, Seeker, compatible  # noqa: E402

LANGUAGES = ["python", "javascript", "typescript", "java", "cpp", "c", "go", "rust"]
TOPICS = ["arrays", "strings", "hashing", "dynamic-programming", "trees", "graphs", "two-pointers", "sorting"]
QUIET_SEC = 2.0  # no proposal for this long, and nobody pairable left: everyone pairable was paired


@dataclass
class User:
    token: str
    user_id: str
    prefs: dict[str, list[str]] = field(default_factory=dict)
    entered: float = 0.0  # time.time() just before its POST
    queued_at: float = 0.0  # time.time() when its 202 arrived: the entry is in the queue
    proposals: list[tuple[float, str]] = field(default_factory=list)  # (arrival, matchId)
    reader: asyncio.Future | None = None  # reads its /api/ws frames


def random_preferences(rng: random.Random) -> dict[str, list[str]]:
    return {
        "languages": rng.sample(LANGUAGES, rng.choice([0, 0, 1, 2, 3])),
        "difficulties": rng.sample(["easy", "medium", "hard"], rng.choice([0, 1, 2])),
        "topics": rng.sample(TOPICS, rng.choice([0, 0, 1, 2])),
        "roles": rng.choice([[], [], ["candidate"], ["candidate"], ["interviewer"]]),
    }


async def each(items: list, concurrency: int, port: int, work) -> None:
    """`work(http, item)` for every item, over `concurrency` keep-alive connections."""
    queue: asyncio.Queue = asyncio.Queue()
    for item in items:
        queue.put_nowait(item)

    async def worker() -> None:
        http = Http(port)
        while not queue.empty():
            await work(http, queue.get_nowait())

    await asyncio.gather(*(worker() for _ in range(concurrency)))


async def register(port: int, n: int, concurrency: int) -> list[User]:
    users: list[User] = []

    async def one(http: Http, i: int) -> None:
        body = {"email": f"mm{i}@example.com", "username": f"mm{i}", "password": "bench password"}
        status, auth = await http.call("POST", "/api/auth/register", body=body)
        assert status == 201, auth
        users.append(User(auth["accessToken"], auth["user"]["id"]))

    await each(list(range(n)), concurrency, port, one)
    return users


async def wait_for_bank(port: int, token: str) -> None:
    """Until every problem file is listed: the bank loads in the background at start-up, and its test generators
    would take the server's CPU from the run."""
    http, expected = Http(port), len(list((ROOT / "problems").glob("*.toml")))
    while len((await http.call("GET", "/api/problems?limit=100", token))[1]["data"]) < expected:
        await asyncio.sleep(0.5)


async def listen(port: int, user: User) -> None:
    socket = await tornado.websocket.websocket_connect(f"ws://127.0.0.1:{port}/api/ws?token={user.token}")
    assert json.loads(await socket.read_message())["type"] == "ready"

    async def read() -> None:
        while (message := await socket.read_message()) is not None:
            arrived = time.time()
            frame = json.loads(message)
            if frame["type"] == "match.proposed":
                user.proposals.append((arrived, frame["data"]["matchId"]))

    user.reader = asyncio.ensure_future(read())


async def baseline(port: int, users: list[User], concurrency: int) -> list[float]:
    samples: list[float] = []

    async def one(http: Http, user: User) -> None:
        start = time.perf_counter()
        status, _ = await http.call("GET", "/api/users/me", user.token)
        samples.append(time.perf_counter() - start)
        assert status == 200

    await each(users, concurrency, port, one)
    return samples


async def enter_all(port: int, users: list[User], concurrency: int) -> None:
    async def one(http: Http, user: User) -> None:
        user.entered = time.time()
        status, answer = await http.call("POST", "/api/matchmaking/queue", user.token, user.prefs)
        assert status == 202, answer
        user.queued_at = time.time()

    await each(users, concurrency, port, one)


def pairable_left(users: list[User]) -> int:
    """How many users without a proposal could still be paired with another one of them."""
    left = [Seeker(u.user_id, u.queued_at, Preferences.of(u.prefs)) for u in users if not u.proposals]
    window = ScoreWindow(0, 0, 0)  # no reports in this run: every score is unknown
    return sum(1 for a in left if any(compatible(a, b, window) for b in left))


async def settle(users: list[User], timeout: float = 300) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        last = max((p[0] for u in users for p in u.proposals), default=0.0)
        if time.time() - last > QUIET_SEC and pairable_left(users) == 0:
            return
        await asyncio.sleep(0.25)
    print(f"not settled after {timeout:.0f} s: {pairable_left(users)} pairable users left unpaired")


def ms(samples: list[float]) -> str:
    p50, p95 = percentile(samples, 0.5) * 1000, percentile(samples, 0.95) * 1000
    return f"p50 {p50:.0f} ms, p95 {p95:.0f} ms, max {max(samples, default=0) * 1000:.0f} ms"


def report(users: list[User], base: list[float]) -> None:
    by_match: dict[str, list[User]] = {}
    for user in users:
        for _, match_id in user.proposals:
            by_match.setdefault(match_id, []).append(user)
    double = [u for u in users if len(u.proposals) > 1]
    odd = [m for m, seen in by_match.items() if len({u.user_id for u in seen}) != 2]
    sent, queued = [], []  # from the later user's POST being sent / its 202 arriving, to each proposal
    for seen in by_match.values():
        later = max(seen, key=lambda u: u.entered)
        sent += [u.proposals[0][0] - later.entered for u in seen]
        queued += [u.proposals[0][0] - later.queued_at for u in seen]
    paired = sum(1 for u in users if u.proposals)
    first = min(u.entered for u in users)
    last = max((u.proposals[0][0] for u in users if u.proposals), default=first)
    base95 = percentile(base, 0.95)
    entering = max(u.queued_at for u in users) - first
    posts = [u.queued_at - u.entered for u in users]
    print(f"users {len(users)}: {paired} paired in {len(by_match)} proposals, {len(users) - paired} left unpaired")
    print(f"  (none of those left has a compatible partner among them: {pairable_left(users) == 0})")
    print(f"time to pair everyone pairable: {last - first:.2f} s from the first entry")
    print(f"  entering took {entering:.2f} s; POST /api/matchmaking/queue {ms(posts)}")
    print(f"entering -> proposal, partner present (from the later entry's 202): {ms(queued)}")
    print(f"  from the later POST being sent: {ms(sent)}")
    print(
        f"baseline GET /api/users/me at the same concurrency: {ms(base)} "
        f"(proposal p95 = {percentile(queued, 0.95) / base95:.1f}x its p95)"
    )
    print(f"double-booked users: {len(double)}; proposals not seen by exactly two users: {len(odd)}")
    assert not double and not odd


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=64, help="keep-alive connections entering the queue")
    parser.add_argument("--seed", type=int, default=19)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    env = {
        "SYNCODE_RATE_LIMIT_ENABLED": "false",
        "SYNCODE_BCRYPT_ROUNDS": "4",
        "SYNCODE_MATCH_PROPOSAL_TTL_SEC": "3600",
        "SYNCODE_MATCH_QUEUE_TTL_SEC": "86400",
    }
    with tempfile.TemporaryDirectory(prefix="syncode-bench-") as data_dir:
        port = free_port()
        process = start_syncode(port, data_dir, env, subprocess.DEVNULL)
        try:
            await wait_healthy(port)
            users = await register(port, args.users, args.concurrency)
            for user in users:
                user.prefs = random_preferences(rng)
            await wait_for_bank(port, users[0].token)
            for start in range(0, len(users), 100):
                await asyncio.gather(*(listen(port, u) for u in users[start : start + 100]))
            base = await baseline(port, users, args.concurrency)
            pids = {"server": process.pid, "database": next(p for p in children(process.pid) if is_database(p))}
            before = {name: cpu_seconds(pid) for name, pid in pids.items()}
            await enter_all(port, users, args.concurrency)
            await settle(users)
            report(users, base)
            used = {name: (cpu_seconds(pid) - before[name]) * 1000 / len(users) for name, pid in pids.items()}
            print("CPU per user, entering to proposal: " + ", ".join(f"{n} {ms:.1f} ms" for n, ms in used.items()))
        finally:
            process.terminate()
            process.wait(30)


if __name__ == "__main__":
    asyncio.run(main())
