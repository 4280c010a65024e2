"""The offline code review: issues from the findings (tests, crashes, loop structure, recursion, guards, names)
and the judge's static analysis (linters and compiler diagnostics, cyclomatic complexity) when it could run,
the complexity estimated from the loop structure, a score out of 10, and a summary. An accepted solution gets a
follow-up question, not a bug report."""

from __future__ import annotations

from typing import Any

from syncode.ai.brief import Brief
from syncode.ai.engine import Issue, Review
from syncode.ai.findings import findings

MAX_DIAGNOSTICS = 8
COMPLEX_FUNCTION = 10  # cyclomatic complexity worth a remark
PENALTY = {"error": 4.0, "warning": 3.0, "info": 0.5}
SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}


def follow_up(brief: Brief) -> str:
    """One of the guide's follow-up questions (a different one as more are asked), or a generic one."""
    ups = brief.guide.follow_ups if brief.guide else []
    if ups:
        return f"A follow-up: {ups[brief.hints_given % len(ups)]}"
    return "A follow-up: is there another approach with a different trade-off between time and memory?"


def offline_review(brief: Brief) -> Review:
    facts = brief.facts
    issues = [Issue(f.severity, f.message, f.line, f.suggestion) for f in findings(brief)]
    issues += analysis_issues(brief.analysis)
    issues.sort(key=lambda i: (SEVERITY_ORDER.get(i.severity, 3), i.line or 0))
    score = review_score(brief, issues)
    summary = review_summary(brief, issues)
    if brief.solved:
        summary += f" {follow_up(brief)}"
    return Review(summary=summary, issues=issues, time=facts.time(), space=facts.space(), score=score)


def analysis_issues(analysis: dict[str, Any] | None) -> list[Issue]:
    """The judge's static analysis (stored form) as review issues."""
    if not analysis:
        return []
    issues = []
    for diagnostic in analysis.get("diagnostics", [])[:MAX_DIAGNOSTICS]:
        rule = f"{diagnostic['rule']}: " if diagnostic.get("rule") else ""
        severity = diagnostic.get("severity") if diagnostic.get("severity") in PENALTY else "info"
        issues.append(Issue(severity, f"{rule}{diagnostic.get('message', '')}".strip(), diagnostic.get("line")))
    for function in analysis.get("complexity", []):
        if function.get("cyclomatic", 0) > COMPLEX_FUNCTION:
            issues.append(
                Issue(
                    "info",
                    f"`{function['function']}` has {function['cyclomatic']} independent paths (cyclomatic complexity).",
                    function.get("startLine"),
                    "Fewer branches per function: move cases into helpers or a lookup table.",
                )
            )
    return issues


def review_score(brief: Brief, issues: list[Issue]) -> int:
    if brief.unchanged_starter:
        return 0
    infos = sum(PENALTY["info"] for i in issues if i.severity == "info")
    penalty = sum(PENALTY[i.severity] for i in issues if i.severity != "info") + min(infos, 2.0)
    score = max(0.0, 10.0 - penalty)
    if brief.solved:
        score = max(score, 7.0)
    return round(score)


def review_summary(brief: Brief, issues: list[Issue]) -> str:
    facts = brief.facts
    estimate = f"Estimated from its loops: {facts.time()} time, {facts.space()} extra space."
    if brief.unchanged_starter:
        return "Nothing to review yet: the code is still the starter code."
    job = brief.last_submission
    if brief.solved and job is not None:
        notes = f" {len(issues)} suggestion{'s' * (len(issues) != 1)} on style below." if issues else ""
        return f"Accepted: all {job.total} tests pass. {estimate}{notes}"
    errors = [i for i in issues if i.severity == "error"]
    warnings = [i for i in issues if i.severity == "warning"]
    if errors:
        more = f" ({len(issues) - 1} more below)" if len(issues) > 1 else ""
        return f"Not working yet: {errors[0].message}{more} {estimate}"
    if warnings:
        return f"Looks workable, with a concern: {warnings[0].message} {estimate}"
    return f"The checks found no problem. {estimate} Have you tested the edge cases?"


def render_review(review: Review) -> str:
    """The review as the text of its AI message (markdown)."""
    lines = [review.summary]
    if review.issues:
        lines.append("")
        for issue in review.issues:
            where = f"line {issue.line}: " if issue.line else ""
            tip = f" {issue.suggestion}" if issue.suggestion else ""
            lines.append(f"- **{issue.severity}** {where}{issue.message}{tip}")
    lines.append("")
    lines.append(f"Complexity: {review.time or '?'} time, {review.space or '?'} space. Score: {review.score}/10.")
    return "\n".join(lines)
