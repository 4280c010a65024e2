// The app shell: routes, the header, notices, focus on navigation. Views are objects {title, render(), destroy?()}
// made by a route's factory; a view calls app.update() when its state changed and the page re-renders.

import { html, nothing, render } from 'lit-html'
import './styles.css'
import './account.css'
import { api, onSessionChange, session, signOut } from './api.js'
import { events } from './events.js'
import { safeNext, shownName } from './util.js'
import { ForgotView, RegisterView, ResetView, SignInView } from './views/auth.js'
import { HomeView } from './views/home.js'
import { JoinView } from './views/join.js'

const root = document.getElementById('app')
root.textContent = '' // the boot message; lit-html renders next to what it finds

const ROUTES = [
  { path: /^\/$/, view: HomeView, auth: true },
  { path: /^\/signin$/, view: SignInView, guest: true },
  { path: /^\/register$/, view: RegisterView, guest: true },
  { path: /^\/forgot-password$/, view: ForgotView },
  { path: /^\/reset-password$/, view: ResetView },
  { path: /^\/join\/([A-Za-z0-9]+)$/, view: JoinView },
  { path: /^\/problems$/, view: async (app) => (await import('./views/problems.js')).ProblemsView(app), auth: true },
  { path: /^\/problems\/([^/]+)$/, view: async (app, id) => (await import('./views/problems.js')).ProblemView(app, id), auth: true },
  { path: /^\/match$/, view: async (app) => (await import('./views/matchmaking.js')).MatchmakingView(app), auth: true },
  { path: /^\/profile$/, view: async (app) => (await import('./views/profile.js')).ProfileView(app), auth: true },
  { path: /^\/admin$/, view: async (app) => (await import('./views/admin.js')).AdminView(app), auth: true, admin: true },
  { path: /^\/sessions$/, view: async (app) => (await import('./views/sessions.js')).SessionsView(app), auth: true },
  { path: /^\/sessions\/compare$/, view: async (app) => (await import('./views/sessions.js')).CompareView(app), auth: true },
  { path: /^\/sessions\/([^/]+)$/, view: async (app, id) => (await import('./views/report.js')).SessionReportView(app, id), auth: true },
  {
    path: /^\/rooms\/([^/]+)$/,
    view: async (app, id) => {
      // The room's code and its detail load side by side.
      const detail = api('GET', `/rooms/${encodeURIComponent(id)}`)
      detail.catch(() => {}) // RoomView reports it
      return (await import('./views/room.js')).RoomView(app, id, detail)
    },
    auth: true,
    wide: true,
  },
]

const app = {
  current: null,
  route: null,
  notice: null,
  navigate,
  update,
  notify (text, kind = 'info') {
    app.notice = { text, kind, at: Date.now() }
    update()
    const at = app.notice.at
    setTimeout(() => {
      if (app.notice?.at === at) {
        app.notice = null
        update()
      }
    }, 6000)
  },
  query: () => new URLSearchParams(location.search),
}

let scheduled = false
function update () {
  if (scheduled) return
  scheduled = true
  queueMicrotask(() => {
    scheduled = false
    paint()
  })
}

function navigate (to, { replace = false } = {}) {
  if (to !== location.pathname + location.search) history[replace ? 'replaceState' : 'pushState'](null, '', to)
  route()
}

let routing = 0
async function route () {
  const token = ++routing
  const path = location.pathname
  const match = ROUTES.map((r) => [r, path.match(r.path)]).find(([, m]) => m)
  if (app.current?.destroy) app.current.destroy()
  app.current = null
  if (!match) {
    app.route = { wide: false }
    app.current = { title: 'Not found', render: notFound }
    return settle()
  }
  const [definition, params] = match
  if (definition.auth && !session()) {
    return navigate(`/signin?next=${encodeURIComponent(path + location.search)}`, { replace: true })
  }
  if (definition.guest && session()) return navigate(safeNext(app.query().get('next')), { replace: true })
  if (definition.admin && session().user.role !== 'admin') {
    app.route = { wide: false }
    app.current = { title: 'Not allowed', render: () => html`<h1>Not allowed</h1><p>This page is for administrators. <a href="/">Go home</a>.</p>` }
    return settle()
  }
  app.route = definition
  if (session()) events.start()
  app.current = { title: 'Loading', render: () => html`<p class="muted" role="status">Loading…</p>` }
  paint()
  try {
    const view = await definition.view(app, ...params.slice(1).map(decodeURIComponent))
    if (token !== routing) return view.destroy?.()
    app.current = view
  } catch (error) {
    console.error(error)
    app.current = { title: 'Error', render: () => html`<p class="error" role="alert">This page failed to load: ${error.message}</p>` }
  }
  settle()
}

function settle () {
  paint()
  document.title = app.current?.title ? `${app.current.title} · SynCode` : 'SynCode'
  const heading = root.querySelector('main h1')
  if (heading && !root.contains(document.activeElement?.closest?.('main form'))) {
    heading.setAttribute('tabindex', '-1')
    heading.focus({ preventScroll: true })
  }
}

function notFound () {
  return html`<h1>Page not found</h1><p>Nothing lives at this address. <a href="/">Go home</a>.</p>`
}

function header () {
  const me = session()
  return html`<header class="top">
    <a class="skip" href="#main">Skip to content</a>
    <a class="brand" href="/" aria-label="SynCode home">Syn<span>Code</span></a>
    <nav aria-label="Main">
      ${me
        ? html`<a href="/">Home</a>
            <a href="/problems">Problems</a>
            <a href="/match">Find a partner</a>
            <a href="/sessions">Sessions</a>
            ${me.user.role === 'admin' ? html`<a href="/admin">Admin</a>` : nothing}
            <a class="me" href="/profile" title="Your profile (${me.user.email})">${me.user.avatarUrl ? html`<img class="avatar" src=${me.user.avatarUrl} alt="" width="24" height="24" />` : nothing}${shownName(me.user)}</a>
            <button class="link" @click=${onSignOut}>Sign out</button>`
        : html`<a href="/signin">Sign in</a><a href="/register">Register</a>`}
    </nav>
  </header>`
}

async function onSignOut () {
  events.stop()
  await signOut().catch(() => {})
  navigate('/signin')
}

function paint () {
  const view = app.current
  render(
    html`${header()}
      <main id="main" class=${app.route?.wide ? 'wide' : 'narrow'}>${view ? view.render() : nothing}</main>
      <div class="toast ${app.notice ? 'show ' + app.notice.kind : ''}" role="status" aria-live="polite">
        ${app.notice?.text || ''}
      </div>`,
    root
  )
}

// Same-origin links navigate inside the app.
document.addEventListener('click', (event) => {
  const link = event.target.closest?.('a[href]')
  if (!link || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return
  if (link.target || link.hasAttribute('download')) return
  const url = new URL(link.href, location.href)
  if (url.origin !== location.origin || url.pathname.startsWith('/api/')) return
  event.preventDefault()
  if (url.hash && url.pathname === location.pathname) {
    document.getElementById(url.hash.slice(1))?.focus()
    return
  }
  navigate(url.pathname + url.search)
})
window.addEventListener('popstate', route)

onSessionChange((me, reason) => {
  if (reason === 'expired' || reason === 'signed-out') {
    events.stop()
    const here = location.pathname + location.search
    if (reason === 'expired') app.notify('Your session has expired. Please sign in again.', 'warn')
    if (!location.pathname.startsWith('/signin') && !location.pathname.startsWith('/register') && !location.pathname.startsWith('/join/') && !location.pathname.endsWith('-password')) {
      navigate(`/signin?next=${encodeURIComponent(here)}`, { replace: true })
    } else update()
  } else {
    events.start()
    update()
  }
})

route()
