"""Fuzz the whole API (tests/api_fuzz.py) against SynCode started as a real process (`python run.py`, its embedded
database, the process sandbox): every operation of the served OpenAPI document, as anonymous, a normal user (and
the peer of their finished room) and an admin, Schemathesis's positive and negative cases. Prints the seed first,
then the findings (5xx, undeclared status codes, bodies or content types that do not match the declared schema,
requests without an answer in 20 s) and the status codes seen. Exit status 1 when there is any finding.

    .venv/bin/python bench/fuzz.py                   # 5,000 cases, a random seed
    .venv/bin/python bench/fuzz.py --seed 1234 --cases 20000
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ROOT, start_syncode, wait_healthy
from syncode.embedded import free_port
from tests.api_fuzz import build_world, fuzz

SETTINGS = {
    "SYNCODE_RATE_LIMIT_ENABLED": "false",  # the fuzzer sends thousands of requests from one address
    "SYNCODE_DAILY_EXECUTIONS": "30",  # a few real executions of generated code, then the quota's 429
    "SYNCODE_SANDBOX": "process",
    "SYNCODE_JUDGE_POOL_SIZE": "0",
    "SYNCODE_LOG_LEVEL": "ERROR",
}


def promote(data_dir: str, email: str) -> None:
    """As a self-hoster would: run.py promote-admin beside the running server (it finds its embedded database)."""
    subprocess.run(
        [sys.executable, "run.py", "--data-dir", data_dir, "promote-admin", email],
        cwd=ROOT,
        env={**os.environ, "SYNCODE_MONGODB_URI": ""},
        check=True,
        capture_output=True,
    )
    time.sleep(1.2)  # the server caches an account for a second


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=5000, help="generated requests in all (default 5000)")
    parser.add_argument("--seed", type=int, default=None, help="reproduce a run (default: random)")
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(2**31)
    print(f"seed {seed} (rerun with --seed {seed} --cases {args.cases})", flush=True)
    with tempfile.TemporaryDirectory(prefix="syncode-fuzz-") as data_dir:
        port = free_port()
        stderr = open(Path(data_dir) / "server.log", "wb")  # noqa: SIM115 - closed with the directory
        server = start_syncode(port, data_dir, SETTINGS, stderr)
        try:
            asyncio.run(wait_healthy(port))
            base_url = f"http://127.0.0.1:{port}"
            identities = build_world(base_url, lambda user: promote(data_dir, user["email"]))
            report = fuzz(base_url, identities, args.cases, seed, log=lambda line: print(line, flush=True))
        finally:
            server.terminate()
            server.wait(30)
            stderr.close()
            errors = (Path(data_dir) / "server.log").read_text(errors="replace")
    print(f"\n{report.cases} cases in {report.elapsed_sec:.0f} s, slowest answer {report.slowest_sec:.2f} s")
    print("status codes: " + ", ".join(f"{code} x{n}" for code, n in sorted(report.statuses.items())))
    distinct = report.distinct_findings()
    print(f"{len(report.findings)} failing cases, {len(distinct)} distinct findings")
    for finding in distinct:
        print(f"\n{finding}")
    unhandled = errors.count('"unhandled error"')
    print(f"\nunhandled errors in the server log: {unhandled}")
    print(f"seed {seed}")
    return 1 if distinct or unhandled else 0


if __name__ == "__main__":
    sys.exit(main())
