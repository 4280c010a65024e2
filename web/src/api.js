// The REST client: bearer tokens, silent refresh, errors as ApiError with the API's message.
//
// The access token (15 min) is kept in localStorage so that a reload or a second tab needs no refresh; the
// refresh token lives only in the HttpOnly `refreshToken` cookie the server sets on /api/auth. Refresh tokens
// rotate and a rotated one presented again revokes the whole family, so tabs refresh one at a time (a Web Lock)
// and a tab that waited takes the token another tab just obtained.

const STORAGE_KEY = 'syncode.session'
const EARLY_REFRESH_MS = 60_000

export class ApiError extends Error {
  constructor (status, body) {
    super(body?.message || `request failed (${status})`)
    this.status = status
    this.code = body?.code || (status === 0 ? 'NETWORK_ERROR' : 'ERROR')
    this.details = body?.details || null
  }
}

let current = load()
const listeners = new Set()

function load () {
  try {
    const value = JSON.parse(localStorage.getItem(STORAGE_KEY) || 'null')
    return value && value.token && value.user ? value : null
  } catch {
    return null
  }
}

function store (value) {
  current = value
  if (value) localStorage.setItem(STORAGE_KEY, JSON.stringify(value))
  else localStorage.removeItem(STORAGE_KEY)
}

function notify (reason) {
  for (const fn of listeners) fn(current, reason)
}

// Another tab signed in, refreshed or signed out.
window.addEventListener('storage', (event) => {
  if (event.key !== STORAGE_KEY) return
  const before = current
  current = load()
  if (!current !== !before || current?.user?.id !== before?.user?.id) notify(current ? 'signed-in' : 'signed-out')
})

/** The signed-in session {token, exp, user}, or null. */
export const session = () => current

/** fn(session, reason) on sign-in, sign-out and expiry ('signed-in' | 'signed-out' | 'expired'). */
export function onSessionChange (fn) {
  listeners.add(fn)
  return () => listeners.delete(fn)
}

function accept (body) {
  store({ token: body.accessToken, exp: Date.now() + body.expiresIn * 1000, user: body.user })
}

/** The session ended without the person signing out (refresh refused): back to sign-in. */
function expire () {
  if (!current) return
  store(null)
  notify('expired')
}

let refreshing = null

/** A new access token through the refresh cookie; `stale` is the token that was refused or about to expire. */
export function refresh (stale) {
  if (!refreshing) {
    const run = () => refreshOnce(stale)
    const locked = navigator.locks ? navigator.locks.request('syncode-refresh', run) : run()
    refreshing = locked.finally(() => { refreshing = null })
  }
  return refreshing
}

async function refreshOnce (stale) {
  const stored = load()
  if (stored && stored.token !== stale && stored.exp - Date.now() > EARLY_REFRESH_MS) {
    current = stored // another tab refreshed while this one waited for the lock
    return stored.token
  }
  if (!stored && !current) return null
  let response
  try {
    response = await fetch('/api/auth/refresh', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{}',
      credentials: 'same-origin',
    })
  } catch {
    throw new ApiError(0, { message: 'cannot reach the server' })
  }
  const body = await response.json().catch(() => null)
  if (response.ok) {
    accept(body)
    return current.token
  }
  if (response.status === 401 || response.status === 403) {
    expire()
    return null
  }
  throw new ApiError(response.status, body)
}

/** A valid access token (refreshed first when it is about to expire), or null when signed out. */
export async function accessToken () {
  if (!current) return null
  if (current.exp - Date.now() < EARLY_REFRESH_MS) return refresh(current.token)
  return current.token
}

/**
 * Calls the API: `api('POST', '/rooms', body)` (paths are under /api). Resolves with the JSON body (null for
 * 204), rejects with ApiError. A 401 is retried once after a refresh; if that fails the session has expired.
 */
export async function api (method, path, body, { auth = true, headers = {} } = {}) {
  const send = async (token) => {
    const all = { ...headers }
    if (body !== undefined) all['Content-Type'] = 'application/json'
    if (token) all.Authorization = `Bearer ${token}`
    try {
      return await fetch(`/api${path}`, {
        method,
        headers: all,
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: 'same-origin',
      })
    } catch {
      throw new ApiError(0, { message: 'cannot reach the server; check your connection' })
    }
  }
  let token = null
  if (auth) {
    token = await accessToken()
    if (!token) throw new ApiError(401, { code: 'UNAUTHORIZED', message: 'please sign in' })
  }
  let response = await send(token)
  if (response.status === 401 && auth) {
    const fresh = await refresh(token)
    if (!fresh) throw new ApiError(401, { code: 'UNAUTHORIZED', message: 'your session has expired' })
    response = await send(fresh)
    if (response.status === 401) expire()
  }
  if (response.status === 204) return null
  const data = await response.json().catch(() => null)
  if (!response.ok) throw new ApiError(response.status, data)
  return data
}

export async function register (fields) {
  accept(await api('POST', '/auth/register', fields, { auth: false }))
  notify('signed-in')
}

export async function signIn (identifier, password) {
  accept(await api('POST', '/auth/login', { identifier, password }, { auth: false }))
  notify('signed-in')
}

export async function signOut () {
  try {
    await api('POST', '/auth/logout', {}, { auth: false })
  } finally {
    store(null)
    notify('signed-out')
  }
}

/** Keeps the stored profile in step with /users/me. */
export function updateUser (user) {
  if (current) store({ ...current, user })
}
