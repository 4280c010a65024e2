"""Problems, test cases, tags and bookmarks."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from config import SUPPORTED_LANGUAGES
from syncode.models.common import ApiModel, PageQuery, RequestModel, Timestamp

Difficulty = Literal["easy", "medium", "hard"]
Comparison = Literal["lines", "tokens", "float"]
SLUG = r"^[a-z0-9]+(-[a-z0-9]+)*$"
MAX_TEXT = 64 * 1024  # a statement, a starter program
MAX_CASE = 256 * 1024  # one test case's input or expected output (the request body is capped at 1 MiB)
TIME_LIMIT = {"ge": 100, "le": 15000}
MEMORY_LIMIT = {"ge": 16, "le": 1024}


class ProblemExample(ApiModel):
    input: str = Field(max_length=MAX_TEXT)
    output: str = Field(max_length=MAX_TEXT)
    explanation: str | None = Field(None, max_length=MAX_TEXT)


class TestCase(ApiModel):
    id: str
    input: str
    expected_output: str
    is_hidden: bool
    explanation: str | None = None


class ProblemSummary(ApiModel):
    id: str
    slug: str
    title: str
    difficulty: Difficulty
    tags: list[str]
    acceptance_rate: float | None = None
    total_submissions: int
    is_bookmarked: bool
    attempt_status: Literal["solved", "attempted"] | None = None


GUIDE_TEXT = 2000  # one anchor, mistake or follow-up question


class RubricAnchors(RequestModel):
    """What a rating of 1, of 3 and of 5 looks like (keys "1", "3" and "5", as the ratings are numbered)."""

    poor: str = Field(alias="1", min_length=1, max_length=GUIDE_TEXT)
    fair: str = Field(alias="3", min_length=1, max_length=GUIDE_TEXT)
    strong: str = Field(alias="5", min_length=1, max_length=GUIDE_TEXT)


class GuideRubric(RequestModel):
    """Anchors for the four dimensions a peer interviewer rates (PeerFeedbackRatings), written for one problem."""

    problem_solving: RubricAnchors
    code_quality: RubricAnchors
    testing: RubricAnchors
    communication: RubricAnchors


class GuideComplexity(RequestModel):
    time: str = Field(min_length=1, max_length=200, description="of the reference solution, e.g. O(n log n)")
    space: str = Field(min_length=1, max_length=200, description="extra space of the reference solution")


class ProblemGuide(RequestModel):
    """The interviewer's guide to a problem: a bank file's `[guide]` section, or what an admin gave. Never shown to
    a candidate before their session finishes."""

    approach: str = Field(min_length=1, max_length=MAX_TEXT, description="the intended approach, in a few sentences")
    complexity: GuideComplexity
    mistakes: list[Annotated[str, Field(min_length=1, max_length=GUIDE_TEXT)]] = Field(min_length=1, max_length=10)
    follow_ups: list[Annotated[str, Field(min_length=1, max_length=GUIDE_TEXT)]] = Field(min_length=1, max_length=10)
    rubric: GuideRubric

    @field_validator("approach", mode="before")
    @classmethod
    def _trimmed(cls, value: object) -> object:
        return value.strip() if isinstance(value, str) else value


class ProblemDetail(ProblemSummary):
    description: str
    constraints: str | None = None
    examples: list[ProblemExample]
    starter_code: dict[str, str]
    time_limit_ms: int
    memory_limit_mb: int
    test_cases: list[TestCase]
    hints: list[str]
    comparison: Comparison
    is_published: bool
    guide: ProblemGuide | None = Field(None, description="the interviewer's guide: admins only (null for others)")
    created_at: Timestamp
    updated_at: Timestamp


class TagInfo(ApiModel):
    slug: str
    name: str
    problem_count: int


class TestCaseInput(RequestModel):
    input: str = Field(max_length=MAX_CASE)
    expected_output: str = Field(max_length=MAX_CASE)
    is_hidden: bool = False
    explanation: str | None = Field(None, max_length=MAX_TEXT)


class ExampleInput(RequestModel):
    input: str = Field(max_length=MAX_TEXT)
    output: str = Field(max_length=MAX_TEXT)
    explanation: str | None = Field(None, max_length=MAX_TEXT)


def _check_starters(value: dict[str, str] | None) -> dict[str, str] | None:
    if value is None:
        return value
    unknown = set(value) - set(SUPPORTED_LANGUAGES)
    if unknown:
        raise ValueError(f"unsupported languages: {', '.join(sorted(unknown))}")
    if any(len(code) > MAX_TEXT for code in value.values()):
        raise ValueError(f"starter code over {MAX_TEXT} characters")
    return value


def _check_tags(value: list[str] | None) -> list[str] | None:
    if value is None:
        return value
    bad = [t for t in value if not re.match(SLUG, t) or len(t) > 40]
    if bad:
        raise ValueError(f"tags must be lowercase slugs: {', '.join(bad)}")
    return sorted(set(value))


class ProblemFields(RequestModel):
    """Fields shared by create and update; all optional here, create makes the core ones required."""

    title: str | None = Field(None, min_length=1, max_length=200)
    slug: str | None = Field(None, min_length=1, max_length=100, pattern=SLUG)
    description: str | None = Field(None, min_length=1, max_length=MAX_TEXT)
    difficulty: Difficulty | None = None
    tags: list[str] | None = Field(None, max_length=20)
    constraints: str | None = Field(None, max_length=MAX_TEXT)
    examples: list[ExampleInput] | None = Field(None, max_length=20)
    starter_code: dict[str, str] | None = None
    test_cases: list[TestCaseInput] | None = Field(None, min_length=1, max_length=100)
    time_limit_ms: int | None = Field(None, **TIME_LIMIT)
    memory_limit_mb: int | None = Field(None, **MEMORY_LIMIT)
    hints: list[str] | None = Field(None, max_length=10)
    comparison: Comparison | None = None
    is_published: bool | None = None
    guide: ProblemGuide | None = Field(None, description="the interviewer's guide (null removes it)")

    _starters = field_validator("starter_code")(_check_starters)
    _tags = field_validator("tags")(_check_tags)

    @model_validator(mode="after")
    def _no_nulls(self) -> ProblemFields:
        """Absent means "leave as is"; only `constraints` and `guide` may be set to null."""
        for name in self.model_fields_set - {"constraints", "guide"}:
            if getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        return self

    @field_validator("hints")
    @classmethod
    def _hints(cls, value: list[str] | None) -> list[str] | None:
        if value and any(not h.strip() or len(h) > 2000 for h in value):
            raise ValueError("each hint is 1..2000 characters")
        return value


class CreateProblemRequest(ProblemFields):
    title: str = Field(min_length=1, max_length=200)
    description: str = Field(min_length=1, max_length=MAX_TEXT)
    difficulty: Difficulty
    tags: list[str] = Field(default_factory=list, max_length=20)
    test_cases: list[TestCaseInput] = Field(min_length=1, max_length=100)


class UpdateProblemRequest(ProblemFields):
    """Every field optional; the ones given replace the stored ones (testCases: the whole set)."""


class ProblemQuery(PageQuery):
    search: str | None = Field(None, max_length=200)
    difficulty: list[Difficulty] | None = None
    tags: list[str] | None = Field(None, max_length=20)
    status: Literal["solved", "attempted", "todo"] | None = None
    sort_by: Literal["createdAt", "title", "difficulty", "acceptanceRate"] = "createdAt"
    sort_order: Literal["asc", "desc"] | None = Field(
        None, description="default: desc for createdAt and acceptanceRate, asc for title and difficulty"
    )
    include_unpublished: bool = Field(False, description="admins only: also list unpublished problems")
