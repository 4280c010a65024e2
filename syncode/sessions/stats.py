"""What a user reads across sessions: training statistics over time, weaknesses derived from their reports, and
the comparison of several sessions' reports. Reads sessions (this package), reports (reports.py) and
submissions (through the execution service); writes nothing. Sessions a user hid from their history are left
out of their statistics and weaknesses too.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

from syncode.clock import utcnow
from syncode.db import Database
from syncode.errors import ValidationFailed
from syncode.models.reports import (
    MAX_COMPARED,
    ComparedSession,
    Comparison,
    StatsQuery,
    UserStats,
    WeaknessEntry,
)
from syncode.services.auth import Principal
from syncode.services.execution import ExecutionService
from syncode.services.problems import ProblemService
from syncode.sessions.access import SessionAccess
from syncode.sessions.narrative import WEAKNESSES
from syncode.sessions.reports import ReportService
from syncode.sessions.scoring import WEIGHTS, trend

DEFAULT_SPAN = {"day": timedelta(days=30), "week": timedelta(weeks=12)}
MAX_BUCKETS = 400
STREAK_LOOKBACK_DAYS = 400
RECENT_REPORTS = 3  # a weakness's trend: its share of these latest reports against the earlier ones
WEAKNESS_REPORTS = 100
WEAKNESS_SESSIONS = 10
DIFFICULTIES = ("easy", "medium", "hard")


def bucket_start(at: datetime, bucket: str) -> datetime:
    day = at.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return day - timedelta(days=day.weekday()) if bucket == "week" else day


def buckets(start: datetime, end: datetime, bucket: str) -> list[datetime]:
    step = timedelta(weeks=1) if bucket == "week" else timedelta(days=1)
    first = bucket_start(start, bucket)
    count = max(0, -(-(end - first) // step))
    if count > MAX_BUCKETS:
        raise ValidationFailed(f"at most {MAX_BUCKETS} buckets", details={"from": "range too long for the bucket"})
    return [first + i * step for i in range(count)]


def streak(days: set[datetime], today: datetime) -> int:
    """Consecutive UTC days with activity ending today (or yesterday: today's may still come)."""
    day = bucket_start(today, "day")
    if day not in days:
        day -= timedelta(days=1)
    count = 0
    while day in days:
        count, day = count + 1, day - timedelta(days=1)
    return count


def minutes_in(session: dict[str, Any], user_id: str, now: datetime) -> float:
    """The time the user spent in the session: from joining to leaving (or its end)."""
    me = next((p for p in session["participants"] if p["userId"] == user_id), None)
    if me is None:
        return 0.0
    end = me.get("leftAt") or session.get("finishedAt") or now
    return max(0.0, (end - me["joinedAt"]).total_seconds() / 60)


def weakness_trend(hits: list[bool]) -> str:
    """`hits`: whether each of the user's reports, oldest first, shows the weakness."""
    recent, earlier = hits[-RECENT_REPORTS:], hits[:-RECENT_REPORTS]
    if not earlier:
        return "stable"
    now, before = sum(recent) / len(recent), sum(earlier) / len(earlier)
    return "improving" if now < before else "worsening" if now > before else "stable"


def dimension_scores(report: dict[str, Any]) -> dict[str, int]:
    return {name: report["dimensions"][name]["score"] for name in WEIGHTS} | {"overall": report["overallScore"]}


class StatsService:
    def __init__(
        self, db: Database, execution: ExecutionService, problems: ProblemService, reports: ReportService
    ) -> None:
        self.db = db
        self.execution = execution
        self.problems = problems
        self.reports = reports

    # -- statistics --------------------------------------------------------------------------------------

    async def stats(self, principal: Principal, q: StatsQuery) -> UserStats:
        end = q.to or utcnow()
        start = q.from_ or end - DEFAULT_SPAN[q.bucket]
        if start >= end:
            raise ValidationFailed("`from` must be before `to`", details={"from": "after to"})
        starts = buckets(start, end, q.bucket)
        sessions = await self._sessions(principal.id, {"$gte": start, "$lt": end})
        submissions = await self.execution.user_submissions(principal.id, start, end)
        scores = await self._scores(principal.id, [s["_id"] for s in sessions])
        series: dict[datetime, dict[str, Any]] = {
            b: {"start": b, "sessions": 0, "submissions": 0, "accepted": 0, "scores": []} for b in starts
        }
        for s in sessions:
            point = series.get(bucket_start(s["startedAt"], q.bucket))
            if point:
                point["sessions"] += 1
                point["scores"] += [scores[s["_id"]]] if s["_id"] in scores else []
        for sub in submissions:
            point = series.get(bucket_start(sub["createdAt"], q.bucket))
            if point:
                point["submissions"] += 1
                point["accepted"] += sub["verdict"] == "accepted"
        points = [
            {**p, "avgScore": round(sum(p["scores"]) / len(p["scores"]), 1) if p["scores"] else None}
            for p in series.values()
        ]
        totals = await self._totals(principal.id, sessions, submissions)
        return UserStats.model_validate(
            {"series": points, "totals": totals, "streakDays": await self._streak(principal.id)}
        )

    async def _sessions(self, user_id: str, started: dict[str, Any]) -> list[dict[str, Any]]:
        query = {**SessionAccess.visible_to(user_id), "startedAt": started}
        fields = {"startedAt": 1, "finishedAt": 1, "participants": 1}
        return await self.db.sessions.find(query, fields).to_list(None)

    async def _scores(self, user_id: str, session_ids: list[str]) -> dict[str, int]:
        query = {"_id": {"$in": session_ids}, "candidateId": user_id, "status": "ready"}
        return {r["_id"]: r["overallScore"] async for r in self.db.reports.find(query, {"overallScore": 1})}

    async def _totals(
        self, user_id: str, sessions: list[dict[str, Any]], submissions: list[dict[str, Any]]
    ) -> dict[str, Any]:
        now = utcnow()
        accepted = [s for s in submissions if s["verdict"] == "accepted"]
        levels = await self.problems.refs(sorted({s["problemId"] for s in submissions}))
        by_difficulty = {d: {"attempted": set(), "solved": set()} for d in DIFFICULTIES}
        by_language: dict[str, dict[str, int]] = defaultdict(lambda: {"submissions": 0, "accepted": 0})
        for sub in submissions:
            ref = levels.get(sub["problemId"])
            if ref:
                by_difficulty[ref.difficulty]["attempted"].add(sub["problemId"])
                if sub["verdict"] == "accepted":
                    by_difficulty[ref.difficulty]["solved"].add(sub["problemId"])
            by_language[sub["language"]]["submissions"] += 1
            by_language[sub["language"]]["accepted"] += sub["verdict"] == "accepted"
        return {
            "sessions": len(sessions),
            "practiceMinutes": int(sum(minutes_in(s, user_id, now) for s in sessions)),
            "problemsSolved": len({s["problemId"] for s in accepted}),
            "submissions": len(submissions),
            "accepted": len(accepted),
            "acceptanceRate": round(len(accepted) / len(submissions), 4) if submissions else None,
            "byDifficulty": {d: {k: len(v) for k, v in t.items()} for d, t in by_difficulty.items()},
            "byLanguage": dict(by_language),
        }

    async def _streak(self, user_id: str) -> int:
        now = utcnow()
        since = bucket_start(now, "day") - timedelta(days=STREAK_LOOKBACK_DAYS)
        sessions = await self._sessions(user_id, {"$gte": since})
        accepted = await self.execution.user_submissions(user_id, since, now + timedelta(seconds=1), True)
        days = {bucket_start(s["startedAt"], "day") for s in sessions}
        days |= {bucket_start(s["createdAt"], "day") for s in accepted}
        return streak(days, now)

    # -- weaknesses --------------------------------------------------------------------------------------

    async def weaknesses(self, principal: Principal) -> list[WeaknessEntry]:
        """Each category the user's reports show, most frequent first."""
        return await self.weaknesses_of(principal.id)

    async def weaknesses_of(self, user_id: str) -> list[WeaknessEntry]:
        """The same for any user (the AI interviewer shows a room's candidate's to the room's interviewers)."""
        hidden = {s["_id"] async for s in self.db.sessions.find({"hiddenFor": user_id}, {"_id": 1})}
        found = self.db.reports.find(
            {"candidateId": user_id, "status": "ready"}, sort=[("startedAt", -1)], limit=WEAKNESS_REPORTS
        )
        reports = [r async for r in found if r["_id"] not in hidden][::-1]  # oldest first
        seen: dict[str, list[tuple[dict[str, Any], dict[str, Any]]]] = defaultdict(list)
        for report in reports:
            for entry in report.get("categories", []):
                seen[entry["category"]].append((report, entry))
        entries = [self._weakness(category, hits, reports) for category, hits in seen.items()]
        entries.sort(key=lambda e: (-e.frequency, -e.last_seen_at.timestamp(), e.category))
        return entries

    @staticmethod
    def _weakness(category: str, hits: list[tuple[dict, dict]], reports: list[dict[str, Any]]) -> WeaknessEntry:
        ids = {report["_id"] for report, _ in hits}
        sessions = [
            {
                "sessionId": report["_id"],
                "problemTitle": report.get("problemTitle"),
                "score": entry.get("score"),
                "reportedAt": report["generatedAt"],
            }
            for report, entry in reversed(hits)
        ]
        return WeaknessEntry.model_validate(
            {
                "category": category,
                "description": WEAKNESSES[category],
                "frequency": len(hits),
                "trend": weakness_trend([r["_id"] in ids for r in reports]),
                "lastSeenAt": max(report["generatedAt"] for report, _ in hits),
                "sessions": sessions[:WEAKNESS_SESSIONS],
            }
        )

    # -- comparison --------------------------------------------------------------------------------------

    async def compare(self, principal: Principal, ids: list[str]) -> Comparison:
        """2..MAX_COMPARED of the caller's sessions in the order they started, with their reports' scores, the
        changes between consecutive reports, and the trend of the overall score from the first to the last."""
        if not 2 <= len(ids) <= MAX_COMPARED or len(set(ids)) != len(ids):
            raise ValidationFailed(
                f"compare 2 to {MAX_COMPARED} different sessions", details={"ids": "2 to 10 distinct ids"}
            )
        query = {"_id": {"$in": ids}, **SessionAccess.visible_to(principal.id)}
        sessions = await self.db.sessions.find(query, sort=[("startedAt", 1), ("_id", 1)]).to_list(None)
        missing = sorted(set(ids) - {s["_id"] for s in sessions})
        if missing:
            raise ValidationFailed("not all of these are your sessions", details={"ids": f"unknown: {missing[0]}"})
        reports = await self.reports.readable_reports(principal, ids)
        problems = await self.problems.refs(sorted({s["problemId"] for s in sessions if s.get("problemId")}))
        compared, previous, first = [], None, None
        for session in sessions:
            report = reports.get(session["_id"])
            scores = dimension_scores(report) if report and report["status"] == "ready" else None
            deltas = {k: v - previous[k] for k, v in scores.items()} if scores and previous else None
            compared.append(
                ComparedSession(
                    session_id=session["_id"],
                    problem=problems.get(session.get("problemId") or ""),
                    started_at=session["startedAt"],
                    report_status=report["status"] if report else None,
                    overall_score=scores["overall"] if scores else None,
                    dimensions={k: v for k, v in scores.items() if k != "overall"} if scores else {},
                    deltas=deltas,
                )
            )
            if scores:
                first, previous = first or scores, scores
        overall = {k: v - first[k] for k, v in previous.items()} if first and previous else {}
        return Comparison(sessions=compared, deltas=overall, trend=trend(overall.get("overall", 0)))
