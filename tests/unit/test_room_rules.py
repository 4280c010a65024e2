"""The pure rules of a room (syncode/rooms/rules.py): presence, roles, transitions, departures, swaps."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from syncode.enums import PHASES, RoomStatus
from syncode.errors import Conflict
from syncode.rooms import rules

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def person(user_id: str, role: str, minutes: int = 0, left: bool = False) -> dict:
    entry = rules.new_participant(user_id, {"username": user_id}, role, T0 + timedelta(minutes=minutes))
    return {**entry, "leftAt": T0 + timedelta(hours=1) if left else None}


def room(*people: dict, host: str = "a", mode: str = "peer") -> dict:
    return {"participants": list(people), "hostId": host, "mode": mode}


def test_present_is_longest_present_first_and_skips_those_who_left() -> None:
    r = room(person("b", "candidate", 5), person("a", "interviewer", 1), person("c", "observer", 0, left=True))
    assert [p["userId"] for p in rules.present(r)] == ["a", "b"]
    assert rules.member(r, "c") is None and rules.member(r, None) is None
    assert rules.member(r, "b")["role"] == "candidate"


@pytest.mark.parametrize(
    "mode,roles,allowed",
    [
        ("peer", ["interviewer", "candidate", "observer", "observer"], True),
        ("peer", ["interviewer", "interviewer"], False),
        ("peer", ["candidate", "candidate"], False),
        ("ai", ["candidate", "observer"], True),
        ("ai", ["interviewer"], False),
    ],
)
def test_role_limits(mode: str, roles: list[str], allowed: bool) -> None:
    people = [{"role": r} for r in roles]
    if allowed:
        rules.check_roles(mode, people)
    else:
        with pytest.raises(Conflict) as caught:
            rules.check_roles(mode, people)
        assert caught.value.code == "ROLE_TAKEN"


def test_a_newcomer_gets_the_first_free_role() -> None:
    assert rules.free_role("peer", [{"role": "interviewer"}]) == "candidate"
    assert rules.free_role("peer", [{"role": "candidate"}]) == "interviewer"
    assert rules.free_role("peer", [{"role": "candidate"}, {"role": "interviewer"}]) == "observer"
    assert rules.free_role("ai", [{"role": "candidate"}]) == "observer"
    assert rules.host_role("peer") == "interviewer" and rules.host_role("ai") == "candidate"


def test_phases_move_one_step_forward_or_finish() -> None:
    for current, following in itertools.pairwise(PHASES):
        rules.check_transition(current, following)
        assert rules.next_phase(current) == following
    for current in PHASES[:-1]:
        rules.check_transition(current, RoomStatus.finished)
    for current, to in [("waiting", "coding"), ("coding", "warmup"), ("finished", "finished"), ("wrapup", "wrapup")]:
        with pytest.raises(Conflict) as caught:
            rules.check_transition(current, to)
        assert caught.value.details == {"from": current, "to": to}


def test_the_problem_changes_only_before_coding() -> None:
    assert [rules.problem_can_change(p) for p in PHASES] == [True, True, False, False, False]


def test_departure_of_the_host_hands_the_room_to_the_longest_present() -> None:
    r = room(person("a", "interviewer", 0), person("c", "observer", 9), person("b", "candidate", 3))
    changes = rules.departure(r, "a", T0 + timedelta(hours=2), kicked=False)
    assert changes["hostId"] == "b" and "kicked" not in changes
    assert [p["userId"] for p in rules.present({**r, **changes})] == ["b", "c"]


def test_a_kick_is_remembered_and_the_last_one_out_leaves_no_host_change() -> None:
    r = room(person("a", "interviewer"), person("b", "candidate", 1))
    kicked = rules.departure(r, "b", T0, kicked=True)
    assert kicked["kicked"] == ["b"] and "hostId" not in kicked
    alone = room(person("a", "interviewer"))
    assert "hostId" not in rules.departure(alone, "a", T0, kicked=False)


def test_a_swap_trades_interviewer_and_candidate_only() -> None:
    people = [
        person("a", "interviewer"),
        person("b", "candidate"),
        person("c", "observer"),
        person("d", "candidate", 0, True),
    ]
    assert [p["role"] for p in rules.swap_roles(people)] == ["candidate", "interviewer", "observer", "candidate"]


def test_invite_codes_avoid_lookalike_characters() -> None:
    codes = {rules.invite_code() for _ in range(200)}
    assert len(codes) > 190 and all(len(c) == 6 and set(c) <= set(rules.INVITE_ALPHABET) for c in codes)
    assert not set("IL01O") & set(rules.INVITE_ALPHABET)
