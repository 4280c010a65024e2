import{a as i,c as $,d as k,e as m,f as S,g as x,h as z,i as C,j as R,k as u,o as j,r as E,v as f,x as I}from"./chunk-HPZ27WVB.js";import"./chunk-O2XFH626.js";function N(e,t){return t&&t!=="/"?`${e}?next=${encodeURIComponent(t)}`:e}function V(e){return e?.details&&typeof e.details=="object"?e.details:{}}function U(e){return e?i`<p class="error" role="alert">${e.message}</p>`:""}function c(e,t,r,d,s=""){let a=d[r.name];return i`<div class="field">
    <label for=${e}>${t}</label>
    <input id=${e} name=${r.name} type=${r.type||"text"} autocomplete=${r.autocomplete||"off"}
      ?required=${r.required!==!1} minlength=${r.minlength||0} maxlength=${r.maxlength||200}
      aria-invalid=${a?"true":"false"} aria-describedby=${a||s?`${e}-note`:""} />
    ${a||s?i`<small id="${e}-note" class=${a?"error":"muted"}>${a||s}</small>`:""}
  </div>`}function P(e){let t=f(e.query().get("next")),r={busy:!1,error:null};async function d(s){s.preventDefault();let a=new FormData(s.target);r.busy=!0,r.error=null,e.update();try{await C(String(a.get("identifier")).trim(),String(a.get("password"))),e.navigate(t,{replace:!0})}catch(o){r.error=o,r.busy=!1,e.update()}}return{title:"Sign in",render:()=>i`<section class="card auth">
      <h1>Sign in</h1>
      ${t!=="/"?i`<p class="muted">Sign in to continue where you were.</p>`:""}
      <form @submit=${d} novalidate>
        ${c("signin-identifier","Email or username",{name:"identifier",autocomplete:"username"},{})}
        ${c("signin-password","Password",{name:"password",type:"password",autocomplete:"current-password"},{})}
        ${U(r.error)}
        <button class="primary" type="submit" ?disabled=${r.busy}>${r.busy?"Signing in…":"Sign in"}</button>
      </form>
      <p>New here? <a href=${N("/register",t)}>Create an account</a></p>
    </section>`}}function M(e){let t=f(e.query().get("next")),r={busy:!1,error:null};async function d(s){s.preventDefault();let a=new FormData(s.target),o={email:String(a.get("email")).trim(),username:String(a.get("username")).trim(),password:String(a.get("password"))},l=String(a.get("displayName")||"").trim();l&&(o.displayName=l),r.busy=!0,r.error=null,e.update();try{await z(o),e.navigate(t,{replace:!0})}catch(b){r.error=b,r.busy=!1,e.update()}}return{title:"Create an account",render:()=>{let s=V(r.error);return i`<section class="card auth">
        <h1>Create an account</h1>
        <form @submit=${d} novalidate>
          ${c("register-email","Email",{name:"email",type:"email",autocomplete:"email"},s)}
          ${c("register-username","Username",{name:"username",autocomplete:"username",minlength:3,maxlength:30},s,"3 to 30 letters, digits or _")}
          ${c("register-display","Display name (optional)",{name:"displayName",autocomplete:"name",required:!1,maxlength:60},s)}
          ${c("register-password","Password",{name:"password",type:"password",autocomplete:"new-password",minlength:8,maxlength:128},s,"At least 8 characters")}
          ${U(r.error)}
          <button class="primary" type="submit" ?disabled=${r.busy}>${r.busy?"Creating…":"Create account"}</button>
        </form>
        <p>Already registered? <a href=${N("/signin",t)}>Sign in</a></p>
      </section>`}}}function q(e,t){t=t.toUpperCase();let r={preview:null,error:null,busy:!1,joinError:null},d=`/join/${t}`;x("GET",`/rooms/lookup/${encodeURIComponent(t)}`,void 0,{auth:!1}).then(o=>{r.preview=o}).catch(o=>{r.error=o}).finally(e.update);async function s(o){r.busy=!0,r.joinError=null,e.update();try{let l={inviteCode:t};o&&(l.role=o);let b=await x("POST","/rooms/join",l);e.navigate(`/rooms/${b.id}`,{replace:!0})}catch(l){r.joinError=l,r.busy=!1,e.update()}}function a(){if(r.error){let l=r.error.status===404?"No open room has this invite code. Check the code or ask for a new link.":r.error.message;return i`<p class="error" role="alert">${l}</p><p><a href="/">Go home</a></p>`}let o=r.preview;return o?i`<dl class="facts">
        <dt>Room</dt><dd>${o.name||"Untitled room"}</dd>
        <dt>Problem</dt><dd>${o.problem?i`${o.problem.title} <span class="pill diff-${o.problem.difficulty}">${o.problem.difficulty}</span>`:"not chosen yet"}</dd>
        <dt>Host</dt><dd>${o.hostName}</dd>
        <dt>Mode</dt><dd>${o.mode==="ai"?"AI interviewer":"Peer interview"}</dd>
        <dt>Phase</dt><dd>${j[o.status]||o.status}</dd>
        <dt>People</dt><dd>${o.participantCount} of ${o.maxParticipants}</dd>
      </dl>
      ${o.joinable?"":i`<p class="error" role="alert">${o.status==="finished"?"This room has finished.":"This room is full."}</p>`}
      ${r.joinError?i`<p class="error" role="alert">${r.joinError.message}</p>`:""}
      ${m()?i`<div class="row">
            <button class="primary" ?disabled=${r.busy||!o.joinable} @click=${()=>s()}>${r.busy?"Joining…":"Join the room"}</button>
            <button ?disabled=${r.busy||!o.joinable} @click=${()=>s("observer")}>Watch as observer</button>
          </div>`:i`<p>To join, <a href="/signin?next=${encodeURIComponent(d)}">sign in</a> or
            <a href="/register?next=${encodeURIComponent(d)}">create an account</a>.</p>`}`:i`<p class="muted" role="status">Looking up the room…</p>`}return{title:"Join a room",render:()=>i`<section class="card auth">
      <h1>Join room <span class="invite-code">${t}</span></h1>
      ${a()}
    </section>`}}var h=document.getElementById("app");h.textContent="";var D=[{path:/^\/$/,view:I,auth:!0},{path:/^\/signin$/,view:P,guest:!0},{path:/^\/register$/,view:M,guest:!0},{path:/^\/join\/([A-Za-z0-9]+)$/,view:q},{path:/^\/rooms\/([^/]+)$/,view:async(e,t)=>(await import("./room-ZNEXW2VZ.js")).RoomView(e,t),auth:!0,wide:!0}],n={current:null,route:null,notice:null,navigate:p,update:g,notify(e,t="info"){n.notice={text:e,kind:t,at:Date.now()},g();let r=n.notice.at;setTimeout(()=>{n.notice?.at===r&&(n.notice=null,g())},6e3)},query:()=>new URLSearchParams(location.search)},w=!1;function g(){w||(w=!0,queueMicrotask(()=>{w=!1,v()}))}function p(e,{replace:t=!1}={}){e!==location.pathname+location.search&&history[t?"replaceState":"pushState"](null,"",e),y()}var A=0;async function y(){let e=++A,t=location.pathname,r=D.map(a=>[a,t.match(a.path)]).find(([,a])=>a);if(n.current?.destroy&&n.current.destroy(),n.current=null,!r)return n.route={wide:!1},n.current={title:"Not found",render:L},T();let[d,s]=r;if(d.auth&&!m())return p(`/signin?next=${encodeURIComponent(t+location.search)}`,{replace:!0});if(d.guest&&m())return p(f(n.query().get("next")),{replace:!0});n.route=d,m()&&u.start(),n.current={title:"Loading",render:()=>i`<p class="muted" role="status">Loading…</p>`},v();try{let a=await d.view(n,...s.slice(1).map(decodeURIComponent));if(e!==A)return a.destroy?.();n.current=a}catch(a){console.error(a),n.current={title:"Error",render:()=>i`<p class="error" role="alert">This page failed to load: ${a.message}</p>`}}T()}function T(){v(),document.title=n.current?.title?`${n.current.title} · SynCode`:"SynCode";let e=h.querySelector("main h1");e&&!h.contains(document.activeElement?.closest?.("main form"))&&(e.setAttribute("tabindex","-1"),e.focus({preventScroll:!0}))}function L(){return i`<h1>Page not found</h1><p>Nothing lives at this address. <a href="/">Go home</a>.</p>`}function F(){let e=m();return i`<header class="top">
    <a class="skip" href="#main">Skip to content</a>
    <a class="brand" href="/" aria-label="SynCode home">Syn<span>Code</span></a>
    <nav aria-label="Main">
      ${e?i`<a href="/">Home</a>
            <span class="me" title=${e.user.email}>${E(e.user)}</span>
            <button class="link" @click=${J}>Sign out</button>`:i`<a href="/signin">Sign in</a><a href="/register">Register</a>`}
    </nav>
  </header>`}async function J(){u.stop(),await R().catch(()=>{}),p("/signin")}function v(){let e=n.current;k(i`${F()}
      <main id="main" class=${n.route?.wide?"wide":"narrow"}>${e?e.render():$}</main>
      <div class="toast ${n.notice?"show "+n.notice.kind:""}" role="status" aria-live="polite">
        ${n.notice?.text||""}
      </div>`,h)}document.addEventListener("click",e=>{let t=e.target.closest?.("a[href]");if(!t||e.defaultPrevented||e.button!==0||e.metaKey||e.ctrlKey||e.shiftKey||e.altKey||t.target||t.hasAttribute("download"))return;let r=new URL(t.href,location.href);if(!(r.origin!==location.origin||r.pathname.startsWith("/api/"))){if(e.preventDefault(),r.hash&&r.pathname===location.pathname){document.getElementById(r.hash.slice(1))?.focus();return}p(r.pathname+r.search)}});window.addEventListener("popstate",y);S((e,t)=>{if(t==="expired"||t==="signed-out"){u.stop();let r=location.pathname+location.search;t==="expired"&&n.notify("Your session has expired. Please sign in again.","warn"),!location.pathname.startsWith("/signin")&&!location.pathname.startsWith("/register")&&!location.pathname.startsWith("/join/")?p(`/signin?next=${encodeURIComponent(r)}`,{replace:!0}):g()}else u.start(),g()});y();
