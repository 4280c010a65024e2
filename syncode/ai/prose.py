"""The training report's words by the LLM (when one is configured): its summary, strengths and improvements,
rewritten from the evidence and the offline drafts the reports compute; the scores never come from here. Given
to the report service as its `prose` writer; None (keep the offline templates) when the LLM gives no usable
answer."""

from __future__ import annotations

import logging
from typing import Any

from syncode.ai.llm import LlmEngine, LlmFailure

log = logging.getLogger("syncode.ai")
FACTS = ("problemTitle", "overallScore", "dimensions", "history", "summary", "strengths", "improvements")


class ReportProse:
    def __init__(self, llm: LlmEngine) -> None:
        self.llm = llm

    async def write(self, report: dict[str, Any]) -> dict[str, Any] | None:
        """{summary, strengths, improvements, provider: llm} for a report's fields, or None."""
        facts = {key: report.get(key) for key in FACTS}
        try:
            out = await self.llm.prose(facts)
        except LlmFailure as failure:
            log.warning("report prose from the LLM unusable: offline templates kept", extra={"reason": str(failure)})
            return None
        except Exception:  # the report must not fail for its words
            log.exception("report prose failed: offline templates kept")
            return None
        return {
            "summary": out.summary.strip(),
            "strengths": [s.strip() for s in out.strengths if s.strip()],
            "improvements": [s.strip() for s in out.improvements if s.strip()],
            "provider": "llm",
        }
