// The room's assist panel, in tabs: hints (the interviewer's guide and the hints revealed to the candidate), the AI
// conversation (chat, hints, reviews), static analysis and, from wrap-up on, the peer feedback form. The room view
// owns the room state; this panel reads it through `ctx` and keeps its own. Every result that is pushed on /api/ws
// is also polled, as the room's runs are: push is a shortcut, never the only way.

import { html } from 'lit-html'
import { unsafeHTML } from 'lit-html/directives/unsafe-html.js'
import { api } from '../api.js'
import { markdown, shownName, timeOfDay } from '../util.js'

const POLL_EVERY_MS = 1500
const HINT_LEVELS = [['subtle', 'Subtle'], ['moderate', 'Moderate'], ['direct', 'Direct']]
const RATINGS = [
  ['problemSolving', 'Problem solving'],
  ['communication', 'Communication'],
  ['codeQuality', 'Code quality'],
  ['testing', 'Testing'],
  ['overall', 'Overall'],
]
const ANCHORS = [['1', 'poor'], ['3', 'fair'], ['5', 'strong']]
const done = (status) => status === 'completed' || status === 'failed'

/**
 * ctx: {app, roomId, me, room() (RoomDetail), can(cap), nameOf(userId), code() (the live document)}.
 * Returns {render(), handlers (event type -> fn(data)), destroy()}.
 */
export function Assist (ctx) {
  const { app, roomId } = ctx
  const path = (rest) => `/rooms/${encodeURIComponent(roomId)}${rest}`
  const s = {
    tab: null, // chosen by the person; else the default for the room's state
    guide: null, // {problemId, data?|error?}
    ai: null, // {messages: Map id -> AiMessage, loaded}
    reviews: new Map(), // id -> CodeReview
    analysis: null, // {id, data?}
    form: null, // {status, entries?, mine? Map revieweeId -> entry, error?}
    drafts: {}, // revieweeId -> {ratings, strengths, improvements, comment, wouldPairAgain}
    unseen: { ai: 0, hints: 0 }, // what arrived in a tab that was not open, shown on its label
    open: null, // the tab rendered last
    busy: {},
  }
  const timers = new Set()
  let alive = true

  function poll (fetcher, apply) {
    const timer = setTimeout(async function tick () {
      timers.delete(timer)
      if (!alive) return
      let finished = false
      try {
        finished = apply(await fetcher())
      } catch {}
      if (alive && !finished) {
        const next = setTimeout(tick, POLL_EVERY_MS)
        timers.add(next)
      }
    }, POLL_EVERY_MS)
    timers.add(timer)
  }

  async function busy (name, fn) {
    if (s.busy[name]) return
    s.busy[name] = true
    app.update()
    try {
      await fn()
    } catch (error) {
      app.notify(error.message, 'error')
    } finally {
      s.busy[name] = false
      app.update()
    }
  }

  // -- tabs -------------------------------------------------------------------------------------------------

  function tabs () {
    const room = ctx.room()
    const list = []
    if (ctx.can('give_feedback') && ['wrapup', 'finished'].includes(room.status)) list.push(['feedback', 'Feedback'])
    if (room.mode === 'peer' && (ctx.can('read_guide') || room.problem)) list.push(['hints', 'Hints'])
    if (ctx.can('ai_assist')) list.push(['ai', 'AI'])
    if (ctx.can('analyze')) list.push(['analysis', 'Analysis'])
    return list
  }

  function current (list) {
    if (list.some(([id]) => id === s.tab)) return s.tab
    return list[0]?.[0] ?? null
  }

  function choose (id) {
    s.tab = id
    if (id in s.unseen) s.unseen[id] = 0
    app.update()
  }

  /** Arrow keys move along the tabs, as a tablist should. */
  function onTabKey (event, list) {
    const at = list.findIndex(([id]) => id === current(list))
    const step = { ArrowRight: 1, ArrowLeft: -1 }[event.key]
    if (!step) return
    event.preventDefault()
    const next = list[(at + step + list.length) % list.length][0]
    choose(next)
    requestAnimationFrame(() => document.getElementById(`assist-tab-${next}`)?.focus())
  }

  // -- hints and the interviewer's guide --------------------------------------------------------------------

  function loadGuide () {
    const room = ctx.room()
    if (!ctx.can('read_guide') || !room.problem || s.guide?.problemId === room.problem.id) return
    const guide = { problemId: room.problem.id }
    s.guide = guide
    api('GET', path('/guide'))
      .then((data) => { guide.data = data })
      .catch((error) => { guide.error = error })
      .finally(() => app.update())
  }

  const revealHint = (index) => busy('reveal', async () => {
    ctx.applyRoom(await api('POST', path('/hints/reveal'), { index }))
  })

  function hintsTab () {
    const room = ctx.room()
    const revealed = room.revealedHints || []
    loadGuide()
    const shown = html`<h3>Hints shown to the candidate</h3>
      ${revealed.length
        ? html`<ol class="hints revealed">${revealed.map((h) => html`<li value=${h.index + 1}>
            <p>${h.text}</p><span class="muted small">shown by ${ctx.nameOf(h.revealedBy)} at ${timeOfDay(h.revealedAt)}</span>
          </li>`)}</ol>`
        : html`<p class="muted">${ctx.can('reveal_hint') ? 'No hint shown yet.' : 'The interviewer has not shown a hint yet.'}</p>`}`
    if (!ctx.can('read_guide')) return shown
    const g = s.guide
    if (!room.problem) return html`<p class="muted">The guide opens once a problem is chosen.</p>`
    if (!g || (!g.data && !g.error)) return html`${shown}<p class="muted" role="status">Loading the guide…</p>`
    if (g.error) return html`${shown}<p class="error" role="alert">${g.error.message}</p>`
    const guide = g.data
    const next = revealed.length
    const live = room.status !== 'finished' && room.status !== 'waiting'
    return html`${shown}
      <h3>Hint ladder</h3>
      ${guide.hints.length
        ? html`<ol class="hints ladder">${guide.hints.map((text, i) => html`<li class=${i < next ? 'shown' : ''}>
            <p>${text}</p>
            ${i < next
              ? html`<span class="pill">shown</span>`
              : i === next && ctx.can('reveal_hint')
                ? html`<button class="primary small" ?disabled=${s.busy.reveal || !live} @click=${() => revealHint(i)}
                    title=${live ? '' : 'Hints are shown from the warm-up until the end'}>Reveal hint ${i + 1}</button>`
                : ''}
          </li>`)}</ol>`
        : html`<p class="muted">This problem has no hints.</p>`}
      <h3>Interviewer's guide</h3>
      <p class="muted small">Only you see this.</p>
      ${guide.approach ? html`<h4>Approach</h4><p>${guide.approach}</p>` : html`<p class="muted">No written guide for this problem.</p>`}
      ${guide.complexity ? html`<p><strong>Expected complexity:</strong> time ${guide.complexity.time}, space ${guide.complexity.space}</p>` : ''}
      ${guide.mistakes.length ? html`<h4>Common mistakes</h4><ul>${guide.mistakes.map((m) => html`<li>${m}</li>`)}</ul>` : ''}
      ${guide.followUps.length ? html`<h4>Follow-up questions</h4><ul>${guide.followUps.map((m) => html`<li>${m}</li>`)}</ul>` : ''}
      ${guide.rubric ? html`<details><summary>Rubric</summary>${anchorsTable(guide.rubric)}</details>` : ''}
      ${Object.entries(guide.referenceSolutions).map(([lang, code]) => html`<details><summary>Reference solution (${lang})</summary><pre>${code}</pre></details>`)}`
  }

  function anchorsTable (rubric) {
    return html`<table class="anchors"><thead><tr><th scope="col">Rating</th>${ANCHORS.map(([n, word]) => html`<th scope="col">${n} (${word})</th>`)}</tr></thead>
      <tbody>${RATINGS.filter(([key]) => rubric[key]).map(([key, label]) => html`<tr><th scope="row">${label}</th>
        ${ANCHORS.map(([n, word]) => html`<td>${rubric[key][n] ?? rubric[key][word]}</td>`)}</tr>`)}</tbody></table>`
  }

  // -- the AI conversation ----------------------------------------------------------------------------------

  function loadAi () {
    if (s.ai) return
    s.ai = { messages: new Map(), loaded: false }
    if (!ctx.can('ai_assist')) return // observers get ai.* events too, but have no AI tab
    api('GET', path('/ai/messages?limit=50'))
      .then((page) => {
        for (const m of page.data) if (!s.ai.messages.has(m.id)) s.ai.messages.set(m.id, m)
        for (const m of page.data) if (!done(m.status)) pollMessage(m.id, m.kind)
      })
      .catch((error) => app.notify(`The AI conversation could not be loaded: ${error.message}`, 'error'))
      .finally(() => {
        s.ai.loaded = true
        app.update()
      })
  }

  function upsertMessage (message) {
    if (!s.ai) loadAi()
    if (message.role === 'user') {
      for (const [id, m] of s.ai.messages) if (id.startsWith('local-') && m.content === message.content) s.ai.messages.delete(id)
    }
    const before = s.ai.messages.get(message.id)
    if (!before && message.role === 'assistant' && s.open !== 'ai') s.unseen.ai++
    s.ai.messages.set(message.id, { ...before, ...message })
    app.update()
    scrollAi()
  }

  function scrollAi () {
    requestAnimationFrame(() => {
      const log = document.getElementById('ai-log')
      if (log) log.scrollTop = log.scrollHeight
    })
  }

  /** The pending reply is shown at once and polled until it is answered (or its event comes). */
  function expectReply (id, kind) {
    if (!s.ai.messages.has(id)) {
      s.ai.messages.set(id, { id, kind, role: 'assistant', status: 'queued', content: '', createdAt: new Date().toISOString() })
    }
    app.update()
    scrollAi()
    pollMessage(id, kind)
  }

  function pollMessage (id, kind) {
    const route = kind === 'hint' ? `/ai/hints/${id}` : kind === 'review' ? `/ai/reviews/${id}` : `/ai/messages/${id}`
    poll(() => api('GET', path(route)), (data) => {
      if (kind === 'review') {
        s.reviews.set(id, data)
        const m = s.ai.messages.get(id)
        if (m) m.status = data.status
        app.update()
      } else upsertMessage(data)
      return done(data.status) || done(s.ai.messages.get(id)?.status)
    })
  }

  const sendAi = (event) => {
    event.preventDefault()
    const input = event.target.elements.content
    const content = input.value.trim()
    if (!content) return
    busy('ai', async () => {
      const { messageId } = await api('POST', path('/ai/messages'), { content })
      input.value = ''
      // The message sent is pushed as ai.message too (and then replaces this copy); shown now, without waiting.
      const pushed = [...s.ai.messages.values()].some((m) => m.role === 'user' && m.content === content && !m.id.startsWith('local-'))
      if (!pushed) {
        const local = `local-${messageId}`
        s.ai.messages.set(local, { id: local, role: 'user', authorId: ctx.me.id, kind: 'chat', status: 'completed', content, createdAt: new Date().toISOString() })
      }
      expectReply(messageId, 'chat')
    })
  }

  const askHint = (event) => {
    event.preventDefault()
    const level = event.target.elements.level.value
    busy('ai', async () => {
      const { hintId } = await api('POST', path('/ai/hints'), level ? { level } : {})
      expectReply(hintId, 'hint')
    })
  }

  const askReview = () => busy('ai', async () => {
    const { reviewId } = await api('POST', path('/ai/reviews'), { code: ctx.code() || undefined, language: ctx.room().language })
    expectReply(reviewId, 'review')
  })

  function aiEntry (m) {
    const mine = m.role === 'user'
    const pending = !done(m.status)
    const review = m.kind === 'review' ? s.reviews.get(m.id) : null
    const who = mine ? ctx.nameOf(m.authorId || ctx.me.id) : 'AI interviewer'
    return html`<li class="ai-entry ${mine ? 'mine' : 'ai'} ${pending ? 'pending' : ''}" aria-busy=${pending ? 'true' : 'false'}>
      <span class="who">${who}</span>
      ${m.kind !== 'chat' && m.kind ? html`<span class="pill">${m.kind === 'proactive' ? 'note' : m.kind}</span>` : ''}
      <time datetime=${m.createdAt}>${timeOfDay(m.createdAt)}</time>
      ${pending
        ? html`<p class="muted" role="status">Thinking… <progress aria-label="The AI is answering"></progress></p>`
        : m.status === 'failed'
          ? html`<p class="error">${m.content || 'The AI could not answer; try again.'}</p>`
          : review && review.status === 'completed'
            ? reviewView(review)
            : mine ? html`<p>${m.content}</p>` : html`<div class="md">${unsafeHTML(markdown(m.content))}</div>`}
    </li>`
  }

  function reviewView (r) {
    return html`<div class="review">
      ${r.summary ? html`<p>${r.summary}</p>` : ''}
      ${r.score != null ? html`<p><strong>Score:</strong> ${r.score} / 10</p>` : ''}
      ${r.complexity?.time || r.complexity?.space
        ? html`<p><strong>Complexity:</strong> ${r.complexity.time ? `time ${r.complexity.time}` : ''}${r.complexity.time && r.complexity.space ? ', ' : ''}${r.complexity.space ? `space ${r.complexity.space}` : ''}</p>`
        : ''}
      ${r.issues.length
        ? html`<ul class="issues">${r.issues.map((i) => html`<li class="sev-${i.severity}">
            ${i.line ? html`<span class="pill">line ${i.line}</span>` : ''} ${i.message}
            ${i.suggestion ? html`<br><span class="muted small">${i.suggestion}</span>` : ''}</li>`)}</ul>`
        : ''}
    </div>`
  }

  function aiTab () {
    loadAi()
    const live = ctx.room().status !== 'finished'
    const messages = [...s.ai.messages.values()].sort((a, b) => a.createdAt.localeCompare(b.createdAt))
    const waiting = messages.some((m) => !done(m.status))
    return html`<ol id="ai-log" class="ai-log" role="log" aria-live="polite" aria-label="AI conversation">
        ${messages.length
          ? messages.map(aiEntry)
          : html`<li class="muted">${s.ai.loaded ? 'Ask the AI interviewer a question, for a hint or for a review of your code.' : 'Loading…'}</li>`}
      </ol>
      ${live
        ? html`<form class="row" @submit=${sendAi}>
            <label for="ai-input" class="visually-hidden">Message to the AI</label>
            <input id="ai-input" name="content" autocomplete="off" maxlength="4000" placeholder="Ask the AI interviewer" />
            <button type="submit" ?disabled=${s.busy.ai}>Ask</button>
          </form>
          <div class="row ai-actions">
            <form class="row" @submit=${askHint}>
              <label class="inline">Hint level
                <select name="level"><option value="">next</option>${HINT_LEVELS.map(([id, name]) => html`<option value=${id}>${name}</option>`)}</select>
              </label>
              <button type="submit" ?disabled=${s.busy.ai}>Get a hint</button>
            </form>
            <button ?disabled=${s.busy.ai} @click=${askReview}>Review my code</button>
          </div>
          ${waiting ? html`<p class="muted small" role="status">The AI is answering…</p>` : ''}`
        : ''}`
  }

  // -- static analysis --------------------------------------------------------------------------------------

  const analyze = () => busy('analysis', async () => {
    const { analysisId } = await api('POST', path('/analysis'), { code: ctx.code() || undefined, language: ctx.room().language })
    s.analysis = { id: analysisId, data: null }
    poll(() => api('GET', path(`/analysis/${analysisId}`)), (data) => {
      if (s.analysis?.id === analysisId) s.analysis.data = data
      app.update()
      return done(data.status)
    })
  })

  function analysisTab () {
    const a = s.analysis
    const d = a?.data
    let body
    if (!a) body = html`<p class="muted">Check the code with the language's linters and a complexity count.</p>`
    else if (!d || !done(d.status)) body = html`<p role="status">Analysing… <progress aria-label="Analysis running"></progress></p>`
    else if (d.status === 'failed') body = html`<p class="error" role="alert">The analysis failed.</p>`
    else {
      const sum = d.summary
      body = html`<p class="analysis-summary"><strong>${sum.errors}</strong> errors · <strong>${sum.warnings}</strong> warnings ·
          <strong>${sum.infos}</strong> notes${sum.maxComplexity != null ? html` · highest complexity <strong>${sum.maxComplexity}</strong>` : ''}</p>
        ${d.diagnostics.length
          ? html`<ul class="issues">${d.diagnostics.map((x) => html`<li class="sev-${x.severity}">
              ${x.line ? html`<span class="pill">line ${x.line}${x.column ? `:${x.column}` : ''}</span>` : ''}
              ${x.message} <span class="muted small">${x.tool}${x.rule ? ` ${x.rule}` : ''}</span></li>`)}</ul>`
          : html`<p class="good">No findings.</p>`}
        ${d.complexity.length
          ? html`<table class="cases"><caption>Cyclomatic complexity</caption>
              <thead><tr><th scope="col">Function</th><th scope="col">Lines</th><th scope="col">Complexity</th></tr></thead>
              <tbody>${d.complexity.map((c) => html`<tr><td>${c.function}</td><td>${c.startLine}–${c.endLine}</td><td>${c.cyclomatic}</td></tr>`)}</tbody></table>`
          : ''}
        <p class="muted small">${d.toolResults.map((t) => `${t.tool}: ${t.status}`).join(' · ')}</p>`
    }
    return html`<button ?disabled=${s.busy.analysis || ctx.room().status === 'finished'} @click=${analyze}>
      ${a && !done(d?.status) ? 'Analysing…' : 'Analyse the code'}</button>${body}`
  }

  // -- the feedback form ------------------------------------------------------------------------------------

  function loadForm () {
    const status = ctx.room().status
    if (!ctx.can('give_feedback') || !['wrapup', 'finished'].includes(status) || s.form) return
    const form = { status }
    s.form = form
    Promise.all([api('GET', path('/feedback/form')), api('GET', path('/feedback/mine'))])
      .then(([f, mine]) => {
        form.entries = f.data
        form.mine = new Map(mine.data.map((e) => [e.revieweeId, e]))
      })
      .catch((error) => { form.error = error })
      .finally(() => app.update())
  }

  function draft (revieweeId) {
    s.drafts[revieweeId] ||= { ratings: {}, strengths: '', improvements: '', comment: '', wouldPairAgain: null }
    return s.drafts[revieweeId]
  }

  const sendFeedback = (event, revieweeId) => {
    event.preventDefault()
    const d = draft(revieweeId)
    const missing = RATINGS.filter(([key]) => !d.ratings[key])
    if (missing.length) {
      app.notify(`Rate ${missing.map(([, label]) => label.toLowerCase()).join(', ')} first.`, 'error')
      return
    }
    busy(`feedback-${revieweeId}`, async () => {
      const body = { revieweeId, ratings: d.ratings }
      for (const key of ['strengths', 'improvements', 'comment']) if (d[key].trim()) body[key] = d[key].trim()
      if (d.wouldPairAgain !== null) body.wouldPairAgain = d.wouldPairAgain
      const entry = await api('POST', path('/feedback'), body)
      s.form.mine.set(revieweeId, entry)
      app.notify('Feedback sent. Thank you!')
    })
  }

  function feedbackEntry (entry) {
    const person = ctx.room().participants.find((p) => p.userId === entry.revieweeId)
    const name = shownName(person)
    const sent = s.form.mine.get(entry.revieweeId)
    if (sent) {
      return html`<section class="feedback sent" aria-label="Feedback for ${name}">
        <h3>Your feedback for ${name} (${entry.revieweeRole})</h3>
        <p class="good" role="status">Sent at ${timeOfDay(sent.createdAt)}.</p>
        <dl class="facts">${RATINGS.map(([key, label]) => html`<dt>${label}</dt><dd>${sent.ratings[key]} / 5</dd>`)}</dl>
      </section>`
    }
    const d = draft(entry.revieweeId)
    const id = (key) => `fb-${entry.revieweeId}-${key}`
    return html`<form class="feedback" aria-label="Feedback for ${name}" @submit=${(e) => sendFeedback(e, entry.revieweeId)}>
      <h3>Rate ${name} (${entry.revieweeRole})</h3>
      <p class="muted small">${entry.source === 'problem' ? "Anchors from this problem's rubric." : 'General anchors for any interview.'}</p>
      ${RATINGS.map(([key, label]) => {
        const anchors = entry.anchors[key] || {}
        return html`<fieldset class="rating">
          <legend>${label}</legend>
          <div class="scale">${[1, 2, 3, 4, 5].map((n) => html`<label class="inline">
            <input type="radio" name=${id(key)} value=${n} .checked=${d.ratings[key] === n}
              @change=${() => { d.ratings[key] = n; app.update() }} aria-label="${label}: ${n}" />${n}</label>`)}</div>
          <p class="anchors muted small">${ANCHORS.map(([n, word]) => html`<span><strong>${n}</strong> ${anchors[n] ?? anchors[word] ?? ''}</span>`)}</p>
        </fieldset>`
      })}
      ${[['strengths', 'Strengths'], ['improvements', 'What to improve'], ['comment', 'Comment']].map(([key, label]) => html`<div class="field">
        <label for=${id(key)}>${label} (optional)</label>
        <textarea id=${id(key)} rows="2" maxlength="2000" .value=${d[key]} @input=${(e) => { d[key] = e.target.value }}></textarea>
      </div>`)}
      <label class="inline"><input type="checkbox" .checked=${d.wouldPairAgain === true}
        @change=${(e) => { d.wouldPairAgain = e.target.checked }} />I would pair with ${name} again</label>
      <p><button type="submit" class="primary" ?disabled=${s.busy[`feedback-${entry.revieweeId}`]}>Send feedback</button></p>
    </form>`
  }

  function feedbackTab () {
    loadForm()
    const f = s.form
    if (!f || (!f.entries && !f.error)) return html`<p class="muted" role="status">Loading the feedback form…</p>`
    if (f.error) return html`<p class="error" role="alert">${f.error.message}</p>`
    if (!f.entries.length) return html`<p class="muted">There is nobody for you to rate in this room.</p>`
    return f.entries.map(feedbackEntry)
  }

  // -- events -----------------------------------------------------------------------------------------------

  const handlers = {
    'hint.revealed': (data) => {
      const room = ctx.room()
      const hints = room.revealedHints || []
      if (!hints.some((h) => h.index === data.index)) {
        ctx.patchRoom({ revealedHints: [...hints, data].sort((a, b) => a.index - b.index) })
      }
      if (data.revealedBy !== ctx.me.id) {
        app.notify(`${ctx.nameOf(data.revealedBy)} showed hint ${data.index + 1}.`)
        if (s.open !== 'hints') s.unseen.hints++
      }
      app.update()
    },
    'ai.message': (data) => upsertMessage(data),
    'ai.hint': (data) => upsertMessage(data),
    'ai.review': (data) => {
      s.reviews.set(data.id, data)
      if (!s.ai) loadAi()
      const m = s.ai.messages.get(data.id)
      if (m) m.status = data.status
      else if (data.status === 'completed') s.ai.messages.set(data.id, { id: data.id, role: 'assistant', kind: 'review', status: data.status, content: data.summary || '', createdAt: data.createdAt })
      app.update()
      scrollAi()
    },
    'room.phase_changed': (data) => {
      if (['wrapup', 'finished'].includes(data.to) && ctx.can('give_feedback') && !s.form) s.tab = 'feedback'
    },
    'analysis.completed': (data) => {
      if (s.analysis?.id === data.id) {
        s.analysis.data = data
        app.update()
      }
    },
  }

  return {
    handlers,
    render () {
      const list = tabs()
      if (!list.length) return ''
      const open = current(list)
      s.open = open
      if (open in s.unseen) s.unseen[open] = 0
      const body = { hints: hintsTab, ai: aiTab, analysis: analysisTab, feedback: feedbackTab }[open]()
      return html`<div class="tabs" role="tablist" aria-label="Assist" @keydown=${(e) => onTabKey(e, list)}>
          ${list.map(([id, label]) => html`<button role="tab" id="assist-tab-${id}" aria-controls="assist-body"
            aria-selected=${id === open ? 'true' : 'false'} tabindex=${id === open ? '0' : '-1'} @click=${() => choose(id)}>${label}${s.unseen[id]
              ? html` <span class="badge" aria-label="(${s.unseen[id]} new)">${s.unseen[id]}</span>`
              : ''}</button>`)}
        </div>
        <div id="assist-body" class="assist-body" role="tabpanel" aria-labelledby="assist-tab-${open}">${body}</div>`
    },
    destroy () {
      alive = false
      for (const timer of timers) clearTimeout(timer)
    },
  }
}
