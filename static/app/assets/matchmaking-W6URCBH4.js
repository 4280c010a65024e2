import{a as y}from"./chunk-FF7PHZC6.js";import{a as s,g as b,k as r,p as w,q as v,v as m,w as k}from"./chunk-JG2AL5AS.js";import"./chunk-O2XFH626.js";var P={searching:5e3,proposed:2e3},I="syncode.match-prefs",F=[["candidate","Candidate"],["interviewer","Interviewer"]],M=["easy","medium","hard"];function N(){try{return JSON.parse(localStorage.getItem(I))||null}catch{return null}}function U(n){let f=b().user,t={status:null,error:null,busy:!1,tags:[],prefs:N()||{languages:[f.preferredLanguage||"python"],difficulties:[],topics:[],roles:[]},now:Date.now(),note:null},c=null,i=null,u=!1;async function l(){try{let e=await r("GET","/matchmaking/status");if(u)return;if(t.status=e,t.error=null,e.status==="matched"&&e.match?.roomId)return n.navigate(`/rooms/${e.match.roomId}`)}catch(e){t.error=e}S(),n.update()}function S(){clearTimeout(c);let e=P[t.status?.status];e&&!u&&(c=setTimeout(l,e)),clearInterval(i),(t.status?.status==="searching"||t.status?.status==="proposed")&&(i=setInterval(()=>{t.now=Date.now(),n.update()},1e3))}let h={"match.expired":e=>e.status==="searching"?"The proposal expired; you are back in the queue.":"The proposal expired without your answer; you left the queue.","match.declined":e=>e.declinedBy===f.id?"You declined; you left the queue.":"Your partner declined; you are back in the queue at your old place."},T=["match.proposed","match.matched","match.ready","match.expired","match.declined","match.accepted"].map(e=>y.on(e,({data:a})=>{t.note=h[e]?h[e](a||{}):null,l()}));l(),r("GET","/problems/tags").then(e=>{t.tags=e.data,n.update()}).catch(()=>{});async function d(e){t.busy=!0,t.error=null,n.update();try{await e()}catch(a){t.error=a}t.busy=!1,await l()}function L(e){e.preventDefault();let a=new FormData(e.target);t.prefs={languages:a.getAll("languages"),difficulties:a.getAll("difficulties"),topics:a.getAll("topics"),roles:a.getAll("roles")},localStorage.setItem(I,JSON.stringify(t.prefs)),t.note=null,d(()=>r("POST","/matchmaking/queue",{...t.prefs,mode:"peer"}))}let E=()=>d(()=>r("DELETE","/matchmaking/queue")),g=e=>d(async()=>{let a=encodeURIComponent(t.status.match.matchId);e?t.status=await r("POST",`/matchmaking/matches/${a}/accept`):await r("POST",`/matchmaking/matches/${a}/decline`)}),p=(e,a,o)=>a.map(([$,O])=>s`<label class="inline"><input type="checkbox" name=${e} value=${$}
      ?checked=${o.includes($)} /> ${O}</label>`);function A(){let e=t.prefs;return s`<form @submit=${L} aria-labelledby="prefs-title">
      <h2 id="prefs-title">What would you like to practise?</h2>
      <p class="muted small">Leave a group empty for “any”.</p>
      <fieldset class="field"><legend>Languages</legend>${p("languages",w,e.languages)}</fieldset>
      <fieldset class="field"><legend>Difficulty</legend>
        ${p("difficulties",M.map(a=>[a,a[0].toUpperCase()+a.slice(1)]),e.difficulties)}</fieldset>
      <fieldset class="field"><legend>My role</legend>${p("roles",F,e.roles)}</fieldset>
      <div class="field">
        <label for="match-topics">Topics</label>
        <select id="match-topics" name="topics" multiple size="5">
          ${t.tags.map(a=>s`<option value=${a.slug} ?selected=${e.topics.includes(a.slug)}>${a.name}</option>`)}
        </select>
      </div>
      <button class="primary" type="submit" ?disabled=${t.busy}>Find a partner</button>
    </form>`}function q(e){let a=e.queuedAt?Math.max(0,(t.now-Date.parse(e.queuedAt))/1e3):0;return s`<div role="status" class="searching">
        <h2>Looking for a partner…</h2>
        <p><span class="spinner" aria-hidden="true"></span> Waiting ${k(a)}
          ${e.position?s` · place ${e.position} in the queue`:""}</p>
      </div>
      <button ?disabled=${t.busy} @click=${E}>Leave the queue</button>`}function D(e){let a=Math.max(0,Math.ceil((Date.parse(e.expiresAt)-t.now)/1e3)),o=e.opponent;return s`<div class="proposal" aria-labelledby="proposal-title">
      <h2 id="proposal-title">Partner found</h2>
      <p class="countdown" role="timer" aria-live="off">${a} s left to answer</p>
      <dl class="facts">
        <dt>Partner</dt><dd>${m(o)} <span class="muted">@${o.username} · ${o.problemsSolved} solved</span></dd>
        <dt>Problem</dt><dd>${e.problem?s`${e.problem.title} <span class="pill diff-${e.problem.difficulty}">${e.problem.difficulty}</span>`:"chosen in the room"}</dd>
        <dt>Language</dt><dd>${v(e.language)}</dd>
        <dt>Your role</dt><dd>${e.myRole}</dd>
      </dl>
      ${e.accepted?s`<p role="status">You accepted. ${e.opponentAccepted?"Opening the room…":`Waiting for ${m(o)}…`}</p>`:s`<div class="row">
            <button class="primary" ?disabled=${t.busy||!a} @click=${()=>g(!0)}>Accept</button>
            <button ?disabled=${t.busy||!a} @click=${()=>g(!1)}>Decline</button>
          </div>`}
    </div>`}function x(){let e=t.status;return e?e.status==="searching"?q(e):e.status==="proposed"&&e.match?D(e.match):e.status==="matched"&&e.match?.roomId?s`<p>Matched. <a href="/rooms/${e.match.roomId}">Go to the room</a></p>`:A():s`<p class="muted" role="status">Loading…</p>`}return{title:"Find a partner",destroy(){u=!0,clearTimeout(c),clearInterval(i),T.forEach(e=>e())},render:()=>s`<h1>Find a practice partner</h1>
      <section class="card match">
        ${t.note?s`<p class="banner" role="status">${t.note}</p>`:""}
        ${x()}
        ${t.error?s`<p class="error" role="alert">${t.error.message}</p>`:""}
      </section>`}}export{U as MatchmakingView};
