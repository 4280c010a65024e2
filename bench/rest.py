"""REST throughput and latency: `GET /api/users/me` against a bare Tornado hello-world, in the same run.

    .venv/bin/python bench/rest.py [--concurrency 32] [--seconds 10] [--rate 200]

Starts SynCode on its embedded default (a fresh data dir, rate limits off) and a hello-world Tornado server
in separate processes, drives both from this process with keep-alive connections, and prints requests/s,
p50/p99 and the ratio. A second phase drives /api/users/me at a fixed rate (default 200 req/s) for p99.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import percentile, start_syncode  # noqa: E402
from syncode.embedded import free_port  # noqa: E402

HELLO = """
import asyncio, sys, tornado.web
class Hello(tornado.web.RequestHandler):
    def get(self):
        self.write({"hello": "world"})
async def main():
    tornado.web.Application([(r"/", Hello)]).listen(int(sys.argv[1]), "127.0.0.1")
    await asyncio.Event().wait()
asyncio.run(main())
"""


class Client:
    """A minimal HTTP/1.1 keep-alive client: the load generator must cost less than the servers."""

    def __init__(self, port: int, path: str, headers: dict[str, str]) -> None:
        lines = [f"GET {path} HTTP/1.1", "Host: 127.0.0.1"] + [f"{k}: {v}" for k, v in headers.items()]
        self.request = ("\r\n".join(lines) + "\r\n\r\n").encode()
        self.port = port

    async def connect(self) -> None:
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)

    async def fetch(self) -> int:
        self.writer.write(self.request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        await self.reader.readexactly(length)
        return status


async def closed_loop(port: int, path: str, headers: dict, concurrency: int, seconds: float) -> dict:
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds

    async def worker() -> None:
        nonlocal errors
        client = Client(port, path, headers)
        await client.connect()
        while time.perf_counter() < deadline:
            start = time.perf_counter()
            status = await client.fetch()
            latencies.append(time.perf_counter() - start)
            errors += status != 200
        client.writer.close()

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return summarize(latencies, errors, time.perf_counter() - start)


async def open_loop(port: int, path: str, headers: dict, rate: int, seconds: float) -> dict:
    """Fixed arrival rate over a pool of connections; latency counted from the scheduled send time."""
    pool: asyncio.Queue[Client] = asyncio.Queue()
    for _ in range(32):
        client = Client(port, path, headers)
        await client.connect()
        pool.put_nowait(client)
    latencies: list[float] = []
    errors = 0

    async def one(scheduled: float) -> None:
        nonlocal errors
        client = await pool.get()
        status = await client.fetch()
        latencies.append(time.perf_counter() - scheduled)
        errors += status != 200
        pool.put_nowait(client)

    tasks = []
    start = time.perf_counter()
    for i in range(int(rate * seconds)):
        scheduled = start + i / rate
        await asyncio.sleep(max(0, scheduled - time.perf_counter()))
        tasks.append(asyncio.create_task(one(scheduled)))
    await asyncio.gather(*tasks)
    return summarize(latencies, errors, time.perf_counter() - start)


def summarize(latencies: list[float], errors: int, elapsed: float) -> dict:
    return {
        "requests": len(latencies),
        "rps": len(latencies) / elapsed,
        "p50": percentile(latencies, 0.50) * 1000,
        "p99": percentile(latencies, 0.99) * 1000,
        "mean": statistics.fmean(latencies) * 1000,
        "errors": errors,
    }


async def wait_up(port: int, path: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            client = Client(port, path, {})
            await client.connect()
            await client.fetch()
            client.writer.close()
            return
        except OSError:
            await asyncio.sleep(0.1)
    raise RuntimeError(f"nothing answered on port {port}")


async def register(port: int) -> str:
    body = json.dumps({"email": "bench@example.com", "username": "bench", "password": "bench password"}).encode()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        b"POST /api/auth/register HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        + f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
        + body
    )
    raw = await reader.read()
    writer.close()
    return json.loads(raw.split(b"\r\n\r\n", 1)[1])["accessToken"]


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--rate", type=int, default=200)
    args = parser.parse_args()

    data_dir = tempfile.mkdtemp(prefix="syncode-bench-")
    api_port, hello_port = free_port(), free_port()
    env = {"SYNCODE_RATE_LIMIT_ENABLED": "false", "SYNCODE_LOG_LEVEL": "INFO"}  # defaults otherwise (access log)
    servers = [
        start_syncode(api_port, data_dir, env, subprocess.DEVNULL),
        subprocess.Popen([sys.executable, "-c", HELLO, str(hello_port)], stderr=subprocess.DEVNULL),
    ]
    try:
        await wait_up(api_port, "/api/health")
        await wait_up(hello_port, "/")
        token = await register(api_port)
        auth = {"Authorization": f"Bearer {token}"}
        await closed_loop(api_port, "/api/users/me", auth, args.concurrency, 1)  # warm-up
        hello = await closed_loop(hello_port, "/", {}, args.concurrency, args.seconds)
        api = await closed_loop(api_port, "/api/users/me", auth, args.concurrency, args.seconds)
        paced = await open_loop(api_port, "/api/users/me", auth, args.rate, args.seconds)
    finally:
        for server in servers:
            server.terminate()
            server.wait(30)

    print(f"closed loop, concurrency {args.concurrency}, {args.seconds:.0f} s each")
    print(f"{'target':<28}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'errors':>8}")
    for name, r in (("hello world (baseline)", hello), ("GET /api/users/me", api)):
        print(f"{name:<28}{r['rps']:>10.0f}{r['p50']:>10.2f}{r['p99']:>10.2f}{r['errors']:>8}")
    print(f"throughput ratio users/me : hello = {api['rps'] / hello['rps']:.2f}  (goal >= 0.40)")
    print(
        f"open loop at {args.rate} req/s: p50 {paced['p50']:.2f} ms, p99 {paced['p99']:.2f} ms "
        f"(goal p99 < 25 ms), errors {paced['errors']}"
    )


if __name__ == "__main__":
    asyncio.run(main())
