"""The browser client's weight and speed: the JavaScript and CSS a first load fetches (gzip, as served), and the time
from navigation to an editable, synced editor in headless Chromium on loopback, printed against the load of an
empty page in the same run.

    .venv/bin/python bench/web.py [--samples 10]

Needs Debian's chromium and the Python playwright package (scripts/test installs both). Starts SynCode as a real
process with its embedded database on a free port; nothing leaves the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import socket
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import tornado.httpclient
import tornado.web

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ROOT, percentile, start_syncode, wait_healthy

BUILD = ROOT / "static" / "app"
CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]  # fmt: skip
EMPTY_PAGE = b"<!doctype html><html><head><title>empty</title></head><body></body></html>"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def gzip_size(url_path: str) -> int:
    return len(gzip.compress((BUILD / url_path.lstrip("/")).read_bytes(), 9))


async def post(url: str, body: dict, token: str | None = None) -> dict:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    response = await tornado.httpclient.AsyncHTTPClient().fetch(
        url, method="POST", body=json.dumps(body), headers=headers
    )
    return json.loads(response.body)


class Empty(tornado.web.RequestHandler):
    def get(self) -> None:
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.finish(EMPTY_PAGE)


async def main(samples: int) -> None:
    from playwright.async_api import async_playwright

    port = free_port()
    data = tempfile.mkdtemp(prefix="syncode-bench-web-")
    server = start_syncode(port, data, {"SYNCODE_RATE_LIMIT_ENABLED": "false"}, sys.stderr)
    empty_port = free_port()
    empty = tornado.web.Application([(r"/", Empty)]).listen(empty_port, "127.0.0.1")
    try:
        await wait_healthy(port)
        base = f"http://127.0.0.1:{port}"
        name = f"bench{uuid.uuid4().hex[:8]}"
        auth = await post(
            f"{base}/api/auth/register",
            {"email": f"{name}@example.com", "username": name, "password": "bench password 1"},
        )
        room = await post(f"{base}/api/rooms", {"mode": "peer", "language": "python"}, auth["accessToken"])
        session = json.dumps(
            {"token": auth["accessToken"], "exp": int(time.time() * 1000) + 10 * 60_000, "user": auth["user"]}
        )

        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)

            async def measure(url: str, ready: str | None, signed_in: bool) -> tuple[float, list[str]]:
                context = await browser.new_context(base_url=base)
                if signed_in:
                    await context.add_init_script(f"localStorage.setItem('syncode.session', {json.dumps(session)})")
                page = await context.new_page()
                assets: list[str] = []
                page.on(
                    "response", lambda r: assets.append(r.url.split(str(port), 1)[1]) if "/assets/" in r.url else None
                )
                start = time.perf_counter()
                await page.goto(url, wait_until="load")
                if ready:
                    await page.wait_for_selector(ready, timeout=60_000)
                elapsed = (time.perf_counter() - start) * 1000
                await context.close()
                return elapsed, assets

            _, signin_assets = await measure(f"{base}/signin", "form", False)
            _, room_assets = await measure(f"{base}/rooms/{room['id']}", ".status-live", True)
            _, home_assets = await measure(f"{base}/", ".tiles", True)  # the dashboard, its stats loaded
            empty_ms, room_ms = [], []
            for _ in range(samples):
                empty_ms.append((await measure(f"http://127.0.0.1:{empty_port}/", None, False))[0])
                room_ms.append((await measure(f"{base}/rooms/{room['id']}", ".status-live", True))[0])
            await browser.close()

        def weight(assets: list[str]) -> str:
            js = sum(gzip_size(a) for a in set(assets) if a.endswith(".js"))
            css = sum(gzip_size(a) for a in set(assets) if a.endswith(".css"))
            total = (js + css) / 1024
            files = len(set(assets))
            return f"{js / 1024:.1f} KiB JS + {css / 1024:.1f} KiB CSS = {total:.1f} KiB gzip ({files} files)"

        print(f"first load, sign-in page:   {weight(signin_assets)}")
        print(f"first load, home/dashboard: {weight(home_assets)}")
        print(f"first load, room page:      {weight(room_assets)}   (aim: <= 350 KiB)")
        lazy = [a for a in room_assets if "livekit" in a]  # media loads on joining a call, never with the room
        print(f"livekit-client in the room's first load: {'yes ' + str(lazy) if lazy else 'no'}")
        for label, values in (("empty page load", empty_ms), ("room: editable, synced", room_ms)):
            print(f"{label:24} median {statistics.median(values):7.1f} ms   p95 {percentile(values, 0.95):7.1f} ms")
        ratio = statistics.median(room_ms) / statistics.median(empty_ms)
        print(f"room / empty page: x{ratio:.1f} (medians, {samples} samples)")
    finally:
        empty.stop()
        server.terminate()
        server.wait(30)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=10)
    asyncio.run(main(parser.parse_args().samples))
