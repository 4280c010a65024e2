"""Browser fixtures: Debian's Chromium driven by Playwright (Python) against a real server with the problem bank.

Chromium comes from apt (`scripts/test` installs it); Playwright never downloads a browser here. Each test saves
a screenshot of its last screen under tests/web/screenshots/ for people to look at.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from run import Server

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).parent / "screenshots"
LAUNCH_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 60_000

playwright_api = pytest.importorskip("playwright.async_api")
playwright_api.expect.set_options(timeout=30_000)  # a busy machine (the judge, two browsers) can be slow


@pytest.fixture(scope="module")
async def web_server(make_server) -> AsyncIterator[Server]:
    srv = await make_server(load_problem_bank=True)
    if srv.bank_loading is not None:  # the bank loads in the background
        await asyncio.wait_for(asyncio.shield(srv.bank_loading), 120)
    yield srv
    await srv.stop()


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"no Chromium at {CHROMIUM}: install Debian's chromium (scripts/test does)")
    async with playwright_api.async_playwright() as p:
        # launch() starts Chromium on a fresh temporary profile (its --user-data-dir) and removes it on close;
        # each new_context() is a separate person with their own cookies and storage.
        browser = await p.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_FLAGS)
        yield browser
        await browser.close()


@pytest.fixture
async def new_page(browser, web_server, request):
    """new_page(width=1400, height=900) -> a page in a fresh context (its own cookies and storage)."""
    contexts = []
    pages = []

    async def make(width: int = 1400, height: int = 900):
        context = await browser.new_context(viewport={"width": width, "height": height}, base_url=web_server.url)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = await context.new_page()
        page.errors = []
        page.on("pageerror", lambda error: page.errors.append(str(error)))
        pages.append(page)
        return page

    yield make
    SCREENSHOTS.mkdir(exist_ok=True)
    for i, page in enumerate(pages):
        try:
            await page.screenshot(path=SCREENSHOTS / f"{request.node.name}-{i + 1}.png", full_page=True)
        except Exception:
            pass
    for context in contexts:
        await context.close()


def unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}"


async def register(page, name: str, *, path: str = "/register") -> None:
    """Fills and sends the register form (the page is on it, or goes to `path`)."""
    if path:
        await page.goto(path)
    await page.get_by_label("Email").fill(f"{name}@example.com")
    await page.get_by_label("Username").fill(name)
    await page.get_by_label("Display name (optional)").fill(name.capitalize())
    await page.get_by_label("Password").fill("correct horse 1")
    await page.get_by_role("button", name="Create account").click()
    await playwright_api.expect(page).not_to_have_url(re.compile(r"/register"))  # signed in and sent on
