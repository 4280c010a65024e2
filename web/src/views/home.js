// Home: the room I am in, my rooms, create a room, join by invite code.

import { html } from 'lit-html'
import { api, session } from '../api.js'
import { PHASE_NAMES, languageName, when } from '../util.js'
import { DashboardPanels } from './dashboard.js'
import { modeAndLanguageFields } from './room-form.js'

const MAX_PROBLEM_PAGES = 5

/** The problem bank's summaries (a few pages of 100 at most). */
export async function allProblems () {
  const problems = []
  let cursor = null
  for (let page = 0; page < MAX_PROBLEM_PAGES; page++) {
    const query = new URLSearchParams({ limit: '100', sortBy: 'title', sortOrder: 'asc' })
    if (cursor) query.set('cursor', cursor)
    const result = await api('GET', `/problems?${query}`)
    problems.push(...result.data)
    if (!result.pagination.hasMore) break
    cursor = result.pagination.nextCursor
  }
  return problems
}

export function HomeView (app) {
  const me = session().user
  const dashboard = DashboardPanels(app)
  const state = {
    rooms: null,
    roomsError: null,
    active: null,
    problems: null,
    problemsError: null,
    filter: '',
    creating: false,
    createError: null,
    joinError: null,
  }

  api('GET', '/rooms?limit=50')
    .then((page) => { state.rooms = page.data })
    .catch((error) => { state.roomsError = error })
    .finally(app.update)
  api('GET', '/users/me/active-room')
    .then((body) => { state.active = body?.room || null })
    .catch(() => {})
    .finally(app.update)
  allProblems()
    .then((list) => { state.problems = list })
    .catch((error) => { state.problemsError = error })
    .finally(app.update)

  async function create (event) {
    event.preventDefault()
    const form = new FormData(event.target)
    const body = { mode: form.get('mode'), language: form.get('language') }
    const name = String(form.get('name') || '').trim()
    if (name) body.name = name
    if (form.get('problemId')) body.problemId = form.get('problemId')
    state.creating = true
    state.createError = null
    app.update()
    try {
      const room = await api('POST', '/rooms', body, { headers: { 'Idempotency-Key': crypto.randomUUID() } })
      app.navigate(`/rooms/${room.id}`)
    } catch (error) {
      state.createError = error
      state.creating = false
      app.update()
    }
  }

  function join (event) {
    event.preventDefault()
    const code = String(new FormData(event.target).get('code') || '').trim().toUpperCase()
    if (!/^[A-Z0-9]{4,12}$/.test(code)) {
      state.joinError = 'An invite code is 6 letters and digits, as in K7QX2M.'
      app.update()
      return
    }
    app.navigate(`/join/${code}`)
  }

  const byDifficulty = (difficulty) => {
    const needle = state.filter.toLowerCase()
    return (state.problems || []).filter(
      (p) => p.difficulty === difficulty && (!needle || p.title.toLowerCase().includes(needle) || p.tags.some((t) => t.includes(needle)))
    )
  }

  function problemPicker () {
    if (state.problemsError) return html`<p class="error" role="alert">Problems could not be loaded: ${state.problemsError.message}</p>`
    return html`<div class="field">
        <label for="problem-filter">Find a problem</label>
        <input id="problem-filter" type="search" placeholder="Title or tag" autocomplete="off"
          @input=${(e) => { state.filter = e.target.value; app.update() }} />
      </div>
      <div class="field">
        <label for="create-problem">Problem</label>
        <select id="create-problem" name="problemId" ?disabled=${!state.problems}>
          <option value="">${state.problems ? 'Choose later' : 'Loading problems…'}</option>
          ${['easy', 'medium', 'hard'].map((d) => {
            const list = byDifficulty(d)
            return list.length
              ? html`<optgroup label=${d[0].toUpperCase() + d.slice(1)}>
                  ${list.map((p) => html`<option value=${p.id}>${p.title}</option>`)}
                </optgroup>`
              : ''
          })}
        </select>
      </div>`
  }

  function roomList () {
    if (state.roomsError) return html`<p class="error" role="alert">${state.roomsError.message}</p>`
    if (!state.rooms) return html`<p class="muted" role="status">Loading your rooms…</p>`
    if (!state.rooms.length) return html`<p class="muted">No rooms yet. Create one, or join with a code.</p>`
    return html`<ul class="rooms">
      ${state.rooms.map((room) => html`<li>
        <a href="/rooms/${room.id}">${room.name || room.problem?.title || 'Untitled room'}</a>
        <span class="pill phase-${room.status}">${PHASE_NAMES[room.status] || room.status}</span>
        <span class="muted">${room.mode === 'ai' ? 'AI interview' : 'Peer'} · ${languageName(room.language)}
          ${room.myRole ? html` · ${room.myRole}` : ''} · ${when(room.createdAt)}</span>
      </li>`)}
    </ul>`
  }

  return {
    title: 'Home',
    render: () => html`
      <h1>Welcome, ${me.displayName || me.username}</h1>
      ${state.active
        ? html`<section class="card banner" aria-labelledby="active-title">
            <h2 id="active-title">You are in a room</h2>
            <p>${state.active.name || state.active.problem?.title || 'Untitled room'} ·
              ${PHASE_NAMES[state.active.status]}</p>
            <a class="button primary" href="/rooms/${state.active.id}">Back to the room</a>
          </section>`
        : ''}
      <div class="columns">
        <section class="card" aria-labelledby="create-title">
          <h2 id="create-title">Create a room</h2>
          <form @submit=${create}>
            ${modeAndLanguageFields(me.preferredLanguage || 'python')}
            ${problemPicker()}
            <div class="field">
              <label for="create-name">Room name (optional)</label>
              <input id="create-name" name="name" maxlength="100" autocomplete="off" />
            </div>
            ${state.createError ? html`<p class="error" role="alert">${state.createError.message}</p>` : ''}
            <button class="primary" type="submit" ?disabled=${state.creating}>${state.creating ? 'Creating…' : 'Create room'}</button>
          </form>
          <p class="muted small">Timers and more: <a href="/problems">pick a problem</a> and create the room from its page,
            or <a href="/match">get matched with a partner</a>.</p>
        </section>
        <div>
          <section class="card" aria-labelledby="join-title">
            <h2 id="join-title">Join with a code</h2>
            <form @submit=${join} class="row">
              <label for="join-code" class="visually-hidden">Invite code</label>
              <input id="join-code" name="code" placeholder="Invite code" autocomplete="off" autocapitalize="characters"
                maxlength="12" aria-describedby=${state.joinError ? 'join-error' : ''} />
              <button type="submit">Join</button>
            </form>
            ${state.joinError ? html`<p id="join-error" class="error" role="alert">${state.joinError}</p>` : ''}
          </section>
          <section class="card" aria-labelledby="rooms-title">
            <h2 id="rooms-title">My rooms</h2>
            ${roomList()}
          </section>
        </div>
      </div>
      ${dashboard.render()}`,
  }
}
