// The session report (/sessions/{id}): the training report's scores with their evidence (code lines link into the
// final code), the timeline, the keystroke replay (a scrubber over GET /sessions/{id}/replay?at= with the moments of
// /replay/marks), code snapshots and peer feedback. While the report is being made it shows its progress and waits
// for `report.ready` (to the candidate) or polls (everyone else).

import { html } from 'lit-html'
import { api, session } from '../api.js'
import { events } from '../events.js'
import { PHASE_NAMES, clock, languageName, shownName, verdictName, when } from '../util.js'

const DIMENSIONS = [
  ['correctness', 'Correctness'],
  ['efficiency', 'Efficiency'],
  ['codeQuality', 'Code quality'],
  ['problemSolving', 'Problem solving'],
  ['communication', 'Communication'],
]
const RATINGS = [
  ['problemSolving', 'Problem solving'],
  ['communication', 'Communication'],
  ['codeQuality', 'Code quality'],
  ['testing', 'Testing'],
  ['overall', 'Overall'],
]
const MARK_NAMES = { run: 'Run', submission: 'Submission', phase: 'Phase', hint: 'Hint', pause: 'Pause' }
const REPORT_POLL_MS = 2000
const REPLAY_DEBOUNCE_MS = 120
const PLAY_STEP_MS = 5000
const PLAY_EVERY_MS = 400

export async function SessionReportView (app, sessionId) {
  const me = session().user
  const base = `/sessions/${encodeURIComponent(sessionId)}`
  const s = {
    detail: null,
    report: null, // TrainingReport | {status: 'pending'} | {error}
    pendingSince: Date.now(),
    events: null,
    snapshots: null,
    feedback: null,
    ai: null, // the AI conversation (AiMessage[])
    marks: null, // ReplayMarks | {error}
    at: 0,
    moment: null, // ReplayMoment | {error}
    loadingMoment: false,
    playing: null,
    line: null, // the final code's line to show
  }
  let alive = true
  const timers = new Set()
  const later = (fn, ms) => {
    const t = setTimeout(() => { timers.delete(t); if (alive) fn() }, ms)
    timers.add(t)
  }

  try {
    s.detail = await api('GET', base)
  } catch (error) {
    const message = error.status === 404 ? 'There is no such session.' : error.status === 403 ? 'This session is not yours to see.' : error.message
    return { title: 'Session', render: () => html`<h1>Session unavailable</h1><p class="error" role="alert">${message}</p><p><a href="/sessions">My sessions</a></p>` }
  }
  const d = s.detail
  const people = new Map(d.participants.map((p) => [p.userId, p]))
  const nameOf = (id) => (id === me.id ? 'You' : id ? shownName(people.get(id)) : 'SynCode')
  const startedMs = Date.parse(d.startedAt)

  // -- loading ----------------------------------------------------------------------------------------------

  const settle = (promise, key) => promise
    .then((value) => { s[key] = value })
    .catch((error) => { s[key] = { error } })
    .finally(() => app.update())

  async function loadReport () {
    try {
      s.report = await api('GET', `${base}/report`)
    } catch (error) {
      s.report = { error }
    }
    app.update()
    if (alive && s.report.status === 'pending') later(loadReport, REPORT_POLL_MS)
  }

  loadReport()
  settle(api('GET', `${base}/events`).then((r) => r.data), 'events')
  settle(api('GET', `${base}/snapshots?limit=50&sortOrder=asc`).then((r) => r.data), 'snapshots')
  settle(api('GET', `${base}/feedback`).then((r) => r.data), 'feedback')
  settle(api('GET', `${base}/ai-messages`).then((r) => r.data), 'ai')
  settle(api('GET', `${base}/replay/marks`), 'marks').then(() => {
    if (!s.marks.error) seek(s.marks.durationMs) // start on the final code
  })

  const offReady = events.on('report.ready', (frame) => {
    if (alive && frame.data?.sessionId === sessionId) loadReport()
  })

  // -- the replay ---------------------------------------------------------------------------------------------

  let replayTimer = null
  let replayToken = 0
  function seek (at) {
    const duration = s.marks?.durationMs ?? 0
    s.at = Math.max(0, Math.min(duration, Math.round(at)))
    app.update()
    clearTimeout(replayTimer)
    replayTimer = setTimeout(fetchMoment, REPLAY_DEBOUNCE_MS)
  }

  async function fetchMoment () {
    const token = ++replayToken
    const at = s.at
    s.loadingMoment = true
    app.update()
    try {
      const moment = await api('GET', `${base}/replay?at=${at}`)
      if (token === replayToken && alive) s.moment = moment
    } catch (error) {
      if (token === replayToken && alive) s.moment = { error }
      stop()
    } finally {
      if (token === replayToken) s.loadingMoment = false
      app.update()
    }
  }

  function play () {
    if (s.playing) return stop()
    if (s.at >= (s.marks?.durationMs ?? 0)) s.at = 0
    s.playing = setInterval(() => {
      const end = s.marks.durationMs
      if (s.at >= end) return stop()
      seek(s.at + PLAY_STEP_MS)
    }, PLAY_EVERY_MS)
    app.update()
  }

  function stop () {
    clearInterval(s.playing)
    s.playing = null
    app.update()
  }

  const jump = (iso) => {
    document.getElementById('replay')?.scrollIntoView({ behavior: 'smooth', block: 'start' })
    seek(Date.parse(iso) - startedMs)
  }

  // -- rendering ----------------------------------------------------------------------------------------------

  function codeBlock (code, idPrefix, highlight = null) {
    const lines = String(code ?? '').replace(/\n$/, '').split('\n')
    return html`<pre class="numbered" aria-label="Code"><code>${lines.map((text, i) => html`<span
      class="line ${highlight === i + 1 ? 'hit' : ''}" id=${idPrefix ? `${idPrefix}${i + 1}` : ''} tabindex=${idPrefix ? '-1' : ''}><span class="ln" aria-hidden="true">${i + 1}</span>${text}
</span>`)}</code></pre>`
  }

  function showLine (line) {
    s.line = line
    app.update()
    requestAnimationFrame(() => {
      const el = document.getElementById(`code-L${line}`)
      el?.scrollIntoView({ behavior: 'smooth', block: 'center' })
      el?.focus({ preventScroll: true })
    })
  }

  function evidenceItem (e) {
    if (e.type === 'code_line' && Number(e.reference) > 0 && d.finalCode) {
      return html`<li><button class="link" @click=${() => showLine(Number(e.reference))}>line ${e.reference}</button> ${e.description}</li>`
    }
    if (e.type === 'event' && s.events?.some?.((x) => x.id === e.reference)) {
      return html`<li><a href="#event-${e.reference}">timeline</a> ${e.description}</li>`
    }
    return html`<li>${e.description}</li>`
  }

  function scoreBar (score) {
    const tone = score >= 70 ? 'good' : score >= 40 ? 'fair' : 'weak'
    return html`<span class="score ${tone}"><meter min="0" max="100" low="40" high="70" optimum="100" value=${score}></meter><strong>${score}</strong></span>`
  }

  function reportSection () {
    const r = s.report
    if (!r) return html`<p class="muted" role="status">Loading the report…</p>`
    if (r.error) {
      const text = r.error.status === 403
        ? 'The training report is for the candidate (and the interviewer in a peer interview).'
        : r.error.status === 404 ? 'The report is made once the session finishes.' : r.error.message
      return html`<p class="muted">${text}</p>`
    }
    if (r.status === 'pending') {
      const seconds = Math.round((Date.now() - s.pendingSince) / 1000)
      return html`<div class="pending" role="status" aria-live="polite">
        <p><strong>Report pending…</strong> scoring the tests, the code and the timeline (${seconds} s).</p>
        <progress aria-label="The report is being made"></progress>
      </div>`
    }
    if (r.status === 'failed') return html`<p class="error" role="alert">The report could not be made.</p>`
    return html`<div class="overall">
        <span class="big-score" aria-label="Overall score">${r.overallScore ?? '–'}</span><span class="muted">/ 100 overall</span>
        ${r.history ? html`<span class="pill">${r.history.trend}${r.history.averageScore != null ? ` · your average ${r.history.averageScore}` : ''}</span>` : ''}
      </div>
      ${r.summary ? html`<p>${r.summary}</p>` : ''}
      <div class="dimensions">${DIMENSIONS.filter(([key]) => r.dimensions?.[key]).map(([key, label]) => {
        const dim = r.dimensions[key]
        return html`<section class="dimension" aria-label=${label}>
          <h3>${label} ${scoreBar(dim.score)}</h3>
          <p>${dim.summary}</p>
          ${dim.evidence.length ? html`<ul class="evidence">${dim.evidence.map(evidenceItem)}</ul>` : ''}
        </section>`
      })}</div>
      <div class="columns">
        ${r.strengths.length ? html`<div><h3>Strengths</h3><ul>${r.strengths.map((x) => html`<li>${x}</li>`)}</ul></div>` : ''}
        ${r.improvements.length ? html`<div><h3>To improve</h3><ul>${r.improvements.map((x) => html`<li>${x}</li>`)}</ul></div>` : ''}
      </div>
      ${r.tests.length
        ? html`<details><summary>Tests of the best submission (${r.tests.filter((t) => t.passed).length} / ${r.tests.length} passed)</summary>
          <table class="cases"><thead><tr><th scope="col">#</th><th scope="col">Verdict</th><th scope="col">Time</th></tr></thead>
          <tbody>${r.tests.map((t) => html`<tr><td>${t.index + 1}${t.hidden ? html` <span class="muted">(hidden)</span>` : ''}</td>
            <td class=${t.passed ? 'good' : 'bad'}>${verdictName(t.verdict)}</td><td>${t.timeMs != null ? `${t.timeMs} ms` : ''}</td></tr>`)}</tbody></table></details>`
        : ''}
      <p class="muted small">Prose by ${r.provider === 'llm' ? 'the AI' : 'SynCode (offline)'}${r.generatedAt ? ` · ${when(r.generatedAt)}` : ''}</p>`
  }

  function replaySection () {
    const m = s.marks
    if (!m) return html`<p class="muted" role="status">Loading the replay…</p>`
    if (m.error) return html`<p class="muted">${m.error.message}</p>`
    const duration = Math.max(1, m.durationMs)
    const peak = Math.max(1, ...m.density.map((x) => x.edits))
    const moment = s.moment
    return html`<div class="replay">
      <div class="density" aria-hidden="true">${m.density.map((x) => html`<span style="left:${(x.at / duration) * 100}%;height:${(x.edits / peak) * 100}%"></span>`)}</div>
      <div class="marks" aria-hidden="true">${m.marks.map((mk) => html`<span class="mark mark-${mk.type}" style="left:${(mk.at / duration) * 100}%" title="${MARK_NAMES[mk.type] || mk.type} at ${clock(mk.at / 1000)}"></span>`)}</div>
      <div class="row">
        <button @click=${play} aria-pressed=${s.playing ? 'true' : 'false'}>${s.playing ? 'Pause' : 'Play'}</button>
        <label for="replay-at" class="visually-hidden">Moment of the session</label>
        <input id="replay-at" class="scrubber" type="range" min="0" max=${m.durationMs} step="1000" .value=${String(s.at)}
          aria-valuetext="${clock(s.at / 1000)} of ${clock(m.durationMs / 1000)}"
          @input=${(e) => { stop(); seek(Number(e.target.value)) }} />
        <output for="replay-at" class="replay-time">${clock(s.at / 1000)} / ${clock(m.durationMs / 1000)}</output>
      </div>
      ${m.marks.length
        ? html`<p class="jumps">Jump to: ${m.marks.map((mk) => html`<button class="link small" @click=${() => { stop(); seek(mk.at) }}>
            ${MARK_NAMES[mk.type] || mk.type}${mk.type === 'phase' && mk.ref ? ` ${PHASE_NAMES[mk.ref] || mk.ref}` : ''} ${clock(mk.at / 1000)}</button>`)}</p>`
        : ''}
      <div class="replay-view" aria-live="polite" aria-busy=${s.loadingMoment ? 'true' : 'false'}>
        ${!moment
          ? html`<p class="muted" role="status">Loading the code…</p>`
          : moment.error
            ? html`<p class="error" role="alert">${moment.error.message}</p>`
            : html`<p class="muted small">Code at ${clock(moment.at / 1000)} · ${languageName(moment.language)}
                ${moment.editors.length ? ` · edited by ${moment.editors.map(nameOf).join(', ')}` : ''}</p>
              <div class="replay-code">${codeBlock(moment.code, null)}</div>`}
      </div>
    </div>`
  }

  function eventText (e) {
    const data = e.data || {}
    switch (e.type) {
      case 'phase_changed': return `Phase: ${PHASE_NAMES[data.to] || data.to}`
      case 'run': return `Ran the code${data.verdict ? ` (${verdictName(data.verdict)})` : ''}`
      case 'submission': return `Submitted${data.verdict ? `: ${verdictName(data.verdict)}` : ''}${data.total ? ` (${data.passed} / ${data.total})` : ''}`
      case 'chat_message': return `Chat: ${data.text ?? ''}`
      case 'hint_revealed': return `Hint ${Number(data.index) + 1} shown`
      case 'hint_requested': return 'Asked the AI for a hint'
      case 'ai_message': return `AI ${data.kind || 'message'}${data.role === 'user' ? ' asked' : ''}`
      default: return e.type.replace(/_/g, ' ')
    }
  }

  function timelineSection () {
    const list = s.events
    if (!list) return html`<p class="muted" role="status">Loading…</p>`
    if (list.error) return html`<p class="error">${list.error.message}</p>`
    if (!list.length) return html`<p class="muted">Nothing happened in this session.</p>`
    return html`<ol class="timeline">${list.map((e) => html`<li id="event-${e.id}" tabindex="-1">
      <time datetime=${e.at}>${clock(Math.max(0, Date.parse(e.at) - startedMs) / 1000)}</time>
      <span class="who">${nameOf(e.actorId)}</span> <span>${eventText(e)}</span>
      <button class="link small" @click=${() => jump(e.at)} aria-label="Replay the code at this moment">replay</button>
    </li>`)}</ol>`
  }

  function snapshotsSection () {
    const list = s.snapshots
    if (!list) return html`<p class="muted" role="status">Loading…</p>`
    if (list.error) return html`<p class="error">${list.error.message}</p>`
    if (!list.length) return html`<p class="muted">No snapshots.</p>`
    return html`<ul class="snapshots">${list.map((snap) => html`<li><details>
      <summary>${clock(Math.max(0, Date.parse(snap.createdAt) - startedMs) / 1000)} · ${snap.trigger.replace('_', ' ')}
        ${snap.phase ? `· ${PHASE_NAMES[snap.phase] || snap.phase}` : ''} · ${snap.linesOfCode} lines · ${languageName(snap.language)}</summary>
      ${codeBlock(snap.code, null)}
    </details></li>`)}</ul>`
  }

  function feedbackSection () {
    const list = s.feedback
    if (!list) return html`<p class="muted" role="status">Loading…</p>`
    if (list.error) return html`<p class="muted">${list.error.message}</p>`
    if (!list.length) return html`<p class="muted">No peer feedback${d.mode === 'peer' ? ' yet' : ' (an AI interview)'}.</p>`
    return list.map((f) => html`<article class="peer-feedback">
      <h3>${nameOf(f.reviewerId)} on ${nameOf(f.revieweeId)}</h3>
      <dl class="facts">${RATINGS.map(([key, label]) => html`<dt>${label}</dt><dd>${f.ratings[key]} / 5</dd>`)}</dl>
      ${f.strengths ? html`<p><strong>Strengths:</strong> ${f.strengths}</p>` : ''}
      ${f.improvements ? html`<p><strong>To improve:</strong> ${f.improvements}</p>` : ''}
      ${f.comment ? html`<p>${f.comment}</p>` : ''}
      ${f.wouldPairAgain != null ? html`<p class="muted small">${f.wouldPairAgain ? 'Would pair again.' : 'Would not pair again.'}</p>` : ''}
    </article>`)
  }

  function aiSection () {
    const list = s.ai
    if (!list || list.error || !list.length) return ''
    return html`<section class="card" aria-labelledby="ai-title"><h2 id="ai-title">AI conversation</h2>
      <ol class="ai-log report-ai">${list.map((m) => html`<li class="ai-entry ${m.role === 'user' ? 'mine' : 'ai'}">
        <span class="who">${m.role === 'user' ? nameOf(m.authorId) : 'AI interviewer'}</span>
        ${m.kind && m.kind !== 'chat' ? html`<span class="pill">${m.kind === 'proactive' ? 'note' : m.kind}</span>` : ''}
        <time datetime=${m.createdAt}>${clock(Math.max(0, Date.parse(m.createdAt) - startedMs) / 1000)}</time>
        <p>${m.content}</p>
      </li>`)}</ol>
    </section>`
  }

  const title = d.problem?.title || 'Session'
  return {
    title: `Report: ${title}`,
    render: () => html`<p class="crumbs"><a href="/sessions">My sessions</a></p>
      <h1>${title}</h1>
      <p class="session-facts">
        ${d.problem ? html`<span class="pill diff-${d.problem.difficulty}">${d.problem.difficulty}</span>` : ''}
        <span class="pill">${d.mode === 'ai' ? 'AI interview' : 'Peer interview'}</span>
        <span>${languageName(d.language)}</span> · <span>${when(d.startedAt)}</span> · <span>${clock(d.durationSec)} coding</span>
        ${d.verdict ? html` · <span class=${d.verdict === 'accepted' ? 'good' : 'bad'}>${verdictName(d.verdict)}</span>` : ''}
        · ${d.participants.map((p) => html`<span class="who">${nameOf(p.userId)} (${p.role})</span> `)}
      </p>
      <section class="card" aria-labelledby="report-title"><h2 id="report-title">Scores</h2>${reportSection()}</section>
      <section class="card" id="replay" aria-labelledby="replay-title"><h2 id="replay-title">Replay</h2>${replaySection()}</section>
      ${d.finalCode
        ? html`<section class="card" aria-labelledby="final-title"><h2 id="final-title">Final code (${languageName(d.finalCode.language)})</h2>
            ${codeBlock(d.finalCode.code, 'code-L', s.line)}</section>`
        : ''}
      <div class="columns">
        <section class="card" aria-labelledby="timeline-title"><h2 id="timeline-title">Timeline</h2>${timelineSection()}</section>
        <div>
          <section class="card" aria-labelledby="feedback-title"><h2 id="feedback-title">Peer feedback</h2>${feedbackSection()}</section>
          <section class="card" aria-labelledby="snapshots-title"><h2 id="snapshots-title">Snapshots</h2>${snapshotsSection()}</section>
        </div>
      </div>
      ${aiSection()}`,
    destroy () {
      alive = false
      offReady()
      stop()
      clearTimeout(replayTimer)
      for (const t of timers) clearTimeout(t)
    },
  }
}
