"""Training reports, their comparison, a user's statistics and weaknesses (API.md §6 TrainingReport,
WeaknessEntry, GET /users/me/stats and /users/me/weaknesses, GET /sessions/compare)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field, field_validator

from syncode.models.common import ApiModel, RequestModel, Timestamp, as_utc
from syncode.models.execution import Verdict
from syncode.models.rooms import ProblemRef

ReportStatus = Literal["pending", "ready", "failed"]
Trend = Literal["improving", "declining", "steady"]
WeaknessTrend = Literal["improving", "stable", "worsening"]
EvidenceType = Literal["code_line", "event", "test"]
WeaknessCategory = Literal[
    "edge_cases",
    "time_complexity",
    "space_complexity",
    "variable_naming",
    "code_structure",
    "off_by_one",
    "input_validation",
    "communication",
]
MAX_COMPARED = 10


class Evidence(ApiModel):
    type: EvidenceType
    reference: str = Field(description="a line number, a timeline event id or a test index")
    description: str


class Dimension(ApiModel):
    score: int = Field(ge=0, le=100)
    summary: str
    evidence: list[Evidence]


class Dimensions(ApiModel):
    correctness: Dimension
    efficiency: Dimension
    code_quality: Dimension
    problem_solving: Dimension
    communication: Dimension


class ReportHistory(ApiModel):
    trend: Trend
    sessions_compared: int
    average_score: int | None = Field(None, description="mean overall score of the compared earlier reports")


class ReportTest(ApiModel):
    index: int
    hidden: bool
    passed: bool
    time_ms: int | None = None
    verdict: Verdict


class TrainingReport(ApiModel):
    session_id: str
    candidate_id: str
    status: ReportStatus
    overall_score: int | None = None
    dimensions: Dimensions | None = None
    strengths: list[str] = Field(default_factory=list, max_length=3)
    improvements: list[str] = Field(default_factory=list, max_length=3)
    summary: str = ""
    history: ReportHistory | None = None
    tests: list[ReportTest] = Field(default_factory=list)
    provider: Literal["llm", "offline"] = "offline"
    created_at: Timestamp
    generated_at: Timestamp | None = None


class ReportPending(ApiModel):
    session_id: str
    status: Literal["pending"] = "pending"


class CompareQuery(RequestModel):
    ids: list[str] = Field(description="2 to 10 session ids of mine, comma-separated")


class ComparedSession(ApiModel):
    session_id: str
    problem: ProblemRef | None = None
    started_at: Timestamp
    report_status: ReportStatus | None = None
    overall_score: int | None = None
    dimensions: dict[str, int] = Field(default_factory=dict, description="dimension -> score")
    deltas: dict[str, int] | None = Field(
        None, description="change of each score since the previous compared session with a report"
    )


class Comparison(ApiModel):
    sessions: list[ComparedSession] = Field(description="in the order they started")
    deltas: dict[str, int] = Field(description="change of each score from the first to the last report")
    trend: Trend


class StatsQuery(RequestModel):
    from_: datetime | None = Field(None, alias="from", description="default: 30 days (day) or 12 weeks (week) back")
    to: datetime | None = Field(None, description="default: now")
    bucket: Literal["day", "week"] = "day"

    _utc = field_validator("from_", "to")(as_utc)


class StatsPoint(ApiModel):
    start: Timestamp
    sessions: int
    submissions: int
    accepted: int
    avg_score: float | None = None


class Tally(ApiModel):
    attempted: int
    solved: int


class LanguageTally(ApiModel):
    submissions: int
    accepted: int


class StatsTotals(ApiModel):
    sessions: int
    practice_minutes: int
    problems_solved: int
    submissions: int
    accepted: int
    acceptance_rate: float | None = Field(None, description="accepted / submissions, 0..1")
    by_difficulty: dict[str, Tally]
    by_language: dict[str, LanguageTally]


class UserStats(ApiModel):
    series: list[StatsPoint]
    totals: StatsTotals
    streak_days: int = Field(description="consecutive UTC days up to today with a session or accepted submission")


class WeaknessSession(ApiModel):
    session_id: str
    problem_title: str | None = None
    score: int | None = None
    reported_at: Timestamp


class WeaknessEntry(ApiModel):
    category: WeaknessCategory
    description: str
    frequency: int = Field(description="how many of the reports show it")
    trend: WeaknessTrend
    last_seen_at: Timestamp
    sessions: list[WeaknessSession]
