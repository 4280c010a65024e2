"""The AI interviewer's cost: the offline engine per hint and review, and what the server adds to an LLM's own time.

    .venv/bin/python bench/ai.py [--messages 100] [--llm-ms 50]

1. The offline engine (in this process) answers a hint at each level and a review for the starter code in every
   language, the naive solution and a buggy variant of each bank problem: p50 / p95 / max per answer (goal: p95
   under 50 ms).
2. SynCode runs as a process against a loopback OpenAI-compatible server (tests/fake_llm.py, in this process)
   whose replies take --llm-ms. A client sends AI messages one at a time in an ai room on Two Sum and times each
   from the POST to the `ai.message` reply on /api/ws; the server's added latency is that time minus the LLM's
   own (from the moment the request reached the fake server to its reply): p50 / p95 (goal: p95 under 10 ms).
   The baseline, in the same run: a GET of the room (an authenticated request and nothing else), and the POST's
   own 202 (the request stored before it is answered).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import tornado.httpclient  # noqa: E402
import tornado.websocket  # noqa: E402

from bench.common import percentile, start_syncode, wait_healthy  # noqa: E402
from syncode.ai.offline import OfflineEngine  # noqa: E402
from syncode.embedded import free_port  # noqa: E402
from tests.fake_llm import FakeLlm  # noqa: E402
from tests.unit.test_ai_offline import bank, brief, slugs  # noqa: E402


def offline_samples() -> dict[str, list[float]]:
    engine = OfflineEngine()
    samples: dict[str, list[float]] = {"hint": [], "review": []}
    for slug in slugs():
        problem = bank(slug)
        codes = list(problem.get("starter_code", {}).items())
        codes += [("python", code) for code in problem.get("naive", {}).values()]
        codes += [("python", problem["reference"]["python"].replace("0", "1"))]  # a buggy variant
        for language, code in codes:
            for task, levels in (("hint", ("subtle", "moderate", "direct")), ("review", ("subtle",))):
                for level in levels:
                    b = brief(slug, task, code, level=level)
                    b.language = language
                    started = time.perf_counter()
                    engine.answer_now(b)
                    samples[task].append((time.perf_counter() - started) * 1000)
    return samples


def line(name: str, samples: list[float]) -> str:
    return (
        f"{name:<24} n={len(samples):<5} p50 {percentile(samples, 0.5):7.2f} ms   p95 {percentile(samples, 0.95):7.2f} "
        f"ms   max {max(samples):7.2f} ms"
    )


class Client:
    def __init__(self, port: int) -> None:
        self.base = f"http://127.0.0.1:{port}"
        self.http = tornado.httpclient.AsyncHTTPClient()
        self.token = ""

    async def call(self, method: str, path: str, body: dict | None = None) -> dict:
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {self.token}"}
        response = await self.http.fetch(
            self.base + path, method=method, headers=headers, body=json.dumps(body) if body is not None else None
        )
        return json.loads(response.body) if response.body else {}


async def llm_overhead(messages: int, llm_ms: float) -> dict[str, list[float]]:
    fake = await FakeLlm().start()
    fake.delay = llm_ms / 1000
    port = free_port()
    env = {
        "SYNCODE_LLM_BASE_URL": fake.url,
        "SYNCODE_LLM_MODEL": "bench",
        "SYNCODE_RATE_LIMIT_ENABLED": "false",
        "SYNCODE_AI_MESSAGES_PER_WINDOW": str(messages * 2),
        "SYNCODE_DAILY_AI_REQUESTS": str(messages * 2),
        "SYNCODE_SANDBOX": "process",
    }
    with tempfile.TemporaryDirectory() as data_dir:
        process = start_syncode(port, data_dir, env, subprocess.DEVNULL)
        try:
            await wait_healthy(port)
            return await drive(Client(port), port, fake, messages)
        finally:
            process.terminate()
            process.wait(30)
            await fake.stop()


async def drive(client: Client, port: int, fake: FakeLlm, messages: int) -> dict[str, list[float]]:
    register = {"email": "bench@example.com", "username": "bench", "password": "correct horse 1"}
    client.token = (await client.call("POST", "/api/auth/register", register))["accessToken"]
    auth = {"Authorization": f"Bearer {client.token}"}
    for _ in range(900):  # the bank loads in the background
        response = await client.http.fetch(f"{client.base}/api/problems/two-sum", headers=auth, raise_error=False)
        if response.code == 200:
            break
        await asyncio.sleep(0.2)
    room = await client.call("POST", "/api/rooms", {"mode": "ai", "problemId": "two-sum"})
    socket = await tornado.websocket.websocket_connect(f"ws://127.0.0.1:{port}/api/ws?token={client.token}")
    await socket.read_message()  # ready
    found: dict[str, list[float]] = {"GET room (baseline)": [], "POST ai/messages -> 202": [], "added": []}
    for n in range(messages + 5):
        started = time.perf_counter()
        await client.call("GET", f"/api/rooms/{room['id']}")
        get_ms = (time.perf_counter() - started) * 1000
        asked = len(fake.requests)
        started = time.perf_counter()
        reply = await client.call("POST", f"/api/rooms/{room['id']}/ai/messages", {"content": f"question {n}"})
        post_ms = (time.perf_counter() - started) * 1000
        while True:
            frame = json.loads(await socket.read_message())
            if frame["type"] == "ai.message" and frame["data"]["id"] == reply["messageId"]:
                break
        total = time.perf_counter() - started
        call = fake.requests[asked]
        if n >= 5:  # the first ones warm up connections and caches
            found["added"].append((total - (call["replied"] - call["received"])) * 1000)
            found["GET room (baseline)"].append(get_ms)
            found["POST ai/messages -> 202"].append(post_ms)
    socket.close()
    return found


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=100)
    parser.add_argument("--llm-ms", type=float, default=50)
    args = parser.parse_args()
    samples = offline_samples()
    print("Offline engine, per answer (goal: p95 < 50 ms)")
    for task, values in samples.items():
        print("  " + line(task, values))
    found = await llm_overhead(args.messages, args.llm_ms)
    print(f"Server time added to the LLM's own ({args.llm_ms:.0f} ms per reply; goal: p95 < 10 ms)")
    print("  " + line("POST -> ai.message", found.pop("added")))
    print("Baseline, same run")
    for name, values in found.items():
        print("  " + line(name, values))


if __name__ == "__main__":
    asyncio.run(main())
