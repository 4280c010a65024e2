"""Process backend: each sandbox is a bubblewrap (`bwrap`) process tree on this host.

New user/pid/net/ipc/uts/cgroup namespaces, no nested user namespaces, read-only binds of the host's
/usr (the toolchains) and the few /etc files they need, size-limited tmpfs for /work and /tmp, and no
capabilities. Run as root, the sandbox is first dropped to `nobody` (see `privilege_drop`). The rlimits of
each step are set by the supervisor inside. Killing bwrap (its pid-namespace init) kills every process of the sandbox.

bwrap resolves its mount sources after that drop, as `nobody`: what the sandbox mounts from a checkout or a
virtualenv that `nobody` cannot reach (a clone in /root, mode 0700) is first linked or copied to a directory it
can (see `reachable_sources`). When bwrap fails to start, its own message is the error.
"""

from __future__ import annotations

import hashlib
import logging
import os
import selectors
import shutil
import signal
import stat
import subprocess
import tempfile
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any

from judge.build_cache import MOUNT as BUILDS_MOUNT
from judge.build_cache import scratch_dir
from judge.languages import INSIDE_MOUNT, RECIPES, SANDBOX_PATH
from judge.sandbox import SUPERVISOR, Backend, SandboxError, Session, SupervisorKilled
from judge.tools import TOOLS_MOUNT, tool_paths

log = logging.getLogger(__name__)

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


def host_sources() -> dict[str, Path]:
    """What a sandbox mounts from this installation: its path inside -> the path on this host."""
    sources = {INSIDE_MOUNT: INSIDE_DIR}
    sources.update({f"{TOOLS_MOUNT}/{relative}": source for relative, source in tool_paths().items()})
    return sources


def reachable_by(path: Path, uid: int) -> bool:
    """Whether `uid` (without groups) can search every directory down to `path` and read it."""

    def allows(status: os.stat_result, bits: int) -> bool:
        return (status.st_mode >> (6 if status.st_uid == uid else 0)) & bits == bits

    real = Path(os.path.realpath(path))
    try:
        if not all(allows(directory.stat(), stat.S_IXOTH) for directory in real.parents):
            return False
        status = real.stat()
    except OSError:
        return False
    return allows(status, stat.S_IROTH | (stat.S_IXOTH if stat.S_ISDIR(status.st_mode) else 0))


def link_or_copy(source: str, destination: str) -> None:
    """A hard link when `nobody` may read the file (cheap), else a copy it may read (a link shares the mode)."""
    if os.stat(source).st_mode & stat.S_IROTH:
        try:
            os.link(source, destination)
            return
        except OSError:  # another file system, or links refused
            pass
    shutil.copy2(source, destination)
    os.chmod(destination, os.stat(destination).st_mode | 0o444)


def reachable_sources(sources: dict[str, Path], staging: Callable[[], Path]) -> dict[str, Path]:
    """The same sources, those `nobody` cannot reach replaced by links or copies in `staging()` (a directory it
    can reach)."""
    reachable = {}
    for inside, source in sources.items():
        if reachable_by(source, NOBODY):
            reachable[inside] = source
            continue
        target = staging() / inside.lstrip("/")
        target.parent.mkdir(mode=0o755, parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target, copy_function=link_or_copy, ignore=shutil.ignore_patterns("__pycache__"))
            for directory, _, _ in os.walk(target):
                os.chmod(directory, 0o755)
        else:
            link_or_copy(str(source), str(target))
        reachable[inside] = target
    return reachable


def bwrap_options(disk_mb: int, sources: dict[str, Path]) -> list[str]:
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
    for inside, source in sources.items():
        argv += ["--ro-bind", str(source), inside]
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
            # stderr: bwrap's own errors (and a crashing supervisor's traceback), read only once it has ended (at
            # most 4 kB, for the error message). A program's streams are the supervisor's pipes: were it to reach
            # this one, it could only block itself on a full pipe or word a failure's message.
            self.process = subprocess.Popen(
                [*prefix, "--args", str(read_end), "--", *SUPERVISOR],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
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
        scanned = 0  # a reply can be megabytes long: each chunk is searched once, and appended in place
        while (end := self._buffer.find(b"\n", scanned)) < 0:
            scanned = len(self._buffer)
            if not self._fill(timeout):
                return None
        line = bytes(self._buffer[:end])
        del self._buffer[: end + 1]
        return line

    def _read_exactly(self, size: int, timeout: float) -> bytes | None:
        while len(self._buffer) < size:
            if not self._fill(timeout):
                return None
        data = bytes(self._buffer[:size])
        del self._buffer[:size]
        return data

    def _fill(self, timeout: float) -> bool:
        """Append what the supervisor wrote next to the buffer; False at end of stream or on timeout."""
        if not self._selector.select(timeout):
            return False
        chunk = os.read(self.process.stdout.fileno(), 1 << 20)
        self._buffer += chunk
        return bool(chunk)

    def _supervisor_was_killed(self) -> bool:
        try:
            status = self.process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            return False
        return status > 128  # bwrap exits with 128 + the signal that killed the supervisor

    def _exit_message(self) -> str | None:
        if self.process.poll() is None:
            return None
        os.set_blocking(self.process.stderr.fileno(), False)
        try:
            message = self.process.stderr.read(4096) or b""
        except OSError:
            return None
        return message.decode("utf-8", "replace").strip() or None

    def recycle(self) -> None:
        return None  # a bwrap sandbox is cheap: always start a fresh one

    def destroy(self) -> None:
        self._selector.close()
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout, self.process.stderr):
            try:
                stream.close()
            except BrokenPipeError:
                pass  # unsent input of a dead sandbox


class ProcessBackend(Backend):
    name = "process"
    nproc = 128

    def __init__(self, pool_size: int, disk_mb: int, builds: Path | None = None) -> None:
        """`builds`: the build cache's entries, mounted read-only at /opt/build-cache."""
        super().__init__(pool_size)
        drop, self.popen = privilege_drop()
        self.prefix = [*drop, shutil.which("bwrap") or "bwrap"]
        self._staging: Path | None = None
        sources = host_sources()
        if drop or self.popen:  # the sandbox runs as nobody, not as us
            sources = reachable_sources(sources, self._staging_dir)
        if builds is not None:  # reachable by design, and not listable (see judge/build_cache.py)
            sources[BUILDS_MOUNT] = builds
        self.options = b"".join(option.encode() + b"\0" for option in bwrap_options(disk_mb, sources))

    def _staging_dir(self) -> Path:
        """A directory `nobody` can reach, for what it could not; removed with this backend."""
        if self._staging is None:
            self._staging = scratch_dir("syncode-sandbox-")
            self._staging.chmod(0o711)
            log.info("the sandbox user cannot reach this installation: its files are linked into %s", self._staging)
            weakref.finalize(self, shutil.rmtree, self._staging, ignore_errors=True)
        return self._staging

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
            if "bwrap:" in str(exc):  # bwrap said why
                return f"a bubblewrap sandbox does not start here ({exc})"
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

    def toolchain(self, language: str) -> str:
        """The compiler's version, where it is and when it was installed, and the in-sandbox helpers (the
        TypeScript transpiler is one)."""
        recipe = RECIPES[language]
        digest = hashlib.sha256()
        for path in sorted(INSIDE_DIR.glob("*.*")):
            digest.update(path.name.encode() + path.read_bytes())
        for tool in recipe.host_tools:
            found = os.path.realpath(host_tool(tool) or tool)
            status = os.stat(found)
            digest.update(f"{found} {status.st_size} {status.st_mtime_ns}".encode())
        if recipe.version:
            env = {"PATH": SANDBOX_PATH, "HOME": tempfile.gettempdir(), "LANG": "C.UTF-8"}
            printed = subprocess.run(recipe.version, capture_output=True, env=env, timeout=60, check=False)
            digest.update(printed.stdout + printed.stderr)
        if language == "typescript":
            for module in TYPESCRIPT_MODULES:
                package = Path(module) / "package.json"
                digest.update(package.read_bytes() if package.is_file() else b"")
        return digest.hexdigest()

    def spawn(self) -> ProcessSession:
        return ProcessSession(self.prefix, self.options, **self.popen)
