"""The LLM's prompts: versioned text files beside this module (prompts/<name>.<VERSION>.txt) and the rendering of a
Brief into chat messages. Everything a user wrote (code, chat, test data, the problem and the interviewer's notes
that admins write) goes inside an untrusted block whose markers carry a random id per request, so a user cannot
close the block early; marker-like text inside is defused. The reference solutions are never sent."""

from __future__ import annotations

import json
import re
import secrets
from functools import cache
from pathlib import Path
from typing import Any

from syncode.ai.brief import Brief, JobBrief

VERSION = "v1"
DIRECTORY = Path(__file__).resolve().parent / "prompts"
MARKER = re.compile(r"<<<|>>>")
CODE_CHARS = 20_000
TURN_CHARS = 1_500


@cache
def template(name: str) -> str:
    return (DIRECTORY / f"{name}.{VERSION}.txt").read_text()


class Blocks:
    """Untrusted blocks of one request, all with the same fresh id."""

    def __init__(self) -> None:
        self.id = secrets.token_hex(6)

    def wrap(self, name: str, text: str | None) -> str:
        body = MARKER.sub(lambda m: "< < <" if m.group() == "<<<" else "> > >", text or "")
        return f"<<<UNTRUSTED {name} {self.id}>>>\n{body.rstrip()}\n<<<END {name} {self.id}>>>"


def numbered(code: str) -> str:
    code = code[:CODE_CHARS]
    return "\n".join(f"{n:>4} | {line}" for n, line in enumerate(code.splitlines(), 1))


def job_lines(job: JobBrief, blocks: Blocks) -> str:
    head = f"- {job.kind}: {job.verdict or 'unknown'}"
    if job.total is not None:
        head += f", {job.passed}/{job.total} tests passed"
    case = job.failed
    if case is None:
        detail = {"stdin": job.stdin, "stdout": job.stdout, "stderr": job.stderr} if job.kind == "run" else {}
        detail = {k: v for k, v in detail.items() if v}
        return head + ("\n" + blocks.wrap("run_io", json.dumps(detail, indent=1)) if detail else "")
    if case.hidden:
        return f"{head}; first failure: hidden test #{case.index + 1} ({case.verdict}), data not shown"
    data = {"input": case.input, "expected": case.expected, "got": case.got, "stderr": case.stderr}
    data = {k: v for k, v in data.items() if v is not None}
    return f"{head}; first failure: visible test #{case.index + 1} ({case.verdict})\n" + blocks.wrap(
        "failing_test", json.dumps(data, indent=1)
    )


def context(brief: Brief, blocks: Blocks) -> list[str]:
    parts = [f"Room mode: {brief.mode}. Interview phase: {brief.phase}. Language: {brief.language}."]
    if brief.problem:
        p = brief.problem
        statement = f"# {p.title} ({p.difficulty})\n\n{p.description}\n\n## Constraints\n{p.constraints or '-'}"
        if p.examples:
            statement += "\n\n## Examples\n" + json.dumps(p.examples[:3], indent=1)
        parts.append("The problem:\n" + blocks.wrap("problem", statement))
        if p.hints:
            ladder = "\n".join(f"{i + 1}. {h}" for i, h in enumerate(p.hints))
            parts.append("The problem's hint ladder, from subtle to direct:\n" + blocks.wrap("hint_ladder", ladder))
    else:
        parts.append("No problem has been chosen for the room yet.")
    if brief.guide and (brief.guide.approach or brief.guide.follow_ups):
        g = brief.guide
        notes = {"approach": g.approach, "complexity": {"time": g.time, "space": g.space}}
        notes |= {"common_mistakes": g.mistakes, "follow_up_questions": g.follow_ups}
        parts.append("The interviewer's notes (for you only):\n" + blocks.wrap("interviewer_notes", json.dumps(notes)))
    parts.append(f"The candidate's current code ({brief.language}):\n" + blocks.wrap("code", numbered(brief.code)))
    facts = brief.facts
    parts.append(
        f"The server's reading of that code: estimated {facts.time()} time and {facts.space()} extra space; "
        f"loops nested at lines {facts.nested_lines or 'none'}; recursive functions: {facts.recursive or 'none'}."
    )
    if brief.analysis and brief.analysis.get("diagnostics"):
        found = [{k: d.get(k) for k in ("line", "severity", "rule", "message")} for d in brief.analysis["diagnostics"]]
        parts.append("The linter's and compiler's findings:\n" + blocks.wrap("static_analysis", json.dumps(found[:20])))
    if brief.jobs:
        jobs = "\n".join(job_lines(job, blocks) for job in brief.jobs)
        parts.append(f"Recent runs and submissions, oldest first:\n{jobs}")
    if brief.conversation:
        speaker = {"user": "candidate", "assistant": "interviewer"}
        turns = "\n".join(f"{speaker[t.role]} ({t.kind}): {t.content[:TURN_CHARS]}" for t in brief.conversation)
        parts.append("The conversation so far:\n" + blocks.wrap("conversation", turns))
    return parts


def task_text(brief: Brief, blocks: Blocks) -> str:
    text = template(brief.task if brief.task in ("chat", "hint", "review", "proactive") else "chat")
    if brief.task == "hint":
        text += f"\nHint level: {brief.level}. Hints already given on this problem: {brief.hints_given}."
    if brief.task == "proactive":
        text += f"\nReason to speak now: {brief.trigger}."
        if brief.candidate:
            text += "\nThe candidate's name:\n" + blocks.wrap("candidate_name", brief.candidate)
    if brief.question:
        label = "The candidate's message" if brief.task == "chat" else "The candidate's question"
        text += f"\n{label}:\n" + blocks.wrap("candidate_message", brief.question)
    return text


def messages(brief: Brief) -> list[dict[str, str]]:
    blocks = Blocks()
    body = "\n\n".join([*context(brief, blocks), task_text(brief, blocks)])
    return [{"role": "system", "content": template("system")}, {"role": "user", "content": body}]


def report_messages(facts: dict[str, Any]) -> list[dict[str, str]]:
    """The training report's prose: the evidence and the drafts go in one untrusted block."""
    blocks = Blocks()
    body = template("report") + "\n\nThe report's evidence and drafts:\n" + blocks.wrap("report", json.dumps(facts))
    return [{"role": "system", "content": template("system")}, {"role": "user", "content": body}]
