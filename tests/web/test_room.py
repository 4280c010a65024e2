"""Two people practise an interview in real Chromium pages against a real server: register, create a room, join by
the invite link, edit together (text and remote cursor), run, submit (wrong, then right), chat, lock, reload."""

from __future__ import annotations

import asyncio
import email
import email.policy
import re
from pathlib import Path

from playwright.async_api import Page, expect

from tests.web.conftest import register, unique

RIGHT = (
    "import sys\n"
    "n = int(sys.stdin.read().split()[0])\n"
    "a, b = 1, 1\n"
    "for _ in range(n):\n"
    "    a, b = b, (a + b) % 1000000007\n"
    "print(a)\n"
)


def editor(page: Page):
    return page.locator(".cm-content")


async def replace_code(page: Page, code: str) -> None:
    """Select everything in the editor and put `code` in its place, as a paste would (no auto-indent)."""
    await editor(page).click()
    await page.keyboard.press("ControlOrMeta+a")
    await page.keyboard.insert_text(code)


async def type_at_end(page: Page, text: str) -> None:
    await editor(page).click()
    await page.keyboard.press("ControlOrMeta+End")
    await page.keyboard.press("Enter")
    await page.keyboard.type(text)


async def test_interview_in_two_browsers(new_page) -> None:
    alice, bob = await new_page(), await new_page()
    alice_name, bob_name = unique("alice"), unique("bob")

    # Alice registers and lands on home; she creates a peer room on Climbing Stairs in Python.
    await register(alice, alice_name)
    await expect(alice.get_by_role("heading", name=re.compile("Welcome"))).to_be_visible()
    await expect(alice.get_by_label("Problem", exact=True)).to_be_enabled()
    await alice.get_by_label("Problem", exact=True).select_option(label="Climbing Stairs")
    await alice.get_by_label("Language").select_option("python")
    await alice.get_by_label("Room name (optional)").fill("Mock interview")
    await alice.get_by_role("button", name="Create room").click()
    await expect(alice).to_have_url(re.compile(r"/rooms/[^/]+$"))
    room_path = alice.url[alice.url.index("/rooms/") :]
    await expect(editor(alice)).to_contain_text("def climb_stairs")  # seeded with the starter code
    await expect(alice.get_by_role("heading", name="Climbing Stairs")).to_be_visible()
    invite = await alice.get_by_label("Invite").input_value()
    assert re.search(r"/join/[A-Z0-9]{6}$", invite), invite

    # Bob opens the link: a preview, then an account, then back to the link and in.
    await bob.goto(invite)
    await expect(bob.get_by_text("Climbing Stairs")).to_be_visible()
    await bob.get_by_role("link", name="create an account").click()
    await register(bob, bob_name, path="")
    await expect(bob).to_have_url(re.compile(r"/join/[A-Z0-9]{6}$"))
    await bob.get_by_role("button", name="Join the room").click()
    await expect(bob).to_have_url(re.compile(re.escape(room_path) + "$"))
    await expect(editor(bob)).to_contain_text("def climb_stairs")

    # Both see each other in the people list.
    await expect(alice.locator(".people")).to_contain_text(bob_name.capitalize())
    await expect(bob.locator(".people")).to_contain_text(alice_name.capitalize())
    await expect(bob.locator(".people")).to_contain_text("candidate")

    # Alice (host, interviewer) starts the warm-up, then coding; Bob's phase bar follows, with a running timer.
    await alice.get_by_role("button", name="Start warm-up").click()
    await expect(bob.locator(".phases li.current")).to_have_text("Warm-up")
    await alice.get_by_role("button", name="Start coding").click()
    await expect(bob.locator(".phases li.current")).to_have_text("Coding")
    await expect(bob.get_by_role("timer")).to_have_text(re.compile(r"4\d:\d\d"))
    assert await bob.get_by_role("button", name="Start wrap-up").count() == 0  # the candidate has no phase control

    # Typing in one editor appears in the other, with the remote cursor named.
    await type_at_end(bob, "# bob was here")
    await expect(editor(alice)).to_contain_text("# bob was here")
    await expect(alice.locator(".cm-ySelectionInfo")).to_have_attribute("data-name", bob_name.capitalize())
    await type_at_end(alice, "# alice too")
    await expect(editor(bob)).to_contain_text("# alice too")
    await expect(bob.locator(".cm-ySelectionInfo")).to_have_attribute("data-name", alice_name.capitalize())

    # The starter code is wrong: its submission says so on both sides.
    await bob.get_by_role("button", name="Submit").click()
    latest = "article.job"
    await expect(bob.locator(latest)).to_contain_text("Wrong answer", timeout=90_000)
    await expect(alice.locator(latest)).to_contain_text("Wrong answer", timeout=90_000)
    await expect(alice.locator(latest)).to_contain_text("hidden test")

    # Bob writes the right solution; Alice sees it. He runs it with his input: both see the output.
    await replace_code(bob, RIGHT)
    await expect(editor(alice)).to_contain_text("a, b = b, (a + b) % 1000000007")
    await bob.get_by_label("Input (stdin)").fill("5\n")
    await bob.get_by_role("button", name="Run").click()
    for page in (bob, alice):
        await expect(page.locator(latest)).to_contain_text("Run", timeout=90_000)
        await expect(page.locator(f"{latest} .io pre").first).to_have_text("8\n", timeout=90_000)

    # Ctrl+Shift+Enter submits: accepted, every test passed, on both sides.
    await editor(bob).click()
    await bob.keyboard.press("ControlOrMeta+Shift+Enter")
    for page in (bob, alice):
        await expect(page.locator(latest)).to_contain_text("Accepted", timeout=90_000)
        await expect(page.locator(latest)).to_contain_text(re.compile(r"(\d+) / \1 tests passed"))

    # Chat both ways.
    await alice.get_by_label("Message").fill("Nice, what is the complexity?")
    await alice.get_by_label("Message").press("Enter")
    await expect(bob.locator("#chat-log")).to_contain_text("Nice, what is the complexity?")
    await bob.get_by_label("Message").fill("O(n) time, O(1) space")
    await bob.get_by_role("button", name="Send").click()
    await expect(alice.locator("#chat-log")).to_contain_text("O(n) time, O(1) space")

    # The lock makes Bob's editor read-only (and his run button off) until Alice unlocks it.
    await alice.get_by_role("button", name="Lock editor").click()
    await expect(bob.get_by_text("Editor locked")).to_be_visible()
    await expect(editor(bob)).to_have_attribute("aria-readonly", "true")
    await expect(bob.get_by_role("button", name="Run")).to_be_disabled()
    await editor(bob).click()
    await bob.keyboard.type("locked out")
    await alice.get_by_role("button", name="Unlock editor").click()
    await expect(editor(bob)).to_have_attribute("aria-readonly", "false")
    assert "locked out" not in await editor(alice).inner_text()
    assert "locked out" not in await editor(bob).inner_text()

    # A reload of the deep link restores the room: the code, the phase, the latest result.
    await bob.reload()
    await expect(editor(bob)).to_contain_text("a, b = b, (a + b) % 1000000007")
    await expect(bob.locator(".phases li.current")).to_have_text("Coding")
    await expect(bob.locator(latest)).to_contain_text("Accepted")
    await expect(bob.locator(".people")).to_contain_text(alice_name.capitalize())
    await expect(bob.get_by_role("button", name="Send")).to_be_enabled()  # the event channel is back too

    # Bob asks to swap roles; Alice accepts: he interviews now (and may lock the editor), she is the candidate.
    await bob.get_by_role("button", name="Swap roles").click()
    await alice.get_by_role("button", name="Accept swap").click()
    await expect(bob.get_by_text("you: interviewer")).to_be_visible()
    await expect(alice.get_by_text("you: candidate")).to_be_visible()
    await expect(bob.get_by_role("button", name="Lock editor")).to_be_visible()

    for page in (alice, bob):
        assert page.errors == [], page.errors


async def test_sign_in_out_and_an_expired_session_returns_where_it_was(new_page) -> None:
    page = await new_page()
    name = unique("carol")
    await page.goto("/rooms/not-a-room")  # signed out: to sign-in, remembering where
    await expect(page).to_have_url(re.compile(r"/signin\?next=%2Frooms%2Fnot-a-room$"))
    await page.get_by_role("link", name="Create an account").click()
    await register(page, name, path="")
    await expect(page.get_by_role("heading", name="Room unavailable")).to_be_visible()

    # Sign out, then a wrong password shows the API's message, then the right one.
    await page.goto("/")
    await page.get_by_role("button", name="Sign out").click()
    await expect(page).to_have_url(re.compile(r"/signin"))
    await page.get_by_label("Email or username").fill(name)
    await page.get_by_label("Password").fill("not the password")
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("alert")).to_be_visible()
    await page.get_by_label("Password").fill("correct horse 1")
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("heading", name=re.compile("Welcome"))).to_be_visible()

    # Silent refresh: the stored access token has expired; the next call refreshes it through the cookie.
    refreshes = []
    page.on("request", lambda r: refreshes.append(r.url) if r.url.endswith("/api/auth/refresh") else None)
    await page.evaluate(
        "() => { const s = JSON.parse(localStorage.getItem('syncode.session')); s.exp = Date.now() - 1000;"
        " localStorage.setItem('syncode.session', JSON.stringify(s)) }"
    )
    await page.goto("/")
    await expect(page.get_by_role("heading", name="My rooms")).to_be_visible()
    await expect(page.locator(".rooms, .muted").first).to_be_visible()
    assert len(refreshes) == 1, refreshes

    # The refresh token is gone too (revoked elsewhere): the next call ends the session, sign-in brings the person
    # back to the page they were on.
    await page.wait_for_load_state("networkidle")
    await page.evaluate(
        "() => fetch('/api/auth/logout', {method: 'POST', headers: {'Content-Type': 'application/json'}, body: '{}'})"
    )
    await page.context.clear_cookies()
    await page.evaluate(
        "() => { const s = JSON.parse(localStorage.getItem('syncode.session')); s.token = 'x.y.z';"
        " localStorage.setItem('syncode.session', JSON.stringify(s)) }"
    )
    await page.goto("/")
    await expect(page).to_have_url(re.compile(r"/signin\?next=%2F$"))
    await expect(page.get_by_text("Your session has expired")).to_be_visible()
    await page.goto("/rooms/elsewhere")
    await expect(page).to_have_url(re.compile(r"/signin\?next=%2Frooms%2Felsewhere$"))
    await page.get_by_label("Email or username").fill(name)
    await page.get_by_label("Password").fill("correct horse 1")
    await page.get_by_role("button", name="Sign in").click()
    await expect(page).to_have_url(re.compile(r"/rooms/elsewhere$"))
    assert page.errors == [], page.errors


async def test_forgot_and_reset_password(new_page, web_server) -> None:
    """The link in the mail opens the reset screen; the new password signs in."""
    page = await new_page()
    name = unique("gail")
    await register(page, name)
    await page.get_by_role("button", name="Sign out").click()
    await page.get_by_role("link", name="Forgot your password?").click()
    await page.get_by_label("Email").fill(f"{name}@example.com")
    await page.get_by_role("button", name="Send the link").click()
    await expect(page.get_by_role("status").filter(has_text="a mail with a link")).to_be_visible()

    link = None
    for _ in range(100):  # the mail is written to the outbox (no SMTP configured)
        link = _reset_link(web_server.settings.data_dir / "outbox", f"{name}@example.com")
        if link:
            break
        await asyncio.sleep(0.1)
    assert link and "/reset-password?token=" in link, link
    await page.goto(link)
    await page.get_by_label("New password", exact=True).fill("a brand new secret")
    await page.get_by_label("Repeat the new password").fill("a brand new secret")
    await page.get_by_role("button", name="Save the new password").click()
    await expect(page.get_by_role("status").filter(has_text="password has been changed")).to_be_visible()
    await page.get_by_role("link", name="Sign in").last.click()
    await page.get_by_label("Email or username").fill(name)
    await page.get_by_label("Password").fill("a brand new secret")
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("heading", name=re.compile("Welcome"))).to_be_visible()
    await page.goto(link)  # the link works once
    await page.get_by_label("New password", exact=True).fill("another secret 2")
    await page.get_by_label("Repeat the new password").fill("another secret 2")
    await page.get_by_role("button", name="Save the new password").click()
    await expect(page.get_by_role("alert")).to_be_visible()
    assert page.errors == [], page.errors


def _reset_link(outbox: Path, address: str) -> str | None:
    for path in sorted(outbox.glob("*.eml")) if outbox.exists() else []:
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if address not in str(message["To"]):
            continue
        body = message.get_body(("plain", "html"))
        found = re.search(r"https?://\S+/reset-password\?token=[\w.~-]+", body.get_content() if body else "")
        if found:
            return found.group(0)
    return None


async def test_narrow_screen_room(new_page) -> None:
    """A phone-sized window: the room stacks into one column and the editor is usable; the host picks the problem in
    the room."""
    page = await new_page(width=390, height=844)
    await register(page, unique("dana"))
    await page.get_by_role("button", name="Create room").click()  # no problem yet: chosen in the room
    await page.get_by_label("Choose a problem").select_option(label="Two Sum (easy)")
    await expect(page.locator("#problem-title")).to_have_text("Two Sum")
    await expect(editor(page)).to_contain_text("target")
    await type_at_end(page, "# typed on a phone")
    await expect(editor(page)).to_contain_text("# typed on a phone")
    width = await page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways ({width}px)"
    assert page.errors == [], page.errors
