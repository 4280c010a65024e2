"""The network drops in the middle of a room (the server goes away and comes back on the same address): the pages
say so, keep the edits made meanwhile, reconnect by themselves, and the offline edits reach the other person."""

from __future__ import annotations

import re

from playwright.async_api import expect

from tests.web.conftest import SCREENSHOTS, register, unique
from tests.web.test_room import editor, type_at_end


async def test_edits_made_offline_arrive_after_reconnecting(make_server, browser) -> None:
    server = await make_server()
    contexts = []

    async def person(name: str):
        context = await browser.new_context(viewport={"width": 1280, "height": 860}, base_url=server.url)
        contexts.append(context)
        page = await context.new_page()
        await register(page, name)
        return page

    try:
        alice = await person(unique("erin"))
        await alice.get_by_role("button", name="Create room").click()
        await expect(alice).to_have_url(re.compile(r"/rooms/[^/]+$"))
        await expect(alice.get_by_role("status").filter(has_text="Live")).to_be_visible()
        invite = await alice.get_by_label("Invite").input_value()
        bob = await person(unique("finn"))
        await bob.goto(invite)
        await bob.get_by_role("button", name="Join the room").click()
        await expect(bob.get_by_role("status").filter(has_text="Live")).to_be_visible()
        await type_at_end(alice, "# before the drop")
        await expect(editor(bob)).to_contain_text("# before the drop")

        # The server goes away: both pages notice; Bob keeps typing.
        settings = server.settings
        await server.stop()
        await expect(bob.locator(".status")).to_have_text("Reconnecting…")
        await type_at_end(bob, "# typed while offline")
        await expect(editor(bob)).to_contain_text("# typed while offline")

        # It comes back on the same address with the same database: the edits made offline arrive.
        server = await make_server(port=settings.port, data_dir=settings.data_dir, mongodb_db=settings.mongodb_db)
        for page in (alice, bob):
            await expect(page.get_by_role("status").filter(has_text="Live")).to_be_visible()
        await expect(editor(alice)).to_contain_text("# typed while offline")
        await type_at_end(alice, "# after the drop")
        await expect(editor(bob)).to_contain_text("# after the drop")
        await expect(bob.get_by_role("button", name="Send")).to_be_enabled()  # the event channel is back too

        # The host removes Bob: his page says so and his editor stops.
        alice.once("dialog", lambda dialog: dialog.accept())
        await alice.get_by_role("button", name=re.compile("^Remove Finn")).click()
        await expect(bob.get_by_role("alert").filter(has_text="You were removed from this room.")).to_be_visible()
        await expect(editor(bob)).to_have_attribute("aria-readonly", "true")
        await expect(alice.locator(".people")).not_to_contain_text("Finn")
        SCREENSHOTS.mkdir(exist_ok=True)
        await bob.screenshot(path=SCREENSHOTS / "test_edits_made_offline_arrive_after_reconnecting.png", full_page=True)
    finally:
        for context in contexts:
            await context.close()
        await server.stop()
