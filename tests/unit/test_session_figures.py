"""Pure parts of session history: coding time from a timeline, the best verdict (syncode/sessions/timeline.py), and
the whiteboard's shape checks and drawing (syncode/sessions/whiteboard.py)."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta

import pytest
from pycrdt import Doc, Map

from syncode.sessions import whiteboard
from syncode.sessions.timeline import best_verdict, coding_seconds

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def phase(seconds: float, to: str) -> dict:
    return {"type": "phase_changed", "at": at(seconds), "data": {"to": to}}


def timer(seconds: float, kind: str) -> dict:
    return {"type": f"timer_{kind}", "at": at(seconds), "data": {}}


def test_coding_time_leaves_out_other_phases_and_pauses() -> None:
    events = [
        phase(0, "warmup"),
        timer(10, "paused"),  # a pause in warmup does not carry into coding: a phase starts its timer afresh
        phase(100, "coding"),
        {"type": "run", "at": at(150), "data": {}},
        timer(200, "paused"),
        timer(260, "resumed"),
        timer(300, "paused"),
        phase(400, "wrapup"),  # unpauses, but wrapup time does not count
        phase(500, "finished"),
    ]
    assert coding_seconds(events, at(1000)) == 100 + 40
    assert coding_seconds(events[:5], at(230)) == 100  # paused now
    assert coding_seconds(events[:3], at(130.9)) == 30  # still coding: counted up to `until`, whole seconds
    assert coding_seconds([], at(10)) == 0


def test_best_verdict() -> None:
    def sub(seconds: float, verdict: str | None, passed: int) -> dict:
        return {"createdAt": at(seconds), "verdict": verdict, "passed": passed}

    assert best_verdict([]) is None
    assert best_verdict([sub(1, None, 0), sub(2, "internal_error", 0)]) is None
    assert best_verdict([sub(1, "accepted", 4), sub(2, "wrong_answer", 3)]) == "accepted"
    assert best_verdict([sub(1, "wrong_answer", 3), sub(2, "runtime_error", 1)]) == "wrong_answer"
    assert best_verdict([sub(2, "time_limit_exceeded", 3), sub(1, "wrong_answer", 3)]) == "time_limit_exceeded"


def board(**entries: object) -> bytes:
    doc = Doc()
    shapes = doc.get("whiteboard", type=Map)
    for key, value in entries.items():
        shapes[key] = value
    return doc.get_update()


def test_malformed_shapes_are_left_out() -> None:
    state = board(
        ok={"type": "line", "x": 1, "y": 2, "points": [[0, 0], [3, 4]]},
        unknown={"type": "star", "x": 0, "y": 0, "w": 1, "h": 1},
        text_x={"type": "rect", "x": "1", "y": 2, "w": 3, "h": 4},
        huge={"type": "rect", "x": 1e300, "y": 0, "w": 1, "h": 1},
        sizeless={"type": "ellipse", "x": 0, "y": 0},
        bad_points={"type": "line", "x": 0, "y": 0, "points": [[0, "a"]]},
        empty_text={"type": "text", "x": 0, "y": 0, "text": ""},
        scalar=5,
    )
    shapes = whiteboard.shapes_of_state(state)
    assert [s.id for s in shapes] == ["ok"] and shapes[0].points == [(0, 0), (3, 4)]
    assert whiteboard.shapes_of_state(Doc().get_update()) == []


def test_svg_escapes_text_ids_and_refuses_foreign_paint() -> None:
    state = board(
        **{
            'a"><script>': {"type": "text", "x": 0, "y": 0, "text": '1 < 2 && \x00 "q"\nnext', "fill": "red"},
            "b": {"type": "rect", "x": 0, "y": 0, "w": -10, "h": 5, "stroke": "url(http://x/y)", "fill": "#abc"},
        }
    )
    svg = whiteboard.render_svg(whiteboard.shapes_of_state(state))
    assert "<script" not in svg and "data-shape='a\"&gt;&lt;script&gt;'" in svg
    assert '1 &lt; 2 &amp;&amp;  "q"</tspan>' in svg and ">next</tspan>" in svg and "\x00" not in svg
    assert '<rect x="-10" y="0" width="10" height="5" stroke="#000000" fill="#abc"' in svg and "url(http" not in svg


def test_png_scaled_to_its_cap_or_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    shapes = whiteboard.shapes_of_state(board(wide={"type": "rect", "x": 0, "y": 0, "w": 20000, "h": 10}))
    png = whiteboard.render_png(shapes)
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and int.from_bytes(png[16:20], "big") <= whiteboard.MAX_PNG_SIDE
    monkeypatch.setitem(sys.modules, "cairosvg", None)  # as when the cairo library cannot be loaded
    with pytest.raises(whiteboard.PngUnavailable):
        whiteboard.render_png(shapes)
