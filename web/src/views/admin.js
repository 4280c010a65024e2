// Administration (/admin, role admin): the system overview, users (search, ban and unban, role), rooms (force
// close) and the audit log, each a keyset-paged table with previous/next pages. Every write is audited server-side.

import { html } from 'lit-html'
import { api, session } from '../api.js'
import { PHASE_NAMES, when } from '../util.js'

const PAGE = 20
const TABS = [['overview', 'Overview'], ['users', 'Users'], ['rooms', 'Rooms'], ['audit', 'Audit log']]

/** A keyset-paged list of `path` with filters; previous pages are kept as the cursors that led to them. */
function pager (app, path) {
  const p = { rows: null, error: null, filters: {}, cursors: [null], next: null, loading: false }
  p.load = async () => {
    p.loading = true
    app.update()
    const query = new URLSearchParams({ limit: String(PAGE) })
    for (const [key, value] of Object.entries(p.filters)) if (value) query.set(key, value)
    const cursor = p.cursors[p.cursors.length - 1]
    if (cursor) query.set('cursor', cursor)
    try {
      const page = await api('GET', `${path}?${query}`)
      Object.assign(p, { rows: page.data, next: page.pagination.hasMore ? page.pagination.nextCursor : null, error: null })
    } catch (error) {
      p.error = error
    }
    p.loading = false
    app.update()
  }
  p.filter = (filters) => {
    p.filters = filters
    p.cursors = [null]
    return p.load()
  }
  p.forward = () => { p.cursors.push(p.next); p.load() }
  p.back = () => { p.cursors.pop(); p.load() }
  p.nav = (label) => html`<nav class="row pager" aria-label="${label} pages">
    <button ?disabled=${p.cursors.length < 2 || p.loading} @click=${p.back}>Previous</button>
    <span class="muted">Page ${p.cursors.length}</span>
    <button ?disabled=${!p.next || p.loading} @click=${p.forward}>Next</button>
  </nav>`
  p.status = () =>
    p.error
      ? html`<p class="error" role="alert">${p.error.message}</p>`
      : !p.rows
        ? html`<p class="muted" role="status">Loading…</p>`
        : !p.rows.length
          ? html`<p class="muted" role="status">Nothing matches.</p>`
          : ''
  return p
}

const formFilters = (event) => {
  event.preventDefault()
  return Object.fromEntries([...new FormData(event.target)].map(([k, v]) => [k, String(v).trim()]))
}

export function AdminView (app) {
  const myId = session().user.id
  const s = { tab: app.query().get('tab') || 'overview', stats: null, statsError: null }
  const users = pager(app, '/admin/users')
  const rooms = pager(app, '/admin/rooms')
  const audit = pager(app, '/admin/audit-logs')
  const loaded = new Set()
  const details = new Map() // userId -> AdminUserDetail | {error} while a row is open
  const names = new Map() // userId -> username (or null while asked / unknown), for the audit log's people

  /** The usernames of the ids on an audit page, each asked once (GET /users/{id}); ids stay for the unknown. */
  function resolve (rows) {
    const ids = new Set(rows.flatMap((a) => [a.actorId, a.targetType === 'user' ? a.targetId : null]).filter(Boolean))
    for (const id of ids) {
      if (names.has(id)) continue
      names.set(id, null)
      api('GET', `/users/${encodeURIComponent(id)}`).then((u) => { names.set(id, u.username); app.update() }).catch(() => {})
    }
  }
  const person = (id) => (names.get(id) ? html`<span title=${id}>${names.get(id)}</span>` : id)

  async function toggleDetail (user) {
    if (details.has(user.id)) details.delete(user.id)
    else {
      details.set(user.id, null)
      app.update()
      try {
        details.set(user.id, await api('GET', `/admin/users/${user.id}`))
      } catch (error) {
        details.set(user.id, { error })
      }
    }
    app.update()
  }

  function detailRow (u) {
    const d = details.get(u.id)
    const body = !d
      ? html`<p class="muted" role="status">Loading…</p>`
      : d.error
        ? html`<p class="error" role="alert">${d.error.message}</p>`
        : html`<p>${d.counts.rooms} rooms · ${d.counts.sessions} sessions · ${d.counts.submissions} submissions ·
              display name ${d.profile.displayName || '–'}${d.banReason ? html` · banned: ${d.banReason}` : ''}</p>
            <ul class="small">${d.recentAudit.map((a) => html`<li>${when(a.createdAt)} <code>${a.action}</code></li>`)}</ul>`
    return html`<tr class="detail"><td colspan="6" aria-label="Details of ${u.username}">${body}</td></tr>`
  }

  function show (tab) {
    s.tab = tab
    history.replaceState(null, '', tab === 'overview' ? '/admin' : `/admin?tab=${tab}`)
    if (!loaded.has(tab)) {
      loaded.add(tab)
      if (tab === 'overview') {
        api('GET', '/admin/stats').then((x) => { s.stats = x }).catch((e) => { s.statsError = e }).finally(app.update)
      } else ({ users, rooms, audit })[tab].load()
    }
    app.update()
  }
  show(TABS.some(([t]) => t === s.tab) ? s.tab : 'overview')

  async function write (fn, done) {
    try {
      await fn()
      app.notify(done)
    } catch (error) {
      app.notify(error.message, 'error')
    }
  }

  async function ban (user) {
    const banned = !user.bannedAt
    let body = { banned }
    if (banned) {
      const reason = prompt(`Ban ${user.username}? Reason (optional):`, '')
      if (reason === null) return
      if (reason.trim()) body = { banned, banReason: reason.trim() }
    }
    await write(() => api('PATCH', `/admin/users/${user.id}`, body), banned ? `${user.username} banned` : `${user.username} unbanned`)
    details.delete(user.id)
    users.load()
  }

  async function role (user, value) {
    await write(() => api('PATCH', `/admin/users/${user.id}`, { role: value }), `${user.username} is now ${value}`)
    users.load()
  }

  async function close (room) {
    const reason = prompt(`Close the room ${room.name || room.id}? Reason (optional):`, '')
    if (reason === null) return
    await write(() => api('POST', `/admin/rooms/${room.id}/close`, reason.trim() ? { reason: reason.trim() } : {}), 'Room closed')
    rooms.load()
  }

  function overview () {
    if (s.statsError) return html`<p class="error" role="alert">${s.statsError.message}</p>`
    const x = s.stats
    if (!x) return html`<p class="muted" role="status">Loading…</p>`
    return html`<dl class="tiles">
      <div><dt>Users</dt><dd>${x.users.total}</dd></div>
      <div><dt>Active 24 h</dt><dd>${x.users.active24h}</dd></div>
      <div><dt>New 7 days</dt><dd>${x.users.newLast7d}</dd></div>
      <div><dt>Banned</dt><dd>${x.users.banned}</dd></div>
      <div><dt>Live rooms</dt><dd>${x.rooms.active}</dd></div>
      <div><dt>Rooms 24 h</dt><dd>${x.rooms.createdLast24h}</dd></div>
      <div><dt>Executions 24 h</dt><dd>${x.executions.last24h}</dd></div>
      <div><dt>Queued / running</dt><dd>${x.executions.queued} / ${x.executions.running}</dd></div>
      <div><dt>Mean latency</dt><dd>${x.executions.avgLatencyMs == null ? '–' : `${Math.round(x.executions.avgLatencyMs)} ms`}</dd></div>
      <div><dt>Sessions</dt><dd>${x.sessions.total}</dd></div>
      <div><dt>Sockets</dt><dd>${x.system.wsConnections}</dd></div>
      <div><dt>Version</dt><dd>${x.system.version}</dd></div>
    </dl>`
  }

  const userRow = (u) => html`<tr>
    <td><button class="link" aria-expanded=${details.has(u.id) ? 'true' : 'false'} @click=${() => toggleDetail(u)}>${u.username}</button>
      <br /><span class="muted small">${u.email}</span></td>
    <td>
      <label class="visually-hidden" for="role-${u.id}">Role of ${u.username}</label>
      <select id="role-${u.id}" class="small" ?disabled=${u.id === myId || u.deletedAt} @change=${(e) => role(u, e.target.value)}>
        ${['user', 'admin'].map((r) => html`<option value=${r} ?selected=${u.role === r}>${r}</option>`)}
      </select>
    </td>
    <td>${u.deletedAt ? html`<span class="pill">deleted</span>` : u.bannedAt ? html`<span class="pill diff-hard" title=${u.banReason || ''}>banned</span>` : html`<span class="pill diff-easy">active</span>`}</td>
    <td>${when(u.createdAt)}</td>
    <td>${when(u.lastActiveAt)}</td>
    <td>${u.id === myId || u.deletedAt ? '' : html`<button class="small ${u.bannedAt ? '' : 'danger'}" @click=${() => ban(u)}>${u.bannedAt ? 'Unban' : 'Ban'} ${u.username}</button>`}</td>
  </tr>${details.has(u.id) ? detailRow(u) : ''}`

  function usersTab () {
    return html`<form class="row filters" role="search" @submit=${(e) => users.filter(formFilters(e))}>
        <label class="visually-hidden" for="admin-user-search">Search users</label>
        <input id="admin-user-search" name="search" type="search" placeholder="Email or username" />
        <select name="status" aria-label="Status"><option value="">Any status</option><option>active</option><option>banned</option><option>deleted</option></select>
        <select name="role" aria-label="Role"><option value="">Any role</option><option>user</option><option>admin</option></select>
        <button type="submit">Filter</button>
      </form>
      ${users.status()}
      ${users.rows?.length
        ? html`<div class="table-wrap"><table class="grid">
            <thead><tr><th>User</th><th>Role</th><th>Status</th><th>Joined</th><th>Last active</th><th></th></tr></thead>
            <tbody>${users.rows.map(userRow)}</tbody></table></div>`
        : ''}
      ${users.nav('Users')}`
  }

  function roomsTab () {
    return html`<form class="row filters" @submit=${(e) => rooms.filter(formFilters(e))}>
        <select name="status" aria-label="Phase"><option value="">Any phase</option>
          ${Object.entries(PHASE_NAMES).map(([k, v]) => html`<option value=${k}>${v}</option>`)}</select>
        <select name="mode" aria-label="Mode"><option value="">Any mode</option><option value="peer">Peer</option><option value="ai">AI</option></select>
        <button type="submit">Filter</button>
      </form>
      ${rooms.status()}
      ${rooms.rows?.length
        ? html`<div class="table-wrap"><table class="grid">
            <thead><tr><th>Room</th><th>Mode</th><th>Phase</th><th>People</th><th>Created</th><th></th></tr></thead>
            <tbody>${rooms.rows.map((r) => html`<tr>
              <td>${r.name || html`<span class="muted">untitled</span>`}<br /><span class="muted small">${r.id}</span></td>
              <td>${r.mode}</td><td>${PHASE_NAMES[r.status] || r.status}</td><td>${r.participantCount}</td><td>${when(r.createdAt)}</td>
              <td>${r.status === 'finished' ? '' : html`<button class="small danger" @click=${() => close(r)}>Close</button>`}</td>
            </tr>`)}</tbody></table></div>`
        : ''}
      ${rooms.nav('Rooms')}`
  }

  function auditTab () {
    if (audit.rows) resolve(audit.rows)
    return html`<form class="row filters" role="search" @submit=${(e) => audit.filter(formFilters(e))}>
        <label class="visually-hidden" for="audit-action">Action</label>
        <input id="audit-action" name="action" placeholder="Action, e.g. admin.user.banned" />
        <label class="visually-hidden" for="audit-actor">Actor id</label>
        <input id="audit-actor" name="actorId" placeholder="Actor id" />
        <label class="visually-hidden" for="audit-target">Target id</label>
        <input id="audit-target" name="targetId" placeholder="Target id" />
        <button type="submit">Filter</button>
      </form>
      ${audit.status()}
      ${audit.rows?.length
        ? html`<div class="table-wrap"><table class="grid audit">
            <thead><tr><th>When</th><th>Action</th><th>Actor</th><th>Target</th><th>Details</th></tr></thead>
            <tbody>${audit.rows.map((a) => html`<tr>
              <td>${when(a.createdAt)}</td><td><code>${a.action}</code></td>
              <td class="small">${a.actorId ? person(a.actorId) : '–'}${a.ip ? html`<br /><span class="muted">${a.ip}</span>` : ''}</td>
              <td class="small">${a.targetType} ${a.targetType === 'user' ? person(a.targetId) : a.targetId}</td>
              <td class="small">${Object.keys(a.metadata || {}).length ? JSON.stringify(a.metadata) : ''}</td>
            </tr>`)}</tbody></table></div>`
        : ''}
      ${audit.nav('Audit log')}`
  }

  const panels = { overview, users: usersTab, rooms: roomsTab, audit: auditTab }

  return {
    title: 'Administration',
    render: () => html`<h1>Administration</h1>
      <div class="tabs" role="tablist" aria-label="Administration">
        ${TABS.map(([id, label]) => html`<button role="tab" id="tab-${id}" aria-selected=${s.tab === id ? 'true' : 'false'}
          aria-controls="admin-panel" @click=${() => show(id)}>${label}</button>`)}
      </div>
      <section class="card" id="admin-panel" role="tabpanel" aria-labelledby="tab-${s.tab}">${panels[s.tab]()}</section>`,
  }
}
