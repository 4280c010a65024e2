"""What the offline AI reads in Python code, from its syntax tree: loops and their nesting (comprehensions and hidden
linear scans such as `x in some_list` inside a loop count), recursion and memoisation, sorting, hashing, guards
for empty input, indexing that assumes a non-empty input, names, long functions. A file that does not parse is
left to the generic scanner (codefacts.py)."""

from __future__ import annotations

import ast

from syncode.ai.codefacts import INPUT_NAMES, CodeFacts, Loop, bad_name

LOOPS = (ast.For, ast.AsyncFor, ast.While)
COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
HASHED_CALLS = {"set", "dict", "defaultdict", "Counter", "frozenset", "OrderedDict"}
MEMO_DECORATORS = {"lru_cache", "cache", "memoize"}
LINEAR_METHODS = {"index", "count", "remove"}
SHRINKING_CALLS = {"max", "min"}  # of an empty sequence: ValueError


def python_facts(code: str) -> CodeFacts | None:
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError):
        return None
    facts = CodeFacts(language="python", lines=sum(1 for line in code.splitlines() if line.strip()))
    visitor = Visitor(facts)
    visitor.visit(tree)
    facts.todo_lines = [n for n, line in enumerate(code.splitlines(), 1) if "TODO" in line]
    return facts


class Visitor(ast.NodeVisitor):
    def __init__(self, facts: CodeFacts) -> None:
        self.facts = facts
        self.depth = 0
        self.functions: list[str] = []
        self.lists: set[str] = set()  # names bound to lists: `x in name` scans them
        self.hashed: set[str] = set()
        self.tokens: set[str] = set()  # names bound to the input read and split
        self.worklists: set[int] = set()  # depths at which a worklist loop's body runs
        self.while_tests: list[set[str]] = []  # names in the conditions of the enclosing while loops

    # -- loops -------------------------------------------------------------------------------------------

    def _loop(self, node: ast.AST, counts: bool = True) -> None:
        """A loop adds a level of nesting unless it is bounded by a constant (four directions) or runs directly
        inside a worklist loop (a BFS's neighbours: every edge once in all, not once per outer round)."""
        counts = counts and self.depth not in self.worklists
        self.depth += counts
        self.facts.loops.append(Loop(node.lineno, max(self.depth, 1)))  # type: ignore[attr-defined]
        self.generic_visit(node)
        self.depth -= counts

    def visit_For(self, node: ast.For | ast.AsyncFor) -> None:
        self._loop(node, counts=not _constant_iterable(node.iter))

    visit_AsyncFor = visit_For  # noqa: N815 - the NodeVisitor naming scheme

    def visit_While(self, node: ast.While) -> None:
        """A loop that drains a stack or queue: inside another loop it is amortised (monotonic stack), and the
        loops in its body are not nested in it (see `_loop`)."""
        names = {n.id for n in ast.walk(node.test) if isinstance(n, ast.Name)}
        if not _pops(node):
            shared = bool(self.while_tests and names & self.while_tests[-1])  # two pointers moving on: amortised
            self.while_tests.append(names)
            self._loop(node, counts=not shared)
            self.while_tests.pop()
            return
        counts = self.depth == 0
        self.depth += counts
        self.facts.loops.append(Loop(node.lineno, max(self.depth, 1)))
        self.worklists.add(self.depth)
        self.generic_visit(node)
        self.worklists.discard(self.depth)
        self.depth -= counts

    def _comprehension(self, node: ast.AST) -> None:
        generators = len(node.generators)  # type: ignore[attr-defined]
        for extra in range(generators):
            self.facts.loops.append(Loop(node.lineno, self.depth + extra + 1))  # type: ignore[attr-defined]
        self.depth += generators
        self.generic_visit(node)
        self.depth -= generators

    visit_ListComp = visit_SetComp = visit_DictComp = visit_GeneratorExp = _comprehension  # noqa: N815

    def _hidden_scan(self, node: ast.AST) -> None:
        """A linear scan inside a loop: one more level of nesting."""
        if self.depth:
            self.facts.loops.append(Loop(node.lineno, self.depth + 1, hidden=True))  # type: ignore[attr-defined]

    def visit_Compare(self, node: ast.Compare) -> None:
        for op, right in zip(node.ops, node.comparators, strict=False):
            if isinstance(op, (ast.In, ast.NotIn)) and self._is_list(right):
                self._hidden_scan(node)
        self.generic_visit(node)

    def _is_list(self, node: ast.AST) -> bool:
        if isinstance(node, ast.Name):
            return node.id in self.lists and node.id not in self.hashed
        return isinstance(node, (ast.List, ast.ListComp)) or (
            isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Slice)
        )

    # -- names and values --------------------------------------------------------------------------------

    def visit_Assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            self._bind(target, node.value)
        self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self._bind(node.target, node.value)
        self.generic_visit(node)

    def _bind(self, target: ast.AST, value: ast.AST) -> None:
        if not isinstance(target, ast.Name):
            return
        if _call_name(value) in {"split", "read", "readline", "readlines", "input"}:
            self.tokens.add(target.id)
        if isinstance(value, (ast.Dict, ast.Set, ast.DictComp, ast.SetComp)) or _call_name(value) in HASHED_CALLS:
            self.hashed.add(target.id)
            self.facts.hashing = True
        elif self._is_list(value) or _call_name(value) in {"list", "sorted"}:
            self.lists.add(target.id)

    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Store) and bad_name(node.id):
            self.facts.short_names.add(node.id)

    def visit_arg(self, node: ast.arg) -> None:
        if bad_name(node.arg):
            self.facts.short_names.add(node.arg)

    # -- calls, guards, indexing -------------------------------------------------------------------------

    def visit_Call(self, node: ast.Call) -> None:
        name = _call_name(node)
        if name in {"sorted", "sort"}:
            self.facts.sorts = True
        if name in HASHED_CALLS:
            self.facts.hashing = True
        if name in SHRINKING_CALLS and len(node.args) == 1 and not node.keywords:
            self.facts.first_index.append(node.lineno)  # max(xs) of an empty xs raises
        if isinstance(node.func, ast.Attribute) and node.func.attr in LINEAR_METHODS:
            self._hidden_scan(node)
        if isinstance(node.func, ast.Attribute) and node.func.attr in {"pop", "insert"} and _first_arg_zero(node):
            self._hidden_scan(node)
        if self.functions and name == self.functions[-1]:
            self.facts.self_calls[name] = self.facts.self_calls.get(name, 0) + 1
        self.generic_visit(node)

    def visit_Subscript(self, node: ast.Subscript) -> None:
        index = node.slice
        base = _name_of(node.value)
        inputs = base in INPUT_NAMES or base in self.tokens
        if isinstance(index, ast.Constant) and index.value in (0, 1, -1) and not inputs:
            self.facts.first_index.append(node.lineno)
        self.generic_visit(node)

    def visit_If(self, node: ast.If) -> None:
        if _is_empty_guard(node.test):
            self.facts.empty_guard = True
        self.generic_visit(node)

    def visit_IfExp(self, node: ast.IfExp) -> None:
        if _is_empty_guard(node.test):
            self.facts.empty_guard = True
        self.generic_visit(node)

    # -- functions ---------------------------------------------------------------------------------------

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        if any(_call_name(d) in MEMO_DECORATORS or _name_of(d) in MEMO_DECORATORS for d in node.decorator_list):
            self.facts.memoized = True
        length = (node.end_lineno or node.lineno) - node.lineno + 1
        self.facts.functions.append((node.name, node.lineno, length))
        self.functions.append(node.name)
        outer = self.depth, self.while_tests
        self.depth, self.while_tests = 0, []  # a function's loops run when it is called
        self.generic_visit(node)
        self.depth, self.while_tests = outer
        self.functions.pop()

    visit_AsyncFunctionDef = visit_FunctionDef  # noqa: N815


def _name_of(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _call_name(node: ast.AST) -> str | None:
    return _name_of(node.func) if isinstance(node, ast.Call) else None


def _constant_iterable(node: ast.AST) -> bool:
    """A literal tuple, list or set, or range(<constant>)."""
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return True
    return _call_name(node) == "range" and all(isinstance(a, ast.Constant) for a in node.args)  # type: ignore[attr-defined]


def _pops(loop: ast.While) -> bool:
    return any(
        isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in {"pop", "popleft"}
        for n in ast.walk(loop)
    )


def _first_arg_zero(node: ast.Call) -> bool:
    return bool(node.args) and isinstance(node.args[0], ast.Constant) and node.args[0].value == 0


def _is_empty_guard(test: ast.AST) -> bool:
    """`not xs`, `len(xs) == 0` / `< 2` / `<= 1`, `n == 0`, `n < 2`, `xs == []`, or any of these in a bool op."""
    if isinstance(test, ast.BoolOp):
        return any(_is_empty_guard(value) for value in test.values)
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return isinstance(test.operand, (ast.Name, ast.Attribute, ast.Subscript))
    if isinstance(test, ast.Compare) and len(test.comparators) == 1:
        right, op = test.comparators[0], test.ops[0]
        if isinstance(right, (ast.List, ast.Tuple)) and not getattr(right, "elts", None):
            return True
        small = isinstance(right, ast.Constant) and right.value in (0, 1, 2)
        return small and isinstance(op, (ast.Eq, ast.Lt, ast.LtE, ast.NotEq, ast.Gt, ast.GtE))
    return False
