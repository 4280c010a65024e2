"""SynCode entry point.

python run.py [--host H] [--port P] [--data-dir D]     start the server
python run.py promote-admin EMAIL                        give an account the admin role
python run.py backup OUT                                 copy the database to OUT (mongodump's format), online
python run.py restore IN [--drop]                        load a backup (into an empty database, or replace it)
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import os
import signal
import sys
from functools import partial
from pathlib import Path
from typing import Any

import tornado.httpserver
import tornado.netutil
import uvloop

from config import Settings, SettingsError, load_settings
from handlers.bodylimit import BodyLimitServer
from handlers.routes import make_app
from realtime.events import EventHub, event_routes
from realtime.journal import JournalLocked, UpdateJournal
from realtime.plane import CollabService
from realtime.socket import collab_routes
from syncode.backup import BackupError, backup, describe, restore
from syncode.context import Context, build_context, components
from syncode.db import Database
from syncode.embedded import EmbeddedDatabase, running_instance
from syncode.logs import setup_logging
from syncode.metrics import Metrics
from syncode.services.problem_bank import BankReport, bank_health, load_bank

log = logging.getLogger("syncode")


class Server:
    """The whole process: database (embedded or external), services, HTTP + WebSocket listener."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.embedded: EmbeddedDatabase | None = None
        self.db: Database | None = None
        self.ctx: Context | None = None
        self.collab: CollabService | None = None
        self.events: EventHub | None = None
        self.bank_loading: asyncio.Task | None = None
        self.http: tornado.httpserver.HTTPServer | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        sockets = tornado.netutil.bind_sockets(self.settings.port, self.settings.host)
        self.port = sockets[0].getsockname()[1]
        if self.settings.port == 0:
            self.settings = self.settings.model_copy(update={"port": self.port})
        uri, where = await self._database_uri()
        metrics = Metrics()
        self.db = Database(uri, self.settings.mongodb_db, [metrics.commands])
        await self.db.create_indexes()
        self.ctx = build_context(
            self.settings, self.db, lambda rule: CollabService(self.settings, self.db, rule), metrics
        )
        if self.settings.load_problem_bank:
            # In the background: the server answers at once; new or changed problem files appear when loaded.
            bank = BankReport()
            loading = self.bank_loading = asyncio.create_task(load_bank(self.db, self.settings.problem_bank_dir, bank))
            self.ctx.health.probes["problems"] = lambda: bank_health(bank, loading)
        self.collab = self.ctx.collab
        for component in components(self.ctx):
            if component.start:
                await component.start()
        self.events = EventHub(self.ctx.bus, self.ctx.presence)
        self.ctx.metrics.samplers.append(self._event_sockets)
        self.ctx.admin.ws_connections = self._ws_connections
        app = make_app(self.ctx, collab_routes(self.collab) + event_routes(self.events), websocket_ping_interval=20)
        self.http = BodyLimitServer(app, max_body_size=4 * 1024 * 1024, xheaders=False)
        self.http.add_sockets(sockets)
        log.info(
            f"SynCode listening on http://{self.settings.host}:{self.port} · database {where} · "
            f"sandbox {self.settings.sandbox.value}",
            extra={"port": self.port, "database": where},
        )

    async def _ws_connections(self) -> int:
        """Open WebSockets of both planes, for the admin dashboard."""
        collab = (await self.collab.health())["connections"] if self.collab else 0
        return collab + (self.events.connections if self.events else 0)

    async def _event_sockets(self) -> None:
        if self.ctx and self.events:
            self.ctx.metrics.websockets.labels("events").set(self.events.connections)

    async def _database_uri(self) -> tuple[str, str]:
        if self.settings.mongodb_uri:
            return self.settings.mongodb_uri, "external MongoDB"
        self.embedded = EmbeddedDatabase(self.settings.data_dir.resolve() / "db")
        uri = await self.embedded.start()
        return uri, f"embedded SecantusDB at 127.0.0.1:{self.embedded.port} ({self.embedded.storage})"

    async def stop(self) -> None:
        """Close the listener, then the components in reverse order, then the database. Safe to call twice."""
        http, ctx, db, embedded = self.http, self.ctx, self.db, self.embedded
        events, self.events = self.events, None
        self.http = self.ctx = self.db = self.embedded = self.collab = None
        if http:
            http.stop()
        if events:
            events.close()
        if self.bank_loading and not self.bank_loading.done():
            self.bank_loading.cancel()
        if ctx:
            for component in reversed(components(ctx)):
                await component.stop()
        if http:
            await http.close_all_connections()
        if ctx:
            await ctx.bus.drain()
        if db:
            await db.close()
        if embedded:
            await embedded.stop()


def tune_garbage_collector() -> None:
    """Keep full garbage collections rare: each one stops the event loop, and every relay with it, for about
    100 ms once 1,500 sockets are open. Start-up objects live as long as the process, so they are frozen out of
    collections; a full collection waits for 1,000 young-generation passes instead of 10 (it still runs when
    needed). Measured with bench/collab.py at 1,500 updates/s: p99 of 14-256 ms over runs before, 4-12 ms after."""
    gc.freeze()
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, 1000)


async def serve(settings: Settings) -> None:
    server = Server(settings)
    stop = asyncio.Event()

    def on_signal() -> None:
        if stop.is_set():  # a second signal: no waiting for a shutdown that hangs (the collab journal keeps edits)
            log.warning("second signal: exiting without finishing the shutdown")
            os._exit(1)
        stop.set()

    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, on_signal)
    try:
        await server.start()
        tune_garbage_collector()
        await stop.wait()
        log.info("shutting down")
    finally:
        await server.stop()


async def promote_admin(settings: Settings, email: str) -> int:
    """Give an existing account the admin role; reuses a running embedded database when there is one."""
    embedded = None
    uri = settings.mongodb_uri or await running_instance(settings.data_dir.resolve() / "db")
    if not uri:
        embedded = EmbeddedDatabase(settings.data_dir.resolve() / "db")
        uri = await embedded.start()
    db = Database(uri, settings.mongodb_db)
    try:
        result = await db.users.find_one_and_update({"emailKey": email.strip().lower()}, {"$set": {"role": "admin"}})
        if result is None:
            print(f"no account with email {email}", file=sys.stderr)
            return 1
        print(f"{result['username']} <{result['email']}> is now an admin (was {result['role']})")
        return 0
    finally:
        await db.close()
        if embedded:
            await embedded.stop()


async def backup_or_restore(settings: Settings, args: argparse.Namespace) -> int:
    """`backup OUT` and `restore IN` (syncode/backup.py) against the database SynCode uses: the running embedded
    one, the external one, or the data dir's, started here. A backup runs beside a running server; a restore
    does not."""
    embedded = None
    uri = settings.mongodb_uri or await running_instance(settings.data_dir.resolve() / "db")
    if not uri:
        embedded = EmbeddedDatabase(settings.data_dir.resolve() / "db")
        uri = await embedded.start()
    db = Database(uri, settings.mongodb_db)
    blobs = None if settings.s3_enabled else settings.data_dir / "blobs"  # S3 objects stay in their bucket
    try:
        server_running = not await recover_collab_journal(settings, db)
        if args.command == "backup":
            summary = await backup(db, Path(args.out), blobs)
        elif server_running:
            raise BackupError("SynCode is running on this data dir: stop it before restoring")
        else:
            summary = await restore(db, Path(args.source), args.drop, blobs)
    except BackupError as exc:
        print(f"{args.command}: {exc}", file=sys.stderr)
        return 1
    finally:
        await db.close()
        if embedded:
            await embedded.stop()
    print(f"{args.command} done ({summary.mode}): {describe(summary)}")
    return 0


async def recover_collab_journal(settings: Settings, db: Database) -> bool:
    """When no server holds the data dir, write what its collab journal kept to the database, as a start would
    (after a crash it holds the last edits, which would be missing from a backup). False while a server holds it
    (it writes them itself, a moment after each edit)."""
    journal = UpdateJournal(settings.data_dir / "collab-journal")
    try:
        pending = await asyncio.to_thread(journal.replay)
    except JournalLocked:
        return False
    journal.close(everything_written=False)
    if pending:
        collab = CollabService(settings, db)
        try:
            await collab.start()
        except JournalLocked:
            return False
        await collab.close()
    return True


def common_options(default: Any) -> argparse.ArgumentParser:
    options = argparse.ArgumentParser(add_help=False)
    options.add_argument("--host", default=default, help="listen address (SYNCODE_HOST, default 127.0.0.1)")
    options.add_argument("--port", type=int, default=default, help="listen port (SYNCODE_PORT, default 8000)")
    options.add_argument("--data-dir", default=default, help="data directory (SYNCODE_DATA_DIR, default ./data)")
    return options


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="run.py", description="SynCode server", parents=[common_options(None)])
    # After a subcommand too (`promote-admin EMAIL --data-dir D`). There they default to SUPPRESS: a subparser's
    # default would overwrite the value given before the subcommand.
    after = common_options(argparse.SUPPRESS)
    sub = parser.add_subparsers(dest="command", parser_class=partial(argparse.ArgumentParser, parents=[after]))
    promote = sub.add_parser("promote-admin", help="give an existing account the admin role")
    promote.add_argument("email")
    dump = sub.add_parser("backup", help="copy the database to a directory in mongodump's format, online")
    dump.add_argument("out", help="a directory that does not exist yet (or is empty)")
    load = sub.add_parser("restore", help="load a backup (or a mongodump of a SynCode database)")
    load.add_argument("source", help="the backup's directory")
    load.add_argument("--drop", action="store_true", help="replace the collections of a database that is not empty")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    overrides: dict[str, Any] = {
        k: v for k, v in {"host": args.host, "port": args.port, "data_dir": args.data_dir}.items() if v is not None
    }
    try:
        settings = load_settings(**overrides)
    except SettingsError as exc:
        print(f"syncode: {exc}", file=sys.stderr)
        return 2
    setup_logging(settings.log_level)
    if args.command == "promote-admin":
        return uvloop.run(promote_admin(settings, args.email))
    if args.command in ("backup", "restore"):
        return uvloop.run(backup_or_restore(settings, args))
    uvloop.run(serve(settings))
    return 0


if __name__ == "__main__":
    sys.exit(main())
