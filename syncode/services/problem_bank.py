"""Loads the problem bank (problems/*.toml, format in problems/README.md) into the database, idempotently.

A file is applied when it is new or its content hash changed; an unchanged file leaves the stored problem (and
any admin edits made through the API) alone. Generated test cases run trusted generator code from the repo.
The `[guide]` section goes to the problem's guide (`replace_guide`), apart from the problem document, so that only
the guide endpoints read it.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import random
import tomllib
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from syncode.clock import utcnow
from syncode.db import Database
from syncode.models.problems import Comparison, Difficulty, ProblemGuide
from syncode.services.problems import DIFFICULTY_RANK, replace_guide, replace_test_cases

log = logging.getLogger("syncode.problem_bank")
ID_NAMESPACE = uuid.UUID("5b0e4c39-6f6b-4d8e-9a53-2b1f1f7c9d11")


@dataclass
class BankReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    total: int = 0  # problem files found; known once loading starts

    @property
    def done(self) -> int:
        return len(self.created) + len(self.updated) + len(self.unchanged) + len(self.failed)


def stable_id(*parts: str) -> str:
    """Ids derived from the slug, so reloading a file never changes what clients hold."""
    return str(uuid.uuid5(ID_NAMESPACE, "/".join(parts)))


class BankExample(BaseModel):
    input: str
    output: str
    explanation: str | None = None


class BankTest(BaseModel):
    """A `[[tests]]` entry; a generated one gets its input and output from its generator when the file is parsed."""

    input: str
    output: str
    hidden: bool = False
    large: bool = False
    explanation: str | None = None
    seed: int = 0
    generator: str | None = None


class ProblemFile(BaseModel):
    """One problem file, for the loader and for the author's check (problems/check.py).

    The fields without a default are the ones the loader cannot do without; the bank's own rules (all eight starters,
    enough tests, ...) are the checker's, which tells a field the file left out by `model_fields_set`.
    """

    slug: str
    title: str
    difficulty: Difficulty
    description: str
    tests: list[BankTest]
    tags: list[str] = []
    constraints: str | None = None
    examples: list[BankExample] = []
    hints: list[str] = []
    time_limit_ms: int = 2000
    memory_limit_mb: int = 256
    comparison: Comparison = "lines"
    float_abs_tol: float = 1e-6
    float_rel_tol: float = 1e-6
    starter_code: dict[str, str] = {}
    reference: dict[str, str] = {}
    naive: dict[str, str] = {}
    guide: ProblemGuide | None = None


def parse_problem(raw: bytes, file_name: str) -> ProblemFile:
    """Raises on invalid TOML, a failing generator, or a file that does not fit `ProblemFile` (pydantic's error)."""
    data = tomllib.loads(raw.decode())
    for test in data.get("tests", []):
        if "generator" in test:
            scope: dict[str, Any] = {}
            exec(compile(test["generator"], f"{file_name}:generator", "exec"), scope)  # trusted repo code
            test["input"], test["output"] = scope["generate"](random.Random(test.get("seed", 0)))
    return ProblemFile.model_validate(data)


def test_cases(problem: ProblemFile) -> list[dict[str, Any]]:
    return [
        {
            "_id": stable_id(problem.slug, "case", str(i)),
            "input": t.input,
            "expectedOutput": t.output,
            "isHidden": t.hidden,
            "isLarge": t.large,
            "explanation": t.explanation,
        }
        for i, t in enumerate(problem.tests)
    ]


def to_document(problem: ProblemFile, digest: str, file_name: str) -> dict[str, Any]:
    return {
        "slug": problem.slug,
        "title": problem.title,
        "titleKey": problem.title.strip().lower(),
        "description": problem.description.strip(),
        "difficulty": problem.difficulty,
        "difficultyRank": DIFFICULTY_RANK[problem.difficulty],
        "tags": sorted(set(problem.tags)),
        "constraints": (problem.constraints or "").strip() or None,
        "examples": [e.model_dump() for e in problem.examples],
        "starterCode": {lang: code.lstrip("\n") for lang, code in problem.starter_code.items()},
        "timeLimitMs": problem.time_limit_ms,
        "memoryLimitMb": problem.memory_limit_mb,
        "comparison": problem.comparison,
        "floatAbsTol": problem.float_abs_tol,
        "floatRelTol": problem.float_rel_tol,
        "hints": list(problem.hints),
        "referenceSolutions": dict(problem.reference),
        "naiveSolutions": dict(problem.naive),
        "isPublished": True,
        "source": {"file": file_name, "hash": digest},
    }


async def load_bank(db: Database, directory: Path, report: BankReport | None = None) -> BankReport:
    """Fills `report` (a new one by default) as it goes: health reads it while the bank loads in the background."""
    report = report if report is not None else BankReport()
    paths = sorted(directory.glob("*.toml"))
    report.total = len(paths)
    known = {
        p["source"]["file"]: p["source"]["hash"]
        async for p in db.problems.find({"source": {"$exists": True}}, {"source": 1})
    }
    for path in paths:
        try:
            raw = await asyncio.to_thread(path.read_bytes)
            digest = hashlib.sha256(raw).hexdigest()
            if known.get(path.name) == digest:
                report.unchanged.append(path.stem)  # not even parsed: generators run only for changed files
                continue
            problem = await asyncio.to_thread(parse_problem, raw, path.name)
            outcome = await _apply(db, to_document(problem, digest, path.name), test_cases(problem), problem.guide)
        except Exception as exc:  # one broken file must not keep the server (or the other problems) down
            report.failed[path.name] = f"{type(exc).__name__}: {exc}"
            log.error("problem file skipped", extra={"file": path.name, "error": str(exc)})
            continue
        getattr(report, outcome).append(path.stem)
    log.info(
        "problem bank loaded",
        extra={
            "created": len(report.created),
            "updated": len(report.updated),
            "unchanged": len(report.unchanged),
            "failed": len(report.failed),
        },
    )
    return report


async def _apply(db: Database, doc: dict[str, Any], cases: list[dict[str, Any]], guide: ProblemGuide | None) -> str:
    problem_id = stable_id(doc["slug"])
    existing = await db.problems.find_one({"_id": problem_id}, {"source": 1, "deletedAt": 1})
    now = utcnow()
    # Cases and guide first, the document (carrying the file hash) last: an interrupted load is retried next start.
    if existing is None:
        await replace_test_cases(db, problem_id, cases)
        await replace_guide(db, problem_id, guide)
        await db.problems.insert_one(
            {
                "_id": problem_id,
                **doc,
                "createdAt": now,
                "updatedAt": now,
                "deletedAt": None,
                "totalSubmissions": 0,
                "acceptedSubmissions": 0,
                "acceptanceSort": -1.0,
            }
        )
        return "created"
    if existing.get("source", {}).get("hash") == doc["source"]["hash"]:
        return "unchanged"
    # The file changed: it wins over earlier admin edits. A problem an admin deleted stays deleted.
    if existing.get("deletedAt"):
        return "unchanged"
    await replace_test_cases(db, problem_id, cases)
    await replace_guide(db, problem_id, guide)
    await db.problems.update_one({"_id": problem_id}, {"$set": {**doc, "updatedAt": now}})
    return "updated"


async def bank_health(report: BankReport, loading: asyncio.Task) -> dict[str, Any]:
    """The health check of a bank loading in the background: `GET /api/problems` lists part of it until done."""
    if not loading.done():
        return {"status": "degraded", "detail": f"loading {report.done}/{report.total}"}
    if loading.cancelled():
        return {"status": "degraded", "detail": f"loading stopped at {report.done}/{report.total}"}
    if loading.exception() is not None:
        error = loading.exception()
        return {"status": "degraded", "detail": f"loading failed at {report.done}/{report.total}: {error}"[:300]}
    if report.failed:
        names = ", ".join(sorted(report.failed))
        return {"status": "degraded", "detail": f"{len(report.failed)} of {report.total} files skipped: {names}"[:300]}
    return {"status": "ok", "detail": f"{report.total} problem files loaded"}
