"""The end of an interview and what follows, in real Chromium pages against a real server: the interviewer reveals a
hint from the guide and the candidate sees it, the chat survives a reload, static analysis, the wrap-up feedback
form on both sides, finish, then the session report (scores, evidence, timeline, peer feedback) with the keystroke
replay showing the code of a chosen moment; the session list and a comparison; and the AI panel of an AI room
(the offline engine, no LLM)."""

from __future__ import annotations

import re

from playwright.async_api import Page, expect

from tests.web.conftest import SCREENSHOTS, register, unique
from tests.web.test_room import editor, replace_code

FIRST_HINT = "Think about the very last move onto the top step"
# Right, with a vague name (`tmp`, line 5) for the report's code quality to point at.
SOLUTION = (
    "import sys\n"
    "n = int(sys.stdin.read().split()[0])\n"
    "a, b = 1, 1\n"
    "for _ in range(n):\n"
    "    tmp = (a + b) % 1000000007\n"
    "    a, b = b, tmp\n"
    "print(a)\n"
)
LINE_5 = "tmp = (a + b) % 1000000007"


async def create_room(page: Page, problem: str, *, mode: str = "peer") -> str:
    await expect(page.get_by_label("Problem", exact=True)).to_be_enabled()
    await page.get_by_label("Problem", exact=True).select_option(label=problem)
    await page.get_by_label("Language").select_option("python")
    if mode == "ai":
        await page.get_by_label("AI interviewer").check()
    await page.get_by_role("button", name="Create room").click()
    await expect(page).to_have_url(re.compile(r"/rooms/[^/]+$"))
    await expect(editor(page)).to_contain_text("def ")
    return page.url[page.url.index("/rooms/") :]


async def rate(page: Page, form, scores: dict[str, int]) -> None:
    for label, score in scores.items():
        await form.get_by_label(f"{label}: {score}", exact=True).check()


async def test_hints_feedback_report_and_replay(new_page) -> None:
    alice, bob = await new_page(), await new_page()
    alice_name, bob_name = unique("alice"), unique("bob")
    await register(alice, alice_name)
    await register(bob, bob_name)
    room_path = await create_room(alice, "Climbing Stairs")
    invite = await alice.get_by_label("Invite").input_value()
    await bob.goto(invite)
    await bob.get_by_role("button", name="Join the room").click()
    await expect(bob).to_have_url(re.compile(re.escape(room_path) + "$"))
    await expect(editor(bob)).to_contain_text("def climb_stairs")

    await alice.get_by_role("button", name="Start warm-up").click()
    await alice.get_by_role("button", name="Start coding").click()
    await expect(bob.locator(".phases li.current")).to_have_text("Coding")

    # The interviewer reads the guide and reveals the first hint; the candidate sees it (and never the guide).
    await alice.get_by_role("tab", name="Hints").click()
    await expect(alice.locator(".assist-body")).to_contain_text("Fibonacci")  # the approach
    await expect(alice.locator(".assist-body")).to_contain_text("Reference solution (python)")
    await alice.get_by_role("button", name="Reveal hint 1").click()
    await expect(alice.locator(".hints.revealed")).to_contain_text(FIRST_HINT)
    await expect(alice.get_by_role("button", name="Reveal hint 2")).to_be_enabled()
    await bob.get_by_role("tab", name="Hints").click()
    await expect(bob.locator(".hints.revealed")).to_contain_text(FIRST_HINT)
    await expect(bob.locator(".hints.revealed")).to_contain_text(f"shown by {alice_name.capitalize()}")
    assert await bob.get_by_text("Interviewer's guide").count() == 0
    assert await bob.get_by_role("button", name=re.compile("Reveal hint")).count() == 0

    # Bob writes the solution, submits it, and it is accepted.
    await replace_code(bob, SOLUTION)
    await expect(editor(alice)).to_contain_text(LINE_5)
    await bob.get_by_role("button", name="Submit").click()
    await expect(bob.locator("article.job")).to_contain_text("Accepted", timeout=90_000)

    # Static analysis of the live code.
    await bob.get_by_role("tab", name="Analysis").click()
    await bob.get_by_role("button", name="Analyse the code").click()
    await expect(bob.locator(".analysis-summary")).to_contain_text(
        re.compile(r"\d+ errors · \d+ warnings"), timeout=90_000
    )

    # The candidate asks the AI for a hint in the peer room: the interviewer sees it in the AI tab.
    await bob.get_by_role("tab", name="AI").click()
    await bob.get_by_role("button", name="Get a hint").click()
    await expect(alice.locator("#assist-tab-ai .badge")).to_have_text("1")  # new in a tab she has not open
    await alice.get_by_role("tab", name="AI").click()
    await expect(alice.locator("#assist-tab-ai .badge")).to_have_count(0)
    ai_hint = alice.locator("#ai-log .ai-entry.ai").filter(has=alice.locator(".pill", has_text="hint"))
    await expect(ai_hint).to_have_count(1)
    await expect(ai_hint).not_to_have_attribute("aria-busy", "true", timeout=60_000)
    await expect(ai_hint.locator(".md")).not_to_be_empty()

    # Host actions: mute, then a role change the candidate's page follows (read-only as an observer), and back.
    bob_shown = bob_name.capitalize()
    await alice.get_by_role("button", name=f"Mute {bob_shown}").click()
    await expect(bob.locator(".people .muted-pill")).to_have_text("muted")
    await alice.get_by_role("button", name=f"Unmute {bob_shown}").click()
    await expect(bob.locator(".people .muted-pill")).to_have_count(0)
    await alice.get_by_label(f"Role of {bob_shown}").select_option("observer")
    await expect(bob.get_by_text("you: observer")).to_be_visible()
    await expect(editor(bob)).to_have_attribute("aria-readonly", "true")
    await alice.get_by_label(f"Role of {bob_shown}").select_option("candidate")
    await expect(bob.get_by_text("you: candidate")).to_be_visible()
    await expect(editor(bob)).to_have_attribute("aria-readonly", "false")

    # The chat comes back after a reload (GET /rooms/{id}/chat), with the hint still shown.
    await alice.get_by_label("Message", exact=True).fill("Walk me through the recurrence")
    await alice.get_by_label("Message", exact=True).press("Enter")
    await expect(bob.locator("#chat-log")).to_contain_text("Walk me through the recurrence")
    await bob.reload()
    await expect(bob.locator("#chat-log")).to_contain_text("Walk me through the recurrence")
    await bob.get_by_role("tab", name="Hints").click()
    await expect(bob.locator(".hints.revealed")).to_contain_text(FIRST_HINT)

    # Wrap-up opens the feedback form on both sides, with the problem's rubric anchors for rating the candidate.
    await alice.get_by_role("button", name="Start wrap-up").click()
    await expect(bob.locator(".phases li.current")).to_have_text("Wrap-up")
    form = alice.get_by_role("form", name=f"Feedback for {bob_name.capitalize()}")
    await expect(form).to_contain_text("Anchors from this problem's rubric.")
    await rate(alice, form, {"Problem solving": 4, "Communication": 5, "Code quality": 4, "Testing": 3, "Overall": 4})
    await form.get_by_label("Strengths (optional)").fill("Found the recurrence quickly")
    await form.get_by_role("button", name="Send feedback").click()
    await expect(alice.locator(".feedback.sent")).to_contain_text("Sent at")
    await expect(alice.locator(".feedback.sent")).to_contain_text(re.compile(r"Testing\s*3 / 5"))
    await bob.get_by_role("tab", name="Feedback").click()
    theirs = bob.get_by_role("form", name=f"Feedback for {alice_name.capitalize()}")
    await theirs.get_by_role("button", name="Send feedback").click()  # nothing rated: the form says so
    await expect(bob.get_by_role("status").filter(has_text="Rate problem solving")).to_be_visible()
    await rate(bob, theirs, {"Problem solving": 5, "Communication": 4, "Code quality": 4, "Testing": 4, "Overall": 5})
    await theirs.get_by_role("button", name="Send feedback").click()
    await expect(bob.locator(".feedback.sent")).to_contain_text("Sent at")
    SCREENSHOTS.mkdir(exist_ok=True)  # the room in wrap-up, for people to look at (the last screens are reports)
    await alice.screenshot(path=SCREENSHOTS / "test_hints_feedback_report_and_replay-room.png", full_page=True)

    # Finish; the candidate follows the link to the report.
    alice.on("dialog", lambda dialog: dialog.accept())
    await alice.get_by_role("button", name="Finish interview").click()
    await expect(bob.locator(".phases li.current")).to_have_text("Finished")
    await bob.get_by_role("link", name="See the session report").click()
    await expect(bob).to_have_url(re.compile(r"/sessions/[^/]+$"))
    session_path = bob.url[bob.url.index("/sessions/") :]
    await expect(bob.get_by_role("heading", name="Climbing Stairs", level=1)).to_be_visible()

    # Scores (the report may be pending first: the page waits for report.ready).
    overall = bob.get_by_label("Overall score")
    await expect(overall).to_have_text(re.compile(r"^\d{1,3}$"), timeout=90_000)
    correctness = bob.get_by_role("region", name="Correctness")
    await expect(correctness.locator(".score strong")).to_have_text("100")
    await expect(bob.get_by_role("region", name="Communication")).to_be_visible()
    await expect(bob.locator(".timeline")).to_contain_text("Submitted: Accepted")
    await expect(bob.locator(".timeline")).to_contain_text("Hint 1 shown")
    # Evidence linked to a code line: the button shows that line of the final code.
    quality = bob.get_by_role("region", name="Code quality")
    await expect(quality.locator(".evidence")).to_contain_text("`tmp` says little")
    await quality.get_by_role("button", name="line 5", exact=True).click()
    await expect(bob.locator("#code-L5")).to_have_class(re.compile(r"\bhit\b"))
    await expect(bob.locator("#code-L5")).to_be_focused()
    await expect(bob.locator("#code-L5")).to_contain_text(LINE_5)
    feedback = bob.locator(".peer-feedback")
    await expect(feedback.filter(has_text="Found the recurrence quickly")).to_be_visible()

    # The replay scrubber: the end shows the final code, the coding phase's start the starter code.
    replay = bob.locator(".replay-view")
    await expect(replay).to_contain_text(LINE_5)
    await bob.locator(".jumps").get_by_role("button", name=re.compile(r"^Phase Coding")).click()
    await expect(replay).to_contain_text("def climb_stairs")
    await expect(replay).not_to_contain_text(LINE_5)
    moment = await bob.locator("#replay-at").input_value()
    await bob.locator(".jumps").get_by_role("button", name=re.compile(r"^Submission")).last.click()
    await expect(replay).to_contain_text(LINE_5)
    assert int(await bob.locator("#replay-at").input_value()) > int(moment)
    # Dragging the scrubber to the start shows the code of that moment too.
    await bob.locator("#replay-at").focus()
    await bob.keyboard.press("Home")
    await expect(bob.locator(".replay-time")).to_have_text(re.compile(r"^0:00 / "))
    await expect(replay).to_contain_text("Code at 0:00")

    # The report is linked from the session list, and the interviewer sees it too (reload of the deep link).
    await bob.goto("/sessions")
    await expect(bob.locator(".sessions")).to_contain_text("Climbing Stairs")
    await alice.goto(session_path)
    await expect(alice.get_by_label("Overall score")).to_have_text(re.compile(r"^\d{1,3}$"), timeout=90_000)

    for page in (alice, bob):
        assert page.errors == [], page.errors


async def test_session_list_and_compare(new_page) -> None:
    """Two finished sessions of one person, a solved one then an empty one, picked in the list and compared."""
    page = await new_page()
    await register(page, unique("erin"))
    page.on("dialog", lambda dialog: dialog.accept())
    await create_room(page, "Climbing Stairs", mode="ai")
    await page.get_by_role("button", name="Start warm-up").click()
    await page.get_by_role("button", name="Start coding").click()
    await replace_code(page, SOLUTION)
    await page.get_by_role("button", name="Submit").click()
    await expect(page.locator("article.job")).to_contain_text("Accepted", timeout=90_000)
    await expect(page.locator(".phases li.current")).to_have_text("Wrap-up")  # the AI interviewer moves on
    await page.get_by_role("button", name="Finish interview").click()
    await expect(page.locator(".phases li.current")).to_have_text("Finished")
    await page.goto("/")
    await create_room(page, "Two Sum", mode="ai")
    await page.get_by_role("button", name="Start warm-up").click()
    await expect(page.locator(".phases li.current")).to_have_text("Warm-up")
    await page.get_by_role("button", name="End", exact=True).click()
    await expect(page.locator(".phases li.current")).to_have_text("Finished")

    await page.get_by_role("link", name="Sessions", exact=True).click()
    await expect(page.locator(".sessions li")).to_have_count(2)
    await expect(page.locator(".sessions li").filter(has_text="Climbing Stairs")).to_contain_text("Accepted")
    compare = page.get_by_role("button", name=re.compile("^Compare"))
    await expect(compare).to_be_disabled()
    for box in await page.locator(".sessions input[type=checkbox]").all():
        await box.check()
    await compare.click()
    await expect(page).to_have_url(re.compile(r"/sessions/compare\?ids=[^,]+,[^,]+$"))
    rows = page.locator("table.compare tbody tr")
    await expect(rows).to_have_count(2)
    await expect(rows.nth(0)).to_contain_text("Climbing Stairs")  # in the order they started
    await expect(rows.nth(1)).to_contain_text("Two Sum")
    await expect(rows.nth(0).locator("td").nth(1)).to_have_text(re.compile(r"^\s*100\s*$"))  # correctness
    await expect(page.locator(".trend")).to_have_text("declining")
    change = page.locator("table.compare tfoot td").first  # the overall score's change, first to last
    await expect(change.locator(".bad")).to_have_text(re.compile(r"^-\d+$"))
    assert page.errors == [], page.errors


async def test_ai_panel_in_an_ai_room(new_page) -> None:
    """The AI interviewer answers a hint request and a question from the panel (offline engine)."""
    page = await new_page()
    await register(page, unique("fay"))
    await create_room(page, "Climbing Stairs", mode="ai")
    await page.get_by_role("button", name="Start warm-up").click()
    await page.get_by_role("button", name="Start coding").click()
    await expect(page.locator(".phases li.current")).to_have_text("Coding")
    assert await page.get_by_role("tab", name="Hints").count() == 0  # no human interviewer's guide in ai mode
    await page.get_by_role("tab", name="AI").click()
    log = page.locator("#ai-log")

    await page.get_by_label("Hint level").select_option("subtle")
    await page.get_by_role("button", name="Get a hint").click()
    hint = log.locator(".ai-entry.ai").filter(has=page.locator(".pill", has_text="hint"))
    await expect(hint).to_have_count(1)
    await expect(hint).not_to_have_attribute("aria-busy", "true", timeout=60_000)
    assert len((await hint.locator(".md").inner_text()).strip()) > 20
    assert "Thinking" not in await hint.inner_text()

    await page.get_by_label("Message to the AI").fill("Where should I start with this problem?")
    await page.get_by_role("button", name="Ask", exact=True).click()
    await expect(log.locator(".ai-entry.mine")).to_contain_text("Where should I start with this problem?")
    await expect(log.locator(".ai-entry.mine")).to_have_count(1)  # the pushed copy replaced the one shown at once
    reply = log.locator(".ai-entry.ai:not(:has(.pill))").last  # a chat answer (no hint, review or note pill)
    await expect(reply).not_to_have_attribute("aria-busy", "true", timeout=60_000)
    assert len((await reply.locator(".md").inner_text()).strip()) > 10

    await page.get_by_role("button", name="Review my code").click()
    review = log.locator(".ai-entry.ai").filter(has=page.locator(".pill", has_text="review"))
    await expect(review.locator(".review, p").first).to_be_visible(timeout=60_000)
    await expect(review).not_to_have_attribute("aria-busy", "true", timeout=60_000)

    # The conversation is read back after a reload.
    await page.reload()
    await page.get_by_role("tab", name="AI").click()
    await expect(page.locator("#ai-log")).to_contain_text("Where should I start with this problem?")

    # The session's report page keeps the conversation.
    page.on("dialog", lambda dialog: dialog.accept())
    await page.get_by_role("button", name="End", exact=True).click()
    await page.get_by_role("link", name="See the session report").click()
    conversation = page.get_by_role("region", name="AI conversation")
    await expect(conversation).to_contain_text("Where should I start with this problem?")
    await expect(conversation.locator(".pill", has_text="hint")).to_have_count(1)
    assert page.errors == [], page.errors
