// My profile (/profile): display name, username, bio, preferred language, avatar (upload through the signed URL the
// API hands out, then confirm), and the password change.

import { html } from 'lit-html'
import { api, refresh, session, updateUser } from '../api.js'
import { LANGUAGES, shownName, when } from '../util.js'

const AVATAR_TYPES = ['image/png', 'image/jpeg', 'image/webp']
const AVATAR_MAX_BYTES = 2 * 1024 * 1024

/** A round avatar: the image when there is one, else the initial on the user's colour. */
export function avatar (person, size = 40) {
  const name = shownName(person)
  return person?.avatarUrl
    ? html`<img class="avatar" src=${person.avatarUrl} alt="" width=${size} height=${size} />`
    : html`<span class="avatar initial" style="width:${size}px;height:${size}px;font-size:${size / 2.2}px" aria-hidden="true">${name[0]?.toUpperCase()}</span>`
}

export async function ProfileView (app) {
  const s = { me: await api('GET', '/users/me'), saving: false, error: null, uploading: false, avatarError: null, password: null }

  function accept (user) {
    s.me = user
    updateUser(user) // the header shows the new name at once
  }

  async function save (event) {
    event.preventDefault()
    const form = new FormData(event.target)
    const body = {
      displayName: String(form.get('displayName')).trim(),
      username: String(form.get('username')).trim(),
      bio: String(form.get('bio')),
      preferredLanguage: form.get('preferredLanguage'),
    }
    if (body.username === s.me.username) delete body.username
    s.saving = true
    s.error = null
    app.update()
    try {
      accept(await api('PATCH', '/users/me', body))
      app.notify('Profile saved')
    } catch (error) {
      s.error = error
    }
    s.saving = false
    app.update()
  }

  async function upload (event) {
    const file = event.target.files?.[0]
    event.target.value = ''
    if (!file) return
    s.avatarError = null
    if (!AVATAR_TYPES.includes(file.type)) s.avatarError = 'Choose a PNG, JPEG or WebP image.'
    else if (file.size > AVATAR_MAX_BYTES) s.avatarError = 'The image is over 2 MiB.'
    if (s.avatarError) return app.update()
    s.uploading = true
    app.update()
    try {
      const target = await api('POST', '/users/me/avatar', { contentType: file.type, size: file.size })
      const sent = await fetch(target.uploadUrl, { method: target.method, headers: target.headers, body: file })
      if (!sent.ok) {
        const body = await sent.json().catch(() => null)
        throw new Error(body?.message || `the upload failed (${sent.status})`)
      }
      accept(await api('POST', '/users/me/avatar/confirm', { key: target.key }))
      app.notify('Avatar updated')
    } catch (error) {
      s.avatarError = error.message
    }
    s.uploading = false
    app.update()
  }

  async function removeAvatar () {
    try {
      await api('DELETE', '/users/me/avatar')
      accept(await api('GET', '/users/me'))
    } catch (error) {
      s.avatarError = error.message
    }
    app.update()
  }

  async function changePassword (event) {
    event.preventDefault()
    const form = new FormData(event.target)
    try {
      await api('POST', '/auth/change-password', {
        currentPassword: String(form.get('currentPassword')),
        newPassword: String(form.get('newPassword')),
      })
      // The change revoked every access token, this page's too: take a new one now (the refresh cookie's family
      // is kept), before anything else (the event socket closing with 4001) asks for it, or a reload cuts it short.
      await refresh(session()?.token)
      s.password = { done: true }
      event.target.reset()
    } catch (error) {
      s.password = { error }
    }
    app.update()
  }

  const fieldError = (name) => (s.error?.details?.[name] ? html`<small class="error">${s.error.details[name]}</small>` : '')

  return {
    title: 'Profile',
    render: () => {
      const me = s.me
      return html`<h1>Your profile</h1>
        <div class="columns">
          <section class="card" aria-labelledby="avatar-title">
            <h2 id="avatar-title">Avatar</h2>
            <div class="avatar-row">
              ${avatar(me, 96)}
              <div>
                <label class="button" for="avatar-file">${s.uploading ? 'Uploading…' : 'Upload an image'}</label>
                <input id="avatar-file" class="visually-hidden" type="file" accept=${AVATAR_TYPES.join(',')}
                  aria-label="Avatar image" ?disabled=${s.uploading} @change=${upload} />
                ${me.avatarUrl ? html`<button class="link" @click=${removeAvatar}>Remove</button>` : ''}
                <p class="muted small">PNG, JPEG or WebP, up to 2 MiB.</p>
              </div>
            </div>
            ${s.avatarError ? html`<p class="error" role="alert">${s.avatarError}</p>` : ''}
            <dl class="facts">
              <dt>Email</dt><dd>${me.email}</dd>
              <dt>Member since</dt><dd>${when(me.createdAt)}</dd>
              <dt>Sessions</dt><dd>${me.stats.totalSessions}</dd>
              <dt>Problems solved</dt><dd>${me.stats.problemsSolved}</dd>
              <dt>Streak</dt><dd>${me.stats.streakDays} days</dd>
            </dl>
          </section>
          <section class="card" aria-labelledby="details-title">
            <h2 id="details-title">Details</h2>
            <form @submit=${save}>
              <div class="field">
                <label for="profile-display">Display name</label>
                <input id="profile-display" name="displayName" maxlength="60" .value=${me.displayName || ''} autocomplete="name" />
                ${fieldError('displayName')}
              </div>
              <div class="field">
                <label for="profile-username">Username</label>
                <input id="profile-username" name="username" minlength="3" maxlength="30" .value=${me.username} autocomplete="username" required />
                ${fieldError('username')}
              </div>
              <div class="field">
                <label for="profile-language">Preferred language</label>
                <select id="profile-language" name="preferredLanguage">
                  ${LANGUAGES.map(([id, name]) => html`<option value=${id} ?selected=${id === (me.preferredLanguage || 'python')}>${name}</option>`)}
                </select>
              </div>
              <div class="field">
                <label for="profile-bio">Bio</label>
                <textarea id="profile-bio" name="bio" maxlength="500" rows="3" .value=${me.bio || ''}></textarea>
                ${fieldError('bio')}
              </div>
              ${s.error ? html`<p class="error" role="alert">${s.error.message}</p>` : ''}
              <button class="primary" type="submit" ?disabled=${s.saving}>${s.saving ? 'Saving…' : 'Save'}</button>
            </form>
          </section>
        </div>
        <section class="card" aria-labelledby="password-title">
          <h2 id="password-title">Change password</h2>
          <form class="row" @submit=${changePassword}>
            <label class="visually-hidden" for="current-password">Current password</label>
            <input id="current-password" name="currentPassword" type="password" placeholder="Current password" autocomplete="current-password" required />
            <label class="visually-hidden" for="new-password">New password</label>
            <input id="new-password" name="newPassword" type="password" placeholder="New password (8+ characters)" minlength="8" autocomplete="new-password" required />
            <button type="submit">Change password</button>
          </form>
          ${s.password?.done ? html`<p role="status">Password changed; your other devices were signed out.</p>` : ''}
          ${s.password?.error ? html`<p class="error" role="alert">${s.password.error.message}</p>` : ''}
        </section>`
    },
  }
}
