"""What both backends share: the step format, the supervisor channel, and the warm pool of sandboxes.

A sandbox session is one sandbox (a bubblewrap process tree or a container) with the supervisor
(`inside/supervise.py`) running in it, waiting for its files. Sessions are blocking objects used from
worker threads; the async `Judge` never touches them on the event loop.
"""

from __future__ import annotations

import json
import logging
import queue
import secrets
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from judge.languages import RECIPES

log = logging.getLogger(__name__)

SUPERVISOR = ("python3", "-I", "-S", "/opt/judge/supervise.py")
# How long past a step's own wall limit the host waits for the supervisor's reply before giving up.
REPLY_GRACE_S = 10.0


class SandboxError(Exception):
    """The sandbox itself failed (never the user's fault): becomes `internal_error`."""


class SupervisorKilled(Exception):
    """The program under test killed its supervisor (it runs as the same user): the user's fault."""


@dataclass(frozen=True)
class Step:
    """One command to run in the sandbox, with its limits (see the protocol in inside/supervise.py)."""

    argv: list[str]
    env: dict[str, str]
    cpu_ms: int
    wall_ms: int
    rss_kb: int | None  # the supervisor kills the program when its resident memory goes over this
    as_kb: int | None
    stack_kb: int
    output_limit: int
    fsize_kb: int
    nproc: int
    stdin: str = ""
    nofile: int = 64

    def as_json(self) -> dict:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


@dataclass(frozen=True)
class Outcome:
    """The supervisor's measurements of one step."""

    exit_code: int | None
    signal: int | None
    cpu_ms: int
    wall_ms: int
    max_rss_kb: int
    stdout: str
    stderr: str
    stdout_truncated: bool
    stderr_truncated: bool
    killed: str | None  # "wall", "cpu" or "output" when the supervisor killed the program

    @classmethod
    def from_reply(cls, reply: dict) -> Outcome:
        if reply.get("error"):
            raise SandboxError(f"supervisor: {reply['error']}")
        return cls(**{name: reply[name] for name in cls.__dataclass_fields__})


class Session(ABC):
    """One live sandbox with a supervisor waiting for `{"nonce", "files"}` on its stdin."""

    def __init__(self) -> None:
        self.nonce = secrets.token_hex(16)
        self.used = False

    def start(self, files: dict[str, str], copies: dict[str, str] | None = None) -> bool:
        """Write the job's files and copy read-only ones (a cached build) into the work dir; False when those
        could not be copied (none were)."""
        self.used = True
        self._send({"nonce": self.nonce, "files": files, "copies": copies or {}})
        reply = self._receive(REPLY_GRACE_S)
        if not reply.get("ready"):
            raise SandboxError("supervisor did not get ready")
        return reply.get("copied", True)

    def collect(self, exclude: list[str], max_bytes: int) -> dict[str, tuple[bytes, bool]] | None:
        """The files a compiler left in the work dir, name -> (content, executable), or None when they are over
        max_bytes."""
        self._send({"collect": {"exclude": exclude, "max_bytes": max_bytes}})
        listing = self._receive(REPLY_GRACE_S).get("files")
        if listing is None:
            return None
        files = {}
        for entry in listing:  # the contents follow the reply, raw
            data = self._read_exactly(entry["size"], REPLY_GRACE_S)
            if data is None:
                raise self._failure("the supervisor stopped sending a build")
            files[entry["name"]] = (data, entry["executable"])
        return files

    def reset(self, directories: list[str]) -> bool:
        """Kill what the last job left running and empty its scratch directories, to serve another job."""
        self._send({"reset": directories})
        if not self._receive(REPLY_GRACE_S).get("wiped"):
            return False
        self.nonce, self.used = secrets.token_hex(16), False
        return True

    def execute(self, step: Step) -> Outcome:
        request = step.as_json()
        stdin = request.pop("stdin").encode()
        self._send({**request, "stdin_bytes": len(stdin)}, stdin)
        return Outcome.from_reply(self._receive(step.wall_ms / 1000 + REPLY_GRACE_S))

    def _send(self, document: dict, payload: bytes = b"") -> None:
        try:
            self._write((json.dumps(document) + "\n").encode() + payload)
        except OSError as exc:
            raise self._failure(f"cannot write to the supervisor: {exc}") from exc

    def _receive(self, timeout: float) -> dict:
        prefix = self.nonce + " "
        while True:
            line = self._read_line(timeout)
            if line is None:
                raise self._failure("the supervisor stopped answering")
            text = line.decode("utf-8", "replace")
            if text.startswith(prefix):
                return json.loads(text[len(prefix) :])
            log.warning("ignoring a line from the sandbox without the nonce: %.200s", text)

    def _failure(self, message: str) -> Exception:
        """Tell a supervisor killed by the program (its fault) from a sandbox failure (ours)."""
        if self._supervisor_was_killed():
            return SupervisorKilled("the program killed the sandbox supervisor")
        detail = self._exit_message()
        return SandboxError(f"{message}: {detail}" if detail else message)

    def _exit_message(self) -> str | None:
        """What the sandbox itself said when it ended (say, bwrap's error), if anything."""
        return None

    @abstractmethod
    def _write(self, data: bytes) -> None: ...

    @abstractmethod
    def _read_line(self, timeout: float) -> bytes | None:
        """The next line of the supervisor's stdout, None at end of stream or on timeout."""

    @abstractmethod
    def _read_exactly(self, size: int, timeout: float) -> bytes | None:
        """The next `size` bytes of the supervisor's stdout, None at end of stream or on timeout."""

    @abstractmethod
    def _supervisor_was_killed(self) -> bool: ...

    @abstractmethod
    def recycle(self) -> Session | None:
        """A fresh session in the same sandbox after wiping it, or None when it cannot be reused."""

    @abstractmethod
    def destroy(self) -> None: ...


class WarmPool:
    """Keeps `size` sessions started ahead of time so a run does not pay the sandbox start-up."""

    def __init__(self, spawn: Callable[[], Session], size: int) -> None:
        self._spawn = spawn
        self._size = size
        self._ready: queue.SimpleQueue[Session] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._pending = 0  # being spawned or wiped
        self._in_use = 0
        self._closed = False
        self._worker = ThreadPoolExecutor(max_workers=max(2, size), thread_name_prefix="judge-pool")

    def fill(self) -> None:
        self._top_up()

    @property
    def ready(self) -> int:
        """Sessions started and waiting for a job."""
        return self._ready.qsize()

    def acquire(self) -> Session:
        """A ready session, or one spawned now when the pool is empty. Blocking."""
        with self._lock:  # taken and counted together, so a concurrent top-up sees a consistent pool
            try:
                session = self._ready.get_nowait()
            except queue.Empty:
                session = None
            self._in_use += 1
        self._top_up()
        if session is not None:
            return session
        try:
            return self._spawn()
        except BaseException:
            with self._lock:
                self._in_use -= 1
            raise

    def release(self, session: Session) -> None:
        """Give a used session back: it is wiped and reused, or replaced, in the background."""
        with self._lock:
            self._in_use -= 1
            closed = self._closed
            if not closed:
                self._pending += 1  # on its way back: the pool does not start a replacement meanwhile
        if closed:
            session.destroy()
        else:
            self._worker.submit(self._recycle, session)

    def discard(self, session: Session) -> None:
        """A session that failed: destroyed, never reused; the pool starts a replacement."""
        with self._lock:
            self._in_use -= 1
        session.destroy()
        self._top_up()

    def close(self) -> None:
        with self._lock:
            self._closed = True
        self._worker.shutdown(wait=True)  # let running wipes finish: they see `closed` and destroy
        while not self._ready.empty():
            self._ready.get_nowait().destroy()

    def _recycle(self, session: Session) -> None:
        try:
            fresh = session.recycle()
        except (SandboxError, SupervisorKilled) as exc:
            log.info("sandbox not reusable, replacing it: %s", exc)
            fresh = None
        except Exception:
            log.exception("could not wipe a sandbox")
            fresh = None
        with self._lock:
            self._pending -= 1
        if fresh is None:
            session.destroy()
            self._top_up()
        else:
            self._offer(fresh)

    def _top_up(self) -> None:
        with self._lock:
            # Sessions in use come back after their job, so they count towards the pool's size.
            missing = 0 if self._closed else self._size - self._ready.qsize() - self._pending - self._in_use
            self._pending += max(0, missing)
        for _ in range(missing):
            self._worker.submit(self._spawn_one)

    def _spawn_one(self) -> None:
        try:
            session = self._spawn()
        except Exception:
            log.exception("could not start a sandbox")
            session = None
        with self._lock:
            self._pending -= 1
        if session is not None:
            self._offer(session)

    def _offer(self, session: Session) -> None:
        with self._lock:
            keep = not self._closed and self._ready.qsize() < self._size
            if keep:
                self._ready.put(session)
        if not keep:
            session.destroy()


class Backend(ABC):
    """A kind of sandbox. Blocking methods; the async `Judge` calls them from worker threads."""

    name: str
    # RLIMIT_NPROC of each step (threads count too: a JVM starts about 20).
    nproc: int

    def __init__(self, pool_size: int) -> None:
        self.pool = WarmPool(self.spawn, pool_size)
        self.languages: dict[str, str | None] = {}  # language -> why it cannot run here (None: it can)
        # language -> identity of its compiler here, part of a build's cache key (compiled languages that run)
        self.toolchains: dict[str, str] = {}

    @abstractmethod
    def unavailable_reason(self) -> str | None:
        """Why this backend cannot run anything here, or None when it can (thorough: run once, at start)."""

    def live_reason(self) -> str | None:
        """A cheap check that the backend still works, for health probes (which anyone may call)."""
        return self.unavailable_reason()

    @abstractmethod
    def language_unavailable_reason(self, language: str) -> str | None:
        """Why this language cannot run on this backend, or None when it can."""

    @abstractmethod
    def toolchain(self, language: str) -> str:
        """What identifies the compiler of a language here: a different one builds different programs."""

    @abstractmethod
    def spawn(self) -> Session:
        """Start a new sandbox with a supervisor waiting for its files."""

    def start(self) -> None:
        # Toolchains do not come and go while the server runs: looked up once, off the event loop.
        self.languages = {language: self.language_unavailable_reason(language) for language in RECIPES}
        compiled = [language for language, recipe in RECIPES.items() if recipe.compile and not self.languages[language]]
        self.toolchains = {language: self.toolchain(language) for language in compiled}
        self.pool.fill()

    def close(self) -> None:
        self.pool.close()

    def health(self) -> dict:
        reason = self.live_reason()
        return {"backend": self.name, "status": "ok" if reason is None else "down", "detail": reason}
