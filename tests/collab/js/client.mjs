// A stock yjs + y-websocket client driven over stdin/stdout with JSON lines, for the interop tests.
//   node client.mjs <serverUrl> <roomId> <token> <userId>
// Commands (stdin): {"id", "cmd": "insert"|"delete"|"text"|"awareness"|"states"|"disconnect", ...}
// Replies (stdout): {"id", "ok": true, ...}; events: {"event": "status"|"synced"|"close", ...}
import readline from 'node:readline'
import WebSocket from 'ws'
import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'

const [serverUrl, roomId, token, userId] = process.argv.slice(2)
const doc = new Y.Doc()
const text = doc.getText('code:python')
const provider = new WebsocketProvider(serverUrl, roomId, doc, {
  WebSocketPolyfill: WebSocket,
  params: { token },
  disableBc: true,
  maxBackoffTime: 300
})

const emit = (message) => process.stdout.write(JSON.stringify(message) + '\n')

provider.on('status', ({ status }) => emit({ event: 'status', status }))
provider.on('synced', (synced) => emit({ event: 'synced', synced }))
provider.on('connection-close', (event) => emit({ event: 'close', code: event.code, reason: event.reason }))

provider.awareness.setLocalStateField('user', { id: userId, name: `user ${userId}`, color: '#30bced' })

const commands = {
  insert: ({ index, value }) => text.insert(Math.min(index, text.length), value),
  delete: ({ index, length }) => {
    const start = Math.min(index, text.length)
    text.delete(start, Math.min(length, text.length - start))
  },
  text: () => ({ text: text.toString() }),
  awareness: ({ cursor }) => provider.awareness.setLocalStateField('cursor', cursor),
  states: () => ({
    states: [...provider.awareness.getStates().entries()]
      .filter(([clientId]) => clientId !== doc.clientID)
      .map(([, state]) => state)
  }),
  disconnect: () => { provider.shouldConnect = false; provider.disconnect() },
  exit: () => { provider.destroy(); setTimeout(() => process.exit(0), 10) }
}

readline.createInterface({ input: process.stdin }).on('line', (line) => {
  const request = JSON.parse(line)
  const result = commands[request.cmd](request) || {}
  emit({ id: request.id, ok: true, ...result })
})
