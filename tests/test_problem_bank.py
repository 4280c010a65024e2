"""The problem bank is part of the product: its content is checked here, and proven through the real judge."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

import pytest

from config import SUPPORTED_LANGUAGES, load_settings
from judge import Judge, TestCase, Verdict
from syncode.services.problem_bank import parse_problem

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
async def bank() -> dict[str, dict]:
    paths = sorted(BANK.glob("*.toml"))
    parsed = await asyncio.gather(*(asyncio.to_thread(parse_problem, p.read_bytes(), p.name) for p in paths))
    return {p.stem: data for p, data in zip(paths, parsed, strict=True)}


def test_bank_size_and_coverage(bank: dict[str, dict]) -> None:
    difficulties = Counter(p["difficulty"] for p in bank.values())
    assert len(bank) >= 40
    assert difficulties["easy"] >= 15 and difficulties["medium"] >= 17 and difficulties["hard"] >= 8
    topics = {t for p in bank.values() for t in p["tags"]}
    assert topics >= REQUIRED_TOPICS, REQUIRED_TOPICS - topics


def test_every_problem_is_complete(bank: dict[str, dict]) -> None:
    titles = Counter(p["title"].lower() for p in bank.values())
    assert max(titles.values()) == 1
    for slug, p in bank.items():
        where = f"{slug}.toml"
        assert p["slug"] == slug, where
        assert "## Input" in p["description"] and "## Output" in p["description"], where
        assert len(p["examples"]) >= 2, where
        assert set(p["starter_code"]) == set(SUPPORTED_LANGUAGES), where
        tests = p["tests"]
        assert len(tests) >= 8 and sum(bool(t.get("hidden")) for t in tests) >= 3, where
        assert any(t.get("large") for t in tests), where
        assert 2 <= len(p["hints"]) <= 3, where
        assert "python" in p["reference"], where
        if p["difficulty"] != "easy":
            assert "cpp" in p["reference"], where
        assert 100 <= p["time_limit_ms"] <= 15000, where


def cases(problem: dict, large_only: bool = False) -> list[TestCase]:
    return [
        TestCase(id=str(i), input=t["input"], expected_output=t["output"], is_hidden=bool(t.get("hidden")))
        for i, t in enumerate(problem["tests"])
        if t.get("large") or not large_only
    ]


@pytest.fixture(scope="module")
async def judge(tmp_path_factory: pytest.TempPathFactory) -> Judge:
    settings = load_settings(data_dir=tmp_path_factory.mktemp("judge"), sandbox="process", judge_pool_size=0)
    judge = Judge(settings)
    await judge.start()
    yield judge
    await judge.close()


async def judged(judge: Judge, problem: dict, language: str, code: str, test_cases: list[TestCase]):
    return await judge.judge(
        language,
        code,
        test_cases,
        problem["time_limit_ms"],
        problem.get("memory_limit_mb", 256),
        comparison=problem.get("comparison", "lines"),
        abs_tol=problem.get("float_abs_tol", 1e-6),
        rel_tol=problem.get("float_rel_tol", 1e-6),
    )


async def in_parallel(judge: Judge, jobs: list) -> list:
    gate = asyncio.Semaphore(judge.settings.judge_workers)

    async def one(job):
        async with gate:
            return await job

    return await asyncio.gather(*(one(j) for j in jobs))


async def test_reference_solutions_pass_every_case(bank: dict[str, dict], judge: Judge) -> None:
    jobs, names = [], []
    for slug, p in bank.items():
        for language, code in p["reference"].items():
            jobs.append(judged(judge, p, language, code, cases(p)))
            names.append(f"{slug}/{language}")
    results = await in_parallel(judge, jobs)
    failures = {
        n: (r.verdict, r.passed, r.total) for n, r in zip(names, results, strict=True) if r.verdict != Verdict.accepted
    }
    assert not failures


async def test_naive_solutions_time_out_on_large_cases(bank: dict[str, dict], judge: Judge) -> None:
    jobs, names = [], []
    for slug, p in bank.items():
        for language, code in p.get("naive", {}).items():
            jobs.append(judged(judge, p, language, code, cases(p, large_only=True)))
            names.append(f"{slug}/{language}")
    results = await in_parallel(judge, jobs)
    survivors = [
        n for n, r in zip(names, results, strict=True) if any(c.verdict == Verdict.accepted for c in r.results)
    ]
    assert names and not survivors


async def test_starter_code_compiles_and_runs_in_every_language(bank: dict[str, dict], judge: Judge) -> None:
    jobs, names = [], []
    for slug, p in bank.items():
        example = p["examples"][0]["input"]
        for language, code in p["starter_code"].items():
            jobs.append(judge.run(language, code, example, 10000, 512))
            names.append(f"{slug}/{language}")
    results = await in_parallel(judge, jobs)
    broken = {
        n: (r.verdict, (r.compile_output or r.stderr)[-300:])
        for n, r in zip(names, results, strict=True)
        if r.exit_code != 0
    }
    assert not broken
