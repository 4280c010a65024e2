// The problem bank (/problems: search, difficulty and tag filters, bookmarks, paged) and a problem's page
// (/problems/{idOrSlug}: statement, examples, limits, bookmark, and a room made from it with its settings).

import { html } from 'lit-html'
import { unsafeHTML } from 'lit-html/directives/unsafe-html.js'
import { api, session } from '../api.js'
import { languageName, markdown } from '../util.js'
import { modeAndLanguageFields } from './room-form.js'

const PAGE = 20
const DIFFICULTIES = ['easy', 'medium', 'hard']
const SEARCH_DELAY_MS = 250

const cap = (text) => text[0].toUpperCase() + text.slice(1)

/** PUT or DELETE /bookmarks/{id}; flips `problem.isBookmarked` when the server agreed. */
async function toggleBookmark (app, problem) {
  const on = !problem.isBookmarked
  try {
    await api(on ? 'PUT' : 'DELETE', `/bookmarks/${encodeURIComponent(problem.id)}`)
    problem.isBookmarked = on
  } catch (error) {
    app.notify(error.message, 'error')
  }
  app.update()
}

function bookmarkButton (app, problem) {
  return html`<button class="bookmark ${problem.isBookmarked ? 'on' : ''}" aria-pressed=${problem.isBookmarked ? 'true' : 'false'}
    aria-label="Bookmark ${problem.title}" title=${problem.isBookmarked ? 'Remove the bookmark' : 'Bookmark'}
    @click=${() => toggleBookmark(app, problem)}>${problem.isBookmarked ? '★' : '☆'}</button>`
}

const statusPill = (status) =>
  status === 'solved' ? html`<span class="pill diff-easy">solved</span>` : status === 'attempted' ? html`<span class="pill warn">attempted</span>` : ''

export function ProblemsView (app) {
  const q = app.query()
  const s = {
    search: q.get('search') || '',
    difficulty: q.get('difficulty') || '',
    tag: q.get('tag') || '',
    status: q.get('status') || '',
    bookmarked: q.get('bookmarked') === '1',
    tags: [],
    list: [],
    cursor: null,
    hasMore: false,
    loading: false,
    error: null,
    generation: 0,
  }
  let timer = null

  api('GET', '/problems/tags')
    .then((body) => { s.tags = body.data })
    .catch(() => {}) // the tag filter stays empty; the list still works
    .finally(app.update)

  function query () {
    const params = new URLSearchParams({ limit: String(PAGE), sortBy: 'title' })
    if (s.search) params.set('search', s.search)
    if (s.difficulty) params.set('difficulty', s.difficulty)
    if (s.tag) params.set('tags', s.tag)
    if (s.status) params.set('status', s.status)
    if (s.cursor) params.set('cursor', s.cursor)
    return params
  }

  async function load (fresh) {
    const generation = fresh ? ++s.generation : s.generation
    if (fresh) Object.assign(s, { list: [], cursor: null, hasMore: false, error: null })
    s.loading = true
    app.update()
    try {
      // Bookmarks are their own list (GET /bookmarks); the other filters then apply to it here.
      const page = s.bookmarked
        ? await api('GET', `/bookmarks?${new URLSearchParams({ limit: '100', ...(s.cursor ? { cursor: s.cursor } : {}) })}`)
        : await api('GET', `/problems?${query()}`)
      if (generation !== s.generation) return
      const needle = s.search.toLowerCase()
      const keep = (p) =>
        !s.bookmarked ||
        ((!s.difficulty || p.difficulty === s.difficulty) && (!s.tag || p.tags.includes(s.tag)) && (!needle || p.title.toLowerCase().includes(needle)) &&
          (!s.status || (p.attemptStatus || 'todo') === s.status))
      s.list.push(...page.data.filter(keep))
      s.cursor = page.pagination.nextCursor
      s.hasMore = page.pagination.hasMore
    } catch (error) {
      if (generation === s.generation) s.error = error
    }
    if (generation === s.generation) s.loading = false
    app.update()
  }

  function changed () {
    const params = new URLSearchParams()
    if (s.search) params.set('search', s.search)
    if (s.difficulty) params.set('difficulty', s.difficulty)
    if (s.tag) params.set('tag', s.tag)
    if (s.status) params.set('status', s.status)
    if (s.bookmarked) params.set('bookmarked', '1')
    history.replaceState(null, '', `/problems${params.size ? `?${params}` : ''}`) // a reload keeps the filters
    load(true)
  }

  function onSearch (event) {
    s.search = event.target.value.trim()
    clearTimeout(timer)
    timer = setTimeout(changed, SEARCH_DELAY_MS)
  }

  load(true)

  const row = (p) => html`<li>
    ${bookmarkButton(app, p)}
    <a href="/problems/${p.slug || p.id}">${p.title}</a>
    <span class="pill diff-${p.difficulty}">${p.difficulty}</span>
    ${statusPill(p.attemptStatus)}
    <span class="muted">${p.tags.map((t) => html`<span class="tag">${t}</span>`)}
      ${p.acceptanceRate != null ? html` · ${Math.round(p.acceptanceRate * 100)}% accepted of ${p.totalSubmissions}` : ''}</span>
  </li>`

  return {
    title: 'Problems',
    destroy: () => clearTimeout(timer),
    render: () => html`<h1>Problems</h1>
      <form class="card filters" role="search" @submit=${(e) => { e.preventDefault(); clearTimeout(timer); changed() }}>
        <div class="field grow">
          <label for="problem-search">Search</label>
          <input id="problem-search" type="search" .value=${s.search} placeholder="Title or words" @input=${onSearch} />
        </div>
        <div class="field">
          <label for="problem-difficulty">Difficulty</label>
          <select id="problem-difficulty" @change=${(e) => { s.difficulty = e.target.value; changed() }}>
            <option value="" ?selected=${!s.difficulty}>Any</option>
            ${DIFFICULTIES.map((d) => html`<option value=${d} ?selected=${s.difficulty === d}>${cap(d)}</option>`)}
          </select>
        </div>
        <div class="field">
          <label for="problem-tag">Tag</label>
          <select id="problem-tag" @change=${(e) => { s.tag = e.target.value; changed() }}>
            <option value="" ?selected=${!s.tag}>Any</option>
            ${s.tags.map((t) => html`<option value=${t.slug} ?selected=${s.tag === t.slug}>${t.name} (${t.problemCount})</option>`)}
          </select>
        </div>
        <div class="field">
          <label for="problem-status">Status</label>
          <select id="problem-status" @change=${(e) => { s.status = e.target.value; changed() }}>
            ${[['', 'Any'], ['todo', 'To do'], ['attempted', 'Attempted'], ['solved', 'Solved']].map(
              ([value, label]) => html`<option value=${value} ?selected=${s.status === value}>${label}</option>`
            )}
          </select>
        </div>
        <label class="inline"><input type="checkbox" .checked=${s.bookmarked}
          @change=${(e) => { s.bookmarked = e.target.checked; changed() }} /> Bookmarked only</label>
      </form>
      <section class="card" aria-labelledby="problem-list-title" aria-busy=${s.loading ? 'true' : 'false'}>
        <h2 id="problem-list-title" class="visually-hidden">Matching problems</h2>
        ${s.error ? html`<p class="error" role="alert">${s.error.message}</p>` : ''}
        ${s.list.length ? html`<ul class="rooms problems">${s.list.map(row)}</ul>` : ''}
        ${!s.loading && !s.error && !s.list.length ? html`<p class="muted" role="status">No problem matches these filters.</p>` : ''}
        ${s.loading ? html`<p class="muted" role="status">Loading problems…</p>` : ''}
        ${s.hasMore && !s.loading ? html`<button @click=${() => load(false)}>More problems</button>` : ''}
      </section>`,
  }
}

export async function ProblemView (app, id) {
  const problem = await api('GET', `/problems/${encodeURIComponent(id)}`)
  const me = session().user
  const firstLanguage = Object.keys(problem.starterCode || {})[0] || 'python'
  const preferred = problem.starterCode?.[me.preferredLanguage] ? me.preferredLanguage : firstLanguage
  const s = { creating: false, error: null }

  async function create (event) {
    event.preventDefault()
    const form = new FormData(event.target)
    const minutes = (name) => Math.round(Number(form.get(name)) * 60)
    const body = {
      mode: form.get('mode'),
      problemId: problem.id,
      language: form.get('language'),
      config: {
        durations: { warmupSec: minutes('warmup'), codingSec: minutes('coding'), wrapupSec: minutes('wrapup') },
        autoAdvance: form.get('autoAdvance') === 'on',
      },
    }
    const name = String(form.get('name') || '').trim()
    if (name) body.name = name
    s.creating = true
    s.error = null
    app.update()
    try {
      const room = await api('POST', '/rooms', body, { headers: { 'Idempotency-Key': crypto.randomUUID() } })
      app.navigate(`/rooms/${room.id}`)
    } catch (error) {
      s.error = error
      s.creating = false
      app.update()
    }
  }

  const minutesField = (name, label, value, min, max) => html`<div class="field">
    <label for="create-${name}">${label}</label>
    <input id="create-${name}" name=${name} type="number" min=${min} max=${max} step="1" value=${value} required />
  </div>`
  const detail = (key) => s.error?.details?.[`config.durations.${key}`] || s.error?.details?.[key]

  return {
    title: problem.title,
    render: () => html`<p class="crumbs"><a href="/problems">Problems</a></p>
      <div class="problem-head">
        <h1>${problem.title}</h1>
        <span class="pill diff-${problem.difficulty}">${problem.difficulty}</span>
        ${statusPill(problem.attemptStatus)}
        ${bookmarkButton(app, problem)}
      </div>
      <p class="muted">${problem.tags.map((t) => html`<a class="tag" href="/problems?tag=${t}">${t}</a>`)}
        · time limit ${problem.timeLimitMs} ms · memory ${problem.memoryLimitMb} MB</p>
      <div class="columns wide-first">
        <article class="card statement">
          ${unsafeHTML(markdown(problem.description))}
          ${problem.constraints ? html`<h3>Constraints</h3>${unsafeHTML(markdown(problem.constraints))}` : ''}
          ${problem.examples?.length
            ? html`<h3>Examples</h3>
                ${problem.examples.map((x, i) => html`<div class="example">
                  <h4>Example ${i + 1}</h4>
                  <p class="muted small">Input</p><pre>${x.input}</pre>
                  <p class="muted small">Output</p><pre>${x.output}</pre>
                  ${x.explanation ? html`<p>${x.explanation}</p>` : ''}
                </div>`)}`
            : ''}
        </article>
        <section class="card" aria-labelledby="create-title">
          <h2 id="create-title">Practise this problem</h2>
          <form @submit=${create}>
            ${modeAndLanguageFields(preferred)}
            <div class="field">
              <label for="create-name">Room name (optional)</label>
              <input id="create-name" name="name" maxlength="100" autocomplete="off" />
            </div>
            <fieldset class="field timers">
              <legend>Timer (minutes)</legend>
              ${minutesField('warmup', 'Warm-up', 5, 0, 240)}
              ${minutesField('coding', 'Coding', 45, 1, 480)}
              ${minutesField('wrapup', 'Wrap-up', 10, 0, 240)}
              <label class="inline"><input type="checkbox" name="autoAdvance" /> Move to the next phase when time is up</label>
              ${['warmupSec', 'codingSec', 'wrapupSec'].map((k) => (detail(k) ? html`<small class="error">${detail(k)}</small>` : ''))}
            </fieldset>
            ${s.error ? html`<p class="error" role="alert">${s.error.message}</p>` : ''}
            <button class="primary" type="submit" ?disabled=${s.creating}>${s.creating ? 'Creating…' : 'Create a room'}</button>
          </form>
          <p class="muted small">Starter code in ${Object.keys(problem.starterCode || {}).map(languageName).join(', ')}.</p>
        </section>
      </div>`,
  }
}
