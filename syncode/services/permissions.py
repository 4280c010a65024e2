"""Who may do what in a room: one table, used by every room handler and exposed as `myCapabilities`."""

from __future__ import annotations

from enum import Enum

from syncode.enums import Mode, Role
from syncode.errors import Forbidden


class Cap(str, Enum):
    view = "view"
    leave = "leave"
    chat = "chat"
    run = "run"
    submit = "submit"
    analyze = "analyze"
    advance_phase = "advance_phase"
    select_problem = "select_problem"
    lock_editor = "lock_editor"
    control_timer = "control_timer"
    update_participant = "update_participant"
    update_settings = "update_settings"
    kick = "kick"
    destroy = "destroy"
    role_swap = "role_swap"
    give_feedback = "give_feedback"
    ai_assist = "ai_assist"
    media = "media"
    record = "record"
    read_guide = "read_guide"
    reveal_hint = "reveal_hint"


EVERYONE = {Cap.view, Cap.leave, Cap.chat, Cap.media}
CODERS = {Cap.run, Cap.submit, Cap.analyze, Cap.give_feedback, Cap.ai_assist}
CONTROL = {
    Cap.advance_phase,
    Cap.select_problem,
    Cap.lock_editor,
    Cap.control_timer,
    Cap.update_participant,
    Cap.record,
}
HOST_ONLY = {Cap.update_settings, Cap.kick, Cap.destroy}
# The interviewer's guide to the problem (approach, rubric, solutions) and its hint ladder: by role, never by hosting,
# so a host who is the candidate never reads it. In ai mode nobody does (the AI interviewer uses it).
GUIDE = {Cap.read_guide, Cap.reveal_hint}
PEER_ONLY = {Cap.role_swap, Cap.give_feedback} | GUIDE

# Capabilities by room role; the host additionally has CONTROL and HOST_ONLY whatever their role.
ROLE_CAPABILITIES: dict[str, set[Cap]] = {
    Role.interviewer: EVERYONE | CODERS | CONTROL | GUIDE | {Cap.role_swap},
    Role.candidate: EVERYONE | CODERS | {Cap.role_swap},
    Role.observer: set(EVERYONE),
}
HOST_CAPABILITIES = CONTROL | HOST_ONLY


def capabilities(role: str | None, is_host: bool, mode: str) -> set[Cap]:
    if role is None:
        return set()
    caps = set(ROLE_CAPABILITIES[role])
    if is_host:
        caps |= HOST_CAPABILITIES
    if mode != Mode.peer:  # no role swaps, peer feedback or human interviewer's guide with an AI interviewer
        caps -= PEER_ONLY
    return caps


def require(caps: set[Cap], needed: Cap) -> None:
    if needed not in caps:
        raise Forbidden(f"your role in this room does not allow {needed.value.replace('_', ' ')}", "FORBIDDEN")
