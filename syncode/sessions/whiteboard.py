"""The whiteboard of a session: the room document's `Y.Map('whiteboard')` read from a Yjs state, checked shape by
shape, and drawn as SVG (server-side, every text escaped) or PNG (the SVG through CairoSVG).

Shapes (API.md, Whiteboard): {type: line|rect|ellipse|arrow|text, x, y, w?, h?, points? [[dx, dy]…] (offsets from
(x, y)), stroke?, fill?, text?, authorId}. Entries that do not fit are left out, so a client that wrote a bad
record cannot break the export. Everything here is synchronous and CPU-bound: callers run it off the event loop.
"""

from __future__ import annotations

import math
import re
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from pycrdt import Doc, Map

from syncode.models.sessions import WhiteboardShape

MAX_COORD = 1e6
MAX_POINTS = 10_000
MAX_TEXT = 2_000
MAX_PNG_SIDE = 2048  # pixels; a larger drawing is scaled down (at most 16 MiB of pixels per export)
PADDING = 20
FONT_SIZE = 16
COLOR = re.compile(r"^(#[0-9a-fA-F]{3,8}|[a-zA-Z]{1,30}|rgba?\(\s*[0-9.%,\s]{1,60}\))$")
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")  # characters XML 1.0 cannot hold


class PngUnavailable(Exception):
    """CairoSVG (or the cairo library under it) cannot be loaded here."""


def shapes_of_state(state: bytes) -> list[WhiteboardShape]:
    """The well-formed shapes of the whiteboard in a full Yjs state, ordered by shape id."""
    doc = Doc()
    doc.apply_update(state)
    if "whiteboard" not in doc:
        return []
    entries = doc.get("whiteboard", type=Map).to_py() or {}
    shapes = (shape(key, value) for key, value in sorted(entries.items()))
    return [s for s in shapes if s is not None]


def number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    value = float(value)
    return value if math.isfinite(value) and abs(value) <= MAX_COORD else None


def color(value: Any) -> str | None:
    return value if isinstance(value, str) and COLOR.match(value) else None


def points(value: Any) -> list[tuple[float, float]] | None:
    if not isinstance(value, list) or not 1 <= len(value) <= MAX_POINTS:
        return None
    pairs = [(number(p[0]), number(p[1])) for p in value if isinstance(p, list) and len(p) == 2]
    if len(pairs) != len(value) or any(x is None or y is None for x, y in pairs):
        return None
    return pairs  # type: ignore[return-value]


def shape(shape_id: str, raw: Any) -> WhiteboardShape | None:
    if not isinstance(raw, dict) or raw.get("type") not in ("line", "rect", "ellipse", "arrow", "text"):
        return None
    x, y = number(raw.get("x")), number(raw.get("y"))
    if x is None or y is None:
        return None
    text = raw.get("text")
    author = raw.get("authorId")
    found = WhiteboardShape(
        id=NOT_XML.sub("", shape_id),
        type=raw["type"],
        x=x,
        y=y,
        w=number(raw.get("w")),
        h=number(raw.get("h")),
        points=points(raw.get("points")),
        stroke=color(raw.get("stroke")),
        fill=color(raw.get("fill")),
        text=NOT_XML.sub("", text)[:MAX_TEXT] if isinstance(text, str) else None,
        author_id=author if isinstance(author, str) else None,
    )
    return found if drawable(found) else None


def drawable(s: WhiteboardShape) -> bool:
    if s.type == "text":
        return bool(s.text)
    if s.type in ("line", "arrow"):
        return s.points is not None or (s.w is not None and s.h is not None)
    return s.w is not None and s.h is not None


# -- SVG ------------------------------------------------------------------------------------------------------


def outline(s: WhiteboardShape) -> list[tuple[float, float]]:
    """The absolute points a shape covers (for the drawing's bounds and for lines)."""
    if s.points is not None:
        return [(s.x + dx, s.y + dy) for dx, dy in s.points]
    if s.type == "text":
        lines = (s.text or "").split("\n")
        width = max(len(line) for line in lines) * FONT_SIZE * 0.6
        return [(s.x, s.y - FONT_SIZE), (s.x + width, s.y + FONT_SIZE * (len(lines) - 1) + FONT_SIZE * 0.3)]
    return [(s.x, s.y), (s.x + (s.w or 0), s.y + (s.h or 0))]


def bounds(shapes: list[WhiteboardShape]) -> tuple[float, float, float, float]:
    """(min x, min y, width, height) of the drawing with a margin; a blank board is 400 x 300."""
    corners = [point for s in shapes for point in outline(s)]
    if not corners:
        return 0, 0, 400, 300
    xs, ys = [p[0] for p in corners], [p[1] for p in corners]
    left, top = min(xs) - PADDING, min(ys) - PADDING
    return left, top, max(xs) + PADDING - left, max(ys) + PADDING - top


def paint(s: WhiteboardShape) -> str:
    stroke = quoteattr(s.stroke or "#000000")
    fill = quoteattr(s.fill or "none")
    return f'stroke={stroke} fill={fill} stroke-width="2"'


def element(s: WhiteboardShape) -> str:
    if s.type == "rect":
        x, y = min(s.x, s.x + s.w), min(s.y, s.y + s.h)  # type: ignore[operator]
        return f'<rect x="{x:g}" y="{y:g}" width="{abs(s.w):g}" height="{abs(s.h):g}" {paint(s)}/>'  # type: ignore[arg-type]
    if s.type == "ellipse":
        cx, cy, rx, ry = s.x + s.w / 2, s.y + s.h / 2, abs(s.w / 2), abs(s.h / 2)  # type: ignore[operator]
        return f'<ellipse cx="{cx:g}" cy="{cy:g}" rx="{rx:g}" ry="{ry:g}" {paint(s)}/>'
    if s.type == "text":
        return text_element(s)
    coords = " ".join(f"{x:g},{y:g}" for x, y in outline(s))
    marker = ' marker-end="url(#arrowhead)"' if s.type == "arrow" else ""
    stroke = quoteattr(s.stroke or "#000000")
    return f'<polyline points="{coords}" stroke={stroke} fill="none" stroke-width="2"{marker}/>'


def text_element(s: WhiteboardShape) -> str:
    fill = quoteattr(s.fill or s.stroke or "#000000")
    lines = (s.text or "").split("\n")
    spans = "".join(
        f'<tspan x="{s.x:g}" dy="{0 if i == 0 else FONT_SIZE * 1.2:g}">{escape(line)}</tspan>'
        for i, line in enumerate(lines)
    )
    return f'<text x="{s.x:g}" y="{s.y:g}" font-family="sans-serif" font-size="{FONT_SIZE}" fill={fill}>{spans}</text>'


def render_svg(shapes: list[WhiteboardShape]) -> str:
    left, top, width, height = bounds(shapes)
    body = "\n".join(f"<g data-shape={quoteattr(s.id)}>{element(s)}</g>" for s in shapes)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:g}" height="{height:g}" '
        f'viewBox="{left:g} {top:g} {width:g} {height:g}">\n'
        '<defs><marker id="arrowhead" markerWidth="10" markerHeight="7" refX="10" refY="3.5" orient="auto">'
        '<polygon points="0 0, 10 3.5, 0 7"/></marker></defs>\n'
        f'<rect x="{left:g}" y="{top:g}" width="{width:g}" height="{height:g}" fill="#ffffff"/>\n'
        f"{body}\n</svg>\n"
    )


def render_png(shapes: list[WhiteboardShape]) -> bytes:
    """The drawing as PNG (its SVG through CairoSVG), scaled down to at most MAX_PNG_SIDE pixels a side."""
    try:
        import cairosvg  # loads the cairo system library: absent on some machines
    except (ImportError, OSError) as exc:
        raise PngUnavailable(str(exc)) from None
    _, _, width, height = bounds(shapes)
    scale = min(1.0, MAX_PNG_SIDE / max(width, height, 1))
    return cairosvg.svg2png(bytestring=render_svg(shapes).encode(), scale=scale, unsafe=False)
