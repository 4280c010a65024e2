"""How a proposal ends: both accepted -> a peer room with both users in their roles; declined or expired -> each
user back in the queue at their old place or out of it. Also the per-user `match.*` events of these endings.

Each step is a conditional write in the store, so running an ending twice (a sweep after a restart, a decline
racing an expiry) changes nothing the second time and sends no second event.
"""

from __future__ import annotations

import logging
from typing import Any

from syncode.clock import utcnow
from syncode.events import Event, EventBus
from syncode.matchmaking.store import DECLINED, MatchStore
from syncode.matchmaking.views import MatchViews
from syncode.rooms import RoomService
from syncode.services.users import UserService

log = logging.getLogger("syncode.matchmaking")
Doc = dict[str, Any]


def notify(bus: EventBus, user_id: str, event_type: str, data: dict[str, Any]) -> None:
    bus.publish(Event(event_type, data, user_ids=(user_id,)))


def stays_in_queue(match: Doc, user_id: str) -> bool:
    """Who goes back after a failed proposal: after a decline, the other user; after an expiry, whoever accepted."""
    if match["state"] == DECLINED:
        return user_id != match.get("endedBy")
    return user_id in match["accepted"]


class Outcomes:
    def __init__(self, store: MatchStore, rooms: RoomService, users: UserService, views: MatchViews, bus: EventBus):
        self.store = store
        self.rooms = rooms
        self.users = users
        self.views = views
        self.bus = bus
        self._opening: set[str] = set()  # proposals whose room this process is making now

    async def settle(self, match: Doc) -> bool:
        """A declined or expired proposal: requeue or drop each user; True when someone went back to the queue."""
        now, requeued = utcnow(), False
        for user_id in match["userIds"]:
            if stays_in_queue(match, user_id):
                changed = await self.store.requeue(user_id, match["_id"], now)
                requeued |= changed
            else:
                changed = await self.store.drop(user_id, match["_id"])
            if changed:
                self._ended(match, user_id, "searching" if stays_in_queue(match, user_id) else "idle")
        await self.store.settled(match["_id"])
        return requeued

    def _ended(self, match: Doc, user_id: str, status: str) -> None:
        data: dict[str, Any] = {"matchId": match["_id"], "status": status}
        if match["state"] == DECLINED:
            data["declinedBy"] = match.get("endedBy")
            notify(self.bus, user_id, "match.declined", data)
        else:
            notify(self.bus, user_id, "match.expired", data)

    async def open_room(self, match: Doc) -> Doc | None:
        """Both accepted (state `creating`): the room, both users joined in their roles, then `matched`. The room's
        id is the proposal's, so doing this again after a crash finds the room instead of making a second."""
        if match["_id"] in self._opening:
            return None
        self._opening.add(match["_id"])
        try:
            cards = await self.users.cards(match["userIds"])
            seats = [
                (u, {"username": cards[u].username, "displayName": cards[u].display_name}, match["roles"][u])
                for u in match["userIds"]
            ]
            problem_id = (match.get("problem") or {}).get("id")
            room = await self.rooms.create_matched(match["_id"], seats, problem_id, match["language"])
            await self.store.mark_matched(match["userIds"], match["_id"], room["_id"])
            done = await self.store.matched(match["_id"], room["_id"], utcnow())
        finally:
            self._opening.discard(match["_id"])
        if done is not None:
            for user_id, view in (await self.views.proposals([done])).items():
                for event_type in ("match.ready", "match.matched"):  # match.matched: the name API.md 5.3 uses
                    notify(self.bus, user_id, event_type, view.to_json())
        return done
