"""Base models and shapes shared by every part of the API."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Generic, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PlainSerializer
from pydantic.alias_generators import to_camel

from config import SUPPORTED_LANGUAGES
from syncode.clock import iso

Timestamp = Annotated[datetime, PlainSerializer(iso, return_type=str, when_used="json")]


def _supported_language(value: str) -> str:
    if value not in SUPPORTED_LANGUAGES:
        raise ValueError(f"must be one of {', '.join(SUPPORTED_LANGUAGES)}")
    return value


Language = Annotated[str, AfterValidator(_supported_language)]


class ApiModel(BaseModel):
    """Response shapes: snake_case in Python, camelCase on the wire."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, serialize_by_alias=True)

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True)


class RequestModel(ApiModel):
    """Request bodies and query strings: unknown fields are rejected, strings trimmed of nothing."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid", serialize_by_alias=True)


class ErrorResponse(ApiModel):
    status_code: int
    code: str
    message: str
    details: dict[str, Any] | None = None
    request_id: str


class Pagination(ApiModel):
    next_cursor: str | None
    has_more: bool


T = TypeVar("T")


class Page(ApiModel, Generic[T]):
    data: list[T]
    pagination: Pagination


class DataList(ApiModel, Generic[T]):
    data: list[T]


class PageQuery(RequestModel):
    cursor: str | None = None
    limit: int = Field(20, ge=1, le=100)
    sort_order: str = Field("desc", pattern="^(asc|desc)$")


def as_utc(value: datetime | None) -> datetime | None:
    """A time without a zone is read as UTC (for query parameters such as from/to)."""
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value
