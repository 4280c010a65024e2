"""Prometheus metrics (prometheus-client), served at `/metrics` (handlers/metrics.py).

Owns the registry of one server (its own, not the process-global one: tests run several servers in a process)
and what feeds it: request latency by route template and status (handlers/base.py), database command latency
(a PyMongo CommandListener on the server's client), executions by kind, verdict and language (the bus's
*.completed events), and gauges read when scraped (WebSocket connections by plane, live collab documents, the
judge's queue), so that nothing is counted on the hot paths of the planes that own those numbers.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, ProcessCollector, generate_latest
from pymongo import monitoring

from syncode.events import Event, EventBus

log = logging.getLogger("syncode.metrics")

# Seconds; REST answers take milliseconds, a request that waits on the judge or an LLM takes seconds.
HTTP_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
DB_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5)
Sampler = Callable[[], Awaitable[None]]


class CommandTimer(monitoring.CommandListener):
    """Times every database command the client sends (monitoring events come on the event loop's thread)."""

    def __init__(self, histogram: Histogram) -> None:
        self.histogram = histogram

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        pass

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        self.histogram.labels(event.command_name, "ok").observe(event.duration_micros / 1e6)

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        self.histogram.labels(event.command_name, "error").observe(event.duration_micros / 1e6)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        ProcessCollector(registry=r)  # process_resident_memory_bytes, process_open_fds, process_cpu_seconds_total
        self.http = Histogram(
            "syncode_http_request_duration_seconds",
            "HTTP requests by route template, method and status",
            ("route", "method", "status"),
            buckets=HTTP_BUCKETS,
            registry=r,
        )
        self.db = Histogram(
            "syncode_db_command_duration_seconds",
            "Database commands by name and outcome",
            ("command", "outcome"),
            buckets=DB_BUCKETS,
            registry=r,
        )
        self.commands = CommandTimer(self.db)
        self.executions = Counter(
            "syncode_executions",
            "Finished runs, submissions and analyses by verdict (or status) and language",
            ("kind", "verdict", "language"),
            registry=r,
        )
        self.websockets = Gauge(
            "syncode_websocket_connections", "Open WebSocket connections by plane", ("plane",), registry=r
        )
        self.collab_rooms = Gauge("syncode_collab_rooms", "Collab documents loaded (rooms being edited)", registry=r)
        self.judge_queue = Gauge("syncode_judge_queue_depth", "Executions waiting for a judge worker", registry=r)
        self.judge_running = Gauge("syncode_judge_running", "Executions a judge worker runs now", registry=r)
        self.samplers: list[Sampler] = []

    def observe_request(self, route: str, method: str, status: int, seconds: float) -> None:
        self.http.labels(route, method, str(status)).observe(seconds)

    def follow_executions(self, bus: EventBus) -> None:
        for kind in ("run", "submission", "analysis"):
            bus.subscribe(f"{kind}.completed", lambda event, kind=kind: self._execution(kind, event))

    def _execution(self, kind: str, event: Event) -> None:
        data = event.data
        verdict = data.get("verdict") or data.get("status") or "unknown"
        self.executions.labels(kind, str(verdict), str(data.get("language") or "none")).inc()

    async def render(self) -> bytes:
        """The exposition text, after the samplers set the gauges read at scrape time."""
        for sample in self.samplers:
            try:
                await sample()
            except Exception:  # a part that cannot answer now keeps its last value; the scrape still succeeds
                log.warning("metrics sampler failed", exc_info=True)
        return generate_latest(self.registry)
