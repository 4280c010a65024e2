import{a as I}from"./chunk-BAH5JKSX.js";import{a,b as k,g as D,k as b,q as v,s as j,t as N,w as q,x as f}from"./chunk-JG2AL5AS.js";var U=5,O={width:600,height:150,pad:22},F={edge_cases:"Edge cases",time_complexity:"Time complexity",space_complexity:"Space complexity",variable_naming:"Variable naming",code_structure:"Code structure",off_by_one:"Off-by-one errors",input_validation:"Input validation",communication:"Communication"},G={improving:"↓ improving",stable:"→ stable",worsening:"↑ worsening"},H=l=>l>=60?`${Math.floor(l/60)} h ${l%60} min`:`${l} min`,$=(l,o,m=`${o}s`)=>`${l} ${l===1?o:m}`;function R(l){let o={stats:null,sessions:null,quotas:null,weaknesses:null,errors:{},bucket:"day"},m=(e,r,c=i=>i)=>b("GET",r).then(i=>{o[e]=c(i)}).catch(i=>{o.errors[e]=i}).finally(l.update),s=()=>m("stats",`/users/me/stats?bucket=${o.bucket}`);s(),m("sessions",`/sessions?limit=${U}`,e=>e.data),m("quotas","/users/me/quotas"),m("weaknesses","/users/me/weaknesses",e=>e.data);let u=(e,r)=>o.errors[e]?a`<p class="error" role="alert">${r} could not be loaded: ${o.errors[e].message}</p>`:a`<p class="muted" role="status">Loading ${r.toLowerCase()}…</p>`;function E(){let e=o.stats;if(!e)return u("stats","Statistics");let r=e.totals,c=r.acceptanceRate==null?"–":`${Math.round(r.acceptanceRate*100)}%`;return a`<dl class="tiles">
        <div><dt>Sessions</dt><dd>${r.sessions}</dd></div>
        <div><dt>Problems solved</dt><dd>${r.problemsSolved}</dd></div>
        <div><dt>Submissions</dt><dd>${r.submissions}</dd></div>
        <div><dt>Accepted</dt><dd>${c}</dd></div>
        <div><dt>Practice</dt><dd>${H(r.practiceMinutes)}</dd></div>
        <div><dt>Streak</dt><dd>${$(e.streakDays,"day")}</dd></div>
      </dl>
      ${S(e.series)}
      ${Object.keys(r.byLanguage||{}).length?a`<p class="muted small">By language: ${Object.entries(r.byLanguage).map(([i,p])=>`${v(i)} ${p.accepted}/${p.submissions}`).join(" · ")}</p>`:""}`}function S(e){let{width:r,height:c,pad:i}=O,p=e.length||1,h=o.bucket==="week"?"week":"day",C=n=>h==="week"?`week of ${new Date(n.start).toLocaleDateString()}`:new Date(n.start).toLocaleDateString(),M=Math.max(1,...e.map(n=>Math.max(n.submissions,n.sessions))),A=(r-i)/p,w=Math.max(2,A*.7),y=n=>c-i-n/M*(c-2*i),L=e.filter(n=>n.sessions||n.submissions),T=L.length?`Last ${$(p,h)}: ${L.map(n=>`${C(n)}: ${$(n.sessions,"session")}, ${n.accepted} of ${$(n.submissions,"submission")} accepted`).join("; ")}`:`No practice in the last ${$(p,h)}`;return a`<figure class="chart">
      <svg viewBox="0 0 ${r} ${c}" role="img" aria-label=${T}>
        ${k`<line x1=${i} y1=${c-i} x2=${r} y2=${c-i} class="axis" />
          <text x="0" y=${i} class="axis-label">${M}</text>
          <text x="0" y=${c-i} class="axis-label">0</text>`}
        ${e.map((n,_)=>{let P=i+_*A+(A-w)/2,B=`${C(n)}: ${$(n.sessions,"session")}, ${n.accepted}/${n.submissions} accepted`;return k`<g class="day"><title>${B}</title>
            <rect x=${P} y=${y(n.submissions)} width=${w} height=${c-i-y(n.submissions)} class="subs" />
            <rect x=${P} y=${y(n.accepted)} width=${w} height=${c-i-y(n.accepted)} class="acc" />
            ${n.sessions?k`<circle cx=${P+w/2} cy=${y(n.sessions)} r="3.5" class="sess" />`:""}</g>`})}
      </svg>
      <figcaption class="muted small">
        <span class="key subs"></span> submissions <span class="key acc"></span> accepted
        <span class="key sess"></span> sessions — per ${h}, last ${$(p,h)}
      </figcaption>
    </figure>`}function x(){return o.sessions?o.sessions.length?a`<ul class="rooms recent">
        ${o.sessions.map(e=>a`<li>
          <a href="/sessions/${e.id}">${e.problem?.title||"No problem"}</a>
          ${e.overallScore!=null?a`<span class="pill">score ${Math.round(e.overallScore)}</span>`:""}
          ${e.verdict?a`<span class="pill ${e.verdict==="accepted"?"diff-easy":"diff-hard"}">${N(e.verdict)}</span>`:""}
          <span class="muted">${e.mode==="ai"?"AI interview":"Peer"} · ${v(e.language)} · ${e.myRole} ·
            ${f(e.startedAt)} · ${q(e.durationSec||0)}</span>
        </li>`)}
      </ul>
      <p><a href="/sessions">All sessions</a></p>`:a`<p class="muted">No sessions yet: a session is recorded once a room starts its warm-up.</p>`:u("sessions","Sessions")}function g(e,r,c,i=""){let p=c?Math.min(100,Math.round(r/c*100)):0;return a`<div class="meter">
      <span>${e}</span><span class="muted">${r} / ${c}${i}</span>
      <progress max="100" value=${p} aria-label="${e}: ${r} of ${c}"></progress>
    </div>`}function t(){let e=o.quotas;if(!e)return u("quotas","Quotas");let r=i=>(i/1048576).toFixed(1),c=i=>i.resetsAt?a`<p class="muted small">Daily limits reset ${f(i.resetsAt)}.</p>`:"";return a`${g("Code runs today",e.executions.used,e.executions.limit)}
      ${g("AI requests today",e.ai.used,e.ai.limit)}
      ${g("Active rooms",e.rooms.active,e.rooms.maxActive)}
      ${g("Storage (MiB)",r(e.storage.usedBytes),r(e.storage.limitBytes))}
      ${c(e.executions)}`}function d(){return o.weaknesses?o.weaknesses.length?a`<ul class="weaknesses">
      ${o.weaknesses.map(e=>a`<li>
        <strong>${F[e.category]||e.category}</strong>
        <span class="pill trend-${e.trend}">${G[e.trend]||e.trend}</span>
        <span class="muted small">seen ${$(e.frequency,"time")}, last ${f(e.lastSeenAt)}</span>
        <p>${e.description}</p>
      </li>`)}
    </ul>`:a`<p class="muted">None found yet: they come from your session reports.</p>`:u("weaknesses","Weaknesses")}return{render:()=>a`<section class="card" aria-labelledby="stats-title">
        <div class="row spread">
          <h2 id="stats-title">Training statistics</h2>
          <label class="inline small">Chart
            <select class="small" @change=${e=>{o.bucket=e.target.value,o.stats=null,s()}}>
              <option value="day" ?selected=${o.bucket==="day"}>per day</option>
              <option value="week" ?selected=${o.bucket==="week"}>per week</option>
            </select></label>
        </div>
        ${E()}
      </section>
      <div class="columns">
        <section class="card" aria-labelledby="recent-title">
          <h2 id="recent-title">Recent sessions</h2>
          ${x()}
        </section>
        <div>
          <section class="card" aria-labelledby="quotas-title">
            <h2 id="quotas-title">Quotas</h2>
            ${t()}
          </section>
          <section class="card" aria-labelledby="weak-title">
            <h2 id="weak-title">Weaknesses</h2>
            ${d()}
          </section>
        </div>
      </div>`}}var W=5;async function K(){let l=[],o=null;for(let m=0;m<W;m++){let s=new URLSearchParams({limit:"100",sortBy:"title",sortOrder:"asc"});o&&s.set("cursor",o);let u=await b("GET",`/problems?${s}`);if(l.push(...u.data),!u.pagination.hasMore)break;o=u.pagination.nextCursor}return l}function te(l){let o=D().user,m=R(l),s={rooms:null,roomsError:null,active:null,problems:null,problemsError:null,filter:"",creating:!1,createError:null,joinError:null};b("GET","/rooms?limit=50").then(t=>{s.rooms=t.data}).catch(t=>{s.roomsError=t}).finally(l.update),b("GET","/users/me/active-room").then(t=>{s.active=t?.room||null}).catch(()=>{}).finally(l.update),K().then(t=>{s.problems=t}).catch(t=>{s.problemsError=t}).finally(l.update);async function u(t){t.preventDefault();let d=new FormData(t.target),e={mode:d.get("mode"),language:d.get("language")},r=String(d.get("name")||"").trim();r&&(e.name=r),d.get("problemId")&&(e.problemId=d.get("problemId")),s.creating=!0,s.createError=null,l.update();try{let c=await b("POST","/rooms",e,{headers:{"Idempotency-Key":crypto.randomUUID()}});l.navigate(`/rooms/${c.id}`)}catch(c){s.createError=c,s.creating=!1,l.update()}}function E(t){t.preventDefault();let d=String(new FormData(t.target).get("code")||"").trim().toUpperCase();if(!/^[A-Z0-9]{4,12}$/.test(d)){s.joinError="An invite code is 6 letters and digits, as in K7QX2M.",l.update();return}l.navigate(`/join/${d}`)}let S=t=>{let d=s.filter.toLowerCase();return(s.problems||[]).filter(e=>e.difficulty===t&&(!d||e.title.toLowerCase().includes(d)||e.tags.some(r=>r.includes(d))))};function x(){return s.problemsError?a`<p class="error" role="alert">Problems could not be loaded: ${s.problemsError.message}</p>`:a`<div class="field">
        <label for="problem-filter">Find a problem</label>
        <input id="problem-filter" type="search" placeholder="Title or tag" autocomplete="off"
          @input=${t=>{s.filter=t.target.value,l.update()}} />
      </div>
      <div class="field">
        <label for="create-problem">Problem</label>
        <select id="create-problem" name="problemId" ?disabled=${!s.problems}>
          <option value="">${s.problems?"Choose later":"Loading problems…"}</option>
          ${["easy","medium","hard"].map(t=>{let d=S(t);return d.length?a`<optgroup label=${t[0].toUpperCase()+t.slice(1)}>
                  ${d.map(e=>a`<option value=${e.id}>${e.title}</option>`)}
                </optgroup>`:""})}
        </select>
      </div>`}function g(){return s.roomsError?a`<p class="error" role="alert">${s.roomsError.message}</p>`:s.rooms?s.rooms.length?a`<ul class="rooms">
      ${s.rooms.map(t=>a`<li>
        <a href="/rooms/${t.id}">${t.name||t.problem?.title||"Untitled room"}</a>
        <span class="pill phase-${t.status}">${j[t.status]||t.status}</span>
        <span class="muted">${t.mode==="ai"?"AI interview":"Peer"} · ${v(t.language)}
          ${t.myRole?a` · ${t.myRole}`:""} · ${f(t.createdAt)}</span>
      </li>`)}
    </ul>`:a`<p class="muted">No rooms yet. Create one, or join with a code.</p>`:a`<p class="muted" role="status">Loading your rooms…</p>`}return{title:"Home",render:()=>a`
      <h1>Welcome, ${o.displayName||o.username}</h1>
      ${s.active?a`<section class="card banner" aria-labelledby="active-title">
            <h2 id="active-title">You are in a room</h2>
            <p>${s.active.name||s.active.problem?.title||"Untitled room"} ·
              ${j[s.active.status]}</p>
            <a class="button primary" href="/rooms/${s.active.id}">Back to the room</a>
          </section>`:""}
      <div class="columns">
        <section class="card" aria-labelledby="create-title">
          <h2 id="create-title">Create a room</h2>
          <form @submit=${u}>
            ${I(o.preferredLanguage||"python")}
            ${x()}
            <div class="field">
              <label for="create-name">Room name (optional)</label>
              <input id="create-name" name="name" maxlength="100" autocomplete="off" />
            </div>
            ${s.createError?a`<p class="error" role="alert">${s.createError.message}</p>`:""}
            <button class="primary" type="submit" ?disabled=${s.creating}>${s.creating?"Creating…":"Create room"}</button>
          </form>
          <p class="muted small">Timers and more: <a href="/problems">pick a problem</a> and create the room from its page,
            or <a href="/match">get matched with a partner</a>.</p>
        </section>
        <div>
          <section class="card" aria-labelledby="join-title">
            <h2 id="join-title">Join with a code</h2>
            <form @submit=${E} class="row">
              <label for="join-code" class="visually-hidden">Invite code</label>
              <input id="join-code" name="code" placeholder="Invite code" autocomplete="off" autocapitalize="characters"
                maxlength="12" aria-describedby=${s.joinError?"join-error":""} />
              <button type="submit">Join</button>
            </form>
            ${s.joinError?a`<p id="join-error" class="error" role="alert">${s.joinError}</p>`:""}
          </section>
          <section class="card" aria-labelledby="rooms-title">
            <h2 id="rooms-title">My rooms</h2>
            ${g()}
          </section>
        </div>
      </div>
      ${m.render()}`}}export{K as a,te as b};
