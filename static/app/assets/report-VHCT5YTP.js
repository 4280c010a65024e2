import{a as P}from"./chunk-FF7PHZC6.js";import{a as s,g as C,k as c,q as f,s as S,t as v,v as N,w as l,x as I}from"./chunk-JG2AL5AS.js";import"./chunk-O2XFH626.js";var z=[["correctness","Correctness"],["efficiency","Efficiency"],["codeQuality","Code quality"],["problemSolving","Problem solving"],["communication","Communication"]],X=[["problemSolving","Problem solving"],["communication","Communication"],["codeQuality","Code quality"],["testing","Testing"],["overall","Overall"]],R={run:"Run",submission:"Submission",phase:"Phase",hint:"Hint",pause:"Pause"},Z=2e3,ee=120,te=5e3,se=400;async function oe(d,E){let x=C().user,p=`/sessions/${encodeURIComponent(E)}`,a={detail:null,report:null,pendingSince:Date.now(),events:null,snapshots:null,feedback:null,ai:null,marks:null,at:0,moment:null,loadingMoment:!1,playing:null,line:null},u=!0,M=new Set,L=(e,t)=>{let i=setTimeout(()=>{M.delete(i),u&&e()},t);M.add(i)};try{a.detail=await c("GET",p)}catch(e){let t=e.status===404?"There is no such session.":e.status===403?"This session is not yours to see.":e.message;return{title:"Session",render:()=>s`<h1>Session unavailable</h1><p class="error" role="alert">${t}</p><p><a href="/sessions">My sessions</a></p>`}}let r=a.detail,D=new Map(r.participants.map(e=>[e.userId,e])),m=e=>e===x.id?"You":e?N(D.get(e)):"SynCode",y=Date.parse(r.startedAt),h=(e,t)=>e.then(i=>{a[t]=i}).catch(i=>{a[t]={error:i}}).finally(()=>d.update());async function k(){try{a.report=await c("GET",`${p}/report`)}catch(e){a.report={error:e}}d.update(),u&&a.report.status==="pending"&&L(k,Z)}k(),h(c("GET",`${p}/events`).then(e=>e.data),"events"),h(c("GET",`${p}/snapshots?limit=50&sortOrder=asc`).then(e=>e.data),"snapshots"),h(c("GET",`${p}/feedback`).then(e=>e.data),"feedback"),h(c("GET",`${p}/ai-messages`).then(e=>e.data),"ai"),h(c("GET",`${p}/replay/marks`),"marks").then(()=>{a.marks.error||g(a.marks.durationMs)});let G=P.on("report.ready",e=>{u&&e.data?.sessionId===E&&k()}),w=null,b=0;function g(e){let t=a.marks?.durationMs??0;a.at=Math.max(0,Math.min(t,Math.round(e))),d.update(),clearTimeout(w),w=setTimeout(O,ee)}async function O(){let e=++b,t=a.at;a.loadingMoment=!0,d.update();try{let i=await c("GET",`${p}/replay?at=${t}`);e===b&&u&&(a.moment=i)}catch(i){e===b&&u&&(a.moment={error:i}),$()}finally{e===b&&(a.loadingMoment=!1),d.update()}}function B(){if(a.playing)return $();a.at>=(a.marks?.durationMs??0)&&(a.at=0),a.playing=setInterval(()=>{let e=a.marks.durationMs;if(a.at>=e)return $();g(a.at+te)},se),d.update()}function $(){clearInterval(a.playing),a.playing=null,d.update()}let V=e=>{document.getElementById("replay")?.scrollIntoView({behavior:"smooth",block:"start"}),g(Date.parse(e)-y)};function T(e,t,i=null){let o=String(e??"").replace(/\n$/,"").split(`
`);return s`<pre class="numbered" aria-label="Code"><code>${o.map((n,A)=>s`<span
      class="line ${i===A+1?"hit":""}" id=${t?`${t}${A+1}`:""} tabindex=${t?"-1":""}><span class="ln" aria-hidden="true">${A+1}</span>${n}
</span>`)}</code></pre>`}function Y(e){a.line=e,d.update(),requestAnimationFrame(()=>{let t=document.getElementById(`code-L${e}`);t?.scrollIntoView({behavior:"smooth",block:"center"}),t?.focus({preventScroll:!0})})}function q(e){return e.type==="code_line"&&Number(e.reference)>0&&r.finalCode?s`<li><button class="link" @click=${()=>Y(Number(e.reference))}>line ${e.reference}</button> ${e.description}</li>`:e.type==="event"&&a.events?.some?.(t=>t.id===e.reference)?s`<li><a href="#event-${e.reference}">timeline</a> ${e.description}</li>`:s`<li>${e.description}</li>`}function j(e){let t=e>=70?"good":e>=40?"fair":"weak";return s`<span class="score ${t}"><meter min="0" max="100" low="40" high="70" optimum="100" value=${e}></meter><strong>${e}</strong></span>`}function H(){let e=a.report;if(!e)return s`<p class="muted" role="status">Loading the report…</p>`;if(e.error){let t=e.error.status===403?"The training report is for the candidate (and the interviewer in a peer interview).":e.error.status===404?"The report is made once the session finishes.":e.error.message;return s`<p class="muted">${t}</p>`}if(e.status==="pending"){let t=Math.round((Date.now()-a.pendingSince)/1e3);return s`<div class="pending" role="status" aria-live="polite">
        <p><strong>Report pending…</strong> scoring the tests, the code and the timeline (${t} s).</p>
        <progress aria-label="The report is being made"></progress>
      </div>`}return e.status==="failed"?s`<p class="error" role="alert">The report could not be made.</p>`:s`<div class="overall">
        <span class="big-score" aria-label="Overall score">${e.overallScore??"–"}</span><span class="muted">/ 100 overall</span>
        ${e.history?s`<span class="pill">${e.history.trend}${e.history.averageScore!=null?` · your average ${e.history.averageScore}`:""}</span>`:""}
      </div>
      ${e.summary?s`<p>${e.summary}</p>`:""}
      <div class="dimensions">${z.filter(([t])=>e.dimensions?.[t]).map(([t,i])=>{let o=e.dimensions[t];return s`<section class="dimension" aria-label=${i}>
          <h3>${i} ${j(o.score)}</h3>
          <p>${o.summary}</p>
          ${o.evidence.length?s`<ul class="evidence">${o.evidence.map(q)}</ul>`:""}
        </section>`})}</div>
      <div class="columns">
        ${e.strengths.length?s`<div><h3>Strengths</h3><ul>${e.strengths.map(t=>s`<li>${t}</li>`)}</ul></div>`:""}
        ${e.improvements.length?s`<div><h3>To improve</h3><ul>${e.improvements.map(t=>s`<li>${t}</li>`)}</ul></div>`:""}
      </div>
      ${e.tests.length?s`<details><summary>Tests of the best submission (${e.tests.filter(t=>t.passed).length} / ${e.tests.length} passed)</summary>
          <table class="cases"><thead><tr><th scope="col">#</th><th scope="col">Verdict</th><th scope="col">Time</th></tr></thead>
          <tbody>${e.tests.map(t=>s`<tr><td>${t.index+1}${t.hidden?s` <span class="muted">(hidden)</span>`:""}</td>
            <td class=${t.passed?"good":"bad"}>${v(t.verdict)}</td><td>${t.timeMs!=null?`${t.timeMs} ms`:""}</td></tr>`)}</tbody></table></details>`:""}
      <p class="muted small">Prose by ${e.provider==="llm"?"the AI":"SynCode (offline)"}${e.generatedAt?` · ${I(e.generatedAt)}`:""}</p>`}function F(){let e=a.marks;if(!e)return s`<p class="muted" role="status">Loading the replay…</p>`;if(e.error)return s`<p class="muted">${e.error.message}</p>`;let t=Math.max(1,e.durationMs),i=Math.max(1,...e.density.map(n=>n.edits)),o=a.moment;return s`<div class="replay">
      <div class="density" aria-hidden="true">${e.density.map(n=>s`<span style="left:${n.at/t*100}%;height:${n.edits/i*100}%"></span>`)}</div>
      <div class="marks" aria-hidden="true">${e.marks.map(n=>s`<span class="mark mark-${n.type}" style="left:${n.at/t*100}%" title="${R[n.type]||n.type} at ${l(n.at/1e3)}"></span>`)}</div>
      <div class="row">
        <button @click=${B} aria-pressed=${a.playing?"true":"false"}>${a.playing?"Pause":"Play"}</button>
        <label for="replay-at" class="visually-hidden">Moment of the session</label>
        <input id="replay-at" class="scrubber" type="range" min="0" max=${e.durationMs} step="1000" .value=${String(a.at)}
          aria-valuetext="${l(a.at/1e3)} of ${l(e.durationMs/1e3)}"
          @input=${n=>{$(),g(Number(n.target.value))}} />
        <output for="replay-at" class="replay-time">${l(a.at/1e3)} / ${l(e.durationMs/1e3)}</output>
      </div>
      ${e.marks.length?s`<p class="jumps">Jump to: ${e.marks.map(n=>s`<button class="link small" @click=${()=>{$(),g(n.at)}}>
            ${R[n.type]||n.type}${n.type==="phase"&&n.ref?` ${S[n.ref]||n.ref}`:""} ${l(n.at/1e3)}</button>`)}</p>`:""}
      <div class="replay-view" aria-live="polite" aria-busy=${a.loadingMoment?"true":"false"}>
        ${o?o.error?s`<p class="error" role="alert">${o.error.message}</p>`:s`<p class="muted small">Code at ${l(o.at/1e3)} · ${f(o.language)}
                ${o.editors.length?` · edited by ${o.editors.map(m).join(", ")}`:""}</p>
              <div class="replay-code">${T(o.code,null)}</div>`:s`<p class="muted" role="status">Loading the code…</p>`}
      </div>
    </div>`}function Q(e){let t=e.data||{};switch(e.type){case"phase_changed":return`Phase: ${S[t.to]||t.to}`;case"run":return`Ran the code${t.verdict?` (${v(t.verdict)})`:""}`;case"submission":return`Submitted${t.verdict?`: ${v(t.verdict)}`:""}${t.total?` (${t.passed} / ${t.total})`:""}`;case"chat_message":return`Chat: ${t.text??""}`;case"hint_revealed":return`Hint ${Number(t.index)+1} shown`;case"hint_requested":return"Asked the AI for a hint";case"ai_message":return`AI ${t.kind||"message"}${t.role==="user"?" asked":""}`;default:return e.type.replace(/_/g," ")}}function U(){let e=a.events;return e?e.error?s`<p class="error">${e.error.message}</p>`:e.length?s`<ol class="timeline">${e.map(t=>s`<li id="event-${t.id}" tabindex="-1">
      <time datetime=${t.at}>${l(Math.max(0,Date.parse(t.at)-y)/1e3)}</time>
      <span class="who">${m(t.actorId)}</span> <span>${Q(t)}</span>
      <button class="link small" @click=${()=>V(t.at)} aria-label="Replay the code at this moment">replay</button>
    </li>`)}</ol>`:s`<p class="muted">Nothing happened in this session.</p>`:s`<p class="muted" role="status">Loading…</p>`}function W(){let e=a.snapshots;return e?e.error?s`<p class="error">${e.error.message}</p>`:e.length?s`<ul class="snapshots">${e.map(t=>s`<li><details>
      <summary>${l(Math.max(0,Date.parse(t.createdAt)-y)/1e3)} · ${t.trigger.replace("_"," ")}
        ${t.phase?`· ${S[t.phase]||t.phase}`:""} · ${t.linesOfCode} lines · ${f(t.language)}</summary>
      ${T(t.code,null)}
    </details></li>`)}</ul>`:s`<p class="muted">No snapshots.</p>`:s`<p class="muted" role="status">Loading…</p>`}function J(){let e=a.feedback;return e?e.error?s`<p class="muted">${e.error.message}</p>`:e.length?e.map(t=>s`<article class="peer-feedback">
      <h3>${m(t.reviewerId)} on ${m(t.revieweeId)}</h3>
      <dl class="facts">${X.map(([i,o])=>s`<dt>${o}</dt><dd>${t.ratings[i]} / 5</dd>`)}</dl>
      ${t.strengths?s`<p><strong>Strengths:</strong> ${t.strengths}</p>`:""}
      ${t.improvements?s`<p><strong>To improve:</strong> ${t.improvements}</p>`:""}
      ${t.comment?s`<p>${t.comment}</p>`:""}
      ${t.wouldPairAgain!=null?s`<p class="muted small">${t.wouldPairAgain?"Would pair again.":"Would not pair again."}</p>`:""}
    </article>`):s`<p class="muted">No peer feedback${r.mode==="peer"?" yet":" (an AI interview)"}.</p>`:s`<p class="muted" role="status">Loading…</p>`}function K(){let e=a.ai;return!e||e.error||!e.length?"":s`<section class="card" aria-labelledby="ai-title"><h2 id="ai-title">AI conversation</h2>
      <ol class="ai-log report-ai">${e.map(t=>s`<li class="ai-entry ${t.role==="user"?"mine":"ai"}">
        <span class="who">${t.role==="user"?m(t.authorId):"AI interviewer"}</span>
        ${t.kind&&t.kind!=="chat"?s`<span class="pill">${t.kind==="proactive"?"note":t.kind}</span>`:""}
        <time datetime=${t.createdAt}>${l(Math.max(0,Date.parse(t.createdAt)-y)/1e3)}</time>
        <p>${t.content}</p>
      </li>`)}</ol>
    </section>`}let _=r.problem?.title||"Session";return{title:`Report: ${_}`,render:()=>s`<p class="crumbs"><a href="/sessions">My sessions</a></p>
      <h1>${_}</h1>
      <p class="session-facts">
        ${r.problem?s`<span class="pill diff-${r.problem.difficulty}">${r.problem.difficulty}</span>`:""}
        <span class="pill">${r.mode==="ai"?"AI interview":"Peer interview"}</span>
        <span>${f(r.language)}</span> · <span>${I(r.startedAt)}</span> · <span>${l(r.durationSec)} coding</span>
        ${r.verdict?s` · <span class=${r.verdict==="accepted"?"good":"bad"}>${v(r.verdict)}</span>`:""}
        · ${r.participants.map(e=>s`<span class="who">${m(e.userId)} (${e.role})</span> `)}
      </p>
      <section class="card" aria-labelledby="report-title"><h2 id="report-title">Scores</h2>${H()}</section>
      <section class="card" id="replay" aria-labelledby="replay-title"><h2 id="replay-title">Replay</h2>${F()}</section>
      ${r.finalCode?s`<section class="card" aria-labelledby="final-title"><h2 id="final-title">Final code (${f(r.finalCode.language)})</h2>
            ${T(r.finalCode.code,"code-L",a.line)}</section>`:""}
      <div class="columns">
        <section class="card" aria-labelledby="timeline-title"><h2 id="timeline-title">Timeline</h2>${U()}</section>
        <div>
          <section class="card" aria-labelledby="feedback-title"><h2 id="feedback-title">Peer feedback</h2>${J()}</section>
          <section class="card" aria-labelledby="snapshots-title"><h2 id="snapshots-title">Snapshots</h2>${W()}</section>
        </div>
      </div>
      ${K()}`,destroy(){u=!1,G(),$(),clearTimeout(w);for(let e of M)clearTimeout(e)}}}export{oe as SessionReportView};
