// The collaborative editor: CodeMirror 6 bound to Y.Text('code:<language>') of the room document through the
// stock y-websocket provider; remote cursors and selections come from awareness ({user {id, name, color}}).

import { closeBrackets, closeBracketsKeymap } from '@codemirror/autocomplete'
import { defaultKeymap, indentWithTab } from '@codemirror/commands'
import { bracketMatching, defaultHighlightStyle, indentOnInput, indentUnit, syntaxHighlighting } from '@codemirror/language'
import { highlightSelectionMatches, searchKeymap } from '@codemirror/search'
import { Compartment, EditorState, Prec } from '@codemirror/state'
import {
  EditorView,
  drawSelection,
  dropCursor,
  highlightActiveLine,
  highlightActiveLineGutter,
  highlightSpecialChars,
  keymap,
  lineNumbers,
} from '@codemirror/view'
import { yCollab, yUndoManagerKeymap } from 'y-codemirror.next'
import { WebsocketProvider } from 'y-websocket'
import * as Y from 'yjs'

// Close codes after which reconnecting is pointless (4001, a stale token, is handled by asking for a new one).
const FINAL = new Set([4001, 4002, 4003, 4004, 4009, 4013])

function loadLanguage (id) {
  switch (id) {
    case 'python': return import('@codemirror/lang-python').then((m) => m.python())
    case 'javascript': return import('@codemirror/lang-javascript').then((m) => m.javascript())
    case 'typescript': return import('@codemirror/lang-javascript').then((m) => m.javascript({ typescript: true }))
    case 'java': return import('@codemirror/lang-java').then((m) => m.java())
    case 'cpp':
    case 'c': return import('@codemirror/lang-cpp').then((m) => m.cpp())
    case 'go': return import('@codemirror/lang-go').then((m) => m.go())
    case 'rust': return import('@codemirror/lang-rust').then((m) => m.rust())
    default: return Promise.resolve([])
  }
}

const theme = EditorView.theme({
  '&': { height: '100%', fontSize: '14px', backgroundColor: '#fff' },
  '.cm-scroller': { fontFamily: 'ui-monospace, SFMono-Regular, Menlo, Consolas, monospace', lineHeight: '1.5' },
  '.cm-gutters': { backgroundColor: '#f6f8fb', borderRight: '1px solid #e3e6ee', color: '#8a93a6' },
  '&.cm-focused': { outline: '2px solid #2e6be6', outlineOffset: '-2px' },
  // A remote caret's name label sits inside the editable text: a click or a selection must never land in it, or the
  // browser's editing reads the label into the document.
  '.cm-ySelectionInfo': { opacity: '1', fontFamily: 'system-ui, sans-serif', fontSize: '11px', padding: '1px 4px', borderRadius: '3px 3px 3px 0', pointerEvents: 'none', userSelect: 'none' },
  '.cm-ySelectionCaret': { pointerEvents: 'none', userSelect: 'none' },
  '.cm-ySelectionInfo::after': { content: 'attr(data-name)' },
})

/**
 * A remote caret's name and its word joiners are text nodes inside the editable content, and editing across the
 * caret (select all, then type or paste) made the browser copy them into the document as new text ('Alice' with
 * U+2060 around it in the other person's code). The name is moved into an attribute, drawn by CSS, and the joiners
 * dropped: no text is left there to copy.
 */
const caretLabelsOutOfText = EditorView.updateListener.of((update) => {
  for (const caret of update.view.contentDOM.querySelectorAll('.cm-ySelectionCaret:not([data-name])')) {
    const info = caret.querySelector('.cm-ySelectionInfo')
    caret.dataset.name = info?.textContent ?? ''
    for (const node of [...caret.childNodes]) if (node.nodeType === Node.TEXT_NODE) node.remove()
    if (info) {
      info.dataset.name = info.textContent
      info.textContent = ''
    }
  }
})

/**
 * opts: {parent, collab {url, token}, user {id, name, color}, language, readOnly, keys (CodeMirror key bindings),
 *        onStatus(status), onClosed(code, reason), onPeers(states), newToken(): Promise<string|null>}
 */
export function createEditor (opts) {
  const doc = new Y.Doc()
  const cut = opts.collab.url.lastIndexOf('/')
  const provider = new WebsocketProvider(opts.collab.url.slice(0, cut), opts.collab.url.slice(cut + 1), doc, {
    params: { token: opts.collab.token },
    disableBc: true,
    maxBackoffTime: 5000,
    shouldReconnect: (event) => !FINAL.has(event.code),
  })
  const colour = opts.user.color
  provider.awareness.setLocalStateField('user', { id: opts.user.id, name: opts.user.name, color: colour, colorLight: `${colour}33` })

  let status = 'connecting'
  const report = (next) => {
    status = next
    opts.onStatus?.(next)
  }
  provider.on('status', ({ status: s }) => report(s === 'connected' ? (provider.synced ? 'synced' : 'connected') : s))
  provider.on('sync', (synced) => { if (synced) report('synced') })
  provider.on('closed', async ({ code, reason }) => {
    if (code === 4001) {
      const token = await opts.newToken().catch(() => null)
      if (token) {
        provider.params = { token }
        provider.connect()
        return
      }
    }
    report('closed')
    opts.onClosed?.(code, reason)
  })
  const peers = () => {
    const states = []
    provider.awareness.getStates().forEach((state, clientId) => {
      if (clientId !== doc.clientID && state.user) states.push(state.user)
    })
    opts.onPeers?.(states)
  }
  provider.awareness.on('change', peers)

  const language = new Compartment()
  const editable = new Compartment()
  const readOnlyExtension = (on) => [EditorState.readOnly.of(on), EditorView.contentAttributes.of({ 'aria-readonly': String(on) })]
  let readOnly = !!opts.readOnly
  let current = null // {view, text, undo, language}

  function bind (lang) {
    const text = doc.getText(`code:${lang}`)
    const undo = new Y.UndoManager(text)
    const state = EditorState.create({
      doc: text.toString(),
      extensions: [
        Prec.highest(keymap.of(opts.keys || [])),
        lineNumbers(),
        highlightActiveLineGutter(),
        highlightSpecialChars(),
        drawSelection(),
        dropCursor(),
        EditorState.allowMultipleSelections.of(true),
        indentOnInput(),
        indentUnit.of('    '),
        syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
        bracketMatching(),
        closeBrackets(),
        highlightActiveLine(),
        highlightSelectionMatches(),
        keymap.of([...closeBracketsKeymap, ...yUndoManagerKeymap, ...defaultKeymap, ...searchKeymap, indentWithTab]),
        EditorView.contentAttributes.of({ 'aria-label': `Code editor (${lang}); press Escape then Tab to leave it` }),
        theme,
        language.of([]),
        editable.of(readOnlyExtension(readOnly)),
        yCollab(text, provider.awareness, { undoManager: undo }),
        caretLabelsOutOfText,
      ],
    })
    const view = new EditorView({ state, parent: opts.parent })
    current = { view, text, undo, language: lang }
    loadLanguage(lang).then((support) => {
      if (current?.view === view) view.dispatch({ effects: language.reconfigure(support) })
    })
  }

  function unbind () {
    if (!current) return
    current.view.destroy()
    current.undo.destroy()
    current = null
  }

  bind(opts.language)

  return {
    get status () { return status },
    get view () { return current?.view },
    get language () { return current?.language },
    /** The code of the current language, as in the shared document. */
    code: () => current?.text.toString() ?? '',
    setLanguage (lang) {
      if (current?.language === lang) return
      const focused = current?.view.hasFocus
      unbind()
      bind(lang)
      if (focused) current.view.focus()
    },
    setReadOnly (on) {
      on = !!on
      if (on === readOnly) return
      readOnly = on
      current?.view.dispatch({ effects: editable.reconfigure(readOnlyExtension(on)) })
    },
    focus: () => current?.view.focus(),
    destroy () {
      unbind()
      provider.awareness.off('change', peers)
      provider.destroy()
      doc.destroy()
    },
  }
}
