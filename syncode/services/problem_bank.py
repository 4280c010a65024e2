"""Loads the problem bank (problems/*.toml, format in problems/README.md) into the database, idempotently.

A file is applied when it is new or its content hash changed; an unchanged file leaves the stored problem (and
any admin edits made through the API) alone. Generated test cases run trusted generator code from the repo.
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

from syncode.clock import utcnow
from syncode.db import Database
from syncode.services.problems import DIFFICULTY_RANK, replace_test_cases

log = logging.getLogger("syncode.problem_bank")
ID_NAMESPACE = uuid.UUID("5b0e4c39-6f6b-4d8e-9a53-2b1f1f7c9d11")


@dataclass
class BankReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)


def stable_id(*parts: str) -> str:
    """Ids derived from the slug, so reloading a file never changes what clients hold."""
    return str(uuid.uuid5(ID_NAMESPACE, "/".join(parts)))


def parse_problem(raw: bytes, file_name: str) -> dict[str, Any]:
    data = tomllib.loads(raw.decode())
    for test in data.get("tests", []):
        if "generator" in test:
            scope: dict[str, Any] = {}
            exec(compile(test["generator"], f"{file_name}:generator", "exec"), scope)  # trusted repo code
            test["input"], test["output"] = scope["generate"](random.Random(test.get("seed", 0)))
    return data


def test_cases(data: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "_id": stable_id(data["slug"], "case", str(i)),
            "input": t["input"],
            "expectedOutput": t["output"],
            "isHidden": bool(t.get("hidden", False)),
            "isLarge": bool(t.get("large", False)),
            "explanation": t.get("explanation"),
        }
        for i, t in enumerate(data["tests"])
    ]


def to_document(data: dict[str, Any], digest: str, file_name: str) -> dict[str, Any]:
    slug = data["slug"]
    return {
        "slug": slug,
        "title": data["title"],
        "titleKey": data["title"].strip().lower(),
        "description": data["description"].strip(),
        "difficulty": data["difficulty"],
        "difficultyRank": DIFFICULTY_RANK[data["difficulty"]],
        "tags": sorted(set(data.get("tags", []))),
        "constraints": (data.get("constraints") or "").strip() or None,
        "examples": [
            {"input": e["input"], "output": e["output"], "explanation": e.get("explanation")}
            for e in data.get("examples", [])
        ],
        "starterCode": {lang: code.lstrip("\n") for lang, code in data.get("starter_code", {}).items()},
        "timeLimitMs": int(data.get("time_limit_ms", 2000)),
        "memoryLimitMb": int(data.get("memory_limit_mb", 256)),
        "comparison": data.get("comparison", "lines"),
        "floatAbsTol": float(data.get("float_abs_tol", 1e-6)),
        "floatRelTol": float(data.get("float_rel_tol", 1e-6)),
        "hints": list(data.get("hints", [])),
        "referenceSolutions": dict(data.get("reference", {})),
        "naiveSolutions": dict(data.get("naive", {})),
        "isPublished": True,
        "source": {"file": file_name, "hash": digest},
    }


async def load_bank(db: Database, directory: Path) -> BankReport:
    report = BankReport()
    known = {
        p["source"]["file"]: p["source"]["hash"]
        async for p in db.problems.find({"source": {"$exists": True}}, {"source": 1})
    }
    for path in sorted(directory.glob("*.toml")):
        try:
            raw = await asyncio.to_thread(path.read_bytes)
            digest = hashlib.sha256(raw).hexdigest()
            if known.get(path.name) == digest:
                report.unchanged.append(path.stem)  # not even parsed: generators run only for changed files
                continue
            data = await asyncio.to_thread(parse_problem, raw, path.name)
            outcome = await _apply(db, to_document(data, digest, path.name), test_cases(data))
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


async def _apply(db: Database, doc: dict[str, Any], cases: list[dict[str, Any]]) -> str:
    problem_id = stable_id(doc["slug"])
    existing = await db.problems.find_one({"_id": problem_id}, {"source": 1, "deletedAt": 1})
    now = utcnow()
    # Cases first, the document (carrying the file hash) last: an interrupted load is retried next start.
    if existing is None:
        await replace_test_cases(db, problem_id, cases)
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
    await db.problems.update_one({"_id": problem_id}, {"$set": {**doc, "updatedAt": now}})
    return "updated"
