"""Sessions: the record of one room from `warmup` to `finished`, and what people read afterwards.

Owns `db.sessions`, `db.sessionEvents` and `db.codeSnapshots` (and what later modules add to them).
  recorder    writes the record while the room lives: start, timeline events, participants, snapshots, finish
  access      who may read a session (its participants and admins) and the per-user soft delete
  timeline    figures read off the record: coding time from the timeline, the best verdict (pure functions)
  whiteboard  the room document's whiteboard: shapes checked, drawn as SVG and PNG
  history     what people read afterwards: /api/sessions list, detail, timeline, snapshots, feedback, exports
"""
