"""What the benchmarks share: SynCode started as a real process, percentiles, and what /proc tells about the
processes they measure."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path
from typing import IO, Any

import tornado.httpclient

ROOT = Path(__file__).resolve().parent.parent


def percentile(samples: list[float], fraction: float) -> float:
    """Nearest rank: the p95 of 40 samples is their 3rd-slowest. NaN when there are none."""
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def start_syncode(port: int, data_dir: str | Path, env: dict[str, str], stderr: IO[Any] | int) -> subprocess.Popen:
    """`python run.py` on this port and data dir, its embedded database included; `env` adds to the process's
    environment (settings for the run). Wait for it with `wait_healthy`."""
    environment = {**os.environ, "SYNCODE_MONGODB_URI": "", "SYNCODE_LOG_LEVEL": "WARNING", **env}
    return subprocess.Popen(
        [sys.executable, "run.py", "--port", str(port), "--data-dir", str(data_dir)],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=stderr,
    )


async def wait_healthy(port: int, timeout: float = 120) -> None:
    """Until /api/health answers 200 (the database is up and every component started)."""
    client = tornado.httpclient.AsyncHTTPClient()
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        try:
            response = await client.fetch(f"http://127.0.0.1:{port}/api/health", raise_error=False)
            if response.code == 200:
                return
        except OSError:
            pass
        await asyncio.sleep(0.1)
    raise TimeoutError(f"SynCode on port {port} did not become healthy")


CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def children(pid: int) -> list[int]:
    return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def is_database(pid: int) -> bool:
    """SynCode's embedded SecantusDB."""
    return b"secantusd" in Path(f"/proc/{pid}/cmdline").read_bytes()
