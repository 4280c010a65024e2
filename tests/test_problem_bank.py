"""The problem bank is part of the product: its content is checked here, and proven through the real judge."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

import pytest
from pydantic import ValidationError

from config import load_settings
from judge import Judge, Verdict
from problems import check
from problems.check import judge_cases, judged
from syncode.services.problem_bank import BankTest, ProblemFile, parse_problem

BANK = Path(__file__).resolve().parent.parent / "problems"
REQUIRED_TOPICS = {
    "arrays",
    "strings",
    "hashing",
    "two-pointers",
    "sliding-window",
    "stack",
    "linked-list",
    "trees",
    "graphs",
    "binary-search",
    "heap",
    "dynamic-programming",
    "greedy",
    "intervals",
    "backtracking",
}


@pytest.fixture(scope="module")
async def bank() -> dict[str, ProblemFile]:
    paths = sorted(BANK.glob("*.toml"))
    parsed = await asyncio.gather(*(asyncio.to_thread(parse_problem, p.read_bytes(), p.name) for p in paths))
    return {p.stem: data for p, data in zip(paths, parsed, strict=True)}


def test_bank_size_and_coverage(bank: dict[str, ProblemFile]) -> None:
    difficulties = Counter(p.difficulty for p in bank.values())
    assert len(bank) >= 40
    assert difficulties["easy"] >= 15 and difficulties["medium"] >= 17 and difficulties["hard"] >= 8
    topics = {t for p in bank.values() for t in p.tags}
    assert topics >= REQUIRED_TOPICS, REQUIRED_TOPICS - topics


def test_every_problem_is_complete(bank: dict[str, ProblemFile]) -> None:
    """The checker's rules (problems/check.py), without running anything."""
    titles = Counter(p.title.lower() for p in bank.values())
    assert max(titles.values()) == 1
    unfit = {f"{slug}.toml": check.validate(p, slug) for slug, p in bank.items()}
    assert not {where: errors for where, errors in unfit.items() if errors}


def test_checker_rules_catch_unfit_files(bank: dict[str, ProblemFile]) -> None:
    fit = bank["coin-change"]
    assert fit.difficulty == "medium" and check.validate(fit, "coin-change") == []
    unfit = fit.model_copy(
        update={
            "description": "no sections",
            "time_limit_ms": 20000,
            "examples": fit.examples[:1],
            "tests": [t.model_copy(update={"large": False}) for t in fit.tests[:7]],
            "hints": fit.hints[:1],
            "starter_code": {lang: code for lang, code in fit.starter_code.items() if lang != "go"} | {"cobol": ""},
            "reference": {"python": fit.reference["python"]},
            "guide": fit.guide.model_copy(
                update={
                    "follow_ups": fit.guide.follow_ups[:2],
                    "mistakes": fit.guide.mistakes[:1],
                    "complexity": fit.guide.complexity.model_copy(update={"time": "linear"}),
                }
            ),
        }
    )
    assert check.validate(unfit, "other-slug") == [
        "slug differs from file name",
        'description lacks an "## Input" or "## Output" section',
        "time limit outside 100-15000 ms",
        "fewer than 2 examples",
        "need >= 8 tests with >= 3 hidden",
        "no large test",
        "need 2-3 hints",
        "starter code missing for ['go']",
        "starter code for unknown languages ['cobol']",
        "reference missing: cpp",
        "guide needs 3-5 follow-up questions",
        "guide needs >= 2 common mistakes",
        "guide complexity not in O(...) notation",
    ]
    # A field the loader has a default for is still one a bank file must spell out.
    raw = (BANK / "two-sum.toml").read_text().replace("hints = [", "extra_hints = [", 1)
    assert check.validate(parse_problem(raw.encode(), "two-sum.toml"), "two-sum") == ["missing hints"]


def test_every_problem_has_a_complete_guide(bank: dict[str, ProblemFile]) -> None:
    """What an interviewer reads: every part of the guide, a 1/3/5 anchor for every rated dimension (the model
    demands them: a file leaving one out does not load), written for the problem (no two problems share one)."""
    assert all(p.guide is not None for p in bank.values())
    guides = {slug: p.guide for slug, p in bank.items() if p.guide}
    for slug, guide in guides.items():
        assert 3 <= len(guide.follow_ups) <= 5 and len(guide.mistakes) >= 2, slug
        assert "O(" in guide.complexity.time and "O(" in guide.complexity.space, slug
        anchors = [
            a for dimension in dict(guide.rubric).values() for a in (dimension.poor, dimension.fair, dimension.strong)
        ]
        assert len(anchors) == 12 and len(set(anchors)) == 12, slug
    approaches = Counter(g.approach for g in guides.values())
    assert max(approaches.values()) == 1
    # A bank file without its [guide] is unfit; one with a part missing does not even parse.
    raw = (BANK / "two-sum.toml").read_text()
    without = raw[: raw.index("[guide]")] + raw[raw.index("[[examples]]") :]
    assert check.validate(parse_problem(without.encode(), "two-sum.toml"), "two-sum") == ["missing guide"]
    partial = raw.replace("[guide.rubric.testing]", "[guide.rubric.not_a_dimension]", 1)
    with pytest.raises(ValidationError) as caught:
        parse_problem(partial.encode(), "two-sum.toml")
    assert check.validation_errors(caught.value) == [
        "missing guide.rubric.testing",
        "guide.rubric.not_a_dimension: Extra inputs are not permitted",
    ]


def test_loader_model_rejects_malformed_files() -> None:
    raw = (BANK / "two-sum.toml").read_text()
    broken = raw.replace('difficulty = "easy"', 'difficulty = "trivial"', 1).replace('title = "Two Sum"\n', "", 1)
    with pytest.raises(ValidationError) as caught:
        parse_problem(broken.encode(), "two-sum.toml")
    assert check.validation_errors(caught.value) == [
        "missing title",
        "difficulty: Input should be 'easy', 'medium' or 'hard'",
    ]
    generated = [t for t in parse_problem(raw.encode(), "two-sum.toml").tests if t.generator]
    assert generated and all(isinstance(t, BankTest) and t.input and t.output for t in generated)


@pytest.fixture(scope="module")
async def judge(tmp_path_factory: pytest.TempPathFactory) -> Judge:
    settings = load_settings(data_dir=tmp_path_factory.mktemp("judge"), sandbox="process", judge_pool_size=0)
    judge = Judge(settings)
    await judge.start()
    yield judge
    await judge.close()


async def in_parallel(judge: Judge, jobs: list) -> list:
    gate = asyncio.Semaphore(judge.settings.judge_workers)

    async def one(job):
        async with gate:
            return await job

    return await asyncio.gather(*(one(j) for j in jobs))


async def test_checker_runs_programs_through_the_judge(bank: dict[str, ProblemFile], judge: Judge) -> None:
    """The checker's runs (problems/check.py) on one problem, in Python only: a fit one, then a broken one."""
    fit = bank["two-sum"]
    assert fit.difficulty == "easy" and set(fit.naive) == {"python"}
    python_only = fit.model_copy(update={"starter_code": {"python": fit.starter_code["python"]}})
    assert await check.run_solutions(judge, python_only) == []
    broken = python_only.model_copy(
        update={
            "reference": {"python": "print(0, 1)\n"},
            "naive": {"python": fit.reference["python"]},
            "starter_code": {"python": "def main(:\n"},
        }
    )
    errors = await check.run_solutions(judge, broken)
    assert any(e.startswith("reference python fails test ") for e in errors), errors
    naive = [e for e in errors if e.startswith("naive python")]
    assert len(naive) == sum(t.large for t in fit.tests) and all("finishes large test" in e for e in naive), errors
    assert [e.split(":")[0] for e in errors if e.startswith("starter")] == [
        "starter python fails on the first example (runtime_error)"
    ]


async def test_reference_solutions_pass_every_case(bank: dict[str, ProblemFile], judge: Judge) -> None:
    jobs, names = [], []
    for slug, p in bank.items():
        for language, code in p.reference.items():
            jobs.append(judged(judge, p, language, code, judge_cases(p)))
            names.append(f"{slug}/{language}")
    results = await in_parallel(judge, jobs)
    failures = {
        n: (r.verdict, r.passed, r.total) for n, r in zip(names, results, strict=True) if r.verdict != Verdict.accepted
    }
    assert not failures


async def test_naive_solutions_time_out_on_large_cases(bank: dict[str, ProblemFile], judge: Judge) -> None:
    jobs, names = [], []
    for slug, p in bank.items():
        for language, code in p.naive.items():
            jobs.append(judged(judge, p, language, code, judge_cases(p, large_only=True)))
            names.append(f"{slug}/{language}")
    results = await in_parallel(judge, jobs)
    survivors = [
        n for n, r in zip(names, results, strict=True) if any(c.verdict == Verdict.accepted for c in r.results)
    ]
    assert names and not survivors


async def test_starter_code_compiles_and_runs_in_every_language(bank: dict[str, ProblemFile], judge: Judge) -> None:
    jobs, names = [], []
    for slug, p in bank.items():
        example = p.examples[0].input
        for language, code in p.starter_code.items():
            jobs.append(judge.run(language, code, example, 10000, 512))
            names.append(f"{slug}/{language}")
    results = await in_parallel(judge, jobs)
    broken = {
        n: (r.verdict, (r.compile_output or r.stderr)[-300:])
        for n, r in zip(names, results, strict=True)
        if r.exit_code != 0
    }
    assert not broken
