// /join/{inviteCode}: the room's preview (no account needed to see it), then join, or sign in first.

import { html } from 'lit-html'
import { api, session } from '../api.js'
import { PHASE_NAMES } from '../util.js'

export function JoinView (app, code) {
  code = code.toUpperCase()
  const state = { preview: null, error: null, busy: false, joinError: null }
  const here = `/join/${code}`

  api('GET', `/rooms/lookup/${encodeURIComponent(code)}`, undefined, { auth: false })
    .then((preview) => { state.preview = preview })
    .catch((error) => { state.error = error })
    .finally(app.update)

  async function join (role) {
    state.busy = true
    state.joinError = null
    app.update()
    try {
      const body = { inviteCode: code }
      if (role) body.role = role
      const room = await api('POST', '/rooms/join', body)
      app.navigate(`/rooms/${room.id}`, { replace: true })
    } catch (error) {
      state.joinError = error
      state.busy = false
      app.update()
    }
  }

  function body () {
    if (state.error) {
      const message = state.error.status === 404 ? 'No open room has this invite code. Check the code or ask for a new link.' : state.error.message
      return html`<p class="error" role="alert">${message}</p><p><a href="/">Go home</a></p>`
    }
    const p = state.preview
    if (!p) return html`<p class="muted" role="status">Looking up the room…</p>`
    return html`<dl class="facts">
        <dt>Room</dt><dd>${p.name || 'Untitled room'}</dd>
        <dt>Problem</dt><dd>${p.problem ? html`${p.problem.title} <span class="pill diff-${p.problem.difficulty}">${p.problem.difficulty}</span>` : 'not chosen yet'}</dd>
        <dt>Host</dt><dd>${p.hostName}</dd>
        <dt>Mode</dt><dd>${p.mode === 'ai' ? 'AI interviewer' : 'Peer interview'}</dd>
        <dt>Phase</dt><dd>${PHASE_NAMES[p.status] || p.status}</dd>
        <dt>People</dt><dd>${p.participantCount} of ${p.maxParticipants}</dd>
      </dl>
      ${!p.joinable ? html`<p class="error" role="alert">${p.status === 'finished' ? 'This room has finished.' : 'This room is full.'}</p>` : ''}
      ${state.joinError ? html`<p class="error" role="alert">${state.joinError.message}</p>` : ''}
      ${session()
        ? html`<div class="row">
            <button class="primary" ?disabled=${state.busy || !p.joinable} @click=${() => join()}>${state.busy ? 'Joining…' : 'Join the room'}</button>
            <button ?disabled=${state.busy || !p.joinable} @click=${() => join('observer')}>Watch as observer</button>
          </div>`
        : html`<p>To join, <a href="/signin?next=${encodeURIComponent(here)}">sign in</a> or
            <a href="/register?next=${encodeURIComponent(here)}">create an account</a>.</p>`}`
  }

  return {
    title: 'Join a room',
    render: () => html`<section class="card auth">
      <h1>Join room <span class="invite-code">${code}</span></h1>
      ${body()}
    </section>`,
  }
}
