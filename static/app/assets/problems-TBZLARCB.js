import{d as y}from"./chunk-TTRBCBFH.js";import{a as w}from"./chunk-BAH5JKSX.js";import{a as s,g as k,k as u,q as v,z as h}from"./chunk-JG2AL5AS.js";import"./chunk-O2XFH626.js";var C=20,L=["easy","medium","hard"],M=250,B=r=>r[0].toUpperCase()+r.slice(1);async function E(r,o){let e=!o.isBookmarked;try{await u(e?"PUT":"DELETE",`/bookmarks/${encodeURIComponent(o.id)}`),o.isBookmarked=e}catch(n){r.notify(n.message,"error")}r.update()}function S(r,o){return s`<button class="bookmark ${o.isBookmarked?"on":""}" aria-pressed=${o.isBookmarked?"true":"false"}
    aria-label="Bookmark ${o.title}" title=${o.isBookmarked?"Remove the bookmark":"Bookmark"}
    @click=${()=>E(r,o)}>${o.isBookmarked?"★":"☆"}</button>`}var T=r=>r==="solved"?s`<span class="pill diff-easy">solved</span>`:r==="attempted"?s`<span class="pill warn">attempted</span>`:"";function I(r){let o=r.query(),e={search:o.get("search")||"",difficulty:o.get("difficulty")||"",tag:o.get("tag")||"",status:o.get("status")||"",bookmarked:o.get("bookmarked")==="1",tags:[],list:[],cursor:null,hasMore:!1,loading:!1,error:null,generation:0},n=null;u("GET","/problems/tags").then(t=>{e.tags=t.data}).catch(()=>{}).finally(r.update);function $(){let t=new URLSearchParams({limit:String(C),sortBy:"title"});return e.search&&t.set("search",e.search),e.difficulty&&t.set("difficulty",e.difficulty),e.tag&&t.set("tags",e.tag),e.status&&t.set("status",e.status),e.cursor&&t.set("cursor",e.cursor),t}async function p(t){let a=t?++e.generation:e.generation;t&&Object.assign(e,{list:[],cursor:null,hasMore:!1,error:null}),e.loading=!0,r.update();try{let i=e.bookmarked?await u("GET",`/bookmarks?${new URLSearchParams({limit:"100",...e.cursor?{cursor:e.cursor}:{}})}`):await u("GET",`/problems?${$()}`);if(a!==e.generation)return;let d=e.search.toLowerCase(),m=c=>!e.bookmarked||(!e.difficulty||c.difficulty===e.difficulty)&&(!e.tag||c.tags.includes(e.tag))&&(!d||c.title.toLowerCase().includes(d))&&(!e.status||(c.attemptStatus||"todo")===e.status);e.list.push(...i.data.filter(m)),e.cursor=i.pagination.nextCursor,e.hasMore=i.pagination.hasMore}catch(i){a===e.generation&&(e.error=i)}a===e.generation&&(e.loading=!1),r.update()}function l(){let t=new URLSearchParams;e.search&&t.set("search",e.search),e.difficulty&&t.set("difficulty",e.difficulty),e.tag&&t.set("tag",e.tag),e.status&&t.set("status",e.status),e.bookmarked&&t.set("bookmarked","1"),history.replaceState(null,"",`/problems${t.size?`?${t}`:""}`),p(!0)}function b(t){e.search=t.target.value.trim(),clearTimeout(n),n=setTimeout(l,M)}p(!0);let f=t=>s`<li>
    ${S(r,t)}
    <a href="/problems/${t.slug||t.id}">${t.title}</a>
    <span class="pill diff-${t.difficulty}">${t.difficulty}</span>
    ${T(t.attemptStatus)}
    <span class="muted">${t.tags.map(a=>s`<span class="tag">${a}</span>`)}
      ${t.acceptanceRate!=null?s` · ${Math.round(t.acceptanceRate*100)}% accepted of ${t.totalSubmissions}`:""}</span>
  </li>`;return{title:"Problems",destroy:()=>clearTimeout(n),render:()=>s`<h1>Problems</h1>
      <form class="card filters" role="search" @submit=${t=>{t.preventDefault(),clearTimeout(n),l()}}>
        <div class="field grow">
          <label for="problem-search">Search</label>
          <input id="problem-search" type="search" .value=${e.search} placeholder="Title or words" @input=${b} />
        </div>
        <div class="field">
          <label for="problem-difficulty">Difficulty</label>
          <select id="problem-difficulty" @change=${t=>{e.difficulty=t.target.value,l()}}>
            <option value="" ?selected=${!e.difficulty}>Any</option>
            ${L.map(t=>s`<option value=${t} ?selected=${e.difficulty===t}>${B(t)}</option>`)}
          </select>
        </div>
        <div class="field">
          <label for="problem-tag">Tag</label>
          <select id="problem-tag" @change=${t=>{e.tag=t.target.value,l()}}>
            <option value="" ?selected=${!e.tag}>Any</option>
            ${e.tags.map(t=>s`<option value=${t.slug} ?selected=${e.tag===t.slug}>${t.name} (${t.problemCount})</option>`)}
          </select>
        </div>
        <div class="field">
          <label for="problem-status">Status</label>
          <select id="problem-status" @change=${t=>{e.status=t.target.value,l()}}>
            ${[["","Any"],["todo","To do"],["attempted","Attempted"],["solved","Solved"]].map(([t,a])=>s`<option value=${t} ?selected=${e.status===t}>${a}</option>`)}
          </select>
        </div>
        <label class="inline"><input type="checkbox" .checked=${e.bookmarked}
          @change=${t=>{e.bookmarked=t.target.checked,l()}} /> Bookmarked only</label>
      </form>
      <section class="card" aria-labelledby="problem-list-title" aria-busy=${e.loading?"true":"false"}>
        <h2 id="problem-list-title" class="visually-hidden">Matching problems</h2>
        ${e.error?s`<p class="error" role="alert">${e.error.message}</p>`:""}
        ${e.list.length?s`<ul class="rooms problems">${e.list.map(f)}</ul>`:""}
        ${!e.loading&&!e.error&&!e.list.length?s`<p class="muted" role="status">No problem matches these filters.</p>`:""}
        ${e.loading?s`<p class="muted" role="status">Loading problems…</p>`:""}
        ${e.hasMore&&!e.loading?s`<button @click=${()=>p(!1)}>More problems</button>`:""}
      </section>`}}async function D(r,o){let e=await u("GET",`/problems/${encodeURIComponent(o)}`),n=k().user,$=Object.keys(e.starterCode||{})[0]||"python",p=e.starterCode?.[n.preferredLanguage]?n.preferredLanguage:$,l={creating:!1,error:null};async function b(a){a.preventDefault();let i=new FormData(a.target),d=g=>Math.round(Number(i.get(g))*60),m={mode:i.get("mode"),problemId:e.id,language:i.get("language"),config:{durations:{warmupSec:d("warmup"),codingSec:d("coding"),wrapupSec:d("wrapup")},autoAdvance:i.get("autoAdvance")==="on"}},c=String(i.get("name")||"").trim();c&&(m.name=c),l.creating=!0,l.error=null,r.update();try{let g=await u("POST","/rooms",m,{headers:{"Idempotency-Key":crypto.randomUUID()}});r.navigate(`/rooms/${g.id}`)}catch(g){l.error=g,l.creating=!1,r.update()}}let f=(a,i,d,m,c)=>s`<div class="field">
    <label for="create-${a}">${i}</label>
    <input id="create-${a}" name=${a} type="number" min=${m} max=${c} step="1" value=${d} required />
  </div>`,t=a=>l.error?.details?.[`config.durations.${a}`]||l.error?.details?.[a];return{title:e.title,render:()=>s`<p class="crumbs"><a href="/problems">Problems</a></p>
      <div class="problem-head">
        <h1>${e.title}</h1>
        <span class="pill diff-${e.difficulty}">${e.difficulty}</span>
        ${T(e.attemptStatus)}
        ${S(r,e)}
      </div>
      <p class="muted">${e.tags.map(a=>s`<a class="tag" href="/problems?tag=${a}">${a}</a>`)}
        · time limit ${e.timeLimitMs} ms · memory ${e.memoryLimitMb} MB</p>
      <div class="columns wide-first">
        <article class="card statement">
          ${y(h(e.description))}
          ${e.constraints?s`<h3>Constraints</h3>${y(h(e.constraints))}`:""}
          ${e.examples?.length?s`<h3>Examples</h3>
                ${e.examples.map((a,i)=>s`<div class="example">
                  <h4>Example ${i+1}</h4>
                  <p class="muted small">Input</p><pre>${a.input}</pre>
                  <p class="muted small">Output</p><pre>${a.output}</pre>
                  ${a.explanation?s`<p>${a.explanation}</p>`:""}
                </div>`)}`:""}
        </article>
        <section class="card" aria-labelledby="create-title">
          <h2 id="create-title">Practise this problem</h2>
          <form @submit=${b}>
            ${w(p)}
            <div class="field">
              <label for="create-name">Room name (optional)</label>
              <input id="create-name" name="name" maxlength="100" autocomplete="off" />
            </div>
            <fieldset class="field timers">
              <legend>Timer (minutes)</legend>
              ${f("warmup","Warm-up",5,0,240)}
              ${f("coding","Coding",45,1,480)}
              ${f("wrapup","Wrap-up",10,0,240)}
              <label class="inline"><input type="checkbox" name="autoAdvance" /> Move to the next phase when time is up</label>
              ${["warmupSec","codingSec","wrapupSec"].map(a=>t(a)?s`<small class="error">${t(a)}</small>`:"")}
            </fieldset>
            ${l.error?s`<p class="error" role="alert">${l.error.message}</p>`:""}
            <button class="primary" type="submit" ?disabled=${l.creating}>${l.creating?"Creating…":"Create a room"}</button>
          </form>
          <p class="muted small">Starter code in ${Object.keys(e.starterCode||{}).map(v).join(", ")}.</p>
        </section>
      </div>`}}export{D as ProblemView,I as ProblemsView};
