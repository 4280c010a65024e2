"""`python run.py` as a real process: embedded database, settings validation, secrets, promote-admin, shutdown."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from syncode.embedded import free_port
from tests.conftest import Api

ROOT = Path(__file__).resolve().parent.parent


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SYNCODE_")}
    env.update(extra)
    return env


async def run_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "run.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


async def wait_healthy(api: Api, process: subprocess.Popen, timeout: float = 60) -> None:
    for _ in range(int(timeout / 0.1)):
        assert process.poll() is None, process.stderr.read() if process.stderr else "exited"
        try:
            if (await api.get("/api/health")).status == 200:
                return
        except OSError:
            pass
        await asyncio.sleep(0.1)
    raise AssertionError("server did not become healthy")


def children_of(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split()[2] != "Z"


async def test_bad_setting_stops_startup_naming_the_variable(tmp_path: Path) -> None:
    result = await run_cli(env=clean_env(SYNCODE_PORT="not-a-port", SYNCODE_DATA_DIR=str(tmp_path)))
    assert result.returncode == 2
    assert "SYNCODE_PORT" in result.stderr
    result = await run_cli(env=clean_env(SYNCODE_SANDBOX="vm", SYNCODE_DATA_DIR=str(tmp_path)))
    assert result.returncode == 2 and "SYNCODE_SANDBOX" in result.stderr


async def test_embedded_server_lifecycle(tmp_path: Path) -> None:
    port = free_port()
    env = clean_env(SYNCODE_BCRYPT_ROUNDS="4")
    cmd = [sys.executable, "run.py", "--port", str(port), "--data-dir", str(tmp_path)]
    process = subprocess.Popen(cmd, cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True)
    api = Api(f"http://127.0.0.1:{port}")
    try:
        await wait_healthy(api, process)
        secrets = json.loads((tmp_path / "secrets.json").read_text())
        assert set(secrets) == {"jwt_secret", "collab_jwt_secret", "internal_secret"}
        user = await api.register("embedded_admin")
        # promote-admin reaches the running embedded database.
        # The options are accepted after the subcommand as well as before it.
        result = await run_cli("promote-admin", "embedded_admin@example.com", "--data-dir", str(tmp_path), env=env)
        assert result.returncode == 0, result.stderr
        assert "now an admin" in result.stdout
        result = await run_cli("--data-dir", str(tmp_path), "promote-admin", "ghost@example.com", env=env)
        assert result.returncode == 1 and "no account" in result.stderr
        me = await api.get("/api/users/me", token=user["accessToken"])
        assert me.json["role"] == "admin"
        database_pids = children_of(process.pid)
        assert database_pids, "the embedded database runs as a child process"
    finally:
        process.send_signal(signal.SIGTERM)
        await asyncio.to_thread(process.wait, 60)
    assert process.returncode == 0
    log = process.stderr.read()
    assert "listening on" in log and "embedded SecantusDB" in log
    assert not any(alive(pid) for pid in database_pids), "no orphan database process"

    # A restart keeps the data and the secrets: the old access token is still valid.
    process = subprocess.Popen(cmd, cwd=ROOT, env=env, stderr=subprocess.DEVNULL)
    try:
        await wait_healthy(api, process)
        me = await api.get("/api/users/me", token=user["accessToken"])
        assert me.status == 200 and me.json["username"] == "embedded_admin"
    finally:
        process.send_signal(signal.SIGINT)
        await asyncio.to_thread(process.wait, 60)
