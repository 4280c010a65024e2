"""Static analysis inside the sandbox: a linter or compiler diagnostics per language, lizard for all.

Each tool is one step in the same sandbox session, with its own limits; a tool that fails or times out is
reported in `tool_results`, never raised.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass

from judge.engine import Limits
from judge.languages import BASE_ENV, Recipe
from judge.models import AnalysisResult, AnalysisSummary, Diagnostic, FunctionComplexity, ToolResult
from judge.sandbox import Outcome, Session, Step, SupervisorKilled
from judge.tools import TOOLS_MOUNT

TOOL_CPU_MS = 15_000
TOOL_WALL_MS = 30_000
TOOL_OUTPUT_BYTES = 1 << 20
RUFF_RULES = "E,F,W,B,N,SIM,UP"
# Missing Node typings (no @types/node in the sandbox): a hint, not an error.
TS_TYPINGS_CODES = {"2580", "2584", "2591", "2304"}

Parser = Callable[[Outcome], list[Diagnostic]]


@dataclass(frozen=True)
class Tool:
    name: str
    argv: tuple[str, ...]
    parse: Parser
    env: tuple[tuple[str, str], ...] = ()


def parse_ruff(outcome: Outcome) -> list[Diagnostic]:
    diagnostics = []
    for item in json.loads(outcome.stdout or "[]"):
        code = item.get("code")
        syntax = code in (None, "invalid-syntax") or code.startswith("E9") or item.get("severity") == "error"
        severity = "error" if syntax or (code or "").startswith("F8") else "warning"
        location = item.get("location") or {}
        diagnostics.append(
            Diagnostic(
                tool="ruff",
                rule=code,
                severity=severity,
                message=item["message"],
                line=location.get("row"),
                column=location.get("column"),
            )
        )
    return diagnostics


def parse_gcc(outcome: Outcome) -> list[Diagnostic]:
    """gcc/g++ -fdiagnostics-format=json (a JSON array on stderr)."""
    text = outcome.stderr.strip()
    if not text.startswith("["):
        return []
    diagnostics = []
    for item in json.loads(text):
        if item.get("kind") not in ("error", "warning", "note"):
            continue
        caret = (item.get("locations") or [{}])[0].get("caret") or {}
        severity = {"note": "info"}.get(item["kind"], item["kind"])
        diagnostics.append(
            Diagnostic(
                tool="gcc",
                rule=item.get("option"),
                severity=severity,
                message=item["message"],
                line=caret.get("line"),
                column=caret.get("column"),
            )
        )
    return diagnostics


def parse_rustc(outcome: Outcome) -> list[Diagnostic]:
    diagnostics = []
    for line in outcome.stderr.splitlines():
        if not line.startswith("{"):
            continue
        item = json.loads(line)
        primary = next((span for span in item.get("spans", []) if span.get("is_primary")), None)
        if primary is None:
            continue  # summaries such as "aborting due to previous error"
        severity = {"error": "error", "warning": "warning"}.get(item["level"], "info")
        diagnostics.append(
            Diagnostic(
                tool="rustc",
                rule=(item.get("code") or {}).get("code"),
                severity=severity,
                message=item["message"],
                line=primary["line_start"],
                column=primary["column_start"],
            )
        )
    return diagnostics


JAVAC_LINE = re.compile(r"^Main\.java:(\d+): (error|warning): (?:\[([\w-]+)\] )?(.*)$")
TSC_LINE = re.compile(r"^main\.ts\((\d+),(\d+)\): (error|warning) TS(\d+): (.*)$")
GO_LINE = re.compile(r"^(vet: )?\.?/?main\.go:(\d+):(\d+): (.*)$")
NODE_SYNTAX = re.compile(r"^(?:/work/)?main\.js:(\d+)$")


def parse_javac(outcome: Outcome) -> list[Diagnostic]:
    diagnostics = []
    for line in outcome.stderr.splitlines():
        match = JAVAC_LINE.match(line)
        if match:
            number, severity, rule, message = match.groups()
            diagnostics.append(
                Diagnostic(tool="javac", rule=rule, severity=severity, message=message, line=int(number))
            )
    return diagnostics


def parse_tsc(outcome: Outcome) -> list[Diagnostic]:
    diagnostics = []
    for line in outcome.stdout.splitlines():
        match = TSC_LINE.match(line)
        if match:
            number, column, severity, code, message = match.groups()
            if code in TS_TYPINGS_CODES:
                severity = "info"
            diagnostics.append(
                Diagnostic(
                    tool="tsc",
                    rule=f"TS{code}",
                    severity=severity,
                    message=message,
                    line=int(number),
                    column=int(column),
                )
            )
    return diagnostics


def parse_go_vet(outcome: Outcome) -> list[Diagnostic]:
    diagnostics = []
    for line in outcome.stderr.splitlines():
        match = GO_LINE.match(line)
        if match:
            type_error, number, column, message = match.groups()
            severity = "error" if type_error else "warning"
            diagnostics.append(
                Diagnostic(tool="go vet", severity=severity, message=message, line=int(number), column=int(column))
            )
    return diagnostics


def parse_node_check(outcome: Outcome) -> list[Diagnostic]:
    """`node --check`: on a syntax error, stderr is `main.js:LINE`, the code, a caret, then the error."""
    lines = outcome.stderr.splitlines()
    match = NODE_SYNTAX.match(lines[0]) if lines else None
    if match is None:
        return []
    message = next((line for line in lines if "Error:" in line), lines[-1])
    return [Diagnostic(tool="node", rule="SyntaxError", severity="error", message=message, line=int(match[1]))]


def parse_lizard(outcome: Outcome) -> list[FunctionComplexity]:
    rows = csv.reader(io.StringIO(outcome.stdout))
    return [
        FunctionComplexity(function=row[7], start_line=int(row[9]), end_line=int(row[10]), cyclomatic=int(row[1]))
        for row in rows
        if len(row) >= 11 and row[1].isdigit()
    ]


LINTERS: dict[str, Tool] = {
    "python": Tool(
        "ruff",
        (
            f"{TOOLS_MOUNT}/bin/ruff",
            "check",
            "--output-format=json",
            "--no-cache",
            "--isolated",
            f"--select={RUFF_RULES}",
            "main.py",
        ),
        parse_ruff,
    ),
    "javascript": Tool("node", ("node", "--check", "main.js"), parse_node_check),
    "typescript": Tool(
        "tsc", ("tsc", "--noEmit", "--pretty", "false", "--target", "es2020", "--lib", "es2020", "main.ts"), parse_tsc
    ),
    "java": Tool("javac", ("javac", "-J-Xmx512m", "-Xlint:all", "-d", "/tmp/analysis", "Main.java"), parse_javac),
    "cpp": Tool(
        "gcc",
        ("g++", "-std=gnu++17", "-fsyntax-only", "-Wall", "-Wextra", "-fdiagnostics-format=json", "main.cpp"),
        parse_gcc,
    ),
    "c": Tool(
        "gcc",
        ("gcc", "-std=gnu17", "-fsyntax-only", "-Wall", "-Wextra", "-fdiagnostics-format=json", "main.c"),
        parse_gcc,
    ),
    "go": Tool(
        "go vet",
        ("go", "vet", "main.go"),
        parse_go_vet,
        env=(("GOCACHE", "/tmp/go-cache"), ("GO111MODULE", "off"), ("CGO_ENABLED", "0")),
    ),
    "rust": Tool(
        "rustc",
        (
            "rustc",
            "--edition",
            "2021",
            "--error-format=json",
            "--emit=metadata",
            "-o",
            "/tmp/analysis.rmeta",
            "main.rs",
        ),
        parse_rustc,
    ),
}
LIZARD = ("python3", "-S", "-m", "lizard", "--csv")


def tool_step(argv: tuple[str, ...], limits: Limits, env: dict[str, str]) -> Step:
    return Step(
        argv=list(argv),
        env={**BASE_ENV, "PYTHONPATH": f"{TOOLS_MOUNT}/py", **env},
        cpu_ms=TOOL_CPU_MS,
        wall_ms=TOOL_WALL_MS,
        rss_kb=None,
        as_kb=None,
        stack_kb=64 * 1024,
        output_limit=TOOL_OUTPUT_BYTES,
        fsize_kb=limits.disk_mb * 1024,
        nproc=limits.nproc,
    )


def run_tool(session: Session, name: str, step: Step, parse: Callable[[Outcome], list]):
    """Run one tool; returns (parsed items, ToolResult). Failures are reported, not raised."""
    try:
        outcome = session.execute(step)
    except SupervisorKilled:
        return [], ToolResult(tool=name, status="failed", duration_ms=0, detail="sandbox supervisor killed")
    if outcome.killed in ("wall", "cpu") or outcome.cpu_ms > TOOL_CPU_MS:
        return [], ToolResult(tool=name, status="timeout", duration_ms=outcome.wall_ms)
    try:
        items = parse(outcome)
    except (ValueError, KeyError, IndexError) as exc:
        detail = f"unreadable output ({exc.__class__.__name__}): {(outcome.stderr or outcome.stdout)[:300]}"
        return [], ToolResult(tool=name, status="failed", duration_ms=outcome.wall_ms, detail=detail)
    if outcome.exit_code == 127:
        return [], ToolResult(tool=name, status="failed", duration_ms=outcome.wall_ms, detail=outcome.stderr[:300])
    return items, ToolResult(tool=name, status="ok", duration_ms=outcome.wall_ms)


def analyze(session: Session, recipe: Recipe, code: str, limits: Limits) -> AnalysisResult:
    session.start({recipe.source_file: code})
    linter = LINTERS[recipe.language]
    diagnostics, linter_result = run_tool(
        session, linter.name, tool_step(linter.argv, limits, dict(linter.env)), linter.parse
    )
    complexity, lizard_result = run_tool(
        session, "lizard", tool_step((*LIZARD, recipe.source_file), limits, {}), parse_lizard
    )
    return AnalysisResult(
        language=recipe.language,
        summary=summarize(diagnostics, complexity),
        diagnostics=diagnostics,
        complexity=complexity,
        tool_results=[linter_result, lizard_result],
    )


def summarize(diagnostics: list[Diagnostic], complexity: list[FunctionComplexity]) -> AnalysisSummary:
    def count(severity: str) -> int:
        return sum(d.severity == severity for d in diagnostics)

    return AnalysisSummary(
        errors=count("error"),
        warnings=count("warning"),
        infos=count("info"),
        max_complexity=max((f.cyclomatic for f in complexity), default=None),
    )


def failed_result(language: str) -> AnalysisResult:
    """What analysis returns when the sandbox itself failed."""
    return AnalysisResult(
        language=language,
        summary=AnalysisSummary(errors=0, warnings=0, infos=0),
        tool_results=[ToolResult(tool="sandbox", status="failed", duration_ms=0, detail="the sandbox failed")],
    )
