"""Rooms: the live interview space, from `waiting` to `finished`.

One job per module, imported in this order (each may import the ones above it, never below):
  rules       pure functions of a room document: presence, roles, transitions, departures, swaps
  repository  the only reader and writer of `db.rooms` and `db.idempotencyKeys`, with the read cache
  views       RoomDetail and friends, names and titles through the user and problem services
  effects     what commands do besides saving: session record, bus events, collab plane
  scheduler   phase deadlines and the abandoned-room sweep (when; the commands say what)
  service     the commands (RoomService), each under its room's lock, through the pieces above
"""

from syncode.rooms.repository import RoomRepository
from syncode.rooms.service import RoomService

__all__ = ["RoomRepository", "RoomService"]
