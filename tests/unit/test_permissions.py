"""The capability table of syncode/services/permissions.py: expectations derived from the table itself."""

from __future__ import annotations

import itertools

import pytest

from syncode.errors import Forbidden
from syncode.services.permissions import (
    CODERS,
    CONTROL,
    EVERYONE,
    GUIDE,
    HOST_CAPABILITIES,
    HOST_ONLY,
    PEER_ONLY,
    ROLE_CAPABILITIES,
    Cap,
    capabilities,
    require,
)

ROLES = sorted(ROLE_CAPABILITIES)
MODES = ("peer", "ai")
CASES = list(itertools.product(ROLES, (False, True), MODES))


@pytest.mark.parametrize(("role", "is_host", "mode"), CASES)
def test_capabilities_follow_the_table(role: str, is_host: bool, mode: str) -> None:
    expected = ROLE_CAPABILITIES[role] | (HOST_CAPABILITIES if is_host else set())
    if mode != "peer":
        expected -= PEER_ONLY
    assert capabilities(role, is_host, mode) == expected


@pytest.mark.parametrize(("is_host", "mode"), list(itertools.product((False, True), MODES)))
def test_no_role_means_no_capability(is_host: bool, mode: str) -> None:
    """Not a participant (left, kicked): nothing, not even view, even for the room's host."""
    assert capabilities(None, is_host, mode) == set()


def test_an_unknown_role_is_an_error_not_an_empty_grant() -> None:
    with pytest.raises(KeyError):
        capabilities("spectator", False, "peer")


@pytest.mark.parametrize(("role", "is_host", "mode"), CASES)
def test_every_participant_can_see_leave_chat_and_talk(role: str, is_host: bool, mode: str) -> None:
    assert capabilities(role, is_host, mode) >= EVERYONE


@pytest.mark.parametrize("role", ROLES)
def test_host_only_capabilities_come_from_hosting_alone(role: str) -> None:
    for mode in MODES:
        assert not capabilities(role, False, mode) & HOST_ONLY
        assert capabilities(role, True, mode) >= HOST_ONLY | CONTROL


def test_who_codes_and_who_controls_without_hosting() -> None:
    coders = {role for role in ROLES if capabilities(role, False, "peer") >= CODERS}
    controllers = {role for role in ROLES if capabilities(role, False, "peer") >= CONTROL}
    assert coders == {"interviewer", "candidate"}
    assert controllers == {"interviewer"}
    observer = capabilities("observer", False, "peer")
    assert observer == EVERYONE and not observer & {Cap.run, Cap.submit, Cap.analyze, Cap.role_swap}


def test_ai_mode_drops_only_the_peer_only_capabilities() -> None:
    for role, is_host in itertools.product(ROLES, (False, True)):
        assert capabilities(role, is_host, "peer") - capabilities(role, is_host, "ai") == (
            capabilities(role, is_host, "peer") & PEER_ONLY
        )


def test_only_a_peer_interviewer_reads_the_guide_and_reveals_hints() -> None:
    """By role alone: a host who is the candidate or an observer never gets the guide; in ai mode nobody does."""
    assert PEER_ONLY >= GUIDE == {Cap.read_guide, Cap.reveal_hint}
    for is_host, mode in itertools.product((False, True), MODES):
        readers = {role for role in ROLES if capabilities(role, is_host, mode) & GUIDE}
        assert readers == ({"interviewer"} if mode == "peer" else set())
    assert not HOST_CAPABILITIES & GUIDE


def test_every_capability_is_granted_somewhere() -> None:
    granted = set().union(*(capabilities(role, is_host, mode) for role, is_host, mode in CASES))
    assert granted == set(Cap)


def test_capabilities_returns_a_copy_of_the_table() -> None:
    before = {role: set(caps) for role, caps in ROLE_CAPABILITIES.items()}
    capabilities("candidate", True, "peer").clear()
    capabilities("observer", False, "ai").add(Cap.destroy)
    assert before == ROLE_CAPABILITIES


def test_require_passes_a_held_capability() -> None:
    assert require({Cap.view, Cap.run}, Cap.run) is None


def test_require_refuses_a_missing_one_by_name() -> None:
    with pytest.raises(Forbidden) as refused:
        require(capabilities("observer", False, "peer"), Cap.advance_phase)
    assert refused.value.status == 403 and refused.value.code == "FORBIDDEN"
    assert refused.value.message == "your role in this room does not allow advance phase"


def test_require_on_no_capabilities_refuses_everything() -> None:
    for cap in Cap:
        with pytest.raises(Forbidden):
            require(set(), cap)
