"""The AI interviewer (issue 17): conversation, hints, code reviews and weaknesses in rooms, the interviewer of
ai-mode rooms, and the LLM prose of training reports. An LLM answers when one is configured (llm.py), the offline
engine (offline.py) always can; the leak guard (guard.py) stands after both.

One module per job, each importing only those above it in this list:
  codefacts, pyfacts   what the code's text says (loops, recursion, guards, names), no I/O
  brief                what the AI knows for one answer
  guard                does a text give a reference solution away?
  engine               the engine interface and the Responder (engine, then guard)
  findings, review     what is wrong and the offline review
  offline              the offline engine
  prompts, llm, prose  the LLM's prompts, engine and report prose
  store                `aiMessages` and `aiRooms`
  gather               a Brief from the services that own each part
  limits, service      the AI endpoints and the durable answering
  interviewer          the AI running ai-mode rooms

Above the room services (it imports rooms, sessions and the services), below handlers and the context.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from config import Settings
from judge import Judge
from syncode.ai.engine import Responder
from syncode.ai.gather import BriefBuilder
from syncode.ai.interviewer import Interviewer
from syncode.ai.llm import LlmEngine
from syncode.ai.offline import OfflineEngine
from syncode.ai.prose import ReportProse
from syncode.ai.service import AiService
from syncode.ai.store import AiStore
from syncode.collab import CollabPlane
from syncode.db import Database
from syncode.events import EventBus
from syncode.rooms import RoomService
from syncode.services.execution import ExecutionService
from syncode.services.problems import ProblemService
from syncode.services.quotas import QuotaService
from syncode.sessions.recorder import SessionRecorder

ProseWriter = Callable[[dict[str, Any]], Awaitable[dict[str, Any] | None]]

__all__ = ["AiService", "Interviewer", "build_ai"]


def build_ai(
    settings: Settings,
    db: Database,
    bus: EventBus,
    rooms: RoomService,
    quotas: QuotaService,
    collab: CollabPlane,
    judge: Judge,
    problems: ProblemService,
    execution: ExecutionService,
    recorder: SessionRecorder,
) -> tuple[AiService, Interviewer, ProseWriter | None]:
    """The AI service, the interviewer of ai rooms, and the report prose writer (None without an LLM)."""
    store = AiStore(db)
    offline = OfflineEngine()
    llm = LlmEngine(settings, offline) if settings.llm_base_url else None
    responder = Responder(llm or offline, offline, settings.ai_leak_threshold)
    builder = BriefBuilder(problems, execution, store, conversations=llm is not None)
    for completed in ("run.completed", "submission.completed"):
        bus.subscribe(completed, builder.jobs_changed)
    ai = AiService(settings, store, rooms, quotas, collab, judge, builder, responder, bus, recorder)
    if llm:
        ai.on_close.append(llm.close)
    interviewer = Interviewer(settings, bus, rooms, ai, store, execution, builder)
    return ai, interviewer, ReportProse(llm).write if llm else None
