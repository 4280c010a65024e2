"""The realtime plane: the Yjs collab WebSocket (`/collab/{roomId}`: rooms, update log, journal) and the event
WebSocket (`/api/ws`). Imports `syncode` (the CollabPlane interface, the context); nothing in `syncode` imports it."""
