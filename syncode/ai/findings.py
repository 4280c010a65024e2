"""What the offline AI notices about the candidate's work, most important first: code that does not parse or
compile, a failing visible test (expected vs got), a crash, a hidden test failing, a complexity above what the
problem needs, exponential recursion, a missing guard for the smallest inputs, unfinished code, names and long
functions. Each finding says it three ways: the problem (a review issue), a Socratic question (a subtle hint) and
what to try (a stronger hint). Nothing here reads the reference solutions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from syncode.ai.brief import Brief, FailedCase, JobBrief, same_text

BIG_O = re.compile(r"O\(([^()]*(?:\([^()]*\)[^()]*)*)\)")
MAX_N = re.compile(r"(?:<=|≤)\s*(10\s*\^\s*\d+|\d[\d_,]*)")
EXPONENTIAL = 99.0


@dataclass(frozen=True)
class Finding:
    kind: str
    severity: str  # error | warning | info
    line: int | None
    message: str  # what is wrong
    question: str  # a question that leads there (subtle)
    suggestion: str  # what to try (moderate and direct)


def degree(bound: str | None) -> float | None:
    """The polynomial degree of the largest big-O in a text: O(1) 0, O(log n) .5, O(n) 1, O(n log n) 1.5,
    O(n^2) / O(n * m) 2, exponential or factorial 99; None without one."""
    if not bound:
        return None
    if "exponential" in bound.lower():
        return EXPONENTIAL
    found = [_degree(inner) for inner in BIG_O.findall(bound)]
    return max(found) if found else None


def _degree(inner: str) -> float:
    inner = inner.lower().replace("²", "^2").replace("³", "^3").replace("|", "")
    if re.search(r"\d\s*\^\s*[a-z]|!", inner):
        return EXPONENTIAL
    terms = re.split(r"\+", inner)
    return max(_term(term) for term in terms)


def _term(term: str) -> float:
    total = 0.0
    for match in re.finditer(r"log\s*\w*|([a-z]\w*)(?:\s*\^\s*(\d))?", term):
        if match.group().startswith("log"):
            total += 0.5
        elif match.group(1) and match.group(1) not in {"per", "in", "total", "with", "expected", "the", "besides"}:
            total += int(match.group(2) or 1)
    return total


def largest_n(constraints: str | None) -> int | None:
    """The input size the constraints allow: the bound of the line about n (or a length), else of the first line
    (10^5 -> 100000)."""
    lines = [line for line in (constraints or "").splitlines() if MAX_N.search(line)]
    sized = [line for line in lines if re.search(r"\b(n|len|length|size)\b|\|\w+\|", line)]
    for line in sized[:1] or lines[:1]:
        text = MAX_N.findall(line)[-1].replace(" ", "").replace("_", "").replace(",", "")
        if "^" in text:
            base, power = text.split("^")
            return int(base) ** min(int(power), 18)
        return int(text) if text.isdigit() else None
    return None


def target_degree(brief: Brief) -> float | None:
    """What the problem asks for: the guide's complexity, else an "Aim for O(...)" in the constraints."""
    if brief.guide and degree(brief.guide.time) is not None:
        return degree(brief.guide.time)
    constraints = brief.problem.constraints if brief.problem else None
    aim = re.search(r"(better than|aim for)[^\n]*", constraints or "", re.I)
    if aim:
        found = degree(aim.group())
        return found - 0.5 if found is not None and aim.group(1).lower() == "better than" else found
    return None


def allows_tiny_input(brief: Brief) -> bool:
    constraints = (brief.problem.constraints if brief.problem else "") or ""
    return bool(re.search(r"\b0\s*(<=|≤)\s*\w|\b1\s*(<=|≤)\s*(n|len|length|\|)", constraints))


def fence(text: str | None) -> str:
    return f"```\n{(text or '').rstrip()}\n```" if (text or "").strip() else "(empty)"


def quoted(text: str | None) -> str:
    text = (text or "").strip()
    if not text:
        return "nothing"
    return f"`{text}`" if "\n" not in text and len(text) <= 80 else "\n" + fence(text)


def findings(brief: Brief) -> list[Finding]:
    found: list[Finding] = []
    for check in (_syntax, _last_job, _complexity, _recursion, _tiny_input, _unfinished, _naming, _structure):
        finding = check(brief)
        if finding:
            found.append(finding)
    return found


def _syntax(brief: Brief) -> Finding | None:
    error = brief.facts.syntax_error
    if not error:
        return None
    line, message = error
    return Finding(
        "syntax",
        "error",
        line,
        f"Line {line} does not parse: {message}.",
        f"Python cannot read line {line} ({message}). Can you spot what is missing there?",
        "Look at the line and the one before it: brackets, colons and indentation.",
    )


def _last_job(brief: Brief) -> Finding | None:
    job = brief.last_job
    if job is None or job.ok:
        return None
    stale = "" if same_text(job.code, brief.code) else " (before your latest changes)"
    if job.verdict == "compilation_error":
        first = next((ln for ln in (job.compile_output or job.stderr).splitlines() if ln.strip()), "")
        return Finding(
            "compile",
            "error",
            None,
            f"Does not compile{stale}: {first}",
            f"The compiler rejects your code{stale}: `{first}`. What does it expect at that spot?",
            "Read the first compiler error only: later ones often follow from it.",
        )
    if job.failed and not job.failed.hidden:
        return _failing_case(job.failed, stale)
    if job.failed and job.failed.hidden:
        return _hidden_failure(brief, job)
    if job.verdict in ("runtime_error", "time_limit_exceeded", "memory_limit_exceeded"):
        return _crash(job, stale)
    return None


def _failing_case(case: FailedCase, stale: str) -> Finding:
    label = f"visible test #{case.index + 1}"
    outcome = f"printed {quoted(case.got)}" if case.verdict == "wrong_answer" else f"stopped ({_verdict(case.verdict)})"
    error = _last_line(case.stderr)
    if error:
        outcome += f" with `{error}`"
    if case.empty_input:
        return Finding(
            "empty_input",
            "error",
            None,
            f"Fails {label}, the empty input{stale}: expected {quoted(case.expected)}, {outcome}.",
            f"What does your code do when the input is empty? {label.capitalize()} has no elements and expects "
            f"{quoted(case.expected)}; your code {outcome}.",
            "Handle the smallest inputs first: before anything reads the first element, return the answer for an "
            "empty input.",
        )
    return Finding(
        "failing_test",
        "error",
        None,
        f"Fails {label}{stale}: expected {quoted(case.expected)}, {outcome}.",
        f"Trace your code by hand on {label}: where does it first do something you did not expect?\n\nInput:\n"
        f"{fence(case.input)}\nExpected {quoted(case.expected)}; your code {outcome}.",
        "Print the intermediate values for this input (or step through it) and check the loop bounds and the "
        "starting values.",
    )


def _hidden_failure(brief: Brief, job: JobBrief) -> Finding:
    verdict = job.failed.verdict if job.failed else job.verdict or ""
    n = largest_n(brief.problem.constraints if brief.problem else None)
    size = f" for n = {n:,}" if n else " for the largest input allowed"
    questions = {
        "time_limit_exceeded": f"The visible tests pass but a larger hidden test runs out of time. How many steps "
        f"does your code take{size}?",
        "runtime_error": "Your code crashes on a hidden test. Which input could push an index out of range, divide "
        "by zero or recurse too deep?",
    }
    question = questions.get(
        verdict,
        "Every visible test passes, but a hidden one gets a wrong answer. Which inputs have you not tried? Think "
        "of the smallest input, duplicates, negative numbers and the largest values the constraints allow.",
    )
    return Finding(
        "hidden_failure",
        "error",
        None,
        f"Passes the visible tests, fails a hidden one ({_verdict(verdict)}); {job.passed}/{job.total} pass.",
        question,
        "List the edge cases the constraints allow and run each one yourself before submitting again.",
    )


def _crash(job: JobBrief, stale: str) -> Finding:
    error = _last_line(job.stderr)
    if job.verdict == "runtime_error":
        detail = f" with `{error}`" if error else ""
        return Finding(
            "runtime",
            "error",
            _error_line(job.stderr),
            f"The last {job.kind} crashed{stale}{detail}.",
            f"Your last {job.kind} stopped{detail}. Which value is not what you expect at that point, and for which "
            "input?",
            "Check every index against the length, and what happens for the smallest inputs.",
        )
    return Finding(
        "slow",
        "error",
        None,
        f"The last {job.kind} hit a limit ({_verdict(job.verdict or '')}){stale}.",
        "Your last run hit the time or memory limit. Is there a loop that never ends, or work repeated many times?",
        "Check that every loop makes progress, then count the steps for the largest input.",
    )


def _complexity(brief: Brief) -> Finding | None:
    facts = brief.facts
    mine, target = degree(facts.time()), target_degree(brief)
    if brief.solved or mine is None or mine < 2 or (target is not None and mine <= target):
        return None
    if target is None and (largest_n(brief.problem.constraints if brief.problem else None) or 0) < 10_000:
        return None
    if mine >= EXPONENTIAL:
        return None  # the recursion finding says it
    nested = facts.nested_lines[:4]
    lines = f"line{'s' * (len(nested) > 1)} {', '.join(map(str, nested))}"
    n = largest_n(brief.problem.constraints if brief.problem else None)
    steps = f": with n up to {n:,} that is about {n**2:,} steps" if n and mine == 2 else ""
    aim = brief.guide.time if brief.guide and brief.guide.time else "less"
    return Finding(
        "complexity",
        "warning",
        facts.nested_lines[0] if facts.nested_lines else None,
        f"A loop nested in another ({lines}) makes this {facts.time()}; the problem can be solved in {aim}.",
        f"Your code loops inside a loop ({lines}), so it looks at every pair{steps}. What is the inner loop "
        "searching for, and could you find it without scanning?",
        "Think about which data structure answers the inner loop's question in O(1) or O(log n), or whether "
        "sorting first removes the need for it.",
    )


def _recursion(brief: Brief) -> Finding | None:
    facts = brief.facts
    if not facts.branching_recursion or facts.memoized or brief.solved:
        return None
    name = next(n for n, count in facts.self_calls.items() if count >= 2)
    return Finding(
        "recursion",
        "warning",
        next((line for fn, line, _ in facts.functions if fn == name), None),
        f"`{name}` calls itself more than once per call with no memo: exponential time, O(2^n).",
        f"How many times is `{name}` called with the same arguments? Draw its call tree for a small input.",
        "Remember the results you have already computed (memoisation), or build them bottom-up in a table.",
    )


def _tiny_input(brief: Brief) -> Finding | None:
    facts = brief.facts
    if facts.empty_guard or not allows_tiny_input(brief) or brief.solved:
        return None
    code_lines = brief.code.splitlines()
    starter = brief.starter_lines
    risky = [n for n in facts.first_index if n <= len(code_lines) and code_lines[n - 1].strip() not in starter]
    if not risky:
        return None
    line = risky[0]
    return Finding(
        "empty_input",
        "warning",
        line,
        f"Line {line} reads an element without checking that there is one; the constraints allow an empty (or "
        "one-element) input.",
        f"What happens at line {line} when the input is empty, or has a single element? The constraints allow it.",
        "Handle the smallest inputs first: return early for an empty (or one-element) input.",
    )


def _unfinished(brief: Brief) -> Finding | None:
    if brief.unchanged_starter:
        return Finding(
            "unfinished",
            "info",
            None,
            "The code is still the starter code.",
            "How would you solve the first example by hand? Write those steps down as comments, then turn each one "
            "into code.",
            "Start with the simplest approach that works, even a slow one; you can improve it once it passes.",
        )
    todo = brief.facts.todo_lines
    if todo:
        return Finding(
            "unfinished",
            "info",
            todo[0],
            f"A TODO is left at line {todo[0]}.",
            f"What is still missing at line {todo[0]}?",
            "Finish or remove the TODO before you submit.",
        )
    return None


def _naming(brief: Brief) -> Finding | None:
    names = sorted(brief.facts.short_names)
    if not names:
        return None
    shown = ", ".join(f"`{n}`" for n in names[:5])
    return Finding(
        "naming",
        "info",
        None,
        f"Short or placeholder names ({shown}) make the code harder to follow.",
        f"Could someone reading {shown} tell what they hold?",
        "Name variables after what they hold (`seen`, `best`, `left`, `count`).",
    )


def _structure(brief: Brief) -> Finding | None:
    long = brief.facts.long_functions
    if not long:
        return None
    name, line, length = long[0]
    return Finding(
        "structure",
        "info",
        line,
        f"`{name}` is {length} lines long.",
        f"Which parts of `{name}` could be a small function with a name of its own?",
        "Split reading the input, the algorithm and printing into separate functions.",
    )


def _verdict(verdict: str) -> str:
    return verdict.replace("_", " ")


def _last_line(text: str | None) -> str | None:
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    return lines[-1][:200] if lines else None


def _error_line(stderr: str | None) -> int | None:
    found = re.findall(r"line (\d+)", stderr or "")
    return int(found[-1]) if found else None
