"""The async face of the judge: backend choice, admission (bounded queue), limits, and worker threads."""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from config import SandboxKind, Settings
from judge import analysis
from judge.build_cache import BuildCache, build_key
from judge.engine import Checker, Limits, judge_submission, run_program
from judge.languages import BASE_ENV, RECIPES, Recipe
from judge.models import AnalysisResult, CaseResult, Comparison, JudgeResult, Progress, RunResult, TestCase, Verdict
from judge.process_backend import ProcessBackend
from judge.sandbox import Backend, Session

log = logging.getLogger(__name__)

# Size of each sandbox's /work and /tmp tmpfs, and the largest file a program may write.
DISK_LIMIT_MB = 64
DEFAULT_TIME_MS = 5000
DEFAULT_MEMORY_MB = 256
MIN_MEMORY_MB = 16

T = TypeVar("T")
ProgressCallback = Callable[[Progress], Awaitable[None] | None]


class JudgeError(Exception):
    code = "JUDGE_ERROR"


class JudgeBusy(JudgeError):
    """Every worker is busy and the queue is full: retry later (HTTP 429)."""

    code = "JUDGE_BUSY"


class LanguageUnavailable(JudgeError):
    """The language is unknown or its toolchain is not installed for the active backend."""

    code = "LANGUAGE_UNAVAILABLE"


class SandboxUnavailable(JudgeError):
    """The requested sandbox backend cannot run on this machine."""

    code = "SANDBOX_UNAVAILABLE"


def clamp(requested: int | None, default: int, low: int, high: int) -> int:
    """The default when absent (0 is a request, not an absence), then within low..high."""
    return min(max(default if requested is None else requested, low), high)


class Ticket:
    """A place in the judge's queue, reserved by `Judge.admit` for one call in one language.

    Its holder hands it to that call (`ticket=`) and releases it once the call has ended, or will never run (a
    task cancelled before it began): the place is taken from admission on, so a refusal can come before any work
    is stored. Releasing twice is harmless.
    """

    def __init__(self, language: str, recipe: Recipe, on_release: Callable[[], None]) -> None:
        self.language = language
        self.recipe = recipe
        self._on_release: Callable[[], None] | None = on_release

    @property
    def released(self) -> bool:
        return self._on_release is None

    def release(self) -> None:
        on_release, self._on_release = self._on_release, None
        if on_release is not None:
            on_release()


def make_backend(kind: SandboxKind, settings: Settings, builds: Path | None = None) -> Backend:
    """`builds`: the build cache's entries, mounted read-only into every sandbox."""
    if kind is SandboxKind.process:
        return ProcessBackend(settings.judge_pool_size, DISK_LIMIT_MB, builds)
    from judge.docker_backend import DockerBackend  # the docker SDK is only needed for this backend

    return DockerBackend(
        settings.judge_pool_size, settings.judge_image, DISK_LIMIT_MB, settings.judge_max_memory_mb, builds
    )


def choose_backend(settings: Settings, kind: SandboxKind, builds: Path | None = None) -> Backend:
    """Blocking: probe the requested backend (auto = Docker when reachable and its image is built)."""
    candidates = [SandboxKind.docker, SandboxKind.process] if kind is SandboxKind.auto else [kind]
    reasons = []
    for candidate in candidates:
        backend = make_backend(candidate, settings, builds)
        reason = backend.unavailable_reason()
        if reason is None:
            return backend
        log.warning("sandbox backend %s unavailable: %s", candidate.value, reason)
        reasons.append(f"{candidate.value}: {reason}")
    raise SandboxUnavailable("; ".join(reasons))


class Judge:
    """Sandboxed execution and judging.

    `await start()` picks the backend and warms its pool; `await close()` stops it.

    Admission: `admit(language)` decides at once, with no await, whether a call may run: it raises
    `SandboxUnavailable`, `LanguageUnavailable` or `JudgeBusy` (every worker busy and the queue full), or returns
    a `Ticket` holding the call's place. `run`, `judge` and `analyze` take that ticket (`ticket=`); without one
    they admit themselves (and may raise the same errors) and give their place back when they end. Sandbox
    failures are not raised: they come back as `internal_error` results.

    Limits: `limits(time_ms, memory_mb, cap=None)` gives the time and memory a call runs with (the defaults when
    absent, clamped to the settings' maxima, and to a problem's limits given as `cap`); every call applies it, so
    callers that store the limits ask it rather than repeat it. `load()` and `until_idle()` tell the calls in
    flight: admitted and not yet released.
    """

    def __init__(self, settings: Settings, sandbox: SandboxKind | str | None = None) -> None:
        self.settings = settings
        self.kind = SandboxKind(sandbox or settings.sandbox)
        self.backend: Backend | None = None
        self.build_cache: BuildCache | None = None
        self._executor = ThreadPoolExecutor(max_workers=settings.judge_workers, thread_name_prefix="judge")
        self._capacity = settings.judge_workers + settings.judge_queue_size
        self._admitted = 0  # tickets not yet released: calls running or queued for a worker
        self._idle = asyncio.Event()  # set while none is admitted
        self._idle.set()

    @property
    def backend_name(self) -> str:
        return self.backend.name if self.backend else "none"

    async def start(self) -> None:
        if self.settings.judge_build_cache_bytes:
            self.build_cache = BuildCache(self.settings.judge_build_cache_bytes)
        builds = self.build_cache.entries if self.build_cache else None
        try:
            self.backend = await asyncio.to_thread(choose_backend, self.settings, self.kind, builds)
        except BaseException:
            self._close_build_cache()
            raise
        await asyncio.to_thread(self.backend.start)
        log.info("judge started with the %s backend", self.backend.name)

    async def close(self) -> None:
        if self.backend is not None:
            await asyncio.to_thread(self.backend.close)
        self._executor.shutdown(wait=False, cancel_futures=True)
        self._close_build_cache()

    def _close_build_cache(self) -> None:
        if self.build_cache is not None:
            self.build_cache.close()
            self.build_cache = None

    async def run(
        self,
        language: str,
        code: str,
        stdin: str = "",
        time_limit_ms: int | None = None,
        memory_limit_mb: int | None = None,
        ticket: Ticket | None = None,
    ) -> RunResult:
        with self._admitted_call(language, ticket) as recipe:
            limits = self._limits(time_limit_ms, memory_limit_mb)

            key = self.build_key(language, code)

            def job(session: Session) -> RunResult:
                return run_program(session, recipe, code, stdin, limits, self.build_cache, key)

            failed = RunResult(language=language, verdict=Verdict.internal_error)
            return await self._in_sandbox(job, failed)

    async def judge(
        self,
        language: str,
        code: str,
        test_cases: list[TestCase],
        time_limit_ms: int | None = None,
        memory_limit_mb: int | None = None,
        comparison: Comparison = "lines",
        abs_tol: float = 1e-6,
        rel_tol: float = 1e-6,
        stop_on_first_failure: bool = False,
        on_progress: ProgressCallback | None = None,
        progress_interval: float = 0.0,
        ticket: Ticket | None = None,
    ) -> JudgeResult:
        """Compile once and run every case (or up to the first failure). `on_progress` after each case, or at most
        once per `progress_interval` seconds from this call on: hundreds of fast cases need no report each (a
        report costs the event loop a wake-up)."""
        if not test_cases:
            raise ValueError("a submission needs at least one test case")
        with self._admitted_call(language, ticket) as recipe:
            limits = self._limits(time_limit_ms, memory_limit_mb)
            checker = Checker(comparison, abs_tol, rel_tol)
            on_case, delivered = self._progress_relay(on_progress, len(test_cases), progress_interval)
            key = self.build_key(language, code)

            def job(session: Session) -> JudgeResult:
                return judge_submission(
                    session,
                    recipe,
                    code,
                    test_cases,
                    limits,
                    checker,
                    stop_on_first_failure,
                    on_case,
                    self.build_cache,
                    key,
                )

            failed = JudgeResult(language=language, verdict=Verdict.internal_error, passed=0, total=len(test_cases))
            result = await self._in_sandbox(job, failed)
        await asyncio.gather(*delivered)
        return result

    async def analyze(self, language: str, code: str, ticket: Ticket | None = None) -> AnalysisResult:
        """Static analysis (ruff / compiler diagnostics / lizard complexity), inside the sandbox."""
        with self._admitted_call(language, ticket) as recipe:
            limits = self._limits(None, None)

            def job(session: Session) -> AnalysisResult:
                return analysis.analyze(session, recipe, code, limits)

            return await self._in_sandbox(job, analysis.failed_result(language))

    # -- admission and limits ----------------------------------------------------------------------------

    def admit(self, language: str) -> Ticket:
        """Refuse a call at once (SandboxUnavailable, LanguageUnavailable, JudgeBusy) or reserve its place."""
        recipe = self._recipe(language)
        if self._admitted >= self._capacity:
            raise JudgeBusy("the judge is busy: too many queued runs")
        self._admitted += 1
        self._idle.clear()
        return Ticket(language, recipe, self._release)

    def limits(
        self, time_ms: int | None = None, memory_mb: int | None = None, cap: tuple[int, int] | None = None
    ) -> tuple[int, int]:
        """The (time ms, memory MiB) a call runs with: the defaults when absent, clamped to the settings' maxima.
        A `cap` (a problem's time and memory limits) is both the default and a lower ceiling, so that a verdict
        means the same for everyone."""
        default_ms, default_mb = cap or (DEFAULT_TIME_MS, DEFAULT_MEMORY_MB)
        max_ms, max_mb = self.settings.judge_max_time_ms, self.settings.judge_max_memory_mb
        if cap:
            max_ms, max_mb = min(max_ms, default_ms), min(max_mb, default_mb)
        return clamp(time_ms, default_ms, 1, max_ms), clamp(memory_mb, default_mb, MIN_MEMORY_MB, max_mb)

    def load(self) -> dict[str, int]:
        """Calls in flight, as the admin dashboard shows them: those the workers run and those queued."""
        running = min(self._admitted, self.settings.judge_workers)
        return {"running": running, "queued": self._admitted - running}

    async def until_idle(self) -> None:
        """Returns once no call is in flight."""
        await self._idle.wait()

    async def health(self) -> dict:
        if self.backend is None:
            return {"backend": "none", "status": "down", "detail": "judge not started"}
        report = await asyncio.to_thread(self.backend.health)
        report["languages"] = {language: reason or "ok" for language, reason in self.backend.languages.items()}
        report.update(workers=self.settings.judge_workers, in_flight=self._admitted, capacity=self._capacity)
        if self.build_cache is not None:
            report["build_cache"] = self.build_cache.stats()
        return report

    def _release(self) -> None:
        self._admitted -= 1
        if not self._admitted:
            self._idle.set()

    @contextmanager
    def _admitted_call(self, language: str, ticket: Ticket | None) -> Iterator[Recipe]:
        """A call's recipe, under the caller's ticket (theirs to release) or under one taken for this call alone."""
        if ticket is not None:
            if ticket.released or ticket.language != language:
                raise ValueError("a ticket serves one call, in the language it was admitted for")
            yield ticket.recipe
            return
        ticket = self.admit(language)
        try:
            yield ticket.recipe
        finally:
            ticket.release()

    def _recipe(self, language: str) -> Recipe:
        if self.backend is None:
            raise SandboxUnavailable("the judge is not started")
        recipe = RECIPES.get(language)
        if recipe is None:
            raise LanguageUnavailable(f"unknown language {language!r}")
        reason = self.backend.languages.get(language)
        if reason is not None:
            raise LanguageUnavailable(reason)
        return recipe

    def build_key(self, language: str, code: str) -> str | None:
        """Where the build cache files this source's build (None: nothing to cache, or no cache)."""
        recipe = RECIPES.get(language)
        toolchain = self.backend.toolchains.get(language) if self.backend else None
        if self.build_cache is None or recipe is None or recipe.compile is None or toolchain is None:
            return None
        env = {**BASE_ENV, **recipe.env}
        return build_key(recipe.language, toolchain, recipe.compile, env, recipe.source_file, code)

    def _limits(self, time_ms: int | None, memory_mb: int | None) -> Limits:
        assert self.backend is not None  # admitted calls only
        time_ms, memory_mb = self.limits(time_ms, memory_mb)
        return Limits(
            time_ms=time_ms,
            memory_mb=memory_mb,
            output_bytes=self.settings.judge_output_limit_bytes,
            disk_mb=DISK_LIMIT_MB,
            nproc=self.backend.nproc,
        )

    def _progress_relay(
        self, on_progress: ProgressCallback | None, total: int, interval: float
    ) -> tuple[Callable[[CaseResult, int], None], list[asyncio.Future]]:
        """A per-case hook for the worker thread that hands progress to the callback on the event loop, at most
        once per `interval`."""
        loop = asyncio.get_running_loop()
        delivered: list[asyncio.Future] = []
        done = 0
        next_report = time.monotonic() + interval

        def deliver(progress: Progress) -> None:
            outcome = on_progress(progress)
            if inspect.isawaitable(outcome):
                delivered.append(asyncio.ensure_future(outcome))

        def on_case(result: CaseResult, passed: int) -> None:
            nonlocal done, next_report
            done += 1
            if on_progress is None or (now := time.monotonic()) < next_report:
                return
            next_report = now + interval
            loop.call_soon_threadsafe(deliver, Progress(passed=passed, done=done, total=total, last=result))

        return on_case, delivered

    async def _in_sandbox(self, job: Callable[[Session], T], failed: T) -> T:
        """Run an admitted job in a pooled sandbox on a worker thread."""
        return await asyncio.get_running_loop().run_in_executor(self._executor, self._run_job, job, failed)

    def _run_job(self, job: Callable[[Session], T], failed: T) -> T:
        assert self.backend is not None
        pool = self.backend.pool
        try:
            session = pool.acquire()
        except Exception:
            log.exception("no sandbox available")
            return failed
        try:
            result = job(session)
        except Exception:  # SandboxError or a bug: never the user's fault, never reuse that sandbox
            log.exception("sandbox failure")
            pool.discard(session)
            return failed
        pool.release(session)
        return result
