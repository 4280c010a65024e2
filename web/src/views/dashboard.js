// The dashboard panels of the home page: training stats with a chart (/users/me/stats), recent sessions, quotas
// and weaknesses. Each panel loads on its own, so a slow or failing one leaves the others alone.

import { html, svg } from 'lit-html'
import { api } from '../api.js'
import { clock, languageName, verdictName, when } from '../util.js'

const RECENT = 5
const CHART = { width: 600, height: 150, pad: 22 }
const WEAKNESS_NAMES = {
  edge_cases: 'Edge cases',
  time_complexity: 'Time complexity',
  space_complexity: 'Space complexity',
  variable_naming: 'Variable naming',
  code_structure: 'Code structure',
  off_by_one: 'Off-by-one errors',
  input_validation: 'Input validation',
  communication: 'Communication',
}
const TRENDS = { improving: '↓ improving', stable: '→ stable', worsening: '↑ worsening' }

const hours = (m) => (m >= 60 ? `${Math.floor(m / 60)} h ${m % 60} min` : `${m} min`)
const plural = (n, one, many = `${one}s`) => `${n} ${n === 1 ? one : many}`

/** {render()} of the dashboard panels; `app.update()` repaints as each part arrives. */
export function DashboardPanels (app) {
  const s = { stats: null, sessions: null, quotas: null, weaknesses: null, errors: {}, bucket: 'day' }
  const load = (key, path, pick = (body) => body) =>
    api('GET', path)
      .then((body) => { s[key] = pick(body) })
      .catch((error) => { s.errors[key] = error })
      .finally(app.update)
  const loadStats = () => load('stats', `/users/me/stats?bucket=${s.bucket}`)
  loadStats()
  load('sessions', `/sessions?limit=${RECENT}`, (page) => page.data)
  load('quotas', '/users/me/quotas')
  load('weaknesses', '/users/me/weaknesses', (body) => body.data)

  const pending = (key, what) =>
    s.errors[key]
      ? html`<p class="error" role="alert">${what} could not be loaded: ${s.errors[key].message}</p>`
      : html`<p class="muted" role="status">Loading ${what.toLowerCase()}…</p>`

  function statsPanel () {
    const st = s.stats
    if (!st) return pending('stats', 'Statistics')
    const t = st.totals
    const rate = t.acceptanceRate == null ? '–' : `${Math.round(t.acceptanceRate * 100)}%`
    return html`<dl class="tiles">
        <div><dt>Sessions</dt><dd>${t.sessions}</dd></div>
        <div><dt>Problems solved</dt><dd>${t.problemsSolved}</dd></div>
        <div><dt>Submissions</dt><dd>${t.submissions}</dd></div>
        <div><dt>Accepted</dt><dd>${rate}</dd></div>
        <div><dt>Practice</dt><dd>${hours(t.practiceMinutes)}</dd></div>
        <div><dt>Streak</dt><dd>${plural(st.streakDays, 'day')}</dd></div>
      </dl>
      ${chart(st.series)}
      ${Object.keys(t.byLanguage || {}).length
        ? html`<p class="muted small">By language: ${Object.entries(t.byLanguage)
            .map(([lang, x]) => `${languageName(lang)} ${x.accepted}/${x.submissions}`)
            .join(' · ')}</p>`
        : ''}`
  }

  function chart (series) {
    const { width, height, pad } = CHART
    const days = series.length || 1
    const unit = s.bucket === 'week' ? 'week' : 'day'
    const first = (p) => (unit === 'week' ? `week of ${new Date(p.start).toLocaleDateString()}` : new Date(p.start).toLocaleDateString())
    const top = Math.max(1, ...series.map((p) => Math.max(p.submissions, p.sessions)))
    const slot = (width - pad) / days
    const bar = Math.max(2, slot * 0.7)
    const y = (v) => height - pad - (v / top) * (height - 2 * pad)
    const active = series.filter((p) => p.sessions || p.submissions)
    const summary = active.length
      ? `Last ${plural(days, unit)}: ${active.map((p) => `${first(p)}: ${plural(p.sessions, 'session')}, ${p.accepted} of ${plural(p.submissions, 'submission')} accepted`).join('; ')}`
      : `No practice in the last ${plural(days, unit)}`
    return html`<figure class="chart">
      <svg viewBox="0 0 ${width} ${height}" role="img" aria-label=${summary}>
        ${svg`<line x1=${pad} y1=${height - pad} x2=${width} y2=${height - pad} class="axis" />
          <text x="0" y=${pad} class="axis-label">${top}</text>
          <text x="0" y=${height - pad} class="axis-label">0</text>`}
        ${series.map((p, i) => {
          const x = pad + i * slot + (slot - bar) / 2
          const label = `${first(p)}: ${plural(p.sessions, 'session')}, ${p.accepted}/${p.submissions} accepted`
          return svg`<g class="day"><title>${label}</title>
            <rect x=${x} y=${y(p.submissions)} width=${bar} height=${height - pad - y(p.submissions)} class="subs" />
            <rect x=${x} y=${y(p.accepted)} width=${bar} height=${height - pad - y(p.accepted)} class="acc" />
            ${p.sessions ? svg`<circle cx=${x + bar / 2} cy=${y(p.sessions)} r="3.5" class="sess" />` : ''}</g>`
        })}
      </svg>
      <figcaption class="muted small">
        <span class="key subs"></span> submissions <span class="key acc"></span> accepted
        <span class="key sess"></span> sessions — per ${unit}, last ${plural(days, unit)}
      </figcaption>
    </figure>`
  }

  function sessionsPanel () {
    if (!s.sessions) return pending('sessions', 'Sessions')
    if (!s.sessions.length) return html`<p class="muted">No sessions yet: a session is recorded once a room starts its warm-up.</p>`
    return html`<ul class="rooms recent">
        ${s.sessions.map((x) => html`<li>
          <a href="/sessions/${x.id}">${x.problem?.title || 'No problem'}</a>
          ${x.overallScore != null ? html`<span class="pill">score ${Math.round(x.overallScore)}</span>` : ''}
          ${x.verdict ? html`<span class="pill ${x.verdict === 'accepted' ? 'diff-easy' : 'diff-hard'}">${verdictName(x.verdict)}</span>` : ''}
          <span class="muted">${x.mode === 'ai' ? 'AI interview' : 'Peer'} · ${languageName(x.language)} · ${x.myRole} ·
            ${when(x.startedAt)} · ${clock(x.durationSec || 0)}</span>
        </li>`)}
      </ul>
      <p><a href="/sessions">All sessions</a></p>`
  }

  function meter (label, used, limit, note = '') {
    const pct = limit ? Math.min(100, Math.round((used / limit) * 100)) : 0
    return html`<div class="meter">
      <span>${label}</span><span class="muted">${used} / ${limit}${note}</span>
      <progress max="100" value=${pct} aria-label="${label}: ${used} of ${limit}"></progress>
    </div>`
  }

  function quotasPanel () {
    const q = s.quotas
    if (!q) return pending('quotas', 'Quotas')
    const mib = (b) => (b / 1048576).toFixed(1)
    const resets = (w) => (w.resetsAt ? html`<p class="muted small">Daily limits reset ${when(w.resetsAt)}.</p>` : '')
    return html`${meter('Code runs today', q.executions.used, q.executions.limit)}
      ${meter('AI requests today', q.ai.used, q.ai.limit)}
      ${meter('Active rooms', q.rooms.active, q.rooms.maxActive)}
      ${meter('Storage (MiB)', mib(q.storage.usedBytes), mib(q.storage.limitBytes))}
      ${resets(q.executions)}`
  }

  function weaknessesPanel () {
    if (!s.weaknesses) return pending('weaknesses', 'Weaknesses')
    if (!s.weaknesses.length) return html`<p class="muted">None found yet: they come from your session reports.</p>`
    return html`<ul class="weaknesses">
      ${s.weaknesses.map((w) => html`<li>
        <strong>${WEAKNESS_NAMES[w.category] || w.category}</strong>
        <span class="pill trend-${w.trend}">${TRENDS[w.trend] || w.trend}</span>
        <span class="muted small">seen ${plural(w.frequency, 'time')}, last ${when(w.lastSeenAt)}</span>
        <p>${w.description}</p>
      </li>`)}
    </ul>`
  }

  return {
    render: () => html`<section class="card" aria-labelledby="stats-title">
        <div class="row spread">
          <h2 id="stats-title">Training statistics</h2>
          <label class="inline small">Chart
            <select class="small" @change=${(e) => { s.bucket = e.target.value; s.stats = null; loadStats() }}>
              <option value="day" ?selected=${s.bucket === 'day'}>per day</option>
              <option value="week" ?selected=${s.bucket === 'week'}>per week</option>
            </select></label>
        </div>
        ${statsPanel()}
      </section>
      <div class="columns">
        <section class="card" aria-labelledby="recent-title">
          <h2 id="recent-title">Recent sessions</h2>
          ${sessionsPanel()}
        </section>
        <div>
          <section class="card" aria-labelledby="quotas-title">
            <h2 id="quotas-title">Quotas</h2>
            ${quotasPanel()}
          </section>
          <section class="card" aria-labelledby="weak-title">
            <h2 id="weak-title">Weaknesses</h2>
            ${weaknessesPanel()}
          </section>
        </div>
      </div>`,
  }
}
