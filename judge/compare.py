"""Output comparison: `lines` (default), `tokens`, or `float` (numbers within a tolerance, other tokens exact)."""

from __future__ import annotations

import math

from judge.models import Comparison


def outputs_match(
    actual: str, expected: str, comparison: Comparison = "lines", abs_tol: float = 1e-6, rel_tol: float = 1e-6
) -> bool:
    if comparison == "lines":
        # Most answers match byte for byte, or but for the final newline: those cost a comparison at C speed,
        # not a Python pass over every line (which holds the GIL from the server's event loop).
        if actual == expected or actual.rstrip() == expected.rstrip():
            return True
        return normalized_lines(actual) == normalized_lines(expected)
    actual_tokens, expected_tokens = actual.split(), expected.split()
    if len(actual_tokens) != len(expected_tokens):
        return False
    if comparison == "tokens":
        return actual_tokens == expected_tokens
    return all(tokens_close(a, e, abs_tol, rel_tol) for a, e in zip(actual_tokens, expected_tokens, strict=True))


def normalized_lines(text: str) -> list[str]:
    """Lines without trailing whitespace, without trailing blank lines (CRLF counts as LF)."""
    lines = [line.rstrip() for line in text.splitlines()]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def tokens_close(actual: str, expected: str, abs_tol: float, rel_tol: float) -> bool:
    try:
        a, e = float(actual), float(expected)
    except ValueError:
        return actual == expected
    if math.isnan(a) or math.isnan(e):
        return math.isnan(a) and math.isnan(e)
    return math.isclose(a, e, rel_tol=rel_tol, abs_tol=abs_tol)
