"""Author's check for problem files, run directly on the host (no sandbox): `python problems/check.py [slug ...]`.

Validates the schema, runs generators, runs the reference solutions (python, cpp) on every test, checks the naive
solution exceeds the time limit on large tests, and checks every starter program compiles or parses.
The suite proves the bank again through the real judge (tests/judge/test_problem_bank.py).
"""

from __future__ import annotations

import math
import random
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

HERE = Path(__file__).parent
LANGS = ("python", "javascript", "typescript", "java", "cpp", "c", "go", "rust")


def load(path: Path) -> dict:
    data = tomllib.loads(path.read_text())
    for test in data.get("tests", []):
        if "generator" in test:
            scope: dict = {}
            exec(compile(test["generator"], f"{path.name}:generator", "exec"), scope)
            test["input"], test["output"] = scope["generate"](random.Random(test.get("seed", 0)))
    return data


def same(expected: str, actual: str, mode: str, abs_tol: float, rel_tol: float) -> bool:
    if mode == "tokens":
        return expected.split() == actual.split()
    if mode == "float":
        a, b = expected.split(), actual.split()
        if len(a) != len(b):
            return False
        for x, y in zip(a, b, strict=True):
            try:
                if not math.isclose(float(x), float(y), abs_tol=abs_tol, rel_tol=rel_tol):
                    return False
            except ValueError:
                if x != y:
                    return False
        return True
    norm = lambda s: "\n".join(line.rstrip() for line in s.rstrip().splitlines())  # noqa: E731
    return norm(expected) == norm(actual)


def build(lang: str, code: str, work: Path) -> list[str] | str:
    """Return the run command, or an error string."""
    if lang == "python":
        (work / "main.py").write_text(code)
        return [sys.executable, str(work / "main.py")]
    if lang == "cpp":
        (work / "main.cpp").write_text(code)
        r = subprocess.run(
            ["g++", "-O2", "-std=c++17", "-o", str(work / "a.out"), str(work / "main.cpp")],
            capture_output=True,
            text=True,
        )
        return r.stderr if r.returncode else [str(work / "a.out")]
    raise ValueError(lang)


def run(cmd: list[str], stdin: str, limit_s: float) -> tuple[str | None, float]:
    start = time.monotonic()
    try:
        r = subprocess.run(cmd, input=stdin, capture_output=True, text=True, timeout=limit_s)
    except subprocess.TimeoutExpired:
        return None, time.monotonic() - start
    return (r.stdout if r.returncode == 0 else None), time.monotonic() - start


def check_starter(lang: str, code: str, work: Path) -> str | None:
    files = {
        "python": "main.py",
        "javascript": "main.js",
        "typescript": "main.ts",
        "java": "Main.java",
        "cpp": "main.cpp",
        "c": "main.c",
        "go": "main.go",
        "rust": "main.rs",
    }
    src = work / files[lang]
    src.write_text(code)
    cmds = {
        "python": [sys.executable, "-m", "py_compile", str(src)],
        "javascript": ["node", "--check", str(src)],
        "typescript": ["tsc", "--noEmit", "--lib", "es2020", str(src)],
        "java": ["javac", "-d", str(work), str(src)],
        "cpp": ["g++", "-std=c++17", "-fsyntax-only", str(src)],
        "c": ["gcc", "-fsyntax-only", str(src)],
        "go": ["go", "vet", str(src)],
        "rust": ["rustc", "--edition", "2021", "-o", str(work / "rs.out"), str(src)],
    }
    cmd = cmds[lang]
    if shutil.which(cmd[0]) is None:
        return None  # toolchain not on this host: skipped
    r = subprocess.run(cmd, capture_output=True, text=True, cwd=work)
    return (r.stdout + r.stderr)[-800:] if r.returncode else None


def check(path: Path) -> list[str]:
    errors: list[str] = []
    p = load(path)
    slug = path.stem
    need = [
        "slug",
        "title",
        "difficulty",
        "tags",
        "time_limit_ms",
        "description",
        "hints",
        "examples",
        "starter_code",
        "reference",
        "tests",
    ]
    errors += [f"missing {k}" for k in need if k not in p]
    if errors:
        return errors
    if p["slug"] != slug:
        errors.append("slug differs from file name")
    if len(p["examples"]) < 2:
        errors.append("fewer than 2 examples")
    tests = p["tests"]
    if len(tests) < 8 or sum(bool(t.get("hidden")) for t in tests) < 3:
        errors.append("need >= 8 tests with >= 3 hidden")
    if not any(t.get("large") for t in tests):
        errors.append("no large test")
    if not 2 <= len(p["hints"]) <= 3:
        errors.append("need 2-3 hints")
    missing = [lang for lang in LANGS if lang not in p["starter_code"]]
    if missing:
        errors.append(f"starter code missing for {missing}")
    refs = ["python"] + (["cpp"] if p["difficulty"] != "easy" else [])
    errors += [f"reference missing: {lang}" for lang in refs if lang not in p["reference"]]
    mode = p.get("comparison", "lines")
    tol = (p.get("float_abs_tol", 1e-6), p.get("float_rel_tol", 1e-6))
    limit = p["time_limit_ms"] / 1000
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for lang in refs:
            if lang not in p["reference"]:
                continue
            cmd = build(lang, p["reference"][lang], work)
            if isinstance(cmd, str):
                errors.append(f"reference {lang} does not compile: {cmd[:500]}")
                continue
            for i, t in enumerate(tests + [dict(e, hidden=False) for e in p["examples"]]):
                out, took = run(cmd, t["input"], limit * 3)
                if out is None or not same(t["output"], out, mode, *tol):
                    errors.append(f"reference {lang} fails test {i} ({took:.2f}s)")
                elif took > limit * 0.6:
                    errors.append(f"reference {lang} too slow on test {i}: {took:.2f}s of {limit:.2f}s")
        for lang, code in p.get("naive", {}).items():
            cmd = build(lang, code, work)
            if isinstance(cmd, str):
                errors.append(f"naive {lang} does not compile")
                continue
            for i, t in enumerate(tests):
                out, took = run(cmd, t["input"], limit * 1.5)
                if t.get("large") and out is not None and took <= limit:
                    errors.append(f"naive {lang} passes large test {i} in {took:.2f}s")
                if not t.get("large") and (out is None or not same(t["output"], out, mode, *tol)):
                    errors.append(f"naive {lang} wrong on small test {i}")
        for lang, code in p["starter_code"].items():
            with tempfile.TemporaryDirectory() as sub:
                problem = check_starter(lang, code, Path(sub))
                if problem:
                    errors.append(f"starter {lang} does not compile: {problem}")
    return errors


def main() -> int:
    names = sys.argv[1:]
    paths = [HERE / f"{n}.toml" for n in names] if names else sorted(HERE.glob("*.toml"))
    failed = 0
    for path in paths:
        try:
            errors = check(path)
        except Exception as exc:  # a broken file is reported, the others still run
            errors = [f"{type(exc).__name__}: {exc}"]
        print(f"{'FAIL' if errors else 'ok  '} {path.stem}")
        for e in errors:
            print(f"     - {e}")
        failed += bool(errors)
    print(f"{len(paths) - failed} ok, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
