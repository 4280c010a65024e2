import{a,c as j,d as z,e as u,f as I,g as f,h as P,i as R,j as U,k as h,l as A,m as N,o as y,r as L,t as M,w}from"./chunk-CZZU3PVU.js";import"./chunk-O2XFH626.js";function D(r,t){return t&&t!=="/"?`${r}?next=${encodeURIComponent(t)}`:r}function O(r){return r?.details&&typeof r.details=="object"?r.details:{}}function T(r){return r?a`<p class="error" role="alert">${r.message}</p>`:""}function g(r,t,e,d,s=""){let n=d[e.name];return a`<div class="field">
    <label for=${r}>${t}</label>
    <input id=${r} name=${e.name} type=${e.type||"text"} autocomplete=${e.autocomplete||"off"}
      ?required=${e.required!==!1} minlength=${e.minlength||0} maxlength=${e.maxlength||200}
      aria-invalid=${n?"true":"false"} aria-describedby=${n||s?`${r}-note`:""} />
    ${n||s?a`<small id="${r}-note" class=${n?"error":"muted"}>${n||s}</small>`:""}
  </div>`}function q(r){let t=w(r.query().get("next")),e={busy:!1,error:null};async function d(s){s.preventDefault();let n=new FormData(s.target);e.busy=!0,e.error=null,r.update();try{await R(String(n.get("identifier")).trim(),String(n.get("password"))),r.navigate(t,{replace:!0})}catch(i){e.error=i,e.busy=!1,r.update()}}return{title:"Sign in",render:()=>a`<section class="card auth">
      <h1>Sign in</h1>
      ${t!=="/"?a`<p class="muted">Sign in to continue where you were.</p>`:""}
      <form @submit=${d} novalidate>
        ${g("signin-identifier","Email or username",{name:"identifier",autocomplete:"username"},{})}
        ${g("signin-password","Password",{name:"password",type:"password",autocomplete:"current-password"},{})}
        ${T(e.error)}
        <button class="primary" type="submit" ?disabled=${e.busy}>${e.busy?"Signing in…":"Sign in"}</button>
      </form>
      <p>New here? <a href=${D("/register",t)}>Create an account</a></p>
    </section>`}}function F(r){let t=w(r.query().get("next")),e={busy:!1,error:null};async function d(s){s.preventDefault();let n=new FormData(s.target),i={email:String(n.get("email")).trim(),username:String(n.get("username")).trim(),password:String(n.get("password"))},c=String(n.get("displayName")||"").trim();c&&(i.displayName=c),e.busy=!0,e.error=null,r.update();try{await P(i),r.navigate(t,{replace:!0})}catch(o){e.error=o,e.busy=!1,r.update()}}return{title:"Create an account",render:()=>{let s=O(e.error);return a`<section class="card auth">
        <h1>Create an account</h1>
        <form @submit=${d} novalidate>
          ${g("register-email","Email",{name:"email",type:"email",autocomplete:"email"},s)}
          ${g("register-username","Username",{name:"username",autocomplete:"username",minlength:3,maxlength:30},s,"3 to 30 letters, digits or _")}
          ${g("register-display","Display name (optional)",{name:"displayName",autocomplete:"name",required:!1,maxlength:60},s)}
          ${g("register-password","Password",{name:"password",type:"password",autocomplete:"new-password",minlength:8,maxlength:128},s,"At least 8 characters")}
          ${T(e.error)}
          <button class="primary" type="submit" ?disabled=${e.busy}>${e.busy?"Creating…":"Create account"}</button>
        </form>
        <p>Already registered? <a href=${D("/signin",t)}>Sign in</a></p>
      </section>`}}}var B=5;async function K(){let r=[],t=null;for(let e=0;e<B;e++){let d=new URLSearchParams({limit:"100",sortBy:"title",sortOrder:"asc"});t&&d.set("cursor",t);let s=await f("GET",`/problems?${d}`);if(r.push(...s.data),!s.pagination.hasMore)break;t=s.pagination.nextCursor}return r}function G(r){let t=u().user,e={rooms:null,roomsError:null,active:null,problems:null,problemsError:null,filter:"",creating:!1,createError:null,joinError:null};f("GET","/rooms?limit=50").then(o=>{e.rooms=o.data}).catch(o=>{e.roomsError=o}).finally(r.update),f("GET","/users/me/active-room").then(o=>{e.active=o?.room||null}).catch(()=>{}).finally(r.update),K().then(o=>{e.problems=o}).catch(o=>{e.problemsError=o}).finally(r.update);async function d(o){o.preventDefault();let m=new FormData(o.target),p={mode:m.get("mode"),language:m.get("language")},x=String(m.get("name")||"").trim();x&&(p.name=x),m.get("problemId")&&(p.problemId=m.get("problemId")),e.creating=!0,e.createError=null,r.update();try{let k=await f("POST","/rooms",p,{headers:{"Idempotency-Key":crypto.randomUUID()}});r.navigate(`/rooms/${k.id}`)}catch(k){e.createError=k,e.creating=!1,r.update()}}function s(o){o.preventDefault();let m=String(new FormData(o.target).get("code")||"").trim().toUpperCase();if(!/^[A-Z0-9]{4,12}$/.test(m)){e.joinError="An invite code is 6 letters and digits, as in K7QX2M.",r.update();return}r.navigate(`/join/${m}`)}let n=o=>{let m=e.filter.toLowerCase();return(e.problems||[]).filter(p=>p.difficulty===o&&(!m||p.title.toLowerCase().includes(m)||p.tags.some(x=>x.includes(m))))};function i(){return e.problemsError?a`<p class="error" role="alert">Problems could not be loaded: ${e.problemsError.message}</p>`:a`<div class="field">
        <label for="problem-filter">Find a problem</label>
        <input id="problem-filter" type="search" placeholder="Title or tag" autocomplete="off"
          @input=${o=>{e.filter=o.target.value,r.update()}} />
      </div>
      <div class="field">
        <label for="create-problem">Problem</label>
        <select id="create-problem" name="problemId" ?disabled=${!e.problems}>
          <option value="">${e.problems?"Choose later":"Loading problems…"}</option>
          ${["easy","medium","hard"].map(o=>{let m=n(o);return m.length?a`<optgroup label=${o[0].toUpperCase()+o.slice(1)}>
                  ${m.map(p=>a`<option value=${p.id}>${p.title}</option>`)}
                </optgroup>`:""})}
        </select>
      </div>`}function c(){return e.roomsError?a`<p class="error" role="alert">${e.roomsError.message}</p>`:e.rooms?e.rooms.length?a`<ul class="rooms">
      ${e.rooms.map(o=>a`<li>
        <a href="/rooms/${o.id}">${o.name||o.problem?.title||"Untitled room"}</a>
        <span class="pill phase-${o.status}">${y[o.status]||o.status}</span>
        <span class="muted">${o.mode==="ai"?"AI interview":"Peer"} · ${N(o.language)}
          ${o.myRole?a` · ${o.myRole}`:""} · ${M(o.createdAt)}</span>
      </li>`)}
    </ul>`:a`<p class="muted">No rooms yet. Create one, or join with a code.</p>`:a`<p class="muted" role="status">Loading your rooms…</p>`}return{title:"Home",render:()=>a`
      <h1>Welcome, ${t.displayName||t.username}</h1>
      ${e.active?a`<section class="card banner" aria-labelledby="active-title">
            <h2 id="active-title">You are in a room</h2>
            <p>${e.active.name||e.active.problem?.title||"Untitled room"} ·
              ${y[e.active.status]}</p>
            <a class="button primary" href="/rooms/${e.active.id}">Back to the room</a>
          </section>`:""}
      <div class="columns">
        <section class="card" aria-labelledby="create-title">
          <h2 id="create-title">Create a room</h2>
          <form @submit=${d}>
            <fieldset class="field">
              <legend>Mode</legend>
              <label class="inline"><input type="radio" name="mode" value="peer" checked /> Peer interview</label>
              <label class="inline"><input type="radio" name="mode" value="ai" /> AI interviewer</label>
            </fieldset>
            <div class="field">
              <label for="create-language">Language</label>
              <select id="create-language" name="language">
                ${A.map(([o,m])=>a`<option value=${o} ?selected=${o===(t.preferredLanguage||"python")}>${m}</option>`)}
              </select>
            </div>
            ${i()}
            <div class="field">
              <label for="create-name">Room name (optional)</label>
              <input id="create-name" name="name" maxlength="100" autocomplete="off" />
            </div>
            ${e.createError?a`<p class="error" role="alert">${e.createError.message}</p>`:""}
            <button class="primary" type="submit" ?disabled=${e.creating}>${e.creating?"Creating…":"Create room"}</button>
          </form>
        </section>
        <div>
          <section class="card" aria-labelledby="join-title">
            <h2 id="join-title">Join with a code</h2>
            <form @submit=${s} class="row">
              <label for="join-code" class="visually-hidden">Invite code</label>
              <input id="join-code" name="code" placeholder="Invite code" autocomplete="off" autocapitalize="characters"
                maxlength="12" aria-describedby=${e.joinError?"join-error":""} />
              <button type="submit">Join</button>
            </form>
            ${e.joinError?a`<p id="join-error" class="error" role="alert">${e.joinError}</p>`:""}
          </section>
          <section class="card" aria-labelledby="rooms-title">
            <h2 id="rooms-title">My rooms</h2>
            ${c()}
          </section>
        </div>
      </div>`}}function V(r,t){t=t.toUpperCase();let e={preview:null,error:null,busy:!1,joinError:null},d=`/join/${t}`;f("GET",`/rooms/lookup/${encodeURIComponent(t)}`,void 0,{auth:!1}).then(i=>{e.preview=i}).catch(i=>{e.error=i}).finally(r.update);async function s(i){e.busy=!0,e.joinError=null,r.update();try{let c={inviteCode:t};i&&(c.role=i);let o=await f("POST","/rooms/join",c);r.navigate(`/rooms/${o.id}`,{replace:!0})}catch(c){e.joinError=c,e.busy=!1,r.update()}}function n(){if(e.error){let c=e.error.status===404?"No open room has this invite code. Check the code or ask for a new link.":e.error.message;return a`<p class="error" role="alert">${c}</p><p><a href="/">Go home</a></p>`}let i=e.preview;return i?a`<dl class="facts">
        <dt>Room</dt><dd>${i.name||"Untitled room"}</dd>
        <dt>Problem</dt><dd>${i.problem?a`${i.problem.title} <span class="pill diff-${i.problem.difficulty}">${i.problem.difficulty}</span>`:"not chosen yet"}</dd>
        <dt>Host</dt><dd>${i.hostName}</dd>
        <dt>Mode</dt><dd>${i.mode==="ai"?"AI interviewer":"Peer interview"}</dd>
        <dt>Phase</dt><dd>${y[i.status]||i.status}</dd>
        <dt>People</dt><dd>${i.participantCount} of ${i.maxParticipants}</dd>
      </dl>
      ${i.joinable?"":a`<p class="error" role="alert">${i.status==="finished"?"This room has finished.":"This room is full."}</p>`}
      ${e.joinError?a`<p class="error" role="alert">${e.joinError.message}</p>`:""}
      ${u()?a`<div class="row">
            <button class="primary" ?disabled=${e.busy||!i.joinable} @click=${()=>s()}>${e.busy?"Joining…":"Join the room"}</button>
            <button ?disabled=${e.busy||!i.joinable} @click=${()=>s("observer")}>Watch as observer</button>
          </div>`:a`<p>To join, <a href="/signin?next=${encodeURIComponent(d)}">sign in</a> or
            <a href="/register?next=${encodeURIComponent(d)}">create an account</a>.</p>`}`:a`<p class="muted" role="status">Looking up the room…</p>`}return{title:"Join a room",render:()=>a`<section class="card auth">
      <h1>Join room <span class="invite-code">${t}</span></h1>
      ${n()}
    </section>`}}var $=document.getElementById("app");$.textContent="";var W=[{path:/^\/$/,view:G,auth:!0},{path:/^\/signin$/,view:q,guest:!0},{path:/^\/register$/,view:F,guest:!0},{path:/^\/join\/([A-Za-z0-9]+)$/,view:V},{path:/^\/rooms\/([^/]+)$/,view:async(r,t)=>(await import("./room-5OIRMI5Q.js")).RoomView(r,t),auth:!0,wide:!0}],l={current:null,route:null,notice:null,navigate:b,update:v,notify(r,t="info"){l.notice={text:r,kind:t,at:Date.now()},v();let e=l.notice.at;setTimeout(()=>{l.notice?.at===e&&(l.notice=null,v())},6e3)},query:()=>new URLSearchParams(location.search)},E=!1;function v(){E||(E=!0,queueMicrotask(()=>{E=!1,C()}))}function b(r,{replace:t=!1}={}){r!==location.pathname+location.search&&history[t?"replaceState":"pushState"](null,"",r),S()}var J=0;async function S(){let r=++J,t=location.pathname,e=W.map(n=>[n,t.match(n.path)]).find(([,n])=>n);if(l.current?.destroy&&l.current.destroy(),l.current=null,!e)return l.route={wide:!1},l.current={title:"Not found",render:_},H();let[d,s]=e;if(d.auth&&!u())return b(`/signin?next=${encodeURIComponent(t+location.search)}`,{replace:!0});if(d.guest&&u())return b(w(l.query().get("next")),{replace:!0});l.route=d,u()&&h.start(),l.current={title:"Loading",render:()=>a`<p class="muted" role="status">Loading…</p>`},C();try{let n=await d.view(l,...s.slice(1).map(decodeURIComponent));if(r!==J)return n.destroy?.();l.current=n}catch(n){console.error(n),l.current={title:"Error",render:()=>a`<p class="error" role="alert">This page failed to load: ${n.message}</p>`}}H()}function H(){C(),document.title=l.current?.title?`${l.current.title} · SynCode`:"SynCode";let r=$.querySelector("main h1");r&&!$.contains(document.activeElement?.closest?.("main form"))&&(r.setAttribute("tabindex","-1"),r.focus({preventScroll:!0}))}function _(){return a`<h1>Page not found</h1><p>Nothing lives at this address. <a href="/">Go home</a>.</p>`}function X(){let r=u();return a`<header class="top">
    <a class="skip" href="#main">Skip to content</a>
    <a class="brand" href="/" aria-label="SynCode home">Syn<span>Code</span></a>
    <nav aria-label="Main">
      ${r?a`<a href="/">Home</a>
            <span class="me" title=${r.user.email}>${L(r.user)}</span>
            <button class="link" @click=${Y}>Sign out</button>`:a`<a href="/signin">Sign in</a><a href="/register">Register</a>`}
    </nav>
  </header>`}async function Y(){h.stop(),await U().catch(()=>{}),b("/signin")}function C(){let r=l.current;z(a`${X()}
      <main id="main" class=${l.route?.wide?"wide":"narrow"}>${r?r.render():j}</main>
      <div class="toast ${l.notice?"show "+l.notice.kind:""}" role="status" aria-live="polite">
        ${l.notice?.text||""}
      </div>`,$)}document.addEventListener("click",r=>{let t=r.target.closest?.("a[href]");if(!t||r.defaultPrevented||r.button!==0||r.metaKey||r.ctrlKey||r.shiftKey||r.altKey||t.target||t.hasAttribute("download"))return;let e=new URL(t.href,location.href);if(!(e.origin!==location.origin||e.pathname.startsWith("/api/"))){if(r.preventDefault(),e.hash&&e.pathname===location.pathname){document.getElementById(e.hash.slice(1))?.focus();return}b(e.pathname+e.search)}});window.addEventListener("popstate",S);I((r,t)=>{if(t==="expired"||t==="signed-out"){h.stop();let e=location.pathname+location.search;t==="expired"&&l.notify("Your session has expired. Please sign in again.","warn"),!location.pathname.startsWith("/signin")&&!location.pathname.startsWith("/register")&&!location.pathname.startsWith("/join/")?b(`/signin?next=${encodeURIComponent(e)}`,{replace:!0}):v()}else h.start(),v()});S();
