"""Process backend: each sandbox is a bubblewrap (`bwrap`) process tree on this host.

New user/pid/net/ipc/uts/cgroup namespaces, no nested user namespaces, read-only binds of the host's
/usr (the toolchains) and the few /etc files they need, size-limited tmpfs for /work and /tmp, and no
capabilities. Run as root, the sandbox is first dropped to `nobody` (see `privilege_drop`). The rlimits of
each step are set by the supervisor inside. Killing bwrap (its pid-namespace init) kills every process of the sandbox.
"""

from __future__ import annotations

import os
import selectors
import shutil
import signal
import subprocess
from pathlib import Path
from typing import Any

from judge.languages import INSIDE_MOUNT, RECIPES, SANDBOX_PATH
from judge.sandbox import SUPERVISOR, Backend, SandboxError, Session, SupervisorKilled
from judge.tools import TOOLS_MOUNT, tool_paths

INSIDE_DIR = Path(__file__).parent / "inside"
NOBODY = 65534
TOP_LEVEL_LINKS = ("bin", "lib", "lib64", "sbin")
# /etc entries the toolchains read; nothing else of /etc (no passwd, no shadow) is visible.
ETC_BINDS = ("alternatives", "ld.so.cache", "java-17-openjdk", "localtime")
# Where inside/transpile_ts.js looks for the typescript module (Debian's node-typescript, or npm -g).
TYPESCRIPT_MODULES = ("/usr/share/nodejs/typescript", "/usr/lib/node_modules/typescript")


def host_tool(name: str) -> str | None:
    return shutil.which(name, path=SANDBOX_PATH)


def privilege_drop() -> tuple[list[str], dict[str, Any]]:
    """How a server run as root starts its sandboxes as `nobody` with no supplementary groups: an argv prefix
    (setpriv, part of util-linux) or else Popen's own switch. setpriv comes first because with Popen's switch
    CPython cannot use vfork: it fork()s the whole server with the GIL held, which stalls the server's event
    loop for several milliseconds at every sandbox start."""
    if os.geteuid() != 0:
        return [], {}
    setpriv = shutil.which("setpriv")
    if setpriv:
        return [setpriv, f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", "--"], {}
    return [], {"user": NOBODY, "group": NOBODY, "extra_groups": []}


def bwrap_options(disk_mb: int) -> list[str]:
    argv = [
        "--unshare-all",
        "--unshare-user",
        "--disable-userns",
        "--die-with-parent",
        "--new-session",
        "--cap-drop",
        "ALL",
    ]
    argv += ["--hostname", "sandbox", "--ro-bind", "/usr", "/usr"]
    for name in TOP_LEVEL_LINKS:
        path = Path("/") / name
        if path.is_symlink():
            argv += ["--symlink", os.readlink(path), str(path)]
        elif path.exists():
            argv += ["--ro-bind", str(path), str(path)]
    for name in ETC_BINDS:
        argv += ["--ro-bind-try", f"/etc/{name}", f"/etc/{name}"]
    size = str(disk_mb * 1024 * 1024)
    argv += ["--proc", "/proc", "--dev", "/dev", "--size", size, "--tmpfs", "/work", "--size", size, "--tmpfs", "/tmp"]
    argv += ["--ro-bind", str(INSIDE_DIR), INSIDE_MOUNT]
    for relative, source in tool_paths().items():
        argv += ["--ro-bind", str(source), f"{TOOLS_MOUNT}/{relative}"]
    # The root and /dev are tmpfs that bwrap builds: make them read-only once everything is mounted.
    argv += [
        "--remount-ro",
        "/dev",
        "--remount-ro",
        "/",
        "--chdir",
        "/work",
        "--clearenv",
        "--setenv",
        "PATH",
        SANDBOX_PATH,
    ]
    return argv


class ProcessSession(Session):
    def __init__(self, prefix: list[str], options: bytes, **popen: Any) -> None:
        """bwrap is the sandbox's PID 1, and /proc/1 is readable from inside: it gets an empty environment (the
        server's holds its secrets), `/` as working directory, and its options through a pipe (`--args`), so
        its command line shows no path of the server's."""
        super().__init__()
        read_end, write_end = os.pipe()
        try:
            os.write(write_end, options)  # a few kB: the pipe's buffer takes it whole
            os.close(write_end)
            self.process = subprocess.Popen(
                [*prefix, "--args", str(read_end), "--", *SUPERVISOR],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
                env={},
                cwd="/",
                pass_fds=(read_end,),
                **popen,
            )
        finally:
            os.close(read_end)
        self._buffer = bytearray()
        self._selector = selectors.DefaultSelector()
        self._selector.register(self.process.stdout, selectors.EVENT_READ)

    def _write(self, data: bytes) -> None:
        self.process.stdin.write(data)
        self.process.stdin.flush()

    def _read_line(self, timeout: float) -> bytes | None:
        fd = self.process.stdout.fileno()
        scanned = 0  # a reply can be megabytes long: each chunk is searched once, and appended in place
        while (end := self._buffer.find(b"\n", scanned)) < 0:
            scanned = len(self._buffer)
            if not self._selector.select(timeout):
                return None
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                return None
            self._buffer += chunk
        line = bytes(self._buffer[:end])
        del self._buffer[: end + 1]
        return line

    def _supervisor_was_killed(self) -> bool:
        try:
            status = self.process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            return False
        return status > 128  # bwrap exits with 128 + the signal that killed the supervisor

    def recycle(self) -> None:
        return None  # a bwrap sandbox is cheap: always start a fresh one

    def destroy(self) -> None:
        self._selector.close()
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            try:
                stream.close()
            except BrokenPipeError:
                pass  # unsent input of a dead sandbox


class ProcessBackend(Backend):
    name = "process"
    nproc = 128

    def __init__(self, pool_size: int, disk_mb: int) -> None:
        super().__init__(pool_size)
        drop, self.popen = privilege_drop()
        self.prefix = [*drop, shutil.which("bwrap") or "bwrap"]
        self.options = b"".join(option.encode() + b"\0" for option in bwrap_options(disk_mb))

    def unavailable_reason(self) -> str | None:
        return self.live_reason() or self._probe()

    def live_reason(self) -> str | None:
        if shutil.which("bwrap") is None:
            return "bubblewrap (bwrap) is not installed"
        if host_tool("python3") is None:
            return "python3 is not installed in /usr/bin (the sandbox supervisor needs it)"
        return None

    def _probe(self) -> str | None:
        """Start one sandbox for real: bwrap needs unprivileged user namespaces, which a host may forbid."""
        session = self.spawn()
        try:
            session.start({})
        except (SandboxError, SupervisorKilled) as exc:
            return f"a bubblewrap sandbox does not start here ({exc}); are user namespaces enabled?"
        finally:
            session.destroy()
        return None

    def language_unavailable_reason(self, language: str) -> str | None:
        missing = [tool for tool in RECIPES[language].host_tools if host_tool(tool) is None]
        if language == "typescript" and not any(Path(path).is_dir() for path in TYPESCRIPT_MODULES):
            missing.append("the typescript module (node-typescript)")
        if missing:
            return f"{language} is not available on this server: {', '.join(missing)} not installed"
        return None

    def spawn(self) -> ProcessSession:
        return ProcessSession(self.prefix, self.options, **self.popen)
