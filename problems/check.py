"""Author's check for problem files: `.venv/bin/python -m problems.check [--sandbox process|docker] [slug ...]`.

Parses each file as the server's loader does (syncode/services/problem_bank.py, generators included), checks it
against the bank's rules (`validate`: the format is problems/README.md), then runs it through the judge the server
uses (the sandbox of SYNCODE_SANDBOX unless --sandbox says otherwise): the reference solutions (python, and cpp for
medium and hard) must pass every test and example within REFERENCE_SHARE of the time limit, a naive solution must
not pass any large test and must pass the others, and every starter program must compile and run on the first
example (a language without its toolchain on this machine is skipped). Times are the judge's CPU times; outputs
are compared by judge/compare.py. The suite runs `validate` over the bank and proves the solutions through the judge
again (tests/test_problem_bank.py).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Awaitable
from pathlib import Path

from pydantic import ValidationError

from config import SUPPORTED_LANGUAGES, SandboxKind, Settings
from judge import Judge, JudgeError, JudgeResult, LanguageUnavailable, TestCase, Verdict
from syncode.services.problem_bank import ProblemFile, parse_problem

HERE = Path(__file__).parent
# Fields the loader has defaults for but a bank file must spell out.
REQUIRED = ("tags", "time_limit_ms", "hints", "examples", "starter_code", "reference", "guide")
TIME_LIMIT_MS = (100, 15000)
REFERENCE_SHARE = 0.6  # a reference solution may use this share of the time limit on any test
STARTER_TIME_MS, STARTER_MEMORY_MB = 10000, 512


def reference_languages(problem: ProblemFile) -> list[str]:
    return ["python"] if problem.difficulty == "easy" else ["python", "cpp"]


def missing_fields(problem: ProblemFile) -> list[str]:
    return [f"missing {name}" for name in REQUIRED if name not in problem.model_fields_set]


def validate(problem: ProblemFile, slug: str) -> list[str]:
    """What keeps a parsed file out of the bank (the fields it leaves out, else the rules it breaks); [] when fit."""
    return missing_fields(problem) or rule_violations(problem, slug)


def rule_violations(problem: ProblemFile, slug: str) -> list[str]:
    tests, starters, languages = problem.tests, set(problem.starter_code), set(SUPPORTED_LANGUAGES)
    missing_starters = [lang for lang in SUPPORTED_LANGUAGES if lang not in starters]
    sections = "## Input" in problem.description and "## Output" in problem.description
    low, high = TIME_LIMIT_MS
    rules = {
        "slug differs from file name": problem.slug == slug,
        'description lacks an "## Input" or "## Output" section': sections,
        f"time limit outside {low}-{high} ms": low <= problem.time_limit_ms <= high,
        "fewer than 2 examples": len(problem.examples) >= 2,
        "need >= 8 tests with >= 3 hidden": len(tests) >= 8 and sum(t.hidden for t in tests) >= 3,
        "no large test": any(t.large for t in tests),
        "need 2-3 hints": 2 <= len(problem.hints) <= 3,
        f"starter code missing for {missing_starters}": not missing_starters,
        f"starter code for unknown languages {sorted(starters - languages)}": starters <= languages,
    }
    rules |= {f"reference missing: {lang}": lang in problem.reference for lang in reference_languages(problem)}
    rules |= guide_rules(problem)
    return [message for message, kept in rules.items() if not kept]


def guide_rules(problem: ProblemFile) -> dict[str, bool]:
    """The interviewer's guide: the model demands every part (approach, complexity, mistakes, follow-ups, a rubric
    with 1/3/5 anchors for each dimension); the bank asks for enough of them."""
    guide = problem.guide
    if guide is None:
        return {"missing guide": False}
    complexity = guide.complexity
    return {
        "guide needs 3-5 follow-up questions": 3 <= len(guide.follow_ups) <= 5,
        "guide needs >= 2 common mistakes": len(guide.mistakes) >= 2,
        "guide complexity not in O(...) notation": "O(" in complexity.time and "O(" in complexity.space,
    }


def judge_cases(problem: ProblemFile, large_only: bool = False, with_examples: bool = False) -> list[TestCase]:
    """The tests (then the examples, visible) as the judge takes them; a case's index is its position here."""
    cases = [
        TestCase(id=str(i), input=t.input, expected_output=t.output, is_hidden=t.hidden)
        for i, t in enumerate(problem.tests)
        if t.large or not large_only
    ]
    if with_examples:
        cases += [TestCase(input=e.input, expected_output=e.output) for e in problem.examples]
    return cases


async def judged(judge: Judge, problem: ProblemFile, language: str, code: str, cases: list[TestCase]) -> JudgeResult:
    """Judge `code` on `cases` with the problem's limits and comparison, as a submission is judged."""
    return await judge.judge(
        language,
        code,
        cases,
        problem.time_limit_ms,
        problem.memory_limit_mb,
        comparison=problem.comparison,
        abs_tol=problem.float_abs_tol,
        rel_tol=problem.float_rel_tol,
    )


def unjudged(what: str, result: JudgeResult) -> str | None:
    """Why no case ran (a compilation error, a sandbox failure), or None when the cases were judged."""
    if result.verdict is Verdict.compilation_error:
        return f"{what} does not compile: {(result.compile_output or '')[:500]}"
    if not result.results:
        return f"{what}: {result.verdict.value}"
    return None


async def check_reference(judge: Judge, problem: ProblemFile, language: str) -> list[str]:
    code = problem.reference.get(language)
    if code is None:
        return []  # a rule violation, reported by `validate`
    what = f"reference {language}"
    result = await judged(judge, problem, language, code, judge_cases(problem, with_examples=True))
    failure = unjudged(what, result)
    if failure:
        return [failure]
    limit = problem.time_limit_ms
    errors = []
    for case in result.results:
        if case.verdict is not Verdict.accepted:
            errors.append(f"{what} fails test {case.index} ({case.verdict.value}, {case.time_ms} ms)")
        elif (case.time_ms or 0) > limit * REFERENCE_SHARE:
            errors.append(f"{what} too slow on test {case.index}: {case.time_ms} ms of {limit} ms")
    return errors


async def check_naive(judge: Judge, problem: ProblemFile, language: str, code: str) -> list[str]:
    what = f"naive {language}"
    result = await judged(judge, problem, language, code, judge_cases(problem))
    failure = unjudged(what, result)
    if failure:
        return [failure]
    errors = []
    for case in result.results:
        test = problem.tests[case.index]
        if test.large and case.verdict in (Verdict.accepted, Verdict.wrong_answer):
            errors.append(f"{what} finishes large test {case.index} within the limit ({case.time_ms} ms)")
        elif not test.large and case.verdict is not Verdict.accepted:
            errors.append(f"{what} fails small test {case.index} ({case.verdict.value})")
    return errors


async def check_starter(judge: Judge, problem: ProblemFile, language: str, code: str) -> list[str]:
    stdin = problem.examples[0].input if problem.examples else ""
    try:
        result = await judge.run(language, code, stdin, STARTER_TIME_MS, STARTER_MEMORY_MB)
    except LanguageUnavailable:
        return []  # no toolchain for it here (or not a language: a rule violation): skipped
    if result.verdict is Verdict.compilation_error:
        return [f"starter {language} does not compile: {(result.compile_output or '')[-800:]}"]
    if result.verdict is not Verdict.accepted:  # a syntax error of an interpreted language shows here
        return [f"starter {language} fails on the first example ({result.verdict.value}): {result.stderr[-800:]}"]
    return []


async def reported(what: str, check: Awaitable[list[str]]) -> list[str]:
    try:
        return await check
    except JudgeError as exc:  # e.g. the toolchain of a reference language is missing
        return [f"{what}: {exc.code}: {exc}"]


async def run_solutions(judge: Judge, problem: ProblemFile) -> list[str]:
    """Every program of the problem through the judge, at once (the judge queues them on its workers)."""
    checks = [
        reported(f"reference {lang}", check_reference(judge, problem, lang)) for lang in reference_languages(problem)
    ]
    checks += [
        reported(f"naive {lang}", check_naive(judge, problem, lang, code)) for lang, code in problem.naive.items()
    ]
    checks += [check_starter(judge, problem, lang, code) for lang, code in problem.starter_code.items()]
    return [error for errors in await asyncio.gather(*checks) for error in errors]


def validation_errors(exc: ValidationError) -> list[str]:
    def where(loc: tuple) -> str:
        return ".".join(str(part) for part in loc)

    return [
        f"missing {where(e['loc'])}" if e["type"] == "missing" else f"{where(e['loc'])}: {e['msg']}"
        for e in exc.errors()
    ]


async def check(judge: Judge, path: Path) -> list[str]:
    """Everything wrong with one problem file ([] when it is fit for the bank)."""
    try:
        problem = parse_problem(path.read_bytes(), path.name)
    except ValidationError as exc:
        return validation_errors(exc)
    missing = missing_fields(problem)
    if missing:  # nothing else is worth checking yet
        return missing
    return rule_violations(problem, path.stem) + await run_solutions(judge, problem)


async def check_all(judge: Judge, paths: list[Path]) -> int:
    failed = 0
    for path in paths:
        try:
            errors = await check(judge, path)
        except Exception as exc:  # a broken file is reported, the others still run
            errors = [f"{type(exc).__name__}: {exc}"]
        print(f"{'FAIL' if errors else 'ok  '} {path.stem}", flush=True)
        for e in errors:
            print(f"     - {e}")
        failed += bool(errors)
    print(f"{len(paths) - failed} ok, {failed} failed")
    return 1 if failed else 0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m problems.check", description="Check problem files")
    parser.add_argument("slugs", nargs="*", help="problems to check (default: every problems/*.toml)")
    parser.add_argument("--sandbox", choices=[kind.value for kind in SandboxKind], help="default: SYNCODE_SANDBOX")
    return parser.parse_args(argv)


async def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    paths = [HERE / f"{slug}.toml" for slug in args.slugs] if args.slugs else sorted(HERE.glob("*.toml"))
    judge = Judge(Settings(), args.sandbox)
    try:
        await judge.start()
        return await check_all(judge, paths)
    except JudgeError as exc:
        print(f"{exc.code}: {exc}", file=sys.stderr)
        return 2
    finally:
        await judge.close()


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    sys.exit(asyncio.run(main()))
