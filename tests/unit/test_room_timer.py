"""Phase timer arithmetic (syncode/services/room_timer.py): elapsed time across pauses, deadlines, the client view."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from syncode.services import room_timer

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
DURATIONS = {"warmupSec": 300, "codingSec": 60, "wrapupSec": 120}


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_start_phase_runs_from_now_with_nothing_elapsed() -> None:
    timer = room_timer.start_phase("coding", T0)
    assert timer == {"phase": "coding", "phaseStartedAt": T0, "runningSince": T0, "elapsedMs": 0, "paused": False}
    assert room_timer.elapsed_ms(timer, T0) == 0
    assert room_timer.elapsed_ms(timer, at(1.5)) == 1500
    assert room_timer.elapsed_ms(timer, at(0.0009)) == 0  # whole milliseconds, rounded down


def test_pause_freezes_elapsed_time_and_resume_continues_it() -> None:
    running = room_timer.start_phase("coding", T0)
    paused = room_timer.pause(running, at(2))
    assert paused["paused"] is True and paused["runningSince"] is None and paused["elapsedMs"] == 2000
    assert room_timer.elapsed_ms(paused, at(100)) == 2000  # time does not pass while paused
    assert room_timer.pause(paused, at(50)) == paused  # pausing twice changes nothing
    resumed = room_timer.resume(paused, at(10))
    assert resumed["paused"] is False and resumed["runningSince"] == at(10) and resumed["elapsedMs"] == 2000
    assert room_timer.elapsed_ms(resumed, at(11)) == 3000
    assert resumed["phaseStartedAt"] == T0  # the phase still started when it started
    assert running == room_timer.start_phase("coding", T0)  # the functions return new timers


def test_elapsed_time_accumulates_over_several_pauses() -> None:
    timer = room_timer.pause(room_timer.start_phase("coding", T0), at(3))
    timer = room_timer.pause(room_timer.resume(timer, at(10)), at(13))
    timer = room_timer.pause(room_timer.resume(timer, at(20)), at(23))
    assert timer["elapsedMs"] == 9000  # 3 s of every 10
    assert room_timer.elapsed_ms(room_timer.resume(timer, at(30)), at(30.25)) == 9250


def test_a_paused_timer_ignores_a_leftover_running_since() -> None:
    timer = {**room_timer.start_phase("coding", T0), "paused": True, "elapsedMs": 700}
    assert room_timer.elapsed_ms(timer, at(60)) == 700


@pytest.mark.parametrize(
    ("phase", "seconds"),
    [("warmup", 300), ("coding", 60), ("wrapup", 120), ("waiting", None), ("finished", None), ("unknown", None)],
)
def test_duration_of_each_phase(phase: str, seconds: int | None) -> None:
    assert room_timer.duration_sec(phase, DURATIONS) == seconds


def test_duration_missing_from_the_settings_is_none() -> None:
    assert room_timer.duration_sec("coding", {"warmupSec": 300}) is None


def test_deadline_is_start_plus_duration() -> None:
    timer = room_timer.start_phase("coding", T0)
    assert room_timer.deadline(timer, DURATIONS) == at(60)


def test_a_pause_moves_the_deadline_by_its_length() -> None:
    timer = room_timer.pause(room_timer.start_phase("coding", T0), at(20))
    assert room_timer.deadline(timer, DURATIONS) is None  # no deadline while paused
    timer = room_timer.resume(timer, at(50))  # paused for 30 s
    assert room_timer.deadline(timer, DURATIONS) == at(90)


@pytest.mark.parametrize("phase", ["waiting", "finished"])
def test_untimed_phases_have_no_deadline(phase: str) -> None:
    assert room_timer.deadline(room_timer.start_phase(phase, T0), DURATIONS) is None


def test_deadline_without_a_duration_setting_is_none() -> None:
    assert room_timer.deadline(room_timer.start_phase("coding", T0), {}) is None


def test_view_of_a_running_timer() -> None:
    view = room_timer.view(room_timer.start_phase("coding", T0), DURATIONS, at(59.5))
    assert (view.phase, view.paused, view.elapsed_sec, view.remaining_sec) == ("coding", False, 59, 1)
    assert (view.phase_started_at, view.phase_deadline) == (T0, at(60))


def test_view_of_a_paused_timer() -> None:
    timer = room_timer.pause(room_timer.start_phase("warmup", T0), at(100.9))
    view = room_timer.view(timer, DURATIONS, at(1000))
    assert (view.paused, view.elapsed_sec, view.remaining_sec, view.phase_deadline) == (True, 100, 200, None)


def test_view_past_the_deadline_has_nothing_remaining() -> None:
    view = room_timer.view(room_timer.start_phase("coding", T0), DURATIONS, at(75))
    assert (view.elapsed_sec, view.remaining_sec, view.phase_deadline) == (75, 0, at(60))


def test_view_of_an_untimed_phase_counts_up_only() -> None:
    view = room_timer.view(room_timer.start_phase("waiting", T0), DURATIONS, at(42))
    assert (view.phase, view.elapsed_sec, view.remaining_sec, view.phase_deadline) == ("waiting", 42, None, None)
