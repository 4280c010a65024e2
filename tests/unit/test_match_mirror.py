"""The in-memory mirror of the searching queue (syncode/matchmaking/mirror.py): order, positions, heartbeats, and a
reload that keeps what changed while it read the database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from syncode.matchmaking.mirror import SearchingMirror

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def entry(user_id: str, second: int, state: str = "searching", **extra) -> dict:
    prefs = {"languages": ["go"], "difficulties": [], "topics": [], "roles": ["candidate"]}
    at = T0 + timedelta(seconds=second)
    return {
        "_id": user_id,
        "state": state,
        "queuedAt": at,
        "heartbeatAt": at,
        "prefs": prefs,
        "rev": f"r-{user_id}",
    } | extra


def test_longest_waiting_first_and_positions() -> None:
    mirror = SearchingMirror()
    for user_id, second in (("c", 30), ("a", 10), ("b", 20)):
        mirror.put(entry(user_id, second))
    assert [s.user_id for s in mirror.seekers()] == ["a", "b", "c"]
    assert mirror.position(T0 + timedelta(seconds=20)) == 2
    assert mirror.seekers()[0].prefs.languages == ("go",) and mirror.seekers()[0].rev == "r-a"


def test_an_entry_no_longer_searching_is_forgotten() -> None:
    mirror = SearchingMirror()
    mirror.put(entry("a", 1, solved=["p1"]))
    assert "a" in mirror and mirror.seekers()[0].solved == frozenset({"p1"})
    mirror.put(entry("a", 1, state="proposed"))
    assert "a" not in mirror and len(mirror) == 0


def test_heartbeats_decide_who_is_silent() -> None:
    mirror = SearchingMirror()
    mirror.put(entry("a", 0))
    mirror.put(entry("b", 0))
    mirror.beat("b", T0 + timedelta(seconds=100))
    mirror.beat("ghost", T0)  # not searching: nothing to do
    assert mirror.silent_since(T0 + timedelta(seconds=50)) == ["a"]


def test_a_reload_keeps_the_changes_made_while_it_read() -> None:
    mirror = SearchingMirror()
    mirror.put(entry("stale", 1))
    mirror.put(entry("leaving", 2))
    mirror.reload_started()
    mirror.put(entry("new", 5))  # entered while the database was read
    mirror.forget("leaving")  # claimed meanwhile
    mirror.reloaded([entry("other", 3), entry("leaving", 2)])  # the read missed both changes
    assert [s.user_id for s in mirror.seekers()] == ["other", "new"]
