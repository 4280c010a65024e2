// The room's audio and video (LiveKit), mounted by the room view. Hidden when the server has no media configured
// (the token endpoint answers 503 MEDIA_NOT_CONFIGURED). `livekit-client` is loaded only when someone joins, by a
// dynamic import, so it is never part of the first load nor of the room's own bundle.

import { html } from 'lit-html'
import { ref } from 'lit-html/directives/ref.js'
import { api } from '../api.js'

/** {render(), destroy()} of the media box for the room `roomId`; `room()` is its current RoomDetail. */
export function MediaPanel ({ app, roomId, room }) {
  const s = {
    available: null, // null: asking the server; false: not configured (the box renders nothing)
    state: 'idle', // idle | connecting | live
    mic: false,
    camera: false,
    people: [],
    speaking: new Set(),
    error: null,
  }
  let lk = null // the livekit-client module
  let session = null // its Room while connected
  let stage = null // the element remote tracks are attached to
  let gone = false
  const path = `/rooms/${encodeURIComponent(roomId)}/media/token`

  const token = () => api('POST', path)
  token()
    .then(() => { s.available = true })
    .catch((error) => {
      // Not configured: stay hidden. Down for now (MEDIA_UNAVAILABLE) or not allowed: offer it, say why on join.
      s.available = error.code !== 'MEDIA_NOT_CONFIGURED' && error.status !== 403 && error.status !== 409
    })
    .finally(app.update)

  function people () {
    if (!session) return []
    const all = [session.localParticipant, ...session.remoteParticipants.values()]
    return all.map((p) => ({ identity: p.identity, name: p.name || p.identity, local: p === session.localParticipant, mic: p.isMicrophoneEnabled }))
  }

  function changed () {
    s.people = people()
    app.update()
  }

  function attach (track) {
    if (track.kind !== 'audio' && track.kind !== 'video') return
    const element = track.attach()
    element.dataset.track = track.sid
    if (track.kind === 'video') element.setAttribute('playsinline', '')
    stage?.append(element)
  }

  async function join (withVideo) {
    s.state = 'connecting'
    s.error = null
    app.update()
    try {
      const [grant, module] = await Promise.all([token(), lk || import('livekit-client')])
      lk = module
      if (gone) return
      const { Room, RoomEvent } = lk
      session = new Room({ adaptiveStream: true, dynacast: true })
      session
        .on(RoomEvent.TrackSubscribed, (track) => attach(track))
        .on(RoomEvent.TrackUnsubscribed, (track) => track.detach().forEach((el) => el.remove()))
        .on(RoomEvent.ParticipantConnected, changed)
        .on(RoomEvent.ParticipantDisconnected, changed)
        .on(RoomEvent.TrackMuted, changed)
        .on(RoomEvent.TrackUnmuted, changed)
        .on(RoomEvent.ActiveSpeakersChanged, (speakers) => {
          s.speaking = new Set(speakers.map((p) => p.identity))
          app.update()
        })
        .on(RoomEvent.Disconnected, () => {
          session = null
          Object.assign(s, { state: 'idle', mic: false, camera: false, people: [] })
          app.update()
        })
      await session.connect(grant.url, grant.token)
      s.state = 'live'
      changed()
      await setMic(true)
      if (withVideo) await setCamera(true)
    } catch (error) {
      await leave()
      s.error = error.code === 'MEDIA_NOT_CONFIGURED' ? 'Audio and video are not set up on this server.' : `Could not join the call: ${error.message}`
      app.update()
    }
  }

  async function setMic (on) {
    try {
      await session.localParticipant.setMicrophoneEnabled(on)
      s.mic = on
    } catch (error) {
      s.error = `Microphone: ${error.message}` // no device, permission refused, or muted by the host
    }
    changed()
  }

  async function setCamera (on) {
    try {
      const publication = await session.localParticipant.setCameraEnabled(on)
      s.camera = on
      stage?.querySelector('video.local')?.remove()
      if (on && publication?.track) {
        const preview = publication.track.attach()
        preview.classList.add('local')
        preview.muted = true
        stage?.prepend(preview)
      }
    } catch (error) {
      s.error = `Camera: ${error.message}`
    }
    changed()
  }

  async function leave () {
    const current = session
    session = null
    if (current) await current.disconnect().catch(() => {})
    if (stage) stage.textContent = ''
    Object.assign(s, { state: 'idle', mic: false, camera: false, people: [] })
  }

  function render () {
    if (!s.available) return ''
    if (room()?.status === 'finished') {
      if (session) leave().then(app.update)
      return ''
    }
    const busy = s.state === 'connecting'
    return html`<section class="media" aria-labelledby="media-title">
      <h2 id="media-title">Audio and video</h2>
      ${s.state === 'live'
        ? html`<div class="row">
            <button aria-pressed=${s.mic ? 'true' : 'false'} @click=${() => setMic(!s.mic)}>${s.mic ? 'Mute microphone' : 'Unmute microphone'}</button>
            <button aria-pressed=${s.camera ? 'true' : 'false'} @click=${() => setCamera(!s.camera)}>${s.camera ? 'Stop camera' : 'Start camera'}</button>
            <button class="danger" @click=${() => leave().then(app.update)}>Leave the call</button>
          </div>
          <ul class="media-people">
            ${s.people.map((p) => html`<li class=${s.speaking.has(p.identity) ? 'speaking' : ''}>
              ${p.name}${p.local ? ' (you)' : ''} ${p.mic ? '' : html`<span class="muted small">muted</span>`}</li>`)}
          </ul>`
        : html`<div class="row">
            <button ?disabled=${busy} @click=${() => join(false)}>${busy ? 'Joining…' : 'Join audio'}</button>
            <button ?disabled=${busy} @click=${() => join(true)}>Join with video</button>
          </div>`}
      <div class="media-stage" ${ref((el) => { stage = el || stage })}></div>
      ${s.error ? html`<p class="error" role="alert">${s.error}</p>` : ''}
    </section>`
  }

  return {
    render,
    destroy () {
      gone = true
      leave()
    },
  }
}
