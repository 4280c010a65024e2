// Small shared helpers: the language list, user colours, formatting, a safe Markdown subset.

export const LANGUAGES = [
  ['python', 'Python'],
  ['javascript', 'JavaScript'],
  ['typescript', 'TypeScript'],
  ['java', 'Java'],
  ['cpp', 'C++'],
  ['c', 'C'],
  ['go', 'Go'],
  ['rust', 'Rust'],
]
export const languageName = (id) => LANGUAGES.find(([key]) => key === id)?.[1] || id

export const PHASES = ['waiting', 'warmup', 'coding', 'wrapup', 'finished']
export const PHASE_NAMES = {
  waiting: 'Waiting',
  warmup: 'Warm-up',
  coding: 'Coding',
  wrapup: 'Wrap-up',
  finished: 'Finished',
}

export const VERDICTS = {
  accepted: 'Accepted',
  wrong_answer: 'Wrong answer',
  time_limit_exceeded: 'Time limit exceeded',
  memory_limit_exceeded: 'Memory limit exceeded',
  output_limit_exceeded: 'Output limit exceeded',
  runtime_error: 'Runtime error',
  compilation_error: 'Compilation error',
  internal_error: 'Internal error',
}
export const verdictName = (v) => VERDICTS[v] || v || ''

// Colours readable on white, for remote cursors and the presence list.
const COLOURS = ['#d1495b', '#2e86ab', '#3c9d5d', '#8e44ad', '#d35400', '#16a085', '#c0392b', '#2c3e99', '#b7950b', '#7f5539']

export function userColour (userId) {
  let hash = 0
  for (const ch of String(userId)) hash = (hash * 31 + ch.codePointAt(0)) >>> 0
  return COLOURS[hash % COLOURS.length]
}

export const shownName = (person) => person?.displayName || person?.username || 'someone'

/** 75 -> "1:15", 3725 -> "1:02:05", negative -> "+0:12" (over time). */
export function clock (seconds) {
  const over = seconds < 0
  let s = Math.floor(Math.abs(seconds))
  const h = Math.floor(s / 3600)
  s -= h * 3600
  const m = Math.floor(s / 60)
  s -= m * 60
  const two = (n) => String(n).padStart(2, '0')
  const text = h ? `${h}:${two(m)}:${two(s)}` : `${m}:${two(s)}`
  return over ? `+${text}` : text
}

export function when (iso) {
  if (!iso) return ''
  const date = new Date(iso)
  return date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' })
}

export function timeOfDay (iso) {
  return iso ? new Date(iso).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' }) : ''
}

const ESCAPES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }
export const escapeHtml = (text) => String(text).replace(/[&<>"']/g, (c) => ESCAPES[c])

/** Inline Markdown on escaped text: `code`, **bold**, *italic*, [links](https://...). */
function inline (text) {
  const codes = []
  let out = escapeHtml(text).replace(/`([^`]+)`/g, (_, code) => {
    codes.push(code)
    return `\u0000${codes.length - 1}\u0000`
  })
  out = out
    .replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>')
    .replace(/(^|[^\w*])\*([^*\s][^*]*)\*/g, '$1<em>$2</em>')
    .replace(/(^|[^\w])_([^_\s][^_]*)_(?!\w)/g, '$1<em>$2</em>')
    .replace(/\[([^\]]+)\]\((https?:\/\/[^\s)]+)\)/g, '<a href="$2" rel="noopener noreferrer" target="_blank">$1</a>')
  return out.replace(/\u0000(\d+)\u0000/g, (_, i) => `<code>${codes[Number(i)]}</code>`)
}

/**
 * The Markdown of problem statements as HTML: headings, paragraphs, lists, fenced code, inline marks.
 * Everything is escaped first, so the result holds only the tags made here.
 */
export function markdown (source) {
  const lines = String(source || '').replace(/\r\n?/g, '\n').split('\n')
  const html = []
  let paragraph = []
  let list = null
  const flush = () => {
    if (paragraph.length) html.push(`<p>${inline(paragraph.join(' '))}</p>`)
    paragraph = []
    if (list) html.push(`<${list.tag}>${list.items.map((item) => `<li>${inline(item)}</li>`).join('')}</${list.tag}>`)
    list = null
  }
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]
    const fence = line.match(/^\s*```/)
    if (fence) {
      flush()
      const code = []
      for (i++; i < lines.length && !/^\s*```/.test(lines[i]); i++) code.push(lines[i])
      html.push(`<pre><code>${escapeHtml(code.join('\n'))}</code></pre>`)
      continue
    }
    const heading = line.match(/^(#{1,6})\s+(.*)$/)
    const bullet = line.match(/^\s*[-*]\s+(.*)$/)
    const numbered = line.match(/^\s*\d+[.)]\s+(.*)$/)
    if (heading) {
      flush()
      const level = Math.min(6, heading[1].length + 2) // the statement sits under the page's h2
      html.push(`<h${level}>${inline(heading[2])}</h${level}>`)
    } else if (bullet || numbered) {
      const tag = bullet ? 'ul' : 'ol'
      if (paragraph.length || (list && list.tag !== tag)) flush()
      list = list || { tag, items: [] }
      list.items.push((bullet || numbered)[1])
    } else if (!line.trim()) {
      flush()
    } else if (list && /^\s{2,}\S/.test(line)) {
      list.items[list.items.length - 1] += ` ${line.trim()}`
    } else {
      if (list) flush()
      paragraph.push(line.trim())
    }
  }
  flush()
  return html.join('\n')
}

/** A path the app may go to after sign-in (same origin, absolute path only). */
export function safeNext (value) {
  return typeof value === 'string' && /^\/(?![/\\])/.test(value) && !value.startsWith('/signin') ? value : '/'
}
