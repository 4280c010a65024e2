"""The interviewer's guide (issue 23): who may read a problem's guide, and when.

In a live peer room only the interviewer reads it (`Cap.read_guide`: by role, never by hosting; nobody in ai mode,
where the AI interviewer uses `ProblemService.guide` itself). Once a session has finished, every reader of the
session (its participants and admins, SessionAccess) may read it. The feedback form of the wrapup phase shows the
problem's rubric anchors to whoever rates the candidate; the candidate, rating the interviewer, gets general anchors
that give nothing of the problem away. The content lives with the problem service (`db.problemGuides`), which
serves it to nobody else.
"""

from __future__ import annotations

from syncode.enums import Role, RoomStatus
from syncode.errors import Conflict
from syncode.models.guide import FeedbackAnchors, FeedbackForm, FeedbackFormEntry, InterviewerGuide
from syncode.models.problems import GuideRubric, RubricAnchors
from syncode.rooms import RoomService
from syncode.rooms.rules import Room, member
from syncode.rooms.views import capabilities_of
from syncode.services.auth import Principal
from syncode.services.feedback import FeedbackService, parties
from syncode.services.permissions import Cap
from syncode.services.problems import ProblemService
from syncode.sessions.access import SessionAccess


def anchors(poor: str, fair: str, strong: str) -> RubricAnchors:
    return RubricAnchors(poor=poor, fair=fair, strong=strong)


# Rating a candidate when the problem has no written rubric.
CANDIDATE_RUBRIC = GuideRubric(
    problem_solving=anchors(
        "No workable approach, or one that cannot be explained; needed the solution spelled out.",
        "Reached a working approach with a hint or two; complexity stated but only partly justified.",
        "Found and justified an efficient approach on their own, compared it with the brute force, and stated its "
        "time and space complexity correctly.",
    ),
    code_quality=anchors(
        "Code does not run or is hard to follow: unclear names, tangled control flow, copy-paste.",
        "Code works and is readable, with some clumsy parts (long function, magic numbers, leftover debugging).",
        "Clean, idiomatic code: small clear functions, good names, no dead code; a reviewer would approve it.",
    ),
    testing=anchors(
        "Never ran or traced the code; edge cases were not considered.",
        "Ran the examples and some edge cases when prompted; found and fixed a bug or two.",
        "Tested unprompted: traced an example by hand, chose edge cases deliberately (empty, one element, extremes, "
        "duplicates) and fixed what they found.",
    ),
    communication=anchors(
        "Coded in silence or could not explain their decisions; did not ask clarifying questions.",
        "Explained the main idea and answered questions, but thinking aloud stopped while coding.",
        "Clarified the problem first, talked through trade-offs and progress throughout, and took hints gracefully.",
    ),
)
CANDIDATE_OVERALL = anchors(
    "Well below the bar for this problem: no working solution and little progress in the reasoning.",
    "Near the bar: a mostly working solution with some help, with gaps in testing or explanation.",
    "Clearly above the bar: a correct, clean and tested solution, explained throughout, with little or no help.",
)
# Rating the interviewer (the candidate's review): how well they ran the interview, nothing of the problem.
INTERVIEWER_ANCHORS = FeedbackAnchors(
    problem_solving=anchors(
        "Did not seem to know the problem: could not tell whether an approach would work.",
        "Knew the intended solution, but hints came too early or too late, or gave too much away.",
        "Knew the problem well, followed an approach that differed from theirs, and timed hints so that you did "
        "the solving.",
    ),
    code_quality=anchors(
        "Gave no feedback on the code, or feedback that was wrong.",
        "Pointed out some issues in the code, without specifics.",
        "Gave specific, correct feedback on structure, naming and edge-case handling, with concrete suggestions.",
    ),
    testing=anchors(
        "Never asked how the code would be tested and raised no edge case.",
        "Asked for tests or mentioned edge cases, without following up.",
        "Prompted you to test, offered good edge cases at the right moment and discussed what the tests showed.",
    ),
    communication=anchors(
        "Questions went unanswered or the interview had no structure.",
        "Answered clarifying questions and kept time, but the interview felt uneven.",
        "Set clear expectations, answered questions precisely, kept time and gave a constructive debrief.",
    ),
    overall=anchors(
        "The interview did not help you practise.",
        "A useful practice interview with rough edges.",
        "An interview you would want again: prepared, fair, with feedback you can act on.",
    ),
)


def candidate_anchors(rubric: GuideRubric) -> FeedbackAnchors:
    return FeedbackAnchors(**dict(rubric), overall=CANDIDATE_OVERALL)


class GuideService:
    def __init__(
        self, rooms: RoomService, problems: ProblemService, feedback: FeedbackService, sessions: SessionAccess
    ) -> None:
        self.rooms = rooms
        self.problems = problems
        self.feedback = feedback
        self.sessions = sessions

    async def for_room(self, principal: Principal, room_id: str) -> InterviewerGuide:
        """The room's interviewer only (403 for everyone else, everyone in ai mode); 409 without a problem."""
        room, _ = await self.rooms.access(principal, room_id, Cap.read_guide)
        if not room.get("problemId"):
            raise Conflict("this room has no problem yet", "ROOM_NO_PROBLEM")
        return await self.problems.guide(room["problemId"])

    async def for_session(self, principal: Principal, session_id: str) -> InterviewerGuide:
        """Any reader of the session (participants, admins), once it has finished (409 before)."""
        session = await self.sessions.readable(principal, session_id)
        if session.get("finishedAt") is None:
            raise Conflict("the guide opens to the session's participants when it finishes", "SESSION_NOT_FINISHED")
        if not session.get("problemId"):
            raise Conflict("this session had no problem", "SESSION_NO_PROBLEM")
        return await self.problems.guide(session["problemId"])

    async def feedback_form(self, principal: Principal, room_id: str) -> FeedbackForm:
        """The rating anchors for each participant the caller reviews (the feedback rules decide who may)."""
        room = await self.feedback.open_room(principal, room_id)
        rubric = await self._candidate_rubric(room, principal)
        entries = []
        for user_id in sorted(parties(room) - {principal.id}):
            role = member(room, user_id)["role"]  # type: ignore[index]  # parties are present members
            if role == Role.candidate:
                source, shown = ("problem", rubric) if rubric else ("general", CANDIDATE_RUBRIC)
                entry_anchors = candidate_anchors(shown)
            else:
                source, entry_anchors = "general", INTERVIEWER_ANCHORS
            entries.append(
                FeedbackFormEntry(reviewee_id=user_id, reviewee_role=role, source=source, anchors=entry_anchors)
            )
        return FeedbackForm(data=entries)

    async def _candidate_rubric(self, room: Room, principal: Principal) -> GuideRubric | None:
        """The problem's rubric, if it has one and the caller may read the guide now."""
        allowed = Cap.read_guide in capabilities_of(room, principal) or room["status"] == RoomStatus.finished
        if not allowed or not room.get("problemId"):
            return None
        written = await self.problems.stored_guide(room["problemId"])
        return written.rubric if written else None
