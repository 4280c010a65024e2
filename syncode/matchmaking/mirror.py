"""The searching queue in memory: what the store knows of its searching entries, so that a pairing pass, a queue
position or a heartbeat check does not read the whole queue from the database (2,000 entries cost the embedded
database 80 ms a read). No I/O: the store updates it after each of its writes, reloads it at start and now and
then (changes made behind its back), and corrects an entry whenever a conditional write finds it out of date."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from syncode.matchmaking.rules import Preferences, Seeker

Doc = dict[str, Any]


def seeker_of(entry: Doc) -> Seeker:
    """A searching entry of `matchQueue` as pairing sees it."""
    prefs = Preferences.of(entry["prefs"])
    solved = frozenset(entry.get("solved") or ())
    return Seeker(entry["_id"], entry["queuedAt"].timestamp(), prefs, entry.get("score"), entry["rev"], solved)


class SearchingMirror:
    def __init__(self) -> None:
        self._seekers: dict[str, Seeker] = {}
        self._heartbeats: dict[str, datetime] = {}
        self._touched: set[str] | None = None  # users changed while a reload is reading the database

    def put(self, entry: Doc) -> None:
        """The user's entry as just written or read: kept while searching, forgotten otherwise."""
        if entry.get("state") != "searching":
            self.forget(entry["_id"])
            return
        self._seekers[entry["_id"]] = seeker_of(entry)
        self._heartbeats[entry["_id"]] = entry["heartbeatAt"]
        self._touch(entry["_id"])

    def forget(self, user_id: str) -> None:
        self._seekers.pop(user_id, None)
        self._heartbeats.pop(user_id, None)
        self._touch(user_id)

    def beat(self, user_id: str, now: datetime) -> None:
        if user_id in self._heartbeats:
            self._heartbeats[user_id] = now

    def _touch(self, user_id: str) -> None:
        if self._touched is not None:
            self._touched.add(user_id)

    def seekers(self) -> list[Seeker]:
        """Longest-waiting first."""
        return sorted(self._seekers.values(), key=lambda s: (s.waiting_since, s.user_id))

    def __contains__(self, user_id: str) -> bool:
        return user_id in self._seekers

    def __len__(self) -> int:
        return len(self._seekers)

    def position(self, queued_at: datetime) -> int:
        """1 + the number of users searching who entered earlier."""
        since = queued_at.timestamp()
        return 1 + sum(1 for s in self._seekers.values() if s.waiting_since < since)

    def silent_since(self, cutoff: datetime) -> list[str]:
        return [user_id for user_id, beat in self._heartbeats.items() if beat < cutoff]

    # -- reloading ---------------------------------------------------------------------------------------

    def reload_started(self) -> None:
        self._touched = set()

    def reloaded(self, entries: list[Doc]) -> None:
        """The searching entries as read from the database; those changed during the read keep what they became."""
        touched, self._touched = self._touched or set(), None
        kept = {u: (self._seekers[u], self._heartbeats[u]) for u in touched if u in self._seekers}
        self._seekers = {e["_id"]: seeker_of(e) for e in entries if e["_id"] not in touched}
        self._heartbeats = {e["_id"]: e["heartbeatAt"] for e in entries if e["_id"] not in touched}
        for user_id, (seeker, beat) in kept.items():
            self._seekers[user_id], self._heartbeats[user_id] = seeker, beat
