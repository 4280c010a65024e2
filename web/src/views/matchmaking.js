// Matchmaking (/match): preferences, the queue with its status, a proposal with an accept/decline countdown, and
// the room both people land in. The match.* events on /api/ws make it quick; polling /matchmaking/status keeps it
// true without them (and a poll while searching keeps the queue entry alive).

import { html } from 'lit-html'
import { api, session } from '../api.js'
import { events } from '../events.js'
import { LANGUAGES, clock, languageName, shownName } from '../util.js'

const POLL_MS = { searching: 5000, proposed: 2000 }
const PREFS_KEY = 'syncode.match-prefs'
const ROLES = [['candidate', 'Candidate'], ['interviewer', 'Interviewer']]
const DIFFICULTIES = ['easy', 'medium', 'hard']

function savedPrefs () {
  try {
    return JSON.parse(localStorage.getItem(PREFS_KEY)) || null
  } catch {
    return null
  }
}

export function MatchmakingView (app) {
  const me = session().user
  const s = {
    status: null, // MatchStatus
    error: null,
    busy: false,
    tags: [],
    prefs: savedPrefs() || { languages: [me.preferredLanguage || 'python'], difficulties: [], topics: [], roles: [] },
    now: Date.now(),
    note: null,
  }
  let poll = null
  let tick = null
  let gone = false

  async function refresh () {
    try {
      const status = await api('GET', '/matchmaking/status')
      if (gone) return
      s.status = status
      s.error = null
      if (status.status === 'matched' && status.match?.roomId) return app.navigate(`/rooms/${status.match.roomId}`)
    } catch (error) {
      s.error = error
    }
    schedule()
    app.update()
  }

  function schedule () {
    clearTimeout(poll)
    const every = POLL_MS[s.status?.status]
    if (every && !gone) poll = setTimeout(refresh, every)
    clearInterval(tick)
    if (s.status?.status === 'searching' || s.status?.status === 'proposed') {
      tick = setInterval(() => { s.now = Date.now(); app.update() }, 1000)
    }
  }

  // Why a proposal went away, said once the status shows where the person stands now.
  const NOTES = {
    'match.expired': (data) => (data.status === 'searching' ? 'The proposal expired; you are back in the queue.' : 'The proposal expired without your answer; you left the queue.'),
    'match.declined': (data) =>
      data.declinedBy === me.id ? 'You declined; you left the queue.' : 'Your partner declined; you are back in the queue at your old place.',
  }
  const off = ['match.proposed', 'match.matched', 'match.ready', 'match.expired', 'match.declined', 'match.accepted'].map((type) =>
    events.on(type, ({ data }) => {
      s.note = NOTES[type] ? NOTES[type](data || {}) : null
      refresh()
    })
  )
  refresh()
  api('GET', '/problems/tags').then((body) => { s.tags = body.data; app.update() }).catch(() => {})

  async function act (fn) {
    s.busy = true
    s.error = null
    app.update()
    try {
      await fn()
    } catch (error) {
      s.error = error
    }
    s.busy = false
    await refresh()
  }

  function enter (event) {
    event.preventDefault()
    const form = new FormData(event.target)
    s.prefs = {
      languages: form.getAll('languages'),
      difficulties: form.getAll('difficulties'),
      topics: form.getAll('topics'),
      roles: form.getAll('roles'),
    }
    localStorage.setItem(PREFS_KEY, JSON.stringify(s.prefs))
    s.note = null
    act(() => api('POST', '/matchmaking/queue', { ...s.prefs, mode: 'peer' }))
  }

  const cancel = () => act(() => api('DELETE', '/matchmaking/queue'))
  const answer = (accept) =>
    act(async () => {
      const id = encodeURIComponent(s.status.match.matchId)
      if (accept) s.status = await api('POST', `/matchmaking/matches/${id}/accept`)
      else await api('POST', `/matchmaking/matches/${id}/decline`)
    })

  const checks = (name, options, chosen) =>
    options.map(([value, label]) => html`<label class="inline"><input type="checkbox" name=${name} value=${value}
      ?checked=${chosen.includes(value)} /> ${label}</label>`)

  function preferences () {
    const p = s.prefs
    return html`<form @submit=${enter} aria-labelledby="prefs-title">
      <h2 id="prefs-title">What would you like to practise?</h2>
      <p class="muted small">Leave a group empty for “any”.</p>
      <fieldset class="field"><legend>Languages</legend>${checks('languages', LANGUAGES, p.languages)}</fieldset>
      <fieldset class="field"><legend>Difficulty</legend>
        ${checks('difficulties', DIFFICULTIES.map((d) => [d, d[0].toUpperCase() + d.slice(1)]), p.difficulties)}</fieldset>
      <fieldset class="field"><legend>My role</legend>${checks('roles', ROLES, p.roles)}</fieldset>
      <div class="field">
        <label for="match-topics">Topics</label>
        <select id="match-topics" name="topics" multiple size="5">
          ${s.tags.map((t) => html`<option value=${t.slug} ?selected=${p.topics.includes(t.slug)}>${t.name}</option>`)}
        </select>
      </div>
      <button class="primary" type="submit" ?disabled=${s.busy}>Find a partner</button>
    </form>`
  }

  function searching (st) {
    const waited = st.queuedAt ? Math.max(0, (s.now - Date.parse(st.queuedAt)) / 1000) : 0
    return html`<div role="status" class="searching">
        <h2>Looking for a partner…</h2>
        <p><span class="spinner" aria-hidden="true"></span> Waiting ${clock(waited)}
          ${st.position ? html` · place ${st.position} in the queue` : ''}</p>
      </div>
      <button ?disabled=${s.busy} @click=${cancel}>Leave the queue</button>`
  }

  function proposal (m) {
    const left = Math.max(0, Math.ceil((Date.parse(m.expiresAt) - s.now) / 1000))
    const them = m.opponent
    return html`<div class="proposal" aria-labelledby="proposal-title">
      <h2 id="proposal-title">Partner found</h2>
      <p class="countdown" role="timer" aria-live="off">${left} s left to answer</p>
      <dl class="facts">
        <dt>Partner</dt><dd>${shownName(them)} <span class="muted">@${them.username} · ${them.problemsSolved} solved</span></dd>
        <dt>Problem</dt><dd>${m.problem ? html`${m.problem.title} <span class="pill diff-${m.problem.difficulty}">${m.problem.difficulty}</span>` : 'chosen in the room'}</dd>
        <dt>Language</dt><dd>${languageName(m.language)}</dd>
        <dt>Your role</dt><dd>${m.myRole}</dd>
      </dl>
      ${m.accepted
        ? html`<p role="status">You accepted. ${m.opponentAccepted ? 'Opening the room…' : `Waiting for ${shownName(them)}…`}</p>`
        : html`<div class="row">
            <button class="primary" ?disabled=${s.busy || !left} @click=${() => answer(true)}>Accept</button>
            <button ?disabled=${s.busy || !left} @click=${() => answer(false)}>Decline</button>
          </div>`}
    </div>`
  }

  function body () {
    const st = s.status
    if (!st) return html`<p class="muted" role="status">Loading…</p>`
    if (st.status === 'searching') return searching(st)
    if (st.status === 'proposed' && st.match) return proposal(st.match)
    if (st.status === 'matched' && st.match?.roomId) return html`<p>Matched. <a href="/rooms/${st.match.roomId}">Go to the room</a></p>`
    return preferences()
  }

  return {
    title: 'Find a partner',
    destroy () {
      gone = true
      clearTimeout(poll)
      clearInterval(tick)
      off.forEach((fn) => fn())
    },
    render: () => html`<h1>Find a practice partner</h1>
      <section class="card match">
        ${s.note ? html`<p class="banner" role="status">${s.note}</p>` : ''}
        ${body()}
        ${s.error ? html`<p class="error" role="alert">${s.error.message}</p>` : ''}
      </section>`,
  }
}
