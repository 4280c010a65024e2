import{a as e,p as a}from"./chunk-JG2AL5AS.js";function o(i){return e`<fieldset class="field">
      <legend>Mode</legend>
      <label class="inline"><input type="radio" name="mode" value="peer" checked /> Peer interview</label>
      <label class="inline"><input type="radio" name="mode" value="ai" /> AI interviewer</label>
    </fieldset>
    <div class="field">
      <label for="create-language">Language</label>
      <select id="create-language" name="language">
        ${a.map(([l,n])=>e`<option value=${l} ?selected=${l===i}>${n}</option>`)}
      </select>
    </div>`}export{o as a};
