"""Docker backend: each sandbox is a warm container of the locally built runner image (see judge/images.py).

Containers have no network, a read-only root, size-limited tmpfs /work and /tmp, memory = swap limit, a pids
limit, one CPU, no capabilities, no-new-privileges and run as `nobody` with an empty environment; the build cache's
entries are mounted read-only at /opt/build-cache (the daemon resolves the mount as root). PID 1 is a
tiny reaper. A session is the supervisor exec'd in the container, fed over the exec's attached socket; after
a job the supervisor kills every leftover process and empties the writable directories, then serves the next
job: a warm run costs no container start and no exec.
"""

from __future__ import annotations

import logging
import socket
import struct
import time
import uuid
from pathlib import Path

import docker
import docker.errors
import requests.exceptions

from judge import images
from judge.build_cache import MOUNT as BUILDS_MOUNT
from judge.languages import SANDBOX_PATH
from judge.sandbox import SUPERVISOR, Backend, SandboxError, Session

log = logging.getLogger(__name__)

USER = "65534:65534"
CONTAINER_LABEL = "org.syncode.judge"
# PID 1: a tiny reaper (the supervisor is exec'd beside it and reaps the program's processes itself).
REAPER = (
    "import os, signal, time\n"
    "signal.signal(signal.SIGTERM, lambda *_: os._exit(0))\n"
    "while True:\n"
    "    try:\n"
    "        os.wait()\n"
    "    except ChildProcessError:\n"
    "        time.sleep(1)\n"
)
# Everything a job can write to (the root is read-only); emptied between jobs.
SCRATCH = ["/work", "/tmp", "/dev/shm", "/dev/mqueue"]
# Memory for the compilers and the tmpfs on top of the largest run limit.
CONTAINER_EXTRA_MB = 768
FRAME_HEADER = struct.Struct(">BxxxL")
STDOUT = 1


class DockerSession(Session):
    def __init__(self, backend: DockerBackend, container) -> None:
        super().__init__()
        self.backend = backend
        self.container = container
        api = backend.client.api
        self.exec_id = api.exec_create(
            container.id,
            list(SUPERVISOR),
            stdin=True,
            user=USER,
            workdir="/work",
            environment={"PATH": SANDBOX_PATH},
        )["Id"]
        raw = api.exec_start(self.exec_id, socket=True)
        self.sock: socket.socket = getattr(raw, "_sock", raw)
        # bytearrays: a reply or a build can be megabytes, received in many frames (appended in place, consumed
        # from the front without copying the rest)
        self._frames = bytearray()
        self._stdout = bytearray()

    def _write(self, data: bytes) -> None:
        self.sock.sendall(data)

    def _read_line(self, timeout: float) -> bytes | None:
        self.sock.settimeout(timeout)
        scanned = 0
        try:
            while (end := self._stdout.find(b"\n", scanned)) < 0:
                scanned = len(self._stdout)
                if not self._read_frame():
                    return None
        except TimeoutError:
            return None
        line = bytes(self._stdout[:end])
        del self._stdout[: end + 1]
        return line

    def _read_exactly(self, size: int, timeout: float) -> bytes | None:
        self.sock.settimeout(timeout)
        try:
            while len(self._stdout) < size:
                if not self._read_frame():
                    return None
        except TimeoutError:
            return None
        data = bytes(self._stdout[:size])
        del self._stdout[:size]
        return data

    def _read_frame(self) -> bool:
        """Read one multiplexed frame of the exec stream; stdout goes to the line buffer."""
        header = self._recv_exactly(FRAME_HEADER.size)
        if header is None:
            return False
        stream, size = FRAME_HEADER.unpack(header)
        payload = self._recv_exactly(size)
        if payload is None:
            return False
        if stream == STDOUT:
            self._stdout += payload
        return True

    def _recv_exactly(self, size: int) -> bytes | None:
        while len(self._frames) < size:
            chunk = self.sock.recv(1 << 20)
            if not chunk:
                return None
            self._frames += chunk
        data = bytes(self._frames[:size])
        del self._frames[:size]
        return data

    def _supervisor_was_killed(self) -> bool:
        """The exec's exit code once Docker has recorded it (up to 2 s after its stream ended, as the process
        backend waits for bwrap): read at once, a supervisor the kernel just killed (say, out of memory under a
        fork bomb) still showed as running and was taken for a sandbox failure."""
        try:
            for _ in range(20):
                state = self.backend.client.api.exec_inspect(self.exec_id)
                if not state.get("Running"):
                    break
                time.sleep(0.1)
            self.container.reload()
        except docker.errors.APIError:
            return False
        return self.container.status == "running" and (state.get("ExitCode") or 0) > 128

    def recycle(self) -> DockerSession | None:
        """The same supervisor serves the next job once it has wiped the container (no new exec)."""
        if not self.used or self.reset(SCRATCH):
            return self
        log.warning("wiping container %s failed; replacing it", self.container.short_id)
        return None

    def destroy(self) -> None:
        self.sock.close()
        try:
            self.container.remove(force=True)
        except docker.errors.APIError as exc:
            log.warning("could not remove container %s: %s", self.container.short_id, exc)


class DockerBackend(Backend):
    name = "docker"
    # RLIMIT_NPROC counts every process of the uid on the host (no user namespace), so the per-container
    # pids cgroup limit is the real fence here.
    nproc = 4096
    pids_limit = 256

    def __init__(
        self, pool_size: int, image: str, disk_mb: int, max_memory_mb: int, builds: Path | None = None
    ) -> None:
        super().__init__(pool_size)
        self.image = image
        self.volumes = {str(builds): {"bind": BUILDS_MOUNT, "mode": "ro"}} if builds is not None else {}
        self._image_id: str | None = None
        self.disk_mb = disk_mb
        self.memory = f"{max_memory_mb + CONTAINER_EXTRA_MB}m"
        self._client: docker.DockerClient | None = None
        self.instance = uuid.uuid4().hex  # labels this backend's containers, to remove them all on close

    @property
    def client(self) -> docker.DockerClient:
        if self._client is None:
            self._client = docker.from_env(timeout=60)
        return self._client

    def unavailable_reason(self) -> str | None:
        if reason := self.live_reason():
            return reason
        if not images.is_current(self.client, self.image):
            return f"runner image {self.image} is missing or out of date: run `python -m judge.images build`"
        return None

    def live_reason(self) -> str | None:
        try:
            self.client.ping()
        except (docker.errors.DockerException, requests.exceptions.RequestException) as exc:
            return f"no Docker engine is reachable ({exc.__class__.__name__})"
        return None

    def language_unavailable_reason(self, language: str) -> str | None:
        return None  # the runner image holds every toolchain

    def toolchain(self, language: str) -> str:
        """The runner image holds every toolchain: its id identifies them all."""
        if self._image_id is None:
            self._image_id = self.client.images.get(self.image).id
        return self._image_id

    def spawn(self) -> DockerSession:
        tmpfs = f"rw,exec,nosuid,nodev,size={self.disk_mb}m,uid=65534,gid=65534,mode=0700"
        try:
            container = self.client.containers.run(
                self.image,
                ["python3", "-I", "-S", "-c", REAPER],
                detach=True,
                user=USER,
                network_mode="none",
                read_only=True,
                tmpfs={"/work": tmpfs, "/tmp": tmpfs},
                mem_limit=self.memory,
                memswap_limit=self.memory,
                pids_limit=self.pids_limit,
                nano_cpus=1_000_000_000,
                cap_drop=["ALL"],
                security_opt=["no-new-privileges"],
                environment={},
                labels={CONTAINER_LABEL: self.instance},
                volumes=self.volumes,
                working_dir="/work",
                hostname="sandbox",
                shm_size="16m",
            )
        except docker.errors.DockerException as exc:
            raise SandboxError(f"cannot start a container: {exc}") from exc
        return DockerSession(self, container)

    def close(self) -> None:
        super().close()
        if self._client is None:
            return
        leftovers = self.client.containers.list(all=True, filters={"label": f"{CONTAINER_LABEL}={self.instance}"})
        for container in leftovers:
            container.remove(force=True)
        self._client.close()
