"""Sessions: the record of one room from `warmup` to `finished`, and what people read afterwards.

Owns `db.sessions`, `db.sessionEvents` and `db.codeSnapshots` (and what later modules add to them).
  recorder    writes the record while the room lives: start, timeline events, participants, snapshots, finish
  access      who may read a session (its participants and admins) and the per-user soft delete
  timeline    figures read off the record: coding time from the timeline, the best verdict (pure functions)
  whiteboard  the room document's whiteboard: shapes checked, drawn as SVG and PNG
  history     what people read afterwards: /api/sessions list, detail, timeline, snapshots, feedback, exports
  replay      the code at any moment, rebuilt from the document's edit history (the collab plane's), and the
              moments worth jumping to with the edit density, for a scrubber
  reports     training reports: made when a room finishes (a durable queue in `db.reports`), read, pushed
  evidence    what a report is computed from, asked of the services that own it and of the judge
  scoring     the report's numbers from the evidence (pure functions; the weights in one place)
  narrative   the report's words from templates (strengths, improvements, summary, weakness descriptions)
  stats       across sessions: training statistics, weaknesses from the reports, comparison of reports
"""
