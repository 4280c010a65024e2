"""The solution-leak guard: does a reply hand over the problem's reference solution?

Code is compared as token shingles (runs of SHINGLE tokens; names of variables become one placeholder, so a renamed
copy still matches; keywords, builtins and operators stay). What the candidate already has (the starter code, in
every language, and their own current code) is not secret, so quoting it back is no leak. A reply leaks when one
of its code segments is mostly secret reference code (at least `threshold` of its shingles, and MIN_SHINGLES of
them), or when the reply as a whole covers `threshold` of a reference solution's secret shingles.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Iterable
from dataclasses import dataclass

SHINGLE = 6
MIN_SHINGLES = 8
TOKEN = re.compile(
    r"\"(?:\\.|[^\"\\\n])*\"|'(?:\\.|[^'\\\n])*'|[A-Za-z_]\w*|\d+(?:\.\d+)?|==|!=|<=|>=|->|=>|::|\+=|-=|&&|\|\||\S"
)
FENCE = re.compile(r"```[^\n]*\n(.*?)(?:```|$)", re.S)
INLINE = re.compile(r"`([^`\n]{12,})`")
CODE_LINE = re.compile(r"^\s{2,}\S|[;{}]\s*$|^\s*(def|for|while|if|return|int|let|var|const|fn|func)\b.*[:({=]")
# Names kept as themselves: keywords of the 8 languages and the builtins solutions lean on.
KEPT = set(keyword.kwlist) | {
    "int", "long", "double", "float", "char", "bool", "auto", "void", "const", "let", "var", "fn", "func",
    "function", "struct", "class", "public", "static", "new", "vector", "map", "set", "unordered_map",
    "unordered_set", "HashMap", "HashSet", "Map", "Set", "Vec", "len", "range", "print", "println", "enumerate",
    "sorted", "sort", "min", "max", "abs", "sum", "append", "push", "push_back", "pop", "get", "dict", "list",
    "size", "length", "make", "string", "str", "cout", "cin", "printf", "console", "log", "std", "usize", "i64",
}  # fmt: skip


def tokens(code: str) -> list[str]:
    out = []
    for token in TOKEN.findall(code):
        if token[0] in "\"'":
            out.append("STR")
        elif token[0].isalpha() or token[0] == "_":
            out.append(token if token in KEPT else "ID")
        else:
            out.append(token)
    return out


def shingles(code: str) -> set[tuple[str, ...]]:
    found = tokens(code)
    return {tuple(found[i : i + SHINGLE]) for i in range(len(found) - SHINGLE + 1)}


def code_segments(text: str) -> list[str]:
    """The code in a reply: fenced blocks and long inline spans, else runs of lines that look like code."""
    fenced = FENCE.findall(text) + INLINE.findall(text)
    if fenced:
        return fenced
    segments, current = [], []
    for line in text.splitlines():
        if CODE_LINE.search(line):
            current.append(line)
        elif current:
            segments.append("\n".join(current))
            current = []
    if current:
        segments.append("\n".join(current))
    return segments


@dataclass(frozen=True)
class Verdict:
    leaks: bool
    score: float  # the largest share found (of a segment's shingles, or of a solution's secret shingles)


class LeakGuard:
    """Built once per answer from the problem's reference solutions and what the candidate may see."""

    def __init__(self, references: Iterable[str], known: Iterable[str], threshold: float) -> None:
        public: set[tuple[str, ...]] = set()
        for code in known:
            public |= shingles(code)
        self.secrets = [secret for code in references if (secret := shingles(code) - public)]
        self.threshold = threshold

    def check(self, text: str) -> Verdict:
        if not self.secrets or not text:
            return Verdict(False, 0.0)
        best = 0.0
        everything: set[tuple[str, ...]] = set()
        for segment in [*code_segments(text), text]:
            mine = shingles(segment)
            everything |= mine
            for secret in self.secrets:
                shared = len(mine & secret)
                if shared >= MIN_SHINGLES and segment is not text:
                    best = max(best, shared / len(mine))
        for secret in self.secrets:
            shared = len(everything & secret)
            if shared >= MIN_SHINGLES:
                best = max(best, shared / len(secret))
        return Verdict(best >= self.threshold, round(best, 3))

    def leaks(self, *texts: str | None) -> bool:
        return any(self.check(text).leaks for text in texts if text)
