// The room: problem statement, the collaborative editor, phase bar and timer, controls by capability, run and
// submit with live results, people, chat. Room state comes from GET /rooms/{id} and the events of /api/ws;
// polling covers any event that did not arrive.

import { html } from 'lit-html'
import { unsafeHTML } from 'lit-html/directives/unsafe-html.js'
import { api, session } from '../api.js'
import { createEditor } from '../editor.js'
import { events } from '../events.js'
import { allProblems } from './home.js'
import { Assist } from '../room/assist.js'
import { MediaPanel } from './media.js'
import {
  LANGUAGES,
  PHASES,
  PHASE_NAMES,
  clock,
  languageName,
  markdown,
  shownName,
  timeOfDay,
  userColour,
  verdictName,
} from '../util.js'

const NEXT_PHASE = { waiting: 'warmup', warmup: 'coding', coding: 'wrapup', wrapup: 'finished' }
const NEXT_LABEL = { warmup: 'Start warm-up', coding: 'Start coding', wrapup: 'Start wrap-up', finished: 'Finish interview' }
const TIMED = new Set(['warmup', 'coding', 'wrapup'])
const POLL_AFTER_MS = 2500
const POLL_EVERY_MS = 1500
const KEEP_JOBS = 12
const CHAT_KEPT = 200
const ROLES = ['interviewer', 'candidate', 'observer']
const CLOSE_REASONS = {
  4002: 'You were removed from this room.',
  4003: 'This room is closed to you: it has finished, or you are no longer a participant.',
  4004: 'This room no longer exists.',
  4009: 'The editor was opened in another tab or window; this one stopped following it.',
  4013: 'The document reached its size limit.',
}

export async function RoomView (app, roomId, detail = null) {
  const me = session().user
  const s = {
    room: null,
    problem: null,
    peers: [],
    editorStatus: 'connecting',
    closed: null,
    timerAt: performance.now(),
    jobs: new Map(), // id -> {kind, id, userId, status, data, progress}
    order: [], // job ids, newest first
    stdin: null,
    busy: {},
    chat: [],
    connection: events.state,
    swap: null, // a pending role swap {requestId, requesterId, expiresAt}
    problems: null, // the bank, for choosing a problem in the room
  }
  let alive = true
  let editor = null
  const cleanups = []
  const polls = new Map()
  const editorHost = document.createElement('div')
  editorHost.className = 'editor-host'

  try {
    s.room = await (detail || api('GET', `/rooms/${encodeURIComponent(roomId)}`))
  } catch (error) {
    const message = error.status === 403
      ? 'You are not a participant of this room. Ask for its invite link to join.'
      : error.status === 404 ? 'There is no such room.' : error.message
    return {
      title: 'Room',
      render: () => html`<h1>Room unavailable</h1><p class="error" role="alert">${message}</p><p><a href="/">Go home</a></p>`,
    }
  }

  // -- derived ----------------------------------------------------------------------------------------------

  const can = (cap) => s.room.myCapabilities.includes(cap)
  const isLive = () => s.room.status !== 'finished'
  const readOnly = () => !isLive() || s.room.editorLocked || s.room.myRole === 'observer' || !!s.closed
  const person = (userId) => s.room.participants.find((p) => p.userId === userId)
  const nameOf = (userId) => (userId === me.id ? 'You' : shownName(person(userId)))

  function remaining () {
    const t = s.room.timer
    const passed = t.paused || !TIMED.has(s.room.status) ? 0 : (performance.now() - s.timerAt) / 1000
    return {
      remaining: t.remainingSec == null ? null : t.remainingSec - passed,
      elapsed: t.elapsedSec + passed,
    }
  }

  // -- loading ----------------------------------------------------------------------------------------------

  async function loadProblem () {
    const ref = s.room.problem
    if (!ref) {
      s.problem = null
      return app.update()
    }
    if (s.problem?.id === ref.id) return
    try {
      const problem = await api('GET', `/problems/${encodeURIComponent(ref.id)}`)
      if (!alive || s.room.problem?.id !== problem.id) return
      s.problem = problem
      if (s.stdin === null) s.stdin = problem.examples[0]?.input ?? ''
    } catch (error) {
      s.problem = { id: ref.id, title: ref.title, difficulty: ref.difficulty, error }
    }
    app.update()
  }

  let refetching = null
  /** The full RoomDetail again (my role and capabilities may have changed). */
  function refetch () {
    if (refetching) return refetching
    refetching = api('GET', `/rooms/${encodeURIComponent(roomId)}`)
      .then((room) => { if (alive) applyRoom(room, true) })
      .catch((error) => {
        if (alive && (error.status === 403 || error.status === 404)) {
          s.closed = s.closed || 'You are no longer in this room.'
          editor?.setReadOnly(true)
          app.update()
        }
      })
      .finally(() => { refetching = null })
    return refetching
  }

  /** A RoomDetail (mine, or the neutral one of room.updated: then my role and capabilities are kept). */
  function applyRoom (room, mine) {
    const before = s.room
    const next = mine ? room : { ...room, myRole: before.myRole, myCapabilities: before.myCapabilities, collab: before.collab }
    s.room = next
    s.timerAt = performance.now()
    if (!mine) {
      const myEntry = room.participants.find((p) => p.userId === me.id)
      if (!myEntry || myEntry.role !== before.myRole || room.hostId !== before.hostId) refetch()
    }
    if (editor) {
      if (next.language !== editor.language) editor.setLanguage(next.language)
      editor.setReadOnly(readOnly())
    }
    if (next.problem?.id !== before.problem?.id) loadProblem()
    app.update()
  }

  // -- jobs: runs and submissions -----------------------------------------------------------------------------

  function upsertJob (kind, id, fields) {
    const job = s.jobs.get(id) || { kind, id, status: 'queued', data: null, progress: null, userId: null }
    Object.assign(job, fields)
    if (job.data) {
      job.status = job.data.status
      job.userId = job.data.userId
    }
    s.jobs.set(id, job)
    if (!s.order.includes(id)) {
      s.order.unshift(id)
      for (const old of s.order.splice(KEEP_JOBS)) s.jobs.delete(old)
    }
    if (job.status === 'completed' || job.status === 'failed') stopPolling(id)
    app.update()
    return job
  }

  const jobPath = (kind, id) => (kind === 'run' ? `/executions/${id}` : `/submissions/${id}`)

  /** The result by polling, when its event has not come after a moment. */
  function pollLater (kind, id) {
    const timer = setTimeout(async function tick () {
      const job = s.jobs.get(id)
      if (!alive || !job || job.status === 'completed' || job.status === 'failed') return
      try {
        const data = await api('GET', jobPath(kind, id))
        const fields = { data }
        if (kind === 'submission' && data.status !== 'completed') fields.progress = { ...(job.progress || {}), passed: data.passed, total: data.total }
        upsertJob(kind, id, fields)
      } catch {}
      const again = s.jobs.get(id)
      if (alive && again && again.status !== 'completed' && again.status !== 'failed') polls.set(id, setTimeout(tick, POLL_EVERY_MS))
    }, POLL_AFTER_MS)
    polls.set(id, timer)
  }

  function stopPolling (id) {
    clearTimeout(polls.get(id))
    polls.delete(id)
  }

  async function loadRecentJobs () {
    try {
      const [runs, submissions] = await Promise.all([
        api('GET', `/rooms/${roomId}/runs?limit=5`),
        api('GET', `/rooms/${roomId}/submissions?limit=5`),
      ])
      const recent = [
        ...runs.data.map((data) => ['run', data]),
        ...submissions.data.map((data) => ['submission', data]),
      ].sort((a, b) => a[1].createdAt.localeCompare(b[1].createdAt))
      for (const [kind, data] of recent) if (!s.jobs.has(data.id)) upsertJob(kind, data.id, { data, preview: true })
      const newest = recent[recent.length - 1]
      if (newest) {
        const [kind, data] = newest
        if (data.status === 'completed' || data.status === 'failed') {
          upsertJob(kind, data.id, { data: await api('GET', jobPath(kind, data.id)), preview: false })
        } else pollLater(kind, data.id)
      }
    } catch {}
  }

  /** The chat's latest page (a reload, or events missed while away), merged with what arrived meanwhile. */
  async function loadChat () {
    try {
      const page = await api('GET', `/rooms/${encodeURIComponent(roomId)}/chat?limit=50`)
      if (!alive) return
      const known = new Set(s.chat.map((m) => m.id))
      s.chat = [...s.chat, ...page.data.filter((m) => !known.has(m.id))]
        .sort((a, b) => a.createdAt.localeCompare(b.createdAt))
        .slice(-CHAT_KEPT)
      app.update()
      scrollChat()
    } catch {}
  }

  function scrollChat () {
    requestAnimationFrame(() => {
      const log = document.getElementById('chat-log')
      if (log) log.scrollTop = log.scrollHeight
    })
  }

  async function run () {
    if (!can('run') || s.busy.run || readOnly()) return
    s.busy.run = true
    app.update()
    try {
      const body = { language: s.room.language, code: editor.code(), stdin: s.stdin ?? '' }
      const { runId } = await api('POST', `/rooms/${roomId}/run`, body)
      upsertJob('run', runId, { userId: me.id })
      pollLater('run', runId)
    } catch (error) {
      app.notify(error.message, 'error')
    } finally {
      s.busy.run = false
      app.update()
    }
  }

  async function submit () {
    if (!can('submit') || s.busy.submit || readOnly()) return
    s.busy.submit = true
    app.update()
    try {
      const body = { language: s.room.language, code: editor.code() }
      const { submissionId } = await api('POST', `/rooms/${roomId}/submit`, body)
      upsertJob('submission', submissionId, { userId: me.id })
      pollLater('submission', submissionId)
    } catch (error) {
      app.notify(error.message, 'error')
    } finally {
      s.busy.submit = false
      app.update()
    }
  }

  // -- controls ---------------------------------------------------------------------------------------------

  async function act (name, method, path, body, confirmText) {
    if (confirmText && !window.confirm(confirmText)) return
    s.busy[name] = true
    app.update()
    try {
      const room = await api(method, `/rooms/${roomId}${path}`, body)
      if (alive && room) applyRoom(room, true)
    } catch (error) {
      app.notify(error.message, 'error')
    } finally {
      s.busy[name] = false
      app.update()
    }
  }

  const advance = () => {
    const to = NEXT_PHASE[s.room.status]
    if (to) act('phase', 'POST', '/phase', { to }, to === 'finished' ? 'Finish the interview for everyone?' : null)
  }
  const finish = () => act('phase', 'POST', '/phase', { to: 'finished' }, 'End the interview now for everyone?')
  const toggleLock = () => act('lock', 'POST', s.room.editorLocked ? '/unlock' : '/lock')
  const toggleTimer = () => act('timer', 'POST', s.room.timer.paused ? '/timer/resume' : '/timer/pause')
  const changeLanguage = (event) => act('language', 'PATCH', '/settings', { language: event.target.value })
  const chooseProblem = (event) => {
    if (event.target.value) act('problem', 'PUT', '/problem', { problemId: event.target.value })
  }

  async function requestSwap () {
    s.busy.swap = true
    app.update()
    try {
      const { requestId, expiresAt } = await api('POST', `/rooms/${roomId}/role-swap`)
      s.swap = { requestId, expiresAt, requesterId: me.id }
    } catch (error) {
      app.notify(error.message, 'error')
    } finally {
      s.busy.swap = false
      app.update()
    }
  }

  async function answerSwap (accept) {
    const swap = s.swap
    s.busy.swap = true
    app.update()
    try {
      applyRoom(await api('POST', `/rooms/${roomId}/role-swap/${swap.requestId}`, { accept }), true)
    } catch (error) {
      app.notify(error.message, 'error')
    } finally {
      if (s.swap === swap) s.swap = null
      s.busy.swap = false
      app.update()
    }
  }

  async function loadProblems () {
    if (s.problems) return
    s.problems = []
    try {
      s.problems = await allProblems()
    } catch (error) {
      app.notify(`Problems could not be loaded: ${error.message}`, 'error')
    }
    app.update()
  }

  async function leave () {
    if (!window.confirm('Leave this room?')) return
    s.busy.leave = true
    app.update()
    try {
      await api('POST', `/rooms/${roomId}/leave`)
      app.navigate('/')
    } catch (error) {
      app.notify(error.message, 'error')
      s.busy.leave = false
      app.update()
    }
  }

  async function updateParticipant (participant, fields) {
    s.busy.participant = true
    app.update()
    try {
      await api('PATCH', `/rooms/${roomId}/participants/${participant.userId}`, fields)
      await refetch()
    } catch (error) {
      app.notify(error.message, 'error')
    } finally {
      s.busy.participant = false
      app.update()
    }
  }

  async function kick (participant) {
    if (!window.confirm(`Remove ${shownName(participant)} from the room? They cannot come back.`)) return
    s.busy.kick = true
    app.update()
    try {
      await api('DELETE', `/rooms/${roomId}/participants/${participant.userId}`)
      await refetch()
    } catch (error) {
      app.notify(error.message, 'error')
    } finally {
      s.busy.kick = false
      app.update()
    }
  }

  async function copyInvite () {
    const link = `${location.origin}/join/${s.room.inviteCode}`
    try {
      await navigator.clipboard.writeText(link)
      app.notify('Invite link copied.')
    } catch {
      document.getElementById('invite-link')?.select()
      app.notify('Select the link and copy it.')
    }
  }

  function sendChat (event) {
    event.preventDefault()
    const input = event.target.elements.message
    const text = input.value.trim()
    if (!text) return
    if (!events.send('chat.send', { roomId, text })) {
      app.notify('Not connected; the message was not sent.', 'error')
      return
    }
    input.value = ''
  }

  // -- events -------------------------------------------------------------------------------------------------

  const mine = (fn) => (frame) => { if (alive && frame.roomId === roomId) fn(frame.data, frame) }
  const handlers = {
    'room.updated': (data) => applyRoom(data, false),
    'room.timer': (data) => {
      s.room = { ...s.room, timer: data }
      s.timerAt = performance.now()
      app.update()
    },
    'room.phase_changed': (data) => app.notify(`Phase: ${PHASE_NAMES[data.to] || data.to}`),
    'room.editor_locked': () => {
      s.room = { ...s.room, editorLocked: true }
      editor?.setReadOnly(readOnly())
      app.update()
    },
    'room.editor_unlocked': () => {
      s.room = { ...s.room, editorLocked: false }
      editor?.setReadOnly(readOnly())
      app.update()
    },
    'participant.joined': refetch,
    'participant.left': refetch,
    'participant.updated': refetch,
    'participant.kicked': (data) => {
      if (data.userId === me.id) {
        s.closed = CLOSE_REASONS[4002]
        editor?.setReadOnly(true)
        app.update()
      } else refetch()
    },
    'role_swap.requested': (data) => {
      s.swap = data
      if (data.requesterId !== me.id) app.notify(`${nameOf(data.requesterId)} asks to swap roles.`)
      app.update()
    },
    'role_swap.resolved': (data) => {
      if (s.swap?.requestId === data.requestId) s.swap = null
      app.notify(data.accepted ? 'Roles swapped.' : 'The role swap was declined.')
      refetch()
    },
    'run.started': (data) => upsertJob('run', data.id, { data }),
    'run.completed': (data) => upsertJob('run', data.id, { data, preview: false }),
    'submission.progress': (data) => upsertJob('submission', data.submissionId, { status: 'running', progress: data }),
    'submission.completed': (data) => upsertJob('submission', data.id, { data, preview: false }),
    'chat.message': (data) => {
      if (!s.chat.some((m) => m.id === data.id)) s.chat.push(data)
      if (s.chat.length > CHAT_KEPT) s.chat.shift()
      app.update()
      scrollChat()
    },
    error: (data) => app.notify(data.message, 'error'),
    unsubscribed: refetch,
  }
  for (const [type, fn] of Object.entries(handlers)) cleanups.push(events.on(type, mine(fn)))
  const assist = Assist({
    app,
    roomId,
    me,
    room: () => s.room,
    can,
    nameOf,
    code: () => editor?.code() ?? '',
    applyRoom: (room) => applyRoom(room, true),
    patchRoom: (fields) => { s.room = { ...s.room, ...fields } },
  })
  for (const [type, fn] of Object.entries(assist.handlers)) cleanups.push(events.on(type, mine(fn)))
  cleanups.push(() => assist.destroy())
  const media = MediaPanel({ app, roomId, room: () => s.room })
  cleanups.push(() => media.destroy())
  s.connection = events.state // it may have changed while the room loaded
  cleanups.push(events.on('connection', ({ data }) => {
    s.connection = data.state
    if (data.state === 'open') { // events may have been missed while away
      refetch()
      loadChat()
    }
    app.update()
  }))
  events.subscribe(roomId)

  // -- keyboard -----------------------------------------------------------------------------------------------

  const keys = [
    { key: 'Mod-Enter', run: () => { run(); return true } },
    { key: 'Mod-Shift-Enter', run: () => { submit(); return true } },
  ]
  const onKey = (event) => {
    if (event.defaultPrevented || event.key !== 'Enter' || !(event.ctrlKey || event.metaKey)) return
    event.preventDefault()
    if (event.shiftKey) submit()
    else run()
  }
  document.addEventListener('keydown', onKey)
  cleanups.push(() => document.removeEventListener('keydown', onKey))

  const tick = setInterval(() => {
    if (s.swap && Date.parse(s.swap.expiresAt) < Date.now()) s.swap = null
    if (s.swap || (TIMED.has(s.room.status) && !s.room.timer.paused)) app.update()
  }, 1000)
  cleanups.push(() => clearInterval(tick))

  // -- the editor -----------------------------------------------------------------------------------------------

  editor = createEditor({
    parent: editorHost,
    collab: s.room.collab,
    user: { id: me.id, name: shownName(me), color: userColour(me.id) },
    language: s.room.language,
    readOnly: readOnly(),
    keys,
    onStatus: (status) => {
      s.editorStatus = status
      app.update()
    },
    onClosed: (code, reason) => {
      s.closed = s.room.status === 'finished' && code === 4003 ? null : CLOSE_REASONS[code] || reason || `The editor connection closed (${code}).`
      editor?.setReadOnly(true)
      refetch()
      app.update()
    },
    onPeers: (peers) => {
      s.peers = peers
      app.update()
    },
    newToken: async () => {
      const room = await api('GET', `/rooms/${encodeURIComponent(roomId)}`)
      applyRoom(room, true)
      return room.status === 'finished' ? null : room.collab.token
    },
  })

  loadProblem()
  loadRecentJobs()
  loadChat()

  // -- rendering ----------------------------------------------------------------------------------------------

  function phaseBar () {
    const room = s.room
    const { remaining: left, elapsed } = remaining()
    const timed = TIMED.has(room.status)
    const next = NEXT_PHASE[room.status]
    return html`<section class="phasebar" aria-label="Interview phase">
      <ol class="phases">
        ${PHASES.map((phase) => html`<li class=${phase === room.status ? 'current' : PHASES.indexOf(phase) < PHASES.indexOf(room.status) ? 'done' : ''}
          aria-current=${phase === room.status ? 'step' : 'false'}>${PHASE_NAMES[phase]}</li>`)}
      </ol>
      <div class="timer ${left != null && left < 0 ? 'over' : ''}" role="timer" aria-label="Phase timer">
        ${timed
          ? html`${left != null ? clock(left) : clock(elapsed)}${room.timer.paused ? html` <span class="pill">paused</span>` : ''}`
          : html`<span class="muted">${room.status === 'waiting' ? 'not started' : 'done'}</span>`}
      </div>
      <div class="controls">
        ${can('advance_phase') && next
          ? html`<button class="primary" ?disabled=${s.busy.phase} @click=${advance}>${NEXT_LABEL[next]}</button>
              ${next !== 'finished' && room.status !== 'waiting' ? html`<button ?disabled=${s.busy.phase} @click=${finish}>End</button>` : ''}`
          : ''}
        ${can('control_timer') && timed
          ? html`<button ?disabled=${s.busy.timer} @click=${toggleTimer}>${room.timer.paused ? 'Resume timer' : 'Pause timer'}</button>`
          : ''}
        ${can('lock_editor') && isLive()
          ? html`<button ?disabled=${s.busy.lock} aria-pressed=${room.editorLocked ? 'true' : 'false'} @click=${toggleLock}>
              ${room.editorLocked ? 'Unlock editor' : 'Lock editor'}</button>`
          : ''}
        ${can('role_swap') && isLive() && !s.swap
          ? html`<button ?disabled=${s.busy.swap} @click=${requestSwap}>Swap roles</button>`
          : ''}
      </div>
      ${s.swap && isLive()
        ? s.swap.requesterId === me.id
          ? html`<p class="swap" role="status">Waiting for an answer to your role swap request…</p>`
          : html`<p class="swap" role="alert">${nameOf(s.swap.requesterId)} asks to swap roles.
              <button class="primary" ?disabled=${s.busy.swap} @click=${() => answerSwap(true)}>Accept swap</button>
              <button ?disabled=${s.busy.swap} @click=${() => answerSwap(false)}>Decline</button></p>`
        : ''}
    </section>`
  }

  function problemPanel () {
    const p = s.problem
    if (!s.room.problem) {
      const choose = can('select_problem') && ['waiting', 'warmup'].includes(s.room.status)
      if (choose) loadProblems()
      return html`<h2 id="problem-title">Problem</h2><p class="muted">No problem has been chosen yet.</p>
        ${choose
          ? html`<div class="field"><label for="room-problem">Choose a problem</label>
              <select id="room-problem" @change=${chooseProblem} ?disabled=${s.busy.problem || !s.problems?.length}>
                <option value="">${s.problems?.length ? 'Pick one…' : 'Loading problems…'}</option>
                ${(s.problems || []).map((p) => html`<option value=${p.id}>${p.title} (${p.difficulty})</option>`)}
              </select></div>`
          : ''}`
    }
    if (!p) return html`<h2 id="problem-title">${s.room.problem.title}</h2><p class="muted" role="status">Loading the statement…</p>`
    if (p.error) return html`<h2 id="problem-title">${p.title}</h2><p class="error" role="alert">${p.error.message}</p>`
    return html`<h2 id="problem-title">${p.title}</h2>
      <p class="tags"><span class="pill diff-${p.difficulty}">${p.difficulty}</span>
        ${p.tags.map((tag) => html`<span class="tag">${tag}</span>`)}</p>
      <div class="statement">${unsafeHTML(markdown(p.description))}</div>
      ${p.examples.length
        ? html`<h3>Examples</h3>
          ${p.examples.map((ex, i) => html`<div class="example">
            <h4>Example ${i + 1}</h4>
            <div class="io"><span>Input</span><pre>${ex.input}</pre></div>
            <div class="io"><span>Output</span><pre>${ex.output}</pre></div>
            ${ex.explanation ? html`<p>${ex.explanation}</p>` : ''}
          </div>`)}`
        : ''}
      ${p.constraints ? html`<h3>Constraints</h3><div class="statement">${unsafeHTML(markdown(p.constraints))}</div>` : ''}
      <p class="muted small">Time limit ${p.timeLimitMs} ms · memory ${p.memoryLimitMb} MB</p>`
  }

  function editorPanel () {
    const room = s.room
    const status = s.closed ? 'closed' : s.editorStatus === 'synced' ? 'live' : s.editorStatus === 'connected' ? 'syncing' : 'reconnecting'
    const statusText = { live: 'Live', syncing: 'Syncing…', reconnecting: 'Reconnecting…', closed: 'Disconnected' }[status]
    return html`<div class="editor-bar">
        <h2 class="visually-hidden">Code</h2>
        ${can('update_settings') && isLive()
          ? html`<label class="inline">Language
              <select @change=${changeLanguage} ?disabled=${s.busy.language}>
                ${LANGUAGES.map(([id, name]) => html`<option value=${id} ?selected=${id === room.language}>${name}</option>`)}
              </select></label>`
          : html`<span class="pill">${languageName(room.language)}</span>`}
        <span class="status status-${status}" role="status" title="Editor connection">${statusText}</span>
        ${room.editorLocked ? html`<span class="pill warn">Editor locked</span>` : ''}
        ${room.myRole === 'observer' ? html`<span class="pill">Watching (read-only)</span>` : ''}
      </div>
      ${s.closed ? html`<p class="error" role="alert">${s.closed}</p>` : ''}
      ${editorHost}
      <div class="runbar">
        <div class="field stdin">
          <label for="stdin">Input (stdin)</label>
          <textarea id="stdin" rows="3" spellcheck="false" .value=${s.stdin ?? ''}
            @input=${(e) => { s.stdin = e.target.value }}></textarea>
        </div>
        <div class="buttons">
          ${can('run') ? html`<button id="run" ?disabled=${s.busy.run || readOnly()} @click=${run} title="Ctrl+Enter">
            ${s.busy.run ? 'Starting…' : 'Run'}</button>` : ''}
          ${can('submit') ? html`<button id="submit" class="primary" ?disabled=${s.busy.submit || readOnly() || room.status !== 'coding' || !room.problem}
            @click=${submit} title=${room.status === 'coding' ? 'Ctrl+Shift+Enter' : 'Submissions open in the coding phase'}>
            ${s.busy.submit ? 'Submitting…' : 'Submit'}</button>` : ''}
        </div>
      </div>`
  }

  function output (label, text, cls = '') {
    return text ? html`<div class="io ${cls}"><span>${label}</span><pre>${text}</pre></div>` : ''
  }

  function jobView (job, open) {
    const d = job.data
    const who = job.userId ? nameOf(job.userId) : ''
    const done = job.status === 'completed' || job.status === 'failed'
    const verdict = d?.verdict
    const verdictText = job.kind === 'run' && verdict === 'accepted' ? 'Finished' : verdictName(verdict)
    let summary
    if (!done) {
      const p = job.progress
      summary = job.kind === 'submission' && p?.total
        ? html`Testing… ${p.done ?? 0} of ${p.total} <progress max=${p.total} value=${p.done ?? 0}></progress>`
        : html`${job.status === 'running' ? 'Running…' : 'Queued…'}`
    } else if (job.status === 'failed') {
      summary = html`<span class="verdict bad">Failed</span>${d?.error ? html` <span class="job-error">${d.error}</span>` : ''}`
    } else {
      summary = html`<span class="verdict ${verdict === 'accepted' ? 'good' : 'bad'}">${verdictText}</span>
        ${job.kind === 'submission' ? html`${d.passed} / ${d.total} tests passed` : ''}
        ${d.timeMs != null ? html`<span class="muted">· ${d.timeMs} ms</span>` : ''}
        ${d.memoryKb != null ? html`<span class="muted">· ${(d.memoryKb / 1024).toFixed(1)} MB</span>` : ''}`
    }
    const title = html`<strong>${job.kind === 'run' ? 'Run' : 'Submission'}</strong>
      ${who ? html`<span class="muted">by ${who}${d?.createdAt ? ` at ${timeOfDay(d.createdAt)}` : ''}</span>` : ''}
      <span class="summary">${summary}</span>`
    let body = ''
    if (done && d && !job.preview) {
      if (job.kind === 'run') {
        body = html`${output('Compiler output', d.compileOutput)}
          ${output('Output', d.stdout || (d.stderr ? '' : '(no output)'))}
          ${output('Errors', d.stderr, 'stderr')}
          ${d.exitCode != null && d.exitCode !== 0 ? html`<p class="muted">Exit code ${d.exitCode}${d.signal ? `, signal ${d.signal}` : ''}</p>` : ''}
          ${d.truncated ? html`<p class="muted">Output was cut at its size limit.</p>` : ''}`
      } else {
        body = html`${output('Compiler output', d.compileOutput)}
          <table class="cases">
            <caption class="visually-hidden">Test cases</caption>
            <thead><tr><th scope="col">#</th><th scope="col">Verdict</th><th scope="col">Time</th><th scope="col">Details</th></tr></thead>
            <tbody>${(d.results ?? []).map((c) => html`<tr>
              <td>${c.index + 1}</td>
              <td class=${c.verdict === 'accepted' ? 'good' : 'bad'}>${verdictName(c.verdict)}</td>
              <td>${c.timeMs != null ? `${c.timeMs} ms` : ''}</td>
              <td>${c.isHidden
                ? html`<span class="muted">hidden test</span>`
                : html`<details><summary>output</summary>
                    ${output('Expected', c.expectedOutput)}${output('Got', c.stdout ?? '')}${output('Errors', c.stderr, 'stderr')}
                  </details>`}</td>
            </tr>`)}</tbody>
          </table>`
      }
    }
    return open
      ? html`<article class="job" aria-label="Latest result">${title}${body}</article>`
      : html`<details class="job"><summary>${title}</summary>${body || html`<p class="muted">Open the latest result for details.</p>`}</details>`
  }

  function resultsPanel () {
    const jobs = s.order.map((id) => s.jobs.get(id)).filter(Boolean)
    return html`<h2>Results</h2>
      <div aria-live="polite" aria-atomic="false" class="results">
        ${jobs.length ? jobs.map((job, i) => jobView(job, i === 0)) : html`<p class="muted">Run your code or submit it: results show here for everyone in the room.</p>`}
      </div>`
  }

  function peoplePanel () {
    const editing = new Set(s.peers.map((p) => p.id))
    return html`<h2>People</h2>
      <ul class="people">
        ${s.room.participants.map((p) => html`<li>
          <span class="dot" style="background:${userColour(p.userId)}" aria-hidden="true"></span>
          <span class="name">${shownName(p)}${p.userId === me.id ? ' (you)' : ''}</span>
          <span class="muted">${p.role}${p.isHost ? ' · host' : ''}</span>
          <span class="presence ${p.isActive || p.userId === me.id ? 'on' : ''}">
            ${editing.has(p.userId) ? 'in the editor' : p.isActive || p.userId === me.id ? 'online' : 'away'}</span>
          ${p.isMuted ? html`<span class="pill muted-pill">muted</span>` : ''}
          ${can('update_participant') && isLive() && p.userId !== me.id ? hostActions(p) : ''}
          ${can('kick') && isLive() && p.userId !== me.id
            ? html`<button class="link small remove" ?disabled=${s.busy.kick} @click=${() => kick(p)}
                aria-label="Remove ${shownName(p)} from the room">Remove</button>`
            : ''}
        </li>`)}
      </ul>`
  }

  function hostActions (p) {
    const roles = s.room.mode === 'ai' ? ROLES.filter((r) => r !== 'interviewer') : ROLES
    return html`<span class="host-actions">
      <label class="visually-hidden" for="role-${p.userId}">Role of ${shownName(p)}</label>
      <select id="role-${p.userId}" class="small" ?disabled=${s.busy.participant}
        @change=${(e) => updateParticipant(p, { role: e.target.value })}>
        ${roles.map((r) => html`<option value=${r} ?selected=${r === p.role}>${r}</option>`)}
      </select>
      <button class="link small" ?disabled=${s.busy.participant} @click=${() => updateParticipant(p, { muted: !p.isMuted })}
        aria-label="${p.isMuted ? 'Unmute' : 'Mute'} ${shownName(p)}">${p.isMuted ? 'Unmute' : 'Mute'}</button>
    </span>`
  }

  function chatPanel () {
    return html`<h2 id="chat-title">Chat</h2>
      <ol id="chat-log" class="chat" role="log" aria-live="polite" aria-labelledby="chat-title">
        ${s.chat.map((m) => html`<li class=${m.userId === me.id ? 'mine' : ''}>
          <span class="who" style="color:${userColour(m.userId)}">${m.userId === me.id ? 'You' : m.displayName || m.username}</span>
          <time datetime=${m.createdAt}>${timeOfDay(m.createdAt)}</time>
          <p>${m.text}</p>
        </li>`)}
      </ol>
      ${can('chat') && isLive()
        ? html`<form class="row" @submit=${sendChat}>
            <label for="chat-input" class="visually-hidden">Message</label>
            <input id="chat-input" name="message" autocomplete="off" maxlength="2000" placeholder="Message" />
            <button type="submit" ?disabled=${s.connection !== 'open'}>Send</button>
          </form>`
        : ''}`
  }

  function header () {
    const room = s.room
    const link = `${location.origin}/join/${room.inviteCode}`
    return html`<div class="room-head">
      <h1>${room.name || room.problem?.title || 'Interview room'}</h1>
      <span class="pill">${room.mode === 'ai' ? 'AI interview' : 'Peer interview'}</span>
      ${room.myRole ? html`<span class="pill">you: ${room.myRole}</span>` : ''}
      ${s.connection !== 'open' ? html`<span class="pill warn" role="status">Events reconnecting…</span>` : ''}
      <div class="invite">
        <label for="invite-link">Invite</label>
        <input id="invite-link" readonly .value=${link} size="28" @focus=${(e) => e.target.select()} />
        <button @click=${copyInvite}>Copy link</button>
      </div>
      ${can('leave') && isLive() ? html`<button class="danger" ?disabled=${s.busy.leave} @click=${leave}>Leave</button>` : ''}
    </div>`
  }

  return {
    get title () { return s.room.name || s.room.problem?.title || 'Room' },
    render: () => html`${header()}
      ${phaseBar()}
      ${s.room.status === 'finished'
        ? html`<p class="banner" role="status">This interview has finished.
            ${s.room.sessionId ? html`<a href="/sessions/${s.room.sessionId}">See the session report</a> ·` : ''} <a href="/">Back home</a></p>`
        : ''}
      <div class="room-grid">
        <section class="panel problem" aria-labelledby="problem-title">${problemPanel()}</section>
        <section class="panel code">${editorPanel()}</section>
        <section class="panel side">
          ${media.render()}
          <div class="people-box">${peoplePanel()}</div>
          <div class="chat-box">${chatPanel()}</div>
        </section>
        <section class="panel output">${resultsPanel()}</section>
        <section class="panel assist" aria-label="Hints, AI, analysis and feedback">${assist.render()}</section>
      </div>`,
    destroy () {
      alive = false
      for (const fn of cleanups) fn()
      for (const timer of polls.values()) clearTimeout(timer)
      editor?.destroy()
    },
  }
}
