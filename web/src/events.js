// The event channel /api/ws: one socket per tab, reconnected with back-off, JSON frames {type, roomId?, data, at}.

import { accessToken, refresh } from './api.js'

const GIVE_UP = new Set([4003]) // banned or deleted account

class EventChannel {
  constructor () {
    this.handlers = new Map()
    this.rooms = new Set()
    this.ws = null
    this.attempts = 0
    this.running = false
    this.timer = null
    this.state = 'offline' // offline | connecting | open
  }

  get open () {
    return this.state === 'open'
  }

  start () {
    if (this.running) return
    this.running = true
    this.connect()
  }

  stop () {
    this.running = false
    clearTimeout(this.timer)
    const ws = this.ws
    this.ws = null
    if (ws) ws.close(1000)
    this.setState('offline')
  }

  async connect () {
    if (!this.running || this.ws) return
    this.setState('connecting')
    let token
    try {
      token = await accessToken()
    } catch {
      token = undefined // the server is unreachable: try again later
    }
    if (!this.running || this.ws) return
    if (token === null) return this.stop() // signed out
    if (token === undefined) return this.retry()
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws'
    const ws = new WebSocket(`${scheme}://${location.host}/api/ws?token=${encodeURIComponent(token)}`)
    this.ws = ws
    ws.onopen = () => {
      this.attempts = 0
      this.setState('open')
      for (const roomId of this.rooms) this.send('subscribe', { roomId })
    }
    ws.onmessage = (message) => {
      let frame
      try {
        frame = JSON.parse(message.data)
      } catch {
        return
      }
      this.emit(frame.type, frame)
      this.emit('*', frame)
    }
    ws.onclose = async (event) => {
      if (this.ws !== ws) return
      this.ws = null
      this.setState('offline')
      if (!this.running) return
      if (GIVE_UP.has(event.code)) return this.stop()
      if (event.code === 4001) {
        try {
          if (!(await refresh(token))) return this.stop()
        } catch {}
      }
      this.retry()
    }
  }

  retry () {
    this.setState('offline')
    clearTimeout(this.timer)
    const delay = Math.min(500 * 2 ** this.attempts, 10_000) * (0.75 + Math.random() / 2)
    this.attempts++
    this.timer = setTimeout(() => this.connect(), delay)
  }

  /** Drops the socket at once and connects again (after a network change). */
  reconnect () {
    if (!this.running) return
    const ws = this.ws
    this.ws = null
    if (ws) ws.close(1000)
    this.attempts = 0
    this.connect()
  }

  setState (state) {
    if (this.state === state) return
    this.state = state
    this.emit('connection', { type: 'connection', data: { state } })
  }

  /** Sends a frame; false when the socket is not open. */
  send (type, data = {}) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false
    this.ws.send(JSON.stringify({ type, roomId: data.roomId, data }))
    return true
  }

  subscribe (roomId) {
    this.rooms.add(roomId)
    this.send('subscribe', { roomId })
  }

  unsubscribe (roomId) {
    this.rooms.delete(roomId)
    this.send('unsubscribe', { roomId })
  }

  /** fn(frame) for frames of this type ('*' for all, 'connection' for state changes); returns the remover. */
  on (type, fn) {
    if (!this.handlers.has(type)) this.handlers.set(type, new Set())
    this.handlers.get(type).add(fn)
    return () => this.handlers.get(type)?.delete(fn)
  }

  emit (type, frame) {
    for (const fn of this.handlers.get(type) || []) {
      try {
        fn(frame)
      } catch (error) {
        console.error(error)
      }
    }
  }
}

export const events = new EventChannel()
window.addEventListener('online', () => events.reconnect())
