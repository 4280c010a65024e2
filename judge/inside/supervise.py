"""In-sandbox supervisor: runs steps (compile, test cases) for the judge and reports measurements.

Runs inside the sandbox (bubblewrap or a container) with the system python3, standard library only.
Protocol on stdin/stdout, one JSON document per line; a job is a hello, steps, and optionally a reset
after which the next job's hello may follow (a warm container serves many jobs this way):
  host -> {"nonce": str, "files": {name: text}, "copies": {name: path}}
                                                    files are written to the work dir, and copies made there of
                                                    read-only files (a cached build); reply {"ready": true,
                                                    "copied": bool} (false: none copied, one was unreadable)
  host -> {"collect": {"exclude": [names], "max_bytes": int}}
                                                    the regular files of the work dir (what a compiler left):
                                                    reply {"files": [{"name", "size", "executable"}]}, then
                                                    their contents, raw, one after the other (a build can be
                                                    megabytes: no escaping); {"files": null} when they are
                                                    larger than max_bytes
  host -> {"reset": [directories]}                  kill leftovers, empty them; reply {"wiped": bool}
  host -> {"argv": [...], "stdin_bytes": int, "env": {...}, "cpu_ms", "wall_ms", "rss_kb"|null, "as_kb"|null,
           "stack_kb", "nproc", "fsize_kb", "nofile", "output_limit"}, then the program's stdin: that many raw bytes
           (not inside the JSON: escaping megabytes of input costs the host's judge threads the GIL)
  sup  -> "<nonce> " + {"exit_code", "signal", "cpu_ms", "wall_ms", "max_rss_kb", "stdout", "stderr",
           "stdout_truncated", "stderr_truncated", "killed": null|"wall"|"cpu"|"memory"|"output", "error": null|str}
Every reply starts with the nonce, which the program under test cannot read: the supervisor is not
dumpable, so the program can neither ptrace it nor open its /proc/<pid>/fd to forge a reply.
"""

import ctypes
import json
import math
import os
import resource
import selectors
import shutil
import signal
import sys
import time

PR_SET_DUMPABLE = 4
PR_SET_CHILD_SUBREAPER = 36
CHUNK = 65536
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024


def harden_self():
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
    # Orphans (daemonised children) are re-parented to us, so we can reap them and count their CPU time.
    libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def lower_priority():
    """In the program's process, before exec.

    Programs run only on CPU time nothing else wants: the server and its database come first, and a judge thread
    woken by a reply preempts the sandbox at once (measured with bench/judge.py: overhead per Python run 16-17
    -> 9 ms, throughput +15-30%). Verdicts count CPU time, which this does not change. Without CAP_SYS_NICE the
    program cannot switch back. The supervisor keeps its normal priority: among the hundred processes of a fork
    bomb at this priority it would get too little CPU to notice the limits in time.
    """
    os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))


def set_limits(step):
    cpu_s = math.ceil(step["cpu_ms"] / 1000) + 1
    limits = {
        resource.RLIMIT_CPU: (cpu_s, cpu_s + 1),
        resource.RLIMIT_NPROC: (step["nproc"], step["nproc"]),
        resource.RLIMIT_FSIZE: (step["fsize_kb"] * 1024,) * 2,
        resource.RLIMIT_NOFILE: (step["nofile"], step["nofile"]),
        resource.RLIMIT_CORE: (0, 0),
        resource.RLIMIT_STACK: (step["stack_kb"] * 1024,) * 2,
    }
    if step["as_kb"]:
        limits[resource.RLIMIT_AS] = (step["as_kb"] * 1024,) * 2
    for kind, value in limits.items():
        resource.setrlimit(kind, value)


def spawn(step, stdin_r, stdout_w, stderr_w):
    pid = os.fork()
    if pid:
        return pid
    try:
        os.setsid()
        for fd, target in ((stdin_r, 0), (stdout_w, 1), (stderr_w, 2)):
            os.dup2(fd, target)
        os.closerange(3, 1 << 16)
        for signum in (signal.SIGPIPE, signal.SIGXFSZ):
            signal.signal(signum, signal.SIG_DFL)
        lower_priority()
        set_limits(step)
        os.execvpe(step["argv"][0], step["argv"], step["env"])
    except OSError as exc:
        os.write(2, f"cannot execute {step['argv'][0]}: {exc.strerror}".encode())
    os._exit(127)


class Capture:
    """Reads the program's stdout/stderr up to a cap and feeds its stdin without blocking."""

    def __init__(self, step, stdin_w, stdout_r, stderr_r):
        self.limit = step["output_limit"]
        self.pending = step["stdin"]
        self.buffers = {stdout_r: bytearray(), stderr_r: bytearray()}
        self.names = {stdout_r: "stdout", stderr_r: "stderr"}
        self.truncated = {"stdout": False, "stderr": False}
        self.selector = selectors.DefaultSelector()
        for fd in (stdin_w, stdout_r, stderr_r):
            os.set_blocking(fd, False)
        for fd in self.buffers:
            self.selector.register(fd, selectors.EVENT_READ)
        if self.pending:
            self.selector.register(stdin_w, selectors.EVENT_WRITE)
        else:
            os.close(stdin_w)

    def pump(self, timeout):
        """One round of I/O; returns True when a stream went over the cap."""
        over = False
        for key, _ in self.selector.select(timeout):
            if key.fd in self.buffers:
                over |= self.read(key.fd)
            else:
                self.write(key.fd)
        return over

    def read(self, fd):
        try:
            data = os.read(fd, CHUNK)
        except BlockingIOError:
            return False
        if not data:
            self.selector.unregister(fd)
            os.close(fd)
            return False
        buffer = self.buffers[fd]
        room = self.limit - len(buffer)
        buffer += data[:room]
        if len(data) > room:
            self.truncated[self.names[fd]] = True
            return True
        return False

    def write(self, fd):
        try:
            written = os.write(fd, self.pending[:CHUNK])
        except BlockingIOError:
            return
        except BrokenPipeError:
            written = len(self.pending)
        self.pending = self.pending[written:]
        if not self.pending:
            self.selector.unregister(fd)
            os.close(fd)

    def drain(self):
        """Collect what the program wrote just before it exited; bounded by the cap."""
        while self.open and self.selector.select(0):
            if self.pump(0):
                return

    @property
    def open(self):
        return any(key.fd in self.buffers for key in self.selector.get_map().values())

    def close(self):
        for key in list(self.selector.get_map().values()):
            os.close(key.fd)
        self.selector.close()

    def text(self, name):
        fd = next(fd for fd, value in self.names.items() if value == name)
        return self.buffers[fd].decode("utf-8", "replace")


def children(pid):
    """Direct children of pid (needs /proc/<pid>/task/*/children, present in every modern kernel)."""
    found = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except FileNotFoundError:
        return found
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/children") as handle:
                found += [int(child) for child in handle.read().split()]
        except FileNotFoundError:
            continue
    return found


def descendants():
    found, stack = [], [os.getpid()]
    while stack:
        for child in children(stack.pop()):
            found.append(child)
            stack.append(child)
    return found


def reap():
    """Reap every dead child without blocking; returns their CPU seconds."""
    cpu = 0.0
    while True:
        try:
            pid, _, usage = os.wait4(-1, os.WNOHANG)
        except ChildProcessError:
            return cpu
        if pid == 0:
            return cpu
        cpu += usage.ru_utime + usage.ru_stime


def kill_everything():
    """SIGKILL every process of the sandbox but its init and ourselves, in one system call: kill(-1) is atomic with
    respect to fork (a child forked meanwhile is born with its parent's pending kill, or not at all), so a fork bomb
    stops at once. Walking the tree instead, the bomb's processes kept running and refilling the places of the
    killed: under Docker's one-CPU quota, shared with them, on a loaded host, that took seconds past the host's
    patience and the sandbox was taken for failed (internal_error). Only where the sandbox has a pid namespace of its
    own, holding nothing but its init, us and the program: our parent is that init (bwrap) or outside it (a Docker
    exec: 0)."""
    if os.getppid() not in (0, 1):
        return
    try:
        os.kill(-1, signal.SIGKILL)
    except ProcessLookupError:
        pass  # nothing else runs


def kill_descendants():
    """SIGKILL and reap all our descendants, whatever session or group they moved to; returns CPU seconds.

    We are the subreaper, so an orphan is re-parented to us and shows up on the next pass; each pass kills
    the tree it sees until none is left (killed processes cannot fork, so a fork bomb cannot outrun this).
    """
    kill_everything()
    cpu = 0.0
    for _ in range(1000):
        victims = descendants()
        for victim in victims:
            try:
                os.kill(victim, signal.SIGKILL)
            except ProcessLookupError:
                pass
        cpu += reap()
        if not victims:
            break
        time.sleep(0.001)
    return cpu


def sandbox_cpu_seconds():
    """CPU time of every process this supervisor started, directly or not, alive or not yet reaped (with the
    children they reaped themselves), from one pass over /proc: the time limit is the sandbox's, not one
    process's, so a fork bomb cannot spread its CPU over many processes."""
    parents, cpu = {}, {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # gone meanwhile
        parents[int(entry)] = int(fields[1])
        cpu[int(entry)] = sum(int(ticks) for ticks in fields[11:15]) / CLOCK_TICKS  # utime stime cutime cstime
    children = {}
    for pid, parent in parents.items():
        children.setdefault(parent, []).append(pid)
    total, stack = 0.0, list(children.get(os.getpid(), ()))
    while stack:
        pid = stack.pop()
        total += cpu[pid]
        stack += children.get(pid, ())
    return total


def rss_kb(pid):
    try:
        with open(f"/proc/{pid}/statm") as handle:
            return int(handle.read().split()[1]) * PAGE_KB
    except (FileNotFoundError, IndexError):
        return 0


def over_limit(pid, step, cpu_limit):
    """Which limit the running program is over, if any: checked every few milliseconds."""
    if sandbox_cpu_seconds() > cpu_limit:
        return "cpu"
    if step["rss_kb"] and rss_kb(pid) > step["rss_kb"]:
        return "memory"
    return None


def run_step(step):
    stdin_r, stdin_w = os.pipe()
    stdout_r, stdout_w = os.pipe()
    stderr_r, stderr_w = os.pipe()
    started = time.monotonic()
    pid = spawn(step, stdin_r, stdout_w, stderr_w)
    for fd in (stdin_r, stdout_w, stderr_w):
        os.close(fd)
    capture = Capture(step, stdin_w, stdout_r, stderr_r)
    deadline = started + step["wall_ms"] / 1000
    killed, status, usage = None, None, None
    cpu_limit = step["cpu_ms"] / 1000
    while status is None:
        over = capture.pump(min(0.01, max(0.0, deadline - time.monotonic())))
        killed = "output" if over else "wall" if time.monotonic() >= deadline else over_limit(pid, step, cpu_limit)
        if killed:
            kill_everything()  # the program and all it started: none left to compete with its exit
            os.kill(pid, signal.SIGKILL)
            _, status, usage = os.wait4(pid, 0)
            break
        waited, status_now, usage = os.wait4(pid, os.WNOHANG)
        if waited:
            status = status_now
    capture.drain()
    cpu = usage.ru_utime + usage.ru_stime + kill_descendants()
    wall = time.monotonic() - started  # until the last process of the step is gone
    capture.close()
    return {
        "exit_code": os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else None,
        "signal": os.WTERMSIG(status) if os.WIFSIGNALED(status) else None,
        "cpu_ms": round(cpu * 1000),
        "wall_ms": round(wall * 1000),
        "max_rss_kb": usage.ru_maxrss,
        "stdout": capture.text("stdout"),
        "stderr": capture.text("stderr"),
        "stdout_truncated": capture.truncated["stdout"],
        "stderr_truncated": capture.truncated["stderr"],
        "killed": killed,
        "error": None,
    }


def write_files(files):
    for name, text in files.items():
        if "/" in name or name in (".", ".."):
            raise ValueError(f"bad file name {name!r}")
        with open(name, "w", encoding="utf-8") as handle:
            handle.write(text)


def copy_files(copies):
    """Copies of read-only files (a cached build) in the work dir, where the program runs them as if just built;
    False (and none of them) when one cannot be copied: the host then compiles instead."""
    try:
        for name, source in copies.items():
            if "/" in name or name in (".", ".."):
                raise ValueError(f"bad file name {name!r}")
            shutil.copyfile(source, name)
            os.chmod(name, os.stat(source).st_mode & 0o755 | 0o600)
    except (OSError, ValueError):
        for name in copies:
            if "/" not in name and os.path.lexists(name):
                os.unlink(name)
        return False
    return True


def collect(exclude, max_bytes):
    """The regular files of the work dir but `exclude`: [(name, executable, content)], or None when they are larger
    than max_bytes."""
    found, total = [], 0
    for entry in os.scandir("."):
        if entry.name in exclude or not entry.is_file(follow_symlinks=False):
            continue
        status = entry.stat(follow_symlinks=False)
        with open(entry.name, "rb") as handle:
            data = handle.read(min(status.st_size, max_bytes) + 1)
        total += len(data)
        if total > max_bytes:
            return None
        found.append((entry.name, bool(status.st_mode & 0o100), data))
    return found


def wipe(directories):
    """Empty the scratch directories between jobs; True when they are all empty afterwards."""

    def allow_and_retry(function, path, _):
        os.chmod(os.path.dirname(path), 0o700)
        function(path)

    for directory in directories:
        if not os.path.isdir(directory):
            continue
        for entry in os.scandir(directory):
            if entry.is_dir(follow_symlinks=False):
                os.chmod(entry.path, 0o700)
                shutil.rmtree(entry.path, onerror=allow_and_retry)
            else:
                os.unlink(entry.path)
    return not any(os.listdir(d) for d in directories if os.path.isdir(d))


def serve_job(hello, host):
    """One job: write its files, run its steps, until the host asks for a reset (or closes stdin)."""
    nonce = hello["nonce"]

    def reply(document):
        sys.stdout.write(nonce + " " + json.dumps(document) + "\n")
        sys.stdout.flush()

    write_files(hello["files"])
    reply({"ready": True, "copied": copy_files(hello.get("copies", {}))})
    for line in iter(host.readline, b""):
        request = json.loads(line)
        if "stdin_bytes" in request:
            request["stdin"] = host.read(request.pop("stdin_bytes"))
        if "collect" in request:
            try:
                found = collect(**request["collect"])
            except OSError:
                found = None
            listing = None if found is None else [{"name": n, "size": len(d), "executable": x} for n, x, d in found]
            reply({"files": listing})
            for _, _, data in found or ():
                sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()
            continue
        if "reset" in request:
            kill_descendants()
            try:
                reply({"wiped": wipe(request["reset"])})
            except OSError as exc:
                reply({"wiped": False, "error": str(exc)})
            return
        try:
            reply(run_step(request))
        except OSError as exc:
            reply({"error": f"{type(exc).__name__}: {exc}"})


def main():
    harden_self()
    host = sys.stdin.buffer
    for line in iter(host.readline, b""):
        serve_job(json.loads(line), host)


if __name__ == "__main__":
    main()
