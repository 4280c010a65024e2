"""When pairing happens: a pass after every change to the queue (`kick`: an entry, a requeue) and on a timer. A pass
pairs in memory (what pairs with what is decided by `rules`) and leaves the writing to a background batch, so the
next pass can start while the database works; its users are in flight until then. Every claim is a conditional
write, so no two passes (or processes) can put a user in two proposals. The timer also expires unanswered
proposals and silent queue entries, and finishes what a stopped process left half done.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from config import Settings
from syncode.clock import new_id, utcnow
from syncode.matchmaking import rules
from syncode.matchmaking.outcomes import Outcomes, notify
from syncode.matchmaking.rules import ScoreWindow, Seeker
from syncode.matchmaking.store import EXPIRED, PROPOSED, MatchStore
from syncode.matchmaking.views import MatchViews, problem_card, proposal
from syncode.services.presence import Presence
from syncode.services.problems import ProblemService
from syncode.services.users import UserCard
from syncode.tasks import BackgroundTasks

log = logging.getLogger("syncode.matchmaking")
Doc = dict[str, Any]
BATCH = 64  # proposals written side by side, and announced together
WRITING = 2  # batches being written at once; beyond, pairing waits (and the next batch is larger)
CREATING_GRACE_SEC = 10.0  # a room not made this long after both accepted is made by the sweep
CATALOG_SEC = 10.0  # how long passes reuse the problem catalog one of them read
RELOAD_SEC = 60.0  # how often the store's mirror of the queue is read again (for changes made elsewhere)


def choose_problem(pair: tuple[Seeker, Seeker], catalog: list[Doc]) -> Doc | None:
    a, b = pair
    return rules.choose_problem(catalog, a.prefs, b.prefs, a.solved | b.solved)


def new_match(pair: tuple[Seeker, Seeker], problem: Doc | None, now: datetime, ttl: float) -> Doc:
    older, newer = pair
    roles = rules.assign_roles(older, newer)
    return {
        "_id": new_id(),
        "userIds": [older.user_id, newer.user_id],
        "roles": {older.user_id: roles[0], newer.user_id: roles[1]},
        "language": rules.choose_language(older.prefs, newer.prefs),
        "problem": problem_card(problem),
        "accepted": [],
        "state": PROPOSED,
        "createdAt": now,
        "updatedAt": now,
        "expiresAt": now + timedelta(seconds=ttl),
    }


def batches(items: list[Any], size: int) -> Iterable[list[Any]]:
    return (items[i : i + size] for i in range(0, len(items), size))


class MatchEngine:
    def __init__(
        self,
        settings: Settings,
        store: MatchStore,
        outcomes: Outcomes,
        views: MatchViews,
        problems: ProblemService,
        presence: Presence,
    ) -> None:
        self.settings = settings
        self.store = store
        self.outcomes = outcomes
        self.views = views
        self.problems = problems
        self.presence = presence
        self.started_at = utcnow()
        self._dirty = False
        self._widening = False  # the last pass left users with scores unpaired: their windows widen with time
        self._reloaded_at = self.started_at
        self._problems: tuple[datetime, list[Doc]] | None = None  # (read again after, the catalog)
        self._in_flight: set[str] = set()  # users of the proposals being written
        self._writing: set[asyncio.Future[Any]] = set()
        self._runner: asyncio.Future[Any] | None = None
        self._timer: asyncio.Task[None] | None = None
        self._tasks = BackgroundTasks("matchmaking")

    # -- lifecycle ---------------------------------------------------------------------------------------

    async def start(self) -> None:
        self.started_at = self._reloaded_at = utcnow()
        await self.repair()
        await self.store.load()
        self._timer = asyncio.create_task(self._tick())
        self.kick()

    async def close(self) -> None:
        if self._timer:
            self._timer.cancel()
        self._tasks.cancel()
        await self._tasks.wait()

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(self.settings.match_tick_sec)
            try:
                await self.sweep()
            except Exception:
                log.exception("matchmaking sweep failed")

    # -- pairing -----------------------------------------------------------------------------------------

    def kick(self) -> None:
        """Pair again soon; kicks during a pass make one more pass after it."""
        self._dirty = True
        if self._runner is None or self._runner.done():
            self._runner = self._tasks.spawn(self._run())

    async def _run(self) -> None:
        while self._dirty:
            while len(self._writing) >= WRITING:  # meanwhile entries gather, and the next pass writes them together
                await asyncio.wait(self._writing, return_when=asyncio.FIRST_COMPLETED)
            self._dirty = False
            try:
                await self.run_pass()
            except Exception:
                log.exception("matchmaking pass failed")

    async def run_pass(self) -> int:
        """Pair everyone pairable now, in memory; the proposals are written in the background (their users are
        in flight meanwhile, left out of the next passes), so the next pass need not wait for the database, up to
        WRITING batches at a time. Returns how many pairs were found."""
        now = utcnow()
        seekers = [s for s in self.store.searching() if s.user_id not in self._in_flight]
        window = ScoreWindow(self.settings.match_score_gap, self.settings.match_score_gap_per_sec, now.timestamp())
        pairs = rules.pair_up(seekers, window)
        paired = {s.user_id for pair in pairs for s in pair}
        self._widening = sum(1 for s in seekers if s.user_id not in paired and s.score is not None) >= 2
        if not pairs:
            return 0
        self._in_flight |= paired
        try:
            catalog = await self._catalog(now)
        except BaseException:
            self._in_flight -= paired
            raise
        for batch in batches(pairs, BATCH):
            writing = self._tasks.spawn(self._propose(batch, catalog, now))
            self._writing.add(writing)
            writing.add_done_callback(self._writing.discard)
        return len(pairs)

    async def _catalog(self, now: datetime) -> list[Doc]:
        """The problems to choose from, read again after a few seconds."""
        if self._problems is None or now >= self._problems[0]:
            self._problems = (now + timedelta(seconds=CATALOG_SEC), await self.problems.catalog())
        return self._problems[1]

    async def _propose(self, pairs: list[tuple[Seeker, Seeker]], catalog: list[Doc], now: datetime) -> None:
        """Claim both entries of each pair (only if unchanged since the pass read them) while writing the
        proposals; a proposal whose claim failed is undone (the entry claimed goes back to its place) and removed.
        Until its proposal is written, a claimed user reads as searching; after a crash, start-up repairs it."""
        users, failed = {s.user_id for pair in pairs for s in pair}, []
        try:
            ttl = self.settings.match_proposal_ttl_sec
            matches = [new_match(pair, choose_problem(pair, catalog), now, ttl) for pair in pairs]
            claims = {m["_id"]: pair for m, pair in zip(matches, pairs, strict=True)}
            _, made, cards = await asyncio.gather(
                self.store.insert_matches(matches), self.store.claim(claims), self.views.cards(list(users))
            )
            failed = [m for m in matches if m["_id"] not in made]
            for match in failed:
                for user_id in match["userIds"]:
                    await self.store.requeue(user_id, match["_id"], now)
            await self.store.delete_matches([m["_id"] for m in failed])
            self._announce([m for m in matches if m["_id"] in made], pairs, cards)
        finally:
            self._in_flight -= users
        if failed:
            self.kick()  # the users a lost claim freed are paired again

    def _announce(self, matches: list[Doc], pairs: list[tuple[Seeker, Seeker]], cards: dict[str, UserCard]) -> None:
        solved = {s.user_id: set(s.solved) for pair in pairs for s in pair}
        for match in matches:
            for user_id in match["userIds"]:
                view = proposal(match, user_id, cards, solved)
                notify(self.outcomes.bus, user_id, "match.proposed", view.to_json())

    # -- the timer's work --------------------------------------------------------------------------------

    async def sweep(self) -> None:
        """Expire due proposals, settle what was left unsettled, drop silent entries, make rooms left unmade."""
        now = utcnow()
        requeued = False
        for match_id in await self.store.due(now):
            ended = await self.store.end(match_id, EXPIRED, now)
            if ended is not None:
                requeued |= await self.outcomes.settle(ended)
        for match in await self.store.unsettled():  # a process stopped while settling them
            requeued |= await self.outcomes.settle(match)
        await self._drop_silent(now)
        if now - self._reloaded_at > timedelta(seconds=RELOAD_SEC):
            self._reloaded_at = now
            await self.store.load()
        for match in await self.store.creating_since(now - timedelta(seconds=CREATING_GRACE_SEC)):
            await self.outcomes.open_room(match)
        if requeued or self._widening:
            self.kick()

    async def _drop_silent(self, now: datetime) -> None:
        """Entries without a status poll for the queue TTL leave the queue, unless their user has an /api/ws
        connection open. After a start, everyone first gets a full TTL to come back."""
        ttl = timedelta(seconds=self.settings.match_queue_ttl_sec)
        if now - self.started_at < ttl:
            return
        silent = self.store.silent_since(now - ttl)
        online = [u for u in silent if self.presence.is_online(u)]
        await self.store.heartbeats(online, now)
        for user_id in silent:
            if user_id not in online:
                await self.store.drop_silent(user_id, now - ttl)

    async def repair(self) -> None:
        """At start: a proposal a stopped pass left half made (one entry claimed, not the other) is undone."""
        claimed: dict[str, list[str]] = defaultdict(list)
        for entry in await self.store.proposed_entries():
            claimed[entry["matchId"]].append(entry["_id"])
        matches = await self.store.matches(list(claimed))
        now = utcnow()
        for match_id, user_ids in claimed.items():
            match = matches.get(match_id)
            if match is None or (match["state"] == PROPOSED and len(user_ids) < len(match["userIds"])):
                for user_id in user_ids:
                    await self.store.requeue(user_id, match_id, now)
                await self.store.delete_matches([match_id])
