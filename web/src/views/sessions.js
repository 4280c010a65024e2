// My session history (/sessions, paged, pick sessions to compare) and the comparison of their reports
// (/sessions/compare?ids=a,b).

import { html } from 'lit-html'
import { api } from '../api.js'
import { clock, languageName, shownName, verdictName, when } from '../util.js'

const PAGE = 20
const MAX_COMPARED = 10
const PENDING_POLL_MS = 2000
const DIMENSIONS = [
  ['correctness', 'Correctness'],
  ['efficiency', 'Efficiency'],
  ['codeQuality', 'Code quality'],
  ['problemSolving', 'Problem solving'],
  ['communication', 'Communication'],
]

export function SessionsView (app) {
  const s = { list: [], cursor: null, hasMore: true, loading: false, error: null, picked: new Set(), mode: '' }

  async function more () {
    if (s.loading || !s.hasMore) return
    s.loading = true
    app.update()
    try {
      const query = new URLSearchParams({ limit: String(PAGE) })
      if (s.cursor) query.set('cursor', s.cursor)
      if (s.mode) query.set('mode', s.mode)
      const page = await api('GET', `/sessions?${query}`)
      s.list.push(...page.data)
      s.cursor = page.pagination.nextCursor
      s.hasMore = page.pagination.hasMore
    } catch (error) {
      s.error = error
    } finally {
      s.loading = false
      app.update()
    }
  }
  more()

  function filter (event) {
    Object.assign(s, { list: [], cursor: null, hasMore: true, error: null, mode: event.target.value })
    s.picked.clear()
    more()
  }

  function pick (id, on) {
    if (on) s.picked.add(id)
    else s.picked.delete(id)
    app.update()
  }

  const compare = () => app.navigate(`/sessions/compare?ids=${[...s.picked].join(',')}`)

  function row (x) {
    const others = x.participants.filter((p) => p.role !== x.myRole).map(shownName)
    return html`<li>
      <input type="checkbox" aria-label="Compare ${x.problem?.title || 'this session'} of ${when(x.startedAt)}"
        .checked=${s.picked.has(x.id)} ?disabled=${!s.picked.has(x.id) && s.picked.size >= MAX_COMPARED}
        @change=${(e) => pick(x.id, e.target.checked)} />
      <a href="/sessions/${x.id}">${x.problem?.title || 'No problem'}</a>
      ${x.problem ? html`<span class="pill diff-${x.problem.difficulty}">${x.problem.difficulty}</span>` : ''}
      <span class="pill">${x.mode === 'ai' ? 'AI' : 'peer'}</span>
      ${x.overallScore != null ? html`<span class="pill score-pill">score ${Math.round(x.overallScore)}</span>` : ''}
      ${x.verdict ? html`<span class=${x.verdict === 'accepted' ? 'good' : 'bad'}>${verdictName(x.verdict)}</span>` : ''}
      <span class="muted">${when(x.startedAt)} · ${languageName(x.language)} · ${clock(x.durationSec)} coding · you: ${x.myRole || '—'}
        ${others.length ? ` · with ${others.join(', ')}` : ''}${x.finishedAt ? '' : ' · in progress'}</span>
    </li>`
  }

  return {
    title: 'My sessions',
    render: () => html`<h1>My sessions</h1>
      <div class="row toolbar">
        <label class="inline">Mode <select @change=${filter}>
          <option value="">all</option><option value="peer">peer</option><option value="ai">AI</option></select></label>
        <button class="primary" ?disabled=${s.picked.size < 2} @click=${compare}>Compare ${s.picked.size ? `(${s.picked.size})` : ''}</button>
        <span class="muted small">Pick 2 to ${MAX_COMPARED} sessions to compare their reports.</span>
      </div>
      ${s.error ? html`<p class="error" role="alert">${s.error.message}</p>` : ''}
      ${s.list.length
        ? html`<ul class="rooms sessions">${s.list.map(row)}</ul>`
        : s.loading ? html`<p class="muted" role="status">Loading…</p>` : html`<p class="muted">No sessions yet: a session is recorded from a room's warm-up to its finish.</p>`}
      ${s.hasMore && s.list.length ? html`<p><button ?disabled=${s.loading} @click=${more}>${s.loading ? 'Loading…' : 'Show more'}</button></p>` : ''}`,
  }
}

export async function CompareView (app) {
  const ids = (app.query().get('ids') || '').split(',').filter(Boolean)
  const path = `/sessions/compare?ids=${encodeURIComponent(ids.join(','))}`
  let result
  try {
    result = await api('GET', path)
  } catch (error) {
    return { title: 'Compare', render: () => html`<h1>Compare sessions</h1><p class="error" role="alert">${error.message}</p><p><a href="/sessions">My sessions</a></p>` }
  }
  // A report still being made (a session that just finished) is read again until it is ready.
  let alive = true
  let timer = null
  const pending = () => result.sessions.some((x) => x.reportStatus === 'pending')
  const again = () => {
    timer = setTimeout(async () => {
      try {
        result = await api('GET', path)
        app.update()
      } catch {}
      if (alive && pending()) again()
    }, PENDING_POLL_MS)
  }
  if (pending()) again()
  const delta = (n) => (n == null ? '' : html`<span class=${n > 0 ? 'good' : n < 0 ? 'bad' : 'muted'}>${n > 0 ? '+' : ''}${n}</span>`)
  return {
    title: 'Compare sessions',
    render: () => html`<p class="crumbs"><a href="/sessions">My sessions</a></p>
      <h1>Compare sessions</h1>
      ${pending() ? html`<p role="status">Some reports are still being made… <progress aria-label="Reports pending"></progress></p>` : ''}
      <p>Trend: <strong class="trend">${result.trend}</strong></p>
      <div class="table-wrap"><table class="cases compare">
        <thead><tr><th scope="col">Session</th><th scope="col">Overall</th>${DIMENSIONS.map(([, label]) => html`<th scope="col">${label}</th>`)}</tr></thead>
        <tbody>${result.sessions.map((x) => html`<tr>
          <th scope="row"><a href="/sessions/${x.sessionId}">${x.problem?.title || 'No problem'}</a><br><span class="muted small">${when(x.startedAt)}</span></th>
          <td>${x.overallScore ?? html`<span class="muted">${x.reportStatus || 'no report'}</span>`} ${delta(x.deltas?.overall)}</td>
          ${DIMENSIONS.map(([key]) => html`<td>${x.dimensions[key] ?? ''} ${delta(x.deltas?.[key])}</td>`)}
        </tr>`)}</tbody>
        <tfoot><tr><th scope="row">Change</th><td>${delta(result.deltas.overall)}</td>
          ${DIMENSIONS.map(([key]) => html`<td>${delta(result.deltas[key])}</td>`)}</tr></tfoot>
      </table></div>`,
    destroy () {
      alive = false
      clearTimeout(timer)
    },
  }
}
