"""When pairing happens: a pass after every change to the queue (`kick`: an entry, a requeue) and on a timer, one
pass at a time; the timer also expires unanswered proposals and silent queue entries, and finishes what a stopped
process left half done. What pairs with what is decided by `rules`; every claim is a conditional write, so two
passes (or two processes) can never put a user in two proposals.
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
from syncode.matchmaking.views import MatchViews, problem_card
from syncode.services.presence import Presence
from syncode.services.problems import ProblemService
from syncode.tasks import BackgroundTasks

log = logging.getLogger("syncode.matchmaking")
Doc = dict[str, Any]
BATCH = 64  # proposals written side by side, and announced together
CREATING_GRACE_SEC = 10.0  # a room not made this long after both accepted is made by the sweep
RELOAD_SEC = 60.0  # how often the store's mirror of the queue is read again (for changes made elsewhere)


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
            self._dirty = False
            try:
                await self.run_pass()
            except Exception:
                log.exception("matchmaking pass failed")

    async def run_pass(self) -> int:
        """Pair everyone pairable now; returns how many proposals were made."""
        now = utcnow()
        seekers = self.store.searching()
        window = ScoreWindow(self.settings.match_score_gap, self.settings.match_score_gap_per_sec, now.timestamp())
        pairs = rules.pair_up(seekers, window)
        paired = {s.user_id for pair in pairs for s in pair}
        self._widening = sum(1 for s in seekers if s.user_id not in paired and s.score is not None) >= 2
        if not pairs:
            return 0
        catalog = await self.problems.catalog()
        solved = await self.problems.solved_by(list(paired))
        made = 0
        for batch in batches(pairs, BATCH):
            made += await self._announce(await self._propose(batch, catalog, solved, now))
        if made < len(pairs):
            self._dirty = True  # a claim lost to a change of the queue: the users it freed are paired again
        return made

    async def _propose(
        self, pairs: list[tuple[Seeker, Seeker]], catalog: list[Doc], solved: dict[str, set[str]], now: datetime
    ) -> list[Doc]:
        """Write the proposals, then claim both entries of each (only if unchanged since the pass read them); a
        proposal whose claim fails is undone (the entry claimed goes back to its place) and removed."""
        ttl = self.settings.match_proposal_ttl_sec
        matches = [new_match(pair, self._problem(pair, catalog, solved), now, ttl) for pair in pairs]
        await self.store.insert_matches(matches)
        claims = (
            self.store.claim(m["userIds"], [a.rev, b.rev], m["_id"]) for m, (a, b) in zip(matches, pairs, strict=True)
        )
        claimed = [count == 2 for count in await asyncio.gather(*claims)]
        failed = [m for m, ok in zip(matches, claimed, strict=True) if not ok]
        for match in failed:
            for user_id in match["userIds"]:
                await self.store.requeue(user_id, match["_id"], now)
        await self.store.delete_matches([m["_id"] for m in failed])
        return [m for m, ok in zip(matches, claimed, strict=True) if ok]

    @staticmethod
    def _problem(pair: tuple[Seeker, Seeker], catalog: list[Doc], solved: dict[str, set[str]]) -> Doc | None:
        a, b = pair
        either_solved = solved.get(a.user_id, set()) | solved.get(b.user_id, set())
        return rules.choose_problem(catalog, a.prefs, b.prefs, either_solved)

    async def _announce(self, matches: list[Doc]) -> int:
        if not matches:
            return 0
        for user_id, view in (await self.views.proposals(matches)).items():
            notify(self.outcomes.bus, user_id, "match.proposed", view.to_json())
        return len(matches)

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
