"""The LLM engine: any OpenAI-compatible chat-completions endpoint (OpenAI, vLLM, Ollama, LM Studio) through the
official `openai` SDK's async client. Each call times out after `llm_timeout_sec`; the SDK retries 429, 5xx,
timeouts and connection errors `llm_max_retries` times with exponential backoff (honouring Retry-After). The
answer must be one JSON object, validated by a pydantic model; an invalid one is asked for once more, then the
offline engine answers instead (provider `offline`, and the reason is kept). The API key is sent, never logged.
"""

from __future__ import annotations

import logging
import re
from dataclasses import replace
from typing import Any, Literal, TypeVar

import openai
from pydantic import BaseModel, Field, ValidationError

from config import Settings
from syncode.ai import prompts
from syncode.ai.brief import Brief
from syncode.ai.engine import Answer, Issue, Review
from syncode.ai.offline import OfflineEngine
from syncode.ai.review import render_review

log = logging.getLogger("syncode.ai")
M = TypeVar("M", bound=BaseModel)
TEXT = 6000
RETRY_INVALID = (
    "That was not one JSON object of the requested shape. Answer again with only the JSON object, nothing else."
)


class ReplyOut(BaseModel):
    reply: str = Field(min_length=1, max_length=TEXT)


class HintOut(BaseModel):
    hint: str = Field(min_length=1, max_length=TEXT)


class IssueOut(BaseModel):
    line: int | None = Field(None, ge=1, le=100_000)
    severity: Literal["error", "warning", "info"]
    message: str = Field(min_length=1, max_length=1000)
    suggestion: str | None = Field(None, max_length=1000)


class ComplexityOut(BaseModel):
    time: str = Field(min_length=1, max_length=100)
    space: str = Field(min_length=1, max_length=100)


class ReviewOut(BaseModel):
    summary: str = Field(min_length=1, max_length=2000)
    issues: list[IssueOut] = Field(max_length=30)
    complexity: ComplexityOut
    score: int = Field(ge=0, le=10)


class ProseOut(BaseModel):
    summary: str = Field(min_length=1, max_length=2000)
    strengths: list[str] = Field(max_length=3)
    improvements: list[str] = Field(max_length=3)


SCHEMAS: dict[str, type[BaseModel]] = {"chat": ReplyOut, "proactive": ReplyOut, "hint": HintOut, "review": ReviewOut}


class LlmFailure(Exception):
    """Why the LLM gave no usable answer (a short reason, safe to store and log)."""


def json_text(content: str | None) -> str:
    """The JSON object in a reply, without the code fences or prose some models add around it."""
    text = (content or "").strip()
    fenced = re.match(r"```(?:json)?\s*(.*?)```\s*$", text, re.S)  # a whole answer fenced, not fences inside
    if fenced:
        text = fenced.group(1).strip()
    start, end = text.find("{"), text.rfind("}")
    return text[start : end + 1] if start != -1 and end > start else text


class LlmEngine:
    def __init__(self, settings: Settings, offline: OfflineEngine) -> None:
        self.offline = offline
        self.model = settings.llm_model or "default"
        self.temperature = settings.llm_temperature
        self.max_tokens = settings.llm_max_tokens
        self.client = openai.AsyncOpenAI(
            base_url=settings.llm_base_url,
            api_key=settings.llm_api_key or "unused",  # local servers (Ollama, vLLM) accept any key
            timeout=settings.llm_timeout_sec,
            max_retries=settings.llm_max_retries,
        )

    async def close(self) -> None:
        await self.client.close()

    async def answer(self, brief: Brief) -> Answer:
        schema = SCHEMAS.get(brief.task, ReplyOut)
        try:
            out = await self.complete(prompts.messages(brief), schema)
        except LlmFailure as failure:
            log.warning("LLM answer unusable, the offline engine answers", extra={"reason": str(failure)})
            return replace(self.offline.answer_now(brief), fallback=str(failure))
        return self._answer(out)

    def _answer(self, out: BaseModel) -> Answer:
        if isinstance(out, ReviewOut):
            issues = [Issue(i.severity, i.message, i.line, i.suggestion) for i in out.issues]
            review = Review(out.summary, issues, out.complexity.time, out.complexity.space, out.score)
            return Answer(render_review(review), "llm", self.model, review=review)
        text = out.hint if isinstance(out, HintOut) else out.reply  # type: ignore[attr-defined]
        return Answer(text.strip(), "llm", self.model)

    async def complete(self, messages: list[dict[str, str]], schema: type[M]) -> M:
        """The model's answer as `schema`; an invalid one is asked for once more. Raises LlmFailure."""
        for attempt in range(2):
            content = await self._call(messages)
            try:
                return schema.model_validate_json(json_text(content))
            except (ValidationError, ValueError):
                if attempt == 0:
                    messages = [
                        *messages,
                        {"role": "assistant", "content": content or ""},
                        {"role": "user", "content": RETRY_INVALID},
                    ]
        raise LlmFailure("invalid output")

    async def _call(self, messages: list[dict[str, str]]) -> str | None:
        try:
            response = await self.client.chat.completions.create(
                model=self.model,
                messages=messages,  # type: ignore[arg-type]
                temperature=self.temperature,
                max_tokens=self.max_tokens,
                response_format={"type": "json_object"},
            )
        except openai.APITimeoutError:
            raise LlmFailure("timeout") from None
        except openai.APIStatusError as exc:
            raise LlmFailure(f"HTTP {exc.status_code}") from None
        except openai.APIError as exc:
            raise LlmFailure(type(exc).__name__) from None
        choices = response.choices or []
        return choices[0].message.content if choices else None

    async def prose(self, facts: dict[str, Any]) -> ProseOut:
        """A training report's summary, strengths and improvements. Raises LlmFailure."""
        return await self.complete(prompts.report_messages(facts), ProseOut)
