"""What the offline AI reads in a candidate's code, in any of the 8 languages, without running it: loops and their
nesting, recursion and memoisation, sorting, hashing, guards for empty input, indexing that assumes a non-empty
input, names, long functions, TODOs; and from these the time and space complexity the loop structure suggests.

Python is read from its syntax tree (pyfacts.py); the other languages, and Python that does not parse, by a
scanner over the code with comments and strings blanked out. Both are heuristics: they name what to look at,
they do not prove anything.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

SUPERSCRIPTS = {2: "²", 3: "³", 4: "⁴"}
FINE_SHORT_NAMES = {"i", "j", "k", "n", "m", "x", "y", "_"}
PLACEHOLDER_NAMES = {"foo", "bar", "baz", "tmp", "temp", "thing", "stuff", "asdf"}
LONG_FUNCTION_LINES = 40
KEYWORDS = {"if", "for", "while", "switch", "catch", "return", "sizeof", "new", "else", "do", "loop", "match"}


@dataclass(frozen=True)
class Loop:
    line: int
    depth: int  # 1: not inside another loop of the same function
    hidden: bool = False  # a linear scan hidden in a call or `in` test, inside a loop


@dataclass
class CodeFacts:
    language: str
    lines: int = 0
    loops: list[Loop] = field(default_factory=list)
    self_calls: dict[str, int] = field(default_factory=dict)  # function -> calls of itself in its body
    memoized: bool = False
    sorts: bool = False
    hashing: bool = False
    empty_guard: bool = False
    first_index: list[int] = field(default_factory=list)  # lines reading xs[0], max(xs), ... (fail when empty)
    short_names: set[str] = field(default_factory=set)
    functions: list[tuple[str, int, int]] = field(default_factory=list)  # (name, first line, length)
    todo_lines: list[int] = field(default_factory=list)
    syntax_error: tuple[int, str] | None = None

    @property
    def max_depth(self) -> int:
        return max((loop.depth for loop in self.loops), default=0)

    @property
    def nested_lines(self) -> list[int]:
        """Lines of the loops (and hidden scans) that run inside another loop."""
        return sorted({loop.line for loop in self.loops if loop.depth >= 2})

    @property
    def recursive(self) -> list[str]:
        return sorted(self.self_calls)

    @property
    def branching_recursion(self) -> bool:
        """A function that calls itself more than once (Fibonacci-like): exponential without memoisation."""
        return any(count >= 2 for count in self.self_calls.values())

    @property
    def long_functions(self) -> list[tuple[str, int, int]]:
        return [f for f in self.functions if f[2] > LONG_FUNCTION_LINES]

    def time(self) -> str:
        if self.branching_recursion and not self.memoized:
            return "O(2^n)"
        depth = self.max_depth
        if depth >= 2:
            return f"O(n{SUPERSCRIPTS.get(depth, f'^{depth}')})"
        return "O(n log n)" if self.sorts else "O(n)"

    def space(self) -> str:
        """Extra space beyond the input."""
        if self.self_calls:
            return "O(n)"  # the call stack, and the memo when there is one
        return "O(n)" if self.hashing else "O(1)"


def bad_name(name: str) -> bool:
    return (len(name) == 1 and name not in FINE_SHORT_NAMES) or name.lower() in PLACEHOLDER_NAMES


def code_facts(language: str, code: str) -> CodeFacts:
    if language == "python":
        from syncode.ai.pyfacts import python_facts  # the tree reader builds on the classes above

        facts = python_facts(code)
        if facts is not None:
            return facts
        return indent_facts(code, syntax_error(code))
    return brace_facts(language, code)


def syntax_error(code: str) -> tuple[int, str] | None:
    try:
        compile(code, "<candidate>", "exec", dont_inherit=True)
    except SyntaxError as exc:
        return exc.lineno or 1, exc.msg
    except (ValueError, RecursionError) as exc:
        return 1, str(exc)
    return None


# -- text scanners --------------------------------------------------------------------------------------------

COMMENTS_AND_STRINGS = re.compile(
    r"//[^\n]*|/\*.*?\*/|#[^\n]*|\"(?:\\.|[^\"\\\n])*\"|'(?:\\.|[^'\\\n]){0,2}'|`(?:\\.|[^`\\])*`", re.S
)
SORTS = re.compile(r"\bsort(ed|_unstable|_by)?\b|\bqsort\b|Arrays\.sort|Collections\.sort|sort\.(Ints|Slice)")
HASHING = re.compile(
    r"HashMap|HashSet|unordered_(map|set)|\b(std::)?(map|set)<|new (Map|Set)\b|make\(map|\bmap\[|\bdict\(|\bset\("
)
MEMO = re.compile(r"memo|cache", re.I)
EMPTY_GUARDS = re.compile(
    r"\.(empty|is_empty|isEmpty)\(\)|\.length\s*(===?|<=?|<)\s*[012]\b|\.size\(\)\s*(==|<=?|<)\s*[012]\b"
    r"|\blen\(\w+\)\s*(==|<=?|<)\s*[012]\b|\b(n|m|len|size|count)\s*(==|<=?|<)\s*[012]\b|!\s*\w+\.length\b"
    r"|\bif\s+not\s+\w+"
)
# Input tokens are indexed from the start whatever the input: only other names count.
INPUT_NAMES = {"data", "tokens", "token", "toks", "args", "argv", "input", "inp", "lines", "line", "parts", "words"}
FIRST_INDEX = re.compile(
    r"\b(?!(?:" + "|".join(INPUT_NAMES) + r")\b)\w+\s*\[\s*[01]\s*\]"
    r"|\.(front|back)\(\)|\.get\(0\)|\.first\(\)\.unwrap\(\)"
)
DECLARED = re.compile(
    r"\b(?:int|long|double|float|char|bool|auto|var|let|const|String|string|usize|i32|i64|u64|def|for)\s+"
    r"(?:mut\s+)?([A-Za-z_]\w*)|\b([A-Za-z_]\w*)\s*:="
)
HEADER = re.compile(r"\b(?:function|fn|func|def)\s+(?:\([^)]*\)\s*)?([A-Za-z_]\w*)")
C_HEADER = re.compile(
    r"^\s*[\w<>\[\],:*&.\s]*?\b([A-Za-z_]\w*)\s*\([^;{}]*\)\s*(?:const\s*)?(?:throws\s+[\w.,\s]+)?\{?\s*$"
)
CONSTANT_BOUND = re.compile(r"<=?\s*\d+\s*;|\bin\s+0\s*\.\.=?\s*\d+\b|\brange\s*\[\d+\]")
TOKENS = re.compile(r"\b(for|while|do|loop)\b|[{}();\n]|\b[A-Za-z_]\w*\b(?=\s*\()")


def blank_out(code: str) -> str:
    """Comments and string literals replaced by spaces (newlines kept, so line numbers stay)."""
    return COMMENTS_AND_STRINGS.sub(lambda m: re.sub(r"[^\n]", " ", m.group()), code)


def text_facts(language: str, code: str) -> tuple[CodeFacts, str]:
    """The facts every scanner finds the same way; returns them and the blanked-out code."""
    plain = blank_out(code)
    facts = CodeFacts(language=language, lines=sum(1 for line in code.splitlines() if line.strip()))
    facts.sorts = bool(SORTS.search(plain))
    facts.hashing = bool(HASHING.search(plain))
    facts.memoized = bool(MEMO.search(plain))
    facts.empty_guard = bool(EMPTY_GUARDS.search(plain))
    for number, line in enumerate(plain.splitlines(), 1):
        if FIRST_INDEX.search(line):
            facts.first_index.append(number)
        for match in DECLARED.finditer(line):
            name = match.group(1) or match.group(2)
            if bad_name(name):
                facts.short_names.add(name)
    facts.todo_lines = [n for n, line in enumerate(code.splitlines(), 1) if "TODO" in line]
    return facts, plain


def header_name(line: str) -> str | None:
    match = HEADER.search(line) or C_HEADER.match(line)
    if match and match.group(1) not in KEYWORDS and not line.lstrip().startswith(tuple(KEYWORDS)):
        return match.group(1)
    return None


@dataclass
class Frame:
    kind: str  # loop | function | block
    line: int
    name: str | None = None


def brace_facts(language: str, code: str) -> CodeFacts:
    facts, plain = text_facts(language, code)
    stack: list[Frame] = []
    line, parens, pending_loop, pending_function = 1, 0, None, None
    lines = plain.splitlines()

    def loop_depth() -> int:
        depth = 0
        for frame in reversed(stack):
            if frame.kind == "function":
                break
            depth += frame.kind == "loop"
        return depth + 1

    for match in TOKENS.finditer(plain):
        token = match.group()
        if token == "\n":
            current = lines[line - 1] if line <= len(lines) else ""
            if "{" not in current and pending_loop is None and (name := header_name(current)):
                pending_function = name  # its body opens on a later line
            line += 1
        elif token in ("for", "while", "do", "loop"):
            pending_loop = line
        elif token == "(":
            parens += 1
        elif token == ")":
            parens = max(0, parens - 1)
        elif token == "{":
            if pending_loop is not None and CONSTANT_BOUND.search(lines[pending_loop - 1]):
                stack.append(Frame("block", line))  # four directions: no extra factor
            elif pending_loop is not None:
                facts.loops.append(Loop(pending_loop, loop_depth()))
                stack.append(Frame("loop", line))
            elif pending_function or (named := header_name(lines[line - 1] if line <= len(lines) else "")):
                stack.append(Frame("function", line, pending_function or named))
            else:
                stack.append(Frame("block", line))
            pending_loop = pending_function = None
        elif token == "}":
            frame = stack.pop() if stack else None
            if frame and frame.kind == "function":
                facts.functions.append((frame.name or "?", frame.line, line - frame.line + 1))
        elif token == ";" and parens == 0 and pending_loop is not None:
            facts.loops.append(Loop(pending_loop, loop_depth()))  # a loop whose body is one statement
            pending_loop = None
        elif token not in (";",):
            _call(facts, stack, token)
    return facts


def _call(facts: CodeFacts, stack: list[Frame], name: str) -> None:
    """A call of `name`: a recursive one when it is the enclosing function's own name."""
    function = next((frame.name for frame in reversed(stack) if frame.kind == "function"), None)
    if function and name == function:
        facts.self_calls[name] = facts.self_calls.get(name, 0) + 1


INDENTED_LOOP = re.compile(r"^(\s*)(for|while)\b")
INDENTED_DEF = re.compile(r"^(\s*)def\s+(\w+)")


def indent_facts(code: str, error: tuple[int, str] | None) -> CodeFacts:
    """Python that does not parse: loops by indentation."""
    facts, plain = text_facts("python", code)
    facts.syntax_error = error
    open_loops: list[int] = []  # indentation of the loops the current line is inside
    for number, line in enumerate(plain.splitlines(), 1):
        if not line.strip():
            continue
        indent = len(line) - len(line.lstrip())
        open_loops = [i for i in open_loops if i < indent]
        if INDENTED_LOOP.match(line):
            open_loops.append(indent)
            facts.loops.append(Loop(number, len(open_loops)))
    return facts
