// Sign in and register. Both return to `?next=` (the page the person was on) when done.

import { html } from 'lit-html'
import { api, register, signIn } from '../api.js'
import { safeNext } from '../util.js'

function withNext (path, next) {
  return next && next !== '/' ? `${path}?next=${encodeURIComponent(next)}` : path
}

function fieldErrors (error) {
  return error?.details && typeof error.details === 'object' ? error.details : {}
}

function errorBox (error) {
  return error ? html`<p class="error" role="alert">${error.message}</p>` : ''
}

function field (id, label, attrs, errors, hint = '') {
  const problem = errors[attrs.name]
  return html`<div class="field">
    <label for=${id}>${label}</label>
    <input id=${id} name=${attrs.name} type=${attrs.type || 'text'} autocomplete=${attrs.autocomplete || 'off'}
      ?required=${attrs.required !== false} minlength=${attrs.minlength || 0} maxlength=${attrs.maxlength || 200}
      aria-invalid=${problem ? 'true' : 'false'} aria-describedby=${problem || hint ? `${id}-note` : ''} />
    ${problem || hint ? html`<small id="${id}-note" class=${problem ? 'error' : 'muted'}>${problem || hint}</small>` : ''}
  </div>`
}

export function SignInView (app) {
  const next = safeNext(app.query().get('next'))
  const state = { busy: false, error: null }
  async function submit (event) {
    event.preventDefault()
    const form = new FormData(event.target)
    state.busy = true
    state.error = null
    app.update()
    try {
      await signIn(String(form.get('identifier')).trim(), String(form.get('password')))
      app.navigate(next, { replace: true })
    } catch (error) {
      state.error = error
      state.busy = false
      app.update()
    }
  }
  return {
    title: 'Sign in',
    render: () => html`<section class="card auth">
      <h1>Sign in</h1>
      ${next !== '/' ? html`<p class="muted">Sign in to continue where you were.</p>` : ''}
      <form @submit=${submit} novalidate>
        ${field('signin-identifier', 'Email or username', { name: 'identifier', autocomplete: 'username' }, {})}
        ${field('signin-password', 'Password', { name: 'password', type: 'password', autocomplete: 'current-password' }, {})}
        ${errorBox(state.error)}
        <button class="primary" type="submit" ?disabled=${state.busy}>${state.busy ? 'Signing in…' : 'Sign in'}</button>
      </form>
      <p><a href="/forgot-password">Forgot your password?</a></p>
      <p>New here? <a href=${withNext('/register', next)}>Create an account</a></p>
    </section>`,
  }
}

export function RegisterView (app) {
  const next = safeNext(app.query().get('next'))
  const state = { busy: false, error: null }
  async function submit (event) {
    event.preventDefault()
    const form = new FormData(event.target)
    const fields = {
      email: String(form.get('email')).trim(),
      username: String(form.get('username')).trim(),
      password: String(form.get('password')),
    }
    const displayName = String(form.get('displayName') || '').trim()
    if (displayName) fields.displayName = displayName
    state.busy = true
    state.error = null
    app.update()
    try {
      await register(fields)
      app.navigate(next, { replace: true })
    } catch (error) {
      state.error = error
      state.busy = false
      app.update()
    }
  }
  return {
    title: 'Create an account',
    render: () => {
      const errors = fieldErrors(state.error)
      return html`<section class="card auth">
        <h1>Create an account</h1>
        <form @submit=${submit} novalidate>
          ${field('register-email', 'Email', { name: 'email', type: 'email', autocomplete: 'email' }, errors)}
          ${field('register-username', 'Username', { name: 'username', autocomplete: 'username', minlength: 3, maxlength: 30 }, errors, '3 to 30 letters, digits or _')}
          ${field('register-display', 'Display name (optional)', { name: 'displayName', autocomplete: 'name', required: false, maxlength: 60 }, errors)}
          ${field('register-password', 'Password', { name: 'password', type: 'password', autocomplete: 'new-password', minlength: 8, maxlength: 128 }, errors, 'At least 8 characters')}
          ${errorBox(state.error)}
          <button class="primary" type="submit" ?disabled=${state.busy}>${state.busy ? 'Creating…' : 'Create account'}</button>
        </form>
        <p>Already registered? <a href=${withNext('/signin', next)}>Sign in</a></p>
      </section>`
    },
  }
}

export function ForgotView (app) {
  const state = { busy: false, error: null, sent: false }
  async function submit (event) {
    event.preventDefault()
    state.busy = true
    state.error = null
    app.update()
    try {
      await api('POST', '/auth/forgot-password', { email: String(new FormData(event.target).get('email')).trim() }, { auth: false })
      state.sent = true
    } catch (error) {
      state.error = error
    }
    state.busy = false
    app.update()
  }
  return {
    title: 'Forgot password',
    render: () => html`<section class="card auth">
      <h1>Forgot your password?</h1>
      ${state.sent
        ? html`<p role="status">If an account has this address, a mail with a link to choose a new password is on its way.
            The link works once, for 30 minutes.</p>`
        : html`<form @submit=${submit} novalidate>
            ${field('forgot-email', 'Email', { name: 'email', type: 'email', autocomplete: 'email' }, fieldErrors(state.error))}
            ${errorBox(state.error)}
            <button class="primary" type="submit" ?disabled=${state.busy}>${state.busy ? 'Sending…' : 'Send the link'}</button>
          </form>`}
      <p><a href="/signin">Back to sign in</a></p>
    </section>`,
  }
}

export function ResetView (app) {
  const token = app.query().get('token') || ''
  const state = { busy: false, error: null, done: false }
  async function submit (event) {
    event.preventDefault()
    const form = new FormData(event.target)
    const password = String(form.get('newPassword'))
    if (password !== String(form.get('repeat'))) {
      state.error = { message: 'The two passwords differ.', details: { repeat: 'does not match' } }
      app.update()
      return
    }
    state.busy = true
    state.error = null
    app.update()
    try {
      await api('POST', '/auth/reset-password', { token, newPassword: password }, { auth: false })
      state.done = true
    } catch (error) {
      state.error = error
    }
    state.busy = false
    app.update()
  }
  return {
    title: 'Choose a new password',
    render: () => html`<section class="card auth">
      <h1>Choose a new password</h1>
      ${state.done
        ? html`<p role="status">Your password has been changed; every device was signed out.</p>
            <p><a class="button primary" href="/signin">Sign in</a></p>`
        : !token
          ? html`<p class="error" role="alert">This link has no reset token. <a href="/forgot-password">Ask for a new link</a>.</p>`
          : html`<form @submit=${submit} novalidate>
              ${field('reset-password', 'New password', { name: 'newPassword', type: 'password', autocomplete: 'new-password', minlength: 8, maxlength: 128 }, fieldErrors(state.error), 'At least 8 characters')}
              ${field('reset-repeat', 'Repeat the new password', { name: 'repeat', type: 'password', autocomplete: 'new-password', minlength: 8, maxlength: 128 }, fieldErrors(state.error))}
              ${errorBox(state.error)}
              ${state.error?.code === 'INVALID_RESET_TOKEN' ? html`<p><a href="/forgot-password">Ask for a new link</a></p>` : ''}
              <button class="primary" type="submit" ?disabled=${state.busy}>${state.busy ? 'Saving…' : 'Save the new password'}</button>
            </form>`}
    </section>`,
  }
}
