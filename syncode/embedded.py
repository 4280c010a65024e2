"""The embedded default database: SecantusDB (`secantusd-py`) as a child process on a free loopback port.

It is a separate process (GPL-2.0; we only speak the MongoDB wire protocol to it). Its port is written to
<data_dir>/db/PORT while it runs, so a second command (promote-admin) can reach the running instance.
"""

from __future__ import annotations

import asyncio
import ctypes
import logging
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

log = logging.getLogger("syncode.embedded")


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def die_with_parent() -> None:
    """For a child process of the server (the database, the collab log writer): if the server is killed without
    a chance to clean up, the kernel stops the child too, so none is orphaned."""
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def executable() -> str:
    found = shutil.which("secantusd-py") or str(Path(sys.executable).parent / "secantusd-py")
    if not Path(found).exists():
        raise RuntimeError("secantusd-py not found: install requirements.txt (package SecantusDB)")
    return found


def uri_for(port: int) -> str:
    """Without retryable writes: a single node has no failover to retry through, and each retryable write costs
    SecantusDB a transaction record (a third of its CPU per small insert).

    One connection per client: SecantusDB serves each connection on its own thread, and its work is Python, so
    concurrent connections only contend for its GIL. Measured with eight concurrent submissions' writes: one
    connection costs it 3.7 ms of CPU per submission and finishes each burst soonest; eight cost 7.8 to 11 ms. A
    slow query makes the others wait their turn, as they would for that GIL anyway."""
    return f"mongodb://127.0.0.1:{port}/?directConnection=true&retryWrites=false&maxPoolSize=1"


async def wait_for_port(port: int, timeout: float, process: subprocess.Popen | None = None) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"embedded database exited with code {process.returncode}")
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        except OSError:
            if loop.time() > deadline:
                raise RuntimeError(f"embedded database did not listen on port {port} within {timeout}s") from None
            await asyncio.sleep(0.05)


class EmbeddedDatabase:
    def __init__(self, storage: Path) -> None:
        self.storage = storage
        self.log_file = storage.parent / "secantusd.log"
        self.process: subprocess.Popen | None = None
        self.port = 0

    @property
    def port_file(self) -> Path:
        return self.storage / "PORT"

    async def start(self, timeout: float = 60, port: int = 0) -> str:
        """Start on `port` (a free one when 0); returns the URI."""
        self.storage.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        cmd = [
            executable(),
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--storage-path",
            str(self.storage),
            "--log-level",
            "WARNING",
            # No replica-set advertisement, hence no oplog: SynCode uses neither change streams nor transactions,
            # and the oplog cost every write an extra encode and table write (a third of its database CPU).
            "--standalone",
        ]
        with open(self.log_file, "ab") as out:
            self.process = subprocess.Popen(
                cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, preexec_fn=die_with_parent
            )
        await wait_for_port(self.port, timeout, self.process)
        self.port_file.write_text(str(self.port))
        return uri_for(self.port)

    async def stop(self) -> None:
        self.port_file.unlink(missing_ok=True)
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            await asyncio.to_thread(self.process.wait, 20)
        except subprocess.TimeoutExpired:
            log.warning("embedded database did not stop in time; killing it")
            self.process.kill()
            await asyncio.to_thread(self.process.wait)


async def running_instance(storage: Path) -> str | None:
    """The URI of an embedded database already serving this data dir, if any."""
    port_file = storage / "PORT"
    if not port_file.exists():
        return None
    try:
        port = int(port_file.read_text())
        await wait_for_port(port, 1)
    except (ValueError, RuntimeError):
        return None
    return uri_for(port)
