"""Build outputs cached by content, so that a program compiled once runs again without compiling.

An entry holds what a compile step left in the work directory (a binary, class files, a transpiled script) and
the compiler's messages, filed under a key hashing all the build depends on: the language, the toolchain's
identity, the compile command and environment, and the source. The compiler runs in the sandbox; the
supervisor hands its outputs to the host, which files them here, outside every sandbox. Later sandboxes see the
entries through a read-only mount at MOUNT, and their supervisor copies an entry into the work directory.

- Bounded in bytes, least recently used entries evicted first (never one a job is using).
- Every use checks the entry against its manifest (sizes and SHA-256): a corrupt or missing entry is dropped
  and the program compiled again.
- An entry is written under a temporary name and renamed into place: concurrent identical compiles cannot
  leave a half-written one (the first rename wins, the others are discarded).
- The entries' directory can be traversed but not listed (mode 0311): a program reaches only an entry whose
  key, hence whose source, it knows already.
- The cache lives in a fresh directory per process under /var/tmp, which any sandbox user can reach wherever
  SynCode is installed (a data directory in /root could not be mounted into a sandbox run as `nobody`); it
  starts empty and is removed on close. Blocking code, called from the judge's worker threads.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
import threading
import weakref
from collections import Counter, OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

MOUNT = "/opt/build-cache"
MANIFEST = "manifest.json"
FORMAT = 1  # bumped when the entries' layout changes
PREFIX = "syncode-build-cache-"


@dataclass(frozen=True)
class Build:
    """A cached build: its files (names in the work dir) and what the compiler printed."""

    key: str
    files: tuple[str, ...]
    output: str | None

    def copies(self) -> dict[str, str]:
        """What the supervisor copies into the work dir: name -> path under the sandbox's mount."""
        return {name: f"{MOUNT}/{self.key}/{name}" for name in self.files}


def build_key(
    language: str, toolchain: str, argv: Sequence[str], env: Mapping[str, str], source_file: str, code: str
) -> str:
    source = hashlib.sha256(code.encode()).hexdigest()
    parts = [FORMAT, language, toolchain, list(argv), sorted(env.items()), source_file, source]
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def default_parent() -> str:
    """Disk rather than memory (/tmp is often a tmpfs), and traversable by every user."""
    return "/var/tmp" if os.path.isdir("/var/tmp") else tempfile.gettempdir()


def scratch_dir(prefix: str, parent: str | None = None) -> Path:
    """A fresh directory `<prefix><pid>-<random>` for this process, after removing those left by processes that
    are gone (killed before they could clean up)."""
    parent = parent or default_parent()
    for stale in Path(parent).glob(f"{prefix}*-*"):
        pid = stale.name[len(prefix) :].split("-", 1)[0]
        if pid.isdigit() and stale.is_dir() and not stale.is_symlink() and not alive(int(pid)):
            remove_tree(stale)
    return Path(tempfile.mkdtemp(prefix=f"{prefix}{os.getpid()}-", dir=parent))


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return True


def remove_tree(path: Path) -> None:
    """Remove a tree whose directories are read-only (the entries are): give them back their write bit first."""

    def allow_and_retry(function, target, _) -> None:
        try:
            os.chmod(os.path.dirname(target), 0o700)
            function(target)
        except OSError:  # gone meanwhile, or not ours
            pass

    try:
        path.chmod(0o700)
    except OSError:
        return
    shutil.rmtree(path, onerror=allow_and_retry)


class BuildCache:
    """The build cache of one judge: `acquire(key)` a build (pinned until `release(key)`) or `store` one."""

    def __init__(self, max_bytes: int, parent: str | None = None) -> None:
        self.max_bytes = max_bytes
        self.root = scratch_dir(PREFIX, parent)
        self.root.chmod(0o711)
        self.entries = self.root / "entries"  # what sandboxes see at MOUNT
        self.entries.mkdir()
        self.entries.chmod(0o311)  # traversable, not listable (the host keeps its own index)
        self.staging = self.root / "staging"  # entries being written or removed: the host's alone
        self.staging.mkdir(mode=0o700)
        # Removed on close, or else when this object is collected or the interpreter exits (a judge not closed).
        self._finalizer = weakref.finalize(self, remove_tree, self.root)
        self._lock = threading.Lock()
        self._index: OrderedDict[str, int] = OrderedDict()  # key -> bytes, least recently used first
        self._pins: Counter[str] = Counter()
        self.bytes = 0
        self.hits = self.misses = 0

    def acquire(self, key: str) -> Build | None:
        """The build under `key`, checked and pinned (not evicted) until `release(key)`; None when there is none
        or it was corrupt (then it is dropped)."""
        with self._lock:
            if key not in self._index:
                self.misses += 1
                return None
            self._index.move_to_end(key)
            self._pins[key] += 1
        build = self._checked(key)
        if build is None:
            log.warning("build cache entry %s is corrupt or missing: compiling again", key[:12])
            self.release(key)
            self.drop(key)
            with self._lock:
                self.misses += 1
            return None
        with self._lock:
            self.hits += 1
        return build

    def release(self, key: str) -> None:
        with self._lock:
            self._pins[key] -= 1
            if self._pins[key] <= 0:
                del self._pins[key]
            self._evict()

    def store(self, key: str, files: Mapping[str, tuple[bytes, bool]], output: str | None) -> bool:
        """File a build: `files` maps a name to (content, executable). False when it is too large for the cache
        or was already there (a concurrent identical compile won)."""
        checks = {name: {"size": len(data), "sha256": digest(data)} for name, (data, _) in files.items()}
        manifest = {"output": output, "files": checks}
        encoded = json.dumps(manifest).encode()
        size = len(encoded) + sum(len(data) for data, _ in files.values())
        if size > self.max_bytes:
            return False
        temporary = Path(tempfile.mkdtemp(dir=self.staging))
        for name, (data, executable) in files.items():
            (temporary / name).write_bytes(data)
            (temporary / name).chmod(0o555 if executable else 0o444)
        (temporary / MANIFEST).write_bytes(encoded)
        (temporary / MANIFEST).chmod(0o444)
        temporary.chmod(0o755)  # a directory moved to another parent must be writable; the mount is read-only
        try:
            temporary.rename(self.entries / key)  # atomic: a sandbox sees the whole entry or none
        except OSError:  # there already (ENOTEMPTY / EEXIST): keep the first
            remove_tree(temporary)
            return False
        with self._lock:
            self._index[key] = size
            self.bytes += size
            self._evict()
        return True

    def drop(self, key: str) -> None:
        with self._lock:
            self._remove(key)

    def clear(self) -> None:
        """Drop every entry not in use."""
        with self._lock:
            for key in [key for key in self._index if key not in self._pins]:
                self._remove(key)

    def close(self) -> None:
        self._finalizer()

    def stats(self) -> dict:
        with self._lock:
            return {
                "entries": len(self._index),
                "bytes": self.bytes,
                "max_bytes": self.max_bytes,
                "hits": self.hits,
                "misses": self.misses,
            }

    def _checked(self, key: str) -> Build | None:
        directory = self.entries / key
        try:
            manifest = json.loads((directory / MANIFEST).read_bytes())
            for name, expected in manifest["files"].items():
                data = (directory / name).read_bytes()
                if len(data) != expected["size"] or digest(data) != expected["sha256"]:
                    return None
        except (OSError, ValueError, KeyError, TypeError):
            return None
        return Build(key, tuple(manifest["files"]), manifest["output"])

    def _evict(self) -> None:
        """Under the lock: least recently used entries out until the cache is within its bound."""
        victims = iter([key for key in self._index if key not in self._pins])
        while self.bytes > self.max_bytes and (key := next(victims, None)) is not None:
            self._remove(key)

    def _remove(self, key: str) -> None:
        """Under the lock: out of the index, and renamed out of the sandboxes' sight before it is deleted."""
        self.bytes -= self._index.pop(key, 0)
        trash = self.staging / f"trash-{key}-{os.urandom(4).hex()}"
        try:
            (self.entries / key).rename(trash)
        except FileNotFoundError:
            return
        except OSError:
            log.exception("could not remove build cache entry %s", key[:12])
            return
        remove_tree(trash)
