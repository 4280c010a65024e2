"""The account side of the browser client in real Chromium pages against a real server: the dashboard after a finished
session (also on a phone-sized screen), the problem bank's filters and bookmarks and a room made from a problem,
the profile (rename, avatar upload), matchmaking two people into one room, the admin pages, and the room's
audio/video box (hidden without LiveKit; with a LiveKit configured, livekit-client loads only on join)."""

from __future__ import annotations

import asyncio
import re
import struct
import zlib

import pytest
from playwright.async_api import Page, expect

from tests.conftest import Api, make_admin
from tests.media_fakes import FakeLiveKit
from tests.web.conftest import register, unique
from tests.web.test_room import RIGHT

PASSWORD = "correct horse 1"
# The profile's avatar image has loaded from the server, with the uploaded image's width.
LOADED_64 = (
    "() => { const i = document.querySelector('.avatar-row img.avatar'); return i?.complete && i.naturalWidth === 64 }"
)


async def sign_in(page: Page, username: str, password: str = PASSWORD) -> None:
    await page.goto("/signin")
    await page.get_by_label("Email or username").fill(username)
    await page.get_by_label("Password").fill(password)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("heading", name=re.compile("Welcome"))).to_be_visible()


async def token_of(page: Page) -> str:
    return await page.evaluate("JSON.parse(localStorage.getItem('syncode.session')).token")


async def problem_id(api: Api, token: str, title: str) -> str:
    r = await api.get(f"/api/problems?search={title.replace(' ', '+')}", token=token)
    return next(p["id"] for p in r.json["data"] if p["title"] == title)


def no_errors(*pages: Page) -> None:
    """No page threw an uncaught error."""
    for page in pages:
        assert page.errors == [], page.errors


def png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A real PNG of one colour, made here (no image library needed)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


@pytest.fixture(scope="module")
async def finished(web_server) -> dict:
    """An account with one finished session on Climbing Stairs (an accepted submission), made through the API."""
    api = Api(web_server.url)
    me = await api.register(unique("dana"), displayName="Dana")
    token = me["accessToken"]
    pid = await problem_id(api, token, "Climbing Stairs")
    r = await api.post("/api/rooms", {"mode": "peer", "problemId": pid, "language": "python"}, token=token)
    assert r.status == 201, r.body
    room = r.json["id"]
    for phase in ("warmup", "coding"):
        assert (await api.post(f"/api/rooms/{room}/phase", {"to": phase}, token=token)).status == 200
    r = await api.post(f"/api/rooms/{room}/submit", {"language": "python", "code": RIGHT}, token=token)
    assert r.status == 202, r.body
    for _ in range(300):
        result = (await api.get(f"/api/submissions/{r.json['submissionId']}", token=token)).json
        if result["status"] in ("completed", "failed"):
            break
        await asyncio.sleep(0.3)
    assert result["verdict"] == "accepted", result
    r = await api.post(f"/api/rooms/{room}/phase", {"to": "finished"}, token=token)
    assert r.status == 200, r.body
    return {"username": me["user"]["username"], "sessionId": r.json["sessionId"]}


async def test_dashboard_shows_the_finished_session_and_stats(new_page, finished) -> None:
    page = await new_page()
    await sign_in(page, finished["username"])
    recent = page.get_by_role("region", name="Recent sessions")
    link = recent.get_by_role("link", name="Climbing Stairs")
    await expect(link).to_have_attribute("href", f"/sessions/{finished['sessionId']}")
    await expect(recent).to_contain_text("Accepted")
    stats = page.get_by_role("region", name="Training statistics")
    await expect(stats.locator(".tiles div").filter(has_text="Sessions").locator("dd")).to_have_text("1")
    await expect(stats.locator(".tiles div").filter(has_text="Submissions").locator("dd")).to_have_text("1")
    await expect(stats.locator(".tiles div").filter(has_text="Accepted").locator("dd")).to_have_text("100%")
    await expect(stats.locator(".tiles div").filter(has_text="Problems solved").locator("dd")).to_have_text("1")
    # The chart: today's bar is the accepted submission, its marker the session (its label says so too).
    chart = stats.get_by_role("img")
    await expect(chart).to_have_attribute("aria-label", re.compile(r"1 session, 1 of 1 submission accepted"))
    assert (
        await chart.locator("rect.acc[height]").evaluate_all(
            "rs => rs.filter(r => +r.getAttribute('height') > 0).length"
        )
        == 1
    )
    assert await chart.locator("circle.sess").count() == 1
    # Per week: the same session and submission in this week's bucket.
    await stats.get_by_label("Chart").select_option("week")
    weekly = re.compile(r"^Last \d+ weeks: week of [^:]+: 1 session, 1 of 1 submission accepted$")
    await expect(stats.get_by_role("img")).to_have_attribute("aria-label", weekly)
    quotas = page.get_by_role("region", name="Quotas")
    await expect(quotas.get_by_label(re.compile(r"Code runs today: \d+ of \d+"))).to_be_visible()
    await expect(quotas).to_contain_text("Active rooms")
    await expect(page.get_by_role("region", name="Weaknesses")).not_to_contain_text("Loading")
    # The link opens the session's page.
    await link.click()
    await expect(page).to_have_url(re.compile(re.escape(f"/sessions/{finished['sessionId']}") + "$"))
    await expect(page.get_by_role("heading", name="Climbing Stairs", level=1)).to_be_visible()
    no_errors(page)


async def test_dashboard_on_a_phone_has_no_horizontal_scroll(new_page, finished) -> None:
    page = await new_page(width=390, height=844)
    await sign_in(page, finished["username"])
    await expect(
        page.get_by_role("region", name="Recent sessions").get_by_role("link", name="Climbing Stairs")
    ).to_be_visible()
    await expect(page.get_by_role("region", name="Training statistics").get_by_role("img")).to_be_visible()
    sizes = await page.evaluate("({doc: document.documentElement.scrollWidth, view: window.innerWidth})")
    assert sizes["doc"] <= sizes["view"], sizes
    # Every card fits the screen.
    widest = await page.locator(".card").evaluate_all("cs => Math.max(...cs.map(c => c.getBoundingClientRect().right))")
    assert widest <= 390, widest
    # The other account pages too.
    for path, ready in (
        ("/problems", "ul.problems > li"),
        ("/problems/climbing-stairs", ".example"),
        ("/profile", ".avatar-row"),
        ("/match", "#match-topics"),
    ):
        await page.goto(path)
        await expect(page.locator(ready).first).to_be_visible()
        width = await page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 390, f"{path} scrolls sideways ({width}px)"
    no_errors(page)


async def test_problems_filter_bookmark_and_a_room_from_a_problem(new_page, web_server) -> None:
    page = await new_page()
    await register(page, unique("pia"))
    await page.get_by_role("link", name="Problems").click()
    await expect(page.get_by_role("heading", name="Problems", level=1)).to_be_visible()
    rows = page.locator("ul.problems > li")
    await expect(rows.first).to_be_visible()

    # Difficulty: only hard problems are listed.
    await page.get_by_label("Difficulty").select_option("hard")
    await expect(rows.first).to_be_visible()
    await expect(page.get_by_role("status").filter(has_text="Loading")).to_have_count(0)
    assert set(await rows.locator(".pill[class*='diff-']").all_inner_texts()) == {"hard"}
    # A tag: every row carries it.
    await page.get_by_label("Difficulty").select_option("")
    await page.get_by_label("Tag").select_option("dynamic-programming")
    await expect(page).to_have_url(re.compile(r"tag=dynamic-programming"))
    await expect(page.get_by_role("status").filter(has_text="Loading")).to_have_count(0)
    count = await rows.count()
    assert count >= 1
    for i in range(count):
        await expect(rows.nth(i).locator(".tag", has_text=re.compile(r"^dynamic-programming$"))).to_have_count(1)
    # Search narrows to one problem; bookmark it.
    await page.get_by_label("Search").fill("climbing")
    await expect(rows).to_have_count(1)
    await expect(rows.first).to_contain_text("Climbing Stairs")
    star = page.get_by_role("button", name="Bookmark Climbing Stairs")
    await star.click()
    await expect(star).to_have_attribute("aria-pressed", "true")

    # Bookmarked only, without other filters: just that one; a reload keeps the filter and the bookmark.
    await page.goto("/problems")
    await expect(rows.first).to_be_visible()
    assert await rows.count() > 1
    await page.get_by_label("Bookmarked only").check()
    await expect(rows).to_have_count(1)
    await expect(rows.first).to_contain_text("Climbing Stairs")
    await page.reload()
    await expect(page.get_by_label("Bookmarked only")).to_be_checked()
    await expect(rows).to_have_count(1)
    await expect(page.get_by_role("button", name="Bookmark Climbing Stairs")).to_have_attribute("aria-pressed", "true")

    # The problem's page: statement, examples; a room made from it with its timer settings.
    await rows.first.get_by_role("link", name="Climbing Stairs").click()
    await expect(page.get_by_role("heading", name="Climbing Stairs", level=1)).to_be_visible()
    await expect(page.locator(".statement")).to_contain_text("steps")
    await expect(page.get_by_role("heading", name="Example 1")).to_be_visible()
    await page.get_by_label("AI interviewer").check()
    await page.get_by_label("Coding").fill("30")
    await page.get_by_label("Warm-up").fill("2")
    await page.get_by_role("button", name="Create a room").click()
    await expect(page).to_have_url(re.compile(r"/rooms/[^/]+$"))
    await expect(page.locator("#problem-title")).to_have_text("Climbing Stairs")
    room_id = page.url.rsplit("/", 1)[1]
    room = (await Api(web_server.url).get(f"/api/rooms/{room_id}", token=await token_of(page))).json
    assert room["mode"] == "ai"
    assert room["problem"]["title"] == "Climbing Stairs"
    assert room["config"]["durations"] == {"warmupSec": 120, "codingSec": 1800, "wrapupSec": 600}
    no_errors(page)


async def test_problems_by_my_status(new_page, finished) -> None:
    page = await new_page()
    await sign_in(page, finished["username"])
    await page.goto("/problems?status=solved")
    rows = page.locator("ul.problems > li")
    await expect(rows).to_have_count(1)
    await expect(rows.first).to_contain_text("Climbing Stairs")
    await expect(rows.first.locator(".pill", has_text="solved")).to_be_visible()
    await page.get_by_label("Status").select_option("todo")
    await expect(rows.first).to_be_visible()
    await expect(page.get_by_role("status").filter(has_text="Loading")).to_have_count(0)
    assert await rows.count() > 1
    assert "Climbing Stairs" not in await page.locator("ul.problems").inner_text()
    no_errors(page)


async def test_profile_rename_avatar_upload_and_password(new_page, web_server) -> None:
    page = await new_page()
    name = unique("olga")
    await register(page, name)
    await page.get_by_role("link", name=name.capitalize()).click()  # the header's link to the profile
    await expect(page.get_by_role("heading", name="Your profile")).to_be_visible()
    await page.get_by_label("Display name").fill("Olga the Tester")
    await page.get_by_role("button", name="Save", exact=True).click()
    await expect(page.get_by_role("navigation", name="Main")).to_contain_text("Olga the Tester")

    await page.get_by_label("Avatar image").set_input_files(
        {"name": "me.png", "mimeType": "image/png", "buffer": png(64, 48, (210, 73, 91))}
    )
    image = page.locator(".avatar-row img.avatar")
    await expect(image).to_be_visible()
    # The image really loaded from the server (its pixels, not a broken link).
    await page.wait_for_function(LOADED_64)
    await expect(page.get_by_role("navigation", name="Main").locator("img.avatar")).to_be_visible()
    # Kept after a reload (it is the server's profile, not the page's state).
    await page.reload()
    await expect(page.get_by_label("Display name")).to_have_value("Olga the Tester")
    await page.wait_for_function(LOADED_64)
    # Not an image: the server says so.
    await page.get_by_label("Avatar image").set_input_files(
        {"name": "fake.png", "mimeType": "image/png", "buffer": b"this is not a png at all"}
    )
    await expect(page.get_by_role("alert")).to_contain_text("not a image/png image")

    # The password change keeps this page signed in; the new password signs in elsewhere.
    await page.get_by_label("Current password").fill(PASSWORD)
    await page.get_by_label("New password").fill("a brand new secret 2")
    await page.get_by_role("button", name="Change password").click()
    await expect(page.get_by_role("status").filter(has_text="Password changed")).to_be_visible()
    await page.reload()
    await expect(page.get_by_label("Display name")).to_have_value("Olga the Tester")
    r = await Api(web_server.url).post("/api/auth/login", {"identifier": name, "password": "a brand new secret 2"})
    assert r.status == 200, r.body
    no_errors(page)


async def test_matchmaking_two_people_land_in_one_room(new_page) -> None:
    pages = [await new_page(), await new_page()]
    for page, name in zip(pages, (unique("mia"), unique("max")), strict=True):
        await register(page, name)
        await page.get_by_role("link", name="Find a partner").click()
        await page.get_by_label("Python").check()
        await page.get_by_label("Easy").check()
        await page.get_by_role("button", name="Find a partner").click()
    # Both searching, then a proposal with a countdown on both sides.
    for page in pages:
        await expect(page.get_by_role("heading", name="Partner found")).to_be_visible()
        await expect(page.get_by_role("timer")).to_have_text(re.compile(r"^\d+ s left to answer$"))
        await expect(page.locator(".proposal")).to_contain_text("Python")
        await expect(page.locator(".proposal .diff-easy")).to_be_visible()
    first = await pages[0].get_by_role("timer").inner_text()
    await asyncio.sleep(1.2)
    assert await pages[0].get_by_role("timer").inner_text() != first  # it counts down
    await pages[0].get_by_role("button", name="Accept").click()
    await expect(pages[0].get_by_role("status").filter(has_text="You accepted")).to_be_visible()
    await pages[1].get_by_role("button", name="Accept").click()
    for page in pages:
        await expect(page).to_have_url(re.compile(r"/rooms/[^/]+$"))
    assert pages[0].url == pages[1].url
    names = [await p.locator(".me").inner_text() for p in pages]
    for page, other in zip(pages, reversed(names), strict=True):
        await expect(page.locator(".people")).to_contain_text(other.strip())
    # Home offers the way back to the room both are in.
    room_path = pages[0].url[pages[0].url.index("/rooms/") :]
    await pages[1].get_by_role("link", name="Home", exact=True).click()
    banner = pages[1].get_by_role("region", name="You are in a room")
    await expect(banner.get_by_role("link", name="Back to the room")).to_have_attribute("href", room_path)
    await banner.get_by_role("link", name="Back to the room").click()
    await expect(pages[1]).to_have_url(re.compile(re.escape(room_path) + "$"))
    await expect(pages[1].locator(".people")).to_contain_text(names[0].strip())
    no_errors(*pages)


async def test_matchmaking_decline_sends_the_other_back_to_the_queue(new_page) -> None:
    pages = [await new_page(), await new_page()]
    for page, name in zip(pages, (unique("ned"), unique("noa")), strict=True):
        await register(page, name)
        await page.goto("/match")
        await page.get_by_label("Go", exact=True).check()  # a language nobody else in this module asks for
        await page.get_by_role("button", name="Find a partner").click()
        if page is pages[0]:  # alone in the queue for now
            await expect(page.get_by_role("heading", name="Looking for a partner…")).to_be_visible()
            await expect(page.get_by_role("status").filter(has_text="place 1 in the queue")).to_be_visible()
    for page in pages:
        await expect(page.get_by_role("heading", name="Partner found")).to_be_visible()
    await pages[0].get_by_role("button", name="Decline").click()
    await expect(pages[0].get_by_role("button", name="Find a partner")).to_be_visible()  # out of the queue
    await expect(pages[0].get_by_label("Go", exact=True)).to_be_checked()  # the preferences are remembered
    await expect(pages[1].get_by_role("status").filter(has_text="Your partner declined")).to_be_visible()
    await expect(pages[1].get_by_role("heading", name="Looking for a partner…")).to_be_visible()
    await pages[1].get_by_role("button", name="Leave the queue").click()
    await expect(pages[1].get_by_role("button", name="Find a partner")).to_be_visible()
    no_errors(*pages)


async def test_admin_pages_users_and_audit_log(new_page, web_server) -> None:
    api = Api(web_server.url)
    admin = await make_admin(web_server, api)
    victim = await api.register(unique("vic"))
    host = await api.register(unique("hoy"))
    for _ in range(21):  # enough audit entries (auth.register) for a second page
        await api.register()
    page = await new_page()
    await sign_in(page, admin["user"]["username"])
    await page.get_by_role("link", name="Admin").click()
    await expect(page.get_by_role("heading", name="Administration")).to_be_visible()
    await expect(page.locator(".tiles div").filter(has_text="Users").first.locator("dd")).to_have_text(
        re.compile(r"^\d+$")
    )

    # Users: find the victim and ban them with a reason.
    await page.get_by_role("tab", name="Users").click()
    await page.get_by_label("Search users").fill(victim["user"]["username"])
    await page.get_by_role("button", name="Filter").click()
    row = page.locator("tbody tr").filter(has_text=victim["user"]["username"])
    await expect(page.locator("tbody tr")).to_have_count(1)
    page.once("dialog", lambda dialog: dialog.accept("spamming the chat"))
    await row.get_by_role("button", name=f"Ban {victim['user']['username']}").click()
    await expect(row.locator(".pill")).to_have_text("banned")
    r = await api.post("/api/auth/login", {"identifier": victim["user"]["username"], "password": PASSWORD})
    assert r.status == 403, r.body
    # Its details: counts and the reason.
    await row.get_by_role("button", name=victim["user"]["username"], exact=True).click()
    detail = page.locator("tr.detail")
    await expect(detail).to_contain_text("0 rooms · 0 sessions · 0 submissions")
    await expect(detail).to_contain_text("banned: spamming the chat")

    # Rooms: a live room is closed by force.
    r = await api.post("/api/rooms", {"mode": "peer", "name": "Close me"}, token=host["accessToken"])
    assert r.status == 201, r.body
    await page.get_by_role("tab", name="Rooms").click()
    await page.get_by_label("Phase").select_option("waiting")
    await page.get_by_role("button", name="Filter").click()
    room_row = page.locator("tbody tr").filter(has_text=r.json["id"])
    page.once("dialog", lambda dialog: dialog.accept("cleanup"))
    await room_row.get_by_role("button", name="Close").click()
    await expect(page.get_by_text("Room closed")).to_be_visible()
    await expect(room_row).to_have_count(0)  # no longer waiting
    room = (await api.get(f"/api/rooms/{r.json['id']}", token=host["accessToken"])).json
    assert room["status"] == "finished", room

    # The audit log has both, newest first; the pages go forward and back.
    await page.get_by_role("tab", name="Audit log").click()
    rows = page.locator("table.audit tbody tr")
    first_row, second_row = rows.nth(0), rows.nth(1)
    await expect(first_row).to_contain_text("admin.room.closed")
    await expect(first_row).to_contain_text(r.json["id"])
    await expect(first_row).to_contain_text("cleanup")
    await expect(second_row).to_contain_text("admin.user.banned")
    # People by their usernames (the id on hover).
    target = second_row.locator("td").nth(3).locator("span")
    await expect(target).to_have_text(victim["user"]["username"])
    await expect(target).to_have_attribute("title", victim["user"]["id"])
    await expect(second_row.locator("td").nth(2)).to_contain_text(admin["user"]["username"])
    await expect(second_row).to_contain_text("spamming the chat")
    await expect(page.locator("table.audit tbody tr")).to_have_count(20)
    page_one = await page.locator("table.audit tbody").inner_text()
    await page.get_by_role("button", name="Next").click()
    await expect(page.get_by_text("Page 2")).to_be_visible()
    await expect(first_row).not_to_contain_text("admin.room.closed")  # older entries now
    assert await page.locator("table.audit tbody").inner_text() != page_one
    await page.get_by_role("button", name="Previous").click()
    await expect(second_row).to_contain_text("admin.user.banned")
    # Filtered by action.
    await page.get_by_label("Action").fill("auth.register")
    await page.get_by_role("button", name="Filter").click()
    actions = page.locator("table.audit tbody td:nth-child(2)")
    await expect(actions.first).to_have_text("auth.register")
    assert set(await actions.all_inner_texts()) == {"auth.register"}
    no_errors(page)


async def test_not_an_admin_sees_no_admin_page(new_page) -> None:
    page = await new_page()
    await register(page, unique("nia"))
    await expect(page.get_by_role("link", name="Admin")).to_have_count(0)
    await page.goto("/admin")
    await expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()
    no_errors(page)


async def test_room_media_box_hidden_without_livekit(new_page) -> None:
    page = await new_page()
    await register(page, unique("hal"))
    async with page.expect_response(re.compile(r"/media/token$")) as answer:
        await page.get_by_role("button", name="Create room").click()
    assert (await answer.value).status == 503
    await expect(page.locator(".cm-content")).to_be_visible()
    await expect(page.get_by_role("heading", name="Audio and video")).to_have_count(0)
    await expect(page.get_by_role("button", name="Join audio")).to_have_count(0)
    no_errors(page)


async def test_room_media_box_loads_livekit_only_on_join(make_server, browser) -> None:
    """With LiveKit configured (the loopback fake: its token API, no media server), the box shows; livekit-client
    is fetched only when joining, and a media server that cannot be reached is reported."""
    fake = FakeLiveKit()
    await fake.start()
    srv = await make_server(livekit_url=fake.url, livekit_api_key=fake.api_key, livekit_api_secret=fake.api_secret)
    context = await browser.new_context(viewport={"width": 1400, "height": 900}, base_url=srv.url)
    try:
        page = await context.new_page()
        page.errors = []
        page.on("pageerror", lambda error: page.errors.append(str(error)))
        scripts: list[str] = []
        page.on("request", lambda r: scripts.append(r.url) if r.url.endswith(".js") else None)
        await register(page, unique("liv"))
        await page.get_by_role("button", name="Create room").click()
        box = page.get_by_role("region", name="Audio and video")
        await expect(box).to_be_visible()
        await expect(page.locator(".cm-content")).to_be_visible()
        assert not [u for u in scripts if "livekit" in u], scripts
        await box.get_by_role("button", name="Join audio").click()
        await expect(box.get_by_role("alert")).to_contain_text("Could not join the call", timeout=60_000)
        assert [u for u in scripts if "/assets/livekit-client" in u], scripts
        await expect(box.get_by_role("button", name="Join audio")).to_be_enabled()
        no_errors(page)
        from tests.web.conftest import SCREENSHOTS

        SCREENSHOTS.mkdir(exist_ok=True)
        await page.screenshot(path=SCREENSHOTS / "test_room_media_box_loads_livekit_only_on_join-1.png", full_page=True)
    finally:
        await context.close()
        await srv.stop()
        fake.stop()
