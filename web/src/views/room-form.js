// The fields every create-room form starts with (home's quick form and a problem's page): mode and language.
import { html } from 'lit-html'
import { LANGUAGES } from '../util.js'

export function modeAndLanguageFields (preferred) {
  return html`<fieldset class="field">
      <legend>Mode</legend>
      <label class="inline"><input type="radio" name="mode" value="peer" checked /> Peer interview</label>
      <label class="inline"><input type="radio" name="mode" value="ai" /> AI interviewer</label>
    </fieldset>
    <div class="field">
      <label for="create-language">Language</label>
      <select id="create-language" name="language">
        ${LANGUAGES.map(([id, name]) => html`<option value=${id} ?selected=${id === preferred}>${name}</option>`)}
      </select>
    </div>`
}
